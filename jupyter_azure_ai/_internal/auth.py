"""Microsoft Entra ID tokens: azure-identity credential, token cache, single-flight refresh.

Tokens are cached per (authority, tenant, client, scope, secret) for the whole
process, so a new ``azure_query`` call or a new client reuses a valid token. A token
is refreshed when less than five minutes remain. However many requests wait, one
refresh is in flight: the sync credential runs in a worker thread under a
``threading.Lock`` (works across event loops and threads, e.g. a kernel's loop
thread and a script's ``anyio.run``); an async credential is awaited under an
``anyio.Lock``.

The sync ``ClientSecretCredential`` is used rather than the ``aio`` one because the
latter needs aiohttp; a token fetch happens about once an hour, so a thread is cheap.
"""

from __future__ import annotations

import hashlib
import inspect
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import anyio
import anyio.to_thread

from ..options import ConnectionSettings
from .failures import error_from_auth_failure
from .tls import resolve_verify

REFRESH_MARGIN_S = 300.0
_KNOWN_AUTHORITIES = frozenset(
    {
        "login.microsoftonline.com",
        "login.microsoftonline.us",
        "login.chinacloudapi.cn",
        "login.partner.microsoftonline.cn",
    }
)


@dataclass(frozen=True)
class Token:
    """An access token; its value never appears in a repr."""

    value: str
    expires_on: float

    def __repr__(self) -> str:
        return f"Token(value='***', expires_on={self.expires_on})"

    def fresh(self, now: float | None = None) -> bool:
        return self.expires_on - (time.time() if now is None else now) > REFRESH_MARGIN_S


class _SecretFlow:
    """Client-credentials flow for one (authority, tenant, client, scope, secret)."""

    def __init__(self, connection: ConnectionSettings) -> None:
        self._connection = connection
        self._lock = threading.Lock()
        self.token: Token | None = None
        self._credential: Any = None

    def _new_credential(self) -> Any:
        from azure.identity import ClientSecretCredential

        o = self._connection
        assert o.authority_host is not None
        kwargs: dict[str, Any] = {
            "authority": o.authority_host,
            "connection_verify": resolve_verify(o.verify),
            # MSAL would ask login.microsoftonline.com about any other authority
            # (an emulator, a sovereign proxy); the answer is not needed there.
            "disable_instance_discovery": urlsplit(o.authority_host).hostname
            not in _KNOWN_AUTHORITIES,
        }
        if o.proxy:
            kwargs["proxies"] = {"https": o.proxy, "http": o.proxy}
        return ClientSecretCredential(o.tenant_id, o.client_id, o.client_secret, **kwargs)

    def close(self) -> None:
        with self._lock:
            if self._credential is not None:
                self._credential.close()
                self._credential = None

    def get(self, rejected: str | None) -> Token:
        """Blocking; called in a worker thread. ``rejected``: a token the service refused."""
        with self._lock:
            tok = self.token
            if tok is not None and tok.fresh() and tok.value != rejected:
                return tok  # another waiter refreshed it meanwhile
            if self._credential is None or rejected is not None:
                # A fresh credential skips azure-identity's own cache of the refused token.
                if self._credential is not None:
                    self._credential.close()
                self._credential = self._new_credential()
            try:
                access = self._credential.get_token(self._connection.scope)
            except Exception as exc:
                # the cause holds the request, and so the secret: not chained
                raise error_from_auth_failure(exc, self._connection.secrets()) from None
            self.token = Token(access.token, float(access.expires_on))
            return self.token


_FLOWS: dict[tuple[str, ...], _SecretFlow] = {}
_FLOWS_LOCK = threading.Lock()


def _flow_for(connection: ConnectionSettings) -> _SecretFlow:
    digest = hashlib.sha256(connection.client_secret.encode()).hexdigest()
    key = (
        str(connection.authority_host),
        connection.tenant_id,
        connection.client_id,
        connection.scope,
        digest,
        str(resolve_verify(connection.verify)),
    )
    with _FLOWS_LOCK:
        flow = _FLOWS.get(key)
        if flow is None:
            flow = _FLOWS[key] = _SecretFlow(connection)
        return flow


def clear_token_cache() -> None:
    """Forget every cached token and credential (tests; a secret rotated in place)."""
    with _FLOWS_LOCK:
        flows = list(_FLOWS.values())
        _FLOWS.clear()
    for flow in flows:
        flow.close()


class AzureADAuth:
    """Gives a valid bearer token, fetching or refreshing it only when needed."""

    def __init__(self, connection: ConnectionSettings) -> None:
        self._connection = connection
        self._credential = connection.credential
        self._flow = _flow_for(connection) if self._credential is None else None
        self._token: Token | None = None  # for a user-supplied credential
        self._alock: anyio.Lock | None = None

    @property
    def current(self) -> Token | None:
        """The cached token, valid or not (for status displays; never print its value)."""
        return self._flow.token if self._flow is not None else self._token

    async def token(self) -> str:
        """A token with more than five minutes left (hot path: no await when cached)."""
        tok = self.current
        if tok is not None and tok.fresh():
            return tok.value
        return (await self._refresh(None)).value

    async def refresh_after_401(self, rejected: str) -> str:
        """A new token after the service refused ``rejected``."""
        return (await self._refresh(rejected)).value

    async def _refresh(self, rejected: str | None) -> Token:
        if self._flow is not None:
            return await anyio.to_thread.run_sync(self._flow.get, rejected)
        if self._alock is None:
            self._alock = anyio.Lock()
        async with self._alock:
            tok = self._token
            if tok is not None and tok.fresh() and tok.value != rejected:
                return tok
            try:
                get_token = self._credential.get_token
                if inspect.iscoroutinefunction(get_token):
                    access = await get_token(self._connection.scope)
                else:  # a sync credential (e.g. ManagedIdentityCredential): off the loop
                    access = await anyio.to_thread.run_sync(get_token, self._connection.scope)
            except Exception as exc:
                raise error_from_auth_failure(exc, self._connection.secrets()) from None
            self._token = Token(access.token, float(access.expires_on))
            return self._token
