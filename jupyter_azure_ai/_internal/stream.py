"""Azure chat-completion chunks → deltas → one ``AssistantMessage`` per model turn.

This is the hot path of every answer: bytes → SSE payloads (sse.py) → chunks → folded.
msgspec decodes each payload straight into the few fields folding reads (``_Chunk``)
and skips the rest unparsed: the content-filter annotations, logprobs and unknown
fields are most of a chunk's bytes, and skipping them halves the decoding time
(pyproject.toml has the numbers). ``TurnAccumulator.fold`` is called once per chunk
and kept branch-light: text pieces are appended to a list and joined once at the end.
Claude-SDK-shaped stream events are built only when the caller asked for partial
messages. Unknown fields and chunk kinds are ignored.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import msgspec

from ..errors import StreamDecodeError, StreamInterruptedError
from ..types import AssistantMessage, ContentBlock, TextBlock, ToolUseBlock
from .failures import filtered_categories as _filtered
from .sse import SSEDecoder


class _Delta(msgspec.Struct, gc=False):
    content: str | None = None
    tool_calls: Any = None  # rare: folded from the decoded JSON as it comes
    refusal: str | None = None  # structured outputs: the model declined (content is null)


class _Choice(msgspec.Struct, gc=False):
    delta: _Delta | None = None
    finish_reason: Any = None
    content_filter_results: msgspec.Raw = msgspec.Raw()  # parsed on a content_filter stop


class _Chunk(msgspec.Struct, gc=False):
    """The fields of a chunk that folding reads (``gc=False``: decoded JSON has no cycles)."""

    choices: list[_Choice] | None = None
    model: Any = None
    id: Any = ""
    usage: Any = None


_decode_chunk = msgspec.json.Decoder(_Chunk).decode
loads: Callable[[bytes], Any] = msgspec.json.Decoder().decode


def _chunk(data: bytes) -> _Chunk | None:
    """One SSE payload as a chunk; None for valid JSON that is not an object (ignored).

    Raises ``StreamDecodeError`` for invalid JSON, and for an object whose known fields
    have the wrong type (``"content": 5``), which would otherwise fail later, elsewhere.
    """
    failure: Exception | None = None
    try:
        return _decode_chunk(data)
    except msgspec.ValidationError as exc:
        try:
            value = loads(data)
        except msgspec.DecodeError:
            pass
        else:
            if type(value) is not dict:
                return None
            raise StreamDecodeError(
                f"Unexpected chunk in the answer stream ({exc}): {data[:80]!r}",
                line=_line(data),
                original_error=exc,
            ) from None
    except msgspec.DecodeError as exc:
        failure = exc
    message = f"Invalid JSON in the answer stream: {data[:80]!r}"
    raise StreamDecodeError(message, line=_line(data), original_error=failure)


def _line(data: bytes | str) -> str:
    """The start of a payload that is not a chunk, as text (``CLIJSONDecodeError.line``)."""
    head = data[:100]
    return head.decode("utf-8", "replace") if isinstance(head, bytes) else head


_STOP_REASONS = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "refusal",
}


@dataclass
class _ToolCall:
    block_index: int
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


class TurnAccumulator:
    """Folds the chunks of one streamed completion."""

    def __init__(self, *, partial: bool = False) -> None:
        self.partial = partial
        self.text: list[str] = []
        self.text_index: int | None = None
        self.tool_calls: dict[int, _ToolCall] = {}
        self.blocks = 0
        self.model = ""
        self.finish_reason: str | None = None
        self.usage: dict[str, Any] | None = None
        self.filtered: list[str] = []
        self.refusal: list[str] = []
        self.started = False

    def add(self, chunk: dict[str, Any]) -> list[dict[str, Any]] | None:
        """Fold one chunk given as decoded JSON; see ``fold``."""
        typed = _chunk(msgspec.json.encode(chunk))
        return None if typed is None else self.fold(typed)

    def fold(self, chunk: _Chunk) -> list[dict[str, Any]] | None:
        """Fold one chunk; return Claude-shaped events when ``partial`` is on."""
        events: list[dict[str, Any]] | None = [] if self.partial else None
        choices = chunk.choices
        if choices:
            if not self.started:
                self.started = True
                self.model = chunk.model or ""
                if events is not None:
                    events.append(self._message_start(chunk.id))
            choice = choices[0]
            delta = choice.delta
            if delta is not None:
                content = delta.content
                if content:
                    self.text.append(content)
                    if events is not None:
                        events.extend(self._text_events(content))
                calls = delta.tool_calls
                if calls:
                    self._add_tool_deltas(calls, events)
                refusal = delta.refusal
                if refusal:
                    self.refusal.append(refusal)
            finish = choice.finish_reason
            if finish:
                self.finish_reason = finish
                if finish == "content_filter":
                    results = choice.content_filter_results
                    self.filtered = _filtered(loads(results) if results else None)
        usage = chunk.usage
        if usage:
            self.usage = usage
        return events

    def _message_start(self, message_id: Any) -> dict[str, Any]:
        message = {"id": message_id, "type": "message", "role": "assistant"}
        return {"type": "message_start", "message": {**message, "model": self.model, "content": []}}

    def _text_events(self, content: str) -> list[dict[str, Any]]:
        events = []
        if self.text_index is None:
            self.text_index = self.blocks
            self.blocks += 1
            events.append(
                {
                    "type": "content_block_start",
                    "index": self.text_index,
                    "content_block": {"type": "text", "text": ""},
                }
            )
        delta = {"type": "text_delta", "text": content}
        events.append({"type": "content_block_delta", "index": self.text_index, "delta": delta})
        return events

    def _add_tool_deltas(
        self, calls: list[dict[str, Any]], events: list[dict[str, Any]] | None
    ) -> None:
        for raw in calls:
            index = raw.get("index", 0)
            call = self.tool_calls.get(index)
            function = raw.get("function") or {}
            if call is None:
                call = self.tool_calls[index] = _ToolCall(self.blocks)
                self.blocks += 1
                call.id = raw.get("id") or f"call_{index}"
                call.name = function.get("name") or ""
                if events is not None:
                    block: dict[str, Any] = {
                        "type": "tool_use",
                        "id": call.id,
                        "name": call.name,
                        "input": {},
                    }
                    events.append(
                        {
                            "type": "content_block_start",
                            "index": call.block_index,
                            "content_block": block,
                        }
                    )
            elif function.get("name"):
                call.name += function["name"]
            fragment = function.get("arguments")
            if fragment:
                call.arguments.append(fragment)
                if events is not None:
                    delta = {"type": "input_json_delta", "partial_json": fragment}
                    events.append(
                        {"type": "content_block_delta", "index": call.block_index, "delta": delta}
                    )

    def stop_events(self) -> list[dict[str, Any]]:
        """The closing events, sent at ``[DONE]`` (Azure's usage chunk follows the finish)."""
        indexes = sorted(
            ([self.text_index] if self.text_index is not None else [])
            + [c.block_index for c in self.tool_calls.values()]
        )
        events: list[dict[str, Any]] = [{"type": "content_block_stop", "index": i} for i in indexes]
        reason = _STOP_REASONS.get(self.finish_reason or "", self.finish_reason)
        message_delta: dict[str, Any] = {
            "type": "message_delta",
            "delta": {"stop_reason": reason, "stop_sequence": None},
        }
        if self.usage:
            message_delta["usage"] = usage_to_claude(self.usage)
        events.append(message_delta)
        events.append({"type": "message_stop"})
        return events

    # --- results -------------------------------------------------------------

    @property
    def full_text(self) -> str:
        return "".join(self.text)

    @property
    def refusal_text(self) -> str:
        """What the model said when it declined (structured outputs' ``refusal``)."""
        return "".join(self.refusal)

    def tool_uses(self) -> list[ToolUseBlock]:
        """The turn's tool calls, arguments parsed to dicts (in the model's order)."""
        blocks = []
        for call in sorted(self.tool_calls.values(), key=lambda c: c.block_index):
            raw = "".join(call.arguments) or "{}"
            try:
                args = json.loads(raw)
            except ValueError as exc:
                raise StreamDecodeError(
                    f"The model sent invalid JSON arguments for tool '{call.name}'"
                    f" ({call.id}): {exc}",
                    line=raw[:100],
                    original_error=exc,
                ) from None
            if not isinstance(args, dict):
                raise StreamDecodeError(
                    f"The model sent arguments for tool '{call.name}' ({call.id}) that are"
                    f" not a JSON object: {raw[:80]!r}"
                )
            blocks.append(ToolUseBlock(id=call.id, name=call.name, input=args))
        return blocks

    def message(self, fallback_model: str) -> AssistantMessage:
        content: list[ContentBlock] = []
        text = self.full_text
        if text:
            content.append(TextBlock(text))
        content.extend(self.tool_uses())
        stop = "refusal" if self.refusal else self.finish_reason
        return AssistantMessage(
            content=content, model=self.model or fallback_model, stop_reason=stop
        )

    def openai_message(self, message: AssistantMessage) -> dict[str, Any]:
        """The assistant turn as the next request must carry it."""
        text = self.full_text or self.refusal_text
        out: dict[str, Any] = {"role": "assistant", "content": text or None}
        uses = [b for b in message.content if isinstance(b, ToolUseBlock)]
        if uses:
            out["tool_calls"] = [
                {
                    "id": b.id,
                    "type": "function",
                    "function": {"name": b.name, "arguments": json.dumps(b.input)},
                }
                for b in uses
            ]
        return out


def usage_to_claude(u: dict[str, Any]) -> dict[str, Any]:
    """Azure's usage in the Claude SDK's vocabulary (Azure's totals kept alongside)."""
    out = {
        "input_tokens": u.get("prompt_tokens") or 0,
        "output_tokens": u.get("completion_tokens") or 0,
        "total_tokens": u.get("total_tokens") or 0,
    }
    cached = (u.get("prompt_tokens_details") or {}).get("cached_tokens")
    if cached:
        out["cache_read_input_tokens"] = cached
    reasoning = (u.get("completion_tokens_details") or {}).get("reasoning_tokens")
    if reasoning:
        out["reasoning_tokens"] = reasoning
    return out


async def read_turn(
    response: httpx.Response,
    acc: TurnAccumulator,
    next_step: Callable[[_AnswerReads], Awaitable[list[dict[str, Any]]]],
) -> AsyncIterator[dict[str, Any]]:
    """Feed ``response`` through the SSE decoder into ``acc``; yield partial events.

    ``next_step(reads)`` awaits ``reads.__anext__()`` so that ``interrupt()`` can cancel
    it (agent.Interrupter). ``reads`` is an ``_AnswerReads``: each step reads until some
    read gave partial events, so without partial messages, where there is nothing to
    yield before the end, the whole answer is read in one step (one cancel scope, not
    one per read). Raises ``StreamInterruptedError`` if the stream ends before
    ``[DONE]``, ``StreamDecodeError`` for a payload that is not a chunk.
    """
    reads = _AnswerReads(response, acc)
    while not reads.done:
        for event in await next_step(reads):
            yield event


class _AnswerReads:
    """The answer body read, decoded and folded into a ``TurnAccumulator``."""

    def __init__(self, response: httpx.Response, acc: TurnAccumulator) -> None:
        self._response = response
        # aiter_bytes decodes a Content-Encoding and replays a body already read; for
        # the usual stream it only adds a generator layer per read, so it is skipped.
        raw = not response.is_stream_consumed and "content-encoding" not in response.headers
        self._reads = response.aiter_raw() if raw else response.aiter_bytes()
        self._decoder = SSEDecoder()
        self._acc = acc
        self._error: Exception | None = None
        self.done = False

    def __aiter__(self) -> _AnswerReads:
        return self

    async def __anext__(self) -> list[dict[str, Any]]:
        """Read until a read gives partial events, or to the end; return the events."""
        if self._error is not None:
            raise self._error
        events: list[dict[str, Any]] = []
        try:
            feed = self._decoder.feed
            try:
                async for raw in self._reads:
                    payloads = feed(raw)
                    if payloads:
                        if self._fold(payloads, events):
                            break
                        if events:
                            return events
                else:
                    if not self._fold(self._decoder.finish(), events):
                        raise StreamInterruptedError(
                            f"the answer stream ended after {self._received()} bytes without"
                            " [DONE]; the partial answer was discarded"
                        )
            except httpx.TransportError as exc:
                raise StreamInterruptedError(
                    f"the answer stream broke after {self._received()} bytes"
                    f" ({type(exc).__name__}: {exc}); the partial answer was discarded"
                ) from exc
            await self._reads.aclose()  # type: ignore[attr-defined]
            return events
        except Exception as exc:
            if not events:
                raise
            self._error = exc  # raised after the events that came before it
            return events

    def _received(self) -> int:
        return self._response.num_bytes_downloaded

    def _fold(self, payloads: list[bytes], events: list[dict[str, Any]]) -> bool:
        """Fold ``payloads``, adding partial events to ``events``; True at ``[DONE]``."""
        acc = self._acc
        fold = acc.fold
        for data in payloads:
            if data == b"[DONE]":
                self.done = True
                if acc.partial and acc.started:
                    events.extend(acc.stop_events())
                return True
            try:
                chunk = _decode_chunk(data)
            except msgspec.DecodeError:
                typed = _chunk(data)  # raises, or None for a payload that is not an object
                if typed is None:
                    continue
                chunk = typed
            new = fold(chunk)
            if new:
                events.extend(new)
        return False
