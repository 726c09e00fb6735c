"""After the tests and the demo run in a clone, ``git status`` is clean (.gitignore).

The working tree (what ``git add -A`` would take) is copied into a fresh repository and
committed; there unit tests run with bytecode writing on (pytest's cache, hypothesis'
database), ruff checks, and ``jupyter-azure-ai demo --dry-run`` copies the examples. What
they leave behind must all be ignored, and nothing the repository holds may be.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GIT = shutil.which("git")

pytestmark = pytest.mark.skipif(GIT is None, reason="needs git")


def _git(*args: str, cwd: Path) -> str:
    assert GIT is not None
    command = [GIT, "-c", "user.name=test", "-c", "user.email=test@example.invalid", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=True).stdout


def _copy_of_the_working_tree(to: Path) -> None:
    listed = _git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO)
    for name in sorted(set(listed.split("\0")) - {""}):
        source = REPO / name
        if source.is_file():  # listed but deleted or moved away in the working tree
            (to / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, to / name)
    _git("init", "-q", cwd=to)
    _git("add", "-A", cwd=to)
    _git("commit", "-q", "-m", "copy", cwd=to)


def test_tests_and_demo_leave_git_status_clean(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    _copy_of_the_working_tree(clone)
    assert _git("status", "--porcelain", "--untracked-files=all", cwd=clone) == ""
    # nothing the repository holds is ignored
    assert _git("ls-files", "--cached", "--ignored", "--exclude-standard", cwd=clone) == ""

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env = {k: v for k, v in env.items() if not k.startswith(("AZURE_", "PYTEST_"))}
    runs = [
        # two unit test files (the suite runs elsewhere): bytecode of every module the
        # public API loads, pytest's cache, hypothesis' database
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "tests/unit/test_public_api.py",
            "tests/unit/test_sse.py",
        ],
        [sys.executable, "-m", "ruff", "check", "--quiet", "jupyter_azure_ai"],
        [sys.executable, "-m", "jupyter_azure_ai.cli", "demo", "--dry-run", "--no-browser"],
    ]
    for command in runs:
        out = subprocess.run(command, cwd=clone, env=env, capture_output=True, text=True)
        assert out.returncode == 0, f"{command}:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"

    # they did leave things behind (else this test could not fail)...
    left = {".pytest_cache", ".hypothesis", ".ruff_cache", "jupyter-azure-ai-examples"}
    assert left <= {p.name for p in clone.iterdir()}
    assert list(clone.glob("jupyter_azure_ai/**/__pycache__/*.pyc"))
    # ...and all of it is ignored
    assert _git("status", "--porcelain", "--untracked-files=all", cwd=clone) == ""
