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


def run_on(version: str, python: Path, workdir: Path) -> bool:
    venv = workdir / f"venv-{version}"
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(VIRTUAL_ENV=str(venv), PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}")
    started = time.monotonic()
    subprocess.run([str(python), "-m", "venv", str(venv)], check=True)
    pip = [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", "-e", ".[test]"]
    installed = subprocess.run(pip, cwd=REPO, env=env, capture_output=True, text=True)
    if installed.returncode != 0:
        print(installed.stdout[-5000:], installed.stderr[-5000:], sep="\n")
        print(f"::: Python {version}: pip install failed")
        return False
    install_s = time.monotonic() - started
    tests = [str(bin_dir / "python"), "-m", "pytest", "-q", *TESTS]
    result = subprocess.run(tests, cwd=REPO, env=env)
    print(
        f"::: Python {version} ({python}): {'passed' if result.returncode == 0 else 'FAILED'}"
        f" (install {install_s:.0f} s, tests {time.monotonic() - started - install_s:.0f} s)",
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
        for version in versions:
            python, looked = find_python(version)
            if python is None:
                verdict = "skipped (--allow-missing)" if args.allow_missing else "FAILED"
                print(f"::: Python {version}: ABSENT (looked for {', '.join(looked)}): {verdict}")
                ok = ok and args.allow_missing
                continue
            print(f"::: Python {version}: {python}", flush=True)
            ok = run_on(version, python, Path(workdir)) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
