"""The message model, permission and hook types (and the options, re-exported).

The message classes mirror the Claude Agent SDK (same names, same fields) so code
written for it migrates by changing the import. They are small dataclasses; a
``Message`` is one of them. The options live in ``options.py``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias, TypedDict

from .hooks import *  # noqa: F403  (the hook types are part of this module's names)
from .hooks import __all__ as _HOOK_NAMES
from .option_types import *  # noqa: F403  (the Claude option value types, too)
from .option_types import __all__ as _OPTION_TYPE_NAMES
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
    agent_id: str | None = None
    blocked_path: str | None = None
    decision_reason: str | None = None
    """Why the question is asked: a PreToolUse hook's ``permissionDecisionReason`` when it
    answered ``"ask"``."""
    title: str | None = None
    display_name: str | None = None
    description: str | None = None


CanUseTool: TypeAlias = Callable[
    [str, dict[str, Any], ToolPermissionContext], Awaitable[PermissionResult]
]


PermissionMode: TypeAlias = Literal[
    "default", "acceptEdits", "plan", "bypassPermissions", "dontAsk", "auto"
]
"""``AzureOpenAIOptions.permission_mode`` (see ``_internal/permissions.py`` for what each
means for the tools here)."""


class SystemPromptPreset(TypedDict, total=False):
    """The Claude form ``{"type": "preset", "preset": "claude_code", "append": "..."}``:
    only ``append`` is sent (Claude Code's own prompt is not Azure's to send)."""

    type: Literal["preset"]
    preset: str
    append: str
    exclude_dynamic_sections: bool


class SystemPromptFile(TypedDict):
    """``{"type": "file", "path": "prompt.md"}``: the file's text is the system prompt."""

    type: Literal["file"]
    path: str


class ToolsPreset(TypedDict):
    """``tools={"type": "preset", "preset": "claude_code"}``: every built-in file tool
    (not ``Bash``, which is offered only when named)."""

    type: Literal["preset"]
    preset: str


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
    uuid: str | None = None  # the Claude SDK's fields: kept None here
    tool_use_result: dict[str, Any] | None = None
    origin: dict[str, Any] | None = None


@dataclass
class AssistantMessage:
    """One model turn: its ``TextBlock`` and ``ToolUseBlock``s; ``model`` as the service
    reported it; ``stop_reason`` the turn's finish reason (``"interrupted"`` when
    stopped)."""

    content: list[ContentBlock]
    model: str
    parent_tool_use_id: str | None = None
    stop_reason: str | None = None
    error: str | None = None  # the Claude SDK's fields: kept None here (errors are raised)
    usage: dict[str, Any] | None = None
    message_id: str | None = None
    session_id: str | None = None
    uuid: str | None = None


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
    terminal_reason: str | None = None
    """Why the loop ended, in the Claude SDK's words: ``"completed"``, ``"max_turns"``,
    ``"aborted_streaming"`` (interrupted), ``"max_budget"``, or the error subtype."""
    stop_reason: str | None = None  # the Claude SDK's other fields: kept None here
    model_usage: dict[str, Any] | None = None
    permission_denials: list[Any] | None = None
    errors: list[str] | None = None
    api_error_status: int | None = None
    uuid: str | None = None


@dataclass
class StreamEvent:
    """With ``include_partial_messages``: one Claude-shaped event per delta, e.g.
    ``{"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta",
    "text": "Par"}}``."""

    uuid: str
    session_id: str
    event: dict[str, Any]
    parent_tool_use_id: str | None = None


# --- subagents ------------------------------------------------------------------


@dataclass
class AgentDefinition:
    """A subagent the model may hand work to through the ``Task`` tool (Claude SDK shape):
    ``agents={"reviewer": AgentDefinition("Reviews code", "You review code.", ["Read"])}``.

    ``prompt`` is its system prompt; ``tools`` the names of the parent's tools it may use
    (None: all of them but ``Task``); ``model`` a deployment name, or None / a Claude alias
    (``"sonnet"``, ``"opus"``, ``"haiku"``, ``"inherit"``): the parent's deployment.
    ``disallowedTools`` removes names; ``maxTurns`` bounds its loop; ``mcpServers`` names
    parent servers whose tools it may use too; ``permissionMode`` replaces the parent's for
    its calls. The other Claude fields (``skills``, ``memory``, ``initialPrompt``,
    ``background``, ``effort``; inline ``mcpServers`` configs) are accepted and have no
    effect here (see the README's migration table).
    """

    description: str
    prompt: str
    tools: list[str] | None = None
    disallowedTools: list[str] | None = None
    model: str | None = None
    skills: list[str] | None = None
    memory: str | None = None
    mcpServers: list[Any] | None = None
    initialPrompt: str | None = None
    maxTurns: int | None = None
    background: bool | None = None
    effort: Any = None
    permissionMode: str | None = None


Message: TypeAlias = UserMessage | AssistantMessage | SystemMessage | ResultMessage | StreamEvent

__all__ = [
    *_HOOK_NAMES,
    *_OPTION_TYPE_NAMES,
    "AgentDefinition",
    "AssistantMessage",
    "AzureOpenAIOptions",
    "CanUseTool",
    "ConnectionSettings",
    "ContentBlock",
    "ImageBlock",
    "Message",
    "PermissionResult",
    "PermissionResultAllow",
    "PermissionMode",
    "PermissionResultDeny",
    "QuerySettings",
    "ResultMessage",
    "StreamEvent",
    "SystemMessage",
    "SystemPromptFile",
    "SystemPromptPreset",
    "TextBlock",
    "ThinkingBlock",
    "ToolPermissionContext",
    "ToolResultBlock",
    "ToolSettings",
    "ToolUseBlock",
    "ToolsPreset",
    "UserMessage",
]

_CLAUDE_LAZY = {"SdkMcpTool": "tools", "McpSdkServerConfig": "tools"}


def __getattr__(name: str) -> Any:
    """The Claude Agent SDK's other names (``message_types.py``; ``SdkMcpTool`` and
    ``McpSdkServerConfig`` from ``tools.py``), so ``claude_agent_sdk.types`` imports
    migrate; loaded on first use (``message_types`` imports this module)."""
    if name.startswith("__"):  # ``from .types import X`` asks for __path__: not ours
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    from . import message_types

    if name in message_types.__all__:
        return getattr(message_types, name)
    if name in _CLAUDE_LAZY:
        return getattr(import_module(f".{_CLAUDE_LAZY[name]}", __package__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
