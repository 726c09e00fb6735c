"""A bounded conversation on the emulator (api.md §7): what each request carried, read from
the request bodies themselves, and Azure's context_length_exceeded handled for the user."""

from __future__ import annotations

import re
from typing import Any

import pytest

from jupyter_azure_ai import (
    AzureAgentClient,
    AzureOpenAIOptions,
    ContextWindowError,
    ResultMessage,
    SystemMessage,
    UserMessage,
    tool,
)
from jupyter_azure_ai.emulator import Emulator
from jupyter_azure_ai.view import LeftOut, view_events

from .recording import Recorded

pytestmark = pytest.mark.anyio

CELL = "Cell {i}: summarise the sales figures of region {i} and plot them by month. " * 12


def opts(emu: Emulator, **kw: Any) -> AzureOpenAIOptions:
    return AzureOpenAIOptions.from_env(emu.env(), verify=emu.ca_path, **kw)


async def ask(client: AzureAgentClient, prompt: str) -> tuple[ResultMessage, int]:
    """The result, and how many earlier exchanges were left out (the view's LeftOut)."""
    await client.query(prompt)
    messages = [m async for m in client.receive_response()]
    result = messages[-1]
    assert isinstance(result, ResultMessage)
    left = [e.count for e in view_events(messages) if isinstance(e, LeftOut)]
    return result, left[-1] if left else 0


def chat_statuses(emu: Emulator) -> list[int]:
    return [r.status for r in emu.stats.requests if r.path.endswith("/chat/completions")]


async def test_the_bound_holds_over_a_long_session_and_the_previous_exchange_always_goes(
    emulator: Emulator, recorded: Recorded
) -> None:
    bound = 1500
    options = opts(emulator, max_history_tokens=bound)
    async with AzureAgentClient(options, http_client=recorded.client) as client:
        inputs = []
        for i in range(30):
            result, left_out = await ask(client, CELL.format(i=i))
            assert result.usage is not None
            inputs.append(result.usage["input_tokens"])
            body = recorded.bodies[-1]
            sent = recorded.prompts(body)
            assert sent[-1] == CELL.format(i=i)  # the current prompt always goes
            if i:
                assert sent[-2] == CELL.format(i=i - 1)  # and so does the previous exchange
            assert len(sent) - 1 == i - left_out  # the footer's count is what was left out
        # every exchange is kept, only what is sent is bounded
        asked = [m.content for m in client.history if isinstance(m, UserMessage)]
        assert asked == [CELL.format(i=i) for i in range(30)]
    one_cell = inputs[0]
    assert max(inputs) <= one_cell + bound * 1.1  # calibrated: within 10 % of the bound
    assert inputs[-1] < 30 * one_cell / 4  # unbounded it would be ~30 times one cell
    assert max(inputs[10:]) - min(inputs[10:]) < one_cell / 2  # a steady state, not growth


async def test_zero_sends_the_prompt_alone_and_none_sends_everything(
    emulator: Emulator, recorded: Recorded
) -> None:
    async with AzureAgentClient(
        opts(emulator, max_history_tokens=0), http_client=recorded.client
    ) as client:
        for i in range(4):
            _, left_out = await ask(client, CELL.format(i=i))
            assert recorded.prompts(recorded.bodies[-1]) == [CELL.format(i=i)]
            assert left_out == i
        client.settings = client.settings.replace(max_history_tokens=None)
        _, left_out = await ask(client, "and now everything")
        assert left_out == 0
        assert len(recorded.prompts(recorded.bodies[-1])) == 5
        assert "(turn 5 of this conversation)" in client.history[-1].result  # type: ignore[union-attr]


async def test_tool_call_exchanges_are_left_out_whole(
    emulator: Emulator, recorded: Recorded
) -> None:
    @tool
    async def get_weather(location: str) -> str:
        """Weather for a city.

        location: the city
        """
        return f"mild in {location} " + "with long details " * 60

    options = opts(emulator, tools=[get_weather], max_history_tokens=700)
    async with AzureAgentClient(options, http_client=recorded.client) as client:
        prompts = ["What is the weather in Paris and London?", CELL.format(i=1),
                   "What is the weather in Oslo?", CELL.format(i=2), CELL.format(i=3)]  # fmt: skip
        for prompt in prompts:
            await ask(client, prompt)
    saw_tools_left_out = False
    for body in recorded.bodies:
        calls: set[str] = set()
        for m in body["messages"]:
            calls |= {c["id"] for c in m.get("tool_calls") or []}
            if m["role"] == "tool":
                assert m["tool_call_id"] in calls  # never a result without its call
        prompts = recorded.prompts(body)
        if prompts[-1] == CELL.format(i=3) and "What is the weather in Oslo?" not in prompts:
            saw_tools_left_out = True
            assert not calls  # the whole tool exchange went, not half of it
    assert saw_tools_left_out


@pytest.mark.parametrize("form", ["", "-messages"])
async def test_context_length_exceeded_costs_one_failed_request_per_deployment(
    emulator: Emulator, form: str
) -> None:
    deployment = f"window-3{len(form):03d}{form}"  # its own window: nothing learned before
    options = opts(emulator, model=deployment, max_tokens=400, max_history_tokens=None)
    lefts = []
    async with AzureAgentClient(options) as client:
        for i in range(14):
            result, left_out = await ask(client, CELL.format(i=i))
            assert result.subtype == "success"
            lefts.append(left_out)
    assert chat_statuses(emulator).count(400) == 1
    assert lefts[:3] == [0, 0, 0] and lefts[-1] > 0
    # another client of the same endpoint knows the window too: no further 400
    async with AzureAgentClient(options) as other:
        for i in range(3):
            await ask(other, CELL.format(i=i))
        other.reset()
    assert chat_statuses(emulator).count(400) == 1


async def test_a_prompt_too_big_on_its_own_is_one_line_and_the_conversation_goes_on(
    emulator: Emulator,
) -> None:
    options = opts(emulator, model="window-2500", max_tokens=300)
    async with AzureAgentClient(options) as client:
        await ask(client, "hello")
        await client.query("Read this: " + "lots of pasted data, " * 900)
        with pytest.raises(ContextWindowError) as caught:
            async for _ in client.receive_response():
                pass
        text = str(caught.value)
        assert "\n" not in text and "2,500 tokens" in text and "window-2500" in text
        size = int(re.search(r"about ([\d,]+) tokens", text).group(1).replace(",", ""))  # type: ignore[union-attr]
        assert size > 2500 and caught.value.window == 2500
        assert chat_statuses(emulator).count(400) == 1  # told once, not retried blindly
        result, _ = await ask(client, "What is the capital of France?")
        assert result.subtype == "success" and "Paris" in (result.result or "")
        assert "(turn" not in (result.result or "")
        result, _ = await ask(client, "and then?")
        assert "(turn 3 of this conversation)" in (result.result or "")  # the failed one is not


async def test_the_note_is_a_system_message_with_the_numbers(emulator: Emulator) -> None:
    async with AzureAgentClient(opts(emulator, max_history_tokens=0)) as client:
        await ask(client, "first")
        await client.query("second")
        notes = [m async for m in client.receive_response() if isinstance(m, SystemMessage)]
    assert [n.subtype for n in notes] == ["history_bounded"]
    assert notes[0].data["left_out"] == 1 and notes[0].data["max_history_tokens"] == 0


async def test_the_estimate_is_calibrated_by_the_answers_prompt_tokens(emulator: Emulator) -> None:
    """Text the character estimate gets badly wrong (a mark every other character counts
    as about twice its estimate here): the bound still holds, from the second cell on."""
    dense = "Cell {i}: " + "a, b; c. " * 150
    bound = 2000
    async with AzureAgentClient(opts(emulator, max_history_tokens=bound)) as client:
        first, _ = await ask(client, dense.format(i=0))
        assert first.usage is not None
        one_cell = first.usage["input_tokens"]
        for i in range(1, 12):
            result, left_out = await ask(client, dense.format(i=i))
            assert result.usage is not None
            earlier = result.usage["input_tokens"] - one_cell
            assert earlier <= bound * 1.05, (i, earlier)
        assert left_out > 0


async def test_a_prompt_sent_alone_is_not_sent_again(emulator: Emulator) -> None:
    """With nothing earlier to leave out, asking again could not help: one request, and the
    size the line names is the 400's own count."""
    options = opts(emulator, model="window-1500-messages", max_tokens=200)
    async with AzureAgentClient(options) as client:
        await client.query("Summarise: " + "one row of data, " * 600)
        with pytest.raises(ContextWindowError) as caught:
            async for _ in client.receive_response():
                pass
    assert chat_statuses(emulator) == [400]
    assert f"about {caught.value.requested - 200:,} tokens" in str(caught.value)  # type: ignore[operator]
