"""The emulator's ASGI app: APIM gate and Azure OpenAI chat, plus the Entra routes.

Requests pass the API Management checks (subscription key, then bearer token) before
the Azure OpenAI layer validates the deployment and body, applies a fault if one was
asked for, and answers. Bodies and headers follow azure-wire.md. Nothing here logs
or records a secret: request records keep only whether a key or token was present.
"""

from __future__ import annotations

import asyncio
import email.utils
import hmac
import json
import logging
import math
import re
import time
import uuid
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import entra, quota, scenarios, structured, vision
from .scenarios import Reply
from .state import EmulatorState, RequestRecord
from .wire import FAULT_BODIES, Answer, ConnectionCut, content_filter_body

CHAT_PATH = "/openai/deployments/{deployment}/chat/completions"
NO_BATCH_API = "/no-batch-api"
"""Path prefix of a second APIM API serving chat but not the Batch API (batches.py)."""
_PROMPT_FAULT = re.compile(r"\[emulator-fault:([\w*.-]+)\]")
"""``[emulator-fault:<name>]`` in a prompt: that request faults as with the header."""


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers)


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


def _context_length_exceeded(body: dict[str, Any], window: int, form: str) -> Response | None:
    messages = body.get("messages")
    if not isinstance(messages, list):
        return None
    prompt = scenarios.count_prompt_tokens(messages, body.get("tools"))
    completion = body.get("max_completion_tokens") or body.get("max_tokens") or 0
    error = scenarios.context_length_exceeded(window, form, prompt, int(completion))
    return None if error is None else _json(error, 400)


def _fault_response(name: str, request: Request, api_version: str) -> Response | None:
    """The response a status-code fault replaces the answer with; None for stream faults."""
    if name in FAULT_BODIES:
        status, body = FAULT_BODIES[name]
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
    paced_deployment = scenarios.paced_deployment(deployment)
    window = scenarios.window_deployment(deployment)
    if window is not None:  # a small context window; within it, it answers like gpt-4
        too_long = _context_length_exceeded(body, *window)
        if too_long is not None:
            return too_long
        deployment = "gpt-4"
    limits = state.quotas.limits(deployment)
    no_quota = deployment == quota.NO_QUOTA_DEPLOYMENT
    known = limits is not None or no_quota or fault_deployment or paced_deployment
    if deployment not in scenarios.DEPLOYMENTS and not known:
        return _oai_error(
            404,
            "DeploymentNotFound",
            "The API deployment for this resource does not exist. If you created the "
            "deployment within the last 5 minutes, please wait a moment and try again.",
        )
    fault_text = request.headers.get("x-emulator-fault")
    if fault_text is None:  # one row of a map_rows run can ask for a fault in its prompt
        marked = _PROMPT_FAULT.search(json.dumps(body.get("messages")))
        fault_text = marked.group(1) if marked else None
    if fault_text is None and fault_deployment:
        fault_text = deployment.removeprefix(scenarios.FAULT_PREFIX)
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return _invalid_request(
            "Missing required parameter: 'messages'.", "messages", "missing_required_parameter"
        )
    bad_system = scenarios.system_content_error(messages)
    if bad_system is not None:  # as Azure refuses it: a system message carries text only
        text, param, code = bad_system  # (the request's shape, checked before any image)
        return _invalid_request(text, param, code)
    try:  # image parts: a vision deployment, and pictures that decode (vision.py)
        vision.check(messages, deployment)
    except vision.ImageRejected as rejected:
        return _json(rejected.body, 400)
    if deployment == "o3-mini" and body.get("max_tokens") is not None:
        return _invalid_request(
            "Unsupported parameter: 'max_tokens' is not supported with this model. Use "
            "'max_completion_tokens' instead.",
            "max_tokens",
            "unsupported_parameter",
        )
    if no_quota:
        body_429 = quota.rate_limited_body(api_version or "v1", "token", 86400)
        return _json(body_429, 429, quota.no_quota_headers())
    quota_headers: dict[str, str] = {}
    if limits is not None:
        admission = state.quotas.admit(deployment, limits, quota.charge(body))
        if admission.wait_s is not None:
            seconds = math.ceil(admission.wait_s)
            headers = {
                **admission.headers,
                "retry-after": str(seconds),
                "retry-after-ms": str(math.ceil(admission.wait_s * 1000)),
            }
            body_429 = quota.rate_limited_body(api_version or "v1", admission.which, seconds)
            return _json(body_429, 429, headers)
        quota_headers = admission.headers
        await asyncio.sleep(limits.latency_s)
    schema_error = structured.schema_error(body, api_version)
    if schema_error is not None:
        return _json(schema_error, 400)
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
    shape_text = request.headers.get("x-emulator-shape")
    shape: frozenset[str] = frozenset()
    if shape_text is not None:
        try:
            shape = scenarios.parse_shape(shape_text)
        except ValueError as exc:
            return _oai_error(400, "BadRequest", str(exc))
    chunks = request.headers.get("x-emulator-chunks")
    if chunks is not None:
        if not chunks.isdigit() or int(chunks) > scenarios.MAX_BENCH_CHUNKS:
            return _oai_error(400, "BadRequest", "x-emulator-chunks must be 0..200000")
        reply = Reply(scenarios.bench_pieces(int(chunks), mixed=shape_text is not None), [])
    else:
        reply = scenarios.plan_reply(body, deployment)
        if not reply.tool_calls:
            reply = structured.structured_reply(body, fault) or reply
    delay = request.headers.get("x-emulator-delay-ms", "")
    delay_s = int(delay) / 1000 if delay.isdigit() else None
    pace = request.headers.get("x-emulator-pace") or paced_deployment
    if pace is not None:
        if not pace.isdigit() or not 0 < int(pace) <= 100_000:
            return _oai_error(400, "BadRequest", "x-emulator-pace must be 1..100000 characters/s")
        reply = Reply(scenarios.paced_pieces(reply.text), reply.tool_calls)
        delay_s, fault = scenarios.PACE_PIECE / int(pace), fault or "slow"
    if fault == "slow-first-byte":
        await asyncio.sleep(1.5 if delay_s is None else delay_s)
    model = scenarios.DEPLOYMENTS.get(deployment, scenarios.DEPLOYMENTS["gpt-4"])
    answer = Answer(body, model, reply, fault)
    if body.get("stream"):
        response = answer.stream(0.05 if delay_s is None else delay_s, shape)
    else:
        response = answer.complete()
    response.headers.update(quota_headers)
    return response


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
        return entra.openid_configuration(state, request)

    async def discovery(request: Request) -> Response:
        return entra.instance_discovery(request)

    async def keys(request: Request) -> Response:
        return _json({"keys": []})

    async def token(request: Request) -> Response:
        return await entra.token(state, request)

    async def chat(request: Request) -> Response:
        return await _chat(state, request)

    def deny(request: Request) -> Response | None:
        return _apim_denial(state, request)

    routes = [
        Route("/common/discovery/instance", discovery),
        Route("/{tenant}/v2.0/.well-known/openid-configuration", openid),
        Route("/{tenant}/discovery/v2.0/keys", keys),
        Route("/{tenant}/oauth2/v2.0/token", token, methods=["POST"]),
        Route(CHAT_PATH, chat, methods=["POST"]),
        Route("/openai/v1/chat/completions", chat, methods=["POST"]),
        *state.batch_api.routes(deny),
        # a gateway whose APIM API exposes chat only: /files and /batches fall to APIM's 404
        Route(f"{NO_BATCH_API}{CHAT_PATH}", chat, methods=["POST"]),
        Route(f"{NO_BATCH_API}/openai/v1/chat/completions", chat, methods=["POST"]),
    ]
    handlers: dict[Any, Any] = {404: _not_found, HTTPException: _http_error}
    return _RequestIds(Starlette(routes=routes, exception_handlers=handlers), state)


def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    return _apim(status, str(getattr(exc, "detail", "Error")))
