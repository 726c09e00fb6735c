"""A bounded conversation in a real kernel (api.md §7): the magic's footer and the chat
panel's status say how many earlier exchanges were left out, both bounded as the SDK
client is; a prompt too long for the window is one line and the next cell works."""

from __future__ import annotations

from collections.abc import Iterator

import anyio
import pytest

from jupyter_azure_ai import AzureAgentClient, AzureOpenAIOptions
from jupyter_azure_ai.emulator import Emulator
from jupyter_azure_ai.view import LeftOut, view_events

from .kernel import Kernel
from .test_widget_kernel import Panel, final_state

# Prompts of different sizes, so that how many earlier exchanges fit changes from one to
# the next (the answers quote at most 200 characters of a prompt).
PROMPTS = [f"Question {i}: " + "tell me about the quarterly numbers " * n
           for i, n in enumerate([2, 30, 4, 25, 3, 3, 40, 2])]  # fmt: skip
BOUND = 700


@pytest.fixture(scope="module")
def kernel(emulator_server: Emulator) -> Iterator[Kernel]:
    k = Kernel(emulator_server.env())
    k.run("%load_ext jupyter_azure_ai\nimport jupyter_azure_ai")
    yield k
    k.shutdown()


@pytest.fixture
def fresh(kernel: Kernel, emulator: Emulator) -> Iterator[Kernel]:
    assert kernel.run("%azure reset").status == "ok"
    yield kernel
    kernel.run("%azure config max_history_tokens= model= max_tokens=")


def footer(run: object) -> str:
    return str(run.displays()[-1]["content"]["data"]["text/plain"])  # type: ignore[attr-defined]


def note(text: str) -> int:
    """The count in "N earlier exchange(s) left out", 0 when the note is absent."""
    for part in text.split(" · "):
        if part.endswith("left out"):
            return int(part.split()[0])
    return 0


def sdk_counts(emu: Emulator) -> list[int]:
    """What an AzureAgentClient leaves out for the same prompts and bound."""
    options = AzureOpenAIOptions.from_env(emu.env(), verify=emu.ca_path,
                                          max_history_tokens=BOUND)  # fmt: skip

    async def run() -> list[int]:
        counts = []
        async with AzureAgentClient(options) as client:
            for prompt in PROMPTS:
                await client.query(prompt)
                messages = [m async for m in client.receive_response()]
                left = [e.count for e in view_events(messages) if isinstance(e, LeftOut)]
                counts.append(left[-1] if left else 0)
        return counts

    return anyio.run(run)


def test_magic_panel_and_sdk_client_leave_out_the_same_exchanges(
    fresh: Kernel, emulator: Emulator
) -> None:
    expected = sdk_counts(emulator)
    assert expected[0] == 0 and max(expected) > 0 and len(set(expected)) > 2

    run = fresh.run(f"%azure config max_history_tokens={BOUND}")
    assert run.status == "ok" and f"max_history_tokens {BOUND}" in run.stdout
    from_magic = []
    for prompt in PROMPTS:
        run = fresh.run(f"%%azure\n{prompt}")
        assert run.status == "ok", run.error
        from_magic.append(note(footer(run)))
        if from_magic[-1]:
            n = from_magic[-1]
            assert f"{n} earlier exchange{'s' if n > 1 else ''} left out" in footer(run)
    assert from_magic == expected

    history = fresh.run("%azure history").everything()
    assert all(prompt.split(":")[0] in history for prompt in PROMPTS)  # all kept

    fresh.run("%azure reset")
    panel = Panel(fresh, "_w = jupyter_azure_ai.chat()")
    from_panel = []
    for prompt in PROMPTS:
        panel.send({"type": "ask", "text": prompt})
        state = final_state(panel.until_done())
        from_panel.append(note(state["status"]))
    assert from_panel == expected
    assert len(state["transcript"]) == 2 * len(PROMPTS)  # the panel shows every exchange


def test_zero_none_and_percent_config(fresh: Kernel) -> None:
    fresh.run("%config AzureMagics.max_history_tokens = 0")
    for i in range(3):
        run = fresh.run(f"%%azure\nquestion {i}")
        assert note(footer(run)) == i
        assert "(turn 1 of this conversation)" in fresh.run("print(_azure)").stdout
    run = fresh.run("%azure config max_history_tokens=none")
    assert "max_history_tokens None (no limit)" in run.stdout
    run = fresh.run("%%azure\nquestion 3")
    assert note(footer(run)) == 0
    assert "(turn 4 of this conversation)" in fresh.run("print(_azure)").stdout
    bad = fresh.run("%azure config max_history_tokens=lots")
    assert bad.status == "error"


def test_a_prompt_too_long_is_one_line_and_the_next_cell_works(fresh: Kernel) -> None:
    fresh.run("%azure config model=window-1800 max_tokens=300")
    assert fresh.run("%%azure\nhello").status == "ok"
    run = fresh.run("%%azure\nRead this: " + "pasted rows of data, " * 700)
    assert run.status == "error" and run.error is not None
    (line,) = run.error["traceback"]
    assert "context window: Prompt too long: about" in line and "1,800 tokens" in line
    run = fresh.run("%%azure\nWhat is the capital of France?")
    assert run.status == "ok", run.error
    assert "Paris" in fresh.run("print(_azure)").stdout
