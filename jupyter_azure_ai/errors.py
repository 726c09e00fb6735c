"""The error tree (classes only; ``_internal/failures.py`` maps outside failures onto it).

::

    AzureOpenAIError
     ├── ConfigurationError            bad options or environment (also a ``ValueError``)
     ├── CLIConnectionError            "Failed to connect to Azure OpenAI: <cause>"
     │    ├── AuthenticationError      "Failed to acquire Azure AD token: <AADSTS code and reason>"
     │    ├── UnauthorizedError        "401 Unauthorized: <APIM / service message>"
     │    ├── StreamInterruptedError   the response stream ended before [DONE]
     │    └── CLINotFoundError         a program to start is not installed (an MCP
     │         └── MCPCommandNotFoundError  server's command not on PATH)
     ├── CLIJSONDecodeError            (line, original_error)
     │    └── StreamDecodeError        the service sent bytes that are not a valid chunk
     ├── ProcessError                  (exit_code, stderr): a process we started failed
     │    └── MCPServerError           "MCP server '<name>' failed to start: <cause>"
     ├── BatchValidationError          a batch job failed validation (errors: each line)
     ├── BatchRowError                 a batch row without an answer or an HTTP status
     └── APIStatusError                (status_code, request_id, body)
          ├── ModelNotFoundError       "Model not found: deployment '<name>' ..."
          ├── RateLimitError           (retry_after)
          │    └── BatchQuotaError     token_limit_exceeded, still after the retries:
          │                             the enqueued-token quota of batch jobs is full
          ├── ContentFilterError       (categories: which filters fired)
          ├── ContextWindowError       (window, requested: the prompt does not fit the
          │                             deployment's context window on its own)
          └── BatchAPIUnavailableError the gateway does not expose /files or /batches

The Claude Agent SDK's names are kept where the meaning carries over, so its
``except`` clauses keep working: ``ClaudeSDKError`` is ``AzureOpenAIError`` (the same
class), ``CLIConnectionError``, ``CLINotFoundError``, ``ProcessError`` and
``CLIJSONDecodeError`` are raised by this SDK where their meaning fits (above).

Every message is one line. Secrets (client secret, subscription key, access token)
are scrubbed before any text from outside reaches a message.
"""

from __future__ import annotations

from typing import Any


class AzureOpenAIError(Exception):
    """Base of every error the SDK raises on purpose."""


ClaudeSDKError = AzureOpenAIError
"""The Claude Agent SDK's name for the base class (the same class)."""


class ConfigurationError(AzureOpenAIError, ValueError):
    """Options or ``AZURE_*`` variables are missing or invalid (nothing was sent).

    Also a ``ValueError``, so code written against plain ``ValueError`` still catches it.
    """


class CLIConnectionError(AzureOpenAIError):
    """The service could not be reached or would not let us in (name kept from the Claude SDK)."""

    prefix = "Failed to connect to Azure OpenAI: "

    def __init__(self, detail: str) -> None:
        super().__init__(detail if detail.startswith(self.prefix) else self.prefix + detail)


class AuthenticationError(CLIConnectionError):
    """Microsoft Entra ID refused to issue a token (or could not be reached)."""

    prefix = "Failed to acquire Azure AD token: "


class UnauthorizedError(CLIConnectionError):
    """APIM or the service answered 401 even after one token refresh.

    Carries ``status_code`` (401), ``request_id`` and ``body`` like ``APIStatusError``.
    """

    prefix = "401 Unauthorized: "

    def __init__(self, detail: str, *, request_id: str | None = None, body: Any = None) -> None:
        super().__init__(detail)
        self.status_code = 401
        self.request_id = request_id
        self.body = body


class StreamInterruptedError(CLIConnectionError):
    """The answer stream stopped before ``[DONE]``: never a silent short answer."""


class CLINotFoundError(CLIConnectionError):
    """A program this SDK was asked to start is not installed (Claude SDK name; its CLI
    is the program there). Raised as ``MCPCommandNotFoundError``."""

    prefix = ""


class CLIJSONDecodeError(AzureOpenAIError):
    """Output that should be JSON is not (Claude SDK name): ``line`` (the start of what
    was read, secrets scrubbed) and ``original_error``. Raised as ``StreamDecodeError``."""

    def __init__(
        self, message: str, *, line: str = "", original_error: Exception | None = None
    ) -> None:
        super().__init__(message)
        self.line = line
        self.original_error = original_error


class StreamDecodeError(CLIJSONDecodeError):
    """The service sent data that is not a valid chat-completion chunk."""


class ProcessError(AzureOpenAIError):
    """A process this SDK started failed (Claude SDK name): ``exit_code`` and ``stderr``
    (its last line) when known. Raised as ``MCPServerError``. Built as in the Claude SDK:
    ``ProcessError(message, exit_code, stderr)`` (code that raises it in its own tests)."""

    def __init__(
        self, message: str, exit_code: int | None = None, stderr: str | None = None
    ) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.stderr = stderr


class ResultError(ProcessError):
    """The Claude SDK's error for a run that ended in an error result. Never raised here:
    such a run ends with ``ResultMessage(is_error=True)`` (its ``subtype`` says why) and
    failures of the service are the typed errors of this module. Importable so that
    ``except ResultError`` clauses keep working."""

    def __init__(self, message: str, data: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.data = data or {}
        self.subtype = self.data.get("subtype")
        self.result = self.data.get("result")


class MCPServerError(ProcessError):
    """An MCP server from ``mcp_servers`` could not be started or spoken to."""

    def __init__(self, message: str, *, server: str, stderr: str | None = None) -> None:
        super().__init__(message, stderr=stderr)
        self.server = server


class MCPCommandNotFoundError(MCPServerError, CLINotFoundError):
    """An MCP server's ``command`` is not a file and not on ``PATH``: both an
    ``MCPServerError`` (``ProcessError``) and a ``CLINotFoundError``."""


class APIStatusError(AzureOpenAIError):
    """The service answered with an error status."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        request_id: str | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.request_id = request_id
        self.body = body


class ModelNotFoundError(APIStatusError):
    """The deployment name does not exist behind this endpoint."""


class RateLimitError(APIStatusError):
    """Still rate limited after the allowed retries; ``retry_after`` is in seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ContentFilterError(APIStatusError):
    """Azure's content filter blocked the prompt or the completion."""

    def __init__(self, message: str, *, categories: list[str], where: str, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.categories = categories
        self.where = where


class ContextWindowError(APIStatusError):
    """The prompt does not fit the deployment's context window (``context_length_exceeded``).

    The SDK handles Azure's 400 itself, by leaving out earlier exchanges and asking
    again (api.md §7); you see this error only when the prompt does not fit on its own.
    ``window``: the deployment's context window in tokens; ``requested``: the tokens
    asked for (the prompt with the system prompt and tool definitions, plus
    ``completion``, the room kept for the answer: ``max_tokens``). Each is ``None`` when
    the service did not say.
    """

    def __init__(
        self,
        message: str,
        *,
        window: int | None = None,
        requested: int | None = None,
        completion: int | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(message, **kw)
        self.window = window
        self.requested = requested
        self.completion = completion


class BatchAPIUnavailableError(APIStatusError):
    """The gateway answered 404 for the Files or Batch API: the APIM API in front of
    Azure OpenAI has no operations for ``/files*`` and ``/batches*``."""


class BatchQuotaError(RateLimitError):
    """Batch creation kept failing with ``token_limit_exceeded``: the deployment's
    enqueued-token quota (input tokens of all unfinished batch jobs) is full."""


class BatchValidationError(AzureOpenAIError):
    """A batch job (or its input file) failed validation; nothing of it ran.

    ``errors``: one dict per problem, ``{"line": int | None, "code": str, "message": str}``
    (``line`` counts from 1 in the job's input file, as the service reports it);
    ``batch_id`` the job's id (None when the input file itself was refused).
    """

    def __init__(
        self, message: str, *, errors: list[dict[str, Any]], batch_id: str | None = None
    ) -> None:
        super().__init__(message)
        self.errors = errors
        self.batch_id = batch_id


class BatchRowError(AzureOpenAIError):
    """One row of a batch job without an answer and without an HTTP status: the service's
    per-row ``error`` (``code``), or a row the job never ran (cancelled, expired)."""

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code

    def __reduce__(self) -> tuple[Any, ...]:
        return _batch_row_error, (str(self), self.code)


def _batch_row_error(message: str, code: str | None) -> BatchRowError:
    return BatchRowError(message, code=code)


__all__ = [
    "APIStatusError",
    "AuthenticationError",
    "AzureOpenAIError",
    "BatchAPIUnavailableError",
    "BatchQuotaError",
    "BatchRowError",
    "BatchValidationError",
    "CLIConnectionError",
    "CLIJSONDecodeError",
    "CLINotFoundError",
    "ClaudeSDKError",
    "ConfigurationError",
    "ContentFilterError",
    "ContextWindowError",
    "MCPCommandNotFoundError",
    "MCPServerError",
    "ModelNotFoundError",
    "ProcessError",
    "RateLimitError",
    "ResultError",
    "StreamDecodeError",
    "StreamInterruptedError",
    "UnauthorizedError",
]
