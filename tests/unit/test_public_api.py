"""The public surface changes only on purpose; importing it stays light."""

from __future__ import annotations

import subprocess
import sys

import jupyter_azure_ai

EXPECTED = [
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
    "ClaudeSDKError",
    "ConfigurationError",
    "ConnectionSettings",
    "ContentBlock",
    "ContentFilterError",
    "ContextWindowError",
    "HookCallback",
    "HookContext",
    "HookEvent",
    "HookInput",
    "HookJSONOutput",
    "HookMatcher",
    "HookSpecificOutput",
    "MCPCommandNotFoundError",
    "MCPServerError",
    "MapItem",
    "Message",
    "ModelNotFoundError",
    "NotificationHookInput",
    "NotificationHookSpecificOutput",
    "PermissionMode",
    "PermissionRequestHookInput",
    "PermissionRequestHookSpecificOutput",
    "PermissionResult",
    "PermissionResultAllow",
    "PermissionResultDeny",
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
    "ResultMessage",
    "SdkTool",
    "SessionStartHookSpecificOutput",
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
    "TextBlock",
    "ThinkingBlock",
    "ToolError",
    "ToolPermissionContext",
    "ToolResultBlock",
    "ToolSettings",
    "ToolUseBlock",
    "ToolsPreset",
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
        " 'starlette', 'uvicorn', 'trustme', 'mcp', 'jsonschema', 'pydantic')"
        " if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
