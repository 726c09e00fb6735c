"""Azure OpenAI behind API Management, from Python and from Jupyter.

``import jupyter_azure_ai`` stays light (a few milliseconds): the HTTP stack, IPython,
anywidget and azure.identity load only when first used — ``%load_ext`` must not pay
for a network stack it does not use yet.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

from .errors import (
    APIStatusError,
    AuthenticationError,
    AzureOpenAIError,
    ClaudeSDKError,
    CLIConnectionError,
    CLIJSONDecodeError,
    CLINotFoundError,
    ConfigurationError,
    ContentFilterError,
    ContextWindowError,
    MCPCommandNotFoundError,
    MCPServerError,
    ModelNotFoundError,
    ProcessError,
    RateLimitError,
    ResultError,
    StreamDecodeError,
    StreamInterruptedError,
    UnauthorizedError,
)
from .hooks import (
    AsyncHookJSONOutput,
    BaseHookInput,
    HookCallback,
    HookContext,
    HookEvent,
    HookInput,
    HookJSONOutput,
    HookMatcher,
    HookSpecificOutput,
    NotificationHookInput,
    NotificationHookSpecificOutput,
    PermissionRequestHookInput,
    PermissionRequestHookSpecificOutput,
    PostToolUseFailureHookInput,
    PostToolUseFailureHookSpecificOutput,
    PostToolUseHookInput,
    PostToolUseHookSpecificOutput,
    PreCompactHookInput,
    PreToolUseHookInput,
    PreToolUseHookSpecificOutput,
    SessionStartHookSpecificOutput,
    StopHookInput,
    SubagentStartHookInput,
    SubagentStartHookSpecificOutput,
    SubagentStopHookInput,
    SyncHookJSONOutput,
    UserPromptSubmitHookInput,
    UserPromptSubmitHookSpecificOutput,
)
from .message_types import (
    TERMINAL_TASK_STATUSES,
    ContextUsageCategory,
    ContextUsageResponse,
    ConversationResetMessage,
    DeferredToolUse,
    HookEventMessage,
    McpServerConfig,
    McpServerConnectionStatus,
    McpServerInfo,
    McpServerStatus,
    McpServerStatusConfig,
    McpStatusResponse,
    McpToolAnnotations,
    McpToolInfo,
    MessageOrigin,
    MessageOriginKind,
    MirrorErrorMessage,
    ModelUsage,
    RateLimitEvent,
    RateLimitInfo,
    RateLimitStatus,
    RateLimitType,
    ServerToolName,
    ServerToolResultBlock,
    ServerToolUseBlock,
    TaskNotificationMessage,
    TaskNotificationOriginSubkind,
    TaskNotificationStatus,
    TaskProgressMessage,
    TaskStartedMessage,
    TaskUpdatedMessage,
    TaskUpdatedStatus,
    TaskUsage,
    ToolAnnotations,
    Transport,
)
from .option_types import (
    CanUseToolShadowedWarning,
    EffortLevel,
    PermissionBehavior,
    PermissionRuleValue,
    PermissionUpdate,
    PermissionUpdateDestination,
    SandboxIgnoreViolations,
    SandboxNetworkConfig,
    SandboxSettings,
    SdkBeta,
    SdkPluginConfig,
    SettingSource,
    TaskBudget,
    ThinkingConfig,
    ThinkingConfigAdaptive,
    ThinkingConfigDisabled,
    ThinkingConfigEnabled,
)
from .options import AzureOpenAIOptions, ConnectionSettings, QuerySettings, ToolSettings
from .types import (
    AgentDefinition,
    AssistantMessage,
    CanUseTool,
    ContentBlock,
    Message,
    PermissionMode,
    PermissionResult,
    PermissionResultAllow,
    PermissionResultDeny,
    ResultMessage,
    StreamEvent,
    SystemMessage,
    SystemPromptFile,
    SystemPromptPreset,
    TextBlock,
    ThinkingBlock,
    ToolPermissionContext,
    ToolResultBlock,
    ToolsPreset,
    ToolUseBlock,
    UserMessage,
)

if TYPE_CHECKING:
    from .client import AzureAgentClient
    from .mapping import MapItem, azure_map, clear_cache, map_rows
    from .query import azure_query
    from .tools import (
        McpSdkServerConfig,
        SdkMcpTool,
        SdkTool,
        ToolError,
        create_sdk_mcp_server,
        tool,
    )

#: Public names whose modules import httpx/anyio: loaded on first access.
_LAZY = {
    "AzureAgentClient": "client",
    "MapItem": "mapping",
    "azure_map": "mapping",
    "clear_cache": "mapping",
    "map_rows": "mapping",
    "azure_query": "query",
    "SdkTool": "tools",
    "SdkMcpTool": "tools",
    "McpSdkServerConfig": "tools",
    "ToolError": "tools",
    "create_sdk_mcp_server": "tools",
    "tool": "tools",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'jupyter_azure_ai' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def chat(*, new_conversation: bool = False, **options: Any) -> Any:
    """A chat panel (anywidget) on the kernel's shared client; see ``jupyter/widget.py``."""
    from .jupyter.widget import chat as _chat

    return _chat(new_conversation=new_conversation, **options)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext jupyter_azure_ai``: register the magics (no network, nothing heavy)."""
    from .jupyter.magics import load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext jupyter_azure_ai``: stop the loop thread and close the shared client."""
    from .jupyter.magics import unload

    unload(ipython)


__all__ = [
    "TERMINAL_TASK_STATUSES",
    "APIStatusError",
    "AgentDefinition",
    "AssistantMessage",
    "AsyncHookJSONOutput",
    "AuthenticationError",
    "AzureAgentClient",
    "AzureOpenAIError",
    "AzureOpenAIOptions",
    "BaseHookInput",
    "CLIConnectionError",
    "CLIJSONDecodeError",
    "CLINotFoundError",
    "CanUseTool",
    "CanUseToolShadowedWarning",
    "ClaudeSDKError",
    "ConfigurationError",
    "ConnectionSettings",
    "ContentBlock",
    "ContentFilterError",
    "ContextUsageCategory",
    "ContextUsageResponse",
    "ContextWindowError",
    "ConversationResetMessage",
    "DeferredToolUse",
    "EffortLevel",
    "HookCallback",
    "HookContext",
    "HookEvent",
    "HookEventMessage",
    "HookInput",
    "HookJSONOutput",
    "HookMatcher",
    "HookSpecificOutput",
    "MCPCommandNotFoundError",
    "MCPServerError",
    "MapItem",
    "McpSdkServerConfig",
    "McpServerConfig",
    "McpServerConnectionStatus",
    "McpServerInfo",
    "McpServerStatus",
    "McpServerStatusConfig",
    "McpStatusResponse",
    "McpToolAnnotations",
    "McpToolInfo",
    "Message",
    "MessageOrigin",
    "MessageOriginKind",
    "MirrorErrorMessage",
    "ModelNotFoundError",
    "ModelUsage",
    "NotificationHookInput",
    "NotificationHookSpecificOutput",
    "PermissionBehavior",
    "PermissionMode",
    "PermissionRequestHookInput",
    "PermissionRequestHookSpecificOutput",
    "PermissionResult",
    "PermissionResultAllow",
    "PermissionResultDeny",
    "PermissionRuleValue",
    "PermissionUpdate",
    "PermissionUpdateDestination",
    "PostToolUseFailureHookInput",
    "PostToolUseFailureHookSpecificOutput",
    "PostToolUseHookInput",
    "PostToolUseHookSpecificOutput",
    "PreCompactHookInput",
    "PreToolUseHookInput",
    "PreToolUseHookSpecificOutput",
    "ProcessError",
    "QuerySettings",
    "RateLimitError",
    "RateLimitEvent",
    "RateLimitInfo",
    "RateLimitStatus",
    "RateLimitType",
    "ResultError",
    "ResultMessage",
    "SandboxIgnoreViolations",
    "SandboxNetworkConfig",
    "SandboxSettings",
    "SdkBeta",
    "SdkMcpTool",
    "SdkPluginConfig",
    "SdkTool",
    "ServerToolName",
    "ServerToolResultBlock",
    "ServerToolUseBlock",
    "SessionStartHookSpecificOutput",
    "SettingSource",
    "StopHookInput",
    "StreamDecodeError",
    "StreamEvent",
    "StreamInterruptedError",
    "SubagentStartHookInput",
    "SubagentStartHookSpecificOutput",
    "SubagentStopHookInput",
    "SyncHookJSONOutput",
    "SystemMessage",
    "SystemPromptFile",
    "SystemPromptPreset",
    "TaskBudget",
    "TaskNotificationMessage",
    "TaskNotificationOriginSubkind",
    "TaskNotificationStatus",
    "TaskProgressMessage",
    "TaskStartedMessage",
    "TaskUpdatedMessage",
    "TaskUpdatedStatus",
    "TaskUsage",
    "TextBlock",
    "ThinkingBlock",
    "ThinkingConfig",
    "ThinkingConfigAdaptive",
    "ThinkingConfigDisabled",
    "ThinkingConfigEnabled",
    "ToolAnnotations",
    "ToolError",
    "ToolPermissionContext",
    "ToolResultBlock",
    "ToolSettings",
    "ToolUseBlock",
    "ToolsPreset",
    "Transport",
    "UnauthorizedError",
    "UserMessage",
    "UserPromptSubmitHookInput",
    "UserPromptSubmitHookSpecificOutput",
    "__version__",
    "azure_map",
    "azure_query",
    "chat",
    "clear_cache",
    "create_sdk_mcp_server",
    "map_rows",
    "tool",
]
