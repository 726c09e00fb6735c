"""What of a conversation is sent: the bound on earlier exchanges (api.md §7).

Pure functions, no I/O; the agent loop calls :func:`select` once per request.

A conversation (OpenAI-shaped messages, the system prompt kept apart) is a run of
*exchanges*: a user message and every assistant message, tool call and tool result it
led to, up to the next user message. The last exchange is the current one (its prompt,
and the tool rounds of this query so far); it is always sent, whole. The earlier ones
are sent newest first while they fit the bound, and the oldest are left out whole, so a
tool result never travels without the call that asked for it.

Sizes are estimates in the service's tokens: :func:`estimate` counts characters (about
four to a token, plus a few per message), and ``scale`` corrects it with what the
service reported for an earlier request (:func:`calibrated_scale`).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

CHARS_PER_TOKEN = 4.0
MESSAGE_OVERHEAD = 4
"""Tokens every message costs besides its text (role, separators), and the reply's priming."""
IMAGE_TOKENS = 765
"""An image part whose size cannot be read (a URL): four 512-pixel tiles and the base."""
LOW_IMAGE_TOKENS = 85
"""An image part with ``detail: low`` (one 512x512 picture), and the base of the others."""
TILE_TOKENS = 170
"""Each 512-pixel tile of an image Azure looks at in detail (``high``; ``auto`` is
counted as ``high``, its upper bound)."""
MIN_SCALE, MAX_SCALE = 0.25, 4.0
WINDOW_MARGIN = 0.05
"""Part of a context window kept free for the estimate's error."""

Messages = Sequence[dict[str, Any]]


def _text_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def _content_tokens(content: Any) -> int:
    if isinstance(content, str):
        return _text_tokens(content)
    if isinstance(content, list):
        total = 0
        for part in content:
            if not isinstance(part, dict):
                continue
            if part.get("type") == "image_url":
                total += image_tokens(part.get("image_url"))
            else:
                total += _text_tokens(str(part.get("text", "")))
        return total
    return 0


def image_tokens(image_url: Any) -> int:
    """What Azure counts for one image part: 85 for ``detail: low``; else 85 plus 170 per
    512-pixel tile once the image is fitted into 2048x2048 and its short side into 768
    (azure-wire-2.md §5), read from the data URL's header; ``IMAGE_TOKENS`` when the size
    is unknown."""
    if not isinstance(image_url, dict):
        return IMAGE_TOKENS
    if image_url.get("detail") == "low":
        return LOW_IMAGE_TOKENS
    size = _data_url_size(str(image_url.get("url", ""))[:_HEADER_CHARS])
    if size is None:
        return IMAGE_TOKENS
    width, height = size
    scale = min(1.0, 2048 / max(width, height))
    scale = min(scale, 768 / max(1.0, min(width, height) * scale) * scale)
    tiles = math.ceil(width * scale / 512) * math.ceil(height * scale / 512)
    return LOW_IMAGE_TOKENS + TILE_TOKENS * tiles


_HEADER_CHARS = 8192  # of base64: where PNG, GIF and our JPEGs state their size


@lru_cache(maxsize=256)
def _data_url_size(url_head: str) -> tuple[int, int] | None:
    """(width, height) from the start of a base64 PNG, GIF or JPEG data URL, or None."""
    if not url_head.startswith("data:image/"):
        return None
    data = url_head.partition(",")[2]
    try:
        raw = base64.b64decode(data[: len(data) // 4 * 4])
    except (binascii.Error, ValueError):
        return None
    if raw.startswith(b"\x89PNG") and len(raw) >= 24:
        width, height = struct.unpack(">II", raw[16:24])
        return (width, height) if width and height else None
    if raw[:4] == b"GIF8" and len(raw) >= 10:
        width, height = struct.unpack("<HH", raw[6:10])
        return (width, height) if width and height else None
    if raw[:2] == b"\xff\xd8":
        return _jpeg_size(raw)
    return None


def _jpeg_size(raw: bytes) -> tuple[int, int] | None:
    at = 2
    while at + 9 < len(raw):
        if raw[at] != 0xFF:
            return None
        marker = raw[at + 1]
        length = struct.unpack(">H", raw[at + 2 : at + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", raw[at + 5 : at + 9])
            return (width, height) if width and height else None
        at += 2 + length
    return None


def estimate(messages: Messages, *, tools: Sequence[dict[str, Any]] = ()) -> int:
    """Estimated prompt tokens of ``messages`` (and the tool definitions, which count too)."""
    total = _text_tokens(json.dumps(list(tools))) if tools else 0
    for message in messages:
        total += MESSAGE_OVERHEAD + _content_tokens(message.get("content"))
        for call in message.get("tool_calls") or ():
            function = call.get("function") or {}
            total += _text_tokens(str(function.get("name", "")))
            total += _text_tokens(str(function.get("arguments", "")))
    return total


def calibrated_scale(reported: int, estimated: int) -> float:
    """The factor that turns this module's estimate into the service's count."""
    if reported <= 0 or estimated <= 0:
        return 1.0
    return min(MAX_SCALE, max(MIN_SCALE, reported / estimated))


def exchanges(conversation: Messages) -> list[list[dict[str, Any]]]:
    """``conversation`` cut before each user message (anything before the first user
    message belongs to the first exchange)."""
    out: list[list[dict[str, Any]]] = []
    for message in conversation:
        if message.get("role") == "user" or not out:
            out.append([])
        out[-1].append(message)
    return out


@dataclass(frozen=True)
class Selection:
    """What one request carries of the conversation."""

    messages: list[dict[str, Any]]
    """The earlier exchanges kept, then the current one (no system message)."""
    left_out: int
    """Earlier exchanges not sent."""
    earlier_tokens: int
    """Estimated (scaled) tokens of the earlier exchanges sent."""
    current_tokens: int
    """Estimated (scaled) tokens of the current exchange."""
    fits: bool = True
    """False when the current exchange alone is larger than ``room``."""


def current_start(conversation: Messages) -> int:
    """Where the current exchange starts: the last user message (0 if there is none)."""
    for i in range(len(conversation) - 1, -1, -1):
        if conversation[i].get("role") == "user":
            return i
    return 0


def select(
    conversation: Messages,
    limit: int | None,
    *,
    start: int | None = None,
    scale: float = 1.0,
    room: int | None = None,
) -> Selection:
    """The newest earlier exchanges that fit, and the current exchange.

    ``limit``: the most the earlier exchanges may add (``None``: no limit, ``0``: none).
    ``start``: where the current exchange starts (default :func:`current_start`; the
    agent loop fixes it when a query begins, so a follow-up user turn inside the query,
    such as a structured-output repair, stays part of it).
    ``room``: the most the whole conversation may take (a context window less the
    completion, the system prompt and the tool definitions), or ``None`` when unknown.
    """
    if start is None:
        start = current_start(conversation)
    earlier = exchanges(conversation[:start])
    current = list(conversation[start:])
    current_tokens = math.ceil(estimate(current) * scale)
    budget = limit
    if room is not None:
        left = max(0, room - current_tokens)
        budget = left if budget is None else min(budget, left)
    kept: list[list[dict[str, Any]]] = []
    used = 0
    for exchange in reversed(earlier):
        cost = math.ceil(estimate(exchange) * scale)
        if budget is not None and used + cost > budget:
            break
        kept.append(exchange)
        used += cost
    messages = [m for exchange in reversed(kept) for m in exchange] + current
    fits = room is None or current_tokens <= room
    return Selection(messages, len(earlier) - len(kept), used, current_tokens, fits)


def room_in_window(window: int, completion: int, fixed_tokens: int) -> int:
    """Tokens the conversation may take in a ``window`` shared with the requested
    ``completion`` and ``fixed_tokens`` (system prompt, tool definitions), less a margin
    for the estimate's error."""
    return window - completion - fixed_tokens - math.ceil(window * WINDOW_MARGIN)


__all__ = [
    "Selection",
    "calibrated_scale",
    "current_start",
    "estimate",
    "exchanges",
    "image_tokens",
    "room_in_window",
    "select",
]
