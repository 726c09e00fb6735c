"""Saved sessions (sessions.py): the files, resume, continue, fork, delete, bad lines.

The client talks to ``httpx.MockTransport`` (fakes.Recorder); the session files are real
files in a temporary ``JUPYTER_AZURE_AI_DATA_DIR``.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from jupyter_azure_ai import (
    AzureAgentClient,
    AzureOpenAIError,
    ConfigurationError,
    ResultMessage,
    SystemMessage,
    UserMessage,
    delete_session,
    fork_session,
    get_session_info,
    get_session_messages,
    list_sessions,
    tool,
)
from jupyter_azure_ai.sessions import SessionFileWarning, load_session, sessions_dir

from .fakes import KEY, SECRET, Recorder, options, stream_response, text_chunks

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("JUPYTER_AZURE_AI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    return tmp_path / "data"


def answer(text: str = "Paris is the capital") -> httpx.Response:
    return stream_response(text_chunks(text))


def weather_call() -> httpx.Response:
    function = {"name": "get_weather", "arguments": '{"location": "Paris"}'}
    call = {"index": 0, "id": "call_0", "type": "function", "function": function}
    return stream_response(
        [
            {"choices": [{"index": 0, "delta": {"role": "assistant", "tool_calls": [call]}}]},
            {"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
        ]
    )


def not_found() -> httpx.Response:
    return httpx.Response(404, json={"error": {"code": "DeploymentNotFound", "message": "no"}})


@tool
def get_weather(location: str) -> str:
    """Current weather.

    location: city name
    """
    return f"sunny in {location}"


async def ask(client: AzureAgentClient, prompt: str) -> list[Any]:
    await client.query(prompt)
    return [m async for m in client.receive_response()]


def recorder() -> Recorder:
    return Recorder(answer(), weather_call(), answer("sunny, says the tool"), not_found(),
                    answer("You are welcome"), answer("Bye"))  # fmt: skip


async def conversation(rec: Recorder, **kw: Any) -> AzureAgentClient:
    """Three exchanges (one with a tool round) and a failed prompt between them; the
    client stays open (``aclose`` it)."""
    client = rec.client(options(tools=[get_weather], **kw))
    await client.connect()
    await ask(client, "What is the capital of France?")
    await ask(client, "Weather in Paris?")
    await client.query("lost")
    with pytest.raises(AzureOpenAIError):
        _ = [m async for m in client.receive_response()]
    await ask(client, "Thanks!")
    return client


def session_file(session_id: str) -> Path:
    return sessions_dir() / f"{session_id}.jsonl"


async def test_a_resumed_client_holds_the_same_history_and_sends_the_same_request() -> None:
    rec = recorder()
    original = await conversation(rec)
    session_id = original.session_id
    assert [i.session_id for i in list_sessions()] == [session_id]

    resumed = Recorder(answer("Bye"))
    client = resumed.client(options(tools=[get_weather], resume=session_id))
    assert client.session_id == session_id
    assert client.history == original.history  # every message, the failed prompt too
    async with client:
        messages = await ask(client, "One more thing")
    await ask(original, "One more thing")  # the same prompt, in the process that began it
    await original.disconnect()
    assert resumed.bodies()[0]["messages"] == rec.bodies()[-1]["messages"]
    sent = [m["role"] for m in resumed.bodies()[0]["messages"]]
    assert sent == [
        "user",
        "assistant",
        "user",
        "assistant",
        "tool",
        "assistant",
        "user",
        "assistant",
        "user",
    ]  # fmt: skip  (no "lost": it failed)
    assert isinstance(messages[0], SystemMessage) and messages[0].data["session_id"] == session_id
    # the file now holds both processes' messages, in order
    assert [p for e in _prompts(session_id) for p in [e]] == [
        "What is the capital of France?", "Weather in Paris?", "lost", "Thanks!",
        "One more thing", "One more thing"]  # fmt: skip


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _prompts(session_id: str) -> list[str]:
    return [
        m.content
        for m in get_session_messages(session_id)
        if isinstance(m, UserMessage) and isinstance(m.content, str)
    ]


async def test_files_are_private_and_hold_no_secret(data_dir: Path) -> None:
    client = await conversation(recorder())
    await client.disconnect()
    path = session_file(client.session_id)
    assert [mode(path), mode(path.parent), mode(data_dir)] == [0o600, 0o700, 0o700]
    text = path.read_text(encoding="utf-8")
    assert "sunny in Paris" in text and "Weather in Paris?" in text  # the conversation is there
    for secret in (SECRET, KEY, "token-SHOULD-NOT-LEAK"):
        assert secret not in text
    assert "eyJ" not in text
    assert all(json.loads(line)["session_id"] == client.session_id for line in text.splitlines())


async def test_a_secret_typed_into_a_prompt_is_scrubbed_from_the_file() -> None:
    rec = Recorder(answer())
    async with rec.client() as client:
        await ask(client, f"why does {KEY} not work?")
    text = session_file(client.session_id).read_text(encoding="utf-8")
    assert KEY not in text and "why does *** not work?" in text


async def test_a_line_cut_by_a_kill_is_skipped_with_a_warning_and_the_rest_loads() -> None:
    client = await conversation(recorder())
    await client.disconnect()
    path = session_file(client.session_id)
    whole = path.read_bytes()
    lines = whole.splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:-1]) + lines[-1][:25])  # the result line, cut
    with pytest.warns(SessionFileWarning, match=r"skipped 1 incomplete line"):
        saved = load_session(client.session_id)
    assert saved.history == client.history[:-1]  # all but the message in flight

    # carrying on repairs the end of the file: the next record is not glued to the cut one
    rec = Recorder(answer("Bye"))
    with pytest.warns(SessionFileWarning):
        resumed = rec.client(options(resume=client.session_id))
    async with resumed:
        await ask(resumed, "Still there?")
    with pytest.warns(SessionFileWarning, match=r"skipped 1 incomplete line"):
        again = get_session_messages(client.session_id)
    assert again[-1] == resumed.history[-1] and isinstance(again[-1], ResultMessage)
    assert [m.content for m in again if isinstance(m, UserMessage)][-1] == "Still there?"


async def test_garbage_lines_in_the_middle_are_skipped_too() -> None:
    client = await conversation(recorder())
    await client.disconnect()
    path = session_file(client.session_id)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(3, "not json at all")
    lines.insert(5, '{"type": "assistant", "message": {"oops": 1}}')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.warns(SessionFileWarning, match=r"skipped 2 incomplete line\(s\) \(4, 6\)"):
        saved = load_session(client.session_id)
    assert saved.history == client.history


async def test_json_lines_of_another_shape_are_skipped_and_the_listing_still_works() -> None:
    client = await conversation(recorder())
    await client.disconnect()
    path = session_file(client.session_id)
    odd = [
        '{"type": "user", "message": [1]}',  # message not an object
        '{"type": "user", "message": {"content": 5}}',
        '{"type": "assistant", "message": {"content": ["x"], "model": "m"}}',  # block a str
        '{"type": "session", "timestamp": 5, "cwd": 7}',  # a stray header of other types
    ]
    with path.open("a", encoding="utf-8") as f:
        f.write("\n".join(odd) + "\n")
    (info,) = list_sessions()  # one odd file must not break the listing of all
    assert info.turns == 4 and info.cwd == str(Path.cwd().resolve())
    assert info.created_at is not None
    assert [i.session_id for i in list_sessions(os.getcwd())] == [client.session_id]
    with pytest.warns(SessionFileWarning, match=r"skipped 3 incomplete line"):
        saved = load_session(client.session_id)
    assert saved.history == client.history and saved.cwd == info.cwd


async def test_fork_leaves_the_original_untouched() -> None:
    client = await conversation(recorder())
    await client.disconnect()
    original = session_file(client.session_id).read_bytes()

    rec = Recorder(answer("A new branch"))
    forked = rec.client(options(resume=client.session_id, fork_session=True))
    assert forked.session_id != client.session_id and forked.history == client.history
    assert not session_file(forked.session_id).exists()  # written with the first message
    async with forked:
        await ask(forked, "Branch here")
    assert session_file(client.session_id).read_bytes() == original
    assert _prompts(forked.session_id)[-2:] == ["Thanks!", "Branch here"]
    info = get_session_info(forked.session_id)
    assert info is not None and info.forked_from == client.session_id and info.turns == 5

    copy = fork_session(client.session_id).session_id
    assert copy not in (client.session_id, forked.session_id)
    assert get_session_messages(copy) == client.history
    assert session_file(client.session_id).read_bytes() == original
    assert len(list_sessions()) == 3


async def test_session_id_names_a_new_conversation_or_a_fork_as_in_the_claude_sdk() -> None:
    chosen = "0b6a4d52-6a57-4c38-9f3e-2b9c1d7e8a10"
    rec = Recorder(answer("First"))
    async with rec.client(options(session_id=chosen)) as client:
        assert client.session_id == chosen
        await ask(client, "Hello")
    assert session_file(chosen).is_file() and _prompts(chosen) == ["Hello"]
    with pytest.raises(ConfigurationError, match="already saved: resume= carries it on"):
        Recorder().client(options(session_id=chosen))
    with pytest.raises(ConfigurationError, match="needs fork_session=True"):
        options(resume=chosen, session_id="7d0f9a3e-1c2b-4a5d-8e6f-9a0b1c2d3e4f")
    with pytest.raises(ConfigurationError, match="session_id: 'main' is not a session id"):
        options(session_id="main")

    fork_id = "7d0f9a3e-1c2b-4a5d-8e6f-9a0b1c2d3e4f"
    rec = Recorder(answer("Branch"))
    async with rec.client(options(resume=chosen, fork_session=True, session_id=fork_id)) as fork:
        assert fork.session_id == fork_id and fork.history == client.history
        await ask(fork, "And then?")
    assert _prompts(fork_id) == ["Hello", "And then?"] and _prompts(chosen) == ["Hello"]


def test_the_claude_session_store_fields_are_accepted_with_no_effect() -> None:
    opts = options(
        resume_session_at="m-1", resume_drops_turn="m-2", session_store=object(),
        session_store_flush="eager", load_timeout_ms=0,
    )  # fmt: skip
    assert opts.session_settings.load_timeout_ms == 0 and opts.resume is None


async def test_delete_and_unknown_or_malformed_ids() -> None:
    client = await conversation(recorder())
    await client.disconnect()
    delete_session(client.session_id)
    assert list_sessions() == [] and get_session_info(client.session_id) is None
    for call in (
        lambda: delete_session(client.session_id),
        lambda: get_session_messages(client.session_id),
        lambda: options(resume=client.session_id) and AzureAgentClient(
            options(resume=client.session_id)),
    ):  # fmt: skip
        with pytest.raises(ConfigurationError, match="no saved session") as err:
            call()
        assert "\n" not in str(err.value)
    for bad in ("../../etc/passwd", "", "not-a-uuid"):
        with pytest.raises(ConfigurationError, match="not a session id"):
            options(resume=bad)
        with pytest.raises(ConfigurationError, match="not a session id"):
            delete_session(bad)


def test_session_options_are_checked() -> None:
    sid = "2f1c6a1e-8c1e-4a7e-9a55-1f0c6d1b2a3c"
    with pytest.raises(ConfigurationError, match="exclude each other"):
        options(resume=sid, continue_conversation=True)
    with pytest.raises(ConfigurationError, match="fork_session needs"):
        options(fork_session=True)
    o = options(continue_conversation=True, fork_session=True)
    plain = replace(o, continue_conversation=False, fork_session=False)
    assert o.session_settings.fork_session and o.connection == plain.connection
    assert o.settings == plain.settings  # the session part keys neither the pool nor a query


async def test_continue_picks_the_latest_session_of_this_folder(tmp_path: Path) -> None:
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    first = await conversation(recorder())
    await first.disconnect()
    rec = Recorder(answer())
    async with rec.client(options(cwd=elsewhere)) as other:  # newer, but another folder
        await ask(other, "Elsewhere")
    assert [i.session_id for i in list_sessions()] == [other.session_id, first.session_id]
    assert [i.session_id for i in list_sessions(os.getcwd())] == [first.session_id]

    here = Recorder(answer()).client(options(continue_conversation=True))
    assert here.session_id == first.session_id and here.history == first.history
    there = Recorder(answer()).client(options(continue_conversation=True, cwd=elsewhere))
    assert there.session_id == other.session_id
    empty = tmp_path / "empty"
    empty.mkdir()
    fresh = Recorder(answer()).client(options(continue_conversation=True, cwd=empty))
    assert fresh.history == [] and fresh.session_id not in (first.session_id, other.session_id)


async def test_list_sessions_says_first_prompt_turns_and_when() -> None:
    client = await conversation(recorder())
    await client.disconnect()
    (info,) = list_sessions()
    assert info.first_prompt == "What is the capital of France?"
    assert info.summary == "What is the capital of France?"
    assert info.turns == 4  # the failed prompt was asked too
    assert info.cwd == str(Path.cwd().resolve())
    assert info.created_at is not None and info.created_at <= info.last_modified
    assert info.file_size == session_file(client.session_id).stat().st_size
    assert list_sessions(limit=1, offset=1) == []


async def test_persist_session_false_writes_nothing(data_dir: Path) -> None:
    async with Recorder(answer()).client(options(persist_session=False)) as client:
        await ask(client, "keep this to yourself")
    assert list_sessions() == [] and not any(sessions_dir().parent.parent.iterdir())


async def test_bounded_sending_applies_to_a_resumed_session() -> None:
    client = await conversation(recorder())
    await client.disconnect()
    rec = Recorder(answer("ok"))
    resumed = rec.client(options(resume=client.session_id, max_history_tokens=0))
    async with resumed:
        messages = await ask(resumed, "Only this")
    assert [m["content"] for m in rec.bodies()[0]["messages"]] == ["Only this"]
    bounded = [m for m in messages if isinstance(m, SystemMessage)]
    assert bounded[-1].subtype == "history_bounded" and bounded[-1].data["left_out"] == 3
    assert _prompts(client.session_id)[-2:] == ["Thanks!", "Only this"]
    assert resumed.history[: len(client.history)] == client.history


async def test_reset_starts_a_new_session_file() -> None:
    rec = Recorder(answer())
    async with rec.client() as client:
        await ask(client, "one")
        first = client.session_id
        client.reset()
        await ask(client, "two")
    assert client.session_id != first
    assert _prompts(first) == ["one"] and _prompts(client.session_id) == ["two"]


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def test_a_client_holds_one_file_open_until_disconnect_and_reset() -> None:
    rec = Recorder(answer())
    before = open_fds()
    for _ in range(20):  # one azure_query after another: no descriptor is left behind
        async with rec.client() as client:
            await ask(client, "one")
            await ask(client, "two")
    assert open_fds() <= before
    async with rec.client() as client:
        for i in range(5):
            await ask(client, f"q{i}")
            client.reset()
        assert open_fds() <= before + 1
    assert len(list_sessions()) == 25
    assert all(i.turns in (1, 2) for i in list_sessions())


async def test_a_disk_that_refuses_warns_once_and_the_answer_still_comes(
    data_dir: Path,
) -> None:
    rec = Recorder(answer())
    async with rec.client() as client:
        blocked = sessions_dir() / f"{client.session_id}.jsonl"
        blocked.mkdir(parents=True)  # the file cannot be opened, even by root
        with pytest.warns(RuntimeWarning, match="is no longer saved"):
            first = await ask(client, "one")
        second = await ask(client, "two")  # no second warning, no error
    assert isinstance(first[-1], ResultMessage) and isinstance(second[-1], ResultMessage)
    assert list_sessions() == []


async def test_a_data_dir_the_user_named_keeps_its_mode_and_a_tilde_is_the_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jupyter_azure_ai.sessions import data_dir as where

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    monkeypatch.setenv("JUPYTER_AZURE_AI_DATA_DIR", str(shared))
    client = await conversation(recorder())
    await client.disconnect()
    assert [mode(shared), mode(shared / "sessions")] == [0o755, 0o700]
    assert mode(session_file(client.session_id)) == 0o600
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("JUPYTER_AZURE_AI_DATA_DIR", " ~/data ")
    assert where() == tmp_path / "home" / "data"


def test_batch_records_and_sessions_share_one_data_dir() -> None:
    from jupyter_azure_ai.batch import record
    from jupyter_azure_ai.sessions import data_dir as where

    assert record.data_dir is where and record.records_dir().parent == where()


def test_the_data_dir_is_the_override_else_platformdirs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jupyter_azure_ai.sessions import data_dir as where

    assert where() == tmp_path / "data"  # JUPYTER_AZURE_AI_DATA_DIR (every test sets one)
    monkeypatch.delenv("JUPYTER_AZURE_AI_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert where() == tmp_path / "xdg" / "jupyter-azure-ai"
