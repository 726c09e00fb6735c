"""How the emulator picks tool calls from a prompt (scenarios.plan_reply): MCP tools by
their short name, the Task tool by an agent's name, numbers and enum values from the text."""

from __future__ import annotations

import json
from typing import Any

from jupyter_azure_ai.emulator.scenarios import plan_reply


def function(name: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema = {"type": "object", "properties": properties, "required": required}
    return {"type": "function", "function": {"name": name, "parameters": schema}}


ADD = function("mcp__calc__add", {"a": {"type": "integer"}, "b": {"type": "number"}}, ["a", "b"])
TASK = function(
    "Task",
    {
        "description": {"type": "string"},
        "prompt": {"type": "string"},
        "subagent_type": {"type": "string", "enum": ["code-reviewer", "accountant"]},
    },
    ["description", "prompt", "subagent_type"],
)


def calls(prompt: str, *tools: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    body = {"messages": [{"role": "user", "content": prompt}], "tools": list(tools)}
    return [(c.name, json.loads(c.arguments)) for c in plan_reply(body, "gpt-4").tool_calls]


def test_an_mcp_tool_is_called_by_its_short_name_with_the_prompts_numbers() -> None:
    assert calls("Use the add tool to add 15 and 2.5", ADD) == [
        ("mcp__calc__add", {"a": 15, "b": 2.5})
    ]
    assert calls("call add on 3 and 4", ADD) == [("mcp__calc__add", {"a": 3, "b": 4})]
    assert calls("the add tool, please: 1 and 2", ADD)[0][0] == "mcp__calc__add"


def test_a_word_containing_the_short_name_is_no_request() -> None:
    assert calls("What is the address of the shop?", ADD) == []
    assert calls("add 2 and 3", ADD) == []  # a verb, not the tool asked for by name


def test_task_is_called_alone_for_a_named_agent() -> None:
    got = calls("Ask the accountant agent: use the add tool on 2 and 3", TASK, ADD)
    assert got == [
        (
            "Task",
            {
                "description": "Ask the accountant agent: use",
                "prompt": "use the add tool on 2 and 3",
                "subagent_type": "accountant",
            },
        )
    ]
    assert calls("Write a haiku about a task", TASK) == []  # no agent named


def test_tool_call_ids_differ_between_tools_for_one_prompt() -> None:
    body = {"messages": [{"role": "user", "content": "use add and call pid"}],
            "tools": [ADD, function("mcp__calc__pid", {}, [])]}  # fmt: skip
    ids = [c.id for c in plan_reply(body, "gpt-4").tool_calls]
    assert len(ids) == 2 and len(set(ids)) == 2
