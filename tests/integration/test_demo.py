"""`jupyter-azure-ai demo`: JupyterLab on the notebooks, pointed at an in-process emulator.

No real JupyterLab starts here: `--dry-run` shows what would run, and `demo.run` is
exercised with a small Python child in JupyterLab's place.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from jupyter_azure_ai import demo
from jupyter_azure_ai.emulator import Emulator

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).parent / "jupyter-azure-ai"
CLI = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "jupyter_azure_ai.cli"]


def _demo(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    environ = {k: v for k, v in environ.items() if not k.startswith("AZURE_")}
    return subprocess.run(
        [*CLI, "demo", *args], capture_output=True, text=True, env={**environ, **env}, timeout=60
    )


def _fields(stdout: str) -> dict[str, str]:
    return dict(line.split(":", 1) for line in stdout.splitlines() if ":" in line)


def test_demo_help() -> None:
    out = _demo("--help")
    assert out.returncode == 0, out.stderr
    for flag in ("--no-browser", "--dry-run", "--port", "--notebooks"):
        assert flag in out.stdout
    assert "JupyterLab" in out.stdout


def test_other_commands_still_listed() -> None:
    out = subprocess.run([*CLI, "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    assert "emulator" in out.stdout and "ask" in out.stdout and "demo" in out.stdout


def test_dry_run_prints_command_and_variable_names(emulator: Emulator) -> None:
    out = _demo("--dry-run", "--no-browser", "--port", "18888")
    assert out.returncode == 0, out.stderr
    fields = _fields(out.stdout)
    command = fields["command"].split()
    assert Path(command[0]).name.startswith("python") and command[1:3] == ["-m", "jupyterlab"]
    assert command[-1] == str(REPO / "notebooks" / "01-quickstart.ipynb")
    assert "--no-browser" in command and "--ServerApp.ip=127.0.0.1" in command
    assert "--ServerApp.port=18888" in command
    names = fields["variables"].split()
    assert names == [*emulator.env(), "JUPYTER_TOKEN"]  # the demo's list matches the emulator's
    assert urlsplit(fields["url"].strip()).hostname == "127.0.0.1"
    # names only: no value of this (or any) emulator, nothing started
    assert emulator.client_secret not in out.stdout and "=" not in fields["variables"]
    assert "https://" not in out.stdout


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="X11/Wayland display check")
def test_browser_opens_only_with_a_display() -> None:
    headless = _fields(_demo("--dry-run").stdout)["command"].split()
    assert "--no-browser" in headless
    with_display = _fields(_demo("--dry-run", DISPLAY=":0").stdout)["command"].split()
    assert "--no-browser" not in with_display
    forced = _fields(_demo("--dry-run", "--no-browser", DISPLAY=":0").stdout)["command"].split()
    assert "--no-browser" in forced


def test_missing_notebooks_is_a_clear_error(tmp_path: Path) -> None:
    out = _demo("--dry-run", "--notebooks", str(tmp_path))
    assert out.returncode == 1
    assert out.stderr.startswith("error: the example notebooks were not found")
    assert "--notebooks DIR" in out.stderr and "Traceback" not in out.stderr


def test_run_gives_the_child_the_emulator_and_stops_it_after(
    capfd: pytest.CaptureFixture[str],
) -> None:
    child = (
        "import os\n"
        "assert os.environ['JUPYTER_TOKEN'] == 't0k'\n"
        "assert os.path.isfile(os.environ['SSL_CERT_FILE'])\n"
        "assert os.environ['AZURE_CLIENT_SECRET']\n"
        "print('endpoint', os.environ['AZURE_APIM_ENDPOINT'])\n"
        "raise SystemExit(3)\n"
    )
    code = demo.run([sys.executable, "-c", child], {"JUPYTER_TOKEN": "t0k"}, REPO)
    out = capfd.readouterr().out
    assert code == 3  # JupyterLab's exit code is the demo's
    endpoint = next(line.split()[1] for line in out.splitlines() if line.startswith("endpoint"))
    url = urlsplit(endpoint)
    assert url.scheme == "https" and url.hostname == "127.0.0.1"
    assert url.port is not None
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", url.port), timeout=2):
        pass  # the emulator stopped with the child
