"""Subagents (``agents`` + the ``Task`` tool) and the emulator's tool choice, over TLS."""

from __future__ import annotations

import json
import ssl
import time
from typing import Any

import anyio
import httpx
import pytest

from jupyter_azure_ai import (
    AgentDefinition,
    AssistantMessage,
    AzureAgentClient,
    AzureOpenAIOptions,
    HookMatcher,
    ResultMessage,
    SystemMessage,
    TaskNotificationMessage,
    TaskStartedMessage,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
    azure_query,
    create_sdk_mcp_server,
    tool,
)
from jupyter_azure_ai.emulator import Emulator

pytestmark = pytest.mark.anyio


@tool("add", "Add two integers", {"a": int, "b": int})
async def add(args: dict[str, Any]) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": str(args["a"] + args["b"])}]}


@tool("shout", "Say a word loudly", {"word": str})
async def shout(args: dict[str, Any]) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": args["word"].upper()}]}


def opts(emu: Emulator, **kw: Any) -> AzureOpenAIOptions:
    kw.setdefault("mcp_servers", {"calc": create_sdk_mcp_server("calc", tools=[add, shout])})
    return AzureOpenAIOptions.from_env(emu.env(), verify=emu.ca_path, **kw)


def accountant(**kw: Any) -> dict[str, AgentDefinition]:
    kw.setdefault("tools", ["mcp__calc__add"])
    return {"accountant": AgentDefinition("Does sums", "You add numbers.", **kw)}


async def run(options: AzureOpenAIOptions, prompt: str) -> list[Any]:
    return [m async for m in azure_query(prompt, options)]


async def asked(
    emu: Emulator, options: AzureOpenAIOptions, prompt: str
) -> tuple[list[Any], list[dict[str, Any]]]:
    """The answer's messages and every chat request body sent for it."""
    bodies: list[dict[str, Any]] = []

    async def keep(request: httpx.Request) -> None:
        if request.url.path.endswith("/chat/completions"):
            bodies.append(json.loads(request.content))

    tls = ssl.create_default_context(cafile=emu.ca_path)
    http = httpx.AsyncClient(verify=tls, event_hooks={"request": [keep]})
    async with http, AzureAgentClient(options, http_client=http) as client:
        await client.query(prompt)
        messages = [m async for m in client.receive_response()]
    return messages, bodies


async def test_task_runs_the_subagent_and_returns_its_answer(emulator: Emulator) -> None:
    options = opts(emulator, agents=accountant(model="gpt-4o-mini"))
    messages = await run(options, "Ask the accountant agent: use the add tool on 2 and 3")
    (task,) = [b for m in messages if isinstance(m, AssistantMessage) and not m.parent_tool_use_id
               for b in m.content if isinstance(b, ToolUseBlock)]  # fmt: skip
    assert task.name == "Task" and task.input["subagent_type"] == "accountant"
    assert task.input["prompt"] == "use the add tool on 2 and 3"
    inner = [m for m in messages if getattr(m, "parent_tool_use_id", None) == task.id]
    # as in the Claude SDK: a subagent's tool calls and results, not its text
    assert [type(m).__name__ for m in inner] == ["AssistantMessage", "UserMessage"]
    assert isinstance(inner[0].content[0], ToolUseBlock)
    assert {m.model for m in inner if isinstance(m, AssistantMessage)} == {"gpt-4o-mini-2024-07-18"}
    # the subagent's messages come before the parent's Task result, which is its final text
    results = [(i, b) for i, m in enumerate(messages) if isinstance(m, UserMessage)
               and not m.parent_tool_use_id
               for b in m.content if isinstance(b, ToolResultBlock)]  # fmt: skip
    ((index, result),) = results
    assert index > messages.index(inner[-1])
    assert result.content == "Based on mcp__calc__add: 5" and not result.is_error
    final = messages[-1]
    assert isinstance(final, ResultMessage) and final.subtype == "success"
    assert final.result == "Based on Task: Based on mcp__calc__add: 5"
    assert final.num_turns == 2  # the parent's turns; the subagent's usage is added
    init = messages[0]
    assert init.data["agents"] == ["accountant"] and "Task" in init.data["tools"]
    started, done = [m for m in messages if isinstance(m, SystemMessage) and m.subtype != "init"]
    assert isinstance(started, TaskStartedMessage) and started.task_id == task.id
    assert messages.index(started) < messages.index(inner[0])
    assert isinstance(done, TaskNotificationMessage) and done.status == "completed"
    assert done.usage is not None and done.usage["tool_uses"] == 1
    assert messages.index(done) == messages.index(inner[-1]) + 1


async def test_subagent_gets_its_own_system_prompt_and_only_its_tools(emulator: Emulator) -> None:
    options = opts(
        emulator,
        agents=accountant(model="sonnet"),
        system_prompt="Parent rules.",
        forward_subagent_text=True,
    )
    prompt = "Ask the accountant agent: use the shout tool on Hello"
    messages, sent = await asked(emulator, options, prompt)
    assert len(sent) == 3  # parent, subagent (text), parent
    inner = [m for m in messages if getattr(m, "parent_tool_use_id", None)]
    # shout is the parent's, not the accountant's: the subagent answers in text instead
    assert not any(isinstance(b, ToolUseBlock) for m in inner if isinstance(m, AssistantMessage)
                   for b in m.content)  # fmt: skip
    assert {m.model for m in inner if isinstance(m, AssistantMessage)} == {"gpt-4"}  # "sonnet"
    sub = [b for b in sent if b["messages"][0].get("content") == "You add numbers."]
    assert sub and all(
        [t["function"]["name"] for t in b.get("tools", [])] == ["mcp__calc__add"] for b in sub
    )
    parent = [b for b in sent if b["messages"][0].get("content") == "Parent rules."]
    assert "Task" in [t["function"]["name"] for t in parent[0]["tools"]]


async def test_parent_hooks_for_a_whole_answer_do_not_fire_in_the_subagent(
    emulator: Emulator,
) -> None:
    fired: list[str] = []

    async def record(data: dict[str, Any], tool_use_id: str | None, context: Any) -> dict[str, Any]:
        fired.append(data["hook_event_name"])
        return {}

    events = ["UserPromptSubmit", "Stop", "SubagentStart", "SubagentStop", "PreToolUse"]
    hooks = {e: [HookMatcher(hooks=[record])] for e in events}
    options = opts(emulator, agents=accountant(), hooks=hooks)
    await run(options, "Ask the accountant agent: use the add tool on 1 and 1")
    assert fired == [
        "UserPromptSubmit",
        "PreToolUse",  # Task
        "SubagentStart",
        "PreToolUse",  # the subagent's add
        "SubagentStop",
        "Stop",
    ]


async def test_disallowed_task_is_not_offered(emulator: Emulator) -> None:
    options = opts(emulator, agents=accountant(), disallowed_tools=["Task"])
    messages = await run(options, "Ask the accountant agent: say hi")
    assert "Task" not in messages[0].data["tools"]
    assert not any(getattr(m, "parent_tool_use_id", None) for m in messages)


async def test_mcp_tool_called_by_its_short_name(emulator: Emulator) -> None:
    messages = await run(opts(emulator), "Use the add tool to add 15 and 27")
    (use,) = [b for m in messages if isinstance(m, AssistantMessage) for b in m.content
              if isinstance(b, ToolUseBlock)]  # fmt: skip
    assert (use.name, use.input) == ("mcp__calc__add", {"a": 15, "b": 27})
    assert messages[-1].result == "Based on mcp__calc__add: 42"
    # a word that merely contains the short name is not a request for the tool
    plain = await run(opts(emulator), "What is the address of the shop?")
    assert not any(isinstance(b, ToolUseBlock) for m in plain if isinstance(m, AssistantMessage)
                   for b in m.content)  # fmt: skip


async def test_interrupt_stops_a_running_subagent(emulator: Emulator) -> None:
    @tool("stall", "Wait for a slow job", {"seconds": int})
    async def stall(args: dict[str, Any]) -> str:
        await anyio.sleep(args["seconds"])
        return "finished"

    server = create_sdk_mcp_server("jobs", tools=[stall])
    waiter = {"waiter": AgentDefinition("Waits for jobs", "You wait.", ["mcp__jobs__stall"])}
    options = opts(emulator, mcp_servers={"jobs": server}, agents=waiter)
    async with AzureAgentClient(options) as client:
        await client.query("Ask the waiter agent: use the stall tool for 30 seconds")
        started = time.monotonic()
        messages: list[Any] = []
        async with anyio.create_task_group() as tg:

            async def stop_soon() -> None:
                await anyio.sleep(0.5)
                await client.interrupt()

            tg.start_soon(stop_soon)
            messages = [m async for m in client.receive_response()]
        assert time.monotonic() - started < 10
        assert messages[-1].subtype == "interrupted"
        (done,) = [m for m in messages if isinstance(m, TaskNotificationMessage)]
        assert done.status == "stopped"
        await client.query("What is the capital of France?")  # the conversation stays valid
        after = [m async for m in client.receive_response()]
    assert "Paris" in after[-1].result


async def test_forward_subagent_text_yields_its_answer_too(emulator: Emulator) -> None:
    prompt = "Ask the accountant agent: use the add tool on 2 and 3"
    quiet = await run(opts(emulator, agents=accountant()), prompt)
    loud = await run(opts(emulator, agents=accountant(), forward_subagent_text=True), prompt)

    def inner_text(messages: list[Any]) -> list[str]:
        return [b.text for m in messages if isinstance(m, AssistantMessage) and m.parent_tool_use_id
                for b in m.content if hasattr(b, "text")]  # fmt: skip

    assert inner_text(quiet) == []
    assert inner_text(loud) == ["Based on mcp__calc__add: 5"]
    assert quiet[-1].result == loud[-1].result


async def test_agent_mcp_servers_and_permission_mode(emulator: Emulator, tmp_path: Any) -> None:
    agents = {
        "clerk": AgentDefinition(
            "Files and sums",
            "You keep the books.",
            tools=["Write"],
            mcpServers=["calc"],
            permissionMode="plan",
        )
    }
    options = opts(emulator, agents=agents, cwd=tmp_path, forward_subagent_text=True)
    messages = await run(options, "Ask the clerk agent: use the add tool on 4 and 5")
    inner = [m for m in messages if getattr(m, "parent_tool_use_id", None)]
    uses = [b for m in inner if isinstance(m, AssistantMessage) for b in m.content
            if isinstance(b, ToolUseBlock)]  # fmt: skip
    assert [u.name for u in uses] == ["mcp__calc__add"]  # the server it names
    assert messages[-1].result == "Based on Task: Based on mcp__calc__add: 9"
    write = 'Ask the clerk agent: Write {"file_path": "ledger.txt", "content": "x"}'
    messages = await run(options, write)
    assert not (tmp_path / "ledger.txt").exists()  # its plan mode, not the parent's default
    results = [b for m in messages if isinstance(m, UserMessage) and m.parent_tool_use_id
               for b in m.content if isinstance(b, ToolResultBlock)]  # fmt: skip
    assert results and results[0].is_error and "plan" in str(results[0].content)


async def test_subagent_tokens_count_and_are_priced_at_its_own_deployment(
    emulator: Emulator,
) -> None:
    prompt = "Ask the accountant agent: use the add tool on 2 and 3"
    results = []
    for model in ("gpt-4o", "gpt-4o-mini"):
        options = opts(emulator, model="gpt-4o", agents=accountant(model=model))
        results.append((await run(options, prompt))[-1])
    same, cheaper = results
    alone = (await run(opts(emulator, model="gpt-4o"), "What is the capital of France?"))[-1]
    assert same.usage == cheaper.usage  # the same tokens either way
    assert same.usage["input_tokens"] > alone.usage["input_tokens"]
    assert same.total_cost_usd is not None and cheaper.total_cost_usd is not None
    assert 0 < cheaper.total_cost_usd < same.total_cost_usd  # the subagent's part at mini prices
