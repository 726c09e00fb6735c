"""The adaptive limiter's arithmetic (no network, a fake clock) and 429 wait parsing."""

from __future__ import annotations

import anyio
import pytest

from jupyter_azure_ai import RateLimitError
from jupyter_azure_ai._internal.failures import error_from_response, retry_after_from_body
from jupyter_azure_ai._internal.limiter import MAX_WINDOW, AdaptiveLimiter, estimate_tokens


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_slow_start_then_additive_increase_and_one_halving_per_generation() -> None:
    clock = Clock()
    limiter = AdaptiveLimiter(clock=clock)
    assert limiter.window == 4
    tickets = [limiter._ticket(10) for _ in range(4)]
    for t in tickets:
        limiter.on_success(t)
    assert limiter.window == 8  # +1 per success before the first 429
    burst = [limiter._ticket(10) for _ in range(8)]
    for t in burst:  # eight 429s from one window: one cut
        limiter.on_rate_limited(t, 0.5, 1)
    assert limiter.window == 4 and limiter.cuts == 1 and limiter.rate_limited == 8
    assert limiter._wait_for(10, need_slot=False) == pytest.approx(0.5)  # the service's wait
    later = limiter._ticket(10)
    limiter.on_success(later)
    assert limiter.window == pytest.approx(4.25)  # +1/window after the first 429
    limiter.on_rate_limited(later, None, 1)  # sent after the cut: cuts again
    assert limiter.cuts == 2 and limiter.window == pytest.approx(2.125)


def test_the_window_never_passes_the_cap() -> None:
    limiter = AdaptiveLimiter(3)
    assert limiter.window == 3
    for _ in range(10):
        limiter.on_success(limiter._ticket(1))
    assert limiter.window == 3
    unbounded = AdaptiveLimiter()
    for _ in range(500):
        unbounded.on_success(unbounded._ticket(1))
    assert unbounded.window == MAX_WINDOW


def test_the_header_budget_slows_admission_before_the_wall() -> None:
    clock = Clock()
    limiter = AdaptiveLimiter(clock=clock)
    first = limiter._ticket(100)
    # 60 requests per 10 s = 6/s, 6,000 tokens a minute = 100/s; 250 tokens left.
    limiter.on_headers(
        first,
        {
            "x-ratelimit-limit-requests": "60",
            "x-ratelimit-remaining-requests": "50",
            "x-ratelimit-limit-tokens": "6000",
            "x-ratelimit-remaining-tokens": "250",
        },
    )
    assert limiter._wait_for(100, need_slot=False) == 0.0
    limiter._ticket(100)
    limiter._ticket(100)  # two more sent since: 50 tokens left by the estimate
    assert limiter._wait_for(100, need_slot=False) == pytest.approx(0.5)  # 50 more at 100/s
    clock.now += 0.5
    assert limiter._wait_for(100, need_slot=False) == 0.0
    # With budget headers a 429 pauses everyone and zeroes the estimate; the window stays.
    limiter.on_rate_limited(limiter._ticket(100), 0.2, 1)
    assert limiter.window == 4 and limiter.cuts == 0
    assert limiter._wait_for(100, need_slot=False) == pytest.approx(0.2)
    clock.now += 0.2
    assert limiter._wait_for(100, need_slot=False) == pytest.approx(1.0)  # refill 100/s
    # Unknown values (negative, as the Responses API sends) are ignored.
    other = AdaptiveLimiter(clock=clock)
    other.on_headers(other._ticket(1), {"x-ratelimit-remaining-tokens": "-1"})
    assert other._tokens is None


def test_estimate_is_characters_over_four_plus_max_tokens() -> None:
    assert estimate_tokens(0, 16) == 16
    assert estimate_tokens(9, 16) == 19


@pytest.mark.anyio
async def test_acquire_waits_for_a_free_slot() -> None:
    limiter = AdaptiveLimiter(1)
    await limiter.acquire(1)
    got: list[str] = []

    async def second() -> None:
        await limiter.acquire(1)
        got.append("second")

    async with anyio.create_task_group() as tg:
        tg.start_soon(second)
        await anyio.sleep(0.05)
        assert got == []
        limiter.release()
    assert got == ["second"]


def test_429_waits_from_the_body() -> None:
    assert retry_after_from_body("Please retry after 86400 seconds. Please go here") == 86400
    assert retry_after_from_body("Rate limit is exceeded. Try again in 2 seconds.") == 2
    assert retry_after_from_body("Please retry after 1 second.") == 1
    assert retry_after_from_body("slow down") is None
    no_quota = (
        b'{"error":{"code":"429","message":"Requests to the ChatCompletions_Create Operation'
        b" have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry"
        b' after 86400 seconds."}}'
    )
    # A short header next to "86400 seconds" in the body: the body says "no quota".
    err = error_from_response(429, {"retry-after": "6"}, no_quota, deployment="gpt-4o")
    assert isinstance(err, RateLimitError) and err.retry_after == 86400
    body_only = error_from_response(429, {}, no_quota.replace(b"86400", b"3"), deployment="x")
    assert isinstance(body_only, RateLimitError) and body_only.retry_after == 3
    header_wins = error_from_response(
        429, {"retry-after-ms": "20"}, no_quota.replace(b"86400", b"1"), deployment="x"
    )
    assert isinstance(header_wins, RateLimitError) and header_wins.retry_after == 0.02
