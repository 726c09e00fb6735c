"""Who may run a tool call: ``PreToolUse`` hooks, then ``can_use_tool``; ``PostToolUse`` after.

The order is the Claude Agent SDK's. A hook that fails or times out denies the call
(fail closed: hooks are usually guards). Without ``can_use_tool`` every offered tool
runs: offering it (``tools``, ``mcp_servers``, ``allowed_tools``) was the permission.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from typing import Any

import anyio

from ..options import ToolSettings
from ..types import (
    HookContext,
    HookMatcher,
    PermissionResultAllow,
    PermissionResultDeny,
    ToolPermissionContext,
    ToolUseBlock,
)

DEFAULT_HOOK_TIMEOUT = 60.0


@dataclass
class Decision:
    """``input`` to run with, or ``denied`` (the message for the model)."""

    input: dict[str, Any]
    denied: str | None = None
    interrupt: bool = False


def _matching(options: ToolSettings, event: str, tool: str) -> list[HookMatcher]:
    out = []
    for m in (options.hooks or {}).get(event, []):
        if m.matcher in (None, "", "*") or re.fullmatch(m.matcher, tool):
            out.append(m)
    return out


async def run_hooks(
    options: ToolSettings, event: str, data: dict[str, Any], tool_use_id: str
) -> list[dict[str, Any]]:
    """Call the ``event`` hooks matching ``data["tool_name"]``; their outputs, in order.

    Raises ``RuntimeError`` naming the hook that failed or timed out.
    """
    outputs = []
    context: HookContext = {"signal": None}
    base = {"hook_event_name": event, "cwd": str(options.cwd) if options.cwd else None}
    for matcher in _matching(options, event, data["tool_name"]):
        for hook in matcher.hooks:
            name = getattr(hook, "__name__", repr(hook))
            limit = matcher.timeout or DEFAULT_HOOK_TIMEOUT
            with anyio.move_on_after(limit) as scope:
                try:
                    out = await hook({**base, **data}, tool_use_id, context)
                except Exception as exc:
                    raise RuntimeError(f"{event} hook {name} failed: {one_line(exc)}") from None
            if scope.cancelled_caught:
                raise RuntimeError(f"{event} hook {name} timed out after {limit:g} s")
            outputs.append(out or {})
    return outputs


async def decide(options: ToolSettings, use: ToolUseBlock, session_id: str) -> Decision:
    """PreToolUse hooks (deny / allow / updatedInput), then ``can_use_tool`` unless a hook
    allowed the call."""
    decision = Decision(dict(use.input))
    data = {"session_id": session_id, "tool_name": use.name, "tool_input": decision.input}
    try:
        outputs = await run_hooks(options, "PreToolUse", data, use.id)
    except RuntimeError as exc:
        return Decision(decision.input, denied=str(exc))
    hook_allowed = False
    for out in outputs:
        specific = out.get("hookSpecificOutput") or {}
        verdict = specific.get("permissionDecision")
        reason = specific.get("permissionDecisionReason") or out.get("reason") or ""
        if verdict == "deny" or out.get("decision") == "block":
            return Decision(decision.input, denied=reason or f"{use.name} blocked by a hook")
        if isinstance(specific.get("updatedInput"), dict):
            decision.input = specific["updatedInput"]
        hook_allowed = hook_allowed or verdict == "allow"
    if options.can_use_tool is None or hook_allowed:
        return decision
    return await _ask(options, use, decision)


async def _ask(options: ToolSettings, use: ToolUseBlock, decision: Decision) -> Decision:
    assert options.can_use_tool is not None
    context = ToolPermissionContext(
        tool_use_id=use.id, cwd=str(options.cwd) if options.cwd else None
    )
    try:
        answer: Any = options.can_use_tool(use.name, decision.input, context)
        if inspect.isawaitable(answer):
            answer = await answer
    except Exception as exc:
        return Decision(decision.input, denied=f"can_use_tool failed: {one_line(exc)}")
    if isinstance(answer, PermissionResultAllow):
        if answer.updated_input is not None:
            decision.input = answer.updated_input
        return decision
    if isinstance(answer, PermissionResultDeny):
        message = answer.message or f"permission to use {use.name} was denied"
        return Decision(decision.input, denied=message, interrupt=answer.interrupt)
    return Decision(
        decision.input,
        denied=f"can_use_tool returned {answer!r}, not PermissionResultAllow/Deny: denied",
    )


async def after(
    options: ToolSettings,
    use: ToolUseBlock,
    tool_input: dict[str, Any],
    content: str,
    is_error: bool,
    session_id: str,
) -> tuple[str, bool]:
    """PostToolUse hooks: ``additionalContext`` is appended; ``decision: block`` makes
    the result an error carrying ``reason``."""
    data = {
        "session_id": session_id,
        "tool_name": use.name,
        "tool_input": tool_input,
        "tool_response": content,
    }
    try:
        outputs = await run_hooks(options, "PostToolUse", data, use.id)
    except RuntimeError as exc:
        return f"{content}\n[{exc}]", is_error
    for out in outputs:
        extra = (out.get("hookSpecificOutput") or {}).get("additionalContext")
        if extra:
            content = f"{content}\n{extra}"
        if out.get("decision") == "block":
            content, is_error = f"{content}\n{out.get('reason') or 'blocked by a hook'}", True
    return content, is_error


def one_line(exc: BaseException) -> str:
    """``Type: message`` folded onto one line and kept short (it goes to the model)."""
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= 300 else text[:299] + "…"
