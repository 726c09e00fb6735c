"""The nbval plugin (tests/notebooks/plugin.py) leaves nothing behind: the data dir it gives
each notebook's kernel (saved conversations) and the answer cache are removed at the end,
and the environment is restored."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType, SimpleNamespace

REPO = Path(__file__).resolve().parents[2]


def _load() -> ModuleType:
    path = REPO / "tests" / "notebooks" / "plugin.py"
    spec = importlib.util.spec_from_file_location("nbval_plugin_copy", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Stopped:
    def __init__(self) -> None:
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True


def test_the_folders_it_makes_are_removed_and_the_environment_restored() -> None:
    plugin = _load()
    emulator = _Stopped()
    plugin._started.append(emulator)  # as if one were running: none is started here
    before = os.environ.get("JUPYTER_AZURE_AI_DATA_DIR")
    made = []
    for name in ("a.ipynb", "b.ipynb"):
        plugin.pytest_runtest_setup(SimpleNamespace(path=Path(name)))
        folder = Path(os.environ["JUPYTER_AZURE_AI_DATA_DIR"])
        (folder / "sessions").mkdir()  # what a notebook's kernel writes
        made.append(folder)
    assert made[0] != made[1] and all(f.is_dir() for f in made)
    plugin.pytest_sessionfinish(None, 0)
    assert emulator.stopped and not [f for f in made if f.exists()]
    assert os.environ.get("JUPYTER_AZURE_AI_DATA_DIR") == before
