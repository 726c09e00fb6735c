"""Every public name and every ``ClaudeAgentOptions`` field of the Claude Agent SDK is in the
README's migration tables, and importable / accepted here (issue #15).

The lists are the Claude SDK's own (``claude_agent_sdk/__init__.py`` ``__all__`` and the
``ClaudeAgentOptions`` fields), pinned so that a name dropped from the tables or from the
package fails here.
"""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import jupyter_azure_ai
import jupyter_azure_ai.types
from jupyter_azure_ai import AzureOpenAIOptions

README = Path(__file__).resolve().parents[2] / "README.md"

CLAUDE_NAMES = [
    "query",
    "__version__",
    "Transport",
    "ClaudeSDKClient",
    "PermissionMode",
    "EffortLevel",
    "McpServerConfig",
    "McpSdkServerConfig",
    "McpServerStatus",
    "McpServerStatusConfig",
    "McpServerConnectionStatus",
    "McpServerInfo",
    "McpStatusResponse",
    "McpToolAnnotations",
    "McpToolInfo",
    "UserMessage",
    "AssistantMessage",
    "SystemMessage",
    "TaskStartedMessage",
    "TaskProgressMessage",
    "TaskUpdatedMessage",
    "TaskNotificationMessage",
    "TaskNotificationStatus",
    "TaskUpdatedStatus",
    "TERMINAL_TASK_STATUSES",
    "TaskUsage",
    "ResultMessage",
    "ModelUsage",
    "DeferredToolUse",
    "RateLimitEvent",
    "RateLimitInfo",
    "RateLimitStatus",
    "RateLimitType",
    "StreamEvent",
    "ConversationResetMessage",
    "Message",
    "MessageOrigin",
    "MessageOriginKind",
    "TaskNotificationOriginSubkind",
    "ClaudeAgentOptions",
    "TaskBudget",
    "TextBlock",
    "ThinkingBlock",
    "ThinkingConfig",
    "ThinkingConfigAdaptive",
    "ThinkingConfigEnabled",
    "ThinkingConfigDisabled",
    "ToolUseBlock",
    "ToolResultBlock",
    "ServerToolName",
    "ServerToolUseBlock",
    "ServerToolResultBlock",
    "ContentBlock",
    "ContextUsageCategory",
    "ContextUsageResponse",
    "CanUseTool",
    "CanUseToolShadowedWarning",
    "ToolPermissionContext",
    "PermissionResult",
    "PermissionResultAllow",
    "PermissionResultDeny",
    "PermissionUpdate",
    "HookCallback",
    "HookContext",
    "HookInput",
    "HookEventMessage",
    "BaseHookInput",
    "PreToolUseHookInput",
    "PostToolUseHookInput",
    "PostToolUseFailureHookInput",
    "PostToolUseFailureHookSpecificOutput",
    "UserPromptSubmitHookInput",
    "StopHookInput",
    "SubagentStopHookInput",
    "PreCompactHookInput",
    "NotificationHookInput",
    "SubagentStartHookInput",
    "PermissionRequestHookInput",
    "NotificationHookSpecificOutput",
    "SubagentStartHookSpecificOutput",
    "PermissionRequestHookSpecificOutput",
    "HookJSONOutput",
    "HookMatcher",
    "AgentDefinition",
    "SettingSource",
    "SdkPluginConfig",
    "list_sessions",
    "get_session_info",
    "get_session_messages",
    "list_subagents",
    "get_subagent_messages",
    "SDKSessionInfo",
    "SessionMessage",
    "SessionKey",
    "SessionStore",
    "SessionStoreEntry",
    "SessionStoreFlushMode",
    "SessionStoreListEntry",
    "SessionSummaryEntry",
    "SessionListSubkeysKey",
    "InMemorySessionStore",
    "fold_session_summary",
    "MirrorErrorMessage",
    "project_key_for_directory",
    "import_session_to_store",
    "list_sessions_from_store",
    "get_session_info_from_store",
    "get_session_messages_from_store",
    "list_subagents_from_store",
    "get_subagent_messages_from_store",
    "rename_session",
    "tag_session",
    "delete_session",
    "fork_session",
    "ForkSessionResult",
    "rename_session_via_store",
    "tag_session_via_store",
    "delete_session_via_store",
    "fork_session_via_store",
    "SdkBeta",
    "SandboxSettings",
    "SandboxNetworkConfig",
    "SandboxIgnoreViolations",
    "create_sdk_mcp_server",
    "tool",
    "SdkMcpTool",
    "ToolAnnotations",
    "ClaudeSDKError",
    "CLIConnectionError",
    "CLINotFoundError",
    "ProcessError",
    "ResultError",
    "CLIJSONDecodeError",
]

CLAUDE_OPTION_FIELDS = [
    "tools",
    "allowed_tools",
    "system_prompt",
    "mcp_servers",
    "strict_mcp_config",
    "permission_mode",
    "continue_conversation",
    "resume",
    "session_id",
    "max_turns",
    "max_budget_usd",
    "disallowed_tools",
    "model",
    "fallback_model",
    "betas",
    "permission_prompt_tool_name",
    "cwd",
    "cli_path",
    "settings",
    "add_dirs",
    "env",
    "extra_args",
    "max_buffer_size",
    "debug_stderr",
    "stderr",
    "can_use_tool",
    "hooks",
    "user",
    "include_partial_messages",
    "include_hook_events",
    "forward_subagent_text",
    "fork_session",
    "resume_session_at",
    "resume_drops_turn",
    "agents",
    "setting_sources",
    "skills",
    "sandbox",
    "plugins",
    "max_thinking_tokens",
    "thinking",
    "effort",
    "output_format",
    "enable_file_checkpointing",
    "session_store",
    "session_store_flush",
    "load_timeout_ms",
    "task_budget",
]

MAPPED = {"query": "azure_query", "ClaudeSDKClient": "AzureAgentClient",
          "ClaudeAgentOptions": "AzureOpenAIOptions"}  # fmt: skip
SESSION_OPTIONS = {"continue_conversation", "resume", "session_id", "fork_session"}
SESSION_OPTIONS |= {"resume_session_at", "resume_drops_turn", "session_store"}
SESSION_OPTIONS |= {"session_store_flush", "load_timeout_ms"}


def is_session_name(name: str) -> bool:
    """Built on the sessions branch (the README's table says "same (see Sessions)")."""
    return "session" in name.lower() or "subagent" in name or name == "project_key_for_directory"


def migration_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Migration from the Claude Agent SDK")
    return text[start : text.index("\n## ", start + 10)]


def test_every_claude_name_has_a_row() -> None:
    section = migration_section()
    quoted = set(re.findall(r"`([A-Za-z_][\w]*)", section))
    covered_by_pattern = ("HookInput", "HookSpecificOutput", "_from_store", "_via_store")
    missing = [n for n in CLAUDE_NAMES
               if n not in quoted and not n.endswith(covered_by_pattern)]  # fmt: skip
    assert missing == []


def test_every_claude_name_imports_from_the_package() -> None:
    missing = []
    for name in CLAUDE_NAMES:
        if is_session_name(name):
            continue
        ours = MAPPED.get(name, name)
        if not hasattr(jupyter_azure_ai, ours):
            missing.append(name)
    assert missing == []
    for name in ("HookInput", "TaskNotificationMessage", "McpStatusResponse", "SdkMcpTool"):
        assert getattr(jupyter_azure_ai.types, name) is getattr(jupyter_azure_ai, name)


def test_every_claude_option_has_a_row_and_is_accepted() -> None:
    rows = [line for line in migration_section().splitlines() if line.startswith("| `")]
    option_rows = rows[: next(i for i, r in enumerate(rows) if r.startswith("| `query`"))]
    cells = [n for row in option_rows for n in re.findall(r"`([a-z_]+)`", row.split("|")[1])]
    named = set(cells)
    assert [f for f in CLAUDE_OPTION_FIELDS if f not in named] == []
    assert [f for f in CLAUDE_OPTION_FIELDS if cells.count(f) > 1] == []  # one row each
    accepted = {f.name for f in fields(AzureOpenAIOptions)} | {"settings"}  # settings: a property
    assert [f for f in CLAUDE_OPTION_FIELDS if f not in accepted | SESSION_OPTIONS] == []
