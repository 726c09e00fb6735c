"""The Claude Agent SDK's other message, status and transport names, so its programs
import unchanged (``from jupyter_azure_ai import TaskNotificationMessage``).

Emitted here: ``TaskStartedMessage`` and ``TaskNotificationMessage``, around each
subagent run of the ``Task`` tool (``_internal/subagents.py``); the dicts of
``AzureAgentClient.get_mcp_status()`` have the ``McpStatusResponse`` shape.
``SdkMcpTool`` and ``McpSdkServerConfig`` live in ``tools.py``.

Never emitted (the README's migration table says why for each): task progress/update
messages (a subagent runs to its end inside one tool call), rate-limit events (a 429 is
retried, then raised as ``RateLimitError``), hook-event and mirror-error messages,
conversation resets, server-side tool blocks (Azure chat completions run no tools on the
server), deferred tool uses. ``Transport`` exists for annotations only: there is no CLI
process to talk to (pass ``http_client=`` to ``AzureAgentClient`` to bring your own
HTTP client).
"""

from __future__ import annotations

import sys
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from .types import SystemMessage

if TYPE_CHECKING:
    from .tools import McpSdkServerConfig

if sys.version_info >= (3, 11):
    from typing import NotRequired, TypedDict
else:  # 3.10's TypedDict ignores NotRequired
    from typing_extensions import NotRequired, TypedDict

# --- subagent tasks ----------------------------------------------------------------

TaskNotificationStatus: TypeAlias = Literal["completed", "failed", "stopped"]
TaskUpdatedStatus: TypeAlias = Literal[
    "pending", "running", "paused", "completed", "failed", "killed"
]
TERMINAL_TASK_STATUSES: frozenset[str] = frozenset({"completed", "failed", "stopped", "killed"})


class TaskUsage(TypedDict):
    """What a task used: tokens, tool calls and time."""

    total_tokens: int
    tool_uses: int
    duration_ms: int


@dataclass
class TaskStartedMessage(SystemMessage):
    """``subtype="task_started"``: a ``Task`` call started a subagent (``task_id`` and
    ``tool_use_id`` are the call's id)."""

    task_id: str
    description: str
    uuid: str
    session_id: str
    tool_use_id: str | None = None
    task_type: str | None = None


@dataclass
class TaskProgressMessage(SystemMessage):
    """Claude's progress report of a running task (never emitted here)."""

    task_id: str
    description: str
    usage: TaskUsage
    uuid: str
    session_id: str
    tool_use_id: str | None = None
    last_tool_name: str | None = None


@dataclass
class TaskNotificationMessage(SystemMessage):
    """``subtype="task_notification"``: a subagent finished (``"completed"``), failed or
    was stopped by an interrupt; ``summary`` is the start of its answer."""

    task_id: str
    status: TaskNotificationStatus
    output_file: str
    summary: str
    uuid: str
    session_id: str
    tool_use_id: str | None = None
    usage: TaskUsage | None = None


@dataclass
class TaskUpdatedMessage(SystemMessage):
    """Claude's background-task state change (never emitted here)."""

    task_id: str
    patch: dict[str, Any]
    uuid: str
    session_id: str


# --- other messages and blocks, never emitted here ------------------------------------


@dataclass
class MirrorErrorMessage(SystemMessage):
    """Claude's session-store mirror failure (no session store mirroring here)."""

    key: Any = None
    error: str = ""


@dataclass
class HookEventMessage(SystemMessage):
    """Claude's hook lifecycle message (``include_hook_events``; not emitted here)."""

    hook_id: str = ""
    hook_name: str = ""
    hook_event: str = ""


RateLimitStatus: TypeAlias = Literal["allowed", "allowed_warning", "rejected"]
RateLimitType: TypeAlias = str


@dataclass
class RateLimitInfo:
    """Claude's subscription rate-limit state (APIM's limits surface as ``RateLimitError``)."""

    status: RateLimitStatus
    resets_at: int | None = None
    rate_limit_type: RateLimitType | None = None
    utilization: float | None = None
    raw: dict[str, Any] | None = None


@dataclass
class RateLimitEvent:
    """Claude's rate-limit message (not emitted: a 429 is retried, then raised)."""

    rate_limit_info: RateLimitInfo
    uuid: str
    session_id: str


@dataclass
class ConversationResetMessage:
    """Claude's reset notice (``AzureAgentClient.reset()`` is a plain method here)."""

    uuid: str = ""
    session_id: str = ""


MessageOriginKind: TypeAlias = str
TaskNotificationOriginSubkind: TypeAlias = Literal["scheduled-trigger", "peer-send-message"]
MessageOrigin: TypeAlias = dict[str, Any]
ServerToolName: TypeAlias = str


@dataclass
class ServerToolUseBlock:
    """A tool the Anthropic API ran on its side (Azure chat completions have none)."""

    id: str
    name: ServerToolName
    input: dict[str, Any]


@dataclass
class ServerToolResultBlock:
    """The result of a ``ServerToolUseBlock`` (never produced here)."""

    tool_use_id: str
    content: dict[str, Any]


@dataclass
class DeferredToolUse:
    """Claude's deferred tool call (never produced here)."""

    id: str
    name: str
    input: dict[str, Any]


class ModelUsage(TypedDict, total=False):
    """Claude's per-model usage (``ResultMessage.usage`` holds the totals here)."""

    inputTokens: int
    outputTokens: int
    cacheReadInputTokens: int
    cacheCreationInputTokens: int
    costUSD: float


class ContextUsageCategory(TypedDict):
    """One row of Claude's ``/context`` breakdown (no such command here)."""

    name: str
    tokens: int
    color: str


ContextUsageResponse: TypeAlias = dict[str, Any]

# --- MCP status (``AzureAgentClient.get_mcp_status``) ----------------------------------

McpServerConnectionStatus: TypeAlias = Literal[
    "connected", "failed", "needs-auth", "pending", "disabled"
]


class McpStdioServerConfig(TypedDict):
    """A stdio server: ``{"command": ..., "args": [...], "env": {...}}``."""

    type: NotRequired[Literal["stdio"]]
    command: str
    args: NotRequired[list[str]]
    env: NotRequired[dict[str, str]]


McpServerConfig: TypeAlias = "McpStdioServerConfig | McpSdkServerConfig"
McpServerStatusConfig: TypeAlias = dict[str, Any]


class McpToolAnnotations(TypedDict, total=False):
    readOnly: bool
    destructive: bool
    openWorld: bool


class McpToolInfo(TypedDict):
    name: str
    description: NotRequired[str]
    annotations: NotRequired[McpToolAnnotations]


class McpServerInfo(TypedDict):
    name: str
    version: str


class McpServerStatus(TypedDict):
    """One server of ``get_mcp_status()["mcpServers"]``."""

    name: str
    status: McpServerConnectionStatus
    serverInfo: NotRequired[McpServerInfo]
    error: NotRequired[str]
    tools: NotRequired[list[McpToolInfo]]


class McpStatusResponse(TypedDict):
    mcpServers: list[McpServerStatus]


# --- tools and transport ------------------------------------------------------------


class ToolAnnotations(TypedDict, total=False):
    """MCP tool hints (``@tool(..., annotations=...)`` in the Claude SDK); informational."""

    title: str
    readOnlyHint: bool
    destructiveHint: bool
    idempotentHint: bool
    openWorldHint: bool


class Transport(ABC):
    """The Claude SDK's CLI transport interface, for annotations only: there is no CLI
    process here (``AzureAgentClient(http_client=...)`` takes your own HTTP client)."""

    @abstractmethod
    async def connect(self) -> None: ...

    @abstractmethod
    async def write(self, data: str) -> None: ...

    @abstractmethod
    def read_messages(self) -> AsyncIterator[dict[str, Any]]: ...

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    def is_ready(self) -> bool: ...

    @abstractmethod
    async def end_input(self) -> None: ...


__all__ = [
    "TERMINAL_TASK_STATUSES",
    "ContextUsageCategory",
    "ContextUsageResponse",
    "ConversationResetMessage",
    "DeferredToolUse",
    "HookEventMessage",
    "McpServerConfig",
    "McpServerConnectionStatus",
    "McpServerInfo",
    "McpServerStatus",
    "McpServerStatusConfig",
    "McpStatusResponse",
    "McpToolAnnotations",
    "McpToolInfo",
    "MessageOrigin",
    "MessageOriginKind",
    "MirrorErrorMessage",
    "ModelUsage",
    "RateLimitEvent",
    "RateLimitInfo",
    "RateLimitStatus",
    "RateLimitType",
    "ServerToolName",
    "ServerToolResultBlock",
    "ServerToolUseBlock",
    "TaskNotificationMessage",
    "TaskNotificationOriginSubkind",
    "TaskNotificationStatus",
    "TaskProgressMessage",
    "TaskStartedMessage",
    "TaskUpdatedMessage",
    "TaskUpdatedStatus",
    "TaskUsage",
    "ToolAnnotations",
    "Transport",
]
