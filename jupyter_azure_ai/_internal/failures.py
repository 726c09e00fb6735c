"""Every translation of an outside failure into the error tree, in one module.

The outside world is met in three places — an HTTP response (transport), an httpx
or TLS failure (transport), an azure-identity failure (auth) — plus one finish
reason inside a 2xx stream (a content-filter stop). Each has one function here, and
the callers only raise what it returns. Every message is one line, and every piece
of outside text passes :func:`scrub` first, so no secret (client secret,
subscription key, access token) reaches a message.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import (
    APIStatusError,
    AuthenticationError,
    AzureOpenAIError,
    CLIConnectionError,
    ContentFilterError,
    ContextWindowError,
    ModelNotFoundError,
    RateLimitError,
    UnauthorizedError,
)

_MAX_DETAIL = 300
_AADSTS = re.compile(r"AADSTS\d+:.*?(?:\.(?=\s)|$)")
_HTTP_ERROR = re.compile(r"Authentication failed: HTTP Error: (\d{3})")
_NO_AUTHORITY = re.compile(r"Unable to get authority configuration for (\S+?)\.?\s")
# Azure's context_length_exceeded, in its two forms (azure-wire-2.md §7b).
_WINDOW = re.compile(r"maximum context length is (\d+) tokens", re.IGNORECASE)
_RESULTED = re.compile(r"messages resulted in (\d+) tokens", re.IGNORECASE)
_REQUESTED = re.compile(
    r"requested (\d+) tokens \((\d+) in the messages, (\d+) in the completion\)", re.IGNORECASE
)
# Azure's 400 for image parts sent to a deployment without vision (azure-wire-2.md §5).
_NO_VISION = re.compile(r"image_url is only supported by certain models", re.IGNORECASE)
_BODY_WAIT = re.compile(r"(?:retry after|try again in) (\d+(?:\.\d+)?) seconds?", re.IGNORECASE)

NO_QUOTA_RETRY_AFTER_S = 120.0
"""A 429 asking for a longer wait than this means "no quota" (Azure says 86,400 s on
a zero-quota subscription): clients fail fast instead of sleeping (openai-python
likewise does not retry past 120 s)."""


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace each secret in ``text`` with ``***`` and fold the text onto one line."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    text = " ".join(text.split())
    if len(text) > _MAX_DETAIL:
        text = text[: _MAX_DETAIL - 1] + "…"
    return text


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


def retry_after_from_body(message: str) -> float | None:
    """The wait a 429 body names ("Please retry after 86400 seconds", "Try again in
    2 seconds"), or None."""
    match = _BODY_WAIT.search(message)
    return float(match.group(1)) if match else None


def error_from_response(
    status: int,
    headers: Mapping[str, str],
    raw_body: bytes,
    *,
    deployment: str,
    secrets: Iterable[str] = (),
    detour: str | None = None,
) -> AzureOpenAIError:
    """Translate one non-2xx response into the error tree.

    ``detour``: the origin a redirect led to (it was sent neither token nor key).
    """
    secrets = tuple(secrets)
    body = _parse_body(raw_body)
    code, raw_message = service_message(body)
    message = scrub(raw_message, secrets) or f"HTTP {status}"
    request_id = headers.get("apim-request-id") or headers.get("x-ms-request-id")
    rid = f" (request id {request_id})" if request_id else ""
    if detour:
        rid += (
            f" (after a redirect to {detour}, which was not sent the token or the subscription key)"
        )
    kw: dict[str, Any] = {"status_code": status, "request_id": request_id, "body": body}
    if status == 401:
        return UnauthorizedError(message + rid, request_id=request_id, body=body)
    if status == 404 and (code == "DeploymentNotFound" or "deployment" in message.lower()):
        return ModelNotFoundError(
            f"Model not found: deployment '{deployment}' does not exist behind this endpoint"
            f" — check AzureOpenAIOptions.model / AZURE_OPENAI_DEPLOYMENT ({message}){rid}",
            **kw,
        )
    if status == 429:
        wait = retry_after_seconds(headers)
        said = retry_after_from_body(message)
        # The body wins when there is no header, or when it says "no quota" (86,400 s)
        # next to a short header (both are seen on real 429s, azure-wire-2.md §3).
        if said is not None and (wait is None or (said > NO_QUOTA_RETRY_AFTER_S and said > wait)):
            wait = said
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
    if status == 400 and (code == "context_length_exceeded" or _WINDOW.search(raw_message)):
        return _context_window(raw_message, message + rid, kw)
    if status == 400 and _NO_VISION.search(raw_message):
        return APIStatusError(
            f"Deployment '{deployment}' does not take images (HTTP 400: {message}); send them"
            f" to a vision deployment such as gpt-4o (model= / %%azure -m){rid}",
            **kw,
        )
    label = f"{code}: " if code and code != str(status) else ""
    return APIStatusError(f"HTTP {status} from Azure OpenAI: {label}{message}{rid}", **kw)


def _context_window(raw: str, message: str, kw: dict[str, Any]) -> ContextWindowError:
    """Azure's ``context_length_exceeded``: the numbers are only in the message text."""
    window = _WINDOW.search(raw)
    requested = _REQUESTED.search(raw)
    resulted = _RESULTED.search(raw)
    total: int | None = None
    completion: int | None = None
    if requested:
        total, completion = int(requested.group(1)), int(requested.group(3))
    elif resulted:
        total = int(resulted.group(1))
    return ContextWindowError(
        f"Context window exceeded: {message}",
        window=int(window.group(1)) if window else None,
        requested=total,
        completion=completion,
        **kw,
    )


def prompt_too_long(
    deployment: str, prompt_tokens: int, window: int, completion: int, cause: ContextWindowError
) -> ContextWindowError:
    """The one line for a prompt that does not fit the context window on its own."""
    return ContextWindowError(
        f"Prompt too long: about {prompt_tokens:,} tokens on its own, and deployment"
        f" '{deployment}' has a context window of {window:,} tokens ({completion:,} of them"
        " kept for the answer, max_tokens); shorten the prompt or lower max_tokens",
        window=window,
        requested=prompt_tokens + completion,
        completion=completion,
        status_code=cause.status_code,
        request_id=cause.request_id,
        body=cause.body,
    )


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


def auth_failure_detail(exc: BaseException, secrets: Iterable[str]) -> str:
    """One line from an azure-identity / azure-core failure: the AADSTS code and reason."""
    text = str(getattr(exc, "message", None) or exc) or type(exc).__name__
    match = _AADSTS.search(text)
    if match:
        return scrub(match.group(0), secrets)
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    status = _HTTP_ERROR.search(text)
    if status:  # azure-identity's wording for a token endpoint answering 5xx and such
        return (
            f"token endpoint answered HTTP {status.group(1)}; try again later, or check"
            " AZURE_AUTHORITY_HOST and any proxy in the way"
        )
    authority = _NO_AUTHORITY.search(text)
    if authority:  # MSAL's wording when the tenant's OpenID configuration is missing
        return scrub(
            f"tenant not found: {authority.group(1)} has no OpenID configuration"
            " (AADSTS90002?); check tenant_id / AZURE_TENANT_ID and authority_host",
            secrets,
        )
    if "CERTIFICATE_VERIFY_FAILED" in text:
        first += " (TLS certificate not trusted: set verify= or SSL_CERT_FILE to your CA bundle)"
    return scrub(first, secrets)


def error_from_auth_failure(exc: BaseException, secrets: Iterable[str]) -> AuthenticationError:
    """Translate an azure-identity / azure-core failure (the whole ``AzureError`` family)."""
    return AuthenticationError(auth_failure_detail(exc, tuple(secrets)))


def completion_filtered(categories: list[str], partial_text: str) -> ContentFilterError:
    """The error for a stream the content filter stopped (finish_reason ``content_filter``).

    The HTTP status was 200: the filter acted on the completion while it streamed.
    """
    cats = categories or ["unspecified"]
    return ContentFilterError(
        f"Content filter stopped the completion ({', '.join(cats)});"
        f" {len(partial_text)} characters had arrived",
        categories=categories,
        where="completion",
        status_code=200,
        body={"partial_text": partial_text},
    )


__all__ = [
    "completion_filtered",
    "error_from_auth_failure",
    "error_from_exception",
    "error_from_response",
    "filtered_categories",
    "prompt_too_long",
    "retry_after_from_body",
    "retry_after_seconds",
    "scrub",
    "service_message",
]
