"""The message model, permission and hook types (and the options, re-exported).

The message classes mirror the Claude Agent SDK (same names, same fields) so code
written for it migrates by changing the import. They are small dataclasses; a
``Message`` is one of them. The options live in ``options.py``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias, TypedDict

from .options import AzureOpenAIOptions, ConnectionSettings, QuerySettings, ToolSettings

# --- permissions and hooks (the Claude Agent SDK's names and shapes) ------------


@dataclass
class PermissionResultAllow:
    """Let the tool run; ``updated_input`` replaces the model's arguments."""

    behavior: Literal["allow"] = "allow"
    updated_input: dict[str, Any] | None = None
    updated_permissions: list[Any] | None = None  # accepted for compatibility, unused


@dataclass
class PermissionResultDeny:
    """Refuse the call: ``message`` goes back to the model; ``interrupt`` ends the run."""

    behavior: Literal["deny"] = "deny"
    message: str = ""
    interrupt: bool = False


PermissionResult: TypeAlias = PermissionResultAllow | PermissionResultDeny


@dataclass
class ToolPermissionContext:
    """What ``can_use_tool`` gets besides the name and input (Claude SDK shape)."""

    signal: Any | None = None
    suggestions: list[Any] = field(default_factory=list)
    tool_use_id: str = ""
    cwd: str | None = None


CanUseTool: TypeAlias = Callable[
    [str, dict[str, Any], ToolPermissionContext], Awaitable[PermissionResult]
]


class HookContext(TypedDict):
    """What a hook gets besides its input: ``signal`` (reserved, always None here)."""

    signal: Any | None


HookCallback: TypeAlias = Callable[
    [dict[str, Any], str | None, HookContext], Awaitable[dict[str, Any]]
]


@dataclass
class HookMatcher:
    """Hooks for the tools whose name matches ``matcher`` (a regex; None or "*": all).

    ``hooks={"PreToolUse": [HookMatcher("Write|Edit", [check])]}``. Only the
    ``PreToolUse`` and ``PostToolUse`` events exist here.
    """

    matcher: str | None = None
    hooks: list[HookCallback] = field(default_factory=list)
    timeout: float | None = None


# --- content blocks ---------------------------------------------------------


@dataclass
class TextBlock:
    """Text the model wrote (Markdown, untrusted)."""

    text: str


@dataclass
class ThinkingBlock:
    """Reasoning text (Claude SDK shape; Azure chat completions do not send it)."""

    thinking: str
    signature: str = ""


@dataclass
class ToolUseBlock:
    """A tool call the model asked for: ``id`` (the call id), ``name``, ``input`` (the
    parsed JSON arguments)."""

    id: str
    name: str
    input: dict[str, Any]


@dataclass
class ToolResultBlock:
    """What a tool returned for call ``tool_use_id``; ``is_error`` when it failed (the
    model sees the text and may try again)."""

    tool_use_id: str
    content: str | list[dict[str, Any]] | None = None
    is_error: bool | None = None


@dataclass
class ImageBlock:
    """An image in a prompt: base64 ``data`` of ``media_type`` (or a ``url``), and the
    ``detail`` Azure looks at it with (``"auto"``, ``"low"``, ``"high"``). Built from the
    prompt's ``{"type": "image", ...}`` blocks (``jupyter_azure_ai.images``)."""

    media_type: str = ""
    data: str = ""
    url: str = ""
    detail: str = "auto"


ContentBlock: TypeAlias = TextBlock | ThinkingBlock | ToolUseBlock | ToolResultBlock | ImageBlock


# --- messages ---------------------------------------------------------------


@dataclass
class UserMessage:
    """A prompt (``content`` a str, or ``TextBlock`` and ``ImageBlock``s when it holds
    images), or the results of a round of tool calls (a list of ``ToolResultBlock``)."""

    content: str | list[ContentBlock]
    parent_tool_use_id: str | None = None


@dataclass
class AssistantMessage:
    """One model turn: its ``TextBlock`` and ``ToolUseBlock``s; ``model`` as the service
    reported it; ``stop_reason`` the turn's finish reason (``"interrupted"`` when
    stopped)."""

    content: list[ContentBlock]
    model: str
    parent_tool_use_id: str | None = None
    stop_reason: str | None = None


@dataclass
class SystemMessage:
    """SDK information: ``subtype="init"`` first, ``data`` holding model, api_version,
    session_id, tools, MCP servers, cwd (never a secret)."""

    subtype: str
    data: dict[str, Any]


@dataclass
class ResultMessage:
    """The last message of an answer: ``subtype`` (``"success"``, ``"interrupted"``,
    ``"error_max_turns"``; with ``output_format`` also ``"error_structured_output"``,
    ``"error_refusal"`` and ``"error_max_tokens"``), ``is_error``, timings in ms,
    ``num_turns`` (model turns), ``usage`` (``input_tokens``, ``output_tokens``, ...),
    ``total_cost_usd`` (None when no price is known: ``pricing`` or the built-in table),
    ``result`` (the final text; the refusal's text for ``"error_refusal"``),
    ``structured_output`` (the parsed answer with ``output_format``)."""

    subtype: str
    duration_ms: int
    duration_api_ms: int
    is_error: bool
    num_turns: int
    session_id: str
    total_cost_usd: float | None = None
    usage: dict[str, Any] | None = None
    result: str | None = None
    structured_output: Any = None
    """With ``output_format``: the parsed answer (an instance of the class, else a dict)."""


@dataclass
class StreamEvent:
    """With ``include_partial_messages``: one Claude-shaped event per delta, e.g.
    ``{"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta",
    "text": "Par"}}``."""

    uuid: str
    session_id: str
    event: dict[str, Any]
    parent_tool_use_id: str | None = None


Message: TypeAlias = UserMessage | AssistantMessage | SystemMessage | ResultMessage | StreamEvent

__all__ = [
    "AssistantMessage",
    "AzureOpenAIOptions",
    "CanUseTool",
    "ConnectionSettings",
    "ContentBlock",
    "HookCallback",
    "HookContext",
    "HookMatcher",
    "ImageBlock",
    "Message",
    "PermissionResult",
    "PermissionResultAllow",
    "PermissionResultDeny",
    "QuerySettings",
    "ResultMessage",
    "StreamEvent",
    "SystemMessage",
    "TextBlock",
    "ThinkingBlock",
    "ToolPermissionContext",
    "ToolResultBlock",
    "ToolSettings",
    "ToolUseBlock",
    "UserMessage",
]
