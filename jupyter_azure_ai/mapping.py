"""One prompt over many rows: ``azure_map`` (async, no pandas) and ``map_rows`` (sync).

``azure_map(prompts)`` streams: prompts are pulled from the iterable only when a row
may be sent, answers come out in completion order as ``MapItem``s, and at most the
limiter's window of rows is in flight (bounded memory for any number of rows). Each
row is one single-turn query through the same turn loop as ``azure_query`` (so
``output_format`` and pricing apply as for one prompt), run with ``max_retries=0``:
the adaptive limiter (``_internal/limiter.py``) owns the waits after 429s and the
retries. A row that still fails carries its typed error; an authentication or
subscription-key failure — or a deployment with no quota — stops the whole run at
once with that one error, since every row would fail the same way.

Answers are cached on disk (``_internal/cache.py``) under a digest of (endpoint host,
deployment, exact request body), so a re-run pays only for rows not answered yet.

``map_rows(data, template)`` fills a ``PromptTemplate`` from each row of a DataFrame,
Series, list of dicts or list of str (``{value}`` for the last two), checks its fields
against the columns before anything is sent, runs ``azure_map`` on a loop thread (the
kernel's, in Jupyter) while the calling thread shows a tqdm bar, and returns results
aligned with the data's index. Ctrl-C stops at once and returns what finished.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import importlib
import json
import sys
import threading
import time
import uuid
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Iterable,
    Iterator,
    Mapping,
)
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import anyio

from ._internal import agent
from ._internal.cache import AnswerCache, CachedAnswer, clear_cache, request_key
from ._internal.failures import NO_QUOTA_RETRY_AFTER_S
from ._internal.limiter import MAX_429_PER_ROW, AdaptiveLimiter, Ticket, estimate_tokens
from ._internal.tool_calls import ToolSet
from ._internal.transport import (
    RETRY_STATUSES,
    AzureHTTPTransport,
    backoff_seconds,
    response_observer,
)
from .errors import (
    APIStatusError,
    AuthenticationError,
    AzureOpenAIError,
    CLIConnectionError,
    ConfigurationError,
    RateLimitError,
    UnauthorizedError,
)
from .options import AzureOpenAIOptions, QuerySettings, ToolSettings
from .structured import OutputFormat, compile_output_format
from .templates import PromptTemplate, TemplateError

__all__ = ["AnswerError", "MapItem", "MapStats", "azure_map", "clear_cache", "map_rows"]

PROGRESS_INTERVAL_S = 0.1  # at most ~10 progress updates a second
_STOP_GRACE_S = 1.0


@dataclass(frozen=True)
class MapItem:
    """One row's outcome. ``index``: the prompt's position in the input.

    ``text`` is the answer (None when the row failed), ``structured_output`` the parsed
    object when ``output_format`` is set, ``usage`` the tokens it cost (zero when
    ``cached``), ``error`` the typed error of a row that failed after its retries,
    ``attempts`` how many requests it took (0 from the cache), ``cost_usd`` its price
    when one is known.
    """

    index: int
    prompt: str
    text: str | None
    structured_output: Any = None
    usage: dict[str, int] = field(default_factory=dict)
    error: BaseException | None = None
    cached: bool = False
    attempts: int = 0
    cost_usd: float | None = None


@dataclass
class MapStats:
    """Running totals of a map (read by the progress bar and the summary line)."""

    total: int | None = None
    ok: int = 0
    failed: int = 0
    cached: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    requests: int = 0
    rate_limited: int = 0
    started: float = field(default_factory=time.perf_counter)
    finished: float | None = None
    interrupted: bool = False

    @property
    def done(self) -> int:
        return self.ok + self.failed

    @property
    def seconds(self) -> float:
        return (self.finished or time.perf_counter()) - self.started

    def add(self, item: MapItem) -> None:
        if item.error is not None:
            self.failed += 1
        else:
            self.ok += 1
        if item.cached:
            self.cached += 1
            return
        self.requests += item.attempts
        self.input_tokens += item.usage.get("input_tokens", 0)
        self.output_tokens += item.usage.get("output_tokens", 0)
        if item.cost_usd is not None:
            self.cost_usd = (self.cost_usd or 0.0) + item.cost_usd

    def postfix(self) -> str:
        """The progress bar's counters."""
        cost = f" · ${self.cost_usd:.4f}" if self.cost_usd is not None else ""
        tokens = self.input_tokens + self.output_tokens
        return (
            f"ok {self.ok} · failed {self.failed} · cached {self.cached} · {tokens:,} tokens"
            f"{cost} · 429s {self.rate_limited}"
        )

    def summary(self) -> str:
        """One line: rows ok / failed / cached, tokens, cost, 429s, wall time, rows/s."""
        seconds = self.seconds
        rate = self.done / seconds if seconds > 0 else 0.0
        cost = f"${self.cost_usd:.4f}" if self.cost_usd is not None else "cost unknown"
        if self.requests == 0 and self.cached:
            cost = "nothing spent"
        head = "interrupted: " if self.interrupted else ""
        of = f" of {self.total}" if self.total is not None else ""
        return (
            f"{head}{self.done}{of} rows: {self.ok} ok, {self.failed} failed, {self.cached} cached"
            f" · {self.input_tokens:,} in + {self.output_tokens:,} out tokens · {cost}"
            f" · {self.rate_limited} x 429 · {seconds:.1f} s · {rate:.1f} rows/s"
        )


class AnswerError(AzureOpenAIError):
    """A row whose answer came back but is not a usable one: ``subtype`` is the
    ``ResultMessage`` subtype it would have had — ``"error_refusal"`` (the model
    declined; its words in ``text``), ``"error_structured_output"`` (no valid object
    after the repair turn) or ``"error_max_tokens"`` (cut off by ``max_tokens``)."""

    def __init__(self, message: str, *, subtype: str, text: str) -> None:
        super().__init__(message)
        self.subtype = subtype
        self.text = text


_OUTCOMES = {
    "error_refusal": "the model refused",
    "error_structured_output": "the answer did not match the schema, also after a repair turn",
    "error_max_tokens": "the answer was cut off at max_tokens",
}


class _Stop(Exception):
    """A failure every row would share: the run stops with ``error``."""

    def __init__(self, error: AzureOpenAIError) -> None:
        super().__init__(str(error))
        self.error = error


def _transient(exc: AzureOpenAIError) -> bool:
    if isinstance(exc, (AuthenticationError, UnauthorizedError)):
        return False
    if isinstance(exc, CLIConnectionError):
        return True  # connect errors, timeouts, a stream cut short
    return isinstance(exc, APIStatusError) and exc.status_code in RETRY_STATUSES


def _no_quota(exc: RateLimitError, deployment: str) -> RateLimitError:
    wait = exc.retry_after or 0.0
    return RateLimitError(
        f"Deployment '{deployment}' has no quota: the service asks to wait {wait:,.0f} s"
        f" ({wait / 3600:.1f} h) before retrying, so the run stopped instead of waiting;"
        " assign tokens-per-minute quota to the deployment or use another one"
        f" ({exc})",
        retry_after=exc.retry_after,
        status_code=exc.status_code,
        request_id=exc.request_id,
        body=exc.body,
    )


def _jsonable(value: Any) -> Any:
    """A structured output as JSON data (for the cache and for DataFrame columns)."""
    if value is None or isinstance(value, (dict, list, str, int, float, bool)):
        return value
    dump = getattr(value, "model_dump", None)
    if callable(dump):  # pydantic
        return dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return value


_MISS = object()


def _observer(limiter: AdaptiveLimiter, ticket: Ticket) -> Any:
    return lambda response: limiter.on_headers(ticket, response.headers)


class _Engine:
    """One ``azure_map`` run: feeds rows through the limiter, runs them, emits items."""

    def __init__(
        self,
        options: AzureOpenAIOptions,
        concurrency: int | None,
        cache: AnswerCache | None,
        stats: MapStats,
    ) -> None:
        self.options = options
        self.settings: QuerySettings = options.settings
        self.row_settings = self.settings.replace(max_retries=0)  # the limiter retries
        self.tool_settings = ToolSettings()
        self.limiter = AdaptiveLimiter(concurrency)
        self.cache = cache
        self.stats = stats
        self.host = urlsplit(options.connection.endpoint).netloc
        self.session_id = str(uuid.uuid4())
        self.stop: AzureOpenAIError | None = None
        self.closing = False  # the consumer left (``break`` out of ``azure_map``)
        fmt = self.settings.output_format
        self.output: OutputFormat | None = None if fmt is None else compile_output_format(fmt)
        self.extra = {"response_format": self.output.response_format()} if self.output else {}
        system = self.settings.system_text  # a Claude preset dict is never sent
        self._system = [{"role": "system", "content": system}] if system else []

    async def run(
        self,
        rows: AsyncIterator[tuple[int, str | BaseException]],
        send: anyio.abc.ObjectSendStream[MapItem],
    ) -> None:
        from ._internal.auth import AzureADAuth

        connection = self.options.connection
        transport = AzureHTTPTransport(connection, AzureADAuth(connection))
        try:
            async with send, anyio.create_task_group() as tg:
                async for index, prompt in rows:
                    if self.stop is not None or self.closing:
                        break
                    if isinstance(prompt, BaseException):
                        await self._emit(send, MapItem(index, "", None, error=prompt))
                        continue
                    messages = [*self._system, {"role": "user", "content": prompt}]
                    body = transport.body(messages, self.row_settings, **self.extra)
                    key = request_key(self.host, self.settings.model, body)
                    hit = self.cache.get(key) if self.cache is not None else None
                    revived = self._revive(hit)
                    if hit is not None and revived is not _MISS:
                        item = MapItem(index, prompt, hit.text, revived, hit.usage, cached=True)
                        await self._emit(send, item)
                        continue
                    tokens = estimate_tokens(len(prompt), self.settings.max_tokens)
                    ticket = await self.limiter.acquire(tokens)
                    if self.stop is not None or self.closing:
                        self.limiter.release()
                        break
                    tg.start_soon(self._row, transport, send, index, prompt, key, ticket)
                if self.stop is not None:
                    await self._drain()
                    tg.cancel_scope.cancel()
        finally:
            with anyio.CancelScope(shield=True):
                await transport.aclose()

    async def _drain(self) -> None:
        """After a stop, let the rows in flight end by themselves for a moment (they meet
        the same refusal at once); cancelling a request mid-handshake can leave its
        socket to the garbage collector."""
        await self.limiter.settled(_STOP_GRACE_S / 2)

    def _revive(self, hit: CachedAnswer | None) -> Any:
        """A cached answer's structured output as the class ``output_format`` names."""
        if hit is None:
            return _MISS
        if self.output is None or hit.structured is None:
            return hit.structured
        try:
            return self.output.parse(json.dumps(hit.structured))
        except Exception:  # the class changed since: ask again
            return _MISS

    async def _emit(self, send: anyio.abc.ObjectSendStream[MapItem], item: MapItem) -> None:
        self.stats.add(item)
        await send.send(item)

    async def _row(
        self,
        transport: AzureHTTPTransport,
        send: anyio.abc.ObjectSendStream[MapItem],
        index: int,
        prompt: str,
        key: str,
        ticket: Ticket,
    ) -> None:
        limiter = self.limiter
        attempts = limited = transient = 0
        error: BaseException | None = None
        answer: CachedAnswer | None = None
        structured: Any = None
        try:
            while True:
                if self.stop is not None or self.closing:  # the run is ending
                    return
                attempts += 1
                response_observer.set(_observer(limiter, ticket))
                try:
                    answer, structured = await self._ask(transport, prompt)
                except RateLimitError as exc:
                    self.stats.rate_limited += 1
                    if exc.retry_after is not None and exc.retry_after > NO_QUOTA_RETRY_AFTER_S:
                        raise _Stop(_no_quota(exc, self.settings.model)) from None
                    limited += 1
                    limiter.on_rate_limited(ticket, exc.retry_after, limited)
                    if limited > MAX_429_PER_ROW:
                        error = exc
                        break
                    ticket = await limiter.again(ticket)
                    continue
                except (AuthenticationError, UnauthorizedError) as exc:
                    raise _Stop(exc) from None
                except AzureOpenAIError as exc:
                    if _transient(exc) and transient < self.settings.max_retries:
                        transient += 1
                        await anyio.sleep(backoff_seconds(transient))
                        ticket = await limiter.again(ticket)
                        continue
                    error = exc
                    break
                except Exception as exc:  # a row's own failure never stops the others
                    error = exc
                    break
                limiter.on_success(ticket)
                break
        except _Stop as stop:
            if self.stop is None:
                self.stop = stop.error
            return
        finally:
            limiter.release()
        if answer is not None and self.cache is not None:
            self.cache.put(key, answer)
        if answer is None:
            item = MapItem(index, prompt, None, error=error, attempts=attempts)
        else:
            item = MapItem(
                index,
                prompt,
                answer.text,
                structured,
                answer.usage,
                attempts=attempts,
                cost_usd=answer.cost_usd,
            )
        await self._emit(send, item)

    async def _ask(self, transport: AzureHTTPTransport, prompt: str) -> tuple[CachedAnswer, Any]:
        """One single-turn query (the same turn loop as ``azure_query``): the answer as
        cached, and its structured output as ``output_format`` names it."""
        stats = agent.RunStats()
        conversation: list[dict[str, Any]] = [{"role": "user", "content": prompt}]
        async for _ in agent.run(
            transport,
            self.row_settings,
            conversation,
            stats,
            agent.Interrupter(),
            self.session_id,
            ToolSet(),
            self.tool_settings,
        ):
            pass
        if stats.outcome is not None:
            why = _OUTCOMES.get(stats.outcome, stats.outcome)
            raise AnswerError(
                f"{stats.outcome}: {why}", subtype=stats.outcome, text=stats.final_text
            )
        answer = CachedAnswer(
            stats.final_text,
            _jsonable(stats.structured_output),
            dict(stats.usage),
            stats.cost_usd(self.row_settings),
        )
        return answer, stats.structured_output


def _open_cache(cache: Any) -> AnswerCache | None:
    if cache is None or cache is False:
        return None
    if isinstance(cache, AnswerCache):
        return cache
    if cache is True:
        return AnswerCache()
    return AnswerCache(cache)  # a folder


async def _numbered(
    prompts: Iterable[str] | AsyncIterable[str],
) -> AsyncIterator[tuple[int, str | BaseException]]:
    if isinstance(prompts, AsyncIterable):
        index = 0
        async for prompt in prompts:
            yield index, prompt
            index += 1
    else:
        for index, prompt in enumerate(prompts):
            yield index, prompt


async def _map(
    rows: AsyncIterator[tuple[int, str | BaseException]],
    options: AzureOpenAIOptions | None,
    concurrency: int | None,
    cache: Any,
    stats: MapStats,
) -> AsyncGenerator[MapItem, None]:
    options = options if options is not None else AzureOpenAIOptions.from_env()
    if concurrency is not None and (isinstance(concurrency, bool) or concurrency < 1):
        raise ValueError(f"concurrency must be a positive int, got {concurrency!r}")
    store = _open_cache(cache)
    engine = _Engine(options, concurrency, store, stats)
    send, receive = anyio.create_memory_object_stream[MapItem](max_buffer_size=64)
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(engine.run, rows, send)
            try:
                async with receive:
                    try:
                        async for item in receive:
                            stats.rate_limited = max(
                                stats.rate_limited, engine.limiter.rate_limited
                            )
                            yield item
                    except GeneratorExit:  # ``break``: no new rows; let those in flight end
                        engine.closing = True  # (returning below ends the generator: no
                        await engine._drain()  # GeneratorExit through the task group)
            finally:
                tg.cancel_scope.cancel()
    finally:
        stats.finished = time.perf_counter()
        if store is not None and store is not cache:
            store.close()
    if engine.stop is not None and not engine.closing:
        raise engine.stop


async def azure_map(
    prompts: Iterable[str] | AsyncIterable[str],
    options: AzureOpenAIOptions | None = None,
    *,
    concurrency: int | None = None,
    cache: Any = None,
) -> AsyncGenerator[MapItem, None]:
    """Answer each prompt; yield a ``MapItem`` per prompt as it completes.

    ``prompts``: any iterable or async iterable of str, pulled only as rows are sent
    (a generator of a million prompts is fine). To stop reading early, close it in the
    task that iterates it: ``async with contextlib.aclosing(azure_map(...)) as it``.
    ``options``: as for ``azure_query``
    (``output_format`` gives each item a ``structured_output``). ``concurrency``: the
    most rows in flight (default: adaptive, see ``_internal/limiter.py``). ``cache``:
    None/False for none, True for the default folder, or a folder path.

    Raises ``AuthenticationError`` / ``UnauthorizedError`` (and stops at once) when the
    credentials are refused, and ``RateLimitError`` when the deployment has no quota.
    """
    # Closed here, in this task, when the caller leaves early (anyio's task group in
    # ``_map`` must end in the task that started it, not in a garbage-collector hook).
    items = _map(_numbered(prompts), options, concurrency, cache, MapStats())
    async with aclosing(items):
        async for item in items:
            yield item


# --- map_rows ---------------------------------------------------------------------


@dataclass
class _Rows:
    """The data as the template sees it: columns, index, and rows as mappings."""

    columns: list[str]
    index: Any
    count: int
    rows: Any  # () -> Iterator[Mapping[str, Any]]

    @classmethod
    def of(cls, data: Any, names: tuple[str, ...]) -> _Rows:
        pd: Any = _pandas()
        if isinstance(data, pd.DataFrame):
            columns = [str(c) for c in data.columns]
            wanted = [c for c in data.columns if str(c) in names]

            def frame_rows() -> Iterator[Mapping[str, Any]]:
                keys = [str(c) for c in wanted]
                for values in (
                    zip(*(data[c] for c in wanted), strict=True)
                    if wanted
                    else (() for _ in range(len(data)))
                ):
                    yield dict(zip(keys, values, strict=True))

            return cls(columns, data.index, len(data), frame_rows)
        if isinstance(data, pd.Series):
            columns = ["value"] + ([data.name] if isinstance(data.name, str) else [])

            def series_rows() -> Iterator[Mapping[str, Any]]:
                for value in data:
                    yield {c: value for c in columns}

            return cls(columns, data.index, len(data), series_rows)
        if isinstance(data, (list, tuple)):
            if all(isinstance(v, str) for v in data):
                return cls(["value"], None, len(data), lambda: ({"value": v} for v in data))
            if all(isinstance(v, Mapping) for v in data):
                keys = set(data[0]) if data else set()
                for row in data[1:]:
                    keys &= set(row)
                return cls(sorted(str(k) for k in keys), None, len(data), lambda: iter(data))
        raise TypeError(
            "map_rows needs a pandas DataFrame or Series, a list of dicts or a list of str;"
            f" got {type(data).__name__}"
        )


def _prompts(template: PromptTemplate, rows: _Rows) -> Iterator[tuple[int, str | BaseException]]:
    for index, row in enumerate(rows.rows()):
        try:
            yield index, template.fill(row)
        except TemplateError as exc:  # this row only (a lookup inside a value failed)
            yield index, exc


async def _aiter(
    items: Iterator[tuple[int, str | BaseException]],
) -> AsyncIterator[tuple[int, str | BaseException]]:
    for item in items:
        yield item


_Kept = tuple[str | None, Any, BaseException | None]


def prepare(data: Any, template: str | PromptTemplate) -> tuple[PromptTemplate, _Rows]:
    """Parse the template and check its fields against the data's columns (no request)."""
    parsed = template if isinstance(template, PromptTemplate) else PromptTemplate(template)
    rows = _Rows.of(data, parsed.names)
    missing = parsed.missing(rows.columns)
    if missing:
        shown = ", ".join(rows.columns[:20]) + (" …" if len(rows.columns) > 20 else "")
        raise TemplateError(
            f"Template field(s) {', '.join('{' + m + '}' for m in missing)} are not columns"
            f" of the data (columns: {shown or 'none'}); nothing was sent"
        )
    return parsed, rows


def map_rows(
    data: Any,
    template: str | PromptTemplate,
    options: AzureOpenAIOptions | None = None,
    *,
    output_format: Any = None,
    concurrency: int | None = None,
    cache: Any = True,
    progress: bool = True,
) -> Any:
    """Fill ``template`` from each row of ``data``, ask, and return aligned answers.

    ``data``: a DataFrame, Series, list of dicts or list of str. ``{column}`` names a
    field of the row (``{value}`` for a Series or a list of str; a named Series also by
    its name); a field that is not a column raises ``TemplateError`` before anything is
    sent. Returns a Series of answer text aligned with ``data``'s index — or, with
    ``output_format``, a DataFrame with one column per field — plus an ``error`` column
    (the typed error, else None) only if some row failed. The run's ``MapStats`` is in
    ``result.attrs["azure_map"]``. Ctrl-C stops at once and returns what finished
    (unfinished rows are missing).
    """
    parsed, rows = prepare(data, template)
    options = options if options is not None else AzureOpenAIOptions.from_env()
    if output_format is not None:
        options = dataclasses.replace(options, output_format=output_format)
    fmt = options.output_format
    fields = list(compile_output_format(fmt).schema.get("properties", {})) if fmt else None
    stats = MapStats(total=rows.count)
    # What the result needs of each row (text, structured output, error), not the whole
    # MapItem: 100,000 rows from the cache stay within a few MB beyond the result itself.
    items: list[_Kept | None] = [None] * rows.count
    finished = threading.Event()

    async def collect() -> None:
        try:
            source = _aiter(_prompts(parsed, rows))
            mapped = _map(source, options, concurrency, cache, stats)
            async with aclosing(mapped):
                async for item in mapped:
                    items[item.index] = (item.text, item.structured_output, item.error)
        finally:
            finished.set()

    from .jupyter.runtime import get_runtime

    if threading.current_thread().name == "jupyter-azure-ai-loop":  # it would wait on itself
        raise RuntimeError(
            "map_rows waits for the SDK's loop thread, and this code runs on it (a @tool?):"
            " use `async for item in azure_map(...)` there instead"
        )
    future = get_runtime().submit(collect())
    bar = _progress_bar(rows.count, progress)
    shown = 0
    try:
        while True:
            try:
                future.result(timeout=PROGRESS_INTERVAL_S)
                break
            except concurrent.futures.TimeoutError:
                shown = _update(bar, stats, shown)
    except KeyboardInterrupt:
        future.cancel()
        finished.wait(_STOP_GRACE_S)
        stats.interrupted = True
        stats.finished = time.perf_counter()
    finally:
        _update(bar, stats, shown)
        if bar is not None:
            bar.close()
    if stats.interrupted and progress:
        print(stats.summary(), file=sys.stderr)
    return _assemble(items, rows, fields, stats)


def _progress_bar(total: int, progress: bool) -> Any:
    if not progress:
        return None
    tqdm = importlib.import_module("tqdm.auto").tqdm
    return tqdm(total=total, unit="row", desc="azure", mininterval=PROGRESS_INTERVAL_S)


def _update(bar: Any, stats: MapStats, shown: int) -> int:
    if bar is None:
        return shown
    done = stats.done
    if done > shown:
        bar.update(done - shown)
    bar.set_postfix_str(stats.postfix(), refresh=False)
    bar.refresh()
    return done


def _assemble(
    items: list[_Kept | None], rows: _Rows, fields: list[str] | None, stats: MapStats
) -> Any:
    pd = _pandas()
    index = rows.index if rows.index is not None else pd.RangeIndex(rows.count)
    errors = [item[2] if item is not None else None for item in items]
    failed = any(e is not None for e in errors)
    result: Any
    if fields is not None:
        records = []
        for item in items:
            value = _jsonable(item[1]) if item is not None else None
            records.append(value if isinstance(value, Mapping) else {})
        result = pd.DataFrame.from_records(records, index=index, columns=fields)
        if failed:
            result["error"] = pd.Series(errors, index=index, dtype=object)
    else:
        texts = [item[0] if item is not None else None for item in items]
        if failed:
            result = pd.DataFrame(
                {
                    "answer": pd.Series(texts, index=index, dtype=object),
                    "error": pd.Series(errors, index=index, dtype=object),
                }
            )
        else:
            result = pd.Series(texts, index=index, dtype=object, name="answer")
    result.attrs["azure_map"] = stats
    return result


def _pandas() -> Any:
    """pandas, imported when a map needs it (``import jupyter_azure_ai`` stays light)."""
    try:
        return importlib.import_module("pandas")
    except ImportError:
        raise ConfigurationError(
            "map_rows returns pandas objects, and pandas is not installed:"
            " pip install pandas (or use azure_map, which needs no pandas)"
        ) from None
