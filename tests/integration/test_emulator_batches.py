"""The emulator's Batch API (/files, /batches) over TLS with real azure-identity tokens.

Each test drives a job through its lifecycle on the classic or the v1 path and checks the
wire shapes of azure-wire-2.md §1-§2, every fault of emulator/batches.py, the gateway
without the Batch API, the APIM gate, and openai-python's own Files/Batches client.
"""

from __future__ import annotations

import json
import os
import re
import ssl
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import httpx2
import openai
import pytest
from azure.identity import ClientSecretCredential

from jupyter_azure_ai.emulator import Emulator
from jupyter_azure_ai.emulator.batches import DEFAULT_PHASE_S, PHASE_ENV

SCOPE = "https://cognitiveservices.azure.com/.default"
API_VERSION = "2024-10-21"
PHASE_S = 0.1
TERMINAL = {"completed", "failed", "cancelled", "expired"}
SCHEMA = {
    "type": "json_schema",
    "json_schema": {
        "name": "review",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {
                "sentiment": {"type": "string", "enum": ["positive", "negative", "neutral"]}
            },
            "required": ["sentiment"],
            "additionalProperties": False,
        },
    },
}


@pytest.fixture(scope="module")
def token(emulator_server: Emulator) -> str:
    credential = ClientSecretCredential(
        emulator_server.tenant_id,
        emulator_server.client_id,
        emulator_server.client_secret,
        authority=emulator_server.authority_host,
        connection_verify=emulator_server.ca_path,
        disable_instance_discovery=True,
    )
    with credential:
        return credential.get_token(SCOPE).token


@pytest.fixture
def emu(emulator: Emulator) -> Iterator[Emulator]:
    emulator.batch_phase_s = PHASE_S
    yield emulator
    emulator.reset()


class Api:
    """A thin client of one path style (classic with api-version, or v1)."""

    def __init__(self, emu: Emulator, token: str, v1: bool, endpoint: str | None = None) -> None:
        self.emu = emu
        self.v1 = v1
        base = endpoint or emu.endpoint
        self.base = f"{base}/v1" if v1 else base
        self.params = {} if v1 else {"api-version": API_VERSION}
        self.http = httpx.Client(
            verify=tls(emu),
            timeout=10,
            headers={
                "Authorization": f"Bearer {token}",
                "Ocp-Apim-Subscription-Key": emu.subscription_key,
            },
        )

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        params = {**self.params, **kwargs.pop("params", {})}
        return self.http.request(method, f"{self.base}{path}", params=params, **kwargs)

    def upload(self, data: bytes, **fields: str) -> dict[str, Any]:
        reply = self.request(
            "POST",
            "/files",
            data={"purpose": "batch", **fields},
            files={"file": ("rows.jsonl", data, "application/json")},
        )
        assert reply.status_code in (200, 201), reply.text
        return dict(reply.json())

    def create(self, file_id: str, **extra: Any) -> dict[str, Any]:
        body = {
            "input_file_id": file_id,
            "endpoint": "/chat/completions",
            "completion_window": "24h",
            **extra,
        }
        reply = self.request("POST", "/batches", json=body)
        assert reply.status_code == 200, reply.text
        return dict(reply.json())

    def get(self, batch_id: str) -> dict[str, Any]:
        reply = self.request("GET", f"/batches/{batch_id}")
        assert reply.status_code == 200, reply.text
        return dict(reply.json())

    def wait(self, batch_id: str, seen: list[str] | None = None) -> dict[str, Any]:
        deadline = time.monotonic() + 10
        while True:
            batch = self.get(batch_id)
            if seen is not None and (not seen or seen[-1] != batch["status"]):
                seen.append(batch["status"])
            if str(batch["status"]).lower() in TERMINAL:
                return batch
            assert time.monotonic() < deadline, batch
            time.sleep(0.02)

    def lines(self, file_id: str) -> list[dict[str, Any]]:
        reply = self.request("GET", f"/files/{file_id}/content")
        assert reply.status_code == 200
        assert reply.headers["content-type"] == "application/octet-stream"
        return [json.loads(line) for line in reply.content.splitlines()]

    def run(self, rows: list[dict[str, Any]] | bytes, **extra: Any) -> dict[str, Any]:
        data = rows if isinstance(rows, bytes) else jsonl(rows)
        return self.wait(self.create(self.upload(data)["id"], **extra)["id"])

    def close(self) -> None:
        self.http.close()


@pytest.fixture(params=[False, True], ids=["classic", "v1"])
def api(request: pytest.FixtureRequest, emu: Emulator, token: str) -> Iterator[Api]:
    client = Api(emu, token, request.param)
    yield client
    client.close()


@pytest.fixture
def classic(emu: Emulator, token: str) -> Iterator[Api]:
    client = Api(emu, token, False)
    yield client
    client.close()


def tls(emu: Emulator) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=emu.ca_path)


def row(n: int, prompt: str, model: str = "gpt-4-batch", **body: Any) -> dict[str, Any]:
    messages = [{"role": "user", "content": prompt}]
    return {
        "custom_id": str(n),
        "method": "POST",
        "url": "/chat/completions",
        "body": {"model": model, "messages": messages, **body},
    }


def rows(count: int, model: str = "gpt-4-batch") -> list[dict[str, Any]]:
    return [row(n, f"Sentiment of: review number {n} was great", model) for n in range(count)]


def jsonl(items: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(item).encode() + b"\n" for item in items)


def by_id(lines: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {line["custom_id"]: line for line in lines}


# --- the lifecycle -------------------------------------------------------------------


def test_lifecycle_answers_like_chat(api: Api, emu: Emulator) -> None:
    emu.batch_phase_s = 0.6  # long enough for the polls to see every phase under load
    prompts = [
        "What is the capital of France?",
        "Sentiment of: I love it, great and fast",
        "Sentiment of: slow and broken",
        "Tell me about gateways",
    ]
    items = [row(n, p) for n, p in enumerate(prompts)]
    items.append(row(4, "Sentiment of: terrible, I want a refund", response_format=SCHEMA))
    upload = api.upload(jsonl(items))
    assert upload["id"].startswith("file-") and len(upload["id"]) == 37
    assert upload["purpose"] == "batch" and upload["bytes"] == len(jsonl(items))
    assert upload["status"] == ("processed" if api.v1 else "pending")
    created = api.create(upload["id"], metadata={"run": "t1"})
    assert created["status"] == "validating" and created["object"] == "batch"
    assert created["request_counts"] == {"total": 0, "completed": 0, "failed": 0}
    assert created["output_file_id"] is None and created["errors"] is None
    assert created["expires_at"] - created["created_at"] == 86_400
    seen: list[str] = []
    done = api.wait(created["id"], seen)
    assert seen == ["validating", "in_progress", "finalizing", "completed"]
    assert done["request_counts"] == {"total": 5, "completed": 5, "failed": 0}
    assert done["metadata"] == {"run": "t1"} and done["endpoint"] == "/chat/completions"
    times = [done[k] for k in ("created_at", "in_progress_at", "finalizing_at", "completed_at")]
    assert all(isinstance(t, int) for t in times) and times == sorted(times)
    assert done["failed_at"] is None and done["cancelled_at"] is None
    output = api.lines(done["output_file_id"])
    assert done["output_file_id"].count("-") == 5  # service-made files carry dashed ids
    assert sorted(line["custom_id"] for line in output) == ["0", "1", "2", "3", "4"]
    assert [line["custom_id"] for line in output] != ["0", "1", "2", "3", "4"]  # shuffled
    assert api.request("GET", f"/files/{done['error_file_id']}").json()["bytes"] == 0
    assert api.lines(done["error_file_id"]) == []
    chat = httpx.Client(verify=tls(emu), headers=api.http.headers)
    for line in output:
        item = items[int(line["custom_id"])]
        assert line["error"] is None and line["response"]["status_code"] == 200
        body = line["response"]["body"]
        assert body["object"] == "chat.completion" and body["model"] == "gpt-4"
        assert body["usage"]["total_tokens"] > 0 and "prompt_filter_results" in body
        url = f"{emu.endpoint}/deployments/gpt-4/chat/completions?api-version={API_VERSION}"
        live = chat.post(url, json={k: v for k, v in item["body"].items() if k != "model"})
        assert body["choices"][0]["message"] == live.json()["choices"][0]["message"]
        assert body["usage"] == live.json()["usage"]
    chat.close()
    answers = {
        line["custom_id"]: line["response"]["body"]["choices"][0]["message"]["content"]
        for line in output
    }
    assert answers["1"] == "positive" and answers["2"] == "negative"
    assert json.loads(answers["4"]) == {"sentiment": "negative"}
    listed = api.request("GET", "/files", params={"purpose": "batch_output"}).json()
    assert {f["id"] for f in listed["data"]} == {done["output_file_id"], done["error_file_id"]}
    assert api.request("GET", "/batches").json()["data"][0]["id"] == done["id"]
    deleted = api.request("DELETE", f"/files/{upload['id']}")
    assert deleted.json() == {"object": "file", "deleted": True, "id": upload["id"]}
    gone = api.request("GET", f"/files/{upload['id']}")
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "notFound"


def test_request_counts_grow_while_in_progress(classic: Api, emu: Emulator) -> None:
    emu.batch_phase_s = 0.5
    batch = classic.create(classic.upload(jsonl(rows(50)))["id"])
    counts: list[int] = []
    while (now := classic.get(batch["id"]))["status"] in ("validating", "in_progress"):
        if now["status"] == "in_progress":
            counts.append(now["request_counts"]["completed"])
        time.sleep(0.03)
    assert counts == sorted(counts) and len(set(counts)) >= 3 and counts[-1] < 50
    assert now["request_counts"]["completed"] == 50


def test_batch_file_limit(classic: Api) -> None:
    data = jsonl(rows(1))
    for _ in range(500):
        classic.upload(data)
    refused = classic.request(
        "POST", "/files", data={"purpose": "batch"}, files={"file": ("r.jsonl", data)}
    )
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "quotaExceeded"
    with_expiry = {
        "expires_after[seconds]": "1209600",
        "expires_after[anchor]": "created_at",
    }
    assert classic.upload(data, **with_expiry)["expires_at"] is not None  # up to 10,000
    other = classic.request(
        "POST", "/files", data={"purpose": "assistants"}, files={"file": ("a.txt", b"x")}
    )
    assert other.status_code == 201  # the cap is on batch files only


def test_classic_upload_is_201_with_location_then_processed(classic: Api) -> None:
    reply = classic.request(
        "POST", "/files", data={"purpose": "batch"}, files={"file": ("r.jsonl", jsonl(rows(1)))}
    )
    assert reply.status_code == 201
    file_id = reply.json()["id"]
    assert reply.headers["location"].split("?")[0] == f"{classic.base}/files/{file_id}"
    time.sleep(PHASE_S * 1.5)
    assert classic.request("GET", f"/files/{file_id}").json()["status"] == "processed"


def test_invalid_jsonl_upload_ends_in_error_status(classic: Api) -> None:
    upload = classic.upload(b'{"custom_id": "0"}\nnot json\n')
    assert upload["status"] == "pending"
    time.sleep(PHASE_S * 1.5)
    after = classic.request("GET", f"/files/{upload['id']}").json()
    assert after["status"] == "error" and "valid json" in after["status_details"]


def test_phase_scales_the_lifecycle(classic: Api, emu: Emulator) -> None:
    emu.batch_phase_s = 0.3
    started = time.monotonic()
    classic.run(rows(2))
    assert 1.2 <= time.monotonic() - started < 3
    emu.reset()  # back to the phase the emulator started with
    assert emu.batch_phase_s == float(os.environ.get(PHASE_ENV, DEFAULT_PHASE_S))


# --- validation failures -------------------------------------------------------------


def test_validation_errors_name_their_lines(api: Api) -> None:
    good = rows(5)
    good[3]["body"]["model"] = "gpt-4o-mini-batch"  # line 4: mixed models
    good[4]["custom_id"] = "0"  # line 6: a duplicate
    data = jsonl(good[:1]) + b"{not json\n" + jsonl(good[1:])
    done = api.run(data)
    assert done["status"] == "failed" and done["failed_at"] is not None
    found = [(e["code"], e["line"]) for e in done["errors"]["data"]]
    assert found == [("invalid_json_line", 2), ("model_mismatch", 5), ("duplicate_custom_id", 6)]
    assert done["request_counts"] == {"total": 6, "completed": None, "failed": None}
    assert done["output_file_id"] is None and done["in_progress_at"] is None


@pytest.mark.parametrize(
    ("data", "code", "line"),
    [
        (jsonl(rows(2, "gpt-4o")), "invalid_request", 1),  # a Standard deployment
        (jsonl(rows(2, "no-such-deployment")), "model_not_found", 1),
        (b"\n", "empty_file", None),
        (b"\xef\xbb\xbf" + jsonl(rows(1)), "invalid_request", None),
        (jsonl([rows(1)[0], {**row(1, "x"), "url": "/v1/chat/completions"}]), "url_mismatch", 2),
        (jsonl([{**row(0, "x"), "method": "GET"}]), "invalid_request", 1),
    ],
    ids=["standard", "unknown", "empty", "bom", "url", "method"],
)
def test_validation_failure_codes(classic: Api, data: bytes, code: str, line: int | None) -> None:
    done = classic.run(data)
    assert done["status"] == "failed"
    assert [(e["code"], e["line"]) for e in done["errors"]["data"]] == [(code, line)]


def test_completion_window_other_than_24h_fails_the_job(classic: Api) -> None:
    done = classic.run(rows(1), completion_window="48h")
    assert done["status"] == "failed"
    assert done["errors"]["data"][0]["param"] == "completion_window"


def test_too_many_lines(classic: Api) -> None:
    done = classic.run(b'{"a":1}\n' * 100_001)
    assert [e["code"] for e in done["errors"]["data"]] == ["too_many_tasks"]


# --- faults --------------------------------------------------------------------------


def test_partial_failures_go_to_the_error_file(api: Api) -> None:
    done = api.run(rows(7, "fault-batch-partial"))
    assert done["status"] == "completed"
    assert done["request_counts"] == {"total": 7, "completed": 5, "failed": 2}
    errors = by_id(api.lines(done["error_file_id"]))
    assert sorted(errors) == ["2", "5"]
    response = errors["2"]["response"]
    assert (
        response["status_code"] == 500
        and response["body"]["error"]["code"] == "InternalServerError"
    )
    assert sorted(by_id(api.lines(done["output_file_id"]))) == ["0", "1", "3", "4", "6"]


def test_one_row_faults_by_its_marker(classic: Api) -> None:
    items = rows(3)
    items[1] = row(1, "bad words [emulator-fault:content-filter]")
    items[2] = row(2, "Sentiment of: great [emulator-fault:refusal]", response_format=SCHEMA)
    done = classic.run(items)
    assert done["request_counts"] == {"total": 3, "completed": 2, "failed": 1}
    error = by_id(classic.lines(done["error_file_id"]))["1"]["response"]
    assert error["status_code"] == 400 and error["body"]["error"]["code"] == "content_filter"
    refused = by_id(classic.lines(done["output_file_id"]))["2"]["response"]["body"]
    assert (
        refused["choices"][0]["message"]["refusal"]
        and refused["choices"][0]["message"]["content"] is None
    )


def test_cancel_mid_way_keeps_the_finished_rows(api: Api) -> None:
    batch = api.create(api.upload(jsonl(rows(6, "fault-batch-stall")))["id"])
    deadline = time.monotonic() + 5
    while api.get(batch["id"])["request_counts"]["completed"] != 3:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    time.sleep(PHASE_S * 3)
    assert api.get(batch["id"])["status"] == "in_progress"  # stalled, not finishing
    cancelling = api.request("POST", f"/batches/{batch['id']}/cancel")
    assert cancelling.status_code == 200 and cancelling.json()["status"] == "cancelling"
    done = api.wait(batch["id"])
    assert done["status"] == "cancelled" and done["cancelled_at"] >= done["cancelling_at"]
    assert done["request_counts"] == {"total": 6, "completed": 3, "failed": 0}
    assert sorted(by_id(api.lines(done["output_file_id"]))) == ["0", "1", "2"]
    assert done["error_file_id"] is None
    again = api.request("POST", f"/batches/{batch['id']}/cancel")
    assert again.status_code == 200 and again.json()["status"] == "cancelled"


def test_cancel_while_validating_and_after_completion(classic: Api, emu: Emulator) -> None:
    emu.batch_phase_s = 1.0  # the cancel surely arrives while validating
    batch = classic.create(classic.upload(jsonl(rows(2)))["id"])
    cancelled = classic.request("POST", f"/batches/{batch['id']}/cancel").json()
    assert cancelled["status"] == "cancelling"
    done = classic.wait(batch["id"])
    assert done["status"] == "cancelled" and done["output_file_id"] is None
    assert done["in_progress_at"] is None
    emu.batch_phase_s = PHASE_S
    finished = classic.run(rows(1))
    refused = classic.request("POST", f"/batches/{finished['id']}/cancel")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "conflict"


def test_expired_job_returns_done_rows_and_expires_the_rest(api: Api) -> None:
    done = api.run(rows(5, "fault-batch-expired"))
    assert done["status"] == "expired" and done["expired_at"] is not None
    assert done["request_counts"] == {"total": 5, "completed": 2, "failed": 3}
    assert sorted(by_id(api.lines(done["output_file_id"]))) == ["0", "1"]
    expired = by_id(api.lines(done["error_file_id"]))
    assert sorted(expired) == ["2", "3", "4"]
    assert expired["2"]["response"] is None and expired["2"]["error"]["code"] == "batch_expired"


def test_token_limit_fails_the_job_then_clears(classic: Api) -> None:
    file_id = classic.upload(jsonl(rows(2, "fault-batch-token-limit*1")))["id"]
    first = classic.wait(classic.create(file_id)["id"])
    assert first["status"] == "failed"
    [error] = first["errors"]["data"]
    assert error["code"] == "token_limit_exceeded" and error["line"] is None
    assert "enqueued tokens" in error["message"]
    assert classic.wait(classic.create(file_id)["id"])["status"] == "completed"


def test_token_limit_fail_fast_on_create(api: Api) -> None:
    file_id = api.upload(jsonl(rows(2, "fault-batch-token-limit-create*2")))["id"]
    body = {"input_file_id": file_id, "endpoint": "/chat/completions", "completion_window": "24h"}
    for _ in range(2):
        refused = api.request("POST", "/batches", json=body)
        assert refused.status_code == 400
        assert "token_limit_exceeded" in refused.json()["error"]["message"]
    assert api.wait(api.create(file_id)["id"])["status"] == "completed"


def test_doc_variants(api: Api, emu: Emulator) -> None:
    emu.batch_phase_s = 0.4
    batch = api.create(
        api.upload(jsonl(rows(2, "fault-batch-capital-status+iso-times+empty-ids")))["id"]
    )
    assert batch["status"] == "Validating"
    assert (
        batch["output_file_id"] == "" and batch["error_file_id"] == "" and batch["endpoint"] is None
    )
    # seven fractional digits, as in the docs: Python 3.10's fromisoformat refuses them
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}\+00:00", batch["created_at"])
    created = datetime.fromisoformat(batch["created_at"][:26] + "+00:00")
    assert abs(created.timestamp() - time.time()) < 5
    seen: list[str] = []
    done = api.wait(batch["id"], seen)
    assert seen == ["Validating", "InProgress", "Finalizing", "Completed"]
    assert done["output_file_id"].startswith("file-") and isinstance(done["completed_at"], str)
    assert done["failed_at"] is None  # absent times stay null


def test_faults_by_metadata(classic: Api) -> None:
    done = classic.run(rows(3), metadata={"emulator-fault": "capital-status+partial"})
    assert done["status"] == "Completed"
    assert done["request_counts"]["failed"] == 1


def test_unknown_fault_is_a_clear_400(classic: Api) -> None:
    file_id = classic.upload(jsonl(rows(1, "fault-batch-nope")))["id"]
    body = {"input_file_id": file_id, "endpoint": "/chat/completions", "completion_window": "24h"}
    refused = classic.request("POST", "/batches", json=body)
    assert refused.status_code == 400 and "known faults" in refused.json()["error"]["message"]


def test_gateway_without_batch_api(emu: Emulator, token: str) -> None:
    for v1 in (False, True):
        api = Api(emu, token, v1, endpoint=emu.no_batch_api_endpoint)
        for method, path in (("POST", "/files"), ("GET", "/files"), ("GET", "/batches"),
                             ("POST", "/batches"), ("GET", "/batches/batch_x")):  # fmt: skip
            reply = api.request(method, path)
            assert reply.status_code == 404
            assert reply.json() == {"statusCode": 404, "message": "Resource not found"}
        body = {"messages": [{"role": "user", "content": "hello"}], "model": "gpt-4"}
        chat = "/chat/completions" if v1 else "/deployments/gpt-4/chat/completions"
        assert api.request("POST", chat, json=body).status_code == 200
        api.close()


# --- the gate, ids, limits ------------------------------------------------------------


@pytest.mark.parametrize("v1", [False, True], ids=["classic", "v1"])
def test_apim_gate(emu: Emulator, token: str, v1: bool) -> None:
    api = Api(emu, token, v1)
    files = {"file": ("r.jsonl", jsonl(rows(1)))}
    key = {"Ocp-Apim-Subscription-Key": emu.subscription_key}
    bearer = {"Authorization": f"Bearer {token}"}
    with httpx.Client(verify=tls(emu)) as http:
        cases = [
            (bearer, "missing subscription key"),
            ({**bearer, "Ocp-Apim-Subscription-Key": "wrong"}, "invalid subscription key"),
            (key, "Invalid JWT."),
            ({**key, "Authorization": "Bearer not-a-token"}, "Invalid JWT."),
        ]
        for headers, message in cases:
            for method, path in (
                ("POST", "/files"),
                ("GET", "/batches"),
                ("POST", "/batches/b/cancel"),
            ):
                reply = http.request(
                    method, f"{api.base}{path}", headers=headers, params=api.params,
                    files=files if path == "/files" else None,
                )  # fmt: skip
                assert reply.status_code == 401 and message in reply.json()["message"]
    assert api.request("GET", "/files").json()["data"] == []  # nothing was stored
    emu.revoke_tokens()
    revoked = api.request("GET", "/files")
    assert revoked.status_code == 401 and revoked.json()["message"] == "Invalid JWT."
    api.close()


def test_api_version_rules(classic: Api) -> None:
    missing = classic.http.get(f"{classic.base}/batches")
    assert (
        missing.status_code == 400
        and missing.json()["error"]["code"] == "MissingApiVersionParameter"
    )
    old = classic.http.get(f"{classic.base}/batches", params={"api-version": "2024-02-01"})
    assert old.status_code == 404 and old.json()["error"]["message"] == "Resource not found"
    preview = classic.http.get(
        f"{classic.base}/files", params={"api-version": "2024-07-01-preview"}
    )
    assert preview.status_code == 200


def test_upload_checks(classic: Api) -> None:
    def post(fields: dict[str, str], with_file: bool = True) -> httpx.Response:
        files = {"file": ("r.jsonl", jsonl(rows(1)))} if with_file else None
        return classic.request("POST", "/files", data=fields, files=files)

    assert post({"purpose": "nonsense"}).json()["error"]["code"] == "invalidPayload"
    assert post({"purpose": "batch"}, with_file=False).status_code == 400
    short = post(
        {
            "purpose": "batch",
            "expires_after[seconds]": "3600",
            "expires_after[anchor]": "created_at",
        }
    )
    assert short.status_code == 400 and "1209600" in short.json()["error"]["message"]
    for style in ("expires_after[{}]", "expires_after.{}"):
        fields = {
            "purpose": "batch",
            style.format("seconds"): "1209600",
            style.format("anchor"): "created_at",
        }
        reply = post(fields)
        assert reply.status_code == 201
        assert reply.json()["expires_at"] - reply.json()["created_at"] == 1_209_600
    unknown = classic.request("GET", "/files/file-nope/content")
    assert unknown.status_code == 404


def test_create_checks(classic: Api) -> None:
    chat_file = classic.request(
        "POST", "/files", data={"purpose": "assistants"}, files={"file": ("a.txt", b"x")}
    ).json()["id"]
    cases = [
        ({"endpoint": "/chat/completions", "completion_window": "24h"}, 400),
        (
            {
                "input_file_id": "file-nope",
                "endpoint": "/chat/completions",
                "completion_window": "24h",
            },
            404,
        ),
        (
            {
                "input_file_id": chat_file,
                "endpoint": "/chat/completions",
                "completion_window": "24h",
            },
            400,
        ),
        ({"input_file_id": chat_file, "completion_window": "24h"}, 400),
    ]
    for body, status in cases:
        reply = classic.request("POST", "/batches", json=body)
        assert reply.status_code == status, body
        assert reply.json()["error"]["code"] in ("invalidPayload", "notFound")
    assert classic.request("GET", "/batches/batch_nope").status_code == 404


def test_list_pagination(classic: Api) -> None:
    file_id = classic.upload(jsonl(rows(1)))["id"]
    ids = [classic.create(file_id)["id"] for _ in range(3)]
    first = classic.request("GET", "/batches", params={"limit": "2"}).json()
    assert [b["id"] for b in first["data"]] == ids[::-1][:2] and first["has_more"] is True
    assert first["first_id"] == ids[2] and first["last_id"] == ids[1]
    rest = classic.request(
        "GET", "/batches", params={"limit": "2", "after": first["last_id"]}
    ).json()
    assert [b["id"] for b in rest["data"]] == [ids[0]] and rest["has_more"] is False
    assert classic.request("GET", "/batches", params={"limit": "0"}).status_code == 400


def test_list_preview_filter_and_order(classic: Api) -> None:
    file_id = classic.upload(jsonl(rows(1)))["id"]
    finished = classic.wait(classic.create(file_id)["id"])
    running = classic.create(classic.upload(jsonl(rows(2, "fault-batch-stall")))["id"])
    while classic.get(running["id"])["status"] == "validating":
        time.sleep(0.02)

    def listed(**params: str) -> list[str]:
        reply = classic.request("GET", "/batches", params=params)
        assert reply.status_code == 200, reply.text
        return [b["id"] for b in reply.json()["data"]]

    assert listed(**{"$filter": "status eq 'Completed'"}) == [finished["id"]]
    assert listed(**{"$filter": "status eq 'InProgress'"}) == [running["id"]]
    since = f"created_at ge {finished['created_at']} and status eq 'completed'"
    assert listed(**{"$filter": since}) == [finished["id"]]
    assert listed(**{"$filter": f"created_at gt {running['created_at'] + 10}"}) == []
    assert listed(**{"$orderby": "created_at asc"}) == [finished["id"], running["id"]]
    assert listed() == [running["id"], finished["id"]]
    bad = classic.request("GET", "/batches", params={"$filter": "model eq 'x'"})
    assert bad.status_code == 400 and "Unsupported $filter" in bad.json()["error"]["message"]


def test_phase_setting_and_environment(monkeypatch: pytest.MonkeyPatch, emu: Emulator) -> None:
    with pytest.raises(ValueError, match="batch_phase_s"):
        emu.batch_phase_s = 0
    monkeypatch.setenv("JUPYTER_AZURE_AI_EMULATOR_BATCH_PHASE_S", "0.05")
    other = Emulator()
    try:
        assert other.batch_phase_s == 0.05
    finally:
        other.stop()
    monkeypatch.setenv("JUPYTER_AZURE_AI_EMULATOR_BATCH_PHASE_S", "soon")
    with pytest.raises(ValueError, match="JUPYTER_AZURE_AI_EMULATOR_BATCH_PHASE_S"):
        Emulator()


# --- openai-python, unchanged --------------------------------------------------------


@pytest.mark.parametrize("v1", [False, True], ids=["AzureOpenAI", "OpenAI-v1"])
def test_openai_python_files_and_batches(emu: Emulator, token: str, v1: bool) -> None:
    with httpx2.Client(verify=tls(emu)) as http:
        headers = {"Ocp-Apim-Subscription-Key": emu.subscription_key}
        oai: openai.OpenAI
        if v1:
            oai = openai.OpenAI(
                base_url=f"{emu.endpoint}/v1",
                api_key=token,
                default_headers=headers,
                http_client=http,
            )
        else:
            oai = openai.AzureOpenAI(
                azure_endpoint=emu.url,
                api_version=API_VERSION,
                azure_ad_token=token,
                default_headers=headers,
                http_client=http,
            )
        uploaded = oai.files.create(file=("rows.jsonl", jsonl(rows(3))), purpose="batch")
        assert uploaded.purpose == "batch" and uploaded.id.startswith("file-")
        batch = oai.batches.create(
            input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
        )
        assert batch.status == "validating"
        deadline = time.monotonic() + 10
        while batch.status not in TERMINAL:
            assert time.monotonic() < deadline
            time.sleep(0.05)
            batch = oai.batches.retrieve(batch.id)
        assert batch.status == "completed" and batch.request_counts is not None
        assert batch.request_counts.completed == 3 and batch.output_file_id
        content = oai.files.content(batch.output_file_id).text
        answers = {json.loads(line)["custom_id"] for line in content.splitlines()}
        assert answers == {"0", "1", "2"}
        assert [b.id for b in oai.batches.list()] == [batch.id]
        assert oai.files.retrieve(uploaded.id).status in ("processed", "pending")
        assert oai.files.delete(uploaded.id).deleted is True
