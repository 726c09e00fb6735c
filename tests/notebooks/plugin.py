"""nbval runs notebooks/*.ipynb (``python -m pytest``, lax mode) against one local emulator.

The notebooks stay alone in notebooks/ (what a newcomer browses, and what the wheel
ships); this test plumbing lives here, loaded by the repository's root ``conftest.py``
(a conftest.py in tests/ would not apply to files outside tests/).

nbval starts one kernel per notebook, and a kernel inherits this process's environment.
Just before the first notebook's kernel starts, this starts an emulator and puts its
``AZURE_*`` / CA bundle variables and a fresh answer-cache folder into ``os.environ``; at
the end of the session the emulator stops and the environment is restored. Tests
outside ``notebooks/`` run before (``testpaths`` order) and never see these variables.

Only cells marked ``# NBVAL_CHECK_OUTPUT`` (or tagged ``nbval-check-output``) have their
outputs compared, after the replacements in ``nbval_sanitize.cfg`` (beside this file);
every cell must run without an error. ``refresh.py`` (beside this file) re-runs and
saves the notebooks.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from jupyter_azure_ai.emulator import Emulator, start_emulator

_started: list[Emulator] = []
_saved_environ: dict[str, str | None] = {}
_notebooks_seen: set[object] = set()
_made: list[str] = []  # temporary folders, removed at the end


def pytest_configure(config: pytest.Config) -> None:
    # addopts names the sanitizer file relative to the project: make it work from any cwd
    path = getattr(config.option, "nbval_sanitize_with", None)
    if path and not os.path.isabs(path):
        config.option.nbval_sanitize_with = str(config.rootpath / path)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before nbval's notebook setup (which starts the kernel) of a notebook's first cell."""
    if item.path.suffix != ".ipynb" or item.path in _notebooks_seen:
        return
    _notebooks_seen.add(item.path)
    # saved conversations (sessions.py): a fresh folder per notebook, so what
    # `%azure sessions` lists is that notebook's own, and the user's data dir is untouched
    _set_environ({"JUPYTER_AZURE_AI_DATA_DIR": _folder("jaa-nbval-data-")})
    if _started:
        return
    emulator = start_emulator()
    _started.append(emulator)
    # map_rows' answer cache: a fresh one, so no answer of an earlier run (or an older
    # emulator) is replayed, and the user's own cache is not touched
    cache = _folder("jupyter-azure-ai-nbval-cache-")
    _set_environ({**emulator.env(), "JUPYTER_AZURE_AI_CACHE_DIR": cache})


def _folder(prefix: str) -> str:
    _made.append(tempfile.mkdtemp(prefix=prefix))
    return _made[-1]


def _set_environ(values: dict[str, str]) -> None:
    for name, value in values.items():
        _saved_environ.setdefault(name, os.environ.get(name))
        os.environ[name] = value


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for name, value in _saved_environ.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    _saved_environ.clear()
    while _started:
        _started.pop().stop()
    while _made:
        shutil.rmtree(_made.pop(), ignore_errors=True)
