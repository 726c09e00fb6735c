"""AzureHTTPTransport: one ``httpx.AsyncClient``, URLs, headers, and the send policies.

A chat request goes down through one layer per policy, outermost first (the way
httpx nests ``_send_handling_auth`` → ``_send_handling_redirects`` →
``_send_single_request``):

1. ``_send_with_retries`` — retries before the first byte of an answer only: connect
   errors, timeouts and 408/409/429/5xx, waiting ``retry-after-ms``, then
   ``retry-after`` (seconds or an HTTP date, at most 60 s), else a jittered
   exponential backoff; the budget is the query's ``max_retries``. What is still a
   failure after that is translated (``failures.py``) and raised here, nowhere else.
2. ``_send_handling_auth`` — a 401 gets one token refresh and one more try.
3. ``_send_handling_parameters`` — a 400 saying ``max_tokens`` is unsupported (reasoning
   models) switches the body to ``max_completion_tokens`` and remembers it for that
   deployment in ``capabilities`` (one record per endpoint, which ``body()`` reads).
4. ``_send_following_redirects`` — 307/308 followed by hand (httpx would forward
   ``Ocp-Apim-Subscription-Key`` to any host): the key and the token go only to the
   endpoint's own origin.
5. ``_send_once`` — one POST, the response body left unread (it is a stream).

``open(method, url, ...)`` sends any other request (the Files and Batch APIs: JSON,
multipart uploads, GETs) down the same layers, so they get the same credentials,
redirect guard, retries and error translation as chat.

``response_observer`` (a context variable) lets a caller see every response the retry
layer receives — its status and headers, 2xx and failures alike — without a second
send path: ``azure_map``'s limiter (``_internal/limiter.py``) sets it in each row's
task to read ``x-ratelimit-remaining-*`` from answers that succeed, and runs its rows
with ``max_retries=0`` so it owns the 429 waits itself (why: see limiter.py).
"""

from __future__ import annotations

import json
import logging
import random
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpx

from .. import __version__
from ..errors import AzureOpenAIError
from ..options import ConnectionSettings, QuerySettings
from .auth import AzureADAuth
from .failures import error_from_exception, error_from_response, retry_after_seconds, scrub
from .tls import resolve_verify, ssl_context

log = logging.getLogger("jupyter_azure_ai")

RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
MAX_RETRY_AFTER_S = 60.0
MAX_REDIRECTS = 5
CONNECT_TIMEOUT_S = 5.0


def chat_url(endpoint: str, model: str, api_version: str) -> str:
    """The chat-completions URL for an endpoint, per the three shapes APIM setups use."""
    path = urlsplit(endpoint).path.rstrip("/")
    if path.endswith("/v1"):
        return f"{endpoint}/chat/completions"
    if not path:
        return f"{endpoint}/openai/deployments/{model}/chat/completions?api-version={api_version}"
    return f"{endpoint}/deployments/{model}/chat/completions?api-version={api_version}"


def backoff_seconds(attempt: int) -> float:
    """min(0.5·2ⁿ, 8) s, minus up to 25 % jitter (attempt counts from 1)."""
    base: float = min(0.5 * 2 ** (attempt - 1), 8.0)
    return base * (1 - 0.25 * random.random())


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)


def _wants_completion_tokens(status: int, raw: bytes) -> bool:
    if status != 400 or b"max_tokens" not in raw:
        return False
    try:
        err = json.loads(raw).get("error") or {}
    except (ValueError, AttributeError):
        return False
    return err.get("code") == "unsupported_parameter" or err.get("param") == "max_tokens"


@dataclass
class Capabilities:
    """What this transport learned about deployments from the service's answers."""

    completion_tokens: set[str] = field(default_factory=set)
    """Deployments that reject ``max_tokens`` and want ``max_completion_tokens``."""

    context_windows: dict[str, int] = field(default_factory=dict)
    """Context windows (tokens) that ``context_length_exceeded`` answers stated, so later
    requests to that deployment are fitted before they are sent (``agent.py``)."""
    token_scale: dict[str, float] = field(default_factory=dict)
    """Per deployment: the service's prompt tokens over ``history.estimate``'s, from the
    last answer's ``usage.prompt_tokens``."""

    def token_limit_field(self, model: str) -> str:
        return "max_completion_tokens" if model in self.completion_tokens else "max_tokens"

    @classmethod
    def of(cls, endpoint: str) -> Capabilities:
        """The capabilities learned for ``endpoint``, shared by its transports in this
        process (like the token cache), so a new ``azure_query`` does not learn again."""
        return _CAPABILITIES.setdefault(endpoint, cls())


_CAPABILITIES: dict[str, Capabilities] = {}

#: Called with each response the retry layer receives, in the task that sent it.
response_observer: ContextVar[Callable[[httpx.Response], None] | None] = ContextVar(
    "response_observer", default=None
)


@dataclass
class _Call:
    """One request on its way down the layers (a chat request unless told otherwise)."""

    url: str
    body: dict[str, Any] | None
    settings: QuerySettings
    method: str = "POST"
    files: dict[str, Any] | None = None  # multipart file parts; ``body`` is then form fields
    accept: str = "text/event-stream"


@dataclass
class _Sent:
    """A response on its way up, and the other origin a redirect led to, if any."""

    response: httpx.Response
    detour: str | None = None


class AzureHTTPTransport:
    """Sends chat requests for one connection; owns the connection pool."""

    def __init__(
        self,
        connection: ConnectionSettings,
        auth: AzureADAuth,
        *,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.connection = connection
        self.auth = auth
        self.capabilities = Capabilities.of(connection.endpoint)
        self._secrets = connection.secrets()
        self._owns_client = http_client is None
        self._client = http_client or httpx.AsyncClient(
            verify=ssl_context(resolve_verify(connection.verify)),
            timeout=httpx.Timeout(None, connect=CONNECT_TIMEOUT_S),  # per request below
            proxy=connection.proxy,
            follow_redirects=False,
        )
        self._origin = _origin(httpx.URL(connection.endpoint))
        self._public_headers = {
            "Content-Type": "application/json",
            "Accept": "text/event-stream",
            "User-Agent": f"jupyter-azure-ai/{__version__}",
        }
        # Sent to the endpoint's own origin only, never across a redirect.
        self._own_headers = {
            **self._public_headers,
            **connection.headers,
            "Ocp-Apim-Subscription-Key": connection.apim_subscription_key,
        }
        self._urls: dict[tuple[str, str], str] = {}
        self._v1 = connection.v1
        self._timeouts: dict[float | None, httpx.Timeout] = {}

    async def aclose(self) -> None:
        """Close the pool (a client passed in by the caller stays the caller's)."""
        if self._owns_client:
            await self._client.aclose()

    def url_for(self, model: str, api_version: str) -> str:
        url = self._urls.get((model, api_version))
        if url is None:
            url = self._urls[(model, api_version)] = chat_url(
                self.connection.endpoint, model, api_version
            )
        return url

    def body(
        self, messages: list[dict[str, Any]], settings: QuerySettings, **extra: Any
    ) -> dict[str, Any]:
        """The JSON body of a streamed chat request."""
        body: dict[str, Any] = {
            "messages": messages,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if self._v1:
            body["model"] = settings.model
        body[self.capabilities.token_limit_field(settings.model)] = settings.max_tokens
        if settings.temperature is not None:
            body["temperature"] = settings.temperature
        body.update(extra)
        return body

    async def open_chat(self, body: dict[str, Any], settings: QuerySettings) -> httpx.Response:
        """Start a streamed chat completion; return a 2xx response whose body is unread.

        The caller reads it and must ``aclose()`` it.
        """
        call = _Call(self.url_for(settings.model, settings.api_version), body, settings)
        return await self._send_with_retries(call)

    async def open(
        self,
        method: str,
        url: str,
        settings: QuerySettings,
        *,
        body: dict[str, Any] | None = None,
        files: dict[str, Any] | None = None,
    ) -> httpx.Response:
        """Any other request to the endpoint's origin (the Files and Batch APIs) through
        the same layers as chat: token, subscription key, 401 refresh, redirect guard,
        retries and error translation. ``body`` is JSON, or the form fields beside
        ``files`` (multipart; a file object is rewound by httpx for each try). Returns
        a 2xx response whose body is unread: the caller reads it and must ``aclose()``
        it."""
        call = _Call(url, body, settings, method, files, "application/json")
        return await self._send_with_retries(call)

    # --- the layers, outermost first ---------------------------------------------

    async def _send_with_retries(self, call: _Call) -> httpx.Response:
        budget = call.settings.max_retries
        attempt = 0
        while True:
            try:
                sent = await self._send_handling_auth(call)
            except httpx.TransportError as exc:  # connect error, timeout, TLS, DNS
                if attempt < budget:
                    attempt += 1
                    await self._sleep(backoff_seconds(attempt), type(exc).__name__, attempt, budget)
                    continue
                raise error_from_exception(exc, secrets=self._all_secrets()) from exc
            response = sent.response
            observe = response_observer.get()
            if observe is not None:
                observe(response)
            if response.is_success:
                return response
            raw = await response.aread()
            await response.aclose()
            status = response.status_code
            if status in RETRY_STATUSES and attempt < budget:
                attempt += 1
                await self._sleep(self._retry_wait(response.headers, attempt), f"HTTP {status}",
                                  attempt, budget)  # fmt: skip
                continue
            raise error_from_response(
                status,
                response.headers,
                raw,
                deployment=call.settings.model,
                secrets=self._all_secrets(),
                detour=sent.detour,
            )

    async def _send_handling_auth(self, call: _Call) -> _Sent:
        token = await self.auth.token()
        sent = await self._send_handling_parameters(call, token)
        if sent.response.status_code != 401:
            return sent
        await sent.response.aclose()
        token = await self.auth.refresh_after_401(token)
        return await self._send_handling_parameters(call, token)

    async def _send_handling_parameters(self, call: _Call, token: str) -> _Sent:
        sent = await self._send_following_redirects(call, token)
        response = sent.response
        if response.status_code != 400 or call.body is None or "max_tokens" not in call.body:
            return sent
        raw = await response.aread()  # kept by httpx: the layers above can read it again
        await response.aclose()
        if not _wants_completion_tokens(400, raw):
            return sent
        self.capabilities.completion_tokens.add(call.settings.model)
        call.body = dict(call.body)
        call.body["max_completion_tokens"] = call.body.pop("max_tokens")
        return await self._send_following_redirects(call, token)

    async def _send_following_redirects(self, call: _Call, token: str) -> _Sent:
        url = httpx.URL(call.url)
        content = json.dumps(call.body).encode() if call.body is not None else None
        detour: str | None = None
        for _ in range(MAX_REDIRECTS + 1):
            if _origin(url) == self._origin:
                headers = {**self._own_headers, "Authorization": f"Bearer {token}"}
            else:
                headers = dict(self._public_headers)
                detour = f"{url.scheme}://{url.netloc.decode()}"
            if call.accept != headers["Accept"]:
                headers["Accept"] = call.accept
            if call.files is not None or content is None:  # httpx writes the multipart type
                headers.pop("Content-Type")
            response = await self._send_once(url, content, headers, call)
            if not (response.is_redirect and response.status_code in (307, 308)):
                return _Sent(response, detour)
            await response.aclose()
            url = url.join(response.headers["location"])
        raise AzureOpenAIError(f"Too many redirects (more than {MAX_REDIRECTS}) from {url.host}")

    async def _send_once(
        self, url: httpx.URL, content: bytes | None, headers: dict[str, str], call: _Call
    ) -> httpx.Response:
        headers["x-ms-client-request-id"] = str(uuid.uuid4())
        timeout = self._timeout(call.settings.timeout)
        if call.files is not None:
            request = self._client.build_request(
                call.method, url, data=call.body, files=call.files, headers=headers,
                timeout=timeout,
            )  # fmt: skip
        else:
            request = self._client.build_request(
                call.method, url, content=content, headers=headers, timeout=timeout
            )
        response = await self._client.send(request, stream=True)
        log.debug("%s %s -> %s", call.method, url.copy_with(query=None), response.status_code)
        return response

    # --- helpers ----------------------------------------------------------------

    def _timeout(self, seconds: float | None) -> Any:
        """The query's timeout; a client passed in by the caller keeps its own."""
        if not self._owns_client:
            return httpx.USE_CLIENT_DEFAULT
        timeout = self._timeouts.get(seconds)
        if timeout is None:
            timeout = self._timeouts[seconds] = httpx.Timeout(seconds, connect=CONNECT_TIMEOUT_S)
        return timeout

    def _retry_wait(self, headers: httpx.Headers, attempt: int) -> float:
        wait = retry_after_seconds(headers)
        if wait is None or wait > MAX_RETRY_AFTER_S:
            return backoff_seconds(attempt)
        return wait

    async def _sleep(self, seconds: float, why: str, attempt: int, budget: int) -> None:
        log.info(
            "retrying Azure OpenAI request in %.2f s after %s (retry %d of %d)",
            seconds,
            scrub(why, self._secrets),
            attempt,
            budget,
        )
        await anyio.sleep(seconds)

    def _all_secrets(self) -> tuple[str, ...]:
        token = self.auth.current
        return (*self._secrets, token.value) if token is not None else self._secrets
