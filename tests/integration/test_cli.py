"""The `jupyter-azure-ai` command: `ask --emulator` (README command 1) and `emulator`."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

from jupyter_azure_ai.emulator import Emulator

CLI = [sys.executable, "-m", "jupyter_azure_ai.cli"]


def test_ask_with_in_process_emulator() -> None:
    out = subprocess.run(
        [*CLI, "ask", "--emulator", "What is the capital of France?"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "**Paris**" in out.stdout
    assert out.stderr.startswith("— gpt-4 ·") and "out tokens" in out.stderr
    assert "Traceback" not in out.stderr and "graceful shutdown" not in out.stderr


def test_ask_from_environment(emulator: Emulator) -> None:
    env = {**os.environ, **emulator.env()}
    out = subprocess.run(
        [*CLI, "ask", "-m", "gpt-4o", "Write a haiku"], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0 and "the notebook wakes up" in out.stdout


def test_model_text_cannot_drive_the_terminal(emulator: Emulator) -> None:
    env = {**os.environ, **emulator.env()}
    prompt = "Repeat verbatim: \x1b]0;pwned\x07\x1b[2J red \x1b[31mtext\x1b[0m\rover"
    out = subprocess.run([*CLI, "ask", prompt], capture_output=True, env=env)  # bytes: CR kept
    assert out.returncode == 0, out.stderr
    shown = out.stdout.decode()
    assert "\x1b" not in shown and "\x07" not in shown and "\r" not in shown
    assert "␛[31mtext" in shown  # shown as visible symbols


def test_ask_reports_errors_on_one_line(emulator: Emulator) -> None:
    env = {**os.environ, **emulator.env(), "AZURE_CLIENT_SECRET": "nope-nope"}
    out = subprocess.run([*CLI, "ask", "hello"], capture_output=True, text=True, env=env)
    assert out.returncode == 1
    assert out.stderr.startswith("error: Failed to acquire Azure AD token: AADSTS7000215")
    assert out.stderr.count("\n") == 1 and "nope-nope" not in out.stderr


def test_ask_without_configuration_names_the_variables() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AZURE_")}
    out = subprocess.run([*CLI, "ask", "hello"], capture_output=True, text=True, env=env)
    assert out.returncode == 1
    assert "AZURE_TENANT_ID" in out.stderr and "AZURE_APIM_SUBSCRIPTION_KEY" in out.stderr


def test_emulator_command_prints_exports_and_stops_cleanly() -> None:
    with subprocess.Popen(
        [*CLI, "emulator", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        try:
            assert proc.stdout is not None
            lines = [proc.stdout.readline() for _ in range(9)]
            exports = dict(shlex.split(line)[1].split("=", 1) for line in lines)
            assert exports["AZURE_APIM_ENDPOINT"].startswith("https://127.0.0.1:")
            assert exports["AZURE_APIM_ENDPOINT"].endswith("/openai")
            assert os.path.exists(exports["SSL_CERT_FILE"])
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(10)
    assert proc.returncode == 0


def test_ask_continue_and_resume_carry_a_saved_conversation_on(
    emulator: Emulator, tmp_path: Path
) -> None:
    env = {**os.environ, **emulator.env(), "JUPYTER_AZURE_AI_DATA_DIR": str(tmp_path)}

    def ask(*words: str) -> subprocess.CompletedProcess[str]:
        out = subprocess.run([*CLI, "ask", *words], capture_output=True, text=True, env=env)
        assert out.returncode == 0, out.stderr
        return out

    first = ask("Tell me about tea")
    session_id = first.stderr.strip().rsplit("session ", 1)[1]
    assert "(turn 1 of this conversation)" in first.stdout
    second = ask("--continue", "And about coffee?")
    assert "(turn 2 of this conversation)" in second.stdout
    assert second.stderr.strip().endswith(f"session {session_id}")
    third = ask("-r", session_id, "And about water?")
    assert "(turn 3 of this conversation)" in third.stdout
    assert "(turn 1 of this conversation)" in ask("A new one").stdout
    unknown = subprocess.run([*CLI, "ask", "-r", "nope", "hi"], capture_output=True, text=True,
                             env=env)  # fmt: skip
    assert unknown.returncode == 1 and "not a session id" in unknown.stderr
    assert len(unknown.stderr.strip().splitlines()) == 1
