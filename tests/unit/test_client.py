"""AzureAgentClient and azure_query: message order, memory, reset, interrupt, tools."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest

from jupyter_azure_ai import (
    AssistantMessage,
    AzureAgentClient,
    AzureOpenAIError,
    CLIConnectionError,
    ResultMessage,
    StreamEvent,
    SystemMessage,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
    tool,
)

from .fakes import KEY, SECRET, Recorder, options, sse, stream_response, text_chunks

pytestmark = pytest.mark.anyio


def answer(text: str = "Paris is the capital") -> httpx.Response:
    return stream_response(text_chunks(text))


def weather_call(*places: str) -> httpx.Response:
    chunks: list[dict[str, Any]] = [{"choices": [{"index": 0, "delta": {"role": "assistant"}}]}]
    for i, place in enumerate(places):
        arguments = f'{{"location": "{place}"}}'
        function = {"name": "get_weather", "arguments": arguments}
        call = {"index": i, "id": f"call_{i}", "type": "function", "function": function}
        chunks.append({"choices": [{"index": 0, "delta": {"tool_calls": [call]}}]})
    chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
    return stream_response(chunks)


async def test_message_order_and_result() -> None:
    rec = Recorder(answer())
    async with rec.client() as client:
        await client.query("capital of France?")
        messages = [m async for m in client.receive_response()]
    kinds = [type(m) for m in messages]
    assert kinds == [SystemMessage, AssistantMessage, ResultMessage]
    init, reply, result = messages
    assert isinstance(init, SystemMessage) and init.subtype == "init"
    assert init.data["model"] == "gpt-4" and init.data["session_id"] == result.session_id
    assert KEY not in repr(init) and SECRET not in repr(init)
    assert isinstance(reply, AssistantMessage) and reply.content == [
        TextBlock("Paris is the capital ")
    ]
    assert isinstance(result, ResultMessage)
    assert (result.subtype, result.is_error, result.num_turns) == ("success", False, 1)
    assert result.usage == {"input_tokens": 7, "output_tokens": 3, "total_tokens": 10}
    # the answer reports gpt-4o-2024-11-20: priced by the built-in table (2.50 / 10.00 per 1M)
    assert result.total_cost_usd == pytest.approx((7 * 2.5 + 3 * 10.0) / 1e6)
    assert result.duration_ms >= result.duration_api_ms >= 0


async def test_conversation_memory_and_reset() -> None:
    rec = Recorder(answer("one"), answer("two"), answer("three"))
    async with rec.client(options(system_prompt="Be brief.")) as client:
        for prompt in ("first", "second"):
            await client.query(prompt)
            _ = [m async for m in client.receive_response()]
        session = client.session_id
        client.reset()
        assert client.history == [] and client.session_id != session
        await client.query("third")
        _ = [m async for m in client.receive_response()]
    second, third = rec.bodies()[1]["messages"], rec.bodies()[2]["messages"]
    assert [m["role"] for m in second] == ["system", "user", "assistant", "user"]
    assert second[2]["content"] == "one " and second[3]["content"] == "second"
    assert [m["content"] for m in third] == ["Be brief.", "third"]


async def test_failed_prompt_is_not_kept_in_the_conversation() -> None:
    rec = Recorder(httpx.Response(404, json={"error": {"code": "DeploymentNotFound",
                                                       "message": "no"}}), answer())  # fmt: skip
    async with rec.client() as client:
        await client.query("lost")
        with pytest.raises(AzureOpenAIError):
            _ = [m async for m in client.receive_response()]
        await client.query("again")
        _ = [m async for m in client.receive_response()]
    assert [m["content"] for m in rec.bodies()[1]["messages"]] == ["again"]


async def test_partial_messages_stream_events() -> None:
    rec = Recorder(answer("a b c"))
    async with rec.client(options(include_partial_messages=True)) as client:
        await client.query("hi")
        events = [m async for m in client.receive_response() if isinstance(m, StreamEvent)]
    texts = [e.event["delta"]["text"] for e in events if e.event["type"] == "content_block_delta"]
    assert texts == ["a ", "b ", "c "]
    assert events[-1].event == {"type": "message_stop"}
    assert len({e.uuid for e in events}) == len(events)


async def test_dict_tools_yield_tool_use_and_end() -> None:
    spec = {"type": "function", "function": {"name": "get_weather", "parameters": {}}}
    rec = Recorder(weather_call("Paris", "London"))
    async with rec.client(options(tools=[spec])) as client:
        await client.query("weather in Paris and London")
        messages = [m async for m in client.receive_response()]
    assert rec.bodies()[0]["tools"] == [spec]
    reply = messages[1]
    assert isinstance(reply, AssistantMessage)
    assert reply.content == [
        ToolUseBlock("call_0", "get_weather", {"location": "Paris"}),
        ToolUseBlock("call_1", "get_weather", {"location": "London"}),
    ]
    assert isinstance(messages[-1], ResultMessage) and len(rec.requests) == 1


async def test_declared_tool_calls_are_answered_before_the_next_turn() -> None:
    spec = {"type": "function", "function": {"name": "get_weather", "parameters": {}}}
    rec = Recorder(weather_call("Paris"), answer("ok"))
    async with rec.client(options(tools=[spec])) as client:
        for prompt in ("weather in Paris", "thanks"):
            await client.query(prompt)
            _ = [m async for m in client.receive_response()]
    sent = rec.bodies()[1]["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "tool", "user"]
    assert sent[2]["tool_call_id"] == "call_0"


async def test_python_tools_run_and_results_go_back() -> None:
    @tool
    def get_weather(location: str) -> str:
        """Current weather.

        location: city name
        """
        if location == "London":
            raise ValueError("no data for London")
        return f"sunny in {location}"

    rec = Recorder(weather_call("Paris", "London"), answer("done"))
    async with rec.client(options(tools=[get_weather])) as client:
        await client.query("weather?")
        messages = [m async for m in client.receive_response()]
    tool_msg = next(m for m in messages if isinstance(m, UserMessage))
    assert tool_msg.content == [
        ToolResultBlock("call_0", "sunny in Paris", is_error=False),
        ToolResultBlock("call_1", "ValueError: no data for London", is_error=True),
    ]
    sent = rec.bodies()[1]["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "tool", "tool"]
    assert sent[2] == {"role": "tool", "tool_call_id": "call_0", "content": "sunny in Paris"}
    fn = rec.bodies()[0]["tools"][0]["function"]
    assert fn["parameters"]["properties"]["location"] == {
        "type": "string",
        "description": "city name",
    }
    result = messages[-1]
    assert isinstance(result, ResultMessage) and result.num_turns == 2 and result.result == "done "


async def test_max_turns_bounds_the_loop() -> None:
    @tool
    def get_weather(location: str) -> str:
        return "rain"

    rec = Recorder(weather_call("Paris"))
    async with rec.client(options(tools=[get_weather], max_turns=3)) as client:
        await client.query("loop forever")
        messages = [m async for m in client.receive_response()]
    result = messages[-1]
    assert isinstance(result, ResultMessage)
    assert (result.subtype, result.is_error, result.num_turns) == ("error_max_turns", True, 3)
    assert len(rec.requests) == 3


async def test_interrupt_cancels_a_slow_stream_at_once() -> None:
    first = sse(text_chunks("early words")[:4], done=False)

    class Slow(httpx.AsyncByteStream):
        async def __aiter__(self) -> Any:
            yield first
            await anyio.sleep(30)  # the service stalls
            yield b"data: [DONE]\n\n"

    rec = Recorder(lambda r: httpx.Response(200, stream=Slow()), answer("after"))
    async with rec.client() as client:
        await client.query("slow")
        got: list[Any] = []

        async def consume() -> None:
            async for m in client.receive_response():
                got.append(m)

        with anyio.fail_after(5):
            async with anyio.create_task_group() as tg:
                tg.start_soon(consume)
                await anyio.sleep(0.2)
                await client.interrupt()
        result = got[-1]
        assert isinstance(result, ResultMessage) and result.subtype == "interrupted"
        assert result.result == "early words "
        await client.query("next")
        after = [m async for m in client.receive_response()]
    assert isinstance(after[-1], ResultMessage) and after[-1].result == "after "
    assert [m["content"] for m in rec.bodies()[1]["messages"]] == ["slow", "early words ", "next"]


async def test_streaming_input_answers_each_message() -> None:
    async def prompts() -> Any:
        yield {"type": "user", "message": {"role": "user", "content": "one"}}
        yield {"role": "user", "content": "two"}

    rec = Recorder(answer("A"), answer("B"))
    http = httpx.AsyncClient(transport=httpx.MockTransport(rec))
    messages: list[Any] = []
    async with AzureAgentClient(options(), http_client=http) as client:
        await client.query(prompts())
        async for m in client.receive_messages():  # as ClaudeSDKClient: it never ends alone
            messages.append(m)
            if len([r for r in messages if isinstance(r, ResultMessage)]) == 2:
                break
    results = [m for m in messages if isinstance(m, ResultMessage)]
    assert [r.result for r in results] == ["A ", "B "]
    assert len([m for m in messages if isinstance(m, SystemMessage)]) == 1
    await http.aclose()


async def test_receive_messages_spans_queries_until_disconnect() -> None:
    rec = Recorder(answer("A"), answer("B"))
    results: list[str | None] = []
    answered = [anyio.Event(), anyio.Event()]
    async with rec.client() as client:

        async def listen() -> None:
            async for m in client.receive_messages():
                if isinstance(m, ResultMessage):
                    results.append(m.result)
                    answered[len(results) - 1].set()

        async with anyio.create_task_group() as tg:
            tg.start_soon(listen)
            with anyio.fail_after(5):
                await client.query("one")
                await answered[0].wait()
                await client.query("two")
                await answered[1].wait()
            await client.disconnect()  # ends the listener's loop
    assert results == ["A ", "B "]


async def test_receive_response_started_first_waits_for_the_query() -> None:
    rec = Recorder(answer("A"))
    got: list[Any] = []
    async with rec.client() as client:

        async def receive() -> None:
            got.extend([m async for m in client.receive_response()])

        async with anyio.create_task_group() as tg:
            tg.start_soon(receive)
            await anyio.sleep(0.05)
            assert got == []  # waiting, not failing
            await client.query("late")
    assert isinstance(got[-1], ResultMessage) and got[-1].result == "A "


async def test_queries_before_receiving_are_answered_in_order() -> None:
    rec = Recorder(answer("A"), answer("B"), answer("C"))
    async with rec.client() as client:
        for prompt in ("one", "two", "three"):
            await client.query(prompt)
        answers = []
        for _ in range(3):
            answers.append([m async for m in client.receive_response()][-1].result)
    assert answers == ["A ", "B ", "C "]
    assert [b["messages"][-1]["content"] for b in rec.bodies()] == ["one", "two", "three"]


async def test_server_info_names_what_is_offered_and_no_secret() -> None:
    @tool
    def ping() -> str:
        """Answer pong."""
        return "pong"

    async with Recorder().client(options(tools=[ping])) as client:
        info = await client.get_server_info()
    assert info["model"] == "gpt-4" and info["tools"] == ["ping"]
    assert info["api_version"] and info["mcp_servers"] == []
    assert SECRET not in repr(info) and KEY not in repr(info)


async def test_receive_without_connect_or_query_is_a_clear_error() -> None:
    client = AzureAgentClient(options())
    with pytest.raises(CLIConnectionError, match="Not connected"):
        _ = [m async for m in client.receive_response()]


async def test_messages_carry_the_claude_fields() -> None:
    async with Recorder(answer("A")).client() as client:
        await client.query("hi")
        messages = [m async for m in client.receive_response()]
    assistant = next(m for m in messages if isinstance(m, AssistantMessage))
    assert (assistant.usage, assistant.error, assistant.uuid) == (None, None, None)
    result = messages[-1]
    assert isinstance(result, ResultMessage) and result.terminal_reason == "completed"
    assert result.permission_denials is None and result.model_usage is None


async def test_breaking_out_of_receive_messages_mid_answer_leaves_the_client_usable() -> None:
    rec = Recorder(answer("A"), answer("B"))
    async with rec.client() as client:
        await client.query("one")
        async for m in client.receive_messages():
            if isinstance(m, AssistantMessage):
                break  # before its ResultMessage
        await client.query("two")
        with anyio.fail_after(5):
            messages = [m async for m in client.receive_response()]
    assert isinstance(messages[-1], ResultMessage) and messages[-1].result == "B "
