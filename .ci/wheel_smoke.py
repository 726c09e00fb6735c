"""The package as a user gets it: build the wheel, install it in a fresh venv, use it elsewhere.

    python .ci/wheel_smoke.py

1. ``python -m build``: the sdist, then the wheel built from that sdist.
2. The wheel holds every file git has under ``jupyter_azure_ai/`` (among them the chat
   panel's bundle, ``static/chat.js`` and ``chat.css``) and the example notebooks
   (``notebooks/*.ipynb``, as ``jupyter_azure_ai/notebooks/``), and nothing hidden or
   compiled.
3. A fresh venv gets the wheel alone (no ``-e``, no test tools). From a folder outside the
   clone, with no ``AZURE_*`` variables:
   - the package imports from the venv, its chat bundle is there and equals the clone's;
   - ``jupyter-azure-ai ask --emulator`` answers: the emulator starts (TLS, certificates)
     and the SDK streams from it;
   - ``jupyter-azure-ai demo --dry-run`` copies the notebooks into
     ``./jupyter-azure-ai-examples``, byte for byte, from inside the package; a second run
     keeps an edited copy; the notebooks inside site-packages stay untouched.

Any missing file or failed step fails the run (exit 1) with the step named.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUNDLE = ("jupyter_azure_ai/static/chat.js", "jupyter_azure_ai/static/chat.css")
QUESTION = "What is the capital of France?"


class SmokeError(Exception):
    """A failed check: the message names it."""


def _run(
    command: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if out.returncode != 0:
        raise SmokeError(
            f"{' '.join(command)} exited with {out.returncode}:\n"
            f"{out.stdout[-4000:]}\n{out.stderr[-4000:]}"
        )
    return out


def _step(name: str, started: float) -> None:
    print(f"    ok  {name} ({time.monotonic() - started:.1f} s)", flush=True)


def _tracked(*paths: str) -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "-z", "--", *paths],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return sorted(name for name in out.stdout.split("\0") if name and (REPO / name).is_file())


def build(out_dir: Path, env: dict[str, str]) -> Path:
    _run([sys.executable, "-m", "build", "--outdir", str(out_dir), str(REPO)], cwd=REPO, env=env)
    (wheel,) = out_dir.glob("*.whl")
    return wheel


def check_contents(wheel: Path) -> list[str]:
    """The wheel's notebooks (names); raises if a file is missing or one does not belong."""
    with zipfile.ZipFile(wheel) as archive:
        names = {n for n in archive.namelist() if not n.endswith("/")}
    expected = set(_tracked("jupyter_azure_ai"))
    notebooks = [Path(n).name for n in _tracked("notebooks") if n.endswith(".ipynb")]
    expected |= {f"jupyter_azure_ai/notebooks/{name}" for name in notebooks}
    missing = sorted(expected - names)
    if missing:
        raise SmokeError(f"the wheel lacks {len(missing)} file(s): {', '.join(missing)}")
    package = {n for n in names if ".dist-info/" not in n}
    strays = sorted(
        n
        for n in package
        if not n.startswith("jupyter_azure_ai/")
        or any(part.startswith(".") or part == "__pycache__" for part in n.split("/"))
        or n.endswith((".pyc", ".pyo"))
    )
    if strays:
        raise SmokeError(f"the wheel holds files that do not belong: {', '.join(strays)}")
    for name in BUNDLE:
        if name not in names:
            raise SmokeError(f"the wheel lacks the chat panel's bundle: {name}")
    return sorted(notebooks)


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*"))}


def check_installed(wheel: Path, notebooks: list[str], work: Path, env: dict[str, str]) -> None:
    venv = work / "venv"
    outside = work / "somewhere-else"
    outside.mkdir()
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = str(bin_dir / "python")
    cli = str(bin_dir / "jupyter-azure-ai")

    started = time.monotonic()
    _run([sys.executable, "-m", "venv", str(venv)], cwd=outside, env=env)
    _run([python, "-m", "pip", "install", "--quiet", str(wheel)], cwd=outside, env=env)
    _step("installed the wheel in a fresh venv", started)

    started = time.monotonic()
    where = _run(
        [
            python,
            "-c",
            "import jupyter_azure_ai as p, pathlib; print(pathlib.Path(p.__file__).parent)",
        ],
        cwd=outside,
        env=env,
    ).stdout.strip()
    package = Path(where)
    if venv.resolve() not in package.resolve().parents:
        raise SmokeError(f"jupyter_azure_ai was imported from {package}, not from the venv")
    for name in BUNDLE:
        installed = package.parent / name
        if not installed.is_file() or installed.read_bytes() != (REPO / name).read_bytes():
            raise SmokeError(f"{installed} is missing or differs from the clone's {name}")
    _step(f"imports from the venv ({package}); chat bundle present", started)

    started = time.monotonic()
    answer = _run([cli, "ask", "--emulator", QUESTION], cwd=outside, env=env, timeout=120)
    if "Paris" not in answer.stdout:
        raise SmokeError(f"ask --emulator did not answer: {answer.stdout!r} {answer.stderr!r}")
    _step("jupyter-azure-ai ask --emulator answers (emulator over TLS)", started)

    started = time.monotonic()
    shipped = package / "notebooks"
    before = _digest(shipped)
    _run([cli, "demo", "--dry-run", "--no-browser"], cwd=outside, env=env, timeout=120)
    examples = outside / "jupyter-azure-ai-examples"
    copied = sorted(p.name for p in examples.glob("*"))
    if copied != notebooks:
        raise SmokeError(f"demo --dry-run copied {copied}, expected {notebooks}")
    for name in notebooks:
        if (examples / name).read_bytes() != (REPO / "notebooks" / name).read_bytes():
            raise SmokeError(f"the copy of {name} differs from the clone's notebooks/{name}")
    edited = examples / notebooks[0]
    edited.write_text("my edits", encoding="utf-8")
    again = _run([cli, "demo", "--dry-run", "--no-browser"], cwd=outside, env=env, timeout=120)
    if edited.read_text(encoding="utf-8") != "my edits" or notebooks[0] not in again.stdout:
        raise SmokeError(f"a second demo run did not keep (and name) the edited {edited.name}")
    if _digest(shipped) != before or sorted(before) != notebooks:
        raise SmokeError(f"the notebooks inside the package ({shipped}) changed")
    _step(f"demo --dry-run copied {len(notebooks)} notebooks out of the package", started)


def smoke_env(work: Path) -> dict[str, str]:
    """The environment of every step: none of this machine's Azure settings or Python
    paths, and the conversation ``ask`` saves (sessions.py) kept in ``work``, not in the
    user's data dir."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AZURE_")
        and k
        not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")
    }
    env["JUPYTER_AZURE_AI_DATA_DIR"] = str(work / "data")
    return env


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="jupyter-azure-ai-wheel-") as tmp:
        work = Path(tmp)
        env = smoke_env(work)
        try:
            started = time.monotonic()
            wheel = build(work / "dist", env)
            _step(f"built {wheel.name} (from the sdist)", started)
            notebooks = check_contents(wheel)
            _step(f"the wheel holds every package file and {len(notebooks)} notebooks", started)
            check_installed(wheel, notebooks, work, env)
        except (SmokeError, subprocess.TimeoutExpired) as exc:
            print(f"::: wheel smoke test FAILED: {exc}", flush=True)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
