"""The public surface changes only on purpose; importing it stays light."""

from __future__ import annotations

import subprocess
import sys

import jupyter_azure_ai

EXPECTED = [
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
    "BatchAPIUnavailableError",
    "BatchJob",
    "BatchQuotaError",
    "BatchRowError",
    "BatchValidationError",
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
    "ForkSessionResult",
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
    "SDKSessionInfo",
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
    "SessionSettings",
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
    "delete_session",
    "fork_session",
    "get_session_info",
    "get_session_messages",
    "list_batches",
    "list_sessions",
    "map_rows",
    "submit_batch",
    "tool",
]


def test_all_is_pinned_and_sorted() -> None:
    assert jupyter_azure_ai.__all__ == EXPECTED
    for name in EXPECTED:
        assert hasattr(jupyter_azure_ai, name), name


def test_error_tree() -> None:
    j = jupyter_azure_ai
    assert issubclass(j.AuthenticationError, j.CLIConnectionError)
    assert issubclass(j.UnauthorizedError, j.CLIConnectionError)
    assert issubclass(j.CLIConnectionError, j.AzureOpenAIError)
    errors = (j.ModelNotFoundError, j.RateLimitError, j.ContentFilterError, j.ContextWindowError)
    for cls in errors:
        assert issubclass(cls, j.APIStatusError)
    assert issubclass(j.APIStatusError, j.AzureOpenAIError)


def test_import_is_light() -> None:
    code = (
        "import sys, jupyter_azure_ai; "
        "heavy = [m for m in ('IPython', 'ipywidgets', 'anywidget', 'azure.identity', 'openai',"
        " 'starlette', 'uvicorn', 'trustme', 'mcp', 'jsonschema', 'pydantic',"
        " 'PIL', 'jupyter_azure_ai.message_types')"
        " if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
