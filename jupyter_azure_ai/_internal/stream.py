"""Azure chat-completion chunks → deltas → one ``AssistantMessage`` per model turn.

``TurnAccumulator.add`` is called once per chunk and is kept branch-light: text
pieces are appended to a list and joined once at the end. Claude-SDK-shaped stream
events are built only when the caller asked for partial messages. Unknown fields and
chunk kinds are ignored.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..errors import StreamDecodeError, StreamInterruptedError
from ..types import AssistantMessage, ContentBlock, TextBlock, ToolUseBlock
from .failures import filtered_categories as _filtered
from .sse import SSEDecoder

loads: Callable[[bytes], Any]
try:  # orjson parses chunks several times faster; the stdlib is the fallback
    from orjson import loads
except ImportError:  # pragma: no cover - depends on the environment
    loads = json.loads

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
        self.started = False

    def add(self, chunk: dict[str, Any]) -> list[dict[str, Any]] | None:
        """Fold one chunk; return Claude-shaped events when ``partial`` is on."""
        events: list[dict[str, Any]] | None = [] if self.partial else None
        choices = chunk.get("choices")
        if choices:
            if not self.started:
                self.started = True
                self.model = chunk.get("model") or ""
                if events is not None:
                    events.append(self._message_start(chunk))
            choice = choices[0]
            delta = choice.get("delta")
            if delta:
                content = delta.get("content")
                if content:
                    self.text.append(content)
                    if events is not None:
                        events.extend(self._text_events(content))
                calls = delta.get("tool_calls")
                if calls:
                    self._add_tool_deltas(calls, events)
            finish = choice.get("finish_reason")
            if finish:
                self.finish_reason = finish
                if finish == "content_filter":
                    self.filtered = _filtered(choice.get("content_filter_results"))
        usage = chunk.get("usage")
        if usage:
            self.usage = usage
        return events

    def _message_start(self, chunk: dict[str, Any]) -> dict[str, Any]:
        message = {"id": chunk.get("id", ""), "type": "message", "role": "assistant"}
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
                    f" ({call.id}): {exc}"
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
        return AssistantMessage(
            content=content, model=self.model or fallback_model, stop_reason=self.finish_reason
        )

    def openai_message(self, message: AssistantMessage) -> dict[str, Any]:
        """The assistant turn as the next request must carry it."""
        out: dict[str, Any] = {"role": "assistant", "content": self.full_text or None}
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
    next_bytes: Callable[[AsyncIterator[bytes]], Any],
) -> AsyncIterator[dict[str, Any]]:
    """Feed ``response`` through the SSE decoder into ``acc``; yield partial events.

    ``next_bytes`` awaits the next read (the caller wraps it so ``interrupt()`` can
    cancel it). Raises ``StreamInterruptedError`` if the stream ends before ``[DONE]``.
    """
    decoder = SSEDecoder()
    reads = response.aiter_bytes()  # an async generator: aclose() ends it at [DONE]
    received = 0
    add = acc.add
    ended = False
    while not ended:
        try:
            raw = await next_bytes(reads)
        except StopAsyncIteration:
            ended = True
            payloads = decoder.finish()
        except httpx.TransportError as exc:
            raise StreamInterruptedError(
                f"the answer stream broke after {received} bytes ({type(exc).__name__}: {exc});"
                " the partial answer was discarded"
            ) from exc
        else:
            received += len(raw)
            payloads = decoder.feed(raw)
        for data in payloads:
            if data == b"[DONE]":
                await reads.aclose()  # type: ignore[attr-defined]
                if acc.partial and acc.started:
                    for event in acc.stop_events():
                        yield event
                return
            try:
                chunk = loads(data)
            except ValueError:
                raise StreamDecodeError(
                    f"Invalid JSON in the answer stream: {data[:80]!r}"
                ) from None
            if type(chunk) is not dict:
                continue
            events = add(chunk)
            if events:
                for event in events:
                    yield event
    raise StreamInterruptedError(
        f"the answer stream ended after {received} bytes without [DONE];"
        " the partial answer was discarded"
    )
