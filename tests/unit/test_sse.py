"""The byte-level SSE decoder: any split of a valid stream decodes to the same events."""

from __future__ import annotations

import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from jupyter_azure_ai._internal.sse import SSEDecoder


def decode(pieces: list[bytes]) -> list[bytes]:
    d = SSEDecoder()
    out: list[bytes] = []
    for p in pieces:
        out.extend(d.feed(p))
    return out + d.finish()


def test_events_comments_and_done() -> None:
    body = b': keep-alive\n\ndata: {"a": 1}\n\ndata:{"b":2}\n\n: ping\ndata: [DONE]\n\n'
    assert decode([body]) == [b'{"a": 1}', b'{"b":2}', b"[DONE]"]


def test_crlf_lone_cr_and_multiline_data() -> None:
    body = b"data: one\r\ndata: two\r\n\r\ndata: x\r\rdata: [DONE]\n\n"
    assert decode([body]) == [b"one\ntwo", b"x", b"[DONE]"]


def test_crlf_split_between_reads() -> None:
    assert decode([b"data: a\r", b"\n\r", b"\n", b"data: b\r\n\r\n"]) == [b"a", b"b"]


def test_empty_reads_and_a_crlf_cut_around_them() -> None:
    pieces = [b"data: a\r", b"", b"\n", b"", b"\r\n", b"data: b\r", b"\r", b"\n\n"]
    assert decode(pieces) == [b"a", b"b"]  # "\r" "\r\n": a CR alone, then a CRLF


def test_other_fields_ignored_and_empty_data() -> None:
    body = b"event: x\nid: 7\nretry: 10\ndata\n\ndata: y\n\n"
    assert decode([body]) == [b"", b"y"]


def test_unfinished_event_waits_for_its_end() -> None:
    d = SSEDecoder()
    assert d.feed(b'data: {"a"') == []
    assert d.feed(b": 1}\n") == []
    assert d.feed(b"\n") == [b'{"a": 1}']
    assert d.feed(b"data: x\n") == [] and d.finish() == []  # cut short: never completed


def test_split_inside_utf8_character() -> None:
    payload = json.dumps({"t": "café 🚀"}, ensure_ascii=False).encode()
    body = b"data: " + payload + b"\n\n"
    cut = body.index("🚀".encode()) + 2  # in the middle of the emoji's four bytes
    out = decode([body[:cut], body[cut:]])
    assert [json.loads(x) for x in out] == [{"t": "café 🚀"}]


EVENT = st.text(
    alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)), max_size=40
)


@settings(max_examples=300, deadline=None)
@given(
    payloads=st.lists(EVENT, min_size=1, max_size=12),
    newline=st.sampled_from([b"\n", b"\r\n", b"\r"]),
    cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=30),
    comments=st.booleans(),
)
def test_any_split_decodes_to_the_same_events(
    payloads: list[str], newline: bytes, cuts: list[int], comments: bool
) -> None:
    body = b""
    for p in payloads:
        if comments:
            body += b": keep-alive" + newline
        body += b"data: " + p.encode() + newline + newline
    points = sorted({c % (len(body) + 1) for c in cuts})
    pieces = [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]
    assert decode(pieces) == [p.encode() for p in payloads]


def reference(body: bytes) -> list[bytes]:
    """The SSE rules applied to a whole body at once: the decoder must agree, however cut."""
    *lines, _unfinished = re.split(rb"\r\n|\r|\n", body)
    out: list[bytes] = []
    data: list[bytes] = []
    for line in lines:
        if not line:
            if data:
                out.append(b"\n".join(data))
                data = []
        elif not line.startswith(b":"):
            name, _, value = line.partition(b":")
            if name == b"data":
                data.append(value[1:] if value.startswith(b" ") else value)
    return out


TOKENS = [b"\r", b"\n", b"\r\n", b"data", b":", b" ", b"x", b"\xc3\xa9", b"id: 1", b"[DONE]"]


@settings(max_examples=500, deadline=None)
@given(
    parts=st.lists(st.sampled_from(TOKENS), max_size=40),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=12),
)
def test_byte_soup_decodes_as_the_whole_body_would(parts: list[bytes], cuts: list[int]) -> None:
    body = b"".join(parts)
    points = sorted({c % (len(body) + 1) for c in cuts})
    pieces = [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]
    assert decode(pieces) == reference(body)
