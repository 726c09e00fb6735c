"""Conversations that survive a kernel restart (sessions.py), in real kernels.

Kernel A talks, then goes away (shut down, or killed mid-answer); kernel B, a new
process on the same data dir, lists the saved sessions, resumes one, and its next
question carries the earlier exchanges: the emulator's answer says which turn of the
conversation the request it received was ("(turn N of this conversation)" counts the
user messages in the request body). Chat panels, made before or after the resume,
show the resumed conversation.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from jupyter_azure_ai import AzureAgentClient, AzureOpenAIOptions, get_session_messages
from jupyter_azure_ai.emulator import Emulator
from jupyter_azure_ai.view import exchanges

from .kernel import CellRun, Kernel
from .test_widget_kernel import Panel, deltas


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data dir of this test's own, for its kernels and for this process."""
    monkeypatch.setenv("JUPYTER_AZURE_AI_DATA_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def kernels(emulator: Emulator, data_dir: Path) -> Iterator[list[Kernel]]:
    started: list[Kernel] = []
    yield started
    for k in started:
        k.shutdown()


def start(kernels: list[Kernel], emulator: Emulator, data_dir: Path) -> Kernel:
    k = Kernel({**emulator.env(), "JUPYTER_AZURE_AI_DATA_DIR": str(data_dir)})
    kernels.append(k)
    assert k.run("%load_ext jupyter_azure_ai\nimport jupyter_azure_ai").status == "ok"
    return k


def ask(k: Kernel, prompt: str, line: str = "") -> str:
    run = k.run(f"%%azure {line}\n{prompt}")
    assert run.status == "ok", run.error
    return k.run("print(_azure)").stdout


def session_of(k: Kernel) -> str:
    code = "from jupyter_azure_ai.jupyter.runtime import get_runtime\n"
    code += "print(get_runtime().client.session_id)"
    return k.run(code).stdout.strip()


def shown(run: CellRun) -> dict[str, str]:
    data = run.displays()[-1]["content"]["data"]
    return {"html": data["text/html"], "plain": data["text/plain"]}


def prompts(session_id: str) -> list[str]:
    return [e.prompt.strip() for e in exchanges(get_session_messages(session_id))]


def test_a_conversation_survives_a_restart(
    emulator: Emulator, data_dir: Path, kernels: list[Kernel]
) -> None:
    a = start(kernels, emulator, data_dir)
    assert "(turn 1 of this conversation)" in ask(a, "Tell me about tea")
    assert "(turn 2 of this conversation)" in ask(a, "And about coffee?")
    session_id = session_of(a)
    a.shutdown()
    kernels.remove(a)

    b = start(kernels, emulator, data_dir)
    listing = shown(b.run("%azure sessions"))
    row = next(line for line in listing["plain"].splitlines() if line.startswith(session_id[:8]))
    assert "Tell me about tea" in row and row.split()[-3] == "2"  # id, prompt, turns, when
    assert "<script" not in listing["html"] and "Tell me about tea" in listing["html"]

    resumed = b.run("%azure resume")
    assert resumed.status == "ok", resumed.error
    assert f"resumed session {session_id[:8]} (2 earlier exchanges)" in resumed.stdout
    assert "And about coffee?" in shown(resumed)["plain"]  # the conversation so far
    assert session_of(b) == session_id
    assert f"session {session_id}" in b.run("%azure status").stdout

    # the request kernel B sends carries the two earlier exchanges: this is turn 3
    assert "(turn 3 of this conversation)" in ask(b, "And about water?")
    assert prompts(session_id) == ["Tell me about tea", "And about coffee?", "And about water?"]
    assert "◀ now" in shown(b.run("%azure sessions"))["plain"]

    # %azure reset starts a new session; the resumed one stays listed
    b.run("%azure reset")
    assert "(turn 1 of this conversation)" in ask(b, "Tell me about juice")
    assert session_of(b) != session_id
    rows = shown(b.run("%azure sessions"))["plain"].splitlines()[1:]
    assert len(rows) == 2 and rows[0].startswith(session_of(b)[:8])  # newest first


def test_a_kernel_killed_mid_answer_loses_only_that_answer(
    emulator: Emulator, data_dir: Path, kernels: list[Kernel]
) -> None:
    a = start(kernels, emulator, data_dir)
    ask(a, "Tell me about tea")
    session_id = session_of(a)
    a.kc.execute("%%azure -m fault-slow\nWrite 400 words about patience")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # until the answer is streaming into the cell
        msg = a.kc.get_iopub_msg(timeout=30)
        if msg["msg_type"] in ("display_data", "update_display_data"):
            break
    a.km.shutdown_kernel(now=True)  # killed, mid-answer
    a.kc.stop_channels()
    kernels.remove(a)

    b = start(kernels, emulator, data_dir)
    resumed = b.run(f"%azure resume {session_id[:8]}")
    assert resumed.status == "ok", resumed.error
    assert "Write 400 words about patience" in shown(resumed)["plain"]
    # tea, its answer, the cut-off prompt (its answer was in flight), and this prompt
    assert "(turn 3 of this conversation)" in ask(b, "Shorter, please")
    assert prompts(session_id)[-1] == "Shorter, please"


def sdk_conversation(emulator: Emulator, *prompts: str) -> str:
    """A conversation held by a plain script (this process); its session id."""
    options = AzureOpenAIOptions.from_env(emulator.env(), verify=emulator.ca_path)

    async def run() -> str:
        async with AzureAgentClient(options) as client:
            for prompt in prompts:
                await client.query(prompt)
                _ = [m async for m in client.receive_response()]
            return client.session_id

    return anyio.run(run)


def comm_updates(run: CellRun, comm_id: str) -> list[dict[str, Any]]:
    return [
        m["content"]["data"]["state"]
        for m in run.of("comm_msg")
        if m["content"]["comm_id"] == comm_id and m["content"]["data"].get("method") == "update"
    ]


def test_panels_show_the_resumed_conversation(
    emulator: Emulator, data_dir: Path, kernels: list[Kernel]
) -> None:
    session_id = sdk_conversation(emulator, "Tell me about tea", "And about coffee?")
    k = start(kernels, emulator, data_dir)
    before = Panel(k, "_w = jupyter_azure_ai.chat()")  # shown before the resume

    resumed = k.run(f"%azure resume {session_id}")
    assert resumed.status == "ok", resumed.error
    updates = comm_updates(resumed, before.comm_id)
    transcript = next(u["transcript"] for u in updates if "transcript" in u)
    assert [t["text"] for t in transcript if t["role"] == "user"] == [
        "Tell me about tea",
        "And about coffee?",
    ]
    assert "(turn 2 of this conversation)" in transcript[-1]["text"]

    after = k.run("_v = jupyter_azure_ai.chat()\nprint(_v.comm.comm_id)")  # after the resume
    comm_id = after.stdout.strip()
    opened = [m["content"] for m in after.of("comm_open")]
    state = {**next(c for c in opened if c["comm_id"] == comm_id)["data"]["state"]}
    for update in comm_updates(after, comm_id):
        state.update(update)
    assert state["transcript"] == transcript
    assert emulator.client_secret not in json.dumps(state)

    before.send({"type": "ask", "text": "And about juice?"})
    assert "(turn 3 of this conversation)" in deltas(before.until_done())
    assert prompts(session_id)[-1] == "And about juice?"

    # while an answer streams, resume refuses in one line (it would swap the conversation)
    slow = Panel(k, "_w = jupyter_azure_ai.chat(model='fault-slow')")
    slow.send({"type": "ask", "text": "Write 300 words about patience"})
    while True:
        msg = k.kc.get_iopub_msg(timeout=30)
        data = msg["content"].get("data", {}) if msg["msg_type"] == "comm_msg" else {}
        if msg["content"].get("comm_id") == slow.comm_id and data.get("method") == "custom":
            break  # the first delta: the answer is under way
    refused = k.run(f"%azure resume {session_id}")
    assert refused.error is not None and "an answer is on its way" in refused.error["evalue"]
    slow.send({"type": "stop"})
    slow.until_done()


def test_resume_fork_leaves_the_saved_one_as_it_was(
    emulator: Emulator, data_dir: Path, kernels: list[Kernel]
) -> None:
    session_id = sdk_conversation(emulator, "Tell me about tea")
    saved = data_dir / "sessions" / f"{session_id}.jsonl"
    before = saved.read_bytes()
    k = start(kernels, emulator, data_dir)
    run = k.run(f"%azure resume {session_id[:8]} --fork")
    assert run.status == "ok", run.error
    forked = session_of(k)
    assert forked != session_id and f"as a fork, session {forked[:8]}" in run.stdout
    assert "(turn 2 of this conversation)" in ask(k, "And about coffee?")
    assert saved.read_bytes() == before
    assert prompts(forked) == ["Tell me about tea", "And about coffee?"]


def test_resume_errors_are_one_line(
    emulator: Emulator, data_dir: Path, kernels: list[Kernel]
) -> None:
    k = start(kernels, emulator, data_dir)
    assert "no saved conversation" in k.run("%azure resume").stdout
    assert "no saved conversation" in k.run("%azure sessions").stdout
    for word, said in (
        ("00000000-0000-4000-8000-000000000000", "no saved session"),
        ("zzzz", "no saved session starts with"),
        ("../etc", "no saved session starts with"),
    ):
        run = k.run(f"%azure resume {word}")
        assert run.error is not None and said in run.error["evalue"]
        assert "\n" not in run.error["evalue"]
    assert "%azure resume" in k.run("%azure --help").stdout
    typo = k.run("%azure resume --frok")
    assert typo.status == "error" and "usage: %azure resume [ID] [--fork]" in typo.stderr


def test_the_listing_shows_prompts_as_inert_text(
    emulator: Emulator, data_dir: Path, kernels: list[Kernel]
) -> None:
    hostile = '<img src=x onerror="alert(1)"> \x1b[31mred\x1b[0m'
    sdk_conversation(emulator, hostile)
    k = start(kernels, emulator, data_dir)
    listing = shown(k.run("%azure sessions"))
    assert "<img" not in listing["html"] and "&lt;img src=x" in listing["html"]
    assert "\x1b" not in listing["html"] + listing["plain"]
    assert "␛[31mred" in listing["plain"]
