"""Rendering a streamed answer into one cell output, within an iopub budget.

Each update re-sends the whole answer (Jupyter cannot append to a display), so the
number of updates decides the bytes on the wire. Updates come at most every 50 ms,
only after ~40 new characters, and the interval grows with the answer
(``len / 20,000`` s) so that the bytes sent stay a small multiple of the answer.
The last update is exact.

Model output is untrusted and JupyterLab trusts what a kernel displays: every piece of
outside text is turned into HTML (or plain text) by ``render.py``, which explains the
rules; this module only decides when to send.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from . import render

MIN_INTERVAL_S = 0.05
MIN_NEW_CHARS = 40
CHARS_PER_S_OF_INTERVAL = 20_000
PLACEHOLDER = "<p>…</p>"


class Transcript:
    """An answer as it grows: the model's Markdown and tool entries, in order.

    Parts are (text, plain) pairs: ``(markdown, None)`` is the model's text, rendered
    by ``render.render_markdown``; ``(html, plain)`` is a tool entry already rendered.
    """

    def __init__(self) -> None:
        self.parts: list[tuple[str, str | None]] = []  # (text, None) = model text
        self.size = 0

    def add_text(self, text: str) -> None:
        if self.parts and self.parts[-1][1] is None:
            self.parts[-1] = (self.parts[-1][0] + text, None)
        else:
            self.parts.append((text, None))
        self.size += len(text)

    def add_tool_line(self, name: str, arguments: str, result: str, is_error: bool) -> None:
        html = render.tool_html(name, arguments, result, is_error)
        self.parts.append((html, render.tool_plain(name, arguments, result, is_error)))
        self.size += len(html)

    def text(self) -> str:
        """The model's words only (what ``--out`` and ``_azure`` hold)."""
        return "".join(t for t, plain in self.parts if plain is None)

    def html(self) -> str:
        return "".join(render.render_markdown(t) if plain is None else t for t, plain in self.parts)

    def plain(self) -> str:
        return render.plain_text("".join(t if plain is None else plain for t, plain in self.parts))


def bundle(transcript: Transcript, fmt: str, final: bool) -> dict[str, str]:
    """The mimebundle: HTML while streaming; plain text too at the end."""
    if fmt == "text":
        return {"text/plain": transcript.plain()}
    data = {"text/html": transcript.html() or PLACEHOLDER}
    if final:
        data["text/plain"] = transcript.plain()
    return data


class StreamingOutput:
    """One display (one ``display_id``) re-rendered as an answer grows."""

    def __init__(self, fmt: str = "markdown", *, stream: bool = True) -> None:
        from IPython.display import display

        self._display: Any = display
        self.fmt = fmt
        self.stream = stream
        self.display_id = uuid.uuid4().hex
        self.updates = 0
        self._shown = False
        self._last_time = 0.0
        self._last_len = 0

    def _send(self, data: dict[str, str]) -> None:
        self._display(data, raw=True, display_id=self.display_id, update=self._shown)
        self._shown = True
        self.updates += 1

    def update(self, transcript: Transcript) -> None:
        """Maybe re-render (throttled); cheap to call on every delta."""
        size = transcript.size
        if not self.stream or not size:
            return
        now = time.monotonic()
        interval = max(MIN_INTERVAL_S, size / CHARS_PER_S_OF_INTERVAL)
        throttled = now - self._last_time < interval or size - self._last_len < MIN_NEW_CHARS
        if throttled and self._shown:  # the first text shows at once
            return
        self._last_time, self._last_len = now, size
        self._send(bundle(transcript, self.fmt, final=False))

    def finish(self, transcript: Transcript) -> None:
        """The exact final rendering."""
        self._send(bundle(transcript, self.fmt, final=True))


def footer(
    model: str,
    usage: dict[str, Any] | None,
    seconds: float,
    note: str = "",
    cost_usd: float | None = None,
) -> str:
    """``gpt-4o · 12 in / 345 out tokens · 1.2 s`` (+ cost when known, + a note)."""
    usage = usage or {}
    parts = [
        model,
        f"{usage.get('input_tokens', 0)} in / {usage.get('output_tokens', 0)} out tokens",
        f"{seconds:.1f} s",
    ]
    if cost_usd is not None:
        parts.append(f"${cost_usd:.4f}")
    if note:
        parts.append(note)
    return " · ".join(parts)


def show_footer(text: str) -> None:
    from IPython.display import display

    display({"text/html": render.footer_html(text), "text/plain": render.one_line(text)}, raw=True)
