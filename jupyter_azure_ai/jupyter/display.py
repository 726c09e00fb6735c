"""A streamed answer in a cell: finished blocks sent once, the open tail re-rendered.

Jupyter cannot append to an output, so re-rendering a whole answer on every update
sends it again and again (0.1: 57x the answer's bytes at a real model's pace). Here
the answer is cut into finished blocks (``blocks.cuts``: paragraphs, lists, tables,
closed fences; consecutive ones joined up to ``MIN_BLOCK_CHARS``, because every output
costs ~300 bytes of envelope) and each block is sent once, as an output of its own,
with its ``text/plain``, as soon as it is finished. Only the open tail (one display)
is re-rendered while it grows; when it is finished it becomes the block by one last
update. Finished text stays still, so it can be selected and copied while the answer
streams. The cuts depend only on the text, so a cell ends with the same outputs
however the answer arrived (``nbval`` compares them); tool calls are blocks of their own.

The tail shows a new block's first ``MIN_NEW_CHARS`` at once, then is re-sent every
``MAX_WAIT_S`` while it grows, and a long one only after it has grown by ``GROWTH``
times what was last sent (so it costs a small multiple of its size). Measured with
bench/run.py for a 6,000-character answer: 3.7x the answer's bytes at 300 characters/s,
3.2x at 1,000 (0.1: 57x); the constants trade those bytes against how often the tail
moves.

Model output is untrusted and JupyterLab trusts what a kernel displays: every piece of
outside text is turned into HTML (or plain text) by ``render.py``, which explains the
rules; this module only decides what to send when.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from ..view import Text, ToolCall, ViewEvent
from . import render
from .blocks import cuts

MIN_INTERVAL_S = 0.05
MIN_NEW_CHARS = 60
GROWTH = 1.0
MIN_BLOCK_CHARS = 500
MAX_WAIT_S = 1.5
PLACEHOLDER = "<p>…</p>"

Bundle = dict[str, str]


def _ipython_display(data: Bundle, display_id: str | None, update: bool) -> None:
    from IPython.display import display

    if display_id is None:  # a finished block that was never a tail: no id needed
        display(data, raw=True)
    else:
        display(data, raw=True, display_id=display_id, update=update)


class AnswerOutput:
    """The outputs of one answer (``fmt``: ``"markdown"`` → HTML, ``"text"`` → plain).

    ``add`` takes the view events of the answer, ``tick`` may send (cheap; call it on
    every event and when idle), ``finish`` sends what is left.
    """

    def __init__(
        self,
        fmt: str = "markdown",
        *,
        stream: bool = True,
        send: Callable[[Bundle, str | None, bool], None] = _ipython_display,
    ) -> None:
        self.fmt = fmt
        self.stream = stream
        self.sent = 0  # display messages sent
        self._send = send
        self._words: list[str] = []  # the model's text, all of it
        self._open: list[str] = []  # the model's text since the last finished block
        self._open_len = 0
        self._tail_id: str | None = None  # the display showing the open tail
        self._tail_sent = 0  # how much of the open text that display shows
        self._last_send = 0.0
        self._blocks = 0
        self._line_ended = False

    @property
    def text(self) -> str:
        """The model's words only (what ``--out`` and ``_azure`` hold)."""
        return "".join(self._words)

    def add(self, event: ViewEvent) -> None:
        if isinstance(event, Text):
            self._words.append(event.text)
            self._open.append(event.text)
            self._open_len += len(event.text)
            self._line_ended = self._line_ended or "\n" in event.text
        elif isinstance(event, ToolCall):
            self._finish_open()  # the text before a tool call is complete
            args = (event.name, event.input, event.result, event.is_error)
            self._block(render.tool_html(*args), render.tool_plain(*args))

    def tick(self) -> None:
        """Send what is finished at once, and the tail if the throttle allows."""
        if not self.stream:
            return
        if self._line_ended:  # only a complete line can finish a block
            self._line_ended = False
            self._send_finished()
        new = self._open_len - self._tail_sent
        if new <= 0:
            return
        waited = time.monotonic() - self._last_send
        if self._tail_sent == 0:  # a new block: show its start soon
            due = new >= MIN_NEW_CHARS or waited >= MAX_WAIT_S
        else:  # then about once a second, and only after real growth for a long one
            due = waited >= MAX_WAIT_S and new >= GROWTH * self._tail_sent
        if waited >= MIN_INTERVAL_S and due:
            text = "".join(self._open)
            if text.strip():
                self._show_tail(text)

    def finish(self) -> None:
        """Send the rest exactly (something is always shown, if only a placeholder)."""
        self._send_finished()
        self._finish_open()
        if not self._blocks:
            self._block(PLACEHOLDER, "")

    # --- sending -------------------------------------------------------------------

    def _send_finished(self) -> None:
        """Each run of whole blocks of at least ``MIN_BLOCK_CHARS`` becomes an output."""
        text = "".join(self._open)
        start = 0
        for cut in cuts(text):
            if cut - start >= MIN_BLOCK_CHARS:
                self._markdown_block(text[start:cut])
                start = cut
        if start:
            rest = text[start:]
            self._open = [rest] if rest else []
            self._open_len = len(rest)

    def _finish_open(self) -> None:
        self._markdown_block("".join(self._open))
        self._open, self._open_len = [], 0

    def _markdown_block(self, markdown: str) -> None:
        if markdown.strip():
            self._block(render.render_markdown(markdown), render.plain_text(markdown))

    def _block(self, html: str, plain: str) -> None:
        """A finished block: the tail display's last update, or an output of its own."""
        data = (
            {"text/plain": plain}
            if self.fmt == "text"
            else {"text/html": html, "text/plain": plain}
        )
        if self._tail_id is not None:
            self._emit(data, self._tail_id, update=True)
            self._tail_id = None
        else:
            self._emit(data, None, update=False)
        self._blocks += 1
        self._tail_sent = 0

    def _show_tail(self, markdown: str) -> None:
        if self.fmt == "text":
            data = {"text/plain": render.plain_text(markdown)}
        else:
            data = {"text/html": render.render_markdown(markdown)}
        update = self._tail_id is not None
        if self._tail_id is None:
            self._tail_id = uuid.uuid4().hex[:16]  # 64 random bits: unique enough
        self._emit(data, self._tail_id, update=update)
        self._tail_sent = len(markdown)

    def _emit(self, data: Bundle, display_id: str | None, *, update: bool) -> None:
        self._send(data, display_id, update)
        self.sent += 1
        self._last_send = time.monotonic()


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


STRUCTURED_ERRORS = {
    "error_refusal": "the model refused",
    "error_structured_output": "the answer did not follow the schema",
    "error_max_tokens": "the answer was cut at max_tokens",
}
"""Footer notes for a ``--schema`` answer that gave no object (ResultMessage.subtype)."""


def show_structured(result: Any) -> None:
    """A ``--schema`` answer: the object (render.object_html), or the text it came with."""
    from IPython.display import display

    if result.structured_output is not None:
        value = result.structured_output
        data = {"text/html": render.object_html(value), "text/plain": render.object_plain(value)}
    else:
        text = result.result or ""
        data = {"text/html": render.preformatted_html(text), "text/plain": render.plain_text(text)}
    display(data, raw=True)


def show_footer(text: str) -> None:
    from IPython.display import display

    display({"text/html": render.footer_html(text), "text/plain": render.one_line(text)}, raw=True)


def show_answer_footer(model: str, result: Any, seconds: float, notes: list[str]) -> None:
    """The footer of one answer (``%%azure``, ``%azure fix``): its ``ResultMessage`` (None
    when there was none) gives usage and cost; ``notes`` follow, joined."""
    usage = result.usage if result is not None else None
    cost = result.total_cost_usd if result is not None else None
    show_footer(footer(model, usage, seconds, " · ".join(notes), cost))
