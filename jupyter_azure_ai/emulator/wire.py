"""Encoding one reply as Azure OpenAI sends it: a chat.completion or a chunk stream.

Event order, chunk shapes and content-filter annotations follow azure-wire.md; the
stream-shaping faults (slow, cut, malformed, crlf, fragmented) are applied here.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import random
import secrets
import string
import time
from collections.abc import Iterable, Iterator
from typing import Any

from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from . import scenarios
from .scenarios import Reply

_PIECE = 64 * 1024
SEGMENT = 509
"""Write size of the ``segments`` shape. Each write is one ``send`` of the ASGI app, which
uvicorn (h11) frames as one HTTP chunk and hands to the TLS transport at once: one TLS
record, passed to the socket without waiting (asyncio sets TCP_NODELAY). Whether records
also travel as separate TCP segments depends on the reader: on loopback a client that
falls behind finds many records per socket read (measured: 18,357 writes in ~160 reads
of ~60 KB). What the client's code sees does not depend on it: h11 yields one ``Data``
event per HTTP chunk and httpx one bytes object per event, so every write is one
``aiter_raw`` item of at most 509 bytes (tests/integration/test_emulator_wire.py)."""
_KEEP_ALIVE = b": keep-alive\r\n\r\n"
_ALNUM = string.ascii_letters + string.digits
SAFE = {
    name: {"filtered": False, "severity": "safe"}
    for name in ("hate", "self_harm", "sexual", "violence")
}


FAULT_BODIES: dict[str, tuple[int, dict[str, Any]]] = {
    "500": (500, {"error": {"code": "InternalServerError", "message": "The server had an "
                            "error while processing your request. Sorry about that!"}}),
    "502": (502, {"statusCode": 502, "message": "Bad Gateway: the backend returned an "
                  "invalid response."}),
    "503": (503, {"error": {"code": "ServiceUnavailable", "message": "The service is "
                            "temporarily unable to process your request. Please try again "
                            "later."}}),
    "504": (504, {"statusCode": 504, "message": "Gateway Timeout: the backend did not "
                  "respond in time."}),
    "408": (408, {"error": {"code": "Timeout", "message": "The operation was timeout."}}),
    "quota": (403, {"statusCode": 403, "message": "Out of call volume quota. Quota will be "
                    "replenished in 00:00:12."}),
}  # fmt: skip
"""Status faults (scenarios) and the status and body that replace the answer."""


class ConnectionCut(Exception):
    """Raised mid-response by the ``cut`` fault so uvicorn drops the connection."""


def content_filter_body() -> dict[str, Any]:
    """The 400 a prompt flagged for ``hate`` gets."""
    results = {**SAFE, "hate": {"filtered": True, "severity": "high"}}
    return {
        "error": {
            "code": "content_filter",
            "message": (
                "The response was filtered due to the prompt triggering Azure OpenAI's content "
                "management policy. Please modify your prompt and retry."
            ),
            "param": "prompt",
            "status": 400,
            "innererror": {
                "code": "ResponsibleAIPolicyViolation",
                "content_filter_result": results,
            },
        }
    }


class Answer:
    """One reply encoded as a chat.completion or as the ordered chunk stream."""

    def __init__(self, body: dict[str, Any], model: str, reply: Reply, fault: str | None):
        self.model = model
        self.fault = fault
        # one urandom call, not 29 secrets.choice calls: half the cost of a batch row
        self.id = "chatcmpl-" + "".join(_ALNUM[b % 62] for b in secrets.token_bytes(29))
        self.created = int(time.time())
        self.fingerprint = "fp_" + hashlib.sha256(model.encode()).hexdigest()[:10]
        self.pieces = reply.pieces
        self.tool_calls = reply.tool_calls
        self.refusal = reply.refusal
        self.finish = "tool_calls" if reply.tool_calls else "stop"
        limit = body.get("max_completion_tokens") or body.get("max_tokens")
        if isinstance(limit, int) and len(self.pieces) > limit:
            self.pieces, self.finish = self.pieces[:limit], "length"
        self.filter_results = SAFE
        if fault == "content-filter-completion":
            self.pieces, self.finish = self.pieces[:3], "content_filter"
            self.filter_results = {**SAFE, "violence": {"filtered": True, "severity": "medium"}}
        self.fragments = [scenarios.argument_fragments(c.arguments) for c in self.tool_calls]
        completion = len(self.pieces) + sum(len(f) for f in self.fragments)
        prompt = scenarios.count_prompt_tokens(body.get("messages") or [], body.get("tools"))
        self.usage = {
            "completion_tokens": completion,
            "completion_tokens_details": {"reasoning_tokens": 0},
            "prompt_tokens": prompt,
            "prompt_tokens_details": {"cached_tokens": 0},
            "total_tokens": prompt + completion,
        }
        options = body.get("stream_options")
        self.include_usage = isinstance(options, dict) and options.get("include_usage") is True

    def _prompt_filter(self) -> list[dict[str, Any]]:
        jailbreak = {"filtered": False, "detected": False}
        return [{"prompt_index": 0, "content_filter_results": {**SAFE, "jailbreak": jailbreak}}]

    def completion(self) -> dict[str, Any]:
        """The ``chat.completion`` object (the non-streaming body; a batch output line's)."""
        message: dict[str, Any] = {
            "content": "".join(self.pieces),
            "refusal": None,
            "role": "assistant",
        }
        if self.refusal:
            message["content"], message["refusal"] = None, message["content"]
        if self.tool_calls:
            message["content"] = None
            message["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": c.arguments},
                }
                for c in self.tool_calls
            ]
        choice = {
            "content_filter_results": self.filter_results,
            "finish_reason": self.finish,
            "index": 0,
            "logprobs": None,
            "message": message,
        }
        return {
            "choices": [choice],
            "created": self.created,
            "id": self.id,
            "model": self.model,
            "object": "chat.completion",
            "prompt_filter_results": self._prompt_filter(),
            "system_fingerprint": self.fingerprint,
            "usage": self.usage,
        }

    def complete(self) -> Response:
        data = _dumps(self.completion())
        if self.fault == "malformed":
            data = data[: len(data) // 2]
        if self.fault == "fragmented":
            return Scripted(_fragment(data), "application/json")
        if self.fault == "cut":
            return Scripted([data[: len(data) // 2]], "application/json", cut=True)
        return Response(data, media_type="application/json")

    def _chunk(self, choices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        return {
            "choices": choices,
            "created": self.created,
            "id": self.id,
            "model": self.model,
            "object": "chat.completion.chunk",
            "system_fingerprint": self.fingerprint,
            **extra,
        }

    def _delta(
        self, delta: dict[str, Any], finish: str | None = None, filters: Any = None
    ) -> bytes:
        choice = {
            "content_filter_results": {} if filters is None else filters,
            "delta": delta,
            "finish_reason": finish,
            "index": 0,
            "logprobs": None,
        }
        return _event(self._chunk([choice]))

    def events(self) -> tuple[list[bytes], list[bool]]:
        """The stream's events in azure-wire order, and which ones carry a content or
        tool-call delta (where ``slow`` pauses and ``cut`` counts)."""
        first = {"choices": [], "created": 0, "id": "", "model": "", "object": ""}
        events = [_event({**first, "prompt_filter_results": self._prompt_filter()})]
        events.append(self._delta({"role": "assistant", "content": ""}))
        content_cache: dict[str, bytes] = {}
        field = "refusal" if self.refusal else "content"
        for piece in self.pieces:
            if piece not in content_cache:
                content_cache[piece] = self._delta({field: piece}, filters=SAFE)
            events.append(content_cache[piece])
        for step in range(max((len(f) for f in self.fragments), default=0)):
            for index, (call, fragments) in enumerate(
                zip(self.tool_calls, self.fragments, strict=True)
            ):
                if step == 0:
                    function = {"name": call.name, "arguments": ""}
                    head = {"index": index, "id": call.id, "type": "function", "function": function}
                    events.append(self._delta({"tool_calls": [head]}))
                if step < len(fragments):
                    part = {"index": index, "function": {"arguments": fragments[step]}}
                    events.append(self._delta({"tool_calls": [part]}))
        content = [False, False] + [True] * (len(events) - 2)
        filters = self.filter_results if self.finish == "content_filter" else None
        events.append(self._delta({}, self.finish, filters))
        if self.include_usage:
            events.append(_event(self._chunk([], usage=self.usage)))
        events.append(b"data: [DONE]\n\n")
        return events, content + [False] * (len(events) - len(content))

    def stream(self, delay: float, shape: frozenset[str] = frozenset()) -> Response:
        """The chunked event stream; ``shape`` is the ``x-emulator-shape`` set (scenarios)."""
        events, is_content = self.events()
        fault = self.fault
        if fault == "malformed":
            at = is_content.index(True) + 1 if True in is_content else 2
            events.insert(at, b'data: {"id":"' + self.id.encode() + b'","choices":[{"delta":\n\n')
            is_content.insert(at, False)
        if fault == "crlf" or "crlf" in shape:
            events = [e.replace(b"\n", b"\r\n") for e in events]
        if "crlf" in shape:  # a comment after every third event (appended: is_content holds)
            last = len(events) - 1
            events = [
                e + _KEEP_ALIVE if i % 3 == 2 and i < last else e for i, e in enumerate(events)
            ]
        steps: Iterable[bytes | float]
        if fault == "cut":
            keep = [i for i, c in enumerate(is_content) if c][:3]
            steps = list(events[: (keep[-1] + 1) if keep else 2])
            return Scripted(steps, "text/event-stream", cut=True)
        if fault == "slow":
            paced: list[bytes | float] = []
            for event, content in zip(events, is_content, strict=True):
                paced.extend([delay, event] if content else [event])
            steps = paced
        elif fault == "fragmented":
            spaced = [
                e + (b": keep-alive\n\n" if i % 3 == 1 else b"") for i, e in enumerate(events)
            ]
            steps = _fragment(b"".join(spaced))
        elif "segments" in shape:
            steps = _segments(b"".join(events))
        elif len(events) > 1000:  # benchmark mode: large writes keep the server out of the way
            steps = _coalesce(events)
        else:
            steps = list(events)
        return Scripted(steps, "text/event-stream")


def _dumps(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _event(body: Any) -> bytes:
    return b"data: " + _dumps(body) + b"\n\n"


def _coalesce(events: list[bytes]) -> Iterator[bytes]:
    """Join consecutive events into ~64 KiB writes, lazily, so the first one leaves at once."""
    batch: list[bytes] = []
    size = 0
    for event in events:
        batch.append(event)
        size += len(event)
        if size >= _PIECE:
            yield b"".join(batch)
            batch, size = [], 0
    if batch:
        yield b"".join(batch)


def _segments(data: bytes) -> Iterator[bytes]:
    """``data`` in ``SEGMENT``-byte writes, lazily."""
    for start in range(0, len(data), SEGMENT):
        yield data[start : start + SEGMENT]


def _fragment(data: bytes) -> list[bytes | float]:
    """1-7 byte pieces, one cut forced inside the first multi-byte UTF-8 character."""
    rng = random.Random(len(data))
    wide = next((i for i, b in enumerate(data) if b >= 0xC0), None)
    cuts = {0, len(data)} | ({wide + 1} if wide is not None else set())
    position = 0
    while position < len(data):
        position += rng.randint(1, 7)
        cuts.add(min(position, len(data)))
    ordered = sorted(cuts)
    steps: list[bytes | float] = []
    for n, (start, end) in enumerate(itertools.pairwise(ordered)):
        steps.append(data[start:end])
        if n % 16 == 15:
            steps.append(0.0005)  # let the pieces leave in separate TLS records and reads
    return steps


class Scripted(Response):
    """Send ``steps`` (bytes to write, floats to sleep) as one chunked body.

    With ``cut`` the body is never finished: uvicorn closes the connection, so the
    client sees a truncated chunked body rather than a clean end.
    """

    def __init__(self, steps: Iterable[bytes | float], media_type: str, cut: bool = False) -> None:
        super().__init__(None, 200, {"cache-control": "no-cache"}, media_type)
        self.raw_headers = [(k, v) for k, v in self.raw_headers if k != b"content-length"]
        self.steps = steps
        self.cut = cut

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        start: Message = {"type": "http.response.start", "status": 200}
        await send({**start, "headers": self.raw_headers})
        try:
            for step in self.steps:
                if isinstance(step, float):
                    await asyncio.sleep(step)
                else:
                    await send({"type": "http.response.body", "body": step, "more_body": True})
        except asyncio.CancelledError:
            # The server is stopping with a slow stream still open (a client that was
            # interrupted): end quietly instead of logging a traceback at shutdown.
            return
        if self.cut:
            await asyncio.sleep(0.05)  # the written chunks reach the client before the close
            raise ConnectionCut
        await send({"type": "http.response.body", "body": b"", "more_body": False})
