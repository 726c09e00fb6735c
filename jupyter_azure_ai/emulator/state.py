"""Emulator state shared by the server thread and the thread running the tests.

Issued tokens, revocations and fault counters live here so ``Emulator.reset()`` and
``revoke_tokens()`` act on the running server. Records keep presence flags only: a
test can see that a key leaked without the key itself ever being stored.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass, field

from .batches import DEFAULT_PHASE_S, BatchApi
from .quota import Quotas
from .scenarios import FaultSpec


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
    """Credentials, issued tokens, fault counters and the Batch API's files and jobs,
    shared with the test thread."""

    def __init__(
        self,
        *,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        subscription_key: str,
        token_lifetime: int,
        batch_phase_s: float = DEFAULT_PHASE_S,
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
        self.quotas = Quotas()
        self.batch_api = BatchApi(batch_phase_s)

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
        self.quotas.reset()
        self.batch_api.reset()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
