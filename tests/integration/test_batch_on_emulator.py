"""``submit_batch`` / ``BatchJob`` on the emulator over TLS: the lifecycle, splitting,
cancel, every Batch fault the emulator has, the docs' variants, and results identical to
``map_rows`` on the same data."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pandas as pd
import pytest

from jupyter_azure_ai import (
    APIStatusError,
    AzureOpenAIError,
    AzureOpenAIOptions,
    BatchAPIUnavailableError,
    BatchJob,
    BatchQuotaError,
    BatchRowError,
    BatchValidationError,
    ContentFilterError,
    RateLimitError,
    list_batches,
    map_rows,
    submit_batch,
)
from jupyter_azure_ai._internal.auth import clear_token_cache
from jupyter_azure_ai.batch import BatchLimits
from jupyter_azure_ai.batch import record as records
from jupyter_azure_ai.batch.job import _processed
from jupyter_azure_ai.batch.service import BatchService
from jupyter_azure_ai.emulator import Emulator
from jupyter_azure_ai.templates import TemplateError

REVIEWS = [
    "I love it, great and fast",
    "awful, slow and broken",
    "it arrived on a Tuesday",
    "helpful staff, would recommend",
    "the worst, I want a refund",
    "fine, nothing special",
    "great value, love it",
]
TEMPLATE = "What is the sentiment (positive, negative or neutral) of: {review}"
FAST = BatchLimits(token_limit_first_wait_s=0.05, poll_s=0.05)


@pytest.fixture(autouse=True)
def private_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "data"
    monkeypatch.setenv(records.ENV_VAR, str(folder))
    clear_token_cache()
    yield folder
    clear_token_cache()


def opts(emu: Emulator, **kw: Any) -> AzureOpenAIOptions:
    kw.setdefault("verify", emu.ca_path)
    kw.setdefault("max_tokens", 16)
    kw.setdefault("batch_model", "gpt-4-batch")
    return AzureOpenAIOptions.from_env(emu.env(), **kw)


def frame(n: int = len(REVIEWS)) -> pd.DataFrame:
    reviews = [REVIEWS[i % len(REVIEWS)] for i in range(n)]
    return pd.DataFrame({"review": reviews}, index=[f"r{n - i}" for i in range(n)])


def secrets_of(emu: Emulator) -> tuple[str, ...]:
    return (emu.client_secret, emu.subscription_key)


async def input_lines(o: AzureOpenAIOptions, job: BatchJob) -> list[str]:
    """The JSONL the service received, read back through the Files API."""
    out = []
    async with BatchService(o) as service:
        for batch_id in job.ids:
            info = await service.get(batch_id)
            assert info.input_file_id is not None
            out += [line async for line in service.lines(info.input_file_id)]
    return out


def test_lifecycle_gives_what_map_rows_gives(
    emulator: Emulator, private_record: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    o = opts(emulator, pricing={"gpt-4-batch": {"input": 2.0, "output": 8.0}})
    df = frame()
    job = submit_batch(df, TEMPLATE, o)
    assert job.ids == [job.id] and job.id.startswith("batch_") and job.rows == len(df)
    first = job.status()
    assert sum(first.states.values()) == 1 and not first.done
    final = job.wait(progress=False)
    assert final.done and final["completed"] == 1
    assert (final.total, final.completed, final.failed) == (len(df), len(df), 0)
    batch = job.results()
    mapped = map_rows(df, TEMPLATE, opts(emulator), cache=False, progress=False)
    pd.testing.assert_series_equal(batch, mapped)  # same values, index, order, name
    stats = batch.attrs["azure_batch"]
    assert (stats.ok, stats.failed, stats.jobs) == (len(df), 0, 1)
    tokens = stats.input_tokens * 2.0 + stats.output_tokens * 8.0
    assert stats.cost_usd == pytest.approx(tokens / 1_000_000 / 2)  # the Batch price: half
    assert "at the Batch price" in stats.summary()
    # The JSONL: one line per row, custom_id = position, the batch deployment, no secret.
    lines = anyio.run(input_lines, o, job)
    parsed = [json.loads(x) for x in lines]
    assert [p["custom_id"] for p in parsed] == [str(i) for i in range(len(df))]
    assert {p["body"]["model"] for p in parsed} == {"gpt-4-batch"}
    assert "stream" not in parsed[0]["body"]
    text = "\n".join(lines) + capsys.readouterr().out + capsys.readouterr().err + repr(job)
    for path in (private_record / "batches").iterdir():
        text += path.read_bytes().decode("latin-1")
    assert not any(s in text for s in secrets_of(emulator))
    assert "Bearer" not in text and "eyJ" not in text


def test_structured_results_match_map_rows(emulator: Emulator) -> None:
    @dataclasses.dataclass
    class Review:
        sentiment: str
        confidence: float

    df = frame(5)
    job = submit_batch(df, TEMPLATE, opts(emulator, max_tokens=200), output_format=Review)
    job.wait(progress=False)
    batch = job.results()
    mapped = map_rows(
        df,
        TEMPLATE,
        opts(emulator, max_tokens=200),
        output_format=Review,
        cache=False,
        progress=False,
    )
    assert list(batch.columns) == ["sentiment", "confidence"]
    pd.testing.assert_frame_equal(batch, mapped)
    # After a restart (attach reads the record), the same frame.
    again = BatchJob.attach(job.id, opts(emulator)).results()
    pd.testing.assert_frame_equal(again, mapped)


def test_split_into_several_jobs_by_lines_and_by_bytes(emulator: Emulator) -> None:
    df = frame(7)
    mapped = map_rows(df, TEMPLATE, opts(emulator), cache=False, progress=False)
    job = submit_batch(df, TEMPLATE, opts(emulator), limits=dataclasses.replace(FAST, max_lines=3))
    assert len(job.ids) == 3 and job.id == job.ids[0]
    status = job.wait(progress=False)
    assert status["completed"] == 3 and status.total == 7
    pd.testing.assert_series_equal(job.results(), mapped)
    line = len(anyio.run(input_lines, opts(emulator), job)[0].encode()) + 1
    by_bytes = submit_batch(
        df, TEMPLATE, opts(emulator), limits=dataclasses.replace(FAST, max_bytes=2 * line + 4)
    )
    assert len(by_bytes.ids) == 4
    by_bytes.wait(progress=False)
    pd.testing.assert_series_equal(by_bytes.results(), mapped)
    # Any job's id attaches the whole submission.
    assert BatchJob.attach(by_bytes.ids[2], opts(emulator)).ids == by_bytes.ids


def test_cancel_mid_way_returns_the_rows_already_answered(emulator: Emulator) -> None:
    df = frame(6)
    job = submit_batch(df, TEMPLATE, opts(emulator, batch_model="fault-batch-stall"), limits=FAST)
    deadline = time.monotonic() + 20
    while job.status().completed < 3:  # the stall fault stops at half the rows
        assert time.monotonic() < deadline
        time.sleep(0.1)
    with pytest.raises(AzureOpenAIError, match="is not finished"):
        job.results()
    after = job.cancel()
    assert after["cancelling"] + after["cancelled"] == 1
    final = job.wait(progress=False)
    assert final["cancelled"] == 1
    result = job.results()
    assert list(result.columns) == ["answer", "error"] and list(result.index) == list(df.index)
    answered = result["answer"].notna()
    assert answered.sum() == 3
    for error in result["error"][~answered]:
        assert isinstance(error, BatchRowError) and "was cancelled" in str(error)
    assert result.attrs["azure_batch"].not_run == 3


def test_partial_failures_land_in_the_error_column(emulator: Emulator) -> None:
    df = frame(7)
    job = submit_batch(df, TEMPLATE, opts(emulator, batch_model="fault-batch-partial"), limits=FAST)
    job.wait(progress=False)
    result = job.results()
    failed = [i for i, e in enumerate(result["error"]) if e is not None]
    assert failed == [2, 5]  # lines 3 and 6
    for error in result["error"].dropna():
        assert isinstance(error, APIStatusError) and error.status_code == 500
    assert result["answer"].notna().sum() == 5
    assert result.attrs["azure_batch"].failed == 2


def test_expired_jobs_return_what_ran(emulator: Emulator) -> None:
    df = frame(6)
    job = submit_batch(df, TEMPLATE, opts(emulator, batch_model="fault-batch-expired"), limits=FAST)
    assert job.wait(progress=False)["expired"] == 1
    result = job.results()
    assert result["answer"].notna().sum() == 3
    codes = {e.code for e in result["error"].dropna()}
    assert codes == {"batch_expired"}


def test_a_standard_deployment_fails_validation_naming_the_lines(emulator: Emulator) -> None:
    job = submit_batch(frame(3), TEMPLATE, opts(emulator, batch_model="gpt-4"), limits=FAST)
    with pytest.raises(BatchValidationError) as caught:
        job.wait(progress=False)
    message = str(caught.value)
    assert "\n" not in message and f"Batch job {job.id} failed validation" in message
    assert "invalid_request" in message
    with pytest.raises(BatchValidationError):
        job.results()


@pytest.mark.parametrize(
    ("lines", "code", "line"),
    [
        (['{"custom_id": "0"', None], "invalid_json_line", 1),
        ([None, {"model": "gpt-4o-mini-batch"}], "model_mismatch", 2),
    ],
)
def test_bad_lines_and_mixed_models_name_their_line(
    emulator: Emulator, tmp_path: Path, lines: list[Any], code: str, line: int
) -> None:
    """Files our builder never writes (the user's own JSONL, or another tool's), attached."""
    o = opts(emulator)

    def make(i: int, spec: Any) -> str:
        if isinstance(spec, str):
            return spec
        body = {"model": "gpt-4-batch", "messages": [{"role": "user", "content": "hi"}]}
        body.update(spec or {})
        return json.dumps(
            {"custom_id": str(i), "method": "POST", "url": "/chat/completions", "body": body}
        )

    path = tmp_path / "mine.jsonl"
    path.write_text("\n".join(make(i, s) for i, s in enumerate(lines)) + "\n")

    async def create() -> str:
        async with BatchService(o) as service:
            with path.open("rb") as f:
                uploaded = await service.upload(f, "mine.jsonl")
            try:
                await _processed(service, uploaded)
            except BatchValidationError as exc:  # the file itself was refused
                refused.append(exc)
                return ""
            return (await service.create(uploaded.id, {})).id

    refused: list[BatchValidationError] = []
    batch_id = anyio.run(create)
    if refused:  # a line that is not JSON: the classic path refuses the file at upload
        assert code == "invalid_json_line" and "valid json" in str(refused[0]).lower()
        assert str(refused[0]).startswith("The batch input file failed validation")
        return
    job = BatchJob.attach(batch_id, o, limits=FAST)
    with pytest.raises(BatchValidationError) as caught:
        job.wait(progress=False)
    assert [(e["line"], e["code"]) for e in caught.value.errors][:1] == [(line, code)]
    assert f"line {line} (row {line - 1}): {code}" in str(caught.value)


def test_token_limit_at_validation_is_created_again_then_a_quota_error(emulator: Emulator) -> None:
    o = opts(emulator, batch_model="gpt-4-batch")
    df = frame(3)
    once = dataclasses.replace(o, batch_model="fault-batch-token-limit*1")
    job = submit_batch(df, TEMPLATE, once, limits=FAST)
    first = job.ids[0]
    status = job.wait(progress=False)
    assert status["completed"] == 1 and job.ids[0] != first
    assert BatchJob.attach(first, o).ids == job.ids  # the replaced id still attaches
    always = dataclasses.replace(o, batch_model="fault-batch-token-limit")
    stuck = submit_batch(
        df, TEMPLATE, always, limits=dataclasses.replace(FAST, token_limit_tries=3)
    )
    with pytest.raises(BatchQuotaError) as caught:
        stuck.wait(progress=False)
    assert "token_limit_exceeded 3 times" in str(caught.value)


def test_token_limit_at_create_is_retried_then_a_quota_error(emulator: Emulator) -> None:
    df = frame(3)
    job = submit_batch(
        df, TEMPLATE, opts(emulator, batch_model="fault-batch-token-limit-create*2"), limits=FAST
    )
    assert job.wait(progress=False)["completed"] == 1
    with pytest.raises(BatchQuotaError) as caught:
        submit_batch(
            df,
            TEMPLATE,
            opts(emulator, batch_model="fault-batch-token-limit-create"),
            limits=dataclasses.replace(FAST, token_limit_tries=2),
        )
    assert "Global-Batch quota" in str(caught.value) and "\n" not in str(caught.value)


def test_a_create_whose_answer_was_lost_makes_one_job(emulator: Emulator) -> None:
    """The gateway's 504 came after the job existed: sending the POST again would start
    (and bill) the same rows twice."""
    o = opts(emulator, batch_model="fault-batch-lost-create*1")
    df = frame(3)
    job = submit_batch(df, TEMPLATE, o, limits=FAST)

    async def jobs_of_the_file() -> list[str]:
        async with BatchService(o) as service:
            infos, _ = await service.list(limit=100)
        file_id = job._record.parts[0].input_file_id
        return [info.id for info in infos if info.input_file_id == file_id]

    assert anyio.run(jobs_of_the_file) == [job.id]
    assert job.wait(progress=False)["completed"] == 1
    assert job.results().attrs["azure_batch"].ok == 3


def test_a_gateway_without_the_batch_api_is_one_clear_error(emulator: Emulator) -> None:
    o = opts(emulator, endpoint=emulator.no_batch_api_endpoint)
    with pytest.raises(BatchAPIUnavailableError) as caught:
        submit_batch(frame(2), TEMPLATE, o)
    message = str(caught.value)
    assert "\n" not in message and "POST /files answered 404" in message
    assert "/files* and /batches*" in message
    assert not any(s in message for s in secrets_of(emulator))
    assert list_batches(o) == []  # nothing was created


def test_the_docs_variants_are_tolerated(emulator: Emulator) -> None:
    df = frame(4)
    model = "fault-batch-capital-status+iso-times+empty-ids"
    job = submit_batch(df, TEMPLATE, opts(emulator, batch_model=model), limits=FAST)
    status = job.wait(progress=False)
    assert status.done and status["completed"] == 1
    result = job.results()
    assert len(result) == 4 and result.attrs["azure_batch"].ok == 4


def test_v1_endpoint(emulator: Emulator) -> None:
    df = frame(3)
    o = opts(emulator, endpoint=emulator.endpoint + "/v1")
    job = submit_batch(df, TEMPLATE, o, limits=FAST)
    job.wait(progress=False)
    lines = anyio.run(input_lines, o, job)
    assert json.loads(lines[0])["url"] == "/v1/chat/completions"
    mapped = map_rows(df, TEMPLATE, o, cache=False, progress=False)
    pd.testing.assert_series_equal(job.results(), mapped)


def test_record_lists_jobs_and_template_errors_stay_local(emulator: Emulator) -> None:
    o = opts(emulator)
    with pytest.raises(TemplateError, match="not columns"):
        submit_batch(frame(2), "{nope}", o)
    rows = [{"review": "great"}, {"review": {"nested": 1}}]
    job = submit_batch(rows, "Sentiment of: {review[nested]}", o, limits=FAST)
    job.wait(progress=False)
    result = job.results()
    assert isinstance(result["error"][0], TemplateError) and result["answer"][1] is not None
    assert [j.id for j in list_batches(o)] == [job.id]


def test_a_job_submitted_elsewhere_attaches_by_id(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    df = frame(5)
    job = submit_batch(df, TEMPLATE, opts(emulator), limits=FAST)
    monkeypatch.setenv(records.ENV_VAR, str(tmp_path / "another-machine"))
    assert list_batches(opts(emulator)) == []
    elsewhere = BatchJob.attach(job.id, opts(emulator), limits=FAST)
    elsewhere.wait(progress=False)
    result = elsewhere.results()
    mapped = map_rows(df, TEMPLATE, opts(emulator), cache=False, progress=False)
    assert list(result) == list(mapped) and list(result.index) == list(range(5))
    assert [j.id for j in list_batches(opts(emulator))] == [job.id]


def test_a_later_job_of_a_split_submission_attaches_elsewhere_with_its_answers(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its lines' custom_ids count from its first row (3 here), not from 0."""
    df = frame(7)
    limits = dataclasses.replace(FAST, max_lines=3)
    job = submit_batch(df, TEMPLATE, opts(emulator), limits=limits)
    job.wait(progress=False)
    mapped = map_rows(df, TEMPLATE, opts(emulator), cache=False, progress=False)
    monkeypatch.setenv(records.ENV_VAR, str(tmp_path / "another-machine"))
    second = BatchJob.attach(job.ids[1], opts(emulator), limits=FAST)
    second.wait(progress=False)
    result = second.results()
    assert result.attrs["azure_batch"].ok == 3
    assert result.tolist() == mapped.tolist()[3:6] and list(result.index) == [0, 1, 2]
    # The record written on attach reads the same again.
    assert BatchJob.attach(job.ids[1], opts(emulator)).results().tolist() == result.tolist()


def test_an_unknown_deployment_fails_validation(emulator: Emulator) -> None:
    job = submit_batch(
        frame(2), TEMPLATE, opts(emulator, batch_model="no-such-deployment"), limits=FAST
    )
    with pytest.raises(BatchValidationError, match="model_not_found"):
        job.wait(progress=False)


def test_rows_failing_on_their_own_carry_typed_errors(emulator: Emulator) -> None:
    rows = [
        "great, I love it",
        "bad [emulator-fault:content-filter]",
        "slow [emulator-fault:429]",
        "meh [emulator-fault:500]",
    ]
    job = submit_batch(rows, "Sentiment of: {value}", opts(emulator), limits=FAST)
    job.wait(progress=False)
    result = job.results()
    errors = list(result["error"])
    assert result["answer"][0] == "positive" and errors[0] is None
    assert isinstance(errors[1], ContentFilterError)
    assert isinstance(errors[2], RateLimitError)
    assert isinstance(errors[3], APIStatusError) and errors[3].status_code == 500

    @dataclasses.dataclass
    class Label:
        sentiment: str

    odd = ["fine [emulator-fault:refusal]", "ok [emulator-fault:invalid-json]", "great"]
    job = submit_batch(
        odd, "Label: {value}", opts(emulator, max_tokens=200), output_format=Label, limits=FAST
    )
    job.wait(progress=False)
    result = job.results()
    subtypes = [getattr(e, "subtype", None) for e in result["error"]]
    assert subtypes == ["error_refusal", "error_structured_output", None]
    alone = map_rows(
        ["great"],
        "Label: {value}",
        opts(emulator, max_tokens=200),
        output_format=Label,
        cache=False,
        progress=False,
    )
    assert result["sentiment"][2] == alone["sentiment"][0]


def test_wait_shows_a_bar_of_requests(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    job = submit_batch(frame(4), TEMPLATE, opts(emulator), limits=FAST)
    status = job.wait()  # progress=True: tqdm (text outside a notebook)
    assert status.done
    bar = capsys.readouterr().err
    assert "azure batch" in bar and "4/4" in bar and "request" in bar
