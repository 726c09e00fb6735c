"""Adaptive concurrency for one prompt over many rows: fill the quota, not the 429 log.

An Azure deployment has two limits: requests and tokens per minute. Tokens are charged
when a request *arrives*, from an estimate (prompt characters / 4 plus ``max_tokens``),
and a request over either limit is answered 429 with a wait (``retry-after-ms``,
``retry-after``, or "retry after N seconds" in the body). Every answer, 2xx or 429,
carries ``x-ratelimit-remaining-requests`` / ``-tokens`` and the matching ``-limit-``
headers (azure-wire-2.md §3). Peers either retry blindly (openai-python: each request on
its own) or stop the world for a fixed time (the OpenAI cookbook: 15 s). This limiter
admits each row through three gates, all of which must be open:

1. **A concurrency window (AIMD).** At most ``window`` rows in flight. It starts at 4;
   each success adds 1 until the first 429 (slow start: it doubles per round trip),
   then 1/window (one more per round trip of successes). Without budget headers (gate
   2) a 429 halves it — once per "generation": 429s of requests sent before the last
   cut were caused by the old window and do not cut again, so one burst of 429s is one
   halving, not a collapse to 1. With budget headers the rate is gate 2's business and
   a 429 does not shrink the window. ``concurrency=N`` caps the window (and is the
   start when smaller than 4); so does ``MAX_WINDOW`` (64) without it.

2. **The service's own budget, read from the headers.** A header value is the budget
   left when *that* request was admitted. From it the limiter estimates the budget now:
   ``remaining - (requests sent since that one) + refill * (seconds since the answer
   came)`` (and the same for tokens, counting each request's estimate). Timing the
   refill from the answer's arrival, not the request's admission, errs low by one
   latency's worth of refill: a one-off offset of a few requests, not a loss of rate
   (timing it from the send erred high — a new TLS connection delays admission — and
   cost ~5 % 429s in the bench). The refill rate follows
   from the limit headers as Azure enforces them: ``x-ratelimit-limit-requests`` is per
   10 s, ``x-ratelimit-limit-tokens`` per minute. A row is admitted only when the
   estimate covers it, so near the wall the run slows to the refill rate *before* it
   gets 429s, at full speed. Negative values (seen on the Responses API) mean
   "unknown" and are ignored; without headers only gates 1 and 3 act.

3. **The service's wait.** A 429 closes the gate for the wait it names (body and
   headers; jittered backoff if it names none) and sets the budget estimate to zero.
   The row that got it keeps its slot and is sent again when the gate opens (a 429 is
   not a failure of the row; up to ``MAX_429_PER_ROW`` times). A wait longer than
   ``NO_QUOTA_RETRY_AFTER_S`` (86,400 s: the deployment has no quota) is not waited
   for: the run stops with one ``RateLimitError`` saying so.

Why the limiter owns the retries (rows run with ``max_retries=0``) instead of letting
the transport retry: a transport retry sleeps inside one request, invisible to the
other rows, which would go on sending into the wall; the limiter needs to see each 429
the moment it happens to close the gate for everyone. It sees 2xx headers through the
transport's ``response_observer`` context variable, set in each row's task. Transient
failures (connect errors, timeouts, 408/409/5xx) are retried by the row with the
transport's backoff, up to the query's ``max_retries``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import anyio

from .failures import NO_QUOTA_RETRY_AFTER_S

START_WINDOW = 4
MAX_WINDOW = 64
"""The window's ceiling when no ``concurrency`` is given (also bounds memory)."""
MAX_429_PER_ROW = 20
REQUEST_WINDOW_S = 10.0  # x-ratelimit-limit-requests counts this many seconds
TOKEN_WINDOW_S = 60.0  # x-ratelimit-limit-tokens counts a minute
IDLE_TICK_S = 0.25

__all__ = [
    "NO_QUOTA_RETRY_AFTER_S",
    "AdaptiveLimiter",
    "Ticket",
    "estimate_tokens",
]


def estimate_tokens(prompt_chars: int, max_tokens: int) -> int:
    """What Azure charges a request at admission: ~4 characters a token, plus ``max_tokens``."""
    return math.ceil(prompt_chars / 4) + max_tokens


@dataclass
class Ticket:
    """One admitted request: its place in the send order and its token estimate."""

    seq: int
    tokens: int
    tokens_sent_through: int  # tokens sent up to and including this one
    sent_at: float
    generation: int


@dataclass
class _Budget:
    """What the service said was left when one request was admitted."""

    remaining: float
    seq: int
    sent_through: int  # for tokens: tokens sent through that request
    at: float
    refill_per_s: float


class AdaptiveLimiter:
    """Admits rows through the window, the budget estimate and the service's wait."""

    def __init__(
        self,
        cap: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cap = cap if cap is not None else MAX_WINDOW
        self.window = float(min(START_WINDOW, self.cap))
        self.in_flight = 0
        self.rate_limited = 0  # 429s seen
        self.cuts = 0
        self._clock = clock
        self._seq = 0
        self._tokens_sent = 0
        self._generation = 0
        self._slow_start = True
        self._paused_until = 0.0
        self._requests: _Budget | None = None
        self._tokens: _Budget | None = None
        self._changed = anyio.Event()

    # --- admission -------------------------------------------------------------

    async def acquire(self, tokens: int) -> Ticket:
        """Wait until a new row may be sent; it holds a slot until ``release``."""
        while True:
            wait = self._wait_for(tokens, need_slot=True)
            if wait == 0.0:
                self.in_flight += 1
                return self._ticket(tokens)
            await self._sleep(wait)

    async def again(self, ticket: Ticket) -> Ticket:
        """Wait until a row that keeps its slot (after a 429) may be sent again."""
        while True:
            wait = self._wait_for(ticket.tokens, need_slot=False)
            if wait == 0.0:
                return self._ticket(ticket.tokens)
            await self._sleep(wait)

    async def settled(self, seconds: float) -> None:
        """Wait until no row is in flight, at most ``seconds``."""
        with anyio.move_on_after(seconds):
            while self.in_flight:
                await self._sleep(None)

    def release(self) -> None:
        self.in_flight -= 1
        self._notify()

    def _ticket(self, tokens: int) -> Ticket:
        self._seq += 1
        self._tokens_sent += tokens
        return Ticket(self._seq, tokens, self._tokens_sent, self._clock(), self._generation)

    def _wait_for(self, tokens: int, *, need_slot: bool) -> float | None:
        """0.0: go now; a number: seconds to wait at most; None: wait for a change."""
        now = self._clock()
        if now < self._paused_until:
            return self._paused_until - now
        if need_slot and self.in_flight >= int(self.window):
            return None
        waits = [
            self._budget_wait(self._requests, 1.0, self._seq, now),
            self._budget_wait(self._tokens, float(tokens), self._tokens_sent, now),
        ]
        worst = max(waits)
        if worst <= 0.0:
            return 0.0
        # Nothing in flight will bring fresh headers: wake when the refill should cover it.
        return min(worst, IDLE_TICK_S) if self.in_flight else worst

    @staticmethod
    def _budget_wait(budget: _Budget | None, need: float, sent: int, now: float) -> float:
        if budget is None or budget.refill_per_s <= 0:
            return 0.0  # no refill known (no limit header): only 429s can tell
        since = sent - budget.sent_through  # requests (or tokens) sent after it
        have = budget.remaining - since + budget.refill_per_s * (now - budget.at)
        if have >= need:
            return 0.0
        return (need - have) / budget.refill_per_s

    async def _sleep(self, seconds: float | None) -> None:
        changed = self._changed
        with anyio.move_on_after(IDLE_TICK_S if seconds is None else max(seconds, 0.001)):
            await changed.wait()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    # --- what the service said ------------------------------------------------------

    def on_headers(self, ticket: Ticket, headers: Mapping[str, str]) -> None:
        """Read ``x-ratelimit-*`` from an answer to ``ticket``'s request."""
        now = self._clock()  # the service counted it earlier: this errs on the safe side
        requests = _number(headers.get("x-ratelimit-remaining-requests"))
        limit = _number(headers.get("x-ratelimit-limit-requests"))
        if requests is not None and (self._requests is None or ticket.seq >= self._requests.seq):
            rate = limit / REQUEST_WINDOW_S if limit else 0.0
            self._requests = _Budget(requests, ticket.seq, ticket.seq, now, rate)
        tokens = _number(headers.get("x-ratelimit-remaining-tokens"))
        limit = _number(headers.get("x-ratelimit-limit-tokens"))
        if tokens is not None and (self._tokens is None or ticket.seq >= self._tokens.seq):
            rate = limit / TOKEN_WINDOW_S if limit else 0.0
            self._tokens = _Budget(tokens, ticket.seq, ticket.tokens_sent_through, now, rate)

    def on_success(self, ticket: Ticket) -> None:
        if self._slow_start:
            self.window = min(self.cap, self.window + 1)
        else:
            self.window = min(self.cap, self.window + 1 / self.window)
        self._notify()

    def on_rate_limited(self, ticket: Ticket, retry_after: float | None, attempt: int) -> None:
        """A 429 to ``ticket``'s request: close the gate for the wait, maybe halve."""
        from .transport import backoff_seconds

        self.rate_limited += 1
        now = self._clock()
        wait = retry_after if retry_after is not None else backoff_seconds(attempt)
        self._paused_until = max(self._paused_until, now + wait)
        self._slow_start = False
        informed = self._requests is not None or self._tokens is not None
        if ticket.generation == self._generation and not informed:
            self._generation += 1
            self.window = max(1.0, self.window / 2)
            self.cuts += 1
        # The service has nothing left now: rebuild the estimate from zero at this point.
        for name in ("_requests", "_tokens"):
            budget: _Budget | None = getattr(self, name)
            if budget is not None:
                sent = self._seq if name == "_requests" else self._tokens_sent
                setattr(self, name, _Budget(0.0, self._seq, sent, now + wait, budget.refill_per_s))
        self._notify()


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number >= 0 and math.isfinite(number) else None
