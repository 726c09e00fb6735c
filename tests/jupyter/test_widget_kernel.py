"""The chat panel's message handling in a real kernel, the test playing the front end.

The browser test (tests/e2e) drives the real UI; here the protocol is checked exactly:
deltas as custom messages, final state in traits, stop, new, the shared conversation.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from jupyter_azure_ai.emulator import Emulator

from .kernel import Kernel


@pytest.fixture(scope="module")
def kernel(emulator_server: Emulator) -> Iterator[Kernel]:
    k = Kernel(emulator_server.env())
    k.run("%load_ext jupyter_azure_ai\nimport jupyter_azure_ai")
    yield k
    k.shutdown()


class Panel:
    """The front end's side of one ChatWidget's comm."""

    def __init__(self, kernel: Kernel, code: str) -> None:
        self.kernel = kernel
        run = kernel.run(f"{code}\nprint(_w.comm.comm_id)")
        assert run.status == "ok", run.error
        self.comm_id = run.stdout.strip().splitlines()[-1]

    def send(self, content: dict[str, Any]) -> None:
        data = {"method": "custom", "content": content}
        msg = self.kernel.kc.session.msg("comm_msg", {"comm_id": self.comm_id, "data": data})
        self.kernel.kc.shell_channel.send(msg)

    def until_done(self, timeout: float = 30, on_delta: Any = None) -> list[dict[str, Any]]:
        """Comm messages of this widget up to and including the custom "done"."""
        got: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = self.kernel.kc.get_iopub_msg(timeout=deadline - time.monotonic())
            if msg["msg_type"] != "comm_msg" or msg["content"]["comm_id"] != self.comm_id:
                continue
            data = msg["content"]["data"]
            got.append(data)
            if data.get("method") == "custom" and data["content"]["type"] == "delta" and on_delta:
                on_delta()
            if data.get("method") == "custom" and data["content"]["type"] == "done":
                return got
        raise AssertionError(f"no 'done' within {timeout} s: {got[-3:]}")


def deltas(got: list[dict[str, Any]]) -> str:
    return "".join(
        d["content"]["text"]
        for d in got
        if d.get("method") == "custom" and d["content"]["type"] == "delta"
    )


def final_state(got: list[dict[str, Any]]) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for d in got:
        if d.get("method") == "update":
            state.update(d["state"])
    return state


def test_answer_streams_as_deltas_and_lands_in_the_transcript(
    kernel: Kernel, emulator: Emulator
) -> None:
    kernel.run("%azure reset")
    panel = Panel(kernel, "_w = jupyter_azure_ai.chat()")
    panel.send({"type": "ask", "text": "What is the capital of France?"})
    got = panel.until_done()
    state = final_state(got)
    streamed = deltas(got)
    assert "**Paris**" in streamed
    assert state["transcript"][-2:] == [
        {"role": "user", "text": "What is the capital of France?", "tools": []},
        {"role": "assistant", "text": streamed, "tools": []},
    ]
    assert state["busy"] is False and "out tokens" in state["status"]
    wire = json.dumps(got)
    for secret in (emulator.client_secret, emulator.subscription_key):
        assert secret not in wire
    assert "eyJ" not in wire


def test_magic_and_panel_share_the_conversation(kernel: Kernel) -> None:
    kernel.run("%azure reset")
    kernel.run("%%azure\nTell me about tea")
    panel = Panel(kernel, "_w = jupyter_azure_ai.chat()")
    panel.send({"type": "ask", "text": "And about coffee?"})
    assert "(turn 2 of this conversation)" in deltas(panel.until_done())
    run = kernel.run("%%azure\nAnd about water?")
    assert run.status == "ok"
    assert "(turn 3 of this conversation)" in kernel.run("print(_azure)").stdout
    separate = Panel(kernel, "_w = jupyter_azure_ai.chat(new_conversation=True)")
    separate.send({"type": "ask", "text": "And about juice?"})
    assert "(turn 1 of this conversation)" in deltas(separate.until_done())


def test_stop_cancels_at_once_and_new_starts_fresh(kernel: Kernel) -> None:
    kernel.run("%azure reset")
    panel = Panel(kernel, "_w = jupyter_azure_ai.chat(model='fault-slow')")
    panel.send({"type": "ask", "text": "Write 300 words about patience"})
    sent: dict[str, float] = {}

    def stop_once() -> None:
        if not sent:
            sent["at"] = time.perf_counter()
            panel.send({"type": "stop"})

    got = panel.until_done(on_delta=stop_once)
    assert time.perf_counter() - sent["at"] < 1.5
    state = final_state(got)
    assert "Stopped" in state["status"] and state["busy"] is False
    assert state["transcript"][-1]["role"] == "assistant"
    panel.send({"type": "new"})
    time.sleep(0.3)
    assert "transcript = []" in kernel.run("print('transcript =', _w.transcript)").stdout
    panel.send({"type": "ask", "text": "Tell me about juice"})
    assert "(turn 1 of this conversation)" in deltas(panel.until_done())


def test_tool_calls_reach_the_panel(kernel: Kernel) -> None:
    code = (
        "from jupyter_azure_ai import tool\n"
        "@tool\ndef get_weather(location: str) -> str:\n    return 'sunny in ' + location\n"
        "_w = jupyter_azure_ai.chat(tools=[get_weather], new_conversation=True)"
    )
    panel = Panel(kernel, code)
    panel.send({"type": "ask", "text": "What is the weather in Paris?"})
    got = panel.until_done()
    tools = [d["content"] for d in got if d.get("method") == "custom"
             and d["content"]["type"] == "tool"]  # fmt: skip
    assert tools == [{"type": "tool", "name": "get_weather", "input": '{"location": "Paris"}',
                      "result": "sunny in Paris", "is_error": False}]  # fmt: skip
    assert final_state(got)["transcript"][-1]["tools"][0]["result"] == "sunny in Paris"


def test_bytes_for_an_answer_stay_within_three_times_its_size(kernel: Kernel) -> None:
    panel = Panel(kernel, "_w = jupyter_azure_ai.chat(new_conversation=True)")
    panel.send({"type": "ask", "text": "Write 2000 words about API Management"})
    got = panel.until_done()
    answer = len(deltas(got).encode())
    sent = sum(len(json.dumps(d)) for d in got)
    assert answer > 10_000 and sent <= 3 * answer, (sent, answer)


def test_the_panel_writes_only_from_the_kernels_main_thread(kernel: Kernel) -> None:
    """Comm messages and trait changes are handed from the loop thread to the main one
    (design.md: only the main thread writes output), for a click and for ask(wait=True)."""
    code = (
        "import threading\n"
        "_threads = []\n"
        "_w = jupyter_azure_ai.chat(new_conversation=True)\n"
        "_send = _w.send\n"
        "_name = lambda: threading.current_thread().name\n"
        "_w.send = lambda c, **kw: (_threads.append(_name()), _send(c, **kw))\n"
        "_w.observe(lambda ch: _threads.append(_name()), 'status')\n"
    )
    panel = Panel(kernel, code)
    panel.send({"type": "ask", "text": "What is the capital of France?"})
    panel.until_done()
    run = kernel.run(
        "_w.ask('And of Italy?', wait=True)\nprint(sorted(set(_threads)), len(_threads))"
    )
    assert run.status == "ok", run.error
    names, count = run.stdout.strip().rsplit(" ", 1)
    assert names == "['MainThread']" and int(count) >= 6


def test_panel_settings_are_the_magics(kernel: Kernel) -> None:
    try:
        kernel.run("%azure config model=gpt-4o-mini max_retries=5")
        run = kernel.run("_w = jupyter_azure_ai.chat(new_conversation=True)\nprint(_w.model)")
        assert run.stdout.strip() == "gpt-4o-mini"
        run = kernel.run("print(jupyter_azure_ai.chat(model='gpt-4o').model)")
        assert run.stdout.strip() == "gpt-4o"  # chat(**overrides) wins
    finally:
        kernel.run("%azure config model= max_retries=")


def test_a_panel_before_load_ext_and_missing_settings(emulator: Emulator) -> None:
    env = {k: v for k, v in emulator.env().items() if k != "AZURE_APIM_ENDPOINT"}
    k = Kernel(env)
    try:
        missing = k.run("import jupyter_azure_ai\njupyter_azure_ai.chat()")
        assert missing.status == "error" and missing.error is not None
        (line,) = missing.error["traceback"]  # one line, as in the magic
        assert "config: Missing environment variable(s): AZURE_APIM_ENDPOINT" in line
        endpoint = emulator.env()["AZURE_APIM_ENDPOINT"]
        k.run(f"import os\nos.environ['AZURE_APIM_ENDPOINT'] = {endpoint!r}")
        early = k.run("from jupyter_azure_ai.jupyter.settings import current\n"
                      "current().model = 'gpt-4o'\n_w = jupyter_azure_ai.chat()")  # fmt: skip
        assert early.status == "ok", early.error
        k.run("%load_ext jupyter_azure_ai")
        run = k.run("%%azure\nhello")
        footer = run.displays()[-1]["content"]["data"]["text/plain"]
        assert footer.startswith("gpt-4o · "), footer  # the magic adopted the panel's setting
    finally:
        k.shutdown()
