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
    BatchAPIUnavailableError,
    BatchQuotaError,
    BatchRowError,
    BatchValidationError,
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


# --- the Files and Batch APIs (azure-wire-2.md §1, §2, §7) ---------------------------

BATCH_API_HINT = (
    "an APIM administrator must add operations (or a wildcard) for /files* and /batches*"
    " (GET, POST, DELETE) to the API that fronts Azure OpenAI, forwarding to the same"
    " backend: they are in Azure OpenAI's authoring spec, not in the inference spec that"
    " 'Import from Azure OpenAI' creates; until then use map_rows"
)


def batch_route_missing(exc: APIStatusError, what: str, *, collection: bool) -> bool:
    """Is this 404 the gateway not knowing the route (rather than one unknown id)?

    A 404 on a collection (upload, create, list) always is; on one item only with the
    routing answer "Resource not found" (APIM's ``{"statusCode": 404, ...}`` or Azure's
    ``{"error": {"code": "404", ...}}``), not the service's ``notFound`` for an id."""
    if exc.status_code != 404:
        return False
    if collection:
        return True
    code, message = service_message(exc.body)
    return code in ("404", "") and "resource not found" in message.lower()


def batch_api_unavailable(
    exc: APIStatusError, request: str, api_version: str | None = None
) -> BatchAPIUnavailableError:
    """The one line for a gateway without the Batch API (``request``: ``"POST /files"``).

    An ``api_version`` older than the Batch API (``2024-07-01-preview``) gets the same
    404 from Azure itself, so the line names it first."""
    _, message = service_message(exc.body)
    said = f" ({scrub(message, ())})" if message else ""
    old = ""
    if api_version and api_version < "2024-07-01":
        old = (
            f"api-version {api_version} predates the Batch API (2024-07-01-preview): use"
            " 2024-10-21 or later; otherwise "
        )
    return BatchAPIUnavailableError(
        f"The gateway does not expose the Azure OpenAI Batch API: {request} answered"
        f" 404{said}; {old}{BATCH_API_HINT}",
        status_code=exc.status_code,
        request_id=exc.request_id,
        body=exc.body,
    )


def is_token_limit(exc: BaseException) -> bool:
    """Batch creation refused because the enqueued-token quota is full (400 or 429 whose
    code or message says ``token_limit_exceeded``; the exact body is unconfirmed)."""
    if not isinstance(exc, APIStatusError) or exc.status_code not in (400, 429):
        return False
    code, message = service_message(exc.body)
    return "token_limit_exceeded" in f"{code} {message}".lower()


def batch_quota_exhausted(
    deployment: str, tries: int, waited_s: float, cause: APIStatusError
) -> BatchQuotaError:
    _, message = service_message(cause.body)
    return BatchQuotaError(
        f"Batch quota full for deployment '{deployment}': the service refused the job with"
        f" token_limit_exceeded {tries} times over {waited_s:,.0f} s (the enqueued-token"
        " quota counts the input tokens of every unfinished batch job); wait for running"
        " jobs to finish, cancel some, or raise the deployment's Global-Batch quota"
        f" ({scrub(message, ())})",
        status_code=cause.status_code,
        request_id=cause.request_id,
        body=cause.body,
    )


def batch_validation_failed(
    batch_id: str | None, errors_data: Any, *, detail: str = "", first_line: int = 0
) -> BatchValidationError:
    """A job (or its input file) that failed validation, naming each failing line.

    ``errors_data``: the batch object's ``errors.data`` (``[{code, message, line}]``);
    ``first_line``: the data row of the job's line 1, so each line is also named as a
    row of the data (line n is row ``first_line + n - 1``)."""
    found: list[dict[str, Any]] = []
    for entry in errors_data if isinstance(errors_data, list) else []:
        if not isinstance(entry, Mapping):
            continue
        line = entry.get("line")
        found.append(
            {
                "line": int(line) if isinstance(line, (int, float)) else None,
                "code": str(entry.get("code") or ""),
                "message": scrub(str(entry.get("message") or ""), ()),
            }
        )
    if not found and detail:
        found.append({"line": None, "code": "", "message": scrub(detail, ())})
    parts = []
    for e in found[:10]:
        where = f"line {e['line']} (row {first_line + e['line'] - 1})" if e["line"] else "file"
        code = f"{e['code']}: " if e["code"] else ""
        parts.append(f"{where}: {code}{e['message']}")
    more = f"; and {len(found) - 10} more" if len(found) > 10 else ""
    which = f"Batch job {batch_id}" if batch_id else "The batch input file"
    listed = "; ".join(parts) or "the service gave no reason"
    return BatchValidationError(
        f"{which} failed validation, nothing of it ran: {listed}{more}",
        errors=found,
        batch_id=batch_id,
    )


def batch_row_error(line: Mapping[str, Any], deployment: str) -> AzureOpenAIError:
    """The error of one output- or error-file line: the row's HTTP status and body when
    it has them (translated like a chat answer), else its ``error`` object."""
    response = line.get("response")
    if isinstance(response, Mapping) and isinstance(response.get("status_code"), int):
        status = int(response["status_code"])
        if status >= 400:
            body = response.get("body")
            raw = json.dumps(body).encode() if not isinstance(body, (str, bytes)) else body
            headers = {"x-ms-request-id": str(response.get("request_id") or "")}
            if not headers["x-ms-request-id"]:
                headers = {}
            raw_bytes = raw.encode() if isinstance(raw, str) else raw
            return error_from_response(status, headers, raw_bytes, deployment=deployment)
    error = line.get("error")
    if isinstance(error, Mapping):
        code = str(error.get("code") or "") or None
        message = scrub(str(error.get("message") or "no message"), ())
        return BatchRowError(f"{code + ': ' if code else ''}{message}", code=code)
    return BatchRowError("the batch output line has neither an answer nor an error")


__all__ = [
    "BATCH_API_HINT",
    "batch_api_unavailable",
    "batch_quota_exhausted",
    "batch_route_missing",
    "batch_row_error",
    "batch_validation_failed",
    "completion_filtered",
    "error_from_auth_failure",
    "error_from_exception",
    "error_from_response",
    "filtered_categories",
    "is_token_limit",
    "prompt_too_long",
    "retry_after_from_body",
    "retry_after_seconds",
    "scrub",
    "service_message",
]
