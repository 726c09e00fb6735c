"""The chat panel: an anywidget sharing the kernel's client with ``%%azure``.

State and traffic, kept apart on purpose:

- traits (synced, saved in the notebook) hold only what a reload must show: the final
  ``transcript``, ``status``, ``busy`` and the deployment name — never a secret;
- deltas travel as custom messages (``widget.send``), batched every ~50 ms, so the
  bytes sent for an answer stay close to its size;
- the network runs on the kernel's loop thread (``runtime.py``); this module sends
  from there too (ipykernel's iopub is thread-safe), so the kernel stays free to
  receive the Stop button while an answer streams.

Protocol (``content`` of custom messages):

- front end → kernel: ``{"type": "ask", "text": str}``, ``{"type": "stop"}``,
  ``{"type": "new"}`` (a fresh conversation);
- kernel → front end: ``{"type": "delta", "text": str}`` (append to the answer being
  written), ``{"type": "tool", "name", "input", "result", "is_error"}``, then
  ``{"type": "done"}`` once ``transcript`` and ``status`` hold the final state.

A transcript entry is ``{"role": "user" | "assistant", "text": str, "tools": [...]}``
(tools: ``{"name", "input", "result", "is_error"}``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from ..client import AzureAgentClient
from ..types import (
    AssistantMessage,
    AzureOpenAIOptions,
    Message,
    ResultMessage,
    StreamEvent,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
)
from .display import footer
from .runtime import Runtime, get_runtime

STATIC = Path(__file__).resolve().parent.parent / "static"
BATCH_S = 0.05


def transcript_of(history: list[Message]) -> list[dict[str, Any]]:
    """The conversation as the panel shows it (tool calls folded into their answer)."""
    out: list[dict[str, Any]] = []
    calls: dict[str, ToolUseBlock] = {}
    for m in history:
        if isinstance(m, UserMessage) and isinstance(m.content, str):
            out.append({"role": "user", "text": m.content, "tools": []})
        elif isinstance(m, AssistantMessage):
            if not out or out[-1]["role"] != "assistant":
                out.append({"role": "assistant", "text": "", "tools": []})
            for block in m.content:
                if isinstance(block, TextBlock):
                    out[-1]["text"] += block.text
                elif isinstance(block, ToolUseBlock):
                    calls[block.id] = block
        elif isinstance(m, UserMessage) and out and out[-1]["role"] == "assistant":
            for result in m.content:
                if isinstance(result, ToolResultBlock) and result.tool_use_id in calls:
                    out[-1]["tools"].append(_tool_entry(calls[result.tool_use_id], result))
    return out


def _tool_entry(use: ToolUseBlock, result: ToolResultBlock) -> dict[str, Any]:
    return {
        "name": use.name,
        "input": json.dumps(use.input, ensure_ascii=False),
        "result": str(result.content),
        "is_error": bool(result.is_error),
    }


class ChatWidget(anywidget.AnyWidget):
    """A chat panel on the kernel's shared Azure OpenAI client."""

    _esm = STATIC / "chat.js"
    _css = STATIC / "chat.css"

    transcript = traitlets.List(traitlets.Dict()).tag(sync=True)
    status = traitlets.Unicode("").tag(sync=True)
    busy = traitlets.Bool(False).tag(sync=True)
    model = traitlets.Unicode("").tag(sync=True)

    def __init__(
        self,
        options: AzureOpenAIOptions,
        *,
        runtime: Runtime | None = None,
        client: AzureAgentClient | None = None,
    ) -> None:
        super().__init__()
        self._options = options
        self._runtime = runtime or get_runtime()
        self._owns_client = client is not None
        self._client = client or self._runtime.client_for(options)
        self.model = options.model
        self.transcript = transcript_of(self._client.history)
        self.on_msg(self._on_msg)

    def close(self) -> None:
        if self._owns_client:  # a panel's own conversation (new_conversation=True)
            self._runtime.submit(self._client.disconnect())
        super().close()

    def _on_msg(self, _: Any, content: dict[str, Any], buffers: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ask":
            text = str(content.get("text", "")).strip()
            if text and not self.busy:
                self.ask(text)
        elif kind == "stop":
            self._runtime.interrupt(self._client)
        elif kind == "new" and not self.busy:
            self._runtime.call(_reset(self._client))
            self.transcript = []
            self.status = "new conversation"

    def ask(self, text: str) -> None:
        """Send ``text`` as the user would (returns at once; the answer streams in)."""
        self.busy = True
        self.status = f"{self._options.model} · answering…"
        self.transcript = [*self.transcript, {"role": "user", "text": text, "tools": []}]
        self._runtime.submit(self._answer(text))

    async def _answer(self, text: str) -> None:
        started = time.perf_counter()
        pending: list[str] = []
        last = time.monotonic()
        calls: dict[str, ToolUseBlock] = {}
        result: ResultMessage | None = None
        try:
            async for m in self._runtime.converse(self._client, text, self._options):
                if isinstance(m, StreamEvent):
                    delta = m.event.get("delta")
                    if delta and delta.get("type") == "text_delta":
                        pending.append(delta["text"])
                        if time.monotonic() - last >= BATCH_S:
                            self.send({"type": "delta", "text": "".join(pending)})
                            pending.clear()
                            last = time.monotonic()
                elif isinstance(m, AssistantMessage):
                    calls.update({b.id: b for b in m.content if isinstance(b, ToolUseBlock)})
                elif isinstance(m, UserMessage) and isinstance(m.content, list):
                    for r in m.content:
                        if isinstance(r, ToolResultBlock) and r.tool_use_id in calls:
                            entry = _tool_entry(calls[r.tool_use_id], r)
                            self.send({"type": "tool", **entry})
                elif isinstance(m, ResultMessage):
                    result = m
            if pending:
                self.send({"type": "delta", "text": "".join(pending)})
            note = "Stopped" if result is not None and result.subtype == "interrupted" else ""
            self.status = footer(
                self._options.model,
                result.usage if result else None,
                time.perf_counter() - started,
                note,
                result.total_cost_usd if result else None,
            )
        except Exception as exc:
            from .magics import describe

            self.status = f"✗ {describe(exc)}"
        finally:
            self.transcript = transcript_of(self._client.history)
            self.busy = False
            self.send({"type": "done"})


async def _reset(client: AzureAgentClient) -> None:
    client.reset()


def chat(*, new_conversation: bool = False, **overrides: Any) -> ChatWidget:
    """A chat panel; ``new_conversation=True`` keeps it out of the shared conversation.

    Settings follow the magic's: ``%azure config`` / ``AzureMagics`` traits when the
    extension is loaded, then ``AZURE_*`` variables, then ``overrides`` win.
    """
    options = _options(overrides)
    runtime = get_runtime()
    client = AzureAgentClient(options) if new_conversation else None
    return ChatWidget(options, runtime=runtime, client=client)


def _options(overrides: dict[str, Any]) -> AzureOpenAIOptions:
    from IPython.core.getipython import get_ipython

    from .magics import AzureMagics

    shell = get_ipython()
    magics = None
    if shell is not None:
        magics = shell.magics_manager.registry.get(AzureMagics.__name__)
    if magics is not None:
        return magics.options(**overrides)  # type: ignore[no-any-return]
    return AzureOpenAIOptions.from_env(include_partial_messages=True, **overrides)
