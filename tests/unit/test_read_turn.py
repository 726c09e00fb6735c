"""read_turn on bytes: how the body is read (one cancellable step without partial
messages), what a bad payload raises and when, and bodies httpx decodes or has read."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from jupyter_azure_ai import StreamDecodeError, StreamInterruptedError
from jupyter_azure_ai._internal.stream import TurnAccumulator, read_turn

pytestmark = pytest.mark.anyio


class Pieces(httpx.AsyncByteStream):
    def __init__(self, pieces: list[bytes], fail_after: int | None = None) -> None:
        self.pieces = pieces
        self.fail_after = fail_after

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for n, p in enumerate(self.pieces):
            if n == self.fail_after:
                raise httpx.RemoteProtocolError("peer closed connection")
            yield p


def event(chunk: Any) -> bytes:
    return b"data: " + json.dumps(chunk, ensure_ascii=False).encode() + b"\n\n"


def content(text: str) -> bytes:
    return event({"choices": [{"index": 0, "delta": {"content": text}}]})


DONE = b"data: [DONE]\n\n"


async def fold(
    response: httpx.Response, partial: bool = False
) -> tuple[TurnAccumulator, list[dict[str, Any]], int]:
    """The accumulator, the events yielded and how many times ``next_step`` ran."""
    acc = TurnAccumulator(partial=partial)
    steps = 0

    async def next_step(reads: AsyncIterator[Any]) -> Any:
        nonlocal steps
        steps += 1
        return await reads.__anext__()

    events = [e async for e in read_turn(response, acc, next_step)]
    return acc, events, steps


async def test_without_partial_messages_the_body_is_read_in_one_step() -> None:
    pieces = [content(f"w{i} ") for i in range(50)] + [DONE]
    acc, events, steps = await fold(httpx.Response(200, stream=Pieces(pieces)))
    assert acc.full_text == "".join(f"w{i} " for i in range(50))
    assert (events, steps) == ([], 1)  # one cancel scope for the turn, not one per read
    acc, events, steps = await fold(httpx.Response(200, stream=Pieces(pieces)), partial=True)
    assert steps == 51  # a step per read that gave events, the last one with [DONE]
    kinds = [e["type"] for e in events]
    assert kinds[:2] == ["message_start", "content_block_start"]
    assert kinds.count("content_block_delta") == 50 and kinds[-1] == "message_stop"


async def test_reads_without_events_do_not_end_a_step() -> None:
    body = content("a") + b": keep-alive\n\n" + content("b") + DONE
    pieces = [body[i : i + 3] for i in range(0, len(body), 3)]
    _, events, steps = await fold(httpx.Response(200, stream=Pieces(pieces)), partial=True)
    deltas = [e["delta"]["text"] for e in events if e["type"] == "content_block_delta"]
    assert deltas == ["a", "b"] and steps == 3


async def test_events_before_a_bad_payload_are_yielded_first() -> None:
    body = content("Par") + content("is") + b'data: {"choices": [\n\n' + DONE
    response = httpx.Response(200, stream=Pieces([body]))  # all in one read
    acc = TurnAccumulator(partial=True)

    async def next_step(reads: AsyncIterator[Any]) -> Any:
        return await reads.__anext__()

    seen: list[str] = []
    with pytest.raises(StreamDecodeError, match=r"Invalid JSON in the answer stream: b'\{"):
        async for e in read_turn(response, acc, next_step):
            if e["type"] == "content_block_delta":
                seen.append(e["delta"]["text"])
    assert seen == ["Par", "is"] and acc.full_text == "Paris"


async def test_payloads_that_are_not_objects_are_ignored() -> None:
    body = b'data: [1, 2]\n\ndata: 5\n\ndata: null\n\ndata: "x"\n\n' + content("ok") + DONE
    acc, _, _ = await fold(httpx.Response(200, stream=Pieces([body])))
    assert acc.full_text == "ok"


@pytest.mark.parametrize(
    ("chunk", "where"),
    [
        ({"choices": [{"delta": {"content": 5}}]}, "$.choices[0].delta.content"),
        ({"choices": {"delta": {}}}, "$.choices"),
        ({"choices": [{"delta": "hi"}]}, "$.choices[0].delta"),
    ],
)
async def test_known_fields_of_the_wrong_type_are_decode_errors(
    chunk: dict[str, Any], where: str
) -> None:
    body = content("a") + event(chunk) + DONE
    with pytest.raises(StreamDecodeError, match="Unexpected chunk") as info:
        await fold(httpx.Response(200, stream=Pieces([body])))
    assert where in str(info.value)
    with pytest.raises(StreamDecodeError, match="Unexpected chunk"):
        TurnAccumulator().add(chunk)


async def test_content_filter_results_are_read_from_the_stream() -> None:
    results = {"violence": {"filtered": True, "severity": "medium"}, "hate": {"filtered": False}}
    stop = {"choices": [{"delta": {}, "finish_reason": "content_filter",
                         "content_filter_results": results}]}  # fmt: skip
    acc, _, _ = await fold(httpx.Response(200, stream=Pieces([content("So"), event(stop), DONE])))
    assert (acc.finish_reason, acc.filtered, acc.full_text) == (
        "content_filter",
        ["violence"],
        "So",
    )


async def test_gzip_and_already_read_bodies() -> None:
    body = content("café ") + content("🚀") + DONE
    packed = gzip.compress(body)
    pieces = [packed[i : i + 7] for i in range(0, len(packed), 7)]
    gz = httpx.Response(200, headers={"content-encoding": "gzip"}, stream=Pieces(pieces))
    assert (await fold(gz))[0].full_text == "café 🚀"
    read = httpx.Response(200, content=body)  # httpx has read it already
    assert read.is_stream_consumed
    assert (await fold(read))[0].full_text == "café 🚀"


async def test_a_cut_stream_names_the_bytes_received() -> None:
    body = content("a") + content("b")
    with pytest.raises(StreamInterruptedError, match=rf"ended after {len(body) + 7} bytes with"):
        await fold(httpx.Response(200, stream=Pieces([body, b"data: {"])), partial=True)
    broken = Pieces([content("a"), content("b"), DONE], fail_after=2)
    with pytest.raises(StreamInterruptedError, match=rf"broke after {len(body)} bytes") as info:
        await fold(httpx.Response(200, stream=broken))
    assert isinstance(info.value.__cause__, httpx.RemoteProtocolError)
