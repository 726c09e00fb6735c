"""Rate-limited deployments: Azure's per-deployment quota, and its 429s.

A deployment named ``ratelimited-<RPM>-<TPM>`` (``ratelimited-600-60000``; add
``-b<S>`` for a burst of S seconds instead of 10, ``ratelimited-600-60000-b1``), or any
deployment given limits with ``Emulator.rate_limit(name, rpm=..., tpm=...)``, admits a
request only if both budgets cover it. As on Azure (azure-wire-2.md §3), tokens are
charged when the request *arrives*, from an estimate — prompt characters / 4 plus
``max_tokens`` (or ``max_completion_tokens``) — not from the real usage. Both budgets
are buckets refilled continuously at RPM/60 and TPM/60 per second, holding ``burst_s``
seconds of quota (default 10 s, the window Azure enforces RPM over).

Every answer carries ``x-ratelimit-limit-requests`` (per 10 s, RPM/6, as seen on
Azure), ``x-ratelimit-limit-tokens`` (per minute), ``x-ratelimit-remaining-requests``
and ``-tokens`` (what is left after this request). A request over either budget gets
Azure OpenAI's 429: body ``{"error": {"code": "429", "message": "Requests to the
ChatCompletions_Create Operation ... Please retry after N seconds. ..."}}`` with
``retry-after`` (whole seconds), ``retry-after-ms`` and the same ``x-ratelimit-*``.

The deployment ``noquota`` (a subscription with zero quota) answers every request with
the variant that says "retry after 86400 seconds" (``retry-after: 86400``).
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any

NO_QUOTA_DEPLOYMENT = "noquota"
PREFIX = "ratelimited-"
DEFAULT_LATENCY_S = 0.05
"""How long a rate-limited deployment takes to start answering (a model's first token)."""


@dataclass
class Limits:
    rpm: int
    tpm: int
    burst_s: float = 10.0
    latency_s: float = DEFAULT_LATENCY_S


def limits_from_name(deployment: str) -> Limits | None:
    """``ratelimited-<RPM>-<TPM>[-b<burst seconds>]`` → its limits; None for other names."""
    if not deployment.startswith(PREFIX):
        return None
    parts = deployment.removeprefix(PREFIX).split("-")
    burst = 10.0
    if len(parts) == 3 and parts[2].startswith("b") and parts[2][1:].isdigit():
        burst = float(parts.pop()[1:]) or 10.0
    if len(parts) != 2 or not all(p.isdigit() and int(p) > 0 for p in parts):
        return None
    return Limits(int(parts[0]), int(parts[1]), burst)


def charge(body: dict[str, Any]) -> int:
    """Tokens Azure charges at admission: ~4 prompt characters a token, plus the answer cap."""
    chars = 0
    for message in body.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            chars += len(content)
        elif isinstance(content, list):
            chars += sum(len(str(p.get("text", ""))) for p in content if isinstance(p, dict))
    cap = body.get("max_completion_tokens") or body.get("max_tokens") or 0
    return math.ceil(chars / 4) + (int(cap) if isinstance(cap, int) else 0)


@dataclass
class _Bucket:
    limits: Limits
    requests: float = field(init=False)
    tokens: float = field(init=False)
    at: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.requests = self.limits.rpm / 60 * self.limits.burst_s
        self.tokens = self.limits.tpm / 60 * self.limits.burst_s

    def refill(self, now: float) -> None:
        elapsed, self.at = now - self.at, now
        lim = self.limits
        self.requests = min(lim.rpm / 60 * lim.burst_s, self.requests + elapsed * lim.rpm / 60)
        self.tokens = min(lim.tpm / 60 * lim.burst_s, self.tokens + elapsed * lim.tpm / 60)


@dataclass(frozen=True)
class Admission:
    """The quota's verdict: ``wait_s`` is None when admitted."""

    headers: dict[str, str]
    wait_s: float | None
    which: str = ""


class Quotas:
    """The buckets of every rate-limited deployment (shared with the test thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._configured: dict[str, Limits] = {}
        self._buckets: dict[str, _Bucket] = {}
        self.admitted = 0
        self.refused = 0

    def configure(self, deployment: str, limits: Limits | None) -> None:
        with self._lock:
            self._buckets.pop(deployment, None)
            if limits is None:
                self._configured.pop(deployment, None)
            else:
                self._configured[deployment] = limits

    def limits(self, deployment: str) -> Limits | None:
        with self._lock:
            configured = self._configured.get(deployment)
        return configured or limits_from_name(deployment)

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()
            self.admitted = self.refused = 0

    def admit(self, deployment: str, limits: Limits, cost: int) -> Admission:
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.get(deployment)
            if bucket is None or bucket.limits != limits:
                bucket = self._buckets[deployment] = _Bucket(limits)
            bucket.refill(now)
            short_requests = 1 - bucket.requests
            short_tokens = cost - bucket.tokens
            if short_requests <= 0 and short_tokens <= 0:
                bucket.requests -= 1
                bucket.tokens -= cost
                self.admitted += 1
                return Admission(_headers(bucket), None)
            self.refused += 1
            waits = {
                "call": short_requests / (limits.rpm / 60),
                "token": short_tokens / (limits.tpm / 60),
            }
            which = max(waits, key=lambda k: waits[k])
            return Admission(_headers(bucket), max(waits[which], 0.001), which)


def _headers(bucket: _Bucket) -> dict[str, str]:
    lim = bucket.limits
    return {
        "x-ratelimit-limit-requests": str(max(1, lim.rpm // 6)),
        "x-ratelimit-limit-tokens": str(lim.tpm),
        "x-ratelimit-remaining-requests": str(max(0, math.floor(bucket.requests))),
        "x-ratelimit-remaining-tokens": str(max(0, math.floor(bucket.tokens))),
    }


def rate_limited_body(api_version: str, which: str, seconds: int) -> dict[str, Any]:
    """Azure OpenAI's own 429 body (the code is the string "429", there is no type)."""
    message = (
        f"Requests to the ChatCompletions_Create Operation under Azure OpenAI API version"
        f" {api_version} have exceeded {which} rate limit of your current OpenAI S0 pricing"
        f" tier. Please retry after {seconds} second{'s' if seconds != 1 else ''}. Please go"
        " here: https://aka.ms/oai/quotaincrease if you would like to further increase the"
        " default rate limit."
    )
    return {"error": {"code": "429", "message": message}}


def no_quota_headers() -> dict[str, str]:
    return {
        "retry-after": "86400",
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-remaining-tokens": "0",
    }
