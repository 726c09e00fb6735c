"""The ``Task`` tool: the model hands a piece of work to a named subagent (``agents``).

A subagent is another run of the turn loop on the same client (same transport, token
and session) with its own conversation: its ``AgentDefinition.prompt`` as the system
message, the ``prompt`` the model wrote as the user message, its own tools (a subset of
the parent's, plus the built-in file tools it names) and its own deployment. Its final
text is the ``Task`` call's result, which the parent model reads as any tool result.

Its tool calls and results (``AssistantMessage`` / ``UserMessage``; with
``forward_subagent_text`` also its text and ``StreamEvent``s) carry
``parent_tool_use_id`` = the ``Task`` call's id and reach the caller when the call
finishes, before the parent's tool results (``ToolSet.messages``), between a
``TaskStartedMessage`` and a ``TaskNotificationMessage`` (status ``"completed"``,
``"failed"``, or ``"stopped"`` by an interrupt; summary and usage). Its usage is added
to the parent's ``ResultMessage`` and priced at its own deployment (``total_cost_usd``
and ``max_budget_usd`` count it). A subagent is not offered ``Task`` itself, as in the
Claude Agent SDK: no recursion.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio

from ..message_types import TaskNotificationMessage, TaskStartedMessage, TaskUsage
from ..options import BUILTIN_TOOLS, QuerySettings, ToolSettings
from ..tools import SdkTool
from ..types import AgentDefinition, AssistantMessage, StreamEvent, ToolUseBlock, UserMessage
from . import agent as loop
from . import hook_events
from .tool_calls import ToolSet, current_tool_use_id
from .transport import AzureHTTPTransport

TASK_TOOL = "Task"
_PARENT = frozenset({"UserPromptSubmit", "Stop", "SubagentStart", "SubagentStop"})
CLAUDE_MODEL_ALIASES = frozenset({"sonnet", "opus", "haiku", "inherit"})
"""``AgentDefinition.model`` values naming Claude models: the parent's deployment is used."""


class Subagents:
    """The ``agents`` of one query, and the ``Task`` tool that runs them."""

    def __init__(
        self,
        tool_settings: ToolSettings,
        settings: QuerySettings,
        offered: ToolSet,
        transport: AzureHTTPTransport,
        stats: loop.RunStats,
        session_id: str,
    ) -> None:
        self.agents: dict[str, AgentDefinition] = dict(tool_settings.agents or {})
        self.tool_settings = tool_settings
        self.settings = settings
        self.offered = offered
        self.transport = transport
        self.stats = stats
        self.session_id = session_id
        self.running: dict[str, anyio.CancelScope] = {}  # Task call id -> its run

    def stop(self, task_id: str) -> None:
        """Cancel the subagent running for ``task_id`` (``stop_task``); else nothing."""
        scope = self.running.get(task_id)
        if scope is not None:
            scope.cancel()

    def task_tool(self) -> SdkTool:
        """``Task(description, prompt, subagent_type)``; the agents are listed in its
        description so the model knows whom to ask for what."""
        listing = "\n".join(f"- {name}: {a.description}" for name, a in self.agents.items())
        schema = {
            "type": "object",
            "properties": {
                "description": {
                    "type": "string",
                    "description": "A short (3-5 word) description of the task",
                },
                "prompt": {"type": "string", "description": "The task for the agent to perform"},
                "subagent_type": {
                    "type": "string",
                    "enum": list(self.agents),
                    "description": "Which agent to hand the task to",
                },
            },
            "required": ["description", "prompt", "subagent_type"],
        }
        description = (
            "Launch a subagent that works on a task on its own and returns its final answer."
            f" Available agents:\n{listing}"
        )
        return SdkTool(TASK_TOOL, description, schema, self.run, timeout=None, args_dict=True)

    async def run(self, args: dict[str, Any]) -> dict[str, Any]:
        """Run the named subagent on ``args["prompt"]``; its final text is the result."""
        name = str(args["subagent_type"])
        definition = self.agents[name]  # the schema's enum admits only known names
        use_id = current_tool_use_id.get()
        settings = self._settings_for(definition)
        tools = self._tools_for(definition)
        prompt = str(args["prompt"])
        context = await hook_events.subagent_start(
            self.tool_settings, self.session_id, use_id, name
        )
        prompt = f"{prompt}\n\n{context}" if context else prompt
        conversation: list[dict[str, Any]] = [{"role": "user", "content": prompt}]
        stats = loop.RunStats()
        active = False  # a SubagentStop hook made it go on
        self._started(use_id, str(args.get("description") or name))
        started, status = time.perf_counter(), "failed"
        try:
            with anyio.CancelScope() as scope:  # stop_task(use_id) cancels it
                self.running[use_id] = scope
                while True:
                    await self._turns(definition, settings, conversation, stats, tools, use_id)
                    reason = None
                    if not stats.hit_max_turns:
                        reason = await hook_events.subagent_stop(
                            self.tool_settings, self.session_id, use_id, name, active
                        )
                    if reason is None or stats.num_turns >= settings.turns:
                        break
                    active = True  # the hook's reason is the subagent's next instruction
                    conversation.append({"role": "user", "content": reason})
                    if self.tool_settings.forward_subagent_text:
                        self.offered.messages.append(UserMessage(reason, parent_tool_use_id=use_id))
            if scope.cancelled_caught:
                status = "stopped"
                return _text(f"{name} was stopped (stop_task) before it finished", True)
            status = "failed" if stats.hit_max_turns else "completed"
        except BaseException as exc:
            status = "failed" if isinstance(exc, Exception) else "stopped"  # interrupted
            raise
        finally:
            self.running.pop(use_id, None)
            for key, value in stats.total_usage().items():
                self.stats.subagent_usage[key] = self.stats.subagent_usage.get(key, 0) + value
            spent = stats.cost_usd(settings)  # at the subagent's own deployment
            if self.stats.subagent_cost is not None:
                self.stats.subagent_cost = (
                    None if spent is None else self.stats.subagent_cost + spent
                )
            self.stats.api_seconds += stats.api_seconds
            self._finished(use_id, status, stats, conversation, started)
        if stats.hit_max_turns:
            return _text(f"{name} stopped after {stats.num_turns} turns without finishing", True)
        return _text(stats.final_text or f"{name} finished without an answer", False)

    def _started(self, use_id: str, description: str) -> None:
        data = {
            "type": "system",
            "subtype": "task_started",
            "task_id": use_id,
            "description": description,
            "tool_use_id": use_id,
            "task_type": "local_agent",
        }
        self.offered.messages.append(
            TaskStartedMessage(
                "task_started",
                data,
                use_id,
                description,
                str(uuid.uuid4()),
                self.session_id,
                tool_use_id=use_id,
                task_type="local_agent",
            )
        )

    def _finished(
        self,
        use_id: str,
        status: str,
        stats: loop.RunStats,
        conversation: list[dict[str, Any]],
        started: float,
    ) -> None:
        calls = sum(len(m.get("tool_calls") or ()) for m in conversation)
        usage = TaskUsage(
            total_tokens=sum(stats.usage.get(k, 0) for k in ("input_tokens", "output_tokens")),
            tool_uses=calls,
            duration_ms=round((time.perf_counter() - started) * 1000),
        )
        summary = " ".join(stats.final_text.split())[:200]
        data = {
            "type": "system",
            "subtype": "task_notification",
            "task_id": use_id,
            "status": status,
            "summary": summary,
            "usage": dict(usage),
        }
        self.offered.messages.append(
            TaskNotificationMessage(
                "task_notification",
                data,
                use_id,
                status,  # type: ignore[arg-type]
                "",
                summary,
                str(uuid.uuid4()),
                self.session_id,
                tool_use_id=use_id,
                usage=usage,
            )
        )

    async def _turns(
        self,
        definition: AgentDefinition,
        settings: QuerySettings,
        conversation: list[dict[str, Any]],
        stats: loop.RunStats,
        tools: ToolSet,
        use_id: str,
    ) -> None:
        """One run of the loop; its messages marked and kept for the parent's stream.
        The hooks about a whole answer (UserPromptSubmit, Stop) are the parent's: a
        subagent fires SubagentStart / SubagentStop instead, as in the Claude Agent SDK.
        ``permissionMode`` of the definition replaces the parent's for its calls."""
        hooks = {k: v for k, v in (self.tool_settings.hooks or {}).items() if k not in _PARENT}
        mode = definition.permissionMode or self.tool_settings.permission_mode
        async for message in loop.run(
            self.transport,
            settings,
            conversation,
            stats,
            loop.Interrupter(),  # the parent's interrupt cancels this run as a whole
            self.session_id,
            tools,
            replace(self.tool_settings, hooks=hooks, permission_mode=mode),
        ):
            if not isinstance(message, (AssistantMessage, UserMessage, StreamEvent)):
                continue
            if not self.tool_settings.forward_subagent_text:  # tool calls and results only
                if isinstance(message, StreamEvent) or isinstance(message.content, str):
                    continue
                if isinstance(message, AssistantMessage):
                    calls = [b for b in message.content if isinstance(b, ToolUseBlock)]
                    if not calls:
                        continue
                    message.content = list(calls)
            message.parent_tool_use_id = use_id
            self.offered.messages.append(message)

    def _settings_for(self, definition: AgentDefinition) -> QuerySettings:
        model = definition.model
        if not model or model in CLAUDE_MODEL_ALIASES:
            model = self.settings.model
        return self.settings.replace(
            model=model,
            system_prompt=definition.prompt,
            max_turns=definition.maxTurns or self.settings.max_turns,
            output_format=None,  # the parent's answer has the format, not the subagent's
        )

    def _tools_for(self, definition: AgentDefinition) -> ToolSet:
        """The parent's tools the definition allows (all but ``Task`` when it names
        none), plus the built-in file tools it names that the parent does not offer."""
        allowed = definition.tools
        if allowed is not None:  # mcpServers: names of the parent's servers it may use
            servers = [s for s in definition.mcpServers or () if isinstance(s, str)]
            allowed = [*allowed, *(f"mcp__{s}" for s in servers)]
        denied = set(definition.disallowedTools or ()) | {TASK_TOOL}
        chosen = ToolSet()
        for spec in self.offered.specs:
            name = str((spec.get("function") or {}).get("name"))
            if name in denied or (allowed is not None and not _named(name, allowed)):
                continue
            chosen.add(self.offered.runnable.get(name) or spec)
        wanted = [n for n in allowed or () if n in BUILTIN_TOOLS and n not in chosen.names()]
        if wanted:
            from .file_tools import file_tools

            cwd = self.tool_settings.cwd if self.tool_settings.cwd is not None else Path.cwd()
            names = [n for n in wanted if n not in denied]
            for t in file_tools(cwd, names, self.tool_settings.add_dirs):
                chosen.add(t)
        return chosen


def _named(name: str, allowed: list[str]) -> bool:
    """``name`` is in ``allowed``, or its MCP server is (``"mcp__calc"`` allows its tools)."""
    return name in allowed or any(
        name.startswith(a + "__") for a in allowed if a.startswith("mcp__")
    )


def _text(text: str, is_error: bool) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": text}], "is_error": is_error}


__all__ = ["CLAUDE_MODEL_ALIASES", "TASK_TOOL", "Subagents"]
