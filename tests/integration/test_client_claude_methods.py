"""ClaudeSDKClient's other methods on AzureAgentClient, over TLS on the emulator:
get_mcp_status, toggle/reconnect_mcp_server, stop_task, get_context_usage, rewind_files."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import anyio
import pytest

from jupyter_azure_ai import (
    AgentDefinition,
    AssistantMessage,
    AzureAgentClient,
    AzureOpenAIError,
    AzureOpenAIOptions,
    ConfigurationError,
    ResultMessage,
    TaskNotificationMessage,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
    create_sdk_mcp_server,
    tool,
)
from jupyter_azure_ai.emulator import Emulator

pytestmark = pytest.mark.anyio

CALC = Path(__file__).resolve().parent / "mcp_servers" / "calc_server.py"


@tool("echo", "Echo a word", {"word": str})
async def echo(args: dict[str, Any]) -> str:
    return str(args["word"])


def opts(emu: Emulator, **kw: Any) -> AzureOpenAIOptions:
    return AzureOpenAIOptions.from_env(emu.env(), verify=emu.ca_path, **kw)


def servers() -> dict[str, Any]:
    return {
        "calc": {"command": sys.executable, "args": [str(CALC)]},
        "utils": create_sdk_mcp_server("utils", "1.2.0", tools=[echo]),
    }


async def test_mcp_status_toggle_and_reconnect(emulator: Emulator) -> None:
    async with AzureAgentClient(opts(emulator, mcp_servers=servers())) as client:
        status = (await client.get_mcp_status())["mcpServers"]
        assert [(s["name"], s["status"]) for s in status] == [
            ("calc", "connected"),
            ("utils", "connected"),
        ]
        calc, utils = status
        assert [t["name"] for t in calc["tools"]] == ["add", "pid", "stall"]
        assert utils["serverInfo"] == {"name": "utils", "version": "1.2.0"}
        before = await pid_of(client)

        await client.toggle_mcp_server("utils", False)
        await client.toggle_mcp_server("calc", False)
        info = await client.get_server_info()
        assert info["tools"] == []
        await client.toggle_mcp_server("calc", True)
        await client.toggle_mcp_server("utils", True)
        after_toggle = await pid_of(client)
        assert after_toggle != before  # stopped while disabled, started again

        await client.reconnect_mcp_server("calc")
        assert await pid_of(client) not in (before, after_toggle)
        assert "mcp__utils__echo" in (await client.get_server_info())["tools"]
        with pytest.raises(ConfigurationError, match="no MCP server named 'nope'"):
            await client.toggle_mcp_server("nope", False)


async def pid_of(client: AzureAgentClient) -> str:
    await client.query("Use the pid tool")
    messages = [m async for m in client.receive_response()]
    (result,) = [b for m in messages if isinstance(m, UserMessage) and isinstance(m.content, list)
                 for b in m.content if isinstance(b, ToolResultBlock)]  # fmt: skip
    assert not result.is_error, result.content
    return str(result.content)


async def test_stop_task_stops_only_the_subagent(emulator: Emulator) -> None:
    @tool("stall", "Wait for a slow job", {"seconds": int})
    async def stall(args: dict[str, Any]) -> str:
        await anyio.sleep(args["seconds"])
        return "finished"

    options = opts(
        emulator,
        mcp_servers={"jobs": create_sdk_mcp_server("jobs", tools=[stall])},
        agents={"waiter": AgentDefinition("Waits", "You wait.", ["mcp__jobs__stall"])},
    )
    messages: list[Any] = []
    started = time.monotonic()
    async with AzureAgentClient(options) as client, anyio.create_task_group() as tg:
        await client.query("Ask the waiter agent: use the stall tool for 30 seconds")
        async for m in client.receive_response():
            messages.append(m)
            uses = [b for b in getattr(m, "content", []) if isinstance(b, ToolUseBlock)]
            if isinstance(m, AssistantMessage) and uses and uses[0].name == "Task":

                async def stop(task_id: str = uses[0].id) -> None:
                    await anyio.sleep(0.3)
                    await client.stop_task(task_id)

                tg.start_soon(stop)
    assert time.monotonic() - started < 10
    (note,) = [m for m in messages if isinstance(m, TaskNotificationMessage)]
    assert note.status == "stopped"
    result = messages[-1]
    assert isinstance(result, ResultMessage) and result.subtype == "success"  # the parent goes on
    assert result.result == "Based on Task: waiter was stopped (stop_task) before it finished"


async def test_context_usage_grows_with_the_conversation(emulator: Emulator) -> None:
    async with AzureAgentClient(opts(emulator, system_prompt="Be brief.")) as client:
        empty = await client.get_context_usage()
        await client.query("What is the capital of France?")
        _ = [m async for m in client.receive_response()]
        used = await client.get_context_usage()
        with pytest.raises(AzureOpenAIError, match="file checkpointing is not available"):
            await client.rewind_files("some-id")
    names = [c["name"] for c in used["categories"]]
    assert names == ["System prompt", "Tools", "Messages"]
    assert empty["totalTokens"] > 0 and used["totalTokens"] > empty["totalTokens"]
    assert used["model"] == "gpt-4" and used["maxTokens"] is None
