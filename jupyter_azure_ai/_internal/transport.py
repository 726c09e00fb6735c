"""AzureHTTPTransport: one ``httpx.AsyncClient``, URLs, headers, retries, redirects.

Everything that decides *whether and how* a chat request is (re)sent lives here:

- retries happen only before the first byte of an answer: connect errors, timeouts
  and 408/409/429/5xx, waiting ``retry-after-ms``, then ``retry-after`` (seconds or an
  HTTP date, at most 60 s), else a jittered exponential backoff;
- a 401 triggers one token refresh and one more try;
- a 400 saying ``max_tokens`` is unsupported switches that deployment to
  ``max_completion_tokens`` for the rest of the process;
- redirects are followed by hand (httpx would forward ``Ocp-Apim-Subscription-Key``
  to any host): the key and the token go only to the endpoint's own origin.
"""

from __future__ import annotations

import json
import logging
import random
import uuid
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpx

from .. import __version__
from ..errors import (
    AzureOpenAIError,
    error_from_exception,
    error_from_response,
    retry_after_seconds,
    scrub,
)
from ..types import AzureOpenAIOptions
from .auth import AzureADAuth
from .tls import resolve_verify, ssl_context

log = logging.getLogger("jupyter_azure_ai")

RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
MAX_RETRY_AFTER_S = 60.0
MAX_REDIRECTS = 5
CONNECT_TIMEOUT_S = 5.0

#: (endpoint, deployment) pairs that want ``max_completion_tokens`` (reasoning models).
_COMPLETION_TOKENS: set[tuple[str, str]] = set()


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


class AzureHTTPTransport:
    """Sends chat requests for one options object; owns the connection pool."""

    def __init__(
        self,
        options: AzureOpenAIOptions,
        auth: AzureADAuth,
        *,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.options = options
        self.auth = auth
        self._secrets = options.secrets()
        self._owns_client = http_client is None
        self._client = http_client or httpx.AsyncClient(
            verify=ssl_context(resolve_verify(options.verify)),
            timeout=httpx.Timeout(options.timeout, connect=CONNECT_TIMEOUT_S),
            proxy=options.proxy,
            follow_redirects=False,
        )
        self._origin = _origin(httpx.URL(options.endpoint))
        self._public_headers = {
            "Content-Type": "application/json",
            "Accept": "text/event-stream",
            "User-Agent": f"jupyter-azure-ai/{__version__}",
        }
        # Sent to the endpoint's own origin only, never across a redirect.
        self._own_headers = {
            **self._public_headers,
            **(options.default_headers or {}),
            "Ocp-Apim-Subscription-Key": options.apim_subscription_key,
        }
        self._urls: dict[tuple[str, str], str] = {}
        self._v1 = urlsplit(options.endpoint).path.rstrip("/").endswith("/v1")
        self.requests_sent = 0

    async def aclose(self) -> None:
        """Close the pool (a client passed in by the caller stays the caller's)."""
        if self._owns_client:
            await self._client.aclose()

    def url_for(self, model: str, api_version: str) -> str:
        url = self._urls.get((model, api_version))
        if url is None:
            url = self._urls[(model, api_version)] = chat_url(
                self.options.endpoint, model, api_version
            )
        return url

    def body(
        self, messages: list[dict[str, Any]], options: AzureOpenAIOptions, **extra: Any
    ) -> dict[str, Any]:
        """The JSON body of a streamed chat request (``options``: this query's settings)."""
        o = options
        model = o.model
        body: dict[str, Any] = {
            "messages": messages,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if self._v1:
            body["model"] = model
        if (self.options.endpoint, model) in _COMPLETION_TOKENS:
            body["max_completion_tokens"] = o.max_tokens
        else:
            body["max_tokens"] = o.max_tokens
        if o.temperature is not None:
            body["temperature"] = o.temperature
        body.update(extra)
        return body

    async def open_chat(self, body: dict[str, Any], options: AzureOpenAIOptions) -> httpx.Response:
        """Start a streamed chat completion; return a 2xx response whose body is unread.

        The caller reads it and must ``aclose()`` it. ``options``: this query's settings
        (deployment, api-version); the endpoint and credentials are the transport's own.
        """
        model = options.model
        url = self.url_for(model, options.api_version)
        attempt = 0
        refreshed = False
        while True:
            token = await self.auth.token()
            try:
                response, detour = await self._send(json.dumps(body).encode(), url, token)
            except httpx.TransportError as exc:  # connect error, timeout, TLS, DNS
                if attempt < self.options.max_retries:
                    attempt += 1
                    await self._sleep(backoff_seconds(attempt), f"{type(exc).__name__}", attempt)
                    continue
                raise error_from_exception(exc, secrets=self._all_secrets(token)) from exc
            if response.is_success:
                return response
            raw = await response.aread()
            await response.aclose()
            status = response.status_code
            if status == 401 and not refreshed:
                refreshed = True
                await self.auth.refresh_after_401(token)
                continue
            if _wants_completion_tokens(status, raw) and "max_tokens" in body:
                _COMPLETION_TOKENS.add((self.options.endpoint, model))
                body = dict(body)
                body["max_completion_tokens"] = body.pop("max_tokens")
                continue
            if status in RETRY_STATUSES and attempt < self.options.max_retries:
                attempt += 1
                wait = self._retry_wait(response.headers, attempt)
                await self._sleep(wait, f"HTTP {status}", attempt)
                continue
            error = error_from_response(
                status,
                response.headers,
                raw,
                deployment=model,
                secrets=self._all_secrets(token),
            )
            if detour:
                error.args = (
                    f"{error.args[0]} (after a redirect to {detour}, which was not sent"
                    " the token or the subscription key)",
                )
            raise error

    async def _send(
        self, content: bytes, target: str, token: str
    ) -> tuple[httpx.Response, str | None]:
        """One POST, following redirects; the credentials go only to our own origin."""
        url = httpx.URL(target)
        detour: str | None = None
        for _ in range(MAX_REDIRECTS + 1):
            if _origin(url) == self._origin:
                headers = {**self._own_headers, "Authorization": f"Bearer {token}"}
            else:
                headers = dict(self._public_headers)
                detour = f"{url.scheme}://{url.netloc.decode()}"
            headers["x-ms-client-request-id"] = str(uuid.uuid4())
            request = self._client.build_request("POST", url, content=content, headers=headers)
            self.requests_sent += 1
            response = await self._client.send(request, stream=True)
            log.debug("POST %s -> %s", url.copy_with(query=None), response.status_code)
            if not (response.is_redirect and response.status_code in (307, 308)):
                return response, detour
            await response.aclose()
            url = url.join(response.headers["location"])
        raise AzureOpenAIError(f"Too many redirects (more than {MAX_REDIRECTS}) from {url.host}")

    def _retry_wait(self, headers: httpx.Headers, attempt: int) -> float:
        wait = retry_after_seconds(headers)
        if wait is None or wait > MAX_RETRY_AFTER_S:
            return backoff_seconds(attempt)
        return wait

    async def _sleep(self, seconds: float, why: str, attempt: int) -> None:
        log.info(
            "retrying Azure OpenAI request in %.2f s after %s (retry %d of %d)",
            seconds,
            scrub(why, self._secrets),
            attempt,
            self.options.max_retries,
        )
        await anyio.sleep(seconds)

    def _all_secrets(self, token: str) -> tuple[str, ...]:
        return (*self._secrets, token)
