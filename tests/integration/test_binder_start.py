"""binder/start: the emulator in the background, its variables in the environment, exec "$@".

Binder runs the notebook server as ``binder/start jupyter ...``; here a small Python
command takes the server's place. The emulator must answer while the command runs and
be gone shortly after it exits (its PID is in $JUPYTER_AZURE_AI_RUN_DIR/emulator.pid).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

START = Path(__file__).resolve().parents[2] / "binder" / "start"

pytestmark = pytest.mark.skipif(
    sys.platform == "win32" or shutil.which("bash") is None, reason="a bash script"
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def run_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    pid_file = tmp_path / "emulator.pid"
    if pid_file.exists():  # never leave an emulator behind, even when a test failed
        pid = int(pid_file.read_text())
        if _alive(pid):
            os.kill(pid, 15)


def _start(run_dir: Path, *command: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AZURE_")}
    env["JUPYTER_AZURE_AI_RUN_DIR"] = str(run_dir)
    # `python` in the script is this interpreter, as it is Binder's environment's there
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return subprocess.run(
        [str(START), *command], capture_output=True, text=True, env=env, timeout=60
    )


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_start_exports_the_emulator_and_execs_the_command(run_dir: Path) -> None:
    out = _start(run_dir, "python", "-c", "import os; print(os.environ['AZURE_APIM_ENDPOINT'])")
    assert out.returncode == 0, out.stderr
    url = urlsplit(out.stdout.strip())
    assert url.scheme == "https" and url.hostname == "127.0.0.1" and url.port
    assert url.path == "/openai"
    pid = int((run_dir / "emulator.pid").read_text())
    assert _gone_within(pid, 10), "the emulator outlived the command it was started for"


def test_the_command_can_ask_the_emulator(run_dir: Path) -> None:
    out = _start(
        run_dir, "python", "-m", "jupyter_azure_ai.cli", "ask", "What is the capital of France?"
    )
    assert out.returncode == 0, out.stderr
    assert "**Paris**" in out.stdout
    exports = (run_dir / "emulator.env").read_text()
    assert exports.startswith("export AZURE_TENANT_ID=")
    assert oct((run_dir / "emulator.env").stat().st_mode & 0o777) == "0o600"  # umask 077


def test_exit_status_is_the_commands(run_dir: Path) -> None:
    out = _start(run_dir, "python", "-c", "raise SystemExit(7)")
    assert out.returncode == 7
