"""Who may run a tool call, in the Claude Agent SDK's order; PostToolUse(Failure) after.

1. ``PreToolUse`` hooks: ``deny`` (or ``decision: "block"``) refuses; ``updatedInput``
   edits; ``allow`` skips the questions below (not the rules of 2-3); ``ask`` forces 6;
   ``continue_: False`` refuses and ends the run (``stopReason`` is the call's result;
   the run ends with subtype ``interrupted``).
   A hook that fails or times out denies the call (fail closed: hooks are guards).
2. ``disallowed_tools``: a matching rule refuses (a plain name is not even offered).
3. ``permission_mode="plan"``: Write, Edit and Bash never run (nothing changes on disk,
   no command runs); other tools as in the default mode — this SDK cannot know whether
   your own ``@tool`` functions write, so deny those in ``can_use_tool`` if they do.
4. ``permission_mode="bypassPermissions"``: run. An ``allowed_tools`` rule matching the
   call approves it: ``"Read"``, ``"mcp__db"`` (a whole MCP server), ``"Bash(git
   status:*)"`` (commands starting so), ``"Write(src/*)"`` (a path pattern).
   ``"acceptEdits"``: Write and Edit are approved.
5. ``"dontAsk"``: what 4 did not approve is refused. (``"auto"`` is the default mode.)
6. ``PermissionRequest`` hooks may answer (``hookSpecificOutput.decision``
   ``{"behavior": "allow" | "deny", "updatedInput", "message"}``); else ``can_use_tool``
   is asked; without one the call runs: offering the tool was the permission.
"""

from __future__ import annotations

import fnmatch
import inspect
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio

from ..options import ToolSettings, rule_tool
from ..types import (
    HookContext,
    HookMatcher,
    PermissionResultAllow,
    PermissionResultDeny,
    ToolPermissionContext,
    ToolUseBlock,
)

DEFAULT_HOOK_TIMEOUT = 60.0
EDIT_TOOLS = frozenset({"Write", "Edit", "MultiEdit", "NotebookEdit"})
"""Approved by ``permission_mode="acceptEdits"``."""
PLAN_BLOCKED = EDIT_TOOLS | {"Bash"}
"""Never run in ``permission_mode="plan"``."""
_RULE_ARGUMENT = ("command", "file_path", "path", "pattern", "url")


@dataclass
class Decision:
    """``input`` to run with, or ``denied`` (the message for the model)."""

    input: dict[str, Any]
    denied: str | None = None
    interrupt: bool = False


def _matching(options: ToolSettings, event: str, tool: str | None) -> list[HookMatcher]:
    out = []
    for m in (options.hooks or {}).get(event, []):
        if tool is None or m.matcher in (None, "", "*") or re.fullmatch(m.matcher, tool):
            out.append(m)
    return out


def mode(options: ToolSettings) -> str:
    """The permission mode in force (``None`` and ``"auto"`` are ``"default"``)."""
    return options.permission_mode if options.permission_mode not in (None, "auto") else "default"


def hook_base(options: ToolSettings, event: str) -> dict[str, Any]:
    """The ``BaseHookInput`` fields (``transcript_path`` is empty: no transcript file)."""
    return {
        "hook_event_name": event,
        "transcript_path": "",
        "cwd": str(options.cwd if options.cwd is not None else Path.cwd()),
        "permission_mode": mode(options),
    }


async def run_hooks(
    options: ToolSettings, event: str, data: dict[str, Any], tool_use_id: str | None
) -> list[dict[str, Any]]:
    """Call the ``event`` hooks (for tool events, those matching ``data["tool_name"]``);
    their outputs, in order (an ``{"async_": True}`` output counts as ``{}``).

    Raises ``RuntimeError`` naming the hook that failed or timed out.
    """
    outputs = []
    context: HookContext = {"signal": None}
    base = hook_base(options, event)
    for matcher in _matching(options, event, data.get("tool_name")):
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
            if not isinstance(out, dict) or out.get("async_") or out.get("async"):
                out = {}
            outputs.append(out)
    return outputs


async def decide(options: ToolSettings, use: ToolUseBlock, session_id: str) -> Decision:
    """Whether ``use`` may run, and with which input: steps 1-6 of the module docstring."""
    decision = Decision(dict(use.input))
    data = {
        "session_id": session_id,
        "tool_name": use.name,
        "tool_input": decision.input,
        "tool_use_id": use.id,
    }
    try:
        outputs = await run_hooks(options, "PreToolUse", data, use.id)
    except RuntimeError as exc:
        return Decision(decision.input, denied=str(exc))
    hook_allowed = hook_ask = False
    ask_reason: str | None = None
    for out in outputs:
        specific = out.get("hookSpecificOutput") or {}
        verdict = specific.get("permissionDecision")
        reason = specific.get("permissionDecisionReason") or out.get("reason") or ""
        if out.get("continue_", out.get("continue", True)) is False:  # stop the whole run
            why = out.get("stopReason") or reason or f"a hook stopped the run at {use.name}"
            return Decision(decision.input, denied=str(why), interrupt=True)
        if verdict == "deny" or out.get("decision") == "block":
            return Decision(decision.input, denied=reason or f"{use.name} blocked by a hook")
        if isinstance(specific.get("updatedInput"), dict):
            decision.input = specific["updatedInput"]
        hook_allowed = hook_allowed or verdict == "allow"
        if verdict == "ask":
            hook_ask, ask_reason = True, reason or None
    refused = _refused_by_rules(options, use.name, decision.input)
    if refused is not None:
        return Decision(decision.input, denied=refused)
    current = mode(options)
    if not hook_ask:
        if hook_allowed or current == "bypassPermissions":
            return decision
        if current == "acceptEdits" and use.name in EDIT_TOOLS:
            return decision
        if any(rule_matches(r, use.name, decision.input) for r in options.allowed_tools):
            return decision
        if current == "dontAsk":
            return Decision(
                decision.input,
                denied=f"{use.name} is not approved by allowed_tools"
                " (permission_mode='dontAsk' refuses what is not)",
            )
    return await _request(options, use, decision, session_id, ask_reason)


def rule_matches(rule: str, tool: str, tool_input: dict[str, Any]) -> bool:
    """Does a permission rule (``allowed_tools`` / ``disallowed_tools`` entry) cover this
    call? ``"Read"``, ``"mcp__server"`` (all its tools), ``"mcp__server__*"``,
    ``"Bash(npm test:*)"`` (a command prefix), ``"Bash(ls)"`` (exactly),
    ``"Write(src/**)"`` (a path pattern)."""
    name = rule_tool(rule)
    if name != tool and not (
        name.startswith("mcp__")
        and (
            tool.startswith(name.rstrip("*").rstrip("_") + "__") or fnmatch.fnmatchcase(tool, name)
        )
    ):
        return False
    if "(" not in rule:
        return True
    content = rule.split("(", 1)[1].rsplit(")", 1)[0].strip()
    if content in ("", "*"):
        return True
    argument = next((str(tool_input[k]) for k in _RULE_ARGUMENT if k in tool_input), None)
    if argument is None:
        return False
    if content.endswith(":*"):
        return argument.strip().startswith(content[:-2])
    return fnmatch.fnmatchcase(argument.strip(), content)


def _refused_by_rules(options: ToolSettings, tool: str, tool_input: dict[str, Any]) -> str | None:
    for rule in options.disallowed_tools:
        if rule_matches(rule, tool, tool_input):
            return f"{tool} is disallowed here (disallowed_tools: {rule!r})"
    if mode(options) == "plan" and tool in PLAN_BLOCKED:
        return (
            f"{tool} does not run in plan mode (permission_mode='plan': no file changes,"
            " no commands); describe the change instead"
        )
    return None


async def _request(
    options: ToolSettings,
    use: ToolUseBlock,
    decision: Decision,
    session_id: str,
    reason: str | None = None,
) -> Decision:
    """PermissionRequest hooks, then ``can_use_tool``; without either the call runs."""
    if (options.hooks or {}).get("PermissionRequest"):
        data = {"session_id": session_id, "tool_name": use.name, "tool_input": decision.input}
        try:
            outputs = await run_hooks(options, "PermissionRequest", data, use.id)
        except RuntimeError as exc:
            return Decision(decision.input, denied=str(exc))
        for out in outputs:
            said = (out.get("hookSpecificOutput") or {}).get("decision") or {}
            if said.get("behavior") == "deny":
                message = said.get("message") or f"permission to use {use.name} was denied"
                return Decision(
                    decision.input, denied=message, interrupt=bool(said.get("interrupt"))
                )
            if said.get("behavior") == "allow":
                if isinstance(said.get("updatedInput"), dict):
                    decision.input = said["updatedInput"]
                return decision
    if options.can_use_tool is None:
        return decision
    return await _ask(options, use, decision, reason)


async def _ask(
    options: ToolSettings, use: ToolUseBlock, decision: Decision, reason: str | None = None
) -> Decision:
    assert options.can_use_tool is not None
    context = ToolPermissionContext(
        tool_use_id=use.id,
        cwd=str(options.cwd) if options.cwd else None,
        decision_reason=reason,
        display_name=use.name,
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
    stops: list[str] | None = None,
) -> tuple[str, bool]:
    """PostToolUse hooks after a call that succeeded, PostToolUseFailure hooks after one
    that failed (``error`` holds its message): ``additionalContext`` is appended;
    PostToolUse's ``updatedToolOutput`` replaces the result; ``decision: block`` makes
    the result an error carrying ``reason``; ``continue_: False`` adds its ``stopReason``
    to ``stops`` (the caller ends the run after this round)."""
    data: dict[str, Any] = {
        "session_id": session_id,
        "tool_name": use.name,
        "tool_input": tool_input,
        "tool_use_id": use.id,
    }
    if is_error:
        event, data["error"], data["is_interrupt"] = "PostToolUseFailure", content, False
    else:
        event, data["tool_response"] = "PostToolUse", content
    try:
        outputs = await run_hooks(options, event, data, use.id)
    except RuntimeError as exc:
        return f"{content}\n[{exc}]", is_error
    for out in outputs:
        specific = out.get("hookSpecificOutput") or {}
        for key in ("updatedToolOutput", "updatedMCPToolOutput"):
            if not is_error and specific.get(key) is not None:
                replaced = specific[key]
                content = replaced if isinstance(replaced, str) else json.dumps(replaced)
        extra = specific.get("additionalContext")
        if extra:
            content = f"{content}\n{extra}"
        if out.get("decision") == "block":
            content, is_error = f"{content}\n{out.get('reason') or 'blocked by a hook'}", True
        if out.get("continue_", out.get("continue", True)) is False and stops is not None:
            stops.append(str(out.get("stopReason") or f"a hook stopped the run after {use.name}"))
    return content, is_error


def one_line(exc: BaseException) -> str:
    """``Type: message`` folded onto one line and kept short (it goes to the model)."""
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= 300 else text[:299] + "…"
