"""The chat panel: an anywidget sharing the kernel's client with ``%%azure``.

State and traffic, kept apart on purpose:

- traits (synced, saved in the notebook) hold only what a reload must show: the final
  ``transcript``, ``status``, ``busy`` and the deployment name — never a secret;
- deltas travel as custom messages (``widget.send``), batched every ~50 ms, so the
  bytes sent for an answer stay close to its size;
- the network runs on the kernel's loop thread (``runtime.py``), but only the kernel's
  main thread writes output (design.md): what the loop thread produces is handed to
  the main thread's event loop, which sends it, so the kernel stays free to receive
  the Stop button while an answer streams.

Settings are the kernel's (``settings.current()``, read on each question, so
``%azure config`` applies to the panel too); ``chat(**overrides)`` wins over them.

A panel on the shared conversation shows that conversation: one made after ``%azure
resume`` opens with the resumed transcript, and ``show_conversation`` switches panels
already on screen when ``%azure resume`` or ``%azure reset`` replaces it.

Protocol (``content`` of custom messages):

- front end → kernel: ``{"type": "ask", "text": str}`` (pasted or dropped images ride
  along as the message's binary buffers, one per image: never a synced trait),
  ``{"type": "stop"}``, ``{"type": "new"}`` (a fresh conversation);
- kernel → front end: ``{"type": "delta", "text": str}`` (append to the answer being
  written), ``{"type": "tool", "name", "input", "result", "is_error"}``, then
  ``{"type": "done"}`` once ``transcript`` and ``status`` hold the final state.

A transcript entry is ``{"role": "user" | "assistant", "text": str, "tools": [...]}``
(tools: ``{"name", "input", "result", "is_error"}``); a prompt with images also has
``"images": [{"src", "alt"}]``, ``src`` a small thumbnail data URL (at most
``images.MAX_THUMBNAIL_CHARS``; empty when even that would be larger), never the image
that was sent.
"""

from __future__ import annotations

import asyncio
import base64
import io
import queue
import time
import weakref
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import asdict
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from ..client import AzureAgentClient
from ..errors import ConfigurationError
from ..images import MAX_IMAGES, EncodedImage, encode_image, image_prompt, thumbnail
from ..options import AzureOpenAIOptions
from ..types import Message, ResultMessage
from ..view import Finished, LeftOut, MessageView, Text, ToolCall, exchanges
from .display import footer
from .error_line import SHOWN_AS_ONE_LINE, describe
from .runtime import Runtime, get_runtime
from .settings import current

STATIC = Path(__file__).resolve().parent.parent / "static"
BATCH_S = 0.05


def transcript_of(history: list[Message]) -> list[dict[str, Any]]:
    """The conversation as the panel shows it (tool calls folded into their answer; a
    prompt's images as thumbnails)."""
    out: list[dict[str, Any]] = []
    for exchange in exchanges(history):
        user: dict[str, Any] = {"role": "user", "text": exchange.prompt, "tools": []}
        if exchange.images:
            user["images"] = [_block_thumbnail(b.media_type, b.data) for b in exchange.images]
        out.append(user)
        tools = [_tool_entry(t) for t in exchange.tools]
        out.append({"role": "assistant", "text": exchange.text, "tools": tools})
    return out


def _thumbnail_entry(image: EncodedImage) -> dict[str, str]:
    """What widget state holds of an image: a small thumbnail (or none) and its alt text."""
    small = thumbnail(image)
    alt = f"image {image.width}x{image.height}"
    return {"src": small.data_url if small is not None else "", "alt": alt}


@lru_cache(maxsize=64)
def _block_thumbnail(media_type: str, data: str) -> dict[str, str]:
    """The thumbnail entry of a history ``ImageBlock`` (a URL image has none)."""
    if not data:
        return {"src": "", "alt": "image (URL)"}
    from PIL import Image

    try:
        raw = base64.b64decode(data)
        width, height = Image.open(io.BytesIO(raw)).size  # reads the header only
        small = thumbnail(raw)
    except (ConfigurationError, OSError, ValueError):
        return {"src": "", "alt": "image"}
    alt = f"image {width}x{height}"
    return {"src": small.data_url if small is not None else "", "alt": alt}


def _tool_entry(call: ToolCall) -> dict[str, Any]:
    entry = asdict(call)
    return {k: entry[k] for k in ("name", "input", "result", "is_error")}


class MainThread:
    """Hands work from the loop thread to the kernel's main thread.

    Work waits in a queue; the main thread's event loop is woken to run it, or
    ``run_until`` runs it while a cell waits (``ChatWidget.ask(..., wait=True)``: a
    busy cell keeps the event loop from running anything).
    """

    def __init__(self) -> None:
        self._work: queue.SimpleQueue[Callable[[], object]] = queue.SimpleQueue()
        try:
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:  # not inside a running kernel (a plain script, a test)
            self._loop = None

    def post(self, fn: Callable[[], object]) -> None:
        self._work.put(fn)
        if self._loop is None:
            self.run_pending()
        else:
            self._loop.call_soon_threadsafe(self.run_pending)

    def run_pending(self) -> None:
        while True:
            try:
                fn = self._work.get_nowait()
            except queue.Empty:
                return
            fn()

    def run_until(self, done: Callable[[], bool], timeout: float = 0.05) -> None:
        """Run posted work here until ``done()`` (checked at least every ``timeout`` s)."""
        while not done():
            try:
                fn = self._work.get(timeout=timeout)
            except queue.Empty:
                continue
            fn()


class ChatWidget(anywidget.AnyWidget):
    """A chat panel on the kernel's shared Azure OpenAI client (see the module docstring)."""

    _esm = STATIC / "chat.js"
    _css = STATIC / "chat.css"

    transcript = traitlets.List(traitlets.Dict()).tag(sync=True)
    status = traitlets.Unicode("").tag(sync=True)
    busy = traitlets.Bool(False).tag(sync=True)
    model = traitlets.Unicode("").tag(sync=True)

    def __init__(
        self,
        overrides: dict[str, Any] | None = None,
        *,
        new_conversation: bool = False,
        runtime: Runtime | None = None,
    ) -> None:
        """``overrides``: ``AzureOpenAIOptions`` fields that win over the kernel's settings;
        ``new_conversation``: a conversation of the panel's own, not the shared one."""
        super().__init__()
        self._overrides = dict(overrides or {})
        self._runtime = runtime or get_runtime()
        self._main = MainThread()
        self._post = self._main.post
        self._last: AzureAgentClient | None = None  # the client of the latest question
        options = self._options()  # raises ConfigurationError before anything is shown
        self._own: AzureAgentClient | None = AzureAgentClient(options) if new_conversation else None
        self.model = options.model
        self.transcript = transcript_of(self._client(options).history)
        self.on_msg(self._on_msg)
        _PANELS.add(self)

    def _options(self) -> AzureOpenAIOptions:
        return current().options(**self._overrides)

    def _client(self, options: AzureOpenAIOptions) -> AzureAgentClient:
        return self._own if self._own is not None else self._runtime.client_for(options)

    def close(self) -> None:
        if self._own is not None:  # a panel's own conversation (new_conversation=True)
            self._runtime.submit(self._own.disconnect())
        super().close()

    def _on_msg(self, _: Any, content: dict[str, Any], buffers: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ask":
            text = str(content.get("text", "")).strip()
            images = [bytes(b) for b in buffers or []]  # pasted or dropped: binary buffers
            if (text or images) and not self.busy:
                self.ask(text, images=images)
        elif kind == "stop":
            if self._last is not None:
                self._runtime.interrupt(self._last)
        elif kind == "new" and not self.busy:
            try:
                self._runtime.reset(self._client(self._options()))
            except Exception as exc:  # settings changed meanwhile; say so, never raise here
                self.status = f"✗ {describe(exc)}"
                return
            self.transcript = []
            self.status = "new conversation"

    def ask(self, text: str, *, images: Sequence[Any] = (), wait: bool = False) -> None:
        """Send ``text`` as the user would: returns at once and the answer streams in, or
        with ``wait=True`` returns when it is complete (Ctrl-C stops it). ``images``:
        anything ``jupyter_azure_ai.images`` takes (bytes when pasted into the panel)."""
        try:
            options = self._options()
        except Exception as exc:
            self.status = f"✗ {describe(exc)}"
            return
        if len(images) > MAX_IMAGES:  # nothing is sent
            self.status = f"✗ image: {len(images)} images; Azure takes at most {MAX_IMAGES}"
            return
        try:  # a matplotlib figure is drawn here: matplotlib is not thread-safe
            images = [_drawn(image) for image in images]
        except ConfigurationError as exc:
            self.status = f"✗ image: {exc}"
            return
        client = self._last = self._client(options)
        self.model = options.model
        self.busy = True
        self.status = f"{options.model} · answering…"
        self.transcript = [*self.transcript, {"role": "user", "text": text, "tools": []}]
        # images are fitted and re-encoded in _answer, off this thread (~0.3 s each)
        self._runtime.submit(self._answer(client, options, text, list(images)))
        if wait:
            try:
                self._main.run_until(lambda: not self.busy)
            except KeyboardInterrupt:
                self._runtime.interrupt(client)
                self._main.run_until(lambda: not self.busy)

    async def _answer(
        self,
        client: AzureAgentClient,
        options: AzureOpenAIOptions,
        text: str,
        images: Sequence[Any] = (),
    ) -> None:
        """Runs on the loop thread; everything shown goes through ``self._post``."""
        prompt: str | AsyncIterator[dict[str, Any]] = text
        if images:  # Pillow's work on a worker thread: neither the kernel nor the loop waits
            try:
                encoded, thumbnails = await asyncio.to_thread(_prepared, images)
            except Exception as exc:  # nothing is sent
                why = exc if isinstance(exc, ConfigurationError) else describe(exc)
                self._post(partial(self._done, client, f"✗ image: {why}"))
                return
            self._post(partial(self._show_images, thumbnails))
            prompt = image_prompt(text, *(e.block() for e in encoded))
        started = time.perf_counter()
        pending: list[str] = []
        last = time.monotonic()
        result: ResultMessage | None = None
        left_out: LeftOut | None = None
        status = "✗ stopped before an answer"

        def flush() -> None:
            if pending:
                self._post(partial(self.send, {"type": "delta", "text": "".join(pending)}))
                pending.clear()

        try:
            view = MessageView()
            async for message in self._runtime.converse(client, prompt, options):
                for event in view.feed(message):
                    if isinstance(event, Text):
                        pending.append(event.text)
                        if time.monotonic() - last >= BATCH_S:
                            flush()
                            last = time.monotonic()
                    elif isinstance(event, ToolCall):
                        flush()
                        self._post(partial(self.send, {"type": "tool", **_tool_entry(event)}))
                    elif isinstance(event, LeftOut):
                        left_out = event
                    elif isinstance(event, Finished):
                        result = event.result
            flush()
            stopped = result is not None and result.subtype == "interrupted"
            notes = ["Stopped"] if stopped else []
            if left_out is not None:
                notes.append(left_out.note)
            note = " · ".join(notes)
            status = footer(
                options.model,
                result.usage if result else None,
                time.perf_counter() - started,
                note,
                result.total_cost_usd if result else None,
            )
        except Exception as exc:
            status = f"✗ {describe(exc)}"
        finally:
            self._post(partial(self._done, client, status))

    def _show_images(self, thumbnails: list[dict[str, str]]) -> None:
        """On the main thread: the prompt being answered shows the thumbnails of its images."""
        *before, user = self.transcript
        self.transcript = [*before, {**user, "images": thumbnails}]

    def _done(self, client: AzureAgentClient, status: str) -> None:
        """On the main thread: the final state, then the end marker."""
        self.transcript = transcript_of(client.history)
        self.status = status
        self.busy = False
        self.send({"type": "done"})


_PANELS: weakref.WeakSet[ChatWidget] = weakref.WeakSet()


def show_conversation(client: AzureAgentClient, status: str = "") -> None:
    """Panels on the shared conversation show ``client``'s now (``%azure resume`` and
    ``reset`` replace it under them); on the main thread."""
    for panel in list(_PANELS):
        if panel._own is None and not panel.busy and panel._runtime.client is client:
            panel.transcript = transcript_of(client.history)
            panel.status = status


def _drawn(image: Any) -> Any:
    """A matplotlib Figure or Axes as PNG bytes (drawn on the calling thread); anything else
    as it is."""
    if type(image).__module__.split(".")[0] == "matplotlib":
        return encode_image(image).data
    return image


def _prepared(images: Sequence[Any]) -> tuple[list[EncodedImage], list[dict[str, str]]]:
    """The panel's images, fitted and re-encoded, and their transcript thumbnails; one
    ``ConfigurationError`` line if one is not an image."""
    encoded = [encode_image(image) for image in images]
    return encoded, [_thumbnail_entry(e) for e in encoded]


def chat(*, new_conversation: bool = False, **overrides: Any) -> ChatWidget:
    """A chat panel; ``new_conversation=True`` keeps it out of the shared conversation.

    Settings follow the magic's (``%azure config`` / ``%config AzureMagics.x``, then
    ``AZURE_*`` variables); ``overrides`` (``AzureOpenAIOptions`` fields) win. Missing
    or bad settings raise one line, as in the magic.
    """
    try:
        return ChatWidget(overrides, new_conversation=new_conversation)
    except SHOWN_AS_ONE_LINE as exc:
        raise describe(exc) from None
