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

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

CHARS_PER_TOKEN = 4.0
MESSAGE_OVERHEAD = 4
"""Tokens every message costs besides its text (role, separators), and the reply's priming."""
IMAGE_TOKENS = 765
"""An image part, at the size images are sent (a 512-pixel tile and the base cost)."""
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
                total += IMAGE_TOKENS
            else:
                total += _text_tokens(str(part.get("text", "")))
        return total
    return 0


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
    "room_in_window",
    "select",
]
