"""``submit_batch``, ``BatchJob`` and ``list_batches``: the sync surface over the service.

``submit_batch`` checks the template against the columns (as ``map_rows`` does, before
anything is sent), then per part of the input file (``jsonl.py``): builds it in a worker
thread, uploads it, waits until the service has processed it, and creates a job — and
writes the local record (``record.py``) after each job, so what was created is never
lost, even when a later part fails. All network work runs on the SDK's loop thread
(``jupyter/runtime.py``, the kernel's in Jupyter); the calling thread only waits, so
Ctrl-C is noticed at once.

``BatchJob.wait`` polls politely: at most once a minute against a real gateway (the
docs' advice). Against a loopback endpoint — the emulator, whose jobs take seconds, but
maybe a tunnel or proxy to a real gateway — it starts at ``LOCAL_POLL_S`` and slows down
to once a minute too. Ctrl-C while waiting detaches — the job keeps running on Azure —
and says how to come back (``BatchJob.attach(id)`` or ``%azure batch status ID``).

A job that fails validation with ``token_limit_exceeded`` only (the enqueued-token
quota was full when it was validated) is created again from the same input file with
exponential backoff from 5 s, as the docs advise; after ``token_limit_tries`` creations
it is a ``BatchQuotaError``. Any other validation failure is a ``BatchValidationError``
naming each failing line.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import importlib
import sys
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import anyio
import anyio.to_thread

from .._internal.failures import batch_quota_exhausted, batch_validation_failed
from ..errors import APIStatusError, AzureOpenAIError, BatchRowError, ConfigurationError
from ..options import AzureOpenAIOptions
from ..structured import OutputFormat, compile_output_format
from ..templates import PromptTemplate, TemplateError
from . import record as records
from .jsonl import MAX_BYTES, MAX_LINES, Part, Skipped, body_maker, build_parts, line_url
from .objects import ORDER, TERMINAL, BatchInfo, FileInfo
from .record import PartRecord, Record
from .results import BatchStats, Kept, parse_line, position_of, read_answer
from .service import TOKEN_LIMIT_FIRST_WAIT_S, TOKEN_LIMIT_TRIES, BatchService

T = TypeVar("T")

REMOTE_POLL_S = 60.0
"""The docs ask for at most one status request a minute per job."""
LOCAL_POLL_S = 0.2
"""The first wait against a loopback endpoint (the emulator runs a job in about a second)."""
LOCAL_POLL_GROWTH = 1.5
"""Each loopback wait is this much longer, up to ``REMOTE_POLL_S`` (after about 3 minutes):
a loopback endpoint may be a tunnel to a real gateway."""
FILE_POLL_S = (2.0, 15.0)
"""Waiting for an uploaded file to be processed: from 2 s, growing to 15 s."""
FILE_WAIT_LIMIT_S = 3600.0


@dataclass(frozen=True)
class BatchLimits:
    """Knobs with the service's values as defaults; tests make them small."""

    max_lines: int = MAX_LINES
    max_bytes: int = MAX_BYTES
    token_limit_first_wait_s: float = TOKEN_LIMIT_FIRST_WAIT_S
    token_limit_tries: int = TOKEN_LIMIT_TRIES
    poll_s: float | None = None  # None: by the endpoint (see REMOTE_POLL_S, LOCAL_POLL_S)


def _loopback(endpoint: str) -> bool:
    host = urlsplit(endpoint).hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")


def poll_seconds(endpoint: str, limits: BatchLimits, polls: int = 0) -> float:
    """The wait after status poll number ``polls`` (from 0): never under a minute against
    a real gateway; against loopback from ``LOCAL_POLL_S`` growing to a minute."""
    if not _loopback(endpoint):
        return max(REMOTE_POLL_S, limits.poll_s or 0.0)
    if limits.poll_s is not None:
        return limits.poll_s
    return min(LOCAL_POLL_S * LOCAL_POLL_GROWTH**polls, REMOTE_POLL_S)


@dataclass(frozen=True)
class BatchStatus:
    """Jobs per state, and the requests done so far over all jobs."""

    states: dict[str, int]
    total: int
    completed: int
    failed: int

    @property
    def done(self) -> bool:
        """Every job is in a final state (completed, failed, expired or cancelled)."""
        return bool(self.states) and all(s in TERMINAL for s in self.states)

    def __getitem__(self, state: str) -> int:
        return self.states.get(state, 0)

    def __repr__(self) -> str:
        return f"<BatchStatus {self}>"

    def __str__(self) -> str:
        jobs = sum(self.states.values())
        known = [s for s in ORDER if s in self.states]
        shown = ", ".join(
            f"{self.states[s]} {s}" for s in [*known, *sorted(set(self.states) - set(known))]
        )
        failed = f", {self.failed:,} failed" if self.failed else ""
        return (
            f"{jobs} job{'s' if jobs != 1 else ''}: {shown} · {self.completed + self.failed:,}"
            f" of {self.total:,} requests done{failed}"
        )


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on the SDK's loop thread; this thread waits (Ctrl-C cancels it)."""
    from ..jupyter.runtime import get_runtime

    if threading.current_thread().name == "jupyter-azure-ai-loop":
        coro.close()
        raise RuntimeError(
            "the batch API waits for the SDK's loop thread, and this code runs on it (a @tool?)"
        )
    future = get_runtime().submit(coro)
    try:
        while True:
            try:
                return future.result(timeout=0.1)
            except concurrent.futures.TimeoutError:
                continue
    except KeyboardInterrupt:
        future.cancel()
        raise


def _output_format(spec: Any) -> OutputFormat | None:
    return None if spec is None else compile_output_format(spec)


class BatchJob:
    """One ``submit_batch`` call: one Azure batch job per part of the input.

    ``id`` is the first job's id (what ``attach`` takes), ``ids`` every job's.
    """

    def __init__(
        self,
        rec: Record,
        options: AzureOpenAIOptions,
        *,
        output_format: Any = None,
        limits: BatchLimits | None = None,
    ) -> None:
        self._record = rec
        self._options = options
        self._limits = limits or BatchLimits()
        if output_format is None and rec.schema is not None:
            output_format = {"type": "json_schema", **rec.schema}
        self._output = _output_format(output_format)
        self._retry_at: dict[int, float] = {}  # part -> when to create it again
        self._counts: dict[int, tuple[int, int, int]] = {}  # part -> (total, completed, failed)
        self._validation: dict[int, BatchInfo] = {}  # parts that failed validation
        self._last = BatchStatus(self.last_status, rec.rows, 0, 0)
        self._cancelled = False

    # --- what it is ------------------------------------------------------------------

    @property
    def id(self) -> str:
        return self._record.id

    @property
    def ids(self) -> list[str]:
        return self._record.ids

    @property
    def rows(self) -> int:
        return self._record.rows

    @property
    def deployment(self) -> str:
        return self._record.deployment

    @property
    def created_at(self) -> float:
        return self._record.created_at

    @property
    def last_status(self) -> dict[str, int]:
        """Jobs per state as last seen (no request)."""
        states: dict[str, int] = {}
        for part in self._record.parts:
            states[part.status] = states.get(part.status, 0) + 1
        return states

    def __repr__(self) -> str:
        jobs = len(self.ids)
        seen = ", ".join(f"{n} {s}" for s, n in self.last_status.items())
        return (
            f"<BatchJob {self.id}: {self.rows:,} rows, {jobs} job{'s' if jobs != 1 else ''}"
            f" on {self.deployment} ({seen})>"
        )

    @classmethod
    def attach(
        cls,
        batch_id: str,
        options: AzureOpenAIOptions | None = None,
        *,
        output_format: Any = None,
        limits: BatchLimits | None = None,
    ) -> BatchJob:
        """The job ``batch_id`` (the first job's id, or any of its jobs'), from the local
        record; a job submitted elsewhere is read from the service (its rows then have
        positions ``0..n-1`` as index, and only that job's rows: a split submission's
        other jobs are attached by their own ids). ``output_format``: the class the structured
        answers become (without it they are dicts, checked against the recorded schema)."""
        options = options if options is not None else AzureOpenAIOptions.from_env()
        rec = records.find(batch_id)
        if rec is not None:
            mine = records.public_endpoint(options.endpoint)
            if urlsplit(mine).netloc != urlsplit(rec.endpoint).netloc:
                raise ConfigurationError(
                    f"batch {batch_id} was submitted to {rec.endpoint}, and these options point"
                    f" at {mine}: pass options for that endpoint"
                )
            return cls(rec, options, output_format=output_format, limits=limits)
        info = _run(_get(options, batch_id))
        rec = Record(
            id=info.id or batch_id,
            endpoint=records.public_endpoint(options.endpoint),
            deployment=options.settings.batch_deployment,
            rows=info.total,
            remote=True,
            parts=[
                PartRecord(
                    info.id or batch_id,
                    info.input_file_id or "",
                    0,
                    max(info.total - 1, 0),
                    info.total,
                    info.status,
                    custom_base=_first_row(info),
                )
            ],
        )
        if info.created_at is not None:
            rec.created_at = info.created_at
        if output_format is not None:
            out = compile_output_format(output_format)
            rec.fields = list(out.schema.get("properties", {}))
        records.save(rec)
        return cls(rec, options, output_format=output_format, limits=limits)

    # --- status ----------------------------------------------------------------------

    def status(self) -> BatchStatus:
        """Ask the service for every unfinished job; counts per state over all jobs."""
        return _run(self._refresh())

    async def _refresh(self) -> BatchStatus:
        async with BatchService(self._options) as service:
            return await self._refresh_with(service)

    async def _refresh_with(self, service: BatchService) -> BatchStatus:
        rec = self._record
        total = completed = failed = 0
        changed = False
        for n, part in enumerate(rec.parts):
            if part.status not in TERMINAL or n not in self._counts:
                info = await service.get(part.batch_id)
                if info.status == "failed" and self._token_limited(info) and self._cancelled:
                    info = dataclasses.replace(info, status="cancelled")  # not created again
                elif info.status == "failed" and self._token_limited(info):
                    changed = await self._again(service, n, part, info) or changed
                    info = dataclasses.replace(info, status=part.status)
                elif info.status == "failed":
                    self._validation[n] = info
                self._counts[n] = (info.total or part.lines, info.completed, info.failed)
                if part.status != info.status:
                    part.status = info.status
                    changed = True
            t, c, f = self._counts[n]
            total, completed, failed = total + t, completed + c, failed + f
        if changed:
            records.save(rec)
        return BatchStatus(self.last_status, total, completed, failed)

    @staticmethod
    def _token_limited(info: BatchInfo) -> bool:
        codes = [str(e.get("code") or "") for e in info.errors if isinstance(e, dict)]
        return bool(codes) and all(c == "token_limit_exceeded" for c in codes)

    async def _again(
        self, service: BatchService, n: int, part: PartRecord, info: BatchInfo
    ) -> bool:
        """A job refused for the enqueued-token quota: create it again after a backoff."""
        limits = self._limits
        if part.tries >= limits.token_limit_tries:
            cause = APIStatusError(
                "token_limit_exceeded", status_code=400, body={"error": info.errors[0]}
            )
            waited = sum(limits.token_limit_first_wait_s * 2**i for i in range(part.tries - 1))
            raise batch_quota_exhausted(self.deployment, part.tries, waited, cause)
        due = self._retry_at.setdefault(
            n, time.monotonic() + limits.token_limit_first_wait_s * 2 ** (part.tries - 1)
        )
        if time.monotonic() < due:
            part.status = "validating"  # waiting to be created again: not final
            return False
        del self._retry_at[n]
        new = await service.create(part.input_file_id, self._metadata(n))
        part.earlier_ids.append(part.batch_id)
        part.batch_id, part.status = new.id, new.status
        part.tries += 1
        return True

    def _metadata(self, n: int) -> dict[str, str]:
        part = self._record.parts[n]
        return _metadata(self._record.id, n + 1, part.first)

    # --- waiting ---------------------------------------------------------------------

    def wait(self, progress: bool = True) -> BatchStatus:
        """Poll until every job is final; return the last status.

        ``progress``: a tqdm bar of requests done. Polls at most once a minute against a
        real gateway. Ctrl-C detaches: the jobs keep running, the status so far is
        returned and a line says how to attach again. Raises ``BatchValidationError``
        when a job failed validation (each failing line named) and ``BatchQuotaError``
        when the enqueued-token quota stayed full.
        """
        bar = _progress_bar(progress)
        try:
            return self.follow(None if bar is None else lambda status: _update(bar, status))
        except KeyboardInterrupt:
            print(self.detached_note(), file=sys.stderr)
            return self._last
        finally:
            if bar is not None:
                bar.close()

    def follow(self, on_status: Callable[[BatchStatus], None] | None = None) -> BatchStatus:
        """``wait`` without the bar: ``on_status`` sees each poll's status (the magic's
        display); Ctrl-C is left to the caller (``KeyboardInterrupt``)."""
        polls = 0
        while True:
            self._last = _run(self._refresh())
            if on_status is not None:
                on_status(self._last)
            if self._last.done and not self._retry_at:
                break
            _sleep(poll_seconds(self._options.endpoint, self._limits, polls))
            polls += 1
        self._raise_validation()
        return self._last

    def detached_note(self) -> str:
        return (
            f"detached: the batch keeps running on Azure; come back with"
            f" BatchJob.attach({self.id!r}) or %azure batch status {self.id}"
        )

    def _raise_validation(self) -> None:
        for n, info in sorted(self._validation.items()):
            part = self._record.parts[n]
            raise batch_validation_failed(
                info.id, info.errors, detail="the job failed", first_line=part.first
            )

    # --- results and cancel ------------------------------------------------------------

    def results(self) -> Any:
        """The answers, as ``map_rows`` returns them for the same data and template.

        A Series of answer text aligned with the data's index — or, with an
        ``output_format``, a DataFrame with one column per field — plus an ``error``
        column only if some row failed (rows a cancelled or expired job never ran carry
        a ``BatchRowError``). ``result.attrs["azure_batch"]`` holds the totals
        (``BatchStats``: tokens and cost at the Batch price). Raises when a job is not
        finished yet or failed validation.
        """
        status = self.status()
        if not status.done or self._retry_at:
            raise AzureOpenAIError(
                f"batch {self.id} is not finished ({status}); wait() for it first"
            )
        self._raise_validation()
        items, stats = _run(self._collect())
        return self._assemble(items, stats)

    async def _collect(self) -> tuple[list[Kept | None], BatchStats]:
        rec = self._record
        items: list[Kept | None] = [None] * rec.rows
        stats = BatchStats(total=rec.rows, jobs=len(rec.parts))
        settings = self._options.settings
        pricing = settings.pricing
        ended: list[float] = []
        async with BatchService(self._options) as service:
            infos = [await service.get(part.batch_id) for part in rec.parts]
            if rec.remote:  # attached by id: the row count is the service's
                rec.rows = sum(
                    max(info.total, part.lines) for info, part in zip(infos, rec.parts, strict=True)
                )
                items = [None] * rec.rows
                stats.total = rec.rows
                first = 0
                for info, part in zip(infos, rec.parts, strict=True):
                    part.first, part.lines = first, max(info.total, part.lines)
                    part.last = first + part.lines - 1
                    first += part.lines
                records.save(rec)
            for part, info in zip(rec.parts, infos, strict=True):
                if info.finished_at is not None:
                    ended.append(info.finished_at)
                shift = 0 if part.custom_base is None else part.first - part.custom_base
                for file_id in (info.output_file_id, info.error_file_id):
                    if file_id is None:
                        continue
                    async for raw in service.lines(file_id):
                        line = parse_line(raw)
                        position = None
                        if line is not None:
                            position = position_of(line, rec.rows, shift)
                        if line is None or position is None:
                            continue
                        kept, usage, cost = read_answer(line, self._output, rec.deployment, pricing)
                        items[position] = kept
                        stats.add_usage(usage, cost)
                why = {"cancelled": "was cancelled", "expired": "expired"}.get(
                    info.status, "returned no line for it"
                )
                for position in range(part.first, part.last + 1):
                    if items[position] is None:
                        items[position] = (
                            None,
                            None,
                            BatchRowError(
                                f"not run: batch job {part.batch_id} {why} before this row",
                                code=f"not_run_{info.status}",
                            ),
                        )
        for position, why in rec.skipped:
            items[position] = (None, None, TemplateError(why))
        for item in items:
            if item is None:
                continue
            if item[2] is None:
                stats.ok += 1
            elif isinstance(item[2], BatchRowError) and (item[2].code or "").startswith("not_run"):
                stats.not_run += 1
            else:
                stats.failed += 1
        if ended:
            stats.seconds = max(ended) - rec.created_at
        return items, stats

    def _assemble(self, items: list[Kept | None], stats: BatchStats) -> Any:
        from ..mapping import _assemble

        rec = self._record
        index = records.load_index(rec)
        shape = _Shape(index, rec.rows)
        result = _assemble(items, shape, rec.fields, stats)  # type: ignore[arg-type]
        result.attrs.pop("azure_map", None)
        result.attrs["azure_batch"] = stats
        return result

    def cancel(self) -> BatchStatus:
        """Cancel every unfinished job (rows already answered are still returned)."""
        return _run(self._cancel())

    async def _cancel(self) -> BatchStatus:
        self._cancelled = True
        async with BatchService(self._options) as service:
            for part in self._record.parts:
                if part.status in TERMINAL:
                    continue
                try:
                    info = await service.cancel(part.batch_id)
                except APIStatusError as exc:
                    if exc.status_code != 409:  # 409: it finished meanwhile
                        raise
                    continue
                part.status = info.status
            self._retry_at.clear()
            records.save(self._record)
            return await self._refresh_with(service)


@dataclass
class _Shape:
    """What ``mapping._assemble`` reads of the data: its index and row count."""

    index: Any
    count: int


def _progress_bar(progress: bool) -> Any:
    if not progress:
        return None
    tqdm = importlib.import_module("tqdm.auto").tqdm
    return tqdm(total=0, unit="request", desc="azure batch")


def _update(bar: Any, status: BatchStatus) -> None:
    if bar.total != status.total:  # known once the service has read the file
        bar.reset(total=status.total)
    bar.n = status.completed + status.failed
    bar.set_postfix_str(", ".join(f"{n} {s}" for s, n in status.states.items()), refresh=False)
    bar.refresh()


def _sleep(seconds: float) -> None:
    """Sleep in short steps, so Ctrl-C is noticed at once."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        time.sleep(min(left, 0.1))


def _metadata(group: str, part: int, first_row: int) -> dict[str, str]:
    """The job's ``metadata``: which submission and part it is (no data, no secret)."""
    return {"jupyter_azure_ai": group, "part": str(part), "first_row": str(first_row)}


def _first_row(info: BatchInfo) -> int | None:
    """The custom_id of a job's first line, from the metadata ``submit_batch`` gave it
    (None: not one of ours, or its first part — its custom_ids start at 0)."""
    first = str(info.metadata.get("first_row") or "")
    if "jupyter_azure_ai" not in info.metadata or not first.isdigit() or first == "0":
        return None
    return int(first)


async def _get(options: AzureOpenAIOptions, batch_id: str) -> BatchInfo:
    async with BatchService(options) as service:
        return await service.get(batch_id)


# --- submit ------------------------------------------------------------------------------


def submit_batch(
    data: Any,
    template: str | PromptTemplate,
    options: AzureOpenAIOptions | None = None,
    *,
    output_format: Any = None,
    limits: BatchLimits | None = None,
) -> BatchJob:
    """Send one request per row of ``data`` to the Azure OpenAI Batch API; return the job.

    ``data`` and ``template`` as for ``map_rows`` (a field that is not a column raises
    ``TemplateError`` before anything is sent). The rows go to ``options.batch_model``
    (a Global-Batch deployment; default ``options.model``) as JSONL uploaded through
    ``/files`` — split into several files and jobs past 100,000 lines or 200 MB — and a
    ``/batches`` job per file (``completion_window: "24h"``), on the same endpoint,
    credentials and headers as chat. ``limits``: smaller split thresholds and waits
    (tests). Returns once every job is created; ``wait()`` then ``results()``.
    """
    from ..mapping import _prompts, prepare

    parsed, rows = prepare(data, template)
    if rows.count == 0:
        raise ConfigurationError("submit_batch: the data has no rows; nothing was sent")
    options = options if options is not None else AzureOpenAIOptions.from_env()
    if output_format is not None:
        options = dataclasses.replace(options, output_format=output_format)
    output = _output_format(options.output_format)
    limits = limits or BatchLimits()
    rec = Record(
        id="",
        endpoint=records.public_endpoint(options.endpoint),
        deployment=options.settings.batch_deployment,
        rows=rows.count,
        fields=list(output.schema.get("properties", {})) if output else None,
        schema={"name": output.name, "schema": output.original} if output else None,
        template=parsed.source.strip().splitlines()[0][:120] if parsed.source.strip() else "",
    )
    job = BatchJob(rec, options, output_format=options.output_format, limits=limits)
    _run(_submit(job, _prompts(parsed, rows), rows.index, output, limits))
    return job


def _default_index(index: Any, count: int) -> bool:
    if index is None:
        return True
    start, stop, step = (getattr(index, k, None) for k in ("start", "stop", "step"))
    return type(index).__name__ == "RangeIndex" and (start, stop, step) == (0, count, 1)


async def _submit(
    job: BatchJob,
    prompts: Iterator[tuple[int, str | BaseException]],
    index: Any,
    output: OutputFormat | None,
    limits: BatchLimits,
) -> None:
    rec = job._record
    options = job._options
    group = uuid.uuid4().hex
    skipped = Skipped()
    async with BatchService(
        options,
        token_limit_first_wait_s=limits.token_limit_first_wait_s,
        token_limit_tries=limits.token_limit_tries,
    ) as service:
        settings = options.settings
        token_field = service.transport.capabilities.token_limit_field(settings.batch_deployment)
        extra = {"response_format": output.response_format()} if output else {}
        parts = build_parts(
            prompts,
            body_maker(settings, token_field, extra),
            line_url(service.v1),
            skipped,
            max_lines=limits.max_lines,
            max_bytes=limits.max_bytes,
        )
        try:
            n = 0
            while True:
                part: Part | None = await anyio.to_thread.run_sync(next, parts, None)
                if part is None:
                    break
                n += 1
                try:
                    name = f"jupyter-azure-ai-{group}-{n}.jsonl"
                    uploaded = await service.upload(part.file, name)
                finally:
                    part.close()
                await _processed(service, uploaded)
                info = await service.create(uploaded.id, _metadata(group, n, part.first))
                if not rec.id:
                    rec.id = info.id
                    if not _default_index(index, rec.rows):
                        records.save_index(rec, index)
                rec.parts.append(
                    PartRecord(info.id, uploaded.id, part.first, part.last, part.lines, info.status)
                )
                rec.skipped = [(p, str(e)) for p, e in skipped.rows]
                records.save(rec)
        except BaseException:
            if rec.parts:
                print(
                    f"{len(rec.parts)} batch job(s) were created before this failure and keep"
                    f" running: BatchJob.attach({rec.id!r}) · %azure batch cancel {rec.id}",
                    file=sys.stderr,
                )
            raise
        finally:
            parts.close()
    if not rec.parts:
        first = skipped.rows[0] if skipped.rows else None
        why = f": row {first[0]}: {first[1]}" if first else ""
        raise TemplateError(f"no row could be filled into the template{why}; nothing was sent")


async def _processed(service: BatchService, uploaded: FileInfo) -> FileInfo:
    """Wait until the service has processed an uploaded file (``error``: it refused it)."""
    info = uploaded
    local = _loopback(service.endpoint)
    wait = LOCAL_POLL_S if local else FILE_POLL_S[0]
    waited = 0.0
    while not info.done:
        if waited > FILE_WAIT_LIMIT_S:
            raise AzureOpenAIError(
                f"the service has not processed the uploaded file {info.id} after"
                f" {waited:,.0f} s (status {info.status})"
            )
        await anyio.sleep(wait)
        waited += wait
        wait = min(wait * 1.5, FILE_POLL_S[1])  # loopback too: it may be a tunnel
        info = await service.file(info.id)
    if info.status != "processed":
        raise batch_validation_failed(None, [], detail=info.details or f"the file is {info.status}")
    return info


# --- list ---------------------------------------------------------------------------------


def list_batches(options: AzureOpenAIOptions | None = None) -> list[BatchJob]:
    """The batch submissions of this machine's local record, newest first (no request).

    ``options`` (default: from the environment) are what the jobs' later calls use;
    only submissions to the same endpoint host are listed.
    """
    options = options if options is not None else AzureOpenAIOptions.from_env()
    host = urlsplit(records.public_endpoint(options.endpoint)).netloc
    return [
        BatchJob(rec, options)
        for rec in records.all_records()
        if rec.id and urlsplit(rec.endpoint).netloc == host
    ]
