"""The bounded turn loop: model turn → (tools → results → next turn) → stop.

Read it top to bottom in ``run``. Tools given as plain OpenAI dicts are declarative:
their ``ToolUseBlock``s are yielded and the run ends there. Every other tool (``@tool``
functions, MCP tools, the built-in file tools) is run by ``tool_calls.run_tool_calls``,
concurrently when the model asks for several; what goes wrong in a tool goes back to the
model as a result with ``is_error=True``, and the loop continues.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio

from ..options import QuerySettings, ToolSettings
from ..types import (
    AssistantMessage,
    ContentBlock,
    Message,
    StreamEvent,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
)
from .failures import completion_filtered
from .stream import TurnAccumulator, read_turn, usage_to_claude
from .tool_calls import ToolSet, interrupted_result, run_tool_calls
from .transport import AzureHTTPTransport

T = TypeVar("T")


class Interrupted(Exception):
    """Raised inside the loop when ``interrupt()`` cancelled the current read."""


class Interrupter:
    """Lets another task cancel the read a run is waiting on, and nothing else.

    Only the awaits on the network sit inside the cancel scope, never a ``yield``,
    so the consumer's own code is never cancelled by an interrupt.
    """

    def __init__(self) -> None:
        self.requested = False
        self._scope: anyio.CancelScope | None = None

    def interrupt(self) -> None:
        self.requested = True
        if self._scope is not None:
            self._scope.cancel()

    async def call(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Await ``fn(*args)``; raise ``Interrupted`` if ``interrupt()`` cancels it."""
        if self.requested:
            raise Interrupted
        with anyio.CancelScope() as scope:
            self._scope = scope
            try:
                return await fn(*args)
            finally:
                self._scope = None
        raise Interrupted  # only reached when the scope was cancelled

    async def next_step(self, steps: AsyncIterator[T]) -> T:
        """The next item of ``steps`` (a stream being read), cancellable by ``interrupt()``."""
        return await self.call(steps.__anext__)


@dataclass
class RunStats:
    num_turns: int = 0
    api_seconds: float = 0.0
    usage: dict[str, int] = field(default_factory=dict)
    final_text: str = ""
    hit_max_turns: bool = False

    def add_usage(self, raw: dict[str, Any] | None) -> None:
        if not raw:
            return
        for k, v in usage_to_claude(raw).items():
            self.usage[k] = self.usage.get(k, 0) + int(v)

    def cost_usd(self, settings: QuerySettings) -> float | None:
        """From ``settings.pricing[deployment]`` (USD per 1M tokens); None when unpriced."""
        price = (settings.pricing or {}).get(settings.model)
        if price is None:
            return None
        cached = self.usage.get("cache_read_input_tokens", 0)
        fresh = self.usage.get("input_tokens", 0) - cached
        cost = fresh * price["input"] + self.usage.get("output_tokens", 0) * price["output"]
        cost += cached * price.get("cached_input", price["input"])
        return round(cost / 1_000_000, 10)


async def run(
    transport: AzureHTTPTransport,
    settings: QuerySettings,
    conversation: list[dict[str, Any]],
    stats: RunStats,
    interrupter: Interrupter,
    session_id: str,
    tools: ToolSet,
    tool_settings: ToolSettings,
) -> AsyncIterator[Message]:
    """Run model turns on ``conversation`` (extended in place) until the model stops."""
    model = settings.model
    extra: dict[str, Any] = {"tools": tools.specs} if tools.specs else {}
    system = (
        [{"role": "system", "content": settings.system_prompt}] if settings.system_prompt else []
    )
    max_turns = settings.turns
    partial = settings.include_partial_messages

    while True:
        if stats.num_turns >= max_turns:
            stats.hit_max_turns = True
            return
        stats.num_turns += 1
        acc = TurnAccumulator(partial=partial)
        body = transport.body(system + conversation, settings, **extra)
        started = time.perf_counter()
        try:
            response = await interrupter.call(transport.open_chat, body, settings)
            try:
                async for event in read_turn(response, acc, interrupter.next_step):
                    yield StreamEvent(str(uuid.uuid4()), session_id, event)
            finally:
                await response.aclose()
        except Interrupted:
            # Keep what arrived: the caller sees it, and so does the next turn's model.
            text = acc.full_text
            conversation.append({"role": "assistant", "content": text})
            stats.final_text = text
            if text:
                yield AssistantMessage(
                    [TextBlock(text)], acc.model or model, stop_reason="interrupted"
                )
            raise
        finally:
            stats.api_seconds += time.perf_counter() - started
            stats.add_usage(acc.usage)
        message = acc.message(model)
        conversation.append(acc.openai_message(message))
        stats.final_text = acc.full_text
        yield message
        if acc.finish_reason == "content_filter":
            raise completion_filtered(acc.filtered, acc.full_text)
        uses = [b for b in message.content if isinstance(b, ToolUseBlock)]
        if not uses or any(tools.declarative(u.name) for u in uses):
            return  # done, or a declarative tool the caller handles
        results: list[ToolResultBlock | None] = [None] * len(uses)
        try:
            stop = await interrupter.call(
                run_tool_calls, tools, uses, tool_settings, session_id, results
            )
        except Interrupted:
            # Every call gets a result, so the conversation stays valid for the next query.
            yield _tool_round(conversation, uses, results)
            raise
        yield _tool_round(conversation, uses, results)
        if stop:  # can_use_tool denied with interrupt=True
            raise Interrupted


def _tool_round(
    conversation: list[dict[str, Any]],
    uses: list[ToolUseBlock],
    results: list[ToolResultBlock | None],
) -> UserMessage:
    """The round's results (missing ones marked interrupted), appended to the conversation."""
    blocks: list[ContentBlock] = []
    for use, result in zip(uses, results, strict=True):
        block = result or interrupted_result(use)
        conversation.append(
            {"role": "tool", "tool_call_id": block.tool_use_id, "content": block.content}
        )
        blocks.append(block)
    return UserMessage(content=blocks)
