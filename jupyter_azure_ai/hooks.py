"""Hook types: the Claude Agent SDK's names and shapes, and which events fire here.

``hooks={"PreToolUse": [HookMatcher("Write|Edit", [check])]}`` registers ``check`` for
the event; a hook is ``async def check(input, tool_use_id, context) -> dict``. Its input
is one of the ``...HookInput`` TypedDicts below (plain dicts at run time), its output a
``SyncHookJSONOutput`` dict (``continue_``, ``decision``, ``reason``,
``hookSpecificOutput``...). Events and what they do here:

===================  ===============================================================
``PreToolUse``        before every tool call: deny / allow / ``updatedInput``
``PostToolUse``       after a call that succeeded: ``additionalContext``, ``block``
``PostToolUseFailure``  after a call that failed (an exception, ``ToolError``, a
                      timeout): ``additionalContext``
``PermissionRequest``  when ``can_use_tool`` would be asked: ``hookSpecificOutput.
                      decision`` ``{"behavior": "allow" | "deny", ...}`` answers instead
``UserPromptSubmit``  when a prompt is submitted, before anything is sent:
                      ``additionalContext`` is added to the prompt; ``decision:
                      "block"`` (or ``continue_: False``) drops it, nothing is sent
``Stop``              when the answer is finished: ``decision: "block"`` with a
                      ``reason`` makes the model go on, the reason its next instruction
``SubagentStart``/``SubagentStop``  around a subagent run by the ``Task`` tool
``PreCompact``, ``Notification``, ``SessionStart``, ``SessionEnd``  accepted, never
                      fired: there is no compaction (history is bounded instead,
                      api.md §7), no notification channel and no session process here
===================  ===============================================================

A hook that raises or times out (``HookMatcher.timeout``, default 60 s) fails closed
where it guards: PreToolUse and PermissionRequest deny the call, UserPromptSubmit blocks
the prompt (the error is the reason given). After the fact it cannot guard anything:
PostToolUse(Failure) notes the error in the tool result; a failing Stop, SubagentStop or
SubagentStart hook is ignored (the answer is finished, or the subagent starts anyway).
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

if sys.version_info >= (3, 11):
    from typing import NotRequired, TypedDict
else:  # 3.10's TypedDict ignores NotRequired
    from typing_extensions import NotRequired, TypedDict

HookEvent: TypeAlias = Literal[
    "PreToolUse",
    "PostToolUse",
    "PostToolUseFailure",
    "UserPromptSubmit",
    "Stop",
    "SubagentStop",
    "PreCompact",
    "Notification",
    "SubagentStart",
    "PermissionRequest",
]

FIRED_EVENTS = frozenset(
    {
        "PreToolUse",
        "PostToolUse",
        "PostToolUseFailure",
        "PermissionRequest",
        "UserPromptSubmit",
        "Stop",
        "SubagentStart",
        "SubagentStop",
    }
)
"""The events this SDK fires."""
NEVER_FIRED_EVENTS = frozenset({"PreCompact", "Notification", "SessionStart", "SessionEnd"})
"""Events accepted in ``hooks`` (code written for Claude registers them) but never fired."""
KNOWN_EVENTS = FIRED_EVENTS | NEVER_FIRED_EVENTS


# --- inputs ---------------------------------------------------------------------


class BaseHookInput(TypedDict):
    """Fields every hook input has. ``transcript_path`` is ``""`` here (no transcript
    file is written by this SDK's agent loop)."""

    session_id: str
    transcript_path: str
    cwd: str
    permission_mode: NotRequired[str]


class PreToolUseHookInput(BaseHookInput):
    hook_event_name: Literal["PreToolUse"]
    tool_name: str
    tool_input: dict[str, Any]
    tool_use_id: str


class PostToolUseHookInput(BaseHookInput):
    hook_event_name: Literal["PostToolUse"]
    tool_name: str
    tool_input: dict[str, Any]
    tool_response: Any
    tool_use_id: str


class PostToolUseFailureHookInput(BaseHookInput):
    hook_event_name: Literal["PostToolUseFailure"]
    tool_name: str
    tool_input: dict[str, Any]
    tool_use_id: str
    error: str
    is_interrupt: NotRequired[bool]


class UserPromptSubmitHookInput(BaseHookInput):
    hook_event_name: Literal["UserPromptSubmit"]
    prompt: str


class StopHookInput(BaseHookInput):
    hook_event_name: Literal["Stop"]
    stop_hook_active: bool


class SubagentStopHookInput(BaseHookInput):
    hook_event_name: Literal["SubagentStop"]
    stop_hook_active: bool
    agent_id: str
    agent_transcript_path: str
    agent_type: str


class SubagentStartHookInput(BaseHookInput):
    hook_event_name: Literal["SubagentStart"]
    agent_id: str
    agent_type: str


class PreCompactHookInput(BaseHookInput):
    """Never fired here (there is no compaction)."""

    hook_event_name: Literal["PreCompact"]
    trigger: Literal["manual", "auto"]
    custom_instructions: str | None


class NotificationHookInput(BaseHookInput):
    """Never fired here (there is no notification channel)."""

    hook_event_name: Literal["Notification"]
    message: str
    title: NotRequired[str]
    notification_type: str


class PermissionRequestHookInput(BaseHookInput):
    hook_event_name: Literal["PermissionRequest"]
    tool_name: str
    tool_input: dict[str, Any]
    permission_suggestions: NotRequired[list[Any]]


HookInput: TypeAlias = (
    PreToolUseHookInput
    | PostToolUseHookInput
    | PostToolUseFailureHookInput
    | UserPromptSubmitHookInput
    | StopHookInput
    | SubagentStopHookInput
    | PreCompactHookInput
    | NotificationHookInput
    | SubagentStartHookInput
    | PermissionRequestHookInput
)


# --- outputs --------------------------------------------------------------------


class PreToolUseHookSpecificOutput(TypedDict):
    hookEventName: Literal["PreToolUse"]
    permissionDecision: NotRequired[Literal["allow", "deny", "ask", "defer"]]
    permissionDecisionReason: NotRequired[str]
    updatedInput: NotRequired[dict[str, Any]]
    additionalContext: NotRequired[str]


class PostToolUseHookSpecificOutput(TypedDict):
    hookEventName: Literal["PostToolUse"]
    additionalContext: NotRequired[str]
    updatedToolOutput: NotRequired[Any]
    updatedMCPToolOutput: NotRequired[Any]


class PostToolUseFailureHookSpecificOutput(TypedDict):
    hookEventName: Literal["PostToolUseFailure"]
    additionalContext: NotRequired[str]


class UserPromptSubmitHookSpecificOutput(TypedDict):
    hookEventName: Literal["UserPromptSubmit"]
    additionalContext: NotRequired[str]


class SessionStartHookSpecificOutput(TypedDict):
    hookEventName: Literal["SessionStart"]
    additionalContext: NotRequired[str]


class NotificationHookSpecificOutput(TypedDict):
    hookEventName: Literal["Notification"]
    additionalContext: NotRequired[str]


class SubagentStartHookSpecificOutput(TypedDict):
    hookEventName: Literal["SubagentStart"]
    additionalContext: NotRequired[str]


class PermissionRequestHookSpecificOutput(TypedDict):
    hookEventName: Literal["PermissionRequest"]
    decision: dict[str, Any]


HookSpecificOutput: TypeAlias = (
    PreToolUseHookSpecificOutput
    | PostToolUseHookSpecificOutput
    | PostToolUseFailureHookSpecificOutput
    | UserPromptSubmitHookSpecificOutput
    | SessionStartHookSpecificOutput
    | NotificationHookSpecificOutput
    | SubagentStartHookSpecificOutput
    | PermissionRequestHookSpecificOutput
)


class AsyncHookJSONOutput(TypedDict):
    """``{"async_": True}``: accepted; the hook is treated as having returned ``{}``."""

    async_: Literal[True]
    asyncTimeout: NotRequired[int]


class SyncHookJSONOutput(TypedDict):
    """What a hook returns. ``continue_`` (Python spelling of ``continue``; both are
    read) False stops: UserPromptSubmit drops the prompt; PreToolUse refuses the call with
    ``stopReason`` and ends the run (subtype ``"interrupted"``); PostToolUse ends the run
    after the round's results (``"interrupted"``); Stop ends the answer now.
    ``decision: "block"`` with ``reason``; ``systemMessage`` and ``suppressOutput`` are
    accepted and unused; ``hookSpecificOutput`` per event (see the module docstring)."""

    continue_: NotRequired[bool]
    suppressOutput: NotRequired[bool]
    stopReason: NotRequired[str]
    decision: NotRequired[Literal["block"]]
    systemMessage: NotRequired[str]
    reason: NotRequired[str]
    hookSpecificOutput: NotRequired[HookSpecificOutput]


HookJSONOutput: TypeAlias = AsyncHookJSONOutput | SyncHookJSONOutput


class HookContext(TypedDict):
    """What a hook gets besides its input: ``signal`` (reserved, always None here)."""

    signal: Any | None


HookCallback: TypeAlias = Callable[[Any, str | None, HookContext], Awaitable[Any]]
"""``async def hook(input: HookInput, tool_use_id: str | None, context: HookContext)
-> HookJSONOutput``."""


@dataclass
class HookMatcher:
    """Hooks for the tools whose name matches ``matcher`` (a regex such as
    ``"Write|Edit"``; None, ``""`` or ``"*"``: every tool). For events that are not
    about a tool (``UserPromptSubmit``, ``Stop``, ...) the matcher is not consulted.
    ``timeout``: seconds for each hook (default 60)."""

    matcher: str | None = None
    hooks: list[HookCallback] = field(default_factory=list)
    timeout: float | None = None


__all__ = [
    "AsyncHookJSONOutput",
    "BaseHookInput",
    "HookCallback",
    "HookContext",
    "HookEvent",
    "HookInput",
    "HookJSONOutput",
    "HookMatcher",
    "HookSpecificOutput",
    "NotificationHookInput",
    "NotificationHookSpecificOutput",
    "PermissionRequestHookInput",
    "PermissionRequestHookSpecificOutput",
    "PostToolUseFailureHookInput",
    "PostToolUseFailureHookSpecificOutput",
    "PostToolUseHookInput",
    "PostToolUseHookSpecificOutput",
    "PreCompactHookInput",
    "PreToolUseHookInput",
    "PreToolUseHookSpecificOutput",
    "SessionStartHookSpecificOutput",
    "StopHookInput",
    "SubagentStartHookInput",
    "SubagentStartHookSpecificOutput",
    "SubagentStopHookInput",
    "SyncHookJSONOutput",
    "UserPromptSubmitHookInput",
    "UserPromptSubmitHookSpecificOutput",
]
