"""The hook events that are not about one tool call: UserPromptSubmit, Stop, Subagent*.

``hooks.py`` documents the events; the tool-call events (PreToolUse, PostToolUse,
PostToolUseFailure, PermissionRequest) are fired by ``permissions.py``. Every hook gets
the Claude input shape (``BaseHookInput`` plus the event's fields) and its output is read
with the Claude meanings; a hook that raises or times out is reported as a
``RuntimeError`` naming it, which the caller turns into what the event needs.

``subagent_start`` / ``subagent_stop`` are for the ``Task`` tool (``subagents.py``):
call ``subagent_start`` before a subagent's first turn and ``subagent_stop`` when its
answer is finished; a ``str`` back from ``subagent_stop`` is a Stop-hook "block" reason
the subagent should be given as its next instruction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..options import ToolSettings
from .permissions import run_hooks


@dataclass
class PromptVerdict:
    """What UserPromptSubmit hooks decided: ``blocked`` (the reason; nothing is sent) or
    ``context`` (text to add to the prompt)."""

    blocked: str | None = None
    context: str = ""


async def user_prompt_submit(options: ToolSettings, session_id: str, prompt: str) -> PromptVerdict:
    """Fire UserPromptSubmit for ``prompt``. ``decision: "block"`` or ``continue_: False``
    blocks it (a failing hook too: it was meant to guard); ``additionalContext`` is added."""
    if not (options.hooks or {}).get("UserPromptSubmit"):
        return PromptVerdict()
    data = {"session_id": session_id, "prompt": prompt}
    try:
        outputs = await run_hooks(options, "UserPromptSubmit", data, None)
    except RuntimeError as exc:
        return PromptVerdict(blocked=str(exc))
    verdict = PromptVerdict()
    extra = []
    for out in outputs:
        if out.get("decision") == "block" or _stops(out):
            reason = out.get("reason") or out.get("stopReason") or "blocked by a hook"
            return PromptVerdict(blocked=str(reason))
        context = (out.get("hookSpecificOutput") or {}).get("additionalContext")
        if context:
            extra.append(str(context))
    verdict.context = "\n".join(extra)
    return verdict


async def stop(options: ToolSettings, session_id: str, active: bool) -> str | None:
    """Fire Stop when an answer is finished; a ``decision: "block"`` hook's ``reason``
    (the model should go on with it), else None. ``active``: a Stop hook already made
    this answer go on (``stop_hook_active``), so hooks can avoid looping."""
    return await _stop_event(options, "Stop", {"session_id": session_id}, active)


async def subagent_start(
    options: ToolSettings, session_id: str, agent_id: str, agent_type: str
) -> str:
    """Fire SubagentStart; the hooks' ``additionalContext`` (to add to the subagent's
    prompt), ``""`` when none. A failing hook is ignored here (it cannot guard anything)."""
    data = {"session_id": session_id, "agent_id": agent_id, "agent_type": agent_type}
    try:
        outputs = await run_hooks(options, "SubagentStart", data, None)
    except RuntimeError:
        return ""
    parts = [(o.get("hookSpecificOutput") or {}).get("additionalContext") for o in outputs]
    return "\n".join(str(p) for p in parts if p)


async def subagent_stop(
    options: ToolSettings,
    session_id: str,
    agent_id: str,
    agent_type: str,
    active: bool = False,
) -> str | None:
    """Fire SubagentStop when a subagent's answer is finished; as ``stop``."""
    data = {
        "session_id": session_id,
        "agent_id": agent_id,
        "agent_type": agent_type,
        "agent_transcript_path": "",
    }
    return await _stop_event(options, "SubagentStop", data, active)


async def _stop_event(
    options: ToolSettings, event: str, data: dict[str, Any], active: bool
) -> str | None:
    if not (options.hooks or {}).get(event):
        return None
    try:
        outputs = await run_hooks(options, event, {**data, "stop_hook_active": active}, None)
    except RuntimeError:
        return None  # the answer is finished; a broken hook must not make the model go on
    for out in outputs:
        if _stops(out):
            return None  # continue_: False wins: stop now
    for out in outputs:
        if out.get("decision") == "block":
            return str(out.get("reason") or "Continue.")
    return None


def _stops(out: dict[str, Any]) -> bool:
    """``continue_: False`` (or the wire spelling ``continue``)."""
    return out.get("continue_", out.get("continue", True)) is False
