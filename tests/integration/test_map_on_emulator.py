"""One prompt over many rows (``azure_map``, ``map_rows``) on the emulator over TLS."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from contextlib import aclosing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import anyio
import pandas as pd
import pytest

from jupyter_azure_ai import (
    AzureOpenAIOptions,
    ContentFilterError,
    MapItem,
    RateLimitError,
    UnauthorizedError,
    azure_map,
    clear_cache,
    map_rows,
)
from jupyter_azure_ai._internal.auth import clear_token_cache
from jupyter_azure_ai.emulator import Emulator
from jupyter_azure_ai.mapping import AnswerError
from jupyter_azure_ai.templates import FieldError, TemplateError

REVIEWS = [
    "I love it, great and fast",
    "awful, slow and broken",
    "it arrived on a Tuesday",
    "helpful staff, would recommend",
    "the worst, I want a refund",
]
LABELS = ["positive", "negative", "neutral", "positive", "negative"]
TEMPLATE = "What is the sentiment (positive, negative or neutral) of: {review}"


@pytest.fixture(autouse=True)
def fresh_tokens() -> Iterator[None]:
    clear_token_cache()
    yield
    clear_token_cache()


def opts(emu: Emulator, **kw: Any) -> AzureOpenAIOptions:
    kw.setdefault("verify", emu.ca_path)
    kw.setdefault("max_tokens", 16)
    return AzureOpenAIOptions.from_env(emu.env(), **kw)


def test_results_align_with_the_index_and_the_cache_answers_a_rerun(
    emulator: Emulator, tmp_path: Path
) -> None:
    index = ["e", "a", "d", "b", "c"]
    df = pd.DataFrame({"review": REVIEWS, "stars": [5, 1, 3, 4, 1]}, index=index)
    first = map_rows(df, TEMPLATE, opts(emulator), cache=tmp_path, progress=False)
    assert isinstance(first, pd.Series)
    assert list(first.index) == index and list(first) == LABELS
    assert emulator.stats.chat_requests == 5
    again = map_rows(df, TEMPLATE, opts(emulator), cache=tmp_path, progress=False)
    assert list(again) == LABELS and emulator.stats.chat_requests == 5  # all from the cache
    assert again.attrs["azure_map"].cached == 5
    # Another deployment is another request body: not a cache hit.
    map_rows(df.iloc[:1], TEMPLATE, opts(emulator, model="gpt-4o"), cache=tmp_path, progress=False)
    assert emulator.stats.chat_requests == 6
    assert clear_cache(tmp_path) == 6


def test_series_and_lists_use_value(emulator: Emulator) -> None:
    named = pd.Series(REVIEWS[:2], name="review", index=[10, 20])
    by_value = map_rows(named, "sentiment of: {value}", opts(emulator), cache=False, progress=False)
    by_name = map_rows(named, "sentiment of: {review}", opts(emulator), cache=False, progress=False)
    assert list(by_value.index) == [10, 20] and list(by_value) == LABELS[:2] == list(by_name)
    texts = map_rows(REVIEWS, "sentiment: {value}", opts(emulator), cache=False, progress=False)
    assert list(texts) == LABELS
    dicts = [{"review": r, "n": i} for i, r in enumerate(REVIEWS)]
    assert list(map_rows(dicts, TEMPLATE, opts(emulator), cache=False, progress=False)) == LABELS


def test_a_template_field_that_is_not_a_column_fails_before_any_request(
    emulator: Emulator,
) -> None:
    df = pd.DataFrame({"review": REVIEWS})
    with pytest.raises(TemplateError, match=r"\{reveiw\}.*columns: review"):
        map_rows(df, "sentiment of {reveiw}", opts(emulator), cache=False, progress=False)
    with pytest.raises(TemplateError, match=r"\{text\}"):
        map_rows([{"review": "a"}, {"text": "b"}], "{text}", opts(emulator), progress=False)
    assert emulator.stats.chat_requests == 0


def test_a_failed_row_carries_its_typed_error_and_the_others_go_on(emulator: Emulator) -> None:
    rows = [
        {"review": REVIEWS[0], "tags": ["a"]},
        {"review": "[emulator-fault:content-filter] hateful", "tags": ["b"]},
        {"review": REVIEWS[1], "tags": []},  # {tags[0]} cannot be filled: this row only
        {"review": REVIEWS[3], "tags": ["c"]},
    ]
    out = map_rows(rows, TEMPLATE + " ({tags[0]})", opts(emulator), cache=False, progress=False)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == ["answer", "error"]
    assert list(out["answer"]) == ["positive", None, None, "positive"]
    assert isinstance(out["error"][1], ContentFilterError)
    assert isinstance(out["error"][2], FieldError)
    assert out["error"][0] is None and out["error"][3] is None
    assert emulator.stats.chat_requests == 3  # the unfillable row was never sent


def test_many_prompts_stream_through_with_few_in_flight(emulator: Emulator) -> None:
    pulled = 0
    most_ahead = 0

    def prompts() -> Iterator[str]:
        nonlocal pulled
        for i in range(1000):
            pulled += 1
            yield f"sentiment of review {i}: great"

    async def run() -> list[int]:
        nonlocal most_ahead
        seen = []
        async for item in azure_map(prompts(), opts(emulator), concurrency=8):
            assert item.error is None and item.text == "positive"
            seen.append(item.index)
            most_ahead = max(most_ahead, pulled - len(seen))
        return seen

    seen = anyio.run(run)
    assert sorted(seen) == list(range(1000))
    assert most_ahead <= 16  # 8 in flight, plus answers on their way to the consumer


def test_ten_thousand_prompts_are_pulled_only_as_rows_are_sent(emulator: Emulator) -> None:
    pulled = 0

    def prompts() -> Iterator[str]:
        nonlocal pulled
        for i in range(10_000):
            pulled += 1
            yield f"sentiment of review {i}: awful"

    async def run() -> int:
        seen = 0
        async with aclosing(azure_map(prompts(), opts(emulator), concurrency=8)) as items:
            async for item in items:
                assert item.text == "negative"
                seen += 1
                assert pulled - seen <= 16  # never more than 8 in flight (+ 8 on their way)
                if seen == 300:
                    break  # leaving early: no new rows, those in flight end, nothing leaks
        return seen

    assert anyio.run(run) == 300
    assert pulled <= 316
    assert emulator.stats.chat_requests <= 316


def test_adaptive_concurrency_fills_a_rate_limited_deployment_with_few_429s(
    emulator: Emulator,
) -> None:
    emulator.rate_limit("quota-test", rpm=6000, tpm=10_000_000, burst_s=0.5, latency_s=0.02)
    prompts = [f"sentiment: great product number {i}" for i in range(300)]
    started = time.perf_counter()
    out = map_rows(prompts, "{value}", opts(emulator, model="quota-test"), cache=False,
                   progress=False)  # fmt: skip
    seconds = time.perf_counter() - started
    assert isinstance(out, pd.Series) and set(out) == {"positive"}  # every row succeeded
    quotas = emulator.quotas
    assert quotas.admitted == 300
    assert quotas.refused <= 0.1 * (quotas.admitted + quotas.refused)
    assert out.attrs["azure_map"].rate_limited == quotas.refused
    # 100 requests/s with a 50-request burst: 300 rows need at least 2.5 s.
    assert 2.4 < seconds < 8


def test_no_quota_fails_fast_with_one_clear_error(emulator: Emulator) -> None:
    started = time.perf_counter()
    with pytest.raises(RateLimitError, match=r"no quota.*86,400 s") as info:
        map_rows(
            REVIEWS * 20, "{value}", opts(emulator, model="noquota"), cache=False, progress=False
        )
    assert time.perf_counter() - started < 3
    assert info.value.retry_after == 86400
    assert emulator.stats.chat_requests <= 4  # the first window, no retries


def test_a_refused_subscription_key_stops_the_run_at_once(emulator: Emulator) -> None:
    bad = opts(emulator, apim_subscription_key="not-the-key-0000")
    started = time.perf_counter()
    with pytest.raises(UnauthorizedError):
        map_rows(REVIEWS * 40, "{value}", bad, cache=False, progress=False)
    assert time.perf_counter() - started < 2
    assert emulator.stats.chat_requests <= 8  # the first window, each refreshed once on 401


def test_the_cache_file_never_holds_a_secret(emulator: Emulator, tmp_path: Path) -> None:
    map_rows(REVIEWS, "sentiment: {value}", opts(emulator), cache=tmp_path, progress=False)
    files = list(tmp_path.iterdir())
    assert any(f.name == "answers.sqlite3" for f in files)
    data = b"".join(f.read_bytes() for f in files if f.is_file())
    assert b"positive" in data  # the answers are there...
    for secret in (emulator.client_secret, emulator.subscription_key):
        assert secret.encode() not in data  # ...and no credential
    assert b"eyJ" not in data  # no JWT-shaped token
    assert REVIEWS[0].encode() not in data  # nor the prompts: keys are digests


@dataclass
class Review:
    sentiment: Literal["positive", "negative", "neutral"]
    product: str


def test_output_format_gives_one_column_per_field_and_cached_rows_revive(
    emulator: Emulator, tmp_path: Path
) -> None:
    df = pd.DataFrame(
        {"review": ["I love the Kettle", "the Toaster is awful", "[emulator-fault:refusal] x"]},
        index=[7, 8, 9],
    )
    template = "Extract from this review: {review}"
    options = opts(emulator, model="gpt-4o", max_tokens=200)
    out = map_rows(df, template, options, output_format=Review, cache=tmp_path, progress=False)
    assert list(out.columns) == ["sentiment", "product", "error"]
    assert list(out.index) == [7, 8, 9]
    assert list(out["sentiment"][:2]) == ["positive", "negative"]
    assert isinstance(out["error"][9], AnswerError) and out["error"][9].subtype == "error_refusal"
    assert out.attrs["azure_map"].cost_usd > 0  # gpt-4o is in the built-in price table

    async def items() -> list[MapItem]:
        prompts = [template.format(review=r) for r in df["review"][:2]]
        structured = dataclasses.replace(options, output_format=Review)
        return [item async for item in azure_map(prompts, structured, cache=tmp_path)]

    cached = anyio.run(items)
    assert all(item.cached and isinstance(item.structured_output, Review) for item in cached)


def test_map_rows_on_the_sdk_loop_thread_is_an_error_not_a_deadlock(emulator: Emulator) -> None:
    from jupyter_azure_ai.jupyter.runtime import get_runtime

    async def inside() -> None:
        map_rows(["x"], "{value}", opts(emulator), cache=False, progress=False)

    with pytest.raises(RuntimeError, match="azure_map"):
        get_runtime().call(inside(), timeout=10)
