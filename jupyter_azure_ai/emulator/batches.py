"""The Batch API of the emulator: ``/files`` and ``/batches`` behind the same APIM gate.

Wire shapes follow azure-wire-2.md §1-§2; whatever the doc marks UNCONFIRMED is emulated
in one plausible form and named so below. State lives in memory (``BatchApi`` on the
emulator state); ``Emulator.reset()`` forgets every file and batch.

Routes (each needs ``Ocp-Apim-Subscription-Key`` and an Entra bearer token, checked and
refused exactly as chat does: 401 missing/invalid key, 401 ``Invalid JWT.``)::

    classic (?api-version= required; before 2024-07-01-preview → 404 Resource not found)
    POST   /openai/files                     multipart: purpose=batch, file=@x.jsonl
    GET    /openai/files[?purpose=batch]     {"object":"list","data":[...]}
    GET    /openai/files/{id}
    GET    /openai/files/{id}/content        application/octet-stream, the raw JSONL
    DELETE /openai/files/{id}                {"object":"file","deleted":true,"id":...}
    POST   /openai/batches                   {"input_file_id","endpoint","completion_window":"24h"}
    GET    /openai/batches[?limit=&after=]   newest first, {"data","first_id","last_id","has_more"}
           (preview: $filter=created_at gt <unix> and status eq 'Completed' — gt/ge/lt/le,
           status compared ignoring case and "_"; $orderby=created_at asc|desc)
    GET    /openai/batches/{id}
    POST   /openai/batches/{id}/cancel
    v1 (no api-version): the same under /openai/v1/files and /openai/v1/batches.

Files: an upload answers **201** with ``Location`` and ``status: "pending"`` on the classic
path (``processed`` one phase later; ``error`` with ``status_details`` saying "valid json" if
a line is not JSON), **200** and ``processed`` at once on v1. Purposes: fine-tune,
fine-tune-results, assistants, assistants_output, batch. 400 (authoring error body
``{"error":{"code":"invalidPayload",...}}``) for a missing file part, a bad purpose, a file over
200 MB, or an ``expires_after`` outside 1209600-2592000 s (``expires_after[seconds]`` and
``expires_after.seconds`` are both accepted); 400 ``quotaExceeded`` past 500 batch files (10,000
with expiry). Unknown ids: 404 ``{"error":{"code":"notFound",...}}``. A batch may be created
from a file still ``pending``. Not emulated: the 30 uploads/s limit, ``/openai/uploads``,
blob input. ``emu.batch_file(id)`` returns a file's bytes to a test without a request.

Time scale: a batch moves through its phases by the clock, evaluated when it is read (no
background task). Each phase lasts ``batch_phase_s`` seconds: validating (1 phase) →
in_progress (2 phases; ``request_counts`` grow row by row) → finalizing (1 phase) →
completed, so a job takes ``4 * batch_phase_s``; cancelling lasts 1 phase. Default 0.25 s
(a whole lifecycle in 1 s). Set it with ``start_emulator(batch_phase_s=...)`` /
``Emulator(batch_phase_s=...)``, on a running emulator with ``emu.batch_phase_s = 2.0``
(``reset()`` restores the start value), with the environment variable
``JUPYTER_AZURE_AI_EMULATOR_BATCH_PHASE_S``, or ``python -m jupyter_azure_ai.emulator
--batch-phase-s 5``.

Answers: each line's ``body`` is answered by the chat logic (``scenarios.plan_reply``,
``structured`` for ``response_format``, usage, content-filter annotations), as the
deployment without its ``-batch`` suffix would answer it, so ``gpt-4-batch`` answers exactly
what ``gpt-4`` answers to ``map_rows``. Output lines are ``{"custom_id", "response":
{"body", "request_id", "status_code": 200}, "error": null}`` in a **shuffled** order (Azure
does not keep input order: match on ``custom_id``). A completed job always has an error
file; with no failures it is empty (0 bytes), as the docs say.

Global-Batch deployments: any name ending in ``-batch`` (``gpt-4-batch``, ``gpt-4o-mini-batch``)
and the ``fault-batch-*`` names below. A Standard deployment (``gpt-4``, ``gpt-4o``, … of
scenarios.DEPLOYMENTS) fails validation with ``invalid_request`` (SKU not ``globalbatch``);
any other name with ``model_not_found``.

Validation failures need no trigger, only the bad input (validating → failed, errors in
``errors.data[]`` as ``{"code","message","param","line"}``, ``line`` 1-based, at most 100
entries; ``request_counts`` reads ``{"total": N, "completed": null, "failed": null}``):

    invalid_json_line    a line that is not JSON
    invalid_request      a line without custom_id/method/url/body, a Standard deployment,
                         a url other than (/v1)/chat/completions, completion_window != "24h"
                         (line null, param "completion_window"), a UTF-8 BOM ("A valid model
                         deployment name couldn't be extracted from the input file.")
    url_mismatch         a url differing from line 1's
    model_mismatch       a body.model differing from line 1's (mixed models)
    model_not_found      an unknown deployment
    duplicate_custom_id  a custom_id seen before
    empty_file           no lines
    too_many_tasks       more than 100,000 lines

Faults on demand, by the deployment name of the lines (``"model": "fault-batch-<name>"``;
combine with ``+``: ``fault-batch-partial+iso-times``), or by the create body's
``"metadata": {"emulator-fault": "<name>[+<name>...]"}`` with any Global-Batch deployment.
``<name>*<n>`` applies to the first n creates carrying it since ``reset()``:

    partial             lines 3, 6, 9, … fail: error-file lines {"custom_id", "response":
                        {"status_code": 500, "request_id", "body": {"error": {...}}},
                        "error": null}; request_counts.failed counts them
    stall               in_progress stops at half the rows (floor(n/2)) until cancelled:
                        cancel then gives cancelling → cancelled with exactly those rows in
                        the output file (rows never run are in no file)
    expired             half the rows run, then status "expired" (expired_at set); the rest
                        are error-file lines {"custom_id", "response": null, "error":
                        {"code": "batch_expired", "message": ...}}
    token-limit         validating → failed, errors.data = [{"code": "token_limit_exceeded",
                        "message": "The number of enqueued tokens has surpassed the
                        configured limit ...", "line": null, "param": null}] (as seen live)
    token-limit-create  fail-fast: the create itself answers 400 {"error": {"code":
                        "token_limit_exceeded", "message": "... token_limit_exceeded ..."}}
                        (body UNCONFIRMED); with *n the (n+1)-th create is accepted
    lost-create         the job is created, but the create answers APIM's 504 {"statusCode":
                        504, "message": "Gateway timeout"} (the answer lost on the way back):
                        a client that sends the POST again makes a second job
    capital-status      status as "Validating", "InProgress", "Finalizing", "Completed",
                        "Failed", "Cancelling", "Cancelled", "Expired" (the docs show only
                        "Validating" and 'Completed'; "InProgress" is a guess: compare
                        statuses ignoring case and "_")
    iso-times           every *_at of the batch as an ISO-8601 string
                        ("2024-07-19T17:13:57.2491382+00:00", 7 fractional digits) or null
    empty-ids           "" instead of null for absent output_file_id / error_file_id, and
                        "endpoint": null (the v1 Python sample)

One row can fail on its own: a row whose messages contain ``[emulator-fault:<chat fault>]``
(the chat marker) is answered as chat would answer it: a status fault (500, 502, 503, 504,
408, 429, 429-ms, 429-date, quota, content-filter) becomes an error-file line with that
status and body; refusal / invalid-json / schema-mismatch / content-filter-completion
become 200 lines with that defect.

Cancel: validating or in_progress → cancelling (1 phase) → cancelled; cancelling or
cancelled again returns the object; a finished job gets 409 ``{"error":{"code":"conflict"}}``.

Gateway without the Batch API: the endpoint ``emu.no_batch_api_endpoint``
(``{url}/no-batch-api/openai``) serves chat (classic and v1) like ``/openai``, but its
``/files*`` and ``/batches*`` answer APIM's ``404 {"statusCode":404,"message":"Resource
not found"}`` (the body is UNCONFIRMED), as an APIM API imported from the inference spec
does.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import re
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import batch_lines
from .batch_lines import Parsed
from .files import MAX_FILE_BYTES, FileError, FileStore, first_bad_line, not_found, read_upload

DEFAULT_PHASE_S = 0.25
PHASE_ENV = "JUPYTER_AZURE_AI_EMULATOR_BATCH_PHASE_S"
FAULTS = frozenset(
    {
        "partial",
        "stall",
        "expired",
        "token-limit",
        "token-limit-create",
        "lost-create",
        "capital-status",
        "iso-times",
        "empty-ids",
    }
)
METADATA_FAULT_KEY = "emulator-fault"
_CAPITALISED = {
    "validating": "Validating",
    "in_progress": "InProgress",
    "finalizing": "Finalizing",
    "completed": "Completed",
    "failed": "Failed",
    "cancelling": "Cancelling",
    "cancelled": "Cancelled",
    "expired": "Expired",
}
_TIMES = (
    "in_progress_at",
    "finalizing_at",
    "completed_at",
    "failed_at",
    "expired_at",
    "cancelling_at",
    "cancelled_at",
)
_DAY_S = 86_400
_MAX_LIST = 100
_FIRST_BATCH_VERSION = "2024-07-01"
_MULTIPART_ROOM = 64 * 1024
"""Room for the multipart boundaries and fields around a file of the largest size."""


def parse_faults(text: str) -> list[tuple[str, str, int | None]]:
    """``name[*n]`` joined with ``+`` → (spec, name, count); ValueError for unknown names."""
    out: list[tuple[str, str, int | None]] = []
    for spec in (part.strip() for part in text.split("+")):
        name, star, count = spec.partition("*")
        if name not in FAULTS or (star and not count.isdigit()):
            known = ", ".join(sorted(FAULTS))
            raise ValueError(f"unknown emulator batch fault {spec!r}; known faults: {known}")
        out.append((spec, name, int(count) if star else None))
    return out


@dataclass
class Snapshot:
    """A batch at one moment: status, rows run so far and its lifecycle times."""

    status: str
    done: int
    times: dict[str, float | None]


@dataclass
class Batch:
    """One job; everything but cancellation and the output files is fixed at create."""

    id: str
    input_file_id: str
    endpoint: Any
    completion_window: Any
    metadata: Any
    created: float
    phase: float
    parsed: Parsed
    api_version: str
    faults: frozenset[str]
    failing: list[bool]
    cancel_at: float | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    materialized: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def failed_validation(self) -> bool:
        return bool(self.parsed.errors) or "token-limit" in self.faults

    @property
    def total(self) -> int:
        return len(self.parsed.lines)

    def rows_at(self, elapsed: float) -> int:
        """Rows run ``elapsed`` seconds after create (in input order)."""
        if self.failed_validation or elapsed < self.phase:
            return 0
        share = min(1.0, (elapsed - self.phase) / (2 * self.phase))
        done = math.floor(self.total * share)
        if self.faults & {"stall", "expired"}:
            done = min(done, self.total // 2)
        return done

    def snapshot(self, now: float) -> Snapshot:
        elapsed, start, phase = now - self.created, self.created, self.phase
        times: dict[str, float | None] = dict.fromkeys(_TIMES)
        if self.cancel_at is not None:
            cancel = self.cancel_at
            if cancel >= phase and not self.failed_validation:
                times["in_progress_at"] = start + phase
            times["cancelling_at"] = start + cancel
            done = self.rows_at(cancel)
            if elapsed < cancel + phase:
                return Snapshot("cancelling", done, times)
            times["cancelled_at"] = start + cancel + phase
            return Snapshot("cancelled", done, times)
        if elapsed < phase:
            return Snapshot("validating", 0, times)
        if self.failed_validation:
            times["failed_at"] = start + phase
            return Snapshot("failed", 0, times)
        times["in_progress_at"] = start + phase
        if elapsed < 3 * phase or "stall" in self.faults:
            return Snapshot("in_progress", self.rows_at(elapsed), times)
        if "expired" in self.faults:
            times["expired_at"] = start + 3 * phase
            return Snapshot("expired", self.rows_at(elapsed), times)
        times["finalizing_at"] = start + 3 * phase
        if elapsed < 4 * phase:
            return Snapshot("finalizing", self.total, times)
        times["completed_at"] = start + 4 * phase
        return Snapshot("completed", self.total, times)

    def errors(self) -> list[dict[str, Any]]:
        if self.parsed.errors:
            return self.parsed.errors
        deployment = self.parsed.model or "gpt-4-batch"
        message = (
            "The number of enqueued tokens has surpassed the configured limit of 30K for the"
            f" deployment '{deployment}'. Please either increase the limit or try again once"
            " the current jobs have finished."
        )
        return [batch_lines.error("token_limit_exceeded", message)]

    def request_counts(self, snap: Snapshot) -> dict[str, int | None]:
        if snap.status == "failed":
            return {"total": self.parsed.total, "completed": None, "failed": None}
        if snap.status == "validating":
            return {"total": 0, "completed": 0, "failed": 0}
        failed = sum(self.failing[: snap.done])
        if snap.status == "expired":
            failed += self.total - snap.done
        return {"total": self.total, "completed": snap.done - sum(self.failing[: snap.done]),
                "failed": failed}  # fmt: skip

    def wire(self, snap: Snapshot) -> dict[str, Any]:
        """The batch object, in the doc variant its faults ask for."""
        empty_ids = "empty-ids" in self.faults
        iso = "iso-times" in self.faults

        def when(value: float | None) -> int | str | None:
            if value is None:
                return None
            if iso:
                moment = datetime.fromtimestamp(value, timezone.utc)
                return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0+00:00"
            return int(value)

        def file_id(value: str | None) -> str | None:
            return "" if value is None and empty_ids else value

        status = snap.status
        if "capital-status" in self.faults:
            status = _CAPITALISED[status]
        errors = None
        if snap.status == "failed":
            errors = {"object": "list", "data": self.errors()}
        return {
            "id": self.id,
            "object": "batch",
            "endpoint": None if empty_ids else self.endpoint,
            "errors": errors,
            "input_file_id": self.input_file_id,
            "completion_window": self.completion_window,
            "status": status,
            "output_file_id": file_id(self.output_file_id),
            "error_file_id": file_id(self.error_file_id),
            "created_at": when(self.created),
            "expires_at": when(self.created + _DAY_S),
            **{name: when(value) for name, value in snap.times.items()},
            "request_counts": self.request_counts(snap),
            "metadata": self.metadata,
        }

    def outputs(self, snap: Snapshot) -> tuple[bytes, bytes]:
        """The output and error files' bytes for the rows run (output lines shuffled)."""
        deployment = self.parsed.model or ""
        good: list[bytes] = []
        bad: list[bytes] = []
        for index, line in enumerate(self.parsed.lines):
            if index >= snap.done:
                if snap.status == "expired":
                    bad.append(_line_bytes(batch_lines.expired_line(line.custom_id)))
                continue
            if self.failing[index] and not line.fault:  # the partial fault
                status, body = batch_lines.fault_body("500", self.api_version)
            else:
                status, body = batch_lines.answer(line, deployment, self.api_version)
            (good if status == 200 else bad).append(
                _line_bytes(batch_lines.output_line(line.custom_id, status, body))
            )
        shuffled = good[:]
        random.Random(self.id).shuffle(shuffled)
        if shuffled == good:  # never the input order: clients must match on custom_id
            shuffled = good[1:] + good[:1]
        return b"".join(shuffled), b"".join(bad)


def _line_bytes(item: dict[str, Any]) -> bytes:
    return json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


class BatchApi:
    """Files and batches of one emulator, shared by the server and the test thread."""

    def __init__(self, phase_s: float) -> None:
        self.start_phase_s = phase_s
        self.phase_s = phase_s
        self._lock = threading.Lock()
        self.files = FileStore()
        self.batches: dict[str, Batch] = {}
        self._fault_counts: dict[str, int] = {}

    def reset(self) -> None:
        with self._lock:
            self.files = FileStore()
            self.batches.clear()
            self._fault_counts.clear()
            self.phase_s = self.start_phase_s

    def file_bytes(self, file_id: str) -> bytes:
        """A file's content (tests read uploads and outputs without a request)."""
        with self._lock:
            return self.files.get(file_id).data

    def _take(self, specs: list[tuple[str, str, int | None]]) -> frozenset[str]:
        active: set[str] = set()
        with self._lock:
            for spec, name, count in specs:
                seen = self._fault_counts.get(spec, 0)
                self._fault_counts[spec] = seen + 1
                if count is None or seen < count:
                    active.add(name)
        return frozenset(active)

    async def view(self, batch: Batch) -> dict[str, Any]:
        """The batch now; makes its output files on the first read after it ended."""
        snap = batch.snapshot(time.time())
        if snap.status in ("completed", "cancelled", "expired") and not batch.materialized:
            await asyncio.to_thread(self._materialize, batch, snap)
        return batch.wire(snap)

    def _materialize(self, batch: Batch, snap: Snapshot) -> None:
        with batch.lock:
            if batch.materialized:
                return
            good, bad = batch.outputs(snap)
            with self._lock:
                if snap.status == "completed" or good:
                    batch.output_file_id = self.files.add_output(
                        f"{batch.id}_output.jsonl", good
                    ).id
                if snap.status == "completed" or bad:
                    batch.error_file_id = self.files.add_output(f"{batch.id}_error.jsonl", bad).id
            batch.materialized = True

    # --- routes ----------------------------------------------------------------------

    def routes(self, deny: Callable[[Request], Response | None]) -> list[Route]:
        """The /files and /batches routes on the classic and the v1 paths."""
        out: list[Route] = []
        for prefix, v1 in (("/openai", False), ("/openai/v1", True)):
            handlers: list[tuple[str, Callable[[Request, bool], Awaitable[Response]], str]] = [
                ("/files", self._upload, "POST"),
                ("/files", self._list_files, "GET"),
                ("/files/{file_id}", self._get_file, "GET"),
                ("/files/{file_id}", self._delete_file, "DELETE"),
                ("/files/{file_id}/content", self._file_content, "GET"),
                ("/batches", self._create, "POST"),
                ("/batches", self._list_batches, "GET"),
                ("/batches/{batch_id}", self._get_batch, "GET"),
                ("/batches/{batch_id}/cancel", self._cancel, "POST"),
            ]
            by_path: dict[str, dict[str, Callable[[Request, bool], Awaitable[Response]]]] = {}
            for path, handler, method in handlers:
                by_path.setdefault(path, {})[method] = handler
            for path, methods in by_path.items():
                out.append(
                    Route(
                        prefix + path,
                        _endpoint(methods, v1, deny),
                        methods=list(methods),
                    )
                )
        return out

    async def _upload(self, request: Request, v1: bool) -> Response:
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_FILE_BYTES + _MULTIPART_ROOM:
            raise FileError(400, "invalidPayload", "The file is larger than the 200 MB limit.")
        try:
            async with request.form(max_files=1, max_fields=20) as form:
                purpose, filename, data, seconds, has_expiry = await read_upload(form)
        except FileError:
            raise
        except Exception as exc:  # a body python-multipart cannot parse
            raise FileError(
                400, "invalidPayload", f"The multipart body is invalid: {exc}"
            ) from None
        pending = 0.0 if v1 else self.phase_s
        bad_line = await asyncio.to_thread(first_bad_line, data) if purpose == "batch" else None
        with self._lock:
            stored = self.files.add_upload(
                purpose, filename, data, seconds, has_expiry, pending, bad_line
            )
            body = stored.wire(time.time())
        if v1:
            return JSONResponse(body)
        location = request.url.replace(path=f"{request.url.path}/{stored.id}")
        return JSONResponse(body, 201, {"Location": str(location)})

    async def _list_files(self, request: Request, v1: bool) -> Response:
        purpose = request.query_params.get("purpose")
        with self._lock:
            return JSONResponse(self.files.list(purpose, time.time()))

    async def _get_file(self, request: Request, v1: bool) -> Response:
        with self._lock:
            return JSONResponse(self.files.get(request.path_params["file_id"]).wire(time.time()))

    async def _delete_file(self, request: Request, v1: bool) -> Response:
        with self._lock:
            return JSONResponse(self.files.delete(request.path_params["file_id"]))

    async def _file_content(self, request: Request, v1: bool) -> Response:
        with self._lock:
            data = self.files.get(request.path_params["file_id"]).data
        return Response(data, media_type="application/octet-stream")

    async def _create(self, request: Request, v1: bool) -> Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise FileError(400, "invalidPayload", "The request body must be a JSON object.")
        for required in ("input_file_id", "endpoint", "completion_window"):
            if not isinstance(body.get(required), str) or not body[required]:
                raise FileError(400, "invalidPayload", f"Missing required property '{required}'.")
        metadata = body.get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            raise FileError(400, "invalidPayload", "'metadata' must be an object.")
        file_id = body["input_file_id"]
        with self._lock:
            source = self.files.files.get(file_id)
            phase = self.phase_s
        if source is None:
            raise not_found(file_id)
        if source.purpose != "batch":
            raise FileError(
                400,
                "invalidPayload",
                f"The file '{file_id}' has purpose '{source.purpose}', not 'batch'.",
            )
        parsed = await asyncio.to_thread(
            batch_lines.validate, source.data, body["completion_window"]
        )
        fault_text = "+".join(
            text
            for text in (
                (parsed.model or "").removeprefix(batch_lines.FAULT_PREFIX)
                if (parsed.model or "").startswith(batch_lines.FAULT_PREFIX)
                else "",
                str((metadata or {}).get(METADATA_FAULT_KEY) or ""),
            )
            if text
        )
        try:
            specs = parse_faults(fault_text) if fault_text else []
        except ValueError as exc:
            return JSONResponse(
                {"error": {"code": "UnknownEmulatorFault", "message": str(exc)}}, 400
            )
        faults = self._take(specs)
        if "token-limit-create" in faults:
            message = (
                "Batch creation failed (token_limit_exceeded): the enqueued token quota of"
                f" deployment '{parsed.model}' is full. Retry with exponential backoff once"
                " current jobs have finished."
            )
            return JSONResponse(
                {"error": {"code": "token_limit_exceeded", "message": message}}, 400
            )
        lines = parsed.lines
        failing = [
            batch_lines.row_fails(line) or ("partial" in faults and n % 3 == 2)
            for n, line in enumerate(lines)
        ]
        batch = Batch(
            id=f"batch_{uuid.uuid4()}",
            input_file_id=file_id,
            endpoint=body["endpoint"],
            completion_window=body["completion_window"],
            metadata=metadata,
            created=time.time(),
            phase=phase,
            parsed=parsed,
            api_version=request.query_params.get("api-version", ""),
            faults=faults,
            failing=failing,
        )
        with self._lock:
            self.batches[batch.id] = batch
        if "lost-create" in faults:
            return JSONResponse({"statusCode": 504, "message": "Gateway timeout"}, 504)
        return JSONResponse(await self.view(batch))

    def _batch(self, batch_id: str) -> Batch:
        with self._lock:
            batch = self.batches.get(batch_id)
        if batch is None:
            raise FileError(404, "notFound", f"Batch '{batch_id}' was not found.")
        return batch

    async def _get_batch(self, request: Request, v1: bool) -> Response:
        return JSONResponse(await self.view(self._batch(request.path_params["batch_id"])))

    async def _list_batches(self, request: Request, v1: bool) -> Response:
        limit_text = request.query_params.get("limit", "20")
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= _MAX_LIST:
            raise FileError(400, "invalidPayload", f"'limit' must be between 1 and {_MAX_LIST}.")
        with self._lock:
            ordered = list(reversed(self.batches.values()))
        order = request.query_params.get("$orderby", "created_at desc").strip().lower()
        if order not in ("created_at desc", "created_at asc", "created_at"):
            raise FileError(400, "invalidPayload", f"Unsupported $orderby {order!r}.")
        if order != "created_at desc":
            ordered.reverse()
        keep = _filter(request.query_params.get("$filter", ""))
        now = time.time()
        ordered = [b for b in ordered if all(test(b, b.snapshot(now)) for test in keep)]
        after = request.query_params.get("after")
        if after:
            ids = [b.id for b in ordered]
            if after not in ids:
                raise FileError(404, "notFound", f"Batch '{after}' was not found.")
            ordered = ordered[ids.index(after) + 1 :]
        page = ordered[: int(limit_text)]
        data = [await self.view(batch) for batch in page]
        return JSONResponse(
            {
                "object": "list",
                "data": data,
                "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None,
                "has_more": len(ordered) > len(page),
            }
        )

    async def _cancel(self, request: Request, v1: bool) -> Response:
        batch = self._batch(request.path_params["batch_id"])
        now = time.time()
        with batch.lock:
            snap = batch.snapshot(now)
            if snap.status in ("validating", "in_progress"):
                batch.cancel_at = now - batch.created
            elif snap.status not in ("cancelling", "cancelled"):
                raise FileError(
                    409, "conflict", f"Cannot cancel a batch with status '{snap.status}'."
                )
        return JSONResponse(await self.view(batch))


_CLAUSE = re.compile(
    r"(?:created_at\s+(gt|ge|lt|le)\s+(\d+)|status\s+eq\s+'(\w+)')\Z", re.IGNORECASE
)
_COMPARE: dict[str, Callable[[float, int], bool]] = {
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
}


def _filter(text: str) -> list[Callable[[Batch, Snapshot], bool]]:
    """The preview ``$filter`` (``created_at gt <unix> and status eq 'Completed'``) as tests;
    FileError for any other clause."""
    tests: list[Callable[[Batch, Snapshot], bool]] = []
    clauses = re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE) if text.strip() else []
    for clause in clauses:
        match = _CLAUSE.match(clause.strip())
        if match is None:
            raise FileError(400, "invalidPayload", f"Unsupported $filter clause {clause!r}.")
        op, number, status = match.groups()
        tests.append(_status_is(status) if status is not None else _created(op, int(number)))
    return tests


def _status_is(status: str) -> Callable[[Batch, Snapshot], bool]:
    wanted = status.lower().replace("_", "")  # 'Completed', 'InProgress', 'in_progress'
    return lambda batch, snap: snap.status.replace("_", "") == wanted


def _created(op: str, bound: int) -> Callable[[Batch, Snapshot], bool]:
    compare = _COMPARE[op.lower()]
    return lambda batch, snap: compare(int(batch.created), bound)


def _endpoint(
    methods: dict[str, Callable[[Request, bool], Awaitable[Response]]],
    v1: bool,
    deny: Callable[[Request], Response | None],
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        denied = deny(request)
        if denied is not None:
            return denied
        if not v1:
            version = request.query_params.get("api-version", "")
            if not version:
                message = (
                    "The api-version query parameter (?api-version=) is required for all requests."
                )
                return JSONResponse(
                    {"error": {"code": "MissingApiVersionParameter", "message": message}}, 400
                )
            if version[:10] < _FIRST_BATCH_VERSION:
                return JSONResponse(
                    {"error": {"code": "404", "message": "Resource not found"}}, 404
                )
        try:
            return await methods[request.method](request, v1)
        except FileError as exc:
            return JSONResponse(exc.body, exc.status)

    return endpoint
