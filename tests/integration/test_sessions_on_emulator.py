"""Saved sessions on the emulator: a conversation held by one process is carried on by
another, and the request the new process sends holds the earlier exchanges (read from
the request body itself, and from the emulator's "(turn N of this conversation)", which
counts the user messages it received)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from jupyter_azure_ai import (
    AzureAgentClient,
    AzureOpenAIOptions,
    ResultMessage,
    azure_query,
    list_sessions,
)
from jupyter_azure_ai.emulator import Emulator

from .recording import Recorded

pytestmark = pytest.mark.anyio

# Process A: a conversation with a @tool round, then the process ends.
PROCESS_A = textwrap.dedent(
    """
    import anyio
    from jupyter_azure_ai import AzureAgentClient, AzureOpenAIOptions, tool

    @tool
    def get_weather(location: str) -> str:
        \"\"\"Current weather.

        location: city name
        \"\"\"
        return f"sunny in {location}"

    async def main() -> None:
        options = AzureOpenAIOptions.from_env(tools=[get_weather])
        async with AzureAgentClient(options) as client:
            for prompt in ("Tell me about tea", "What is the weather in Oslo?"):
                await client.query(prompt)
                async for _ in client.receive_response():
                    pass
            print(client.session_id)

    anyio.run(main)
    """
)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("JUPYTER_AZURE_AI_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def opts(emu: Emulator, **kw: Any) -> AzureOpenAIOptions:
    return AzureOpenAIOptions.from_env(emu.env(), verify=emu.ca_path, **kw)


def process_a(emu: Emulator) -> str:
    env = {**os.environ, **emu.env()}
    out = subprocess.run(
        [sys.executable, "-c", PROCESS_A], capture_output=True, text=True, env=env, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


async def ask(client: AzureAgentClient, prompt: str) -> ResultMessage:
    await client.query(prompt)
    messages = [m async for m in client.receive_response()]
    assert isinstance(messages[-1], ResultMessage)
    return messages[-1]


async def test_another_process_carries_on_with_the_conversation(
    emulator: Emulator, data_dir: Path, recorded: Recorded
) -> None:
    session_id = process_a(emulator)
    async with AzureAgentClient(
        opts(emulator, resume=session_id), http_client=recorded.client
    ) as client:
        result = await ask(client, "And about coffee?")
    assert result.session_id == session_id
    sent = recorded.bodies[0]["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user", "assistant", "tool",
                                         "assistant", "user"]  # fmt: skip
    assert sent[0]["content"] == "Tell me about tea"
    assert sent[3]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert sent[4]["content"] == "sunny in Oslo"
    assert "Based on get_weather: sunny in Oslo" in sent[5]["content"]
    assert "(turn 3 of this conversation)" in (result.result or "")


async def test_continue_conversation_and_fork_with_azure_query(
    emulator: Emulator, data_dir: Path
) -> None:
    session_id = process_a(emulator)
    answers = [m async for m in azure_query("Next?", opts(emulator, continue_conversation=True))]
    assert isinstance(answers[-1], ResultMessage)
    assert answers[-1].session_id == session_id
    assert "(turn 3 of this conversation)" in (answers[-1].result or "")

    before = (data_dir / "sessions" / f"{session_id}.jsonl").read_bytes()
    forked = [
        m
        async for m in azure_query("A branch", opts(emulator, resume=session_id, fork_session=True))
    ]
    assert isinstance(forked[-1], ResultMessage) and forked[-1].session_id != session_id
    assert "(turn 4 of this conversation)" in (forked[-1].result or "")
    assert (data_dir / "sessions" / f"{session_id}.jsonl").read_bytes() == before
    turns = {i.session_id: i.turns for i in list_sessions()}
    assert turns == {session_id: 3, forked[-1].session_id: 4}


def test_saved_files_hold_no_secret_or_token(emulator: Emulator, data_dir: Path) -> None:
    process_a(emulator)
    files = list((data_dir / "sessions").iterdir())
    assert len(files) == 1
    data = files[0].read_bytes()
    assert b"sunny in Oslo" in data  # the conversation is there...
    for secret in (emulator.client_secret, emulator.subscription_key):
        assert secret.encode() not in data  # ...and no credential
    assert b"eyJ" not in data  # no JWT-shaped token
