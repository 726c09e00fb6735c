"""The Files and Batch APIs over the chat transport: same URL base, token, key, rules.

Every call goes through ``AzureHTTPTransport.open`` (so the subscription key and the
token go only to the endpoint's origin, 401s refresh the token once, 408/409/429/5xx
are retried with the query's budget, failures are translated in ``failures.py``).
URLs follow the endpoint's shape as chat's do (``transport.chat_url``): a ``/v1``
endpoint gets ``{endpoint}/files`` without an api-version; an endpoint with no path
``{endpoint}/openai/files?api-version=``; an APIM suffix (``.../openai``)
``{endpoint}/files?api-version=`` (files and batches are not under ``/deployments/``).

A 404 where the route itself is missing becomes ``BatchAPIUnavailableError`` (the APIM
API was imported from the inference spec, which has no ``/files`` or ``/batches``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Mapping
from typing import IO, Any
from urllib.parse import urlsplit

import anyio
import httpx

from .._internal.failures import (
    batch_api_unavailable,
    batch_quota_exhausted,
    batch_route_missing,
    is_token_limit,
)
from .._internal.transport import (
    MAX_RETRY_AFTER_S,
    RETRY_STATUSES,
    AzureHTTPTransport,
    backoff_seconds,
)
from ..errors import (
    APIStatusError,
    AuthenticationError,
    AzureOpenAIError,
    CLIConnectionError,
    RateLimitError,
    UnauthorizedError,
)
from ..options import AzureOpenAIOptions, QuerySettings
from .objects import BatchInfo, FileInfo

COMPLETION_WINDOW = "24h"
TOKEN_LIMIT_FIRST_WAIT_S = 5.0
"""The docs' advice for ``token_limit_exceeded``: retry with exponential backoff from 5 s."""
TOKEN_LIMIT_TRIES = 6
TOKEN_LIMIT_MAX_WAIT_S = 300.0
CREATE_KEY = "jupyter_azure_ai_create"
"""The ``metadata`` key of one ``create`` call's own id: a retry finds the job by it."""


def api_url(endpoint: str, path: str, api_version: str, **query: Any) -> str:
    """The URL of ``path`` (``files``, ``batches/{id}``) for this endpoint's shape."""
    base = urlsplit(endpoint).path.rstrip("/")
    params = {k: v for k, v in query.items() if v is not None}
    if base.endswith("/v1"):
        url = f"{endpoint}/{path}"
    else:
        url = f"{endpoint}/openai/{path}" if not base else f"{endpoint}/{path}"
        params = {"api-version": api_version, **params}
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return url


class BatchService:
    """One connection's Files and Batch calls (``async with`` closes its pool)."""

    def __init__(
        self,
        options: AzureOpenAIOptions,
        *,
        http_client: httpx.AsyncClient | None = None,
        token_limit_first_wait_s: float = TOKEN_LIMIT_FIRST_WAIT_S,
        token_limit_tries: int = TOKEN_LIMIT_TRIES,
    ) -> None:
        from .._internal.auth import AzureADAuth

        connection = options.connection
        self.endpoint = connection.endpoint
        self.v1 = connection.v1
        self.settings: QuerySettings = options.settings
        self.transport = AzureHTTPTransport(
            connection, AzureADAuth(connection), http_client=http_client
        )
        self.token_limit_first_wait_s = token_limit_first_wait_s
        self.token_limit_tries = token_limit_tries

    async def __aenter__(self) -> BatchService:
        return self

    async def __aexit__(self, *exc: object) -> None:
        with anyio.CancelScope(shield=True):
            await self.transport.aclose()

    def url(self, path: str, **query: Any) -> str:
        return api_url(self.endpoint, path, self.settings.api_version, **query)

    async def _call(
        self,
        method: str,
        path: str,
        *,
        collection: bool,
        body: dict[str, Any] | None = None,
        files: dict[str, Any] | None = None,
        settings: QuerySettings | None = None,
        query: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        """An unread 2xx response; a missing route becomes ``BatchAPIUnavailableError``."""
        try:
            return await self.transport.open(
                method,
                self.url(path, **dict(query or {})),
                settings or self.settings,
                body=body,
                files=files,
            )
        except APIStatusError as exc:
            if batch_route_missing(exc, path, collection=collection):
                shown = path.split("/")[0] if collection else path
                version = None if self.v1 else (settings or self.settings).api_version
                raise batch_api_unavailable(exc, f"{method} /{shown}", version) from None
            raise

    async def _json(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        response = await self._call(method, path, **kw)
        try:
            raw = await response.aread()
        finally:
            await response.aclose()
        try:
            value = json.loads(raw) if raw.strip() else {}
        except ValueError:
            raise AzureOpenAIError(
                f"{method} /{path} answered HTTP {response.status_code} with a body that is not"
                " JSON"
            ) from None
        return value if isinstance(value, dict) else {}

    # --- files ---------------------------------------------------------------------

    async def upload(self, file: IO[bytes], name: str) -> FileInfo:
        """``POST /files`` (multipart, purpose ``batch``); the file is streamed from disk."""
        settings = self.settings.replace(timeout=None)  # 200 MB take their time
        files = {"file": (name, file, "application/json")}
        raw = await self._json(
            "POST", "files", collection=True, body={"purpose": "batch"}, files=files,
            settings=settings,
        )  # fmt: skip
        info = FileInfo.of(raw)
        if not info.id:
            raise AzureOpenAIError("POST /files answered without a usable file id")
        return info

    async def file(self, file_id: str) -> FileInfo:
        return FileInfo.of(await self._json("GET", f"files/{file_id}", collection=False), file_id)

    async def delete_file(self, file_id: str) -> None:
        await self._json("DELETE", f"files/{file_id}", collection=False)

    async def lines(self, file_id: str) -> AsyncIterator[str]:
        """The lines of a file's content, streamed (an output file can be large)."""
        response = await self._call("GET", f"files/{file_id}/content", collection=False)
        try:
            async for line in response.aiter_lines():
                if line.strip():
                    yield line
        finally:
            await response.aclose()

    # --- batches -------------------------------------------------------------------

    async def create(self, input_file_id: str, metadata: dict[str, str]) -> BatchInfo:
        """``POST /batches`` (``completion_window: "24h"``). ``token_limit_exceeded`` (the
        enqueued-token quota is full) is retried with exponential backoff from 5 s, as the
        docs advise, then raised as ``BatchQuotaError``."""
        body = {
            "input_file_id": input_file_id,
            "endpoint": "/chat/completions",  # the service reads the lines' url anyway
            "completion_window": COMPLETION_WINDOW,
            "metadata": {**metadata, CREATE_KEY: uuid.uuid4().hex},
        }
        wait = self.token_limit_first_wait_s
        waited = 0.0
        for attempt in range(1, self.token_limit_tries + 1):
            try:
                info = await self._create_once(body)
            except APIStatusError as exc:
                if not is_token_limit(exc):
                    raise
                if attempt == self.token_limit_tries:
                    raise batch_quota_exhausted(
                        self.settings.batch_deployment, attempt, waited, exc
                    ) from None
            else:
                if not info.id:
                    raise AzureOpenAIError("POST /batches answered without a usable batch id")
                return info
            await anyio.sleep(wait)
            waited += wait
            wait = min(wait * 2, TOKEN_LIMIT_MAX_WAIT_S)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _create_once(self, body: dict[str, Any]) -> BatchInfo:
        """One job from one ``POST /batches``, retried here rather than by the transport.

        A POST is not idempotent: after a lost answer (a timeout, a gateway's 5xx) the job
        may exist, and sending again would start a second one, paid twice. So before each
        retry the newest jobs are read, and the one carrying this call's ``CREATE_KEY`` is
        the answer. A 429 refused the request: it is sent again at once (after its wait).
        """
        once = self.settings.replace(max_retries=0)
        budget = self.settings.max_retries
        for attempt in range(budget + 1):
            try:
                raw = await self._json("POST", "batches", collection=True, body=body, settings=once)
                return BatchInfo.of(raw)
            except (APIStatusError, CLIConnectionError) as exc:
                if attempt == budget or not _may_retry(exc):
                    raise
                if not isinstance(exc, RateLimitError):
                    found = await self._created(body["metadata"][CREATE_KEY])
                    if found is not None:
                        return found
                retry_after = getattr(exc, "retry_after", None)
                pause = backoff_seconds(attempt + 1)
                if retry_after is not None and retry_after <= MAX_RETRY_AFTER_S:
                    pause = retry_after
                await anyio.sleep(pause)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _created(self, create_id: str) -> BatchInfo | None:
        """The job an earlier try of this ``create`` made, if the service has it."""
        try:
            infos, _ = await self.list(limit=50)
        except AzureOpenAIError:
            return None  # cannot tell: the caller sends again, as before
        for info in infos:
            if info.id and info.metadata.get(CREATE_KEY) == create_id:
                return info
        return None

    async def get(self, batch_id: str) -> BatchInfo:
        return BatchInfo.of(
            await self._json("GET", f"batches/{batch_id}", collection=False), batch_id
        )

    async def cancel(self, batch_id: str) -> BatchInfo:
        raw = await self._json("POST", f"batches/{batch_id}/cancel", collection=False)
        return BatchInfo.of(raw, batch_id)

    async def list(self, limit: int = 20, after: str | None = None) -> tuple[list[BatchInfo], bool]:
        """One page of ``GET /batches`` and whether there are more."""
        raw = await self._json(
            "GET", "batches", collection=True, query={"limit": limit, "after": after}
        )
        data = raw.get("data")
        infos = (
            [BatchInfo.of(b) for b in data if isinstance(b, Mapping)]
            if isinstance(data, list)
            else []
        )
        return infos, bool(raw.get("has_more"))


def _may_retry(exc: BaseException) -> bool:
    """A failure the transport would have retried (minus ``token_limit_exceeded``, which
    ``create`` waits for itself)."""
    if isinstance(exc, APIStatusError):
        return exc.status_code in RETRY_STATUSES and not is_token_limit(exc)
    return isinstance(exc, CLIConnectionError) and not isinstance(
        exc, (AuthenticationError, UnauthorizedError)
    )
