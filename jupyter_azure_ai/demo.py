"""``jupyter-azure-ai demo``: JupyterLab on the example notebooks, pointed at a local emulator.

The notebooks ship inside the package (``jupyter_azure_ai/notebooks/`` of the wheel; in a
clone, ``notebooks/``). The demo never runs them there: it copies them into a folder of
the user's, ``./jupyter-azure-ai-examples`` by default (``--dir``), and opens JupyterLab
on that copy. Only missing files are copied, so a notebook the user edited is kept (and
named, when it differs from the shipped one). The default is a visible folder where the
command runs, as ``jupyter lab`` serves the folder it runs in: the user sees where the
examples went and finds their edits there later (a per-user data folder would hide them).

The emulator runs in this process (a daemon thread); JupyterLab runs as a child process
whose environment carries the emulator's ``AZURE_*`` variables and CA bundle, so every
kernel it starts talks to the emulator. When JupyterLab exits (or on Ctrl-C, which stops
it), the emulator stops too. Only loopback addresses are used.
"""

from __future__ import annotations

import argparse
import importlib.resources
import importlib.util
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    if sys.version_info >= (3, 11):
        from importlib.resources.abc import Traversable
    else:
        from importlib.abc import Traversable

FIRST_NOTEBOOK = "01-quickstart.ipynb"
DEFAULT_DIR = Path("jupyter-azure-ai-examples")
"""Where the examples are copied to, relative to the current directory."""
EMULATOR_VARIABLES = (
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_APIM_ENDPOINT",
    "AZURE_APIM_SUBSCRIPTION_KEY",
    "AZURE_AUTHORITY_HOST",
    "AZURE_OPENAI_DEPLOYMENT",
    "SSL_CERT_FILE",
    "REQUESTS_CA_BUNDLE",
)
"""What ``Emulator.env()`` sets (the tests check the two agree)."""
TOKEN_VARIABLE = "JUPYTER_TOKEN"  # JupyterLab's login token: kept off the command line
_STOP_GRACE_S = 15.0


class DemoError(Exception):
    """A problem the user can fix; shown as one line."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-browser",
        action="store_true",
        help="do not open a web browser (the default when there is no display)",
    )
    parser.add_argument("--port", type=int, default=0, help="JupyterLab port (0: any free port)")
    parser.add_argument(
        "--dir",
        type=Path,
        default=DEFAULT_DIR,
        help="folder to copy the example notebooks into and open; files already there are"
        f" kept (default: ./{DEFAULT_DIR})",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="copy the example notebooks, print the JupyterLab command and the variables it"
        " would get, and start nothing",
    )


_PACKAGE = Path(__file__).resolve().parent


def shipped_notebooks(package: Traversable | None = None) -> Traversable:
    """The example notebooks this installation carries.

    A wheel has them inside the package (``jupyter_azure_ai/notebooks``); an editable
    install from a clone finds them in the clone's ``notebooks/``.
    """
    package = importlib.resources.files("jupyter_azure_ai") if package is None else package
    candidates = [package / "notebooks"]
    if isinstance(package, Path) and (package.parent / "pyproject.toml").is_file():
        candidates.append(package.parent / "notebooks")  # a clone: <clone>/jupyter_azure_ai
    for folder in candidates:
        if (folder / FIRST_NOTEBOOK).is_file():
            return folder
    looked = ", ".join(str(c) for c in candidates)
    raise DemoError(
        f"the example notebooks are missing from this installation (looked for"
        f" {FIRST_NOTEBOOK} in {looked}): reinstall jupyter-azure-ai"
    )


@dataclass
class Copied:
    """What :func:`copy_examples` did in ``folder``."""

    folder: Path
    copied: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    """Files that were there already and differ from the shipped ones (the user's edits)."""


def copy_examples(source: Traversable, folder: Path) -> Copied:
    """Copy the ``*.ipynb`` files of ``source`` that ``folder`` lacks; never overwrite one."""
    folder = folder.expanduser().absolute()
    if folder.resolve().is_relative_to(_PACKAGE):
        raise DemoError(
            f"{folder} is inside the installed package: choose a folder of yours with --dir"
        )
    done = Copied(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for entry in sorted(source.iterdir(), key=lambda e: e.name):
            if not entry.name.endswith(".ipynb") or not entry.is_file():
                continue
            data = entry.read_bytes()
            target = folder / entry.name
            try:
                with target.open("xb") as out:  # "x": fails if the file exists, even in a race
                    out.write(data)
            except FileExistsError:
                if target.read_bytes() != data:
                    done.kept.append(entry.name)
            except OSError:  # e.g. a full disk: no half copy to be kept as "edited" next time
                target.unlink(missing_ok=True)
                raise
            else:
                done.copied.append(entry.name)
    except OSError as exc:
        raise DemoError(
            f"cannot copy the example notebooks into {folder}: {exc.strerror or exc}"
            " (choose another folder with --dir)"
        ) from None
    return done


def has_display(environ: Mapping[str, str] | None = None) -> bool:
    """Whether a browser can open: always on macOS and Windows; X11/Wayland elsewhere."""
    environ = os.environ if environ is None else environ
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def lab_command(notebooks: Path, port: int, open_browser: bool) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={notebooks}",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
    ]
    if not open_browser:
        command.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers often run as root; Jupyter refuses without
    command.append(str(notebooks / FIRST_NOTEBOOK))
    return command


def lab_url(port: int, token: str) -> str:
    return f"http://127.0.0.1:{port}/lab/tree/{FIRST_NOTEBOOK}?token={token}"


def run(command: Sequence[str], extra_env: Mapping[str, str], cwd: Path) -> int:
    """Start an emulator, run ``command`` with its variables, stop the emulator after."""
    from .emulator import start_emulator

    with start_emulator() as emu:
        env = {**os.environ, **emu.env(), **extra_env}
        print(f"emulator:   {emu.url} (Entra ID + APIM + Azure OpenAI, throwaway credentials)")
        sys.stdout.flush()
        main_thread = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, _stop_requested) if main_thread else None
        try:
            with subprocess.Popen(list(command), env=env, cwd=cwd) as child:
                try:
                    return child.wait()
                except (KeyboardInterrupt, _StopRequested):
                    # Ctrl-C reached JupyterLab too (it would ask "Shutdown?"): stop it for good.
                    child.terminate()
                    try:
                        child.wait(_STOP_GRACE_S)
                    except subprocess.TimeoutExpired:
                        child.kill()
                        child.wait()
                    return 130
        finally:
            if main_thread:
                signal.signal(signal.SIGTERM, previous)


class _StopRequested(Exception):
    """SIGTERM: stop JupyterLab, then the emulator, instead of dying and orphaning them."""


def _stop_requested(signum: int, frame: FrameType | None) -> None:
    raise _StopRequested


def _report(done: Copied, source: Traversable) -> None:
    print(f"notebooks:  {done.folder}")
    if done.copied:
        print(f"copied:     {' '.join(done.copied)} (from {source})")
    if done.kept:
        print(
            f"kept:       {' '.join(done.kept)} (yours differ from this version's;"
            " delete one to get it anew)"
        )


def main(args: argparse.Namespace) -> int:
    if not args.dry_run and importlib.util.find_spec("jupyterlab") is None:
        sys.stderr.write(
            "error: JupyterLab is not installed: python -m pip install 'jupyter-azure-ai[lab]'"
            " (in a clone: python -m pip install -e '.[lab]')\n"
        )
        return 1
    try:
        source = shipped_notebooks()
        done = copy_examples(source, args.dir)
    except DemoError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    notebooks = done.folder
    open_browser = not args.no_browser and has_display()
    port = args.port or free_port()
    command = lab_command(notebooks, port, open_browser)
    if args.dry_run:
        _report(done, source)
        print(f"command:    {shlex.join(command)}")
        print(f"variables:  {' '.join((*EMULATOR_VARIABLES, TOKEN_VARIABLE))}")
        print(f"url:        {lab_url(port, '<token>')}")
        return 0
    token = secrets.token_urlsafe(24)
    _report(done, source)
    print(f"JupyterLab: {lab_url(port, token)}")
    print("Ctrl-C stops JupyterLab and the emulator.")
    return run(command, {TOKEN_VARIABLE: token}, notebooks)
