"""Unit and integration tests on the oldest and the newest supported Python.

    python .ci/other_pythons.py [--allow-missing] [3.X ...]

The versions are the oldest and the newest ``Programming Language :: Python :: 3.X``
classifier in pyproject.toml (the oldest must be the ``requires-python`` floor). For each,
an interpreter is looked for (``python3.X`` on PATH, then pyenv's versions), a fresh venv
is made in a temporary folder, ``pip install -e ".[test]"`` goes into it, and
``python -m pytest tests/unit tests/integration`` runs there (the browser, kernel and
notebook tests run once, on CI's own Python, to hold CI time down).

A version that cannot be found is reported as absent and fails the run (under
``--allow-missing``, for a machine that lacks it, it is reported and skipped).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # tests/unit/test_ci_pythons.py imports this on 3.10 too, where pytest brings tomli
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent
TESTS = ["tests/unit", "tests/integration"]


def supported_versions() -> list[str]:
    """The ``3.X`` classifiers, oldest first; the oldest must match requires-python."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    found = []
    for classifier in project["classifiers"]:
        match = re.fullmatch(r"Programming Language :: Python :: (3\.\d+)", classifier)
        if match:
            found.append(match.group(1))
    versions = sorted(found, key=lambda v: int(v.split(".")[1]))
    floor = re.fullmatch(r">=\s*(3\.\d+)", project["requires-python"].strip())
    if not versions or floor is None or floor.group(1) != versions[0]:
        raise SystemExit(
            f"pyproject.toml: requires-python {project['requires-python']!r} and the"
            f" Python classifiers {versions} must start at the same version"
        )
    return versions


def _pyenv_root() -> Path:
    if os.environ.get("PYENV_ROOT"):
        return Path(os.environ["PYENV_ROOT"])
    pyenv = shutil.which("pyenv")
    if pyenv:
        out = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False)
        if out.returncode == 0 and out.stdout.strip():
            return Path(out.stdout.strip())
    return Path.home() / ".pyenv"


def find_python(version: str) -> tuple[Path | None, list[str]]:
    """An interpreter of ``version`` (e.g. "3.10"), and the places looked in."""
    candidates: list[Path] = []
    on_path = shutil.which(f"python{version}")
    if on_path:
        candidates.append(Path(on_path))
    pyenv_versions = _pyenv_root() / "versions"
    patches = []  # pyenv's 3.X.Y folders, newest Y first
    for folder in pyenv_versions.glob(f"{version}.*"):
        match = re.fullmatch(rf"{re.escape(version)}\.(\d+)", folder.name)
        if match:
            patches.append((int(match.group(1)), folder / "bin" / "python"))
    candidates += [python for _, python in sorted(patches, reverse=True)]
    for candidate in candidates:
        # a pyenv shim is on PATH even where that version is not selected: ask it
        try:
            out = subprocess.run(
                [str(candidate), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        except OSError:
            continue
        if out.returncode == 0 and out.stdout.strip() == version:
            return candidate, []
    return None, [f"python{version} on PATH", f"{pyenv_versions}/{version}.*"]


class Venv:
    """A fresh venv of one Python version with the project installed (``-e .[test]``)."""

    def __init__(self, version: str, python: Path, workdir: Path) -> None:
        self.version, self.python = version, python
        venv = workdir / f"venv-{version}"
        self.bin = venv / ("Scripts" if os.name == "nt" else "bin")
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        env.update(VIRTUAL_ENV=str(venv), PATH=f"{self.bin}{os.pathsep}{env.get('PATH', '')}")
        self.env = env
        self.started = time.monotonic()
        self.install_s = 0.0
        subprocess.run([str(python), "-m", "venv", str(venv)], check=True)  # seconds
        # pip runs in the background, so that the versions install at the same time
        pip = [str(self.bin / "python"), "-m", "pip", "install", "--quiet", "-e", ".[test]"]
        self._log = workdir / f"pip-{version}.log"
        with self._log.open("wb") as log:
            self._install = subprocess.Popen(pip, cwd=REPO, env=env, stdout=log, stderr=log)

    def installed(self) -> bool:
        self._install.wait()
        self.install_s = time.monotonic() - self.started
        if self._install.returncode != 0:
            print(self._log.read_text(errors="replace")[-8000:])
            print(f"::: Python {self.version}: the install failed", flush=True)
            return False
        return True

    def test(self) -> bool:
        started = time.monotonic()
        tests = [str(self.bin / "python"), "-m", "pytest", "-q", *TESTS]
        result = subprocess.run(tests, cwd=REPO, env=self.env, check=False)
        print(
            f"::: Python {self.version} ({self.python}):"
            f" {'passed' if result.returncode == 0 else 'FAILED'}"
            f" (install {self.install_s:.0f} s, tests {time.monotonic() - started:.0f} s)",
            flush=True,
        )
        return result.returncode == 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--allow-missing",
        action="store_true",
        help="report an absent version instead of failing",
    )
    parser.add_argument("versions", nargs="*", help="default: the oldest and newest supported")
    args = parser.parse_args(argv)
    supported = supported_versions()
    versions = args.versions or sorted({supported[0], supported[-1]}, key=supported.index)
    ok = True
    with tempfile.TemporaryDirectory(prefix="jupyter-azure-ai-pythons-") as workdir:
        venvs = []
        for version in versions:
            python, looked = find_python(version)
            if python is None:
                verdict = "skipped (--allow-missing)" if args.allow_missing else "FAILED"
                print(f"::: Python {version}: ABSENT (looked for {', '.join(looked)}): {verdict}")
                ok = ok and args.allow_missing
                continue
            print(f"::: Python {version}: {python} (installing in a fresh venv)", flush=True)
            venvs.append(Venv(version, python, Path(workdir)))
        # the installs run together; the tests one version after the other (timing tests)
        ready = [venv for venv in venvs if venv.installed()]
        ok = ok and len(ready) == len(venvs)
        for venv in ready:
            ok = venv.test() and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
