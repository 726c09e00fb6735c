"""Azure OpenAI behind API Management, from Python and from Jupyter.

``import jupyter_azure_ai`` stays light: IPython, anywidget and azure.identity load
only when the Jupyter pieces or a token fetch need them.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .client import AzureAgentClient
from .errors import (
    APIStatusError,
    AuthenticationError,
    AzureOpenAIError,
    CLIConnectionError,
    ContentFilterError,
    ModelNotFoundError,
    RateLimitError,
    StreamDecodeError,
    StreamInterruptedError,
    UnauthorizedError,
)
from .query import azure_query
from .tools import SdkTool, tool
from .types import (
    AssistantMessage,
    AzureOpenAIOptions,
    ContentBlock,
    Message,
    ResultMessage,
    StreamEvent,
    SystemMessage,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
)

__all__ = [
    "APIStatusError",
    "AssistantMessage",
    "AuthenticationError",
    "AzureAgentClient",
    "AzureOpenAIError",
    "AzureOpenAIOptions",
    "CLIConnectionError",
    "ContentBlock",
    "ContentFilterError",
    "Message",
    "ModelNotFoundError",
    "RateLimitError",
    "ResultMessage",
    "SdkTool",
    "StreamDecodeError",
    "StreamEvent",
    "StreamInterruptedError",
    "SystemMessage",
    "TextBlock",
    "ThinkingBlock",
    "ToolResultBlock",
    "ToolUseBlock",
    "UnauthorizedError",
    "UserMessage",
    "__version__",
    "azure_query",
    "tool",
]
