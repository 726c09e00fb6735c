"""The error tree, and the one place that maps HTTP and auth failures onto it.

::

    AzureOpenAIError
     ├── CLIConnectionError            "Failed to connect to Azure OpenAI: <cause>"
     │    ├── AuthenticationError      "Failed to acquire Azure AD token: <AADSTS code and reason>"
     │    ├── UnauthorizedError        "401 Unauthorized: <APIM / service message>"
     │    └── StreamInterruptedError   the response stream ended before [DONE]
     ├── StreamDecodeError             the service sent bytes that are not a valid chunk
     ├── MCPServerError                "MCP server '<name>' failed to start: <cause>"
     └── APIStatusError                (status_code, request_id, body)
          ├── ModelNotFoundError       "Model not found: deployment '<name>' ..."
          ├── RateLimitError           (retry_after)
          └── ContentFilterError       (categories: which filters fired)

Every message is one line. Secrets (client secret, subscription key, access token)
are scrubbed by :func:`scrub` before any text from outside reaches a message.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Iterable, Mapping
from typing import Any

_MAX_DETAIL = 300


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace each secret in ``text`` with ``***`` and fold the text onto one line."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    text = " ".join(text.split())
    if len(text) > _MAX_DETAIL:
        text = text[: _MAX_DETAIL - 1] + "…"
    return text


class AzureOpenAIError(Exception):
    """Base of every error the SDK raises on purpose."""


class CLIConnectionError(AzureOpenAIError):
    """The service could not be reached or would not let us in (name kept from the Claude SDK)."""

    prefix = "Failed to connect to Azure OpenAI: "

    def __init__(self, detail: str) -> None:
        super().__init__(detail if detail.startswith(self.prefix) else self.prefix + detail)


class AuthenticationError(CLIConnectionError):
    """Microsoft Entra ID refused to issue a token (or could not be reached)."""

    prefix = "Failed to acquire Azure AD token: "


class UnauthorizedError(CLIConnectionError):
    """APIM or the service answered 401 even after one token refresh."""

    prefix = "401 Unauthorized: "

    def __init__(self, detail: str, *, request_id: str | None = None) -> None:
        super().__init__(detail)
        self.request_id = request_id


class StreamInterruptedError(CLIConnectionError):
    """The answer stream stopped before ``[DONE]``: never a silent short answer."""


class StreamDecodeError(AzureOpenAIError):
    """The service sent data that is not a valid chat-completion chunk."""


class MCPServerError(AzureOpenAIError):
    """An MCP server from ``mcp_servers`` could not be started or spoken to."""

    def __init__(self, message: str, *, server: str) -> None:
        super().__init__(message)
        self.server = server


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


# --- mapping ----------------------------------------------------------------


def _parse_body(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def service_message(body: Any) -> tuple[str, str]:
    """(code, message) from an APIM body, an Azure OpenAI error body, or plain text."""
    if isinstance(body, Mapping):
        err = body.get("error")
        if isinstance(err, Mapping):
            return str(err.get("code") or ""), str(err.get("message") or "")
        if "message" in body:
            return str(body.get("statusCode") or ""), str(body["message"])
        return "", json.dumps(body)[:_MAX_DETAIL]
    return "", str(body or "").strip()


def filtered_categories(results: Any) -> list[str]:
    """Names of the content-filter categories marked ``filtered: true``."""
    if not isinstance(results, Mapping):
        return []
    return [k for k, v in results.items() if isinstance(v, Mapping) and v.get("filtered")]


def _content_filter_results(body: Mapping[str, Any]) -> Any:
    err = body.get("error") or {}
    inner = err.get("innererror") or err.get("inner_error") or {}
    return inner.get("content_filter_result") or inner.get("content_filter_results")


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait per ``retry-after-ms``, then ``retry-after`` (seconds or HTTP date)."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    ra = headers.get("retry-after")
    if not ra:
        return None
    try:
        return max(0.0, float(ra))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(ra).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - time.time())


def error_from_response(
    status: int,
    headers: Mapping[str, str],
    raw_body: bytes,
    *,
    deployment: str,
    secrets: Iterable[str] = (),
) -> AzureOpenAIError:
    """Translate one non-2xx response into the error tree."""
    secrets = tuple(secrets)
    body = _parse_body(raw_body)
    code, message = service_message(body)
    message = scrub(message, secrets) or f"HTTP {status}"
    request_id = headers.get("apim-request-id") or headers.get("x-ms-request-id")
    rid = f" (request id {request_id})" if request_id else ""
    kw: dict[str, Any] = {"status_code": status, "request_id": request_id, "body": body}
    if status == 401:
        return UnauthorizedError(message + rid, request_id=request_id)
    if status == 404 and (code == "DeploymentNotFound" or "deployment" in message.lower()):
        return ModelNotFoundError(
            f"Model not found: deployment '{deployment}' does not exist behind this endpoint"
            f" — check AzureOpenAIOptions.model / AZURE_OPENAI_DEPLOYMENT ({message}){rid}",
            **kw,
        )
    if status == 429:
        wait = retry_after_seconds(headers)
        hint = f"; retry after {wait:.0f} s" if wait is not None else ""
        return RateLimitError(f"Rate limited (429): {message}{hint}{rid}", retry_after=wait, **kw)
    if status == 400 and code == "content_filter" and isinstance(body, Mapping):
        cats = filtered_categories(_content_filter_results(body))
        fired = ", ".join(cats) or "unspecified"
        return ContentFilterError(
            f"Content filter blocked the prompt ({fired}): {message}{rid}",
            categories=cats,
            where="prompt",
            **kw,
        )
    label = f"{code}: " if code and code != str(status) else ""
    return APIStatusError(f"HTTP {status} from Azure OpenAI: {label}{message}{rid}", **kw)


def error_from_exception(exc: BaseException, *, secrets: Iterable[str] = ()) -> CLIConnectionError:
    """Translate a network / TLS / DNS / timeout failure (httpx) into ``CLIConnectionError``."""
    import httpx

    detail = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        detail = f"timed out ({type(exc).__name__}): {detail}"
    elif "CERTIFICATE_VERIFY_FAILED" in detail:
        detail = (
            f"TLS certificate not trusted ({detail}); set AzureOpenAIOptions.verify or"
            " SSL_CERT_FILE to your CA bundle"
        )
    elif isinstance(exc, httpx.ConnectError):
        detail = f"cannot connect ({detail}); check the endpoint URL and your network / proxy"
    return CLIConnectionError(scrub(detail, secrets))


__all__ = [
    "APIStatusError",
    "AuthenticationError",
    "AzureOpenAIError",
    "CLIConnectionError",
    "ContentFilterError",
    "ModelNotFoundError",
    "RateLimitError",
    "StreamDecodeError",
    "StreamInterruptedError",
    "UnauthorizedError",
    "error_from_exception",
    "error_from_response",
    "retry_after_seconds",
    "scrub",
]
