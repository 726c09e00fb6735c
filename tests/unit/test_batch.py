"""The Batch API client without a network: the JSONL stream, tolerant readers, the calls
(httpx.MockTransport), result lines, the error translations and the local record."""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest

from jupyter_azure_ai import (
    BatchAPIUnavailableError,
    BatchQuotaError,
    BatchRowError,
    BatchValidationError,
    ContentFilterError,
    RateLimitError,
)
from jupyter_azure_ai._internal.failures import batch_validation_failed
from jupyter_azure_ai.batch import record as records
from jupyter_azure_ai.batch.job import BatchLimits, BatchStatus, poll_seconds
from jupyter_azure_ai.batch.jsonl import Skipped, body_maker, build_parts, line_url
from jupyter_azure_ai.batch.objects import BatchInfo, FileInfo, status_of, time_of
from jupyter_azure_ai.batch.results import read_answer
from jupyter_azure_ai.batch.service import BatchService, api_url
from jupyter_azure_ai.mapping import AnswerError
from jupyter_azure_ai.structured import compile_output_format

from .fakes import KEY, SECRET, options

pytestmark = pytest.mark.anyio


def make_body(prompt: str) -> dict[str, Any]:
    return body_maker(options(model="gpt-4", batch_model="gpt-4-batch").settings, "max_tokens", {})(
        prompt
    )


def parts_of(prompts: list[Any], **kw: Any) -> tuple[list[list[dict[str, Any]]], Skipped]:
    skipped = Skipped()
    out = []
    for part in build_parts(enumerate(prompts), make_body, "/chat/completions", skipped, **kw):
        raw = part.file.read()
        assert not raw.startswith(b"\xef\xbb\xbf")  # no BOM
        lines = [json.loads(x) for x in raw.decode().splitlines()]
        assert len(lines) == part.lines and len(raw) == part.size
        assert (lines[0]["custom_id"], lines[-1]["custom_id"]) == (str(part.first), str(part.last))
        part.close()
        out.append(lines)
    return out, skipped


# --- the input file --------------------------------------------------------------------


def test_lines_carry_the_position_the_batch_deployment_and_no_stream() -> None:
    (lines,), _ = parts_of(["a", "b", "c"])
    assert [x["custom_id"] for x in lines] == ["0", "1", "2"]
    first = lines[0]
    assert first["method"] == "POST" and first["url"] == "/chat/completions"
    assert first["body"] == {
        "model": "gpt-4-batch",
        "messages": [{"role": "user", "content": "a"}],
        "max_tokens": 4096,
    }


def test_a_claude_system_prompt_dict_is_sent_as_its_text_in_batch_lines(tmp_path: Path) -> None:
    preset = {"type": "preset", "preset": "claude_code", "append": "Be terse."}
    path = tmp_path / "system.md"
    path.write_text("From a file")
    for system_prompt, sent in (
        (preset, [{"role": "system", "content": "Be terse."}]),
        ({"type": "preset", "preset": "claude_code"}, []),
        ({"type": "file", "path": str(path)}, [{"role": "system", "content": "From a file"}]),
    ):
        make = body_maker(options(system_prompt=system_prompt).settings, "max_tokens", {})
        assert make("hi")["messages"] == [*sent, {"role": "user", "content": "hi"}]


def test_batch_model_defaults_to_model_and_v1_lines_say_v1() -> None:
    assert options(model="gpt-4o").settings.batch_deployment == "gpt-4o"
    assert line_url(True) == "/v1/chat/completions" and line_url(False) == "/chat/completions"


def test_split_by_lines_and_by_bytes() -> None:
    by_lines, _ = parts_of([f"p{i}" for i in range(7)], max_lines=3)
    assert [len(p) for p in by_lines] == [3, 3, 1]
    size = (
        len(
            json.dumps(
                {
                    "custom_id": "0",
                    "method": "POST",
                    "url": "/chat/completions",
                    "body": make_body("p0"),
                },
                separators=(",", ":"),
            )
        )
        + 1
    )
    by_bytes, _ = parts_of([f"p{i}" for i in range(5)], max_bytes=2 * size + 1)
    assert [len(p) for p in by_bytes] == [2, 2, 1]
    flat = [x["custom_id"] for p in by_bytes for x in p]
    assert flat == ["0", "1", "2", "3", "4"]


def test_rows_whose_template_failed_are_skipped_and_a_huge_line_is_refused() -> None:
    (lines,), skipped = parts_of(["a", ValueError("no"), "c"])
    assert [x["custom_id"] for x in lines] == ["0", "2"]
    assert [(p, str(e)) for p, e in skipped.rows] == [(1, "no")]
    with pytest.raises(ValueError, match="row 0 makes a request line of"):
        parts_of(["x" * 500], max_bytes=100)


# --- tolerant readers ---------------------------------------------------------------------


def test_statuses_times_ids_and_counts_in_every_documented_variant() -> None:
    assert [status_of(s) for s in ("Validating", "InProgress", "canceled", None)] == [
        "validating",
        "in_progress",
        "cancelled",
        "unknown",
    ]
    assert time_of(1721408291) == 1721408291.0
    assert time_of("2024-07-19T17:13:57.2491382+00:00") == pytest.approx(1721409237.249, abs=1)
    assert time_of("2024-07-19T17:13:57Z") == pytest.approx(1721409237, abs=1)
    assert time_of("2024-07-19T19:13:57.5+0200") == pytest.approx(1721409237.5)
    assert time_of("2024-07-19 17:13:57") == pytest.approx(1721409237)  # no zone: UTC
    assert time_of("yesterday") is None
    assert time_of("") is None and time_of(None) is None
    info = BatchInfo.of(
        {
            "id": "batch_1",
            "status": "Failed",
            "output_file_id": "",
            "error_file_id": "",
            "endpoint": None,
            "request_counts": {"total": 10, "completed": None, "failed": None},
            "errors": {"object": "list", "data": [{"code": "x", "line": 2}]},
            "failed_at": "2024-07-19T17:13:57Z",
        }
    )
    assert info.done and info.status == "failed"
    assert info.output_file_id is None and info.error_file_id is None
    assert (info.total, info.completed, info.failed) == (10, 0, 0)
    assert info.errors == [{"code": "x", "line": 2}] and info.finished_at is not None
    assert not BatchInfo.of({"id": "b", "status": "cancelling"}).done
    assert BatchInfo.of({"id": "b", "status": "Expired"}).done
    assert FileInfo.of({"id": "f", "status": "pending"}).done is False
    assert FileInfo.of({"id": "f"}).status == "processed"


def test_iso_times_read_the_same_under_python_3_10s_fromisoformat(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """3.10's fromisoformat takes only 3 or 6 fractional digits and no "Z" (CI runs 3.11)."""
    import re
    from datetime import datetime

    from jupyter_azure_ai.batch import objects

    strict = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}(\d{3})?)?([+-]\d\d:\d\d)?")

    class Py310(datetime):
        @classmethod
        def fromisoformat(cls, text: str) -> Py310:
            if not strict.fullmatch(text):
                raise ValueError(f"Invalid isoformat string: {text!r}")
            return super().fromisoformat(text)  # type: ignore[return-value]

    monkeypatch.setattr(objects, "datetime", Py310)
    assert time_of("2024-07-19T17:13:57.2491382+00:00") == pytest.approx(1721409237.249138)
    assert time_of("2024-07-19T17:13:57.2491382Z") == pytest.approx(1721409237.249138)
    assert time_of("2024-07-19T17:13:57Z") == 1721409237.0
    assert time_of("2024-07-19T19:13:57.5+0200") == pytest.approx(1721409237.5)


def test_status_counts_and_done() -> None:
    s = BatchStatus({"completed": 2, "in_progress": 1}, 300, 150, 3)
    assert not s.done and s["completed"] == 2 and s["failed"] == 0
    assert str(s) == "3 jobs: 1 in_progress, 2 completed · 153 of 300 requests done, 3 failed"
    assert BatchStatus({"completed": 1, "cancelled": 1}, 2, 1, 0).done


def test_polling_is_at_most_once_a_minute_except_on_loopback() -> None:
    assert poll_seconds("https://contoso.azure-api.net/openai", BatchLimits(poll_s=1)) == 60
    assert poll_seconds("https://127.0.0.1:8443/openai", BatchLimits()) < 1
    assert poll_seconds("https://localhost:8443/openai", BatchLimits(poll_s=0.05)) == 0.05


def test_loopback_polls_slow_down_to_once_a_minute() -> None:
    """A loopback endpoint may be a tunnel or proxy to a real gateway: fast at first (the
    emulator's jobs take seconds), then as polite as against the gateway itself."""
    local = "https://127.0.0.1:8443/openai"
    waits = [poll_seconds(local, BatchLimits(), n) for n in range(40)]
    assert waits[0] < 1 and waits == sorted(waits) and waits[-1] == 60
    fast = [w for w in waits if w < 60]
    assert len(fast) <= 16 and sum(fast) < 200  # at most 16 quick polls, ~3 minutes
    remote = "https://contoso.azure-api.net/openai"
    assert {poll_seconds(remote, BatchLimits(), n) for n in range(40)} == {60}


# --- the calls ----------------------------------------------------------------------------


def test_urls_follow_the_endpoint_shape() -> None:
    assert api_url("https://apim.net/openai", "files", "2024-10-21") == (
        "https://apim.net/openai/files?api-version=2024-10-21"
    )
    assert api_url("https://res.openai.azure.com", "batches/b1", "2024-10-21") == (
        "https://res.openai.azure.com/openai/batches/b1?api-version=2024-10-21"
    )
    assert api_url("https://apim.net/openai/v1", "batches", "x", limit=5) == (
        "https://apim.net/openai/v1/batches?limit=5"
    )


class Service:
    """Routes for a MockTransport: (method, path) -> handler or JSON."""

    def __init__(self, routes: dict[tuple[str, str], Any]) -> None:
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        handler = self.routes.get((request.method, request.url.path))
        if handler is None:
            return httpx.Response(404, json={"statusCode": 404, "message": "Resource not found"})
        if callable(handler):
            result: httpx.Response = handler(request)
            return result
        return httpx.Response(200, json=handler)

    def service(self, **kw: Any) -> BatchService:
        http = httpx.AsyncClient(transport=httpx.MockTransport(self))
        return BatchService(
            options(batch_model="gpt-4-batch", max_retries=0), http_client=http, **kw
        )


async def test_upload_is_multipart_with_purpose_batch_and_the_credentials() -> None:
    fake = Service(
        {
            ("POST", "/openai/files"): lambda r: httpx.Response(
                201, json={"id": "file-1", "object": "file", "status": "pending"}
            )
        }
    )
    async with fake.service() as service:
        info = await service.upload(io.BytesIO(b'{"custom_id":"0"}\n'), "x.jsonl")
    assert (info.id, info.status) == ("file-1", "pending")
    request = fake.requests[0]
    assert request.headers["ocp-apim-subscription-key"] == KEY
    assert request.headers["authorization"].startswith("Bearer token-")
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert request.url.params["api-version"]
    body = request.content
    assert b'name="purpose"\r\n\r\nbatch' in body
    assert b'name="file"; filename="x.jsonl"' in body and b'{"custom_id":"0"}' in body


async def test_a_gateway_without_the_batch_api_is_one_clear_line() -> None:
    fake = Service({})
    async with fake.service() as service:
        with pytest.raises(BatchAPIUnavailableError) as caught:
            await service.upload(io.BytesIO(b"x\n"), "x.jsonl")
        with pytest.raises(BatchAPIUnavailableError, match="GET /batches/batch_1 answered 404"):
            await service.get("batch_1")
    message = str(caught.value)
    assert "\n" not in message
    assert "does not expose the Azure OpenAI Batch API: POST /files answered 404" in message
    assert "/files* and /batches*" in message and "administrator" in message
    assert "predates" not in message
    http = httpx.AsyncClient(transport=httpx.MockTransport(fake))
    old = BatchService(options(api_version="2024-06-01"), http_client=http)
    async with old as service:
        with pytest.raises(BatchAPIUnavailableError, match="api-version 2024-06-01 predates"):
            await service.list()


async def test_an_unknown_id_is_not_a_missing_gateway() -> None:
    fake = Service(
        {
            ("GET", "/openai/batches/nope"): lambda r: httpx.Response(
                404, json={"error": {"code": "notFound", "message": "Batch nope not found"}}
            )
        }
    )
    async with fake.service() as service:
        with pytest.raises(Exception) as caught:
            await service.get("nope")
    assert not isinstance(caught.value, BatchAPIUnavailableError)
    assert "notFound" in str(caught.value)


def token_limit(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        400,
        json={
            "error": {
                "code": "token_limit_exceeded",
                "message": "Enqueued token limit reached: token_limit_exceeded",
            }
        },
    )


async def test_token_limit_is_retried_with_backoff_then_a_quota_error(
    no_sleep: list[float],
) -> None:
    created = httpx.Response(200, json={"id": "batch_1", "status": "validating"})
    answers = [token_limit, token_limit, lambda r: created]
    fake = Service({("POST", "/openai/batches"): lambda r: answers.pop(0)(r)})
    async with fake.service() as service:
        info = await service.create("file-1", {})
    assert info.id == "batch_1" and no_sleep == [5.0, 10.0]
    body = json.loads(fake.requests[-1].content)
    assert body["completion_window"] == "24h" and body["input_file_id"] == "file-1"
    no_sleep.clear()
    fake = Service({("POST", "/openai/batches"): token_limit})
    async with fake.service(token_limit_tries=3) as service:
        with pytest.raises(BatchQuotaError) as caught:
            await service.create("file-1", {})
    assert no_sleep == [5.0, 10.0]
    assert isinstance(caught.value, RateLimitError)
    assert "token_limit_exceeded 3 times over 15 s" in str(caught.value)
    assert "Global-Batch quota" in str(caught.value) and "gpt-4-batch" in str(caught.value)


async def test_a_create_whose_answer_was_lost_is_not_sent_twice(no_sleep: list[float]) -> None:
    """A gateway 504 after the service made the job: the retry finds it, no second job."""
    made: list[dict[str, Any]] = []

    def create(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        made.append({"id": f"batch_{len(made) + 1}", "status": "validating", **body})
        if len(made) == 1:
            return httpx.Response(504, json={"statusCode": 504, "message": "Gateway timeout"})
        return httpx.Response(200, json=made[-1])

    fake = Service(
        {
            ("POST", "/openai/batches"): create,
            ("GET", "/openai/batches"): lambda r: httpx.Response(
                200, json={"object": "list", "data": made[::-1], "has_more": False}
            ),
        }
    )
    http = httpx.AsyncClient(transport=httpx.MockTransport(fake))
    async with BatchService(options(max_retries=2), http_client=http) as service:
        info = await service.create("file-1", {"part": "1"})
        assert info.id == "batch_1" and len(made) == 1
        # A 503 before the service made anything: the lookup finds nothing, sent again.
        fake.routes[("POST", "/openai/batches")] = lambda r: answers.pop(0)(r)
        answers = [
            lambda r: httpx.Response(503, json={"error": {"code": "busy", "message": "busy"}}),
            create,
        ]
        again = await service.create("file-2", {"part": "2"})
    assert again.id == "batch_2" and len(made) == 2
    assert [r.method for r in fake.requests] == ["POST", "GET", "POST", "GET", "POST"]
    ids = {m["metadata"]["jupyter_azure_ai_create"] for m in made}
    assert len(ids) == 2 and all(m["metadata"]["part"] for m in made)


def test_validation_failures_name_each_line_and_its_row() -> None:
    err = batch_validation_failed(
        "batch_1",
        [
            {"code": "invalid_json_line", "message": "Line 3 is not valid JSON", "line": 3},
            {"code": "model_mismatch", "message": "model differs", "line": 7},
        ],
        first_line=100,
    )
    assert isinstance(err, BatchValidationError) and err.batch_id == "batch_1"
    assert str(err) == (
        "Batch job batch_1 failed validation, nothing of it ran: line 3 (row 102):"
        " invalid_json_line: Line 3 is not valid JSON; line 7 (row 106): model_mismatch:"
        " model differs"
    )
    assert [e["line"] for e in err.errors] == [3, 7]


# --- result lines -------------------------------------------------------------------------


def answer(content: Any = "positive", *, finish: str = "stop", **message: Any) -> dict[str, Any]:
    body = {
        "model": "gpt-4o-2024-11-20",
        "choices": [
            {
                "index": 0,
                "finish_reason": finish,
                "message": {"role": "assistant", "content": content, **message},
            }
        ],
        "usage": {"prompt_tokens": 1_000_000, "completion_tokens": 0, "total_tokens": 1},
    }
    return {"custom_id": "0", "response": {"status_code": 200, "body": body}, "error": None}


def test_an_answer_line_costs_the_batch_price() -> None:
    (text, structured, error), usage, cost = read_answer(answer(), None, "gpt-4o-batch", None)
    assert (text, structured, error) == ("positive", None, None)
    assert usage["input_tokens"] == 1_000_000 and cost == pytest.approx(1.25)  # 2.50 / 2


def test_refusals_filters_cut_and_bad_structured_answers_are_row_errors() -> None:
    schema = compile_output_format(
        {
            "type": "json_schema",
            "schema": {"type": "object", "properties": {"label": {"type": "string"}}},
        }
    )
    kept, _, _ = read_answer(answer(None, refusal="I can't"), None, "d", None)
    assert isinstance(kept[2], AnswerError) and kept[2].subtype == "error_refusal"
    kept, _, _ = read_answer(answer("x", finish="content_filter"), None, "d", None)
    assert isinstance(kept[2], ContentFilterError)
    kept, _, _ = read_answer(answer('{"label": "po', finish="length"), schema, "d", None)
    assert isinstance(kept[2], AnswerError) and kept[2].subtype == "error_max_tokens"
    kept, _, _ = read_answer(answer("not json"), schema, "d", None)
    assert isinstance(kept[2], AnswerError) and kept[2].subtype == "error_structured_output"
    kept, _, _ = read_answer(answer('{"label": "positive"}'), schema, "d", None)
    assert kept == ('{"label": "positive"}', {"label": "positive"}, None)


def test_error_lines_of_both_shapes() -> None:
    line = {
        "custom_id": "3",
        "response": {
            "status_code": 429,
            "request_id": "r1",
            "body": {"error": {"code": "429", "message": "Rate limit"}},
        },
        "error": None,
    }
    kept, _, _ = read_answer(line, None, "d", None)
    assert isinstance(kept[2], RateLimitError) and kept[2].request_id == "r1"
    line = {
        "custom_id": "3",
        "response": None,
        "error": {"code": "batch_expired", "message": "expired"},
    }
    kept, _, _ = read_answer(line, None, "d", None)
    assert isinstance(kept[2], BatchRowError) and kept[2].code == "batch_expired"
    assert str(kept[2]) == "batch_expired: expired"


# --- the local record -----------------------------------------------------------------------


def test_the_record_is_private_and_holds_no_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(records.ENV_VAR, str(tmp_path))
    endpoint = f"https://user:{SECRET}@apim.net/openai?subscription-key={KEY}"
    assert records.public_endpoint(endpoint) == "https://apim.net/openai"
    rec = records.Record(
        id="batch_1", endpoint=records.public_endpoint(endpoint), deployment="gpt-4-batch", rows=3
    )
    rec.parts.append(records.PartRecord("batch_1", "file-1", 0, 2, 3))
    records.save(rec)
    records.save_index(rec, ["a", "b", "c"])
    records.save(rec)
    folder = tmp_path / "batches"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        raw = path.read_bytes()
        assert SECRET.encode() not in raw and KEY.encode() not in raw
    again = records.find("batch_1")
    assert again is not None and again.ids == ["batch_1"]
    assert records.load_index(again) == ["a", "b", "c"]
    assert [r.id for r in records.all_records()] == ["batch_1"]


async def test_an_upload_redirected_to_another_host_carries_neither_key_nor_token() -> None:
    def routes(request: httpx.Request) -> httpx.Response:
        if request.url.host == "contoso.azure-api.net":
            return httpx.Response(307, headers={"location": "https://elsewhere.example/files"})
        return httpx.Response(200, json={"id": "file-9", "status": "processed"})

    fake = Service({})
    fake.routes = {("POST", "/openai/files"): routes, ("POST", "/files"): routes}
    async with fake.service() as service:
        info = await service.upload(io.BytesIO(b'{"custom_id":"0"}\n'), "x.jsonl")
    assert info.id == "file-9"
    first, second = fake.requests
    assert first.headers["ocp-apim-subscription-key"] == KEY and "authorization" in first.headers
    assert second.url.host == "elsewhere.example"
    assert "ocp-apim-subscription-key" not in second.headers
    assert "authorization" not in second.headers
    assert b'{"custom_id":"0"}' in second.content  # the file was sent again, from the start


async def test_status_polls_are_retried_like_chat(no_sleep: list[float]) -> None:
    answers = [
        httpx.Response(503, json={"error": {"code": "busy", "message": "busy"}}),
        httpx.Response(429, headers={"retry-after-ms": "250"}, json={"error": {"code": "429"}}),
        httpx.Response(200, json={"id": "batch_1", "status": "InProgress"}),
    ]
    fake = Service({("GET", "/openai/batches/batch_1"): lambda r: answers.pop(0)})
    http = httpx.AsyncClient(transport=httpx.MockTransport(fake))
    async with BatchService(options(max_retries=2), http_client=http) as service:
        info = await service.get("batch_1")
    assert info.status == "in_progress" and len(fake.requests) == 3
    assert no_sleep[1] == 0.25  # retry-after-ms honoured


def test_service_text_that_reaches_displays_is_checked() -> None:
    hostile = BatchInfo.of({"id": "batch_1\x1b[2J", "status": "done\x1b]8;;http://x\x07"})
    assert hostile.id == "" and hostile.status == "unknown"
    assert BatchInfo.of({"id": "batch_0d4c-9f", "status": "Completed"}).id == "batch_0d4c-9f"


async def test_a_create_without_a_usable_id_is_an_error() -> None:
    fake = Service({("POST", "/openai/batches"): {"id": "", "status": "validating"}})
    async with fake.service() as service:
        with pytest.raises(Exception, match="without a usable batch id"):
            await service.create("file-1", {})
