"""``%%azure --over NAME --batch-api`` and ``%azure batch ...`` in real kernels: the live
status, Ctrl-C detaching, ``attach`` and ``%azure batch list`` from a fresh kernel."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from jupyter_azure_ai.emulator import Emulator

from ..html_allowlist import check
from .kernel import Kernel

ROWS = 12
SETUP = f"""
%load_ext jupyter_azure_ai
%azure config batch_model=gpt-4-batch max_tokens=8
import pandas as pd
words = ["great", "awful", "fine", "love", "broken"]
df = pd.DataFrame({{"review": [f"row {{i}}: it is " + words[i % 5] for i in range({ROWS})]}},
                  index=[f"r{{i}}" for i in range({ROWS})])
"""
CELL = "%%azure --over df --batch-api --out labels\nWhat is the sentiment of: {review}"
EXPECTED = [["positive", "negative", "neutral", "positive", "negative"][i % 5] for i in range(ROWS)]


def kernel_for(emulator: Emulator, data: Path) -> Kernel:
    k = Kernel({**emulator.env(), "JUPYTER_AZURE_AI_DATA_DIR": str(data)})
    run = k.run(SETUP)
    assert run.status == "ok", run.error
    return k


def value(k: Kernel, expression: str) -> Any:
    run = k.run(f"print(repr({expression}))")
    assert run.status == "ok", run.error
    return eval(run.stdout.strip())  # our own kernel's repr of str / lists


def no_secret(emulator: Emulator, text: str) -> None:
    assert emulator.client_secret not in text and emulator.subscription_key not in text
    assert "eyJ" not in text and "Bearer" not in text


@pytest.fixture(autouse=True)
def _reset(emulator: Emulator) -> None:
    emulator.reset()


def test_the_magic_submits_shows_one_status_and_stores_the_results(
    emulator: Emulator, tmp_path: Path
) -> None:
    emulator.batch_phase_s = 0.5  # a 2 s job: several polls, a few status updates
    k = kernel_for(emulator, tmp_path)
    try:
        dry = k.run("%%azure --over df --batch-api --dry-run\nSentiment of: {review}")
        assert dry.status == "ok", dry.error
        assert "through the Batch API" in dry.everything() and "gpt-4-batch" in dry.everything()
        run = k.run(CELL, timeout=60)
        assert run.status == "ok", run.error
        assert value(k, "labels.tolist()") == EXPECTED
        assert value(k, "list(labels.index[:2])") == ["r0", "r1"]
        assert value(k, "_azure is labels")
        status_ids = {
            m["content"]["transient"]["display_id"]
            for m in run.displays()
            if m["content"].get("transient", {}).get("display_id")
        }
        assert len(status_ids) == 1  # one live status display
        updates = [m for m in run.displays() if m["msg_type"] == "update_display_data"]
        assert 1 <= len(updates) <= 8  # throttled: changes only, at most one a second
        everything = run.everything()
        assert "1 completed" in everything and f"{ROWS} rows: {ROWS} ok" in everything
        for m in run.displays():
            if "text/html" in m["content"]["data"]:
                check(m["content"]["data"]["text/html"])
        no_secret(emulator, everything + dry.everything())
        schema = k.run(
            "from dataclasses import dataclass\n@dataclass\nclass Facts:\n    sentiment: str\n"
            "from jupyter_azure_ai import map_rows\n"
            "now = map_rows(df, 'Facts of: {review}', output_format=Facts, cache=False,"
            " progress=False)"
        )
        assert schema.status == "ok", schema.error
        typed = k.run(
            "%%azure --over df --batch-api --schema Facts --out facts\nFacts of: {review}"
        )
        assert typed.status == "ok", typed.error
        assert value(k, "list(facts.columns)") == ["sentiment"]
        assert value(k, "facts.equals(now)")
    finally:
        k.shutdown()


def test_ctrl_c_detaches_and_a_fresh_kernel_attaches_lists_and_gets_the_results(
    emulator: Emulator, tmp_path: Path
) -> None:
    emulator.batch_phase_s = 2.0  # an 8 s job
    k = kernel_for(emulator, tmp_path)
    try:
        marks: list[float] = []

        def interrupt_later(msg: dict[str, Any], run: Any) -> None:
            if msg["msg_type"] != "display_data":
                return  # the first status display means the job was created
            if not marks:
                marks.append(time.monotonic())
                time.sleep(0.5)
                k.km.interrupt_kernel()

        run = k.run(CELL, timeout=60, on_message=interrupt_later)
        assert marks, run.everything()
        assert run.status == "ok", run.error  # Ctrl-C detaches: no error
        assert "detached: the batch keeps running on Azure" in run.everything()
        batch_id = value(k, "_azure_batch.id")
        assert value(k, "'labels' in globals()") is False
        assert value(k, "1 + 1") == 2
    finally:
        k.shutdown()
    fresh = kernel_for(emulator, tmp_path)  # a kernel restart: only the local record is left
    try:
        listed = fresh.run("%azure batch list")
        assert listed.status == "ok", listed.error
        assert batch_id in listed.everything() and "gpt-4-batch" in listed.everything()
        for m in listed.displays():
            check(m["content"]["data"]["text/html"])
        attach = fresh.run(
            "from jupyter_azure_ai import BatchJob\n"
            f"job = BatchJob.attach({batch_id!r})\n"
            "final = job.wait(progress=False)\nresult = job.results()",
            timeout=60,
        )
        assert attach.status == "ok", attach.error
        assert value(fresh, "str(final)").startswith("1 job: 1 completed")  # not cancelled
        assert value(fresh, "result.tolist()") == EXPECTED
        assert value(fresh, "list(result.index[:2])") == ["r0", "r1"]
        again = fresh.run(f"%azure batch results {batch_id} --out again")
        assert again.status == "ok", again.error
        assert value(fresh, "again.equals(result)")
        status = fresh.run(f"%azure batch status {batch_id}")
        assert "1 completed" in status.everything()
        no_secret(emulator, listed.everything() + again.everything() + status.everything())
    finally:
        fresh.shutdown()
    for path in (tmp_path / "batches").iterdir():
        no_secret(emulator, path.read_bytes().decode("latin-1"))


def test_cancel_and_errors_are_one_line(emulator: Emulator, tmp_path: Path) -> None:
    k = kernel_for(emulator, tmp_path)
    try:
        submit = k.run(
            "from jupyter_azure_ai import submit_batch, AzureOpenAIOptions\n"
            "stalled = submit_batch(df, 'Sentiment: {review}',"
            " AzureOpenAIOptions.from_env(batch_model='fault-batch-stall', max_tokens=8))"
        )
        assert submit.status == "ok", submit.error
        batch_id = value(k, "stalled.id")
        cancel = k.run(f"%azure batch cancel {batch_id}")
        assert cancel.status == "ok", cancel.error
        assert "cancel requested" in cancel.everything()
        state = value(k, "str(stalled.status())")
        assert "cancelling" in state or "cancelled" in state
        bad = k.run("%azure batch results nope-123")
        assert bad.status == "error"
        assert bad.error is not None and len(bad.error["traceback"]) == 1
        usage = k.run("%azure batch")
        assert usage.status == "error" and "status ID" in usage.stderr
        chats = sum(1 for r in emulator.stats.requests if r.path.endswith("/chat/completions"))
        alone = k.run("%%azure --batch-api\nWhat is the sentiment of: great")
        assert alone.status == "error" and alone.stderr.startswith("UsageError: --batch-api")
        assert "--over" in alone.stderr.splitlines()[0]
        assert chats == sum(
            1 for r in emulator.stats.requests if r.path.endswith("/chat/completions")
        )  # not sent as one chat request at the Standard price
        tuned = k.run("%%azure --over df --batch-api --concurrency 4\nSentiment: {review}")
        assert tuned.status == "error" and "--concurrency and --no-cache" in tuned.stderr
        uncached = k.run("%%azure --over df --batch-api --no-cache\nSentiment: {review}")
        assert uncached.status == "error" and "Azure schedules the rows" in uncached.stderr
        standard = k.run("%azure config batch_model=gpt-4\n")
        assert standard.status == "ok"
        failed = k.run(CELL, timeout=60)
        assert failed.status == "error" and failed.error is not None
        line = failed.error["traceback"][0]
        assert "batch validation" in line and "invalid_request" in line and "\n" not in line
    finally:
        k.shutdown()
