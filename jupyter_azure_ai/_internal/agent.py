"""The bounded turn loop: model turn → (Python tools → results → next turn) → stop.

Read it top to bottom in ``run``. Tools given as plain OpenAI dicts are declarative:
their ``ToolUseBlock``s are yielded and the run ends there. ``@tool`` functions are
executed (concurrently when the model asks for several) and a tool that raises
returns its error to the model as text, with ``is_error=True``.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio

from ..tools import SdkTool, openai_tool_specs
from ..types import (
    AssistantMessage,
    AzureOpenAIOptions,
    Message,
    StreamEvent,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
)
from .stream import TurnAccumulator, completion_filter_error, read_turn, usage_to_claude
from .transport import AzureHTTPTransport

DEFAULT_MAX_TURNS = 10
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

    async def next_bytes(self, reads: AsyncIterator[bytes]) -> bytes:
        return await self.call(reads.__anext__)


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


def tool_result_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, default=str)
    except (TypeError, ValueError):
        return str(value)


async def _run_tool(tool: SdkTool, use: ToolUseBlock) -> ToolResultBlock:
    try:
        value = await tool.call(use.input)
    except Exception as exc:
        return ToolResultBlock(use.id, f"{type(exc).__name__}: {exc}", is_error=True)
    return ToolResultBlock(use.id, tool_result_text(value), is_error=False)


async def run_tools(tools: dict[str, SdkTool], uses: list[ToolUseBlock]) -> list[ToolResultBlock]:
    results: list[ToolResultBlock | None] = [None] * len(uses)

    async def one(i: int, use: ToolUseBlock) -> None:
        results[i] = await _run_tool(tools[use.name], use)

    async with anyio.create_task_group() as tg:
        for i, use in enumerate(uses):
            tg.start_soon(one, i, use)
    return [r for r in results if r is not None]


async def run(
    transport: AzureHTTPTransport,
    options: AzureOpenAIOptions,
    conversation: list[dict[str, Any]],
    stats: RunStats,
    interrupter: Interrupter,
    session_id: str,
) -> AsyncIterator[Message]:
    """Run model turns on ``conversation`` (extended in place) until the model stops."""
    model = options.model
    python_tools = {t.name: t for t in options.tools or [] if isinstance(t, SdkTool)}
    extra: dict[str, Any] = {}
    specs = openai_tool_specs(options.tools)
    if specs:
        extra["tools"] = specs
    system = [{"role": "system", "content": options.system_prompt}] if options.system_prompt else []
    max_turns = options.max_turns or DEFAULT_MAX_TURNS
    partial = options.include_partial_messages

    while True:
        if stats.num_turns >= max_turns:
            stats.hit_max_turns = True
            return
        stats.num_turns += 1
        acc = TurnAccumulator(partial=partial)
        body = transport.body(system + conversation, options, **extra)
        started = time.perf_counter()
        try:
            response = await interrupter.call(transport.open_chat, body, options)
            try:
                async for event in read_turn(response, acc, interrupter.next_bytes):
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
        filtered = completion_filter_error(acc)
        if filtered is not None:
            raise filtered
        uses = [b for b in message.content if isinstance(b, ToolUseBlock)]
        if not uses or any(u.name not in python_tools for u in uses):
            return  # done, or a declarative tool the caller handles
        results = await run_tools(python_tools, uses)
        for result in results:
            conversation.append(
                {"role": "tool", "tool_call_id": result.tool_use_id, "content": result.content}
            )
        yield UserMessage(content=list(results))
