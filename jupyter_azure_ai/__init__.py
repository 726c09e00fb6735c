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
    BatchAPIUnavailableError,
    BatchQuotaError,
    BatchRowError,
    BatchValidationError,
    CLIConnectionError,
    ConfigurationError,
    ContentFilterError,
    ContextWindowError,
    MCPServerError,
    ModelNotFoundError,
    RateLimitError,
    StreamDecodeError,
    StreamInterruptedError,
    UnauthorizedError,
)
from .options import (
    AzureOpenAIOptions,
    ConnectionSettings,
    QuerySettings,
    SessionSettings,
    ToolSettings,
)
from .types import (
    AssistantMessage,
    CanUseTool,
    ContentBlock,
    HookCallback,
    HookContext,
    HookMatcher,
    Message,
    PermissionResult,
    PermissionResultAllow,
    PermissionResultDeny,
    ResultMessage,
    StreamEvent,
    SystemMessage,
    TextBlock,
    ThinkingBlock,
    ToolPermissionContext,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
)

if TYPE_CHECKING:
    from .batch import BatchJob, list_batches, submit_batch
    from .client import AzureAgentClient
    from .mapping import MapItem, azure_map, clear_cache, map_rows
    from .query import azure_query
    from .sessions import (
        ForkSessionResult,
        SDKSessionInfo,
        delete_session,
        fork_session,
        get_session_info,
        get_session_messages,
        list_sessions,
    )
    from .tools import SdkTool, ToolError, create_sdk_mcp_server, tool

#: Public names whose modules import httpx/anyio: loaded on first access.
_LAZY = {
    "AzureAgentClient": "client",
    "BatchJob": "batch",
    "list_batches": "batch",
    "submit_batch": "batch",
    "MapItem": "mapping",
    "azure_map": "mapping",
    "clear_cache": "mapping",
    "map_rows": "mapping",
    "azure_query": "query",
    "ForkSessionResult": "sessions",
    "SDKSessionInfo": "sessions",
    "delete_session": "sessions",
    "fork_session": "sessions",
    "get_session_info": "sessions",
    "get_session_messages": "sessions",
    "list_sessions": "sessions",
    "SdkTool": "tools",
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
    "APIStatusError",
    "AssistantMessage",
    "AuthenticationError",
    "AzureAgentClient",
    "AzureOpenAIError",
    "AzureOpenAIOptions",
    "BatchAPIUnavailableError",
    "BatchJob",
    "BatchQuotaError",
    "BatchRowError",
    "BatchValidationError",
    "CLIConnectionError",
    "CanUseTool",
    "ConfigurationError",
    "ConnectionSettings",
    "ContentBlock",
    "ContentFilterError",
    "ContextWindowError",
    "ForkSessionResult",
    "HookCallback",
    "HookContext",
    "HookMatcher",
    "MCPServerError",
    "MapItem",
    "Message",
    "ModelNotFoundError",
    "PermissionResult",
    "PermissionResultAllow",
    "PermissionResultDeny",
    "QuerySettings",
    "RateLimitError",
    "ResultMessage",
    "SDKSessionInfo",
    "SdkTool",
    "SessionSettings",
    "StreamDecodeError",
    "StreamEvent",
    "StreamInterruptedError",
    "SystemMessage",
    "TextBlock",
    "ThinkingBlock",
    "ToolError",
    "ToolPermissionContext",
    "ToolResultBlock",
    "ToolSettings",
    "ToolUseBlock",
    "UnauthorizedError",
    "UserMessage",
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
