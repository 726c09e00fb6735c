"""The emulator's ASGI app: Entra ID token endpoint, APIM gate, Azure OpenAI chat.

Bodies, status codes and headers follow /work/shared/azure-wire.md, so code that
works here works against the real services. Nothing here logs or records a secret:
request records keep only whether a key or token was present.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import hashlib
import hmac
import itertools
import json
import logging
import math
import random
import secrets
import string
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import scenarios
from .scenarios import FaultSpec, Reply

COGNITIVE_SCOPE = "https://cognitiveservices.azure.com/.default"
_MSAL_RESERVED_SCOPES = {"openid", "profile", "offline_access"}
_PIECE = 64 * 1024
_ALNUM = string.ascii_letters + string.digits
_SAFE = {
    name: {"filtered": False, "severity": "safe"}
    for name in ("hate", "self_harm", "sexual", "violence")
}


class ConnectionCut(Exception):
    """Raised mid-response by the ``cut`` fault so uvicorn drops the connection."""


@dataclass(frozen=True)
class RequestRecord:
    """One request as the emulator saw it; presence flags only, never secret values."""

    method: str
    path: str
    host: str
    status: int
    fault: str | None
    subscription_key: bool
    authorization: bool


@dataclass
class Stats:
    """Counters that tests assert on (retries, token refreshes, leaked headers)."""

    token_requests: int = 0
    chat_requests: int = 0
    requests: list[RequestRecord] = field(default_factory=list)


class EmulatorState:
    """Credentials, issued tokens and fault counters, shared with the test thread."""

    def __init__(
        self,
        *,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        subscription_key: str,
        token_lifetime: int,
    ) -> None:
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.subscription_key = subscription_key
        self.token_lifetime = token_lifetime
        self.token_endpoint_down = False
        self.stats = Stats()
        self._lock = threading.Lock()
        self._tokens: dict[str, float] = {}
        self._revoked: set[str] = set()
        self._fault_counts: dict[str, int] = {}

    def issue_token(self, audience: str) -> str:
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "kid": "emulator"}
        claims = {
            "aud": audience,
            "iss": f"https://sts.windows.net/{self.tenant_id}/",
            "iat": now,
            "nbf": now,
            "exp": now + self.token_lifetime,
            "appid": self.client_id,
            "tid": self.tenant_id,
            "jti": secrets.token_urlsafe(16),
        }
        parts = [_b64(json.dumps(header).encode()), _b64(json.dumps(claims).encode())]
        token = ".".join([*parts, _b64(secrets.token_bytes(32))])
        with self._lock:
            self._tokens[token] = now + self.token_lifetime
        return token

    def token_valid(self, token: str) -> bool:
        with self._lock:
            expires = self._tokens.get(token)
            return expires is not None and expires > time.time() and token not in self._revoked

    def revoke_tokens(self) -> None:
        with self._lock:
            self._revoked.update(self._tokens)

    def take_fault(self, spec: FaultSpec) -> bool:
        """Count one request carrying ``spec``; True while it should still fault."""
        with self._lock:
            seen = self._fault_counts.get(spec.spec, 0)
            self._fault_counts[spec.spec] = seen + 1
        return spec.count is None or seen < spec.count

    def reset(self) -> None:
        with self._lock:
            self._revoked.clear()
            self._fault_counts.clear()
            self.token_endpoint_down = False
            self.stats.token_requests = 0
            self.stats.chat_requests = 0
            self.stats.requests.clear()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers)


def _base_url(request: Request) -> str:
    return f"https://{request.headers.get('host', 'localhost')}"


# --- Entra ID -----------------------------------------------------------------------


def _aad_error(request: Request, status: int, error: str, code: int, text: str) -> Response:
    trace = str(uuid.uuid4())
    correlation = request.headers.get("client-request-id") or str(uuid.uuid4())
    stamp = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())
    description = (
        f"AADSTS{code}: {text} Trace ID: {trace} Correlation ID: {correlation} Timestamp: {stamp}"
    )
    body = {
        "error": error,
        "error_description": description,
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": f"{_base_url(request)}/error?code={code}",
    }
    return _json(body, status)


def _tenant_known(state: EmulatorState, tenant: str) -> bool:
    return tenant.lower() == state.tenant_id.lower() or tenant.startswith("fault-down")


def _unknown_tenant(request: Request, tenant: str) -> Response:
    text = (
        f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and "
        "are signing into the correct cloud."
    )
    return _aad_error(request, 400, "invalid_request", 90002, text)


def _openid_configuration(state: EmulatorState, request: Request) -> Response:
    tenant = request.path_params["tenant"]
    if not _tenant_known(state, tenant):
        return _unknown_tenant(request, tenant)
    base = f"{_base_url(request)}/{tenant}"
    return _json(
        {
            "issuer": f"{base}/v2.0",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_types_supported": ["code", "id_token", "code id_token", "token id_token"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "tenant_region_scope": "EU",
            "cloud_instance_name": "emulator.local",
        }
    )


def _instance_discovery(request: Request) -> Response:
    """The answer MSAL expects from ``/common/discovery/instance``."""
    authorize = urlsplit(request.query_params.get("authorization_endpoint", ""))
    tenant = authorize.path.strip("/").split("/")[0] or "common"
    host = request.headers.get("host", "localhost")
    return _json(
        {
            "tenant_discovery_endpoint": (
                f"https://{host}/{tenant}/v2.0/.well-known/openid-configuration"
            ),
            "api-version": "1.1",
            "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
        }
    )


def _valid_scope(scope: str) -> bool:
    scopes = [s for s in scope.split() if s not in _MSAL_RESERVED_SCOPES]
    if len(scopes) != 1:
        return False
    (only,) = scopes
    return only == COGNITIVE_SCOPE or (
        only.startswith("api://") and only.endswith("/.default") and len(only) > 15
    )


async def _token(state: EmulatorState, request: Request) -> Response:
    state.stats.token_requests += 1
    tenant = request.path_params["tenant"]
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
    if state.token_endpoint_down or tenant.startswith("fault-down"):
        text = "A transient error has occurred. Please try again."
        return _aad_error(request, 503, "temporarily_unavailable", 90033, text)
    if not _tenant_known(state, tenant):
        return _unknown_tenant(request, tenant)
    if form.get("grant_type") != "client_credentials":
        text = "The app requested an unsupported grant type; use client_credentials."
        return _aad_error(request, 400, "unsupported_grant_type", 70003, text)
    client = form.get("client_id", "")
    if client.lower() != state.client_id.lower():
        text = (
            f"Application with identifier '{client}' was not found in the directory "
            f"'{tenant}'. You may have sent your authentication request to the wrong tenant."
        )
        return _aad_error(request, 400, "unauthorized_client", 700016, text)
    secret = form.get("client_secret")
    if secret is None:
        text = "'client_assertion', 'client_secret' or 'request' is required."
        return _aad_error(request, 401, "invalid_client", 7000216, text)
    if not hmac.compare_digest(secret.encode(), state.client_secret.encode()):
        text = (
            "Invalid client secret provided. Ensure the secret being sent in the request is "
            f"the client secret value, not the client secret ID, for a secret added to app "
            f"'{state.client_id}'."
        )
        return _aad_error(request, 401, "invalid_client", 7000215, text)
    scope = form.get("scope", "")
    if not _valid_scope(scope):
        text = (
            f"The provided value for scope {scope} is not valid. Client credential flows must "
            "have a scope value with /.default suffixed to the resource identifier."
        )
        return _aad_error(request, 400, "invalid_scope", 1002012, text)
    audience = next(s for s in scope.split() if s not in _MSAL_RESERVED_SCOPES)
    token = state.issue_token(audience.removesuffix("/.default"))
    lifetime = state.token_lifetime
    return _json(
        {
            "token_type": "Bearer",
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": token,
        }
    )


# --- API Management -----------------------------------------------------------------


def _apim(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return _json({"statusCode": status, "message": message}, status, headers)


def _invalid_jwt() -> Response:
    return _apim(401, "Invalid JWT.")


def _apim_denial(state: EmulatorState, request: Request) -> Response | None:
    key = request.headers.get("ocp-apim-subscription-key")
    if key is None:
        key = request.query_params.get("subscription-key")
    if not key:
        return _apim(
            401,
            "Access denied due to missing subscription key. Make sure to include subscription "
            "key when making requests to an API.",
        )
    if not hmac.compare_digest(key.encode(), state.subscription_key.encode()):
        return _apim(
            401,
            "Access denied due to invalid subscription key. Make sure to provide a valid key "
            "for an active subscription.",
        )
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not state.token_valid(token.strip()):
        return _invalid_jwt()
    return None


def _not_found(request: Request, exc: Exception) -> Response:
    return _apim(404, "Resource not found")


# --- Azure OpenAI -------------------------------------------------------------------


def _oai_error(status: int, code: str | None, message: str, **extra: Any) -> Response:
    return _json({"error": {"code": code, "message": message, **extra}}, status)


def _invalid_request(message: str, param: str | None, code: str | None = None) -> Response:
    return _oai_error(400, code, message, param=param, type="invalid_request_error")


_FAULT_BODIES: dict[str, tuple[int, dict[str, Any]]] = {
    "500": (500, {"error": {"code": "InternalServerError", "message": "The server had an "
                            "error while processing your request. Sorry about that!"}}),
    "502": (502, {"statusCode": 502, "message": "Bad Gateway: the backend returned an "
                  "invalid response."}),
    "503": (503, {"error": {"code": "ServiceUnavailable", "message": "The service is "
                            "temporarily unable to process your request. Please try again "
                            "later."}}),
    "504": (504, {"statusCode": 504, "message": "Gateway Timeout: the backend did not "
                  "respond in time."}),
    "408": (408, {"error": {"code": "Timeout", "message": "The operation was timeout."}}),
    "quota": (403, {"statusCode": 403, "message": "Out of call volume quota. Quota will be "
                    "replenished in 00:00:12."}),
}  # fmt: skip


def content_filter_body() -> dict[str, Any]:
    """The 400 a prompt flagged for ``hate`` gets."""
    results = {**_SAFE, "hate": {"filtered": True, "severity": "high"}}
    return {
        "error": {
            "code": "content_filter",
            "message": (
                "The response was filtered due to the prompt triggering Azure OpenAI's content "
                "management policy. Please modify your prompt and retry."
            ),
            "param": "prompt",
            "status": 400,
            "innererror": {
                "code": "ResponsibleAIPolicyViolation",
                "content_filter_result": results,
            },
        }
    }


def _fault_response(name: str, request: Request, api_version: str) -> Response | None:
    """The response a status-code fault replaces the answer with; None for stream faults."""
    if name in _FAULT_BODIES:
        status, body = _FAULT_BODIES[name]
        return _json(body, status)
    rate_limited = "Rate limit is exceeded. Try again in 1 seconds."
    if name == "429":
        return _apim(429, rate_limited, {"Retry-After": "1"})
    if name == "429-date":
        when = email.utils.formatdate(math.ceil(time.time()) + 1, usegmt=True)
        return _apim(429, rate_limited, {"Retry-After": when})
    if name == "429-ms":
        message = (
            "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version "
            f"{api_version} have exceeded token rate limit of your current OpenAI S0 pricing "
            "tier. Please retry after 1 second."
        )
        headers = {
            "retry-after-ms": "20",
            "retry-after": "1",
            "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-remaining-tokens": "0",
        }
        return _json({"error": {"code": "429", "message": message}}, 429, headers)
    if name == "expired-token":
        return _invalid_jwt()
    if name == "content-filter":
        return _json(content_filter_body(), 400)
    if name == "redirect" and request.url.hostname != "localhost":
        path = request.url.path
        if "deployment" in request.path_params:  # drop the fault from the target
            path = path.replace(f"/{request.path_params['deployment']}/", "/gpt-4/")
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"https://localhost:{request.url.port}{path}{query}", 307)
    return None


async def _chat(state: EmulatorState, request: Request) -> Response:
    state.stats.chat_requests += 1
    denied = _apim_denial(state, request)
    if denied is not None:
        return denied
    try:
        body = json.loads(await request.body())
        if not isinstance(body, dict):
            raise ValueError("not an object")
    except ValueError:
        return _invalid_request("We could not parse the JSON body of your request.", None)
    deployment = request.path_params.get("deployment")
    api_version = request.query_params.get("api-version", "")
    if deployment is None:
        deployment = body.get("model")
        if not isinstance(deployment, str) or not deployment:
            return _invalid_request("Missing required parameter: 'model'.", "model")
    elif not api_version:
        return _oai_error(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    fault_deployment = deployment.startswith(scenarios.FAULT_PREFIX)
    if deployment not in scenarios.DEPLOYMENTS and not fault_deployment:
        return _oai_error(
            404,
            "DeploymentNotFound",
            "The API deployment for this resource does not exist. If you created the "
            "deployment within the last 5 minutes, please wait a moment and try again.",
        )
    fault_text = request.headers.get("x-emulator-fault")
    if fault_text is None and fault_deployment:
        fault_text = deployment.removeprefix(scenarios.FAULT_PREFIX)
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return _invalid_request(
            "Missing required parameter: 'messages'.", "messages", "missing_required_parameter"
        )
    if deployment == "o3-mini" and body.get("max_tokens") is not None:
        return _invalid_request(
            "Unsupported parameter: 'max_tokens' is not supported with this model. Use "
            "'max_completion_tokens' instead.",
            "max_tokens",
            "unsupported_parameter",
        )
    fault: str | None = None
    if fault_text is not None:
        try:
            spec = scenarios.parse_fault(fault_text)
        except ValueError as exc:
            return _oai_error(400, "UnknownEmulatorFault", str(exc))
        request.state.fault = spec.spec
        if state.take_fault(spec):
            fault = spec.name
            replaced = _fault_response(fault, request, api_version or "v1")
            if replaced is not None:
                return replaced
    chunks = request.headers.get("x-emulator-chunks")
    if chunks is not None:
        if not chunks.isdigit() or int(chunks) > scenarios.MAX_BENCH_CHUNKS:
            return _oai_error(400, "BadRequest", "x-emulator-chunks must be 0..200000")
        reply = Reply([scenarios.BENCH_WORD] * int(chunks), [])
    else:
        reply = scenarios.plan_reply(body, deployment)
    delay = request.headers.get("x-emulator-delay-ms", "")
    delay_s = int(delay) / 1000 if delay.isdigit() else None
    if fault == "slow-first-byte":
        await asyncio.sleep(1.5 if delay_s is None else delay_s)
    model = scenarios.DEPLOYMENTS.get(deployment, scenarios.DEPLOYMENTS["gpt-4"])
    answer = _Answer(body, model, reply, fault)
    if body.get("stream"):
        return answer.stream(0.05 if delay_s is None else delay_s)
    return answer.complete()


# --- Answer encoding ----------------------------------------------------------------


class _Answer:
    """One reply encoded as a chat.completion or as the ordered chunk stream."""

    def __init__(self, body: dict[str, Any], model: str, reply: Reply, fault: str | None):
        self.model = model
        self.fault = fault
        self.id = "chatcmpl-" + "".join(secrets.choice(_ALNUM) for _ in range(29))
        self.created = int(time.time())
        self.fingerprint = "fp_" + hashlib.sha256(model.encode()).hexdigest()[:10]
        self.pieces = reply.pieces
        self.tool_calls = reply.tool_calls
        self.finish = "tool_calls" if reply.tool_calls else "stop"
        limit = body.get("max_completion_tokens") or body.get("max_tokens")
        if isinstance(limit, int) and len(self.pieces) > limit:
            self.pieces, self.finish = self.pieces[:limit], "length"
        self.filter_results = _SAFE
        if fault == "content-filter-completion":
            self.pieces, self.finish = self.pieces[:3], "content_filter"
            self.filter_results = {**_SAFE, "violence": {"filtered": True, "severity": "medium"}}
        self.fragments = [scenarios.argument_fragments(c.arguments) for c in self.tool_calls]
        completion = len(self.pieces) + sum(len(f) for f in self.fragments)
        prompt = scenarios.count_prompt_tokens(body.get("messages") or [])
        self.usage = {
            "completion_tokens": completion,
            "completion_tokens_details": {"reasoning_tokens": 0},
            "prompt_tokens": prompt,
            "prompt_tokens_details": {"cached_tokens": 0},
            "total_tokens": prompt + completion,
        }
        options = body.get("stream_options")
        self.include_usage = isinstance(options, dict) and options.get("include_usage") is True

    def _prompt_filter(self) -> list[dict[str, Any]]:
        jailbreak = {"filtered": False, "detected": False}
        return [{"prompt_index": 0, "content_filter_results": {**_SAFE, "jailbreak": jailbreak}}]

    def complete(self) -> Response:
        message: dict[str, Any] = {"content": "".join(self.pieces), "refusal": None}
        message["role"] = "assistant"
        if self.tool_calls:
            message["content"] = None
            message["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": c.arguments},
                }
                for c in self.tool_calls
            ]
        choice = {
            "content_filter_results": self.filter_results,
            "finish_reason": self.finish,
            "index": 0,
            "logprobs": None,
            "message": message,
        }
        body = {
            "choices": [choice],
            "created": self.created,
            "id": self.id,
            "model": self.model,
            "object": "chat.completion",
            "prompt_filter_results": self._prompt_filter(),
            "system_fingerprint": self.fingerprint,
            "usage": self.usage,
        }
        data = _dumps(body)
        if self.fault == "malformed":
            data = data[: len(data) // 2]
        if self.fault == "fragmented":
            return _Scripted(_fragment(data), "application/json")
        if self.fault == "cut":
            return _Scripted([data[: len(data) // 2]], "application/json", cut=True)
        return Response(data, media_type="application/json")

    def _chunk(self, choices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        return {
            "choices": choices,
            "created": self.created,
            "id": self.id,
            "model": self.model,
            "object": "chat.completion.chunk",
            "system_fingerprint": self.fingerprint,
            **extra,
        }

    def _delta(
        self, delta: dict[str, Any], finish: str | None = None, filters: Any = None
    ) -> bytes:
        choice = {
            "content_filter_results": {} if filters is None else filters,
            "delta": delta,
            "finish_reason": finish,
            "index": 0,
            "logprobs": None,
        }
        return _event(self._chunk([choice]))

    def events(self) -> tuple[list[bytes], list[bool]]:
        """The stream's events in azure-wire order, and which ones carry content."""
        first = {"choices": [], "created": 0, "id": "", "model": "", "object": ""}
        events = [_event({**first, "prompt_filter_results": self._prompt_filter()})]
        events.append(self._delta({"role": "assistant", "content": ""}))
        content_cache: dict[str, bytes] = {}
        for piece in self.pieces:
            if piece not in content_cache:
                content_cache[piece] = self._delta({"content": piece}, filters=_SAFE)
            events.append(content_cache[piece])
        for step in range(max((len(f) for f in self.fragments), default=0)):
            for index, (call, fragments) in enumerate(
                zip(self.tool_calls, self.fragments, strict=True)
            ):
                if step == 0:
                    function = {"name": call.name, "arguments": ""}
                    head = {"index": index, "id": call.id, "type": "function", "function": function}
                    events.append(self._delta({"tool_calls": [head]}))
                if step < len(fragments):
                    part = {"index": index, "function": {"arguments": fragments[step]}}
                    events.append(self._delta({"tool_calls": [part]}))
        content = [False, False] + [True] * (len(events) - 2)
        filters = self.filter_results if self.finish == "content_filter" else None
        events.append(self._delta({}, self.finish, filters))
        if self.include_usage:
            events.append(_event(self._chunk([], usage=self.usage)))
        events.append(b"data: [DONE]\n\n")
        return events, content + [False] * (len(events) - len(content))

    def stream(self, delay: float) -> Response:
        events, is_content = self.events()
        fault = self.fault
        if fault == "malformed":
            at = is_content.index(True) + 1 if True in is_content else 2
            events.insert(at, b'data: {"id":"' + self.id.encode() + b'","choices":[{"delta":\n\n')
        if fault == "crlf":
            events = [e.replace(b"\n", b"\r\n") for e in events]
        steps: list[bytes | float]
        if fault == "cut":
            keep = [i for i, c in enumerate(is_content) if c][:3]
            steps = list(events[: (keep[-1] + 1) if keep else 2])
            return _Scripted(steps, "text/event-stream", cut=True)
        if fault == "slow":
            steps = []
            for event, content in zip(events, is_content, strict=True):
                steps.extend([delay, event] if content else [event])
        elif fault == "fragmented":
            spaced = [
                e + (b": keep-alive\n\n" if i % 3 == 1 else b"") for i, e in enumerate(events)
            ]
            steps = _fragment(b"".join(spaced))
        elif len(events) > 1000:
            data = b"".join(events)
            steps = [data[i : i + _PIECE] for i in range(0, len(data), _PIECE)]
        else:
            steps = list(events)
        return _Scripted(steps, "text/event-stream")


def _dumps(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _event(body: Any) -> bytes:
    return b"data: " + _dumps(body) + b"\n\n"


def _fragment(data: bytes) -> list[bytes | float]:
    """1-7 byte pieces, one cut forced inside the first multi-byte UTF-8 character."""
    rng = random.Random(len(data))
    wide = next((i for i, b in enumerate(data) if b >= 0xC0), None)
    cuts = {0, len(data)} | ({wide + 1} if wide is not None else set())
    position = 0
    while position < len(data):
        position += rng.randint(1, 7)
        cuts.add(min(position, len(data)))
    ordered = sorted(cuts)
    steps: list[bytes | float] = []
    for n, (start, end) in enumerate(itertools.pairwise(ordered)):
        steps.append(data[start:end])
        if n % 16 == 15:
            steps.append(0.0005)  # let the pieces leave in separate TLS records and reads
    return steps


class _Scripted(Response):
    """Send ``steps`` (bytes to write, floats to sleep) as one chunked body.

    With ``cut`` the body is never finished: uvicorn closes the connection, so the
    client sees a truncated chunked body rather than a clean end.
    """

    def __init__(self, steps: list[bytes | float], media_type: str, cut: bool = False) -> None:
        super().__init__(None, 200, {"cache-control": "no-cache"}, media_type)
        self.raw_headers = [(k, v) for k, v in self.raw_headers if k != b"content-length"]
        self.steps = steps
        self.cut = cut

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        start: Message = {"type": "http.response.start", "status": 200}
        await send({**start, "headers": self.raw_headers})
        for step in self.steps:
            if isinstance(step, float):
                await asyncio.sleep(step)
            else:
                await send({"type": "http.response.body", "body": step, "more_body": True})
        if self.cut:
            await asyncio.sleep(0.05)  # the written chunks reach the client before the close
            raise ConnectionCut
        await send({"type": "http.response.body", "body": b"", "more_body": False})


# --- Wiring -------------------------------------------------------------------------


class _RequestIds:
    """Adds ``apim-request-id``/``x-ms-request-id`` and records every request."""

    def __init__(self, app: ASGIApp, state: EmulatorState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = str(uuid.uuid4()).encode()
        headers = dict(scope["headers"])
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))

        async def send_with_ids(message: Message) -> None:
            if message["type"] == "http.response.start":
                ids = [(b"apim-request-id", request_id), (b"x-ms-request-id", request_id)]
                message = {**message, "headers": [*message.get("headers", []), *ids]}
                record = RequestRecord(
                    method=scope["method"],
                    path=scope["path"],
                    host=headers.get(b"host", b"").decode("latin-1"),
                    status=message["status"],
                    fault=scope.get("state", {}).get("fault"),
                    subscription_key=b"ocp-apim-subscription-key" in headers
                    or "subscription-key" in query,
                    authorization=b"authorization" in headers,
                )
                self.state.stats.requests.append(record)
            await send(message)

        await self.app(scope, receive, send_with_ids)


class _HideCuts(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionCut))


def install_log_filter() -> None:
    """Keep the deliberate ``cut`` fault out of uvicorn's error log."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _HideCuts) for f in logger.filters):
        logger.addFilter(_HideCuts())


def create_app(state: EmulatorState) -> ASGIApp:
    """The whole emulator as one ASGI app bound to ``state``."""

    async def openid(request: Request) -> Response:
        return _openid_configuration(state, request)

    async def discovery(request: Request) -> Response:
        return _instance_discovery(request)

    async def keys(request: Request) -> Response:
        return _json({"keys": []})

    async def token(request: Request) -> Response:
        return await _token(state, request)

    async def chat(request: Request) -> Response:
        return await _chat(state, request)

    routes = [
        Route("/common/discovery/instance", discovery),
        Route("/{tenant}/v2.0/.well-known/openid-configuration", openid),
        Route("/{tenant}/discovery/v2.0/keys", keys),
        Route("/{tenant}/oauth2/v2.0/token", token, methods=["POST"]),
        Route("/openai/deployments/{deployment}/chat/completions", chat, methods=["POST"]),
        Route("/openai/v1/chat/completions", chat, methods=["POST"]),
    ]
    handlers: dict[Any, Any] = {404: _not_found, HTTPException: _http_error}
    return _RequestIds(Starlette(routes=routes, exception_handlers=handlers), state)


def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    return _apim(status, str(getattr(exc, "detail", "Error")))
