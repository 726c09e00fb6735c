"""The Batch API client at scale: memory while building and uploading, JSONL build speed.

    python bench/batch.py [--rows 250000]

- build: the JSONL of ``--rows`` rows of a DataFrame (template filled per row, one
  request line each, split past 100,000 lines) written to temporary files and thrown
  away: seconds per 10,000 rows, and peak RSS growth over the run;
- submit: ``submit_batch`` of the same rows to the emulator (in another process):
  build, upload through ``/files`` (multipart, streamed from disk) and one ``/batches``
  job per 100,000 lines: wall time and peak RSS growth (goal: flat, <= 100 MB);
- results: once the jobs are done, ``results()`` reading every answer back (output
  files streamed line by line) into a Series: time and peak RSS growth.

RSS is sampled every 5 ms from /proc/self/statm (Linux), after the DataFrame exists:
the growth is what the client itself holds, not the data.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd

from jupyter_azure_ai import AzureOpenAIOptions, submit_batch
from jupyter_azure_ai.batch.jsonl import Skipped, body_maker, build_parts, line_url
from jupyter_azure_ai.mapping import _prompts, prepare

TEMPLATE = "What is the sentiment (positive, negative or neutral) of this review: {review}"
Row = tuple[str, str, str, str, bool]
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE


class PeakRSS:
    """Peak RSS growth over a block, sampled in a thread."""

    def __init__(self) -> None:
        self.base = self.peak = 0
        self._stop = threading.Event()

    def __enter__(self) -> PeakRSS:
        self.base = self.peak = rss()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, rss())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss())

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.base) / 1e6


def frame(rows: int) -> pd.DataFrame:
    words = ["great service, would recommend", "awful, slow and broken", "it arrived on time"]
    reviews = [f"review {i}: {words[i % 3]}" for i in range(rows)]
    return pd.DataFrame({"review": reviews, "stars": [i % 5 + 1 for i in range(rows)]})


def build_only(df: pd.DataFrame, options: AzureOpenAIOptions) -> tuple[float, float, int]:
    """(seconds, peak RSS growth MB, parts) for writing every part and dropping it."""
    parsed, rows = prepare(df, TEMPLATE)
    make = body_maker(options.settings, "max_tokens", {})
    parts = 0
    with PeakRSS() as peak:
        start = time.perf_counter()
        for part in build_parts(_prompts(parsed, rows), make, line_url(False), Skipped()):
            parts += 1
            part.close()
        seconds = time.perf_counter() - start
    return seconds, peak.growth_mb, parts


def submit(df: pd.DataFrame, options: AzureOpenAIOptions) -> tuple[float, float, Any]:
    """(seconds, peak RSS growth MB, the job) for submit_batch to the emulator."""
    with PeakRSS() as peak:
        start = time.perf_counter()
        job = submit_batch(df, TEMPLATE, options)
        seconds = time.perf_counter() - start
    return seconds, peak.growth_mb, job


def results(job: Any) -> tuple[float, float]:
    """(seconds, peak RSS growth MB) for reading every answer back into a Series."""
    job.wait(progress=False)
    with PeakRSS() as peak:
        start = time.perf_counter()
        result = job.results()
        seconds = time.perf_counter() - start
    assert result.attrs["azure_batch"].ok == job.rows
    return seconds, peak.growth_mb


def batch_rows(env: dict[str, str], rows: int, *, upload: bool = True) -> list[Row]:
    os.environ.setdefault("JUPYTER_AZURE_AI_DATA_DIR", tempfile.mkdtemp(prefix="bench-batch-"))
    options = AzureOpenAIOptions.from_env(
        env, verify=env["SSL_CERT_FILE"], batch_model="gpt-4-batch", max_tokens=16
    )
    df = frame(rows)
    out: list[Row] = []
    seconds, growth, parts = build_only(df, options)
    per = seconds / rows * 10_000
    out.append((f"batch JSONL build, {rows:,} rows ({parts} files): time per 10,000 rows",
                f"{per * 1000:.0f} ms", "", f"{rows / seconds:,.0f} rows/s", per < 5))  # fmt: skip
    out.append((f"batch JSONL build, {rows:,} rows: peak RSS growth", f"{growth:.1f} MB", "",
                "target <= 100 MB", growth <= 200))  # fmt: skip
    if upload:
        seconds, growth, job = submit(df, options)
        out.append((f"submit_batch {rows:,} rows ({len(job.ids)} jobs): build + upload + create",
                    f"{seconds:.1f} s", "", f"{rows / seconds:,.0f} rows/s", True))  # fmt: skip
        out.append((f"submit_batch {rows:,} rows: peak RSS growth", f"{growth:.1f} MB", "",
                    "target <= 100 MB", growth <= 200))  # fmt: skip
        seconds, growth = results(job)
        out.append((f"BatchJob.results() {rows:,} rows: time, peak RSS growth (the Series)",
                    f"{seconds:.1f} s, {growth:.1f} MB", "",
                    f"{seconds / rows * 1e6:.0f} µs/row", True))  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=250_000)
    parser.add_argument("--build-only", action="store_true", help="no emulator, no upload")
    args = parser.parse_args(argv)
    proc: Any = None
    if args.build_only:
        env = {"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_CLIENT_SECRET": "s",
               "AZURE_APIM_ENDPOINT": "https://127.0.0.1:1/openai",
               "AZURE_APIM_SUBSCRIPTION_KEY": "k", "SSL_CERT_FILE": ""}  # fmt: skip
    else:
        from run import start_emulator

        proc, env = start_emulator()
    try:
        rows = batch_rows(env, args.rows, upload=not args.build_only)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)
    for row in rows:
        print(f"{row[0]}: {row[1]} ({row[3]})")
    bad = [r[0] for r in rows if not r[4]]
    if bad:
        print(f"gross regression: {', '.join(bad)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
