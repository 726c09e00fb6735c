"""CI tests the oldest and the newest supported Python (.ci/other_pythons.py), as README says."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "other_pythons", REPO / ".ci" / "other_pythons.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


other_pythons = _load()


def test_the_supported_versions_come_from_pyproject_without_gaps() -> None:
    versions = other_pythons.supported_versions()
    minors = [int(v.split(".")[1]) for v in versions]
    assert versions[0] == "3.10"  # requires-python's floor (the function checks they agree)
    assert minors == list(range(minors[0], minors[-1] + 1))
    assert f"{sys.version_info.major}.{sys.version_info.minor}" in versions  # this run's


def test_readme_names_the_tested_versions() -> None:
    versions = other_pythons.supported_versions()
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    run = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "python .ci/other_pythons.py" in run and "--allow-missing" not in run
    sentence = re.search(r"Tested on Python ((?:3\.\d+(?:, | and )?)+)", readme)
    assert sentence is not None, "README: 'Tested on Python ...'"
    named = re.findall(r"3\.\d+", sentence.group(1))
    assert versions[0] in named and versions[-1] in named
    assert set(named) <= set(versions)


def test_an_absent_python_is_reported_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    python, looked = other_pythons.find_python("3.99")
    assert python is None and looked[0] == "python3.99 on PATH"
    assert other_pythons.main(["3.99"]) == 1
    out = capsys.readouterr().out
    assert "Python 3.99: ABSENT (looked for python3.99 on PATH" in out and "FAILED" in out
    assert other_pythons.main(["--allow-missing", "3.99"]) == 0  # reported, never silent
    assert "Python 3.99: ABSENT" in capsys.readouterr().out


def test_finds_this_python_by_version() -> None:
    # the interpreter running this (CI's, or one of .ci/other_pythons.py's venvs)
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    python, _ = other_pythons.find_python(version)
    if python is None:
        pytest.skip(f"no python{version} on PATH nor in pyenv")
    out = subprocess.run([str(python), "-c", "import sys; print(sys.version_info[:2])"],
                         capture_output=True, text=True, check=True)  # fmt: skip
    assert out.stdout.strip() == str(sys.version_info[:2])
