"""One round of tool calls: check each call, then run the allowed ones concurrently.

Per call, in order: known tool? → arguments fit the schema? → PreToolUse hooks and
``can_use_tool`` (asked one call at a time, in the model's order, so a person
answering prompts sees them one by one) → the tool, under its timeout → PostToolUse
hooks. Every failure becomes a one-line ``ToolResultBlock(is_error=True)``.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import anyio

from ..errors import ConfigurationError
from ..options import ToolSettings
from ..tools import SdkTool, ToolError, result_content
from ..types import ToolResultBlock, ToolUseBlock
from . import permissions

current_tool_use_id: ContextVar[str] = ContextVar("current_tool_use_id", default="")
"""The id of the call a tool handler is running for (the ``Task`` tool marks its
subagent's messages with it)."""


@dataclass
class ToolSet:
    """What one query offers: ``specs`` for the request, ``runnable`` for the SDK to call.

    Names in ``specs`` but not in ``runnable`` are declarative (plain OpenAI dicts).
    ``messages``: what tools produced for the caller during a round (a subagent's
    messages), yielded before the round's results.
    """

    specs: list[dict[str, Any]] = field(default_factory=list)
    runnable: dict[str, SdkTool] = field(default_factory=dict)
    messages: list[Any] = field(default_factory=list)

    def add(self, tool: SdkTool | dict[str, Any]) -> None:
        spec = tool.to_openai() if isinstance(tool, SdkTool) else tool
        name = (spec.get("function") or {}).get("name")
        if name in self.names():
            raise ConfigurationError(f"two tools are named {name!r}: tool names must be unique")
        self.specs.append(spec)
        if isinstance(tool, SdkTool):
            self.runnable[tool.name] = tool

    def names(self) -> list[str]:
        return [str((s.get("function") or {}).get("name")) for s in self.specs]

    def declarative(self, name: str) -> bool:
        return name not in self.runnable and name in self.names()


async def run_tool_calls(
    tools: ToolSet,
    uses: list[ToolUseBlock],
    options: ToolSettings,
    session_id: str,
    results: list[ToolResultBlock | None],
) -> bool:
    """Fill ``results`` (one per use, in order); True when a denial asked to interrupt.

    ``results`` is the caller's so that calls finished before an interrupt are kept.
    """
    ready: list[tuple[int, SdkTool, dict[str, Any]]] = []
    interrupt = False
    for i, use in enumerate(uses):
        tool = tools.runnable.get(use.name)
        if tool is None:
            offered = ", ".join(tools.runnable) or "none"
            results[i] = _error(use, f"there is no tool named {use.name!r} (tools: {offered})")
            continue
        problem = tool.validate(use.input)
        if problem is None:
            decision = await permissions.decide(options, use, session_id)
            problem, interrupt = decision.denied, interrupt or decision.interrupt
            if problem is None and decision.input != use.input:
                problem = tool.validate(decision.input)  # an edited input must fit too
        if problem is not None:
            results[i] = _error(use, problem)
        else:
            ready.append((i, tool, decision.input))

    stops: list[str] = []  # PostToolUse hooks that said continue_=False: end after this round

    async def one(i: int, tool: SdkTool, tool_input: dict[str, Any]) -> None:
        current_tool_use_id.set(uses[i].id)  # this task's own context
        content, is_error = await _call(tool, tool_input)
        content, is_error = await permissions.after(
            options, uses[i], tool_input, content, is_error, session_id, stops
        )
        results[i] = ToolResultBlock(uses[i].id, content, is_error=is_error)

    async with anyio.create_task_group() as tg:
        for i, tool, tool_input in ready:
            tg.start_soon(one, i, tool, tool_input)
    return interrupt or bool(stops)


async def _call(tool: SdkTool, tool_input: dict[str, Any]) -> tuple[str, bool]:
    limit = tool.timeout
    with anyio.move_on_after(limit) as scope:
        try:
            return result_content(await tool.call(tool_input))
        except ToolError as exc:
            return " ".join(str(exc).split()), True
        except Exception as exc:
            return permissions.one_line(exc), True
    assert scope.cancelled_caught
    return f"{tool.name} timed out after {limit:g} s", True


def _error(use: ToolUseBlock, reason: str) -> ToolResultBlock:
    return ToolResultBlock(use.id, reason, is_error=True)


def interrupted_result(use: ToolUseBlock) -> ToolResultBlock:
    return _error(use, "interrupted by the user before the tool finished")
