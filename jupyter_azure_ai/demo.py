"""``jupyter-azure-ai demo``: JupyterLab on the example notebooks, pointed at a local emulator.

The emulator runs in this process (a daemon thread); JupyterLab runs as a child process
whose environment carries the emulator's ``AZURE_*`` variables and CA bundle, so every
kernel it starts talks to the emulator. When JupyterLab exits (or on Ctrl-C, which stops
it), the emulator stops too. Only loopback addresses are used.
"""

from __future__ import annotations

import argparse
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
from pathlib import Path
from types import FrameType

FIRST_NOTEBOOK = "01-quickstart.ipynb"
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
        "--notebooks",
        type=Path,
        help="folder holding the example notebooks (default: notebooks/ of this clone)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print the JupyterLab command and the variables it would get, then exit",
    )


def find_notebooks(explicit: Path | None = None) -> Path:
    """The folder of the example notebooks: ``--notebooks``, this clone's, or ``./notebooks``."""
    if explicit is not None:
        candidates = [explicit]
    else:
        clone = Path(__file__).resolve().parent.parent  # an editable install from a clone
        candidates = [clone / "notebooks", Path.cwd() / "notebooks"]
    for folder in candidates:
        if (folder / FIRST_NOTEBOOK).is_file():
            return folder.resolve()
    looked = ", ".join(str(c) for c in candidates)
    raise DemoError(
        f"the example notebooks were not found (looked for {FIRST_NOTEBOOK} in {looked}):"
        " run the demo from a clone of the repository (python -m pip install -e '.[lab]'"
        " there), or pass --notebooks DIR"
    )


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


def main(args: argparse.Namespace) -> int:
    try:
        notebooks = find_notebooks(args.notebooks)
    except DemoError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    open_browser = not args.no_browser and has_display()
    port = args.port or free_port()
    command = lab_command(notebooks, port, open_browser)
    if args.dry_run:
        print(f"notebooks:  {notebooks}")
        print(f"command:    {shlex.join(command)}")
        print(f"variables:  {' '.join((*EMULATOR_VARIABLES, TOKEN_VARIABLE))}")
        print(f"url:        {lab_url(port, '<token>')}")
        return 0
    if importlib.util.find_spec("jupyterlab") is None:
        sys.stderr.write(
            "error: JupyterLab is not installed: python -m pip install -e '.[lab]'"
            " (or python -m pip install 'jupyterlab>=4.2')\n"
        )
        return 1
    token = secrets.token_urlsafe(24)
    print(f"notebooks:  {notebooks}")
    print(f"JupyterLab: {lab_url(port, token)}")
    print("Ctrl-C stops JupyterLab and the emulator.")
    return run(command, {TOKEN_VARIABLE: token}, notebooks)
