"""The agent loop end to end on the emulator: parallel tools, max_turns, MCP, interrupt."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
import pytest

from jupyter_azure_ai import (
    AssistantMessage,
    AzureAgentClient,
    AzureOpenAIOptions,
    CLINotFoundError,
    MCPServerError,
    ResultMessage,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
    azure_query,
    create_sdk_mcp_server,
    tool,
)
from jupyter_azure_ai.emulator import Emulator

pytestmark = pytest.mark.anyio

CALC = Path(__file__).resolve().parent / "mcp_servers" / "calc_server.py"


def opts(emu: Emulator, **kw: Any) -> AzureOpenAIOptions:
    return AzureOpenAIOptions.from_env(emu.env(), verify=emu.ca_path, **kw)


def tool_results(messages: list[Any]) -> list[ToolResultBlock]:
    return [b for m in messages if isinstance(m, UserMessage) for b in m.content  # type: ignore[misc]
            if isinstance(b, ToolResultBlock)]  # fmt: skip


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_parallel_calls_run_concurrently(emulator: Emulator) -> None:
    @tool
    async def get_weather(location: str) -> str:
        """Weather for a city.

        location: the city
        """
        await anyio.sleep(0.5)
        return f"mild in {location}"

    started = time.perf_counter()
    messages = [
        m
        async for m in azure_query(
            "What is the weather in Paris and London?", opts(emulator, tools=[get_weather])
        )
    ]
    assert time.perf_counter() - started < 0.95  # two 0.5 s calls at once
    assert [r.content for r in tool_results(messages)] == ["mild in Paris", "mild in London"]
    result = messages[-1]
    assert isinstance(result, ResultMessage) and result.subtype == "success"
    assert (
        result.result == "Based on get_weather: mild in Paris\nBased on get_weather: mild in London"
    )
    assert result.num_turns == 2 and result.usage and result.usage["output_tokens"] > 0


async def test_max_turns_stops_the_loop(emulator: Emulator) -> None:
    @tool
    def get_weather(location: str) -> str:
        return "rain"

    options = opts(emulator, tools=[get_weather], max_turns=1)
    messages = [m async for m in azure_query("What is the weather in Oslo?", options)]
    result = messages[-1]
    assert isinstance(result, ResultMessage)
    assert (result.subtype, result.is_error, result.num_turns) == ("error_max_turns", True, 1)
    assert [r.content for r in tool_results(messages)] == ["rain"]  # the round ran, no 2nd turn
    assert emulator.stats.chat_requests == 1


async def test_stdio_mcp_server_start_call_interrupt_shutdown(emulator: Emulator) -> None:
    servers = {"calc": {"command": sys.executable, "args": [str(CALC)], "env": {"X": "1"}}}
    client = AzureAgentClient(opts(emulator, mcp_servers=servers))
    with pytest.raises(RuntimeError, match="the caller failed"):
        async with client:
            await client.query("Use mcp__calc__pid please")
            messages = [m async for m in client.receive_response()]
            assert "mcp__calc__add" in messages[0].data["tools"]  # type: ignore[union-attr]
            (pid_result,) = tool_results(messages)
            assert not pid_result.is_error
            pid = int(str(pid_result.content))
            assert alive(pid) and pid != os.getpid()

            await client.query("Now mcp__calc__stall")
            got: list[Any] = []

            async def consume() -> None:
                got.extend([m async for m in client.receive_response()])

            with anyio.fail_after(10):
                async with anyio.create_task_group() as tg:
                    tg.start_soon(consume)
                    await anyio.sleep(0.5)
                    await client.interrupt()
            result = got[-1]
            assert isinstance(result, ResultMessage) and result.subtype == "interrupted"
            (stalled,) = tool_results(got)
            assert stalled.is_error and "interrupted" in str(stalled.content)

            await client.query("Use mcp__calc__add")  # the conversation is still valid
            after = [m async for m in client.receive_response()]
            assert [r.content for r in tool_results(after)] == ["2"]  # the emulator sends 1 + 1
            raise RuntimeError("the caller failed")
    assert not alive(pid)  # stopped on the error path, and reaped


async def test_mcp_server_that_fails_to_start_is_named(emulator: Emulator) -> None:
    crash = "import sys; print('boom: no config file', file=sys.stderr); sys.exit(3)"
    servers = {
        "broken": {"command": sys.executable, "args": ["-c", crash]},
    }
    with pytest.raises(MCPServerError, match=r"MCP server 'broken' failed to start: .*boom") as e:
        async for _ in azure_query("hello", opts(emulator, mcp_servers=servers)):
            pass
    assert e.value.server == "broken"
    missing = {"nope": {"command": "/no/such/mcp-server"}}
    with pytest.raises(
        MCPServerError, match="MCP server 'nope' failed to start: command '/no/such/mcp-server'"
    ) as missed:
        async with AzureAgentClient(opts(emulator, mcp_servers=missing)):
            pass
    assert isinstance(missed.value, CLINotFoundError)  # the Claude name for "not installed"
    assert emulator.stats.chat_requests == 0


async def test_in_process_sdk_mcp_server(emulator: Emulator) -> None:
    @tool("lookup", "Look up a stock price", {"symbol": str})
    async def lookup(args: dict[str, Any]) -> dict[str, Any]:
        return {"content": [{"type": "text", "text": f"{args['symbol']}: 42.0 USD"}]}

    market = create_sdk_mcp_server("market", tools=[lookup])
    options = opts(emulator, mcp_servers={"market": market})
    messages = [m async for m in azure_query("Use mcp__market__lookup for Contoso", options)]
    uses = [b for m in messages if isinstance(m, AssistantMessage) for b in m.content
            if isinstance(b, ToolUseBlock)]  # fmt: skip
    assert [(u.name, u.input) for u in uses] == [("mcp__market__lookup", {"symbol": "Contoso"})]
    result = messages[-1]
    assert isinstance(result, ResultMessage)
    assert result.result == "Based on mcp__market__lookup: Contoso: 42.0 USD"


async def test_interrupt_during_a_slow_python_tool(emulator: Emulator) -> None:
    finished: list[str] = []

    @tool
    async def crunch() -> str:
        await anyio.sleep(30)
        finished.append("crunch")
        return "done"

    async with AzureAgentClient(opts(emulator, tools=[crunch])) as client:
        await client.query("Please run crunch")
        got: list[Any] = []

        async def consume() -> None:
            got.extend([m async for m in client.receive_response()])

        started = time.perf_counter()
        with anyio.fail_after(5):
            async with anyio.create_task_group() as tg:
                tg.start_soon(consume)
                await anyio.sleep(0.3)
                await client.interrupt()
        assert time.perf_counter() - started < 2 and not finished
        assert isinstance(got[-1], ResultMessage) and got[-1].subtype == "interrupted"
        assert [r.is_error for r in tool_results(got)] == [True]


async def test_mcp_servers_survive_a_change_of_other_tools(emulator: Emulator) -> None:
    """The kernel's shared client sees other tools each %%azure --tool cell; an MCP
    server must keep running unless its own configuration changes."""
    servers = {"calc": {"command": sys.executable, "args": [str(CALC)]}}
    base = opts(emulator, mcp_servers=servers)
    client = AzureAgentClient(base)

    @tool
    def extra(x: int) -> int:
        return x

    async def server_pid(options: AzureOpenAIOptions) -> int:
        await client.query("Use mcp__calc__pid please", tools=options.tool_settings)
        (result,) = tool_results([m async for m in client.receive_response()])
        return int(str(result.content))

    async with client:
        first = await server_pid(base)
        assert await server_pid(replace(base, tools=[extra])) == first
        other = {**servers, "other": servers["calc"]}
        assert await server_pid(replace(base, mcp_servers=other)) == first  # calc unchanged
        changed = {"calc": {**servers["calc"], "env": {"CALC_RESTARTED": "1"}}}
        second = await server_pid(replace(base, mcp_servers=changed))
        assert second != first and not alive(first)
    assert not alive(second)
