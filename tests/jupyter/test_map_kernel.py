"""``%%azure --over`` and ``map_rows`` in real kernels: Ctrl-C, re-runs and a shared cache."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

from jupyter_azure_ai.emulator import Emulator

from ..html_allowlist import check
from .kernel import Kernel

ROWS = 40
SETUP = f"""
%load_ext jupyter_azure_ai
import pandas as pd
words = ["great", "awful", "fine", "love", "broken"]
df = pd.DataFrame({{"review": [f"row {{i}}: it is " + words[i % 5] for i in range({ROWS})]}},
                  index=[f"r{{i}}" for i in range({ROWS})])
"""
CELL = (
    "%%azure --over df --out labels -m {model} --max-tokens 8\nWhat is the sentiment of: {{review}}"
)


def kernel_for(emulator: Emulator, cache: Path) -> Kernel:
    k = Kernel({**emulator.env(), "JUPYTER_AZURE_AI_CACHE_DIR": str(cache)})
    run = k.run(SETUP)
    assert run.status == "ok", run.error
    return k


def value(k: Kernel, expression: str) -> Any:
    run = k.run(f"print(repr({expression}))")
    assert run.status == "ok", run.error
    return eval(run.stdout.strip())  # our own kernel's repr of ints / lists


def test_ctrl_c_keeps_what_finished_and_a_rerun_pays_only_for_the_rest(
    emulator: Emulator, tmp_path: Path
) -> None:
    # 10 requests/s: 40 rows take ~4 s, so an interrupt after ~1.5 s lands mid-run.
    emulator.rate_limit("slow-rows", rpm=600, tpm=10_000_000, burst_s=0.3, latency_s=0.05)
    k = kernel_for(emulator, tmp_path)
    try:
        cell = CELL.format(model="slow-rows")
        # Ctrl-C 1.5 s into the run (the bar sends a message every ~0.1 s), from this thread
        # (jupyter_client's sync calls leave an event loop open in any other thread).
        marks: list[float] = []

        def interrupt_later(msg: dict[str, Any], run: Any) -> None:
            if not marks:
                marks.append(time.monotonic())
            elif len(marks) == 1 and time.monotonic() - marks[0] > 1.5:
                marks.append(time.monotonic())
                k.km.interrupt_kernel()

        run = k.run(cell, timeout=60, on_message=interrupt_later)
        assert len(marks) == 2
        assert run.status == "ok", run.error  # Ctrl-C returns what finished
        assert "interrupted:" in run.everything()
        done = value(k, "int(labels.notna().sum())")
        assert 0 < done < ROWS
        assert value(k, "1 + 1") == 2  # the kernel is usable
        paid_before = emulator.quotas.admitted
        assert paid_before >= done
        again = k.run(cell, timeout=60)
        assert again.status == "ok", again.error
        # Every row that finished is cached (one answered as Ctrl-C landed may be cached
        # without having reached the result), and only the others are paid for again.
        cached = value(k, "labels.attrs['azure_map'].cached")
        assert done <= cached <= done + 8
        assert emulator.quotas.admitted - paid_before == ROWS - cached
        labels = value(k, "labels.tolist()")
        expected = ["positive", "negative", "neutral", "positive", "negative"]
        assert labels == [expected[i % 5] for i in range(ROWS)]
        assert value(k, "list(labels.index[:2])") == ["r0", "r1"]
        summary = again.everything()
        assert re.search(rf"{ROWS} of {ROWS} rows: {ROWS} ok, 0 failed, {cached} cached", summary)
        for m in again.displays():
            if "text/html" in m["content"]["data"]:
                check(m["content"]["data"]["text/html"])
    finally:
        k.shutdown()


def test_a_second_kernel_reuses_the_cache(emulator: Emulator, tmp_path: Path) -> None:
    first = kernel_for(emulator, tmp_path)
    try:
        run = first.run(CELL.format(model="gpt-4"), timeout=60)
        assert run.status == "ok", run.error
    finally:
        first.shutdown()
    assert emulator.stats.chat_requests == ROWS
    second = kernel_for(emulator, tmp_path)
    try:
        run = second.run(CELL.format(model="gpt-4"), timeout=60)
        assert run.status == "ok", run.error
        assert value(second, "labels.attrs['azure_map'].cached") == ROWS
        assert emulator.stats.chat_requests == ROWS  # nothing sent again
    finally:
        second.shutdown()


def test_dry_run_sends_nothing_and_a_bad_field_is_one_line(
    emulator: Emulator, tmp_path: Path
) -> None:
    k = kernel_for(emulator, tmp_path)
    try:
        run = k.run("%%azure --over df --dry-run\nSentiment of <b>{review}</b>?")
        assert run.status == "ok", run.error
        text = run.everything()
        assert f"{ROWS} rows" in text and "an estimate" in text
        html = next(m["content"]["data"]["text/html"] for m in run.displays())
        check(html)
        assert "&lt;b&gt;row 0: it is great&lt;/b&gt;" in html  # shown as text, not markup
        bad = k.run("%%azure --over df\nSentiment of {reveiw}")
        assert bad.status == "error"  # IPython prints a UsageError on stderr, no traceback
        assert bad.stderr.startswith("UsageError: --over df: Template field(s) {reveiw}")
        assert emulator.stats.chat_requests == 0
    finally:
        k.shutdown()


def test_over_with_a_schema_gives_one_column_per_field(emulator: Emulator, tmp_path: Path) -> None:
    k = kernel_for(emulator, tmp_path)
    try:
        setup = (
            "from dataclasses import dataclass\nfrom typing import Literal\n"
            "@dataclass\nclass Facts:\n"
            "    sentiment: Literal['positive', 'negative', 'neutral']\n    words: int\n"
        )
        assert k.run(setup).status == "ok"
        run = k.run("%%azure --over df --schema Facts --out facts -m gpt-4o\nFacts of: {review}")
        assert run.status == "ok", run.error
        assert value(k, "list(facts.columns)") == ["sentiment", "words"]
        assert value(k, "facts['sentiment'].tolist()[:3]") == ["positive", "negative", "neutral"]
        assert value(k, "list(facts.index[:2])") == ["r0", "r1"]
        assert f"{ROWS} of {ROWS} rows: {ROWS} ok" in run.everything()
    finally:
        k.shutdown()


@pytest.fixture(autouse=True)
def _reset(emulator: Emulator) -> None:
    emulator.reset()
