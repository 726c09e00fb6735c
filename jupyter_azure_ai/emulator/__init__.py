"""A local TLS stand-in for Entra ID + API Management + Azure OpenAI.

``start_emulator()`` serves the app from :mod:`.app` with uvicorn over TLS in a daemon
thread, so demos, tests and benchmarks run the real HTTP stack without an Azure
subscription. Fault names are listed in :mod:`.scenarios`.

Pointing azure-identity at it: the async ``azure.identity.aio.ClientSecretCredential``
only POSTs ``/{tenant}/oauth2/v2.0/token`` and works with ``authority=emu.authority_host``.
The sync ``ClientSecretCredential`` goes through MSAL, which for any authority host it
does not know (everything but login.microsoftonline.com & co.) first asks
``https://login.microsoftonline.com/common/discovery/instance`` — the real Microsoft
host, not this server — and then refuses the authority as ``invalid_instance``.
Pass ``disable_instance_discovery=True`` for a custom authority such as this one: MSAL
then only GETs ``/{tenant}/v2.0/.well-known/openid-configuration`` here. The emulator
also serves ``/common/discovery/instance`` for MSAL used directly with
``instance_discovery="<url>/common/discovery/instance"`` (azure-identity cannot pass
a URL, only the boolean).
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from pathlib import Path
from types import TracebackType

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from .app import NO_BATCH_API, create_app, install_log_filter
from .batches import DEFAULT_PHASE_S, PHASE_ENV
from .certs import CertFiles, ensure_certs
from .quota import DEFAULT_LATENCY_S, Limits, Quotas
from .state import EmulatorState, RequestRecord, Stats

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_DEPLOYMENT",
    "DEFAULT_TENANT_ID",
    "Emulator",
    "RequestRecord",
    "Stats",
    "start_emulator",
]

DEFAULT_TENANT_ID = "11111111-1111-4111-8111-111111111111"
DEFAULT_CLIENT_ID = "22222222-2222-4222-8222-222222222222"
DEFAULT_DEPLOYMENT = "gpt-4"
_START_TIMEOUT = 15.0


class Emulator:
    """One emulator server; a context manager that starts it and stops it on exit."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        token_lifetime: int = 3599,
        cert_dir: str | Path | None = None,
        batch_phase_s: float | None = None,
    ) -> None:
        self.host = host
        self.tenant_id = DEFAULT_TENANT_ID
        self.client_id = DEFAULT_CLIENT_ID
        self.client_secret = secrets.token_urlsafe(24)
        self.subscription_key = secrets.token_urlsafe(24)
        self._state = EmulatorState(
            tenant_id=self.tenant_id,
            client_id=self.client_id,
            client_secret=self.client_secret,
            subscription_key=self.subscription_key,
            token_lifetime=token_lifetime,
            batch_phase_s=_batch_phase_s(batch_phase_s),
        )
        self._certs: CertFiles = ensure_certs(Path(cert_dir) if cert_dir is not None else None)
        self._socket = _bind(host, port)
        self.port: int = self._socket.getsockname()[1]
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"<Emulator {self.url}>"

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}"

    @property
    def endpoint(self) -> str:
        """The APIM endpoint a user configures: the gateway URL plus the ``/openai`` suffix."""
        return f"{self.url}/openai"

    @property
    def no_batch_api_endpoint(self) -> str:
        """An endpoint whose APIM API serves chat but not ``/files`` or ``/batches`` (404)."""
        return f"{self.url}{NO_BATCH_API}/openai"

    @property
    def batch_phase_s(self) -> float:
        """Seconds each batch phase lasts (emulator/batches.py); jobs created later use it."""
        return self._state.batch_api.phase_s

    @batch_phase_s.setter
    def batch_phase_s(self, value: float) -> None:
        if not value > 0:
            raise ValueError(f"batch_phase_s must be > 0, got {value!r}")
        self._state.batch_api.phase_s = value

    def batch_file(self, file_id: str) -> bytes:
        """The content of an uploaded or output file (tests check what was sent)."""
        return self._state.batch_api.file_bytes(file_id)

    @property
    def authority_host(self) -> str:
        return self.url

    @property
    def ca_path(self) -> str:
        return str(self._certs.ca)

    @property
    def stats(self) -> Stats:
        return self._state.stats

    @property
    def token_endpoint_down(self) -> bool:
        return self._state.token_endpoint_down

    @token_endpoint_down.setter
    def token_endpoint_down(self, value: bool) -> None:
        self._state.token_endpoint_down = value

    def env(self) -> dict[str, str]:
        """Environment variables that point the SDK (and its TLS stack) at this server."""
        return {
            "AZURE_TENANT_ID": self.tenant_id,
            "AZURE_CLIENT_ID": self.client_id,
            "AZURE_CLIENT_SECRET": self.client_secret,
            "AZURE_APIM_ENDPOINT": self.endpoint,
            "AZURE_APIM_SUBSCRIPTION_KEY": self.subscription_key,
            "AZURE_AUTHORITY_HOST": self.authority_host,
            "AZURE_OPENAI_DEPLOYMENT": DEFAULT_DEPLOYMENT,
            "SSL_CERT_FILE": self.ca_path,
            "REQUESTS_CA_BUNDLE": self.ca_path,
        }

    def reset(self) -> None:
        """Forget counters, fault counts, revocations, batch files and jobs, and restore the
        batch phase of the start (tests call it between tests)."""
        self._state.reset()

    def rate_limit(
        self,
        deployment: str,
        *,
        rpm: int,
        tpm: int,
        burst_s: float = 10.0,
        latency_s: float = DEFAULT_LATENCY_S,
    ) -> None:
        """Give ``deployment`` a quota (requests and tokens per minute; see ``quota.py``);
        it answers like ``gpt-4`` within it and 429 beyond it."""
        self._state.quotas.configure(deployment, Limits(rpm, tpm, burst_s, latency_s))

    @property
    def quotas(self) -> Quotas:
        """Admitted / refused counts of the rate-limited deployments."""
        return self._state.quotas

    def revoke_tokens(self) -> None:
        """Make every token issued so far invalid: APIM then answers 401 Invalid JWT."""
        self._state.revoke_tokens()

    def start(self) -> Emulator:
        """Serve in a daemon thread; return once the socket accepts TLS connections."""
        if self._thread is not None:
            return self
        install_log_filter()
        config = uvicorn.Config(
            create_app(self._state),
            ssl_certfile=str(self._certs.cert),
            ssl_keyfile=str(self._certs.key),
            http=_H11Protocol,
            loop="asyncio",
            lifespan="off",
            log_config=None,
            log_level="warning",
            access_log=False,  # the log must never hold a key or token; keep it off
            proxy_headers=False,
            server_header=False,
            timeout_graceful_shutdown=2,
        )
        server = _Server(config)
        thread = threading.Thread(
            target=server.run,
            kwargs={"sockets": [self._socket]},
            name=f"jupyter-azure-ai-emulator-{self.port}",
            daemon=True,
        )
        self._server, self._thread = server, thread
        thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the emulator did not start on {self.url}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread; safe to call twice."""
        server, thread = self._server, self._thread
        if server is not None and thread is not None:
            server.should_exit = True
            thread.join(10)
            if thread.is_alive():
                server.force_exit = True
                thread.join(5)
        self._socket.close()
        self._server = self._thread = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class _H11Protocol(H11Protocol):
    """uvicorn's h11 protocol, closing its transport however the connection ended.

    uvicorn closes it only after a clean EOF. When a client resets the connection
    instead, Python 3.10's asyncio leaves its TLS transport open in name, and it warns
    ("unclosed transport", a ResourceWarning) when collected; 3.11's asyncio marks it
    closed itself. Closing a transport whose connection is gone sends nothing.
    """

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self.transport.close()


class _Server(uvicorn.Server):
    """Drops lingering connections at shutdown instead of waiting for them.

    A client that keeps an idle keep-alive socket open (e.g. one leaked after an
    error) would make the TLS close wait for a close_notify that never comes, and the
    loop would end with an unclosed transport (a ResourceWarning under ``-W error``).
    """

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for connection in list(self.server_state.connections):
            transport = getattr(connection, "transport", None)
            if transport is not None:
                transport.abort()
        await super().shutdown(sockets=sockets)


def start_emulator(
    host: str = "127.0.0.1",
    port: int = 0,
    token_lifetime: int = 3599,
    cert_dir: str | Path | None = None,
    batch_phase_s: float | None = None,
) -> Emulator:
    """Start an emulator; use the result as a context manager to stop it.

    ``batch_phase_s``: seconds each Batch API phase lasts (default: the environment
    variable ``JUPYTER_AZURE_AI_EMULATOR_BATCH_PHASE_S``, else 0.25).
    """
    return Emulator(host, port, token_lifetime, cert_dir, batch_phase_s).start()


def _batch_phase_s(value: float | None) -> float:
    if value is None:
        text = os.environ.get(PHASE_ENV, "")
        try:
            value = float(text) if text else DEFAULT_PHASE_S
        except ValueError:
            raise ValueError(f"{PHASE_ENV} must be a number of seconds, got {text!r}") from None
    if not value > 0:
        raise ValueError(f"batch_phase_s must be > 0, got {value!r}")
    return value


def _bind(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        if hasattr(socket, "SO_REUSEADDR") and port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock
