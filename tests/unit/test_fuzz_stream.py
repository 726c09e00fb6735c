"""Fuzzing the stream path (SSE decoder + chunk folding): arbitrary splits, interleaved
tool-call fragments, unknown fields, truncation. The result is either exact or one
typed error; never a hang, never another exception."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_azure_ai import StreamDecodeError, StreamInterruptedError, TextBlock, ToolUseBlock
from jupyter_azure_ai._internal.stream import TurnAccumulator, read_turn

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)
ARGS = st.dictionaries(
    st.text("abcxyz", min_size=1, max_size=4),
    st.one_of(st.integers(), st.text(max_size=6), st.booleans()),
    max_size=3,
)
JUNK = st.dictionaries(st.text("qrstuv", min_size=1, max_size=5), st.integers(), max_size=2)


class Pieces(httpx.AsyncByteStream):
    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for p in self.pieces:
            yield p


def split_points(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


@st.composite
def streams(draw: st.DrawFn) -> tuple[list[dict[str, Any]], str, list[tuple[str, dict[str, Any]]]]:
    texts = draw(st.lists(TEXT, max_size=6))
    tools = draw(st.lists(ARGS, max_size=3))
    junk = draw(JUNK)
    chunks: list[dict[str, Any]] = [{"id": "", "choices": [], "prompt_filter_results": []}]
    chunks.append({"choices": [{"index": 0, "delta": {"role": "assistant"}}], **junk})
    for piece in texts:
        chunks.append({"choices": [{"index": 0, "delta": {"content": piece}, "x": junk}]})
    fragments: list[tuple[int, str]] = []
    for i, args in enumerate(tools):
        raw = json.dumps(args)
        cuts = sorted(draw(st.lists(st.integers(0, len(raw)), max_size=3)))
        parts = [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True)]
        first = {"index": i, "id": f"call_{i}", "type": "function",
                 "function": {"name": f"tool_{i}", "arguments": ""}}  # fmt: skip
        chunks.append({"choices": [{"index": 0, "delta": {"tool_calls": [first]}}]})
        fragments.extend((i, p) for p in parts if p)
    order = draw(st.permutations(fragments)) if fragments else []
    by_tool: dict[int, list[str]] = {}
    for i, part in fragments:  # each tool's fragments stay in order; tools interleave freely
        by_tool.setdefault(i, []).append(part)
    cursor = {i: 0 for i in by_tool}
    for i, _ in order:
        part = by_tool[i][cursor[i]]
        cursor[i] += 1
        call = {"index": i, "function": {"arguments": part}}
        chunks.append({"choices": [{"index": 0, "delta": {"tool_calls": [call]}}]})
    chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    chunks.append({"choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 2}})
    expected_tools = [(f"tool_{i}", args) for i, args in enumerate(tools)]
    return chunks, "".join(texts), expected_tools


async def fold(pieces: list[bytes]) -> TurnAccumulator:
    acc = TurnAccumulator(partial=True)
    response = httpx.Response(200, stream=Pieces(pieces))

    async def next_step(reads: AsyncIterator[bytes]) -> bytes:
        return await reads.__anext__()

    with anyio.fail_after(5):
        async for _ in read_turn(response, acc, next_step):
            pass
    return acc


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stream=streams(), cuts=st.lists(st.integers(0, 5000), max_size=20),
       crlf=st.booleans(), comments=st.booleans())  # fmt: skip
def test_any_valid_stream_folds_exactly(
    stream: tuple[list[dict[str, Any]], str, list[tuple[str, dict[str, Any]]]],
    cuts: list[int],
    crlf: bool,
    comments: bool,
) -> None:
    chunks, text, tools = stream
    nl = b"\r\n" if crlf else b"\n"
    body = b""
    for c in chunks:
        if comments:
            body += b": keep-alive" + nl
        body += b"data: " + json.dumps(c, ensure_ascii=False).encode() + nl + nl
    body += b"data: [DONE]" + nl + nl
    acc = anyio.run(fold, split_points(body, cuts))
    message = acc.message("gpt-4")
    blocks = [b for b in message.content if isinstance(b, TextBlock)]
    assert "".join(b.text for b in blocks) == text
    uses = [(b.name, b.input) for b in message.content if isinstance(b, ToolUseBlock)]
    assert uses == tools
    assert acc.usage == {"prompt_tokens": 1, "completion_tokens": 2}


@settings(max_examples=150, deadline=None)
@given(stream=streams(), cut=st.integers(0, 10_000), garbage=st.binary(max_size=20))
def test_truncated_or_garbled_streams_raise_one_typed_error(
    stream: tuple[list[dict[str, Any]], str, list[tuple[str, dict[str, Any]]]],
    cut: int,
    garbage: bytes,
) -> None:
    chunks, _, _ = stream
    body = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks)
    body = body[: cut % (len(body) + 1)] + garbage  # no [DONE], maybe noise at the end
    try:
        acc = anyio.run(fold, [body])
        acc.message("gpt-4")
    except (StreamInterruptedError, StreamDecodeError):
        return
    raise AssertionError("a stream without [DONE] must not look complete")
