"""The bounded turn loop: model turn → (tools → results → next turn) → stop.

Read it top to bottom in ``run``. Tools given as plain OpenAI dicts are declarative:
their ``ToolUseBlock``s are yielded and the run ends there. Every other tool (``@tool``
functions, MCP tools, the built-in file tools) is run by ``tool_calls.run_tool_calls``,
concurrently when the model asks for several; what goes wrong in a tool goes back to the
model as a result with ``is_error=True``, and the loop continues.

Each request carries the conversation as ``history.select`` bounds it (``_open_bounded``:
``max_history_tokens``, and the deployment's context window once a
``context_length_exceeded`` answer stated it); when earlier exchanges were left out, a
``SystemMessage(subtype="history_bounded")`` says so before the answer.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio

from ..errors import APIStatusError, ContextWindowError, ModelNotFoundError, RateLimitError
from ..options import QuerySettings, ToolSettings
from ..pricing import cost_usd
from ..structured import AnswerProblem, OutputFormat, compile_output_format, repair_prompt
from ..types import (
    AssistantMessage,
    ContentBlock,
    Message,
    StreamEvent,
    SystemMessage,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
)
from . import history, hook_events
from .failures import completion_filtered, prompt_too_long
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
    left_out: int = 0  # earlier exchanges not sent (max_history_tokens, context window)
    model: str = ""  # as the service reported it (prices are found by it)
    structured_output: Any = None
    outcome: str | None = None  # an error subtype the loop ended with (structured output)
    repaired: bool = False
    # subagents (the Task tool), priced at their own deployments; None: a price unknown
    subagent_usage: dict[str, int] = field(default_factory=dict)
    subagent_cost: float | None = 0.0

    def add_usage(self, raw: dict[str, Any] | None) -> None:
        if not raw:
            return
        for k, v in usage_to_claude(raw).items():
            self.usage[k] = self.usage.get(k, 0) + int(v)

    def cost_usd(self, settings: QuerySettings) -> float | None:
        """From ``settings.pricing[deployment]``, else the built-in table for the reported
        model (pricing.py), plus what subagents cost; None when a price is not known."""
        own = cost_usd(self.usage, settings.model, self.model, settings.pricing)
        if own is None or self.subagent_cost is None:
            return None
        return own + self.subagent_cost

    def total_usage(self) -> dict[str, int]:
        """Tokens of this run and of its subagents (``ResultMessage.usage``)."""
        total = dict(self.usage)
        for k, v in self.subagent_usage.items():
            total[k] = total.get(k, 0) + v
        return total


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
    output: OutputFormat | None = None
    if settings.output_format is not None:
        output = compile_output_format(settings.output_format)
        extra["response_format"] = output.response_format()
    if settings.user:
        extra["user"] = settings.user
    system_text = settings.system_text  # a Claude preset dict is never sent: its append is
    system = [{"role": "system", "content": system_text}] if system_text else []
    max_turns = settings.turns
    partial = settings.include_partial_messages
    start = history.current_start(conversation)  # this query's prompt: always sent
    if not await _prompt_submitted(tool_settings, session_id, conversation, start, stats):
        return  # a UserPromptSubmit hook blocked the prompt: nothing was sent
    stop_active = False  # a Stop hook made this answer go on

    while True:
        if _over_budget(settings, stats):
            stats.outcome = "error_max_budget_usd"
            return
        if stats.num_turns >= max_turns:
            stats.hit_max_turns = True
            return
        stats.num_turns += 1
        acc = TurnAccumulator(partial=partial)
        started = time.perf_counter()
        try:
            response, sent = await _open_bounded(
                transport, settings, system, conversation, start, extra, interrupter
            )
            if sent.selection.left_out > stats.left_out:
                stats.left_out = sent.selection.left_out
                yield _bounded_note(sent, settings)
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
        _calibrate(transport, model, acc.usage, sent)
        message = acc.message(model)
        conversation.append(acc.openai_message(message))
        stats.final_text = acc.full_text
        stats.model = acc.model or stats.model
        yield message
        if acc.finish_reason == "content_filter":
            raise completion_filtered(acc.filtered, acc.full_text)
        if acc.refusal:  # the model declined to answer (structured outputs' ``refusal``)
            stats.final_text, stats.outcome = acc.refusal_text, "error_refusal"
            return
        uses = [b for b in message.content if isinstance(b, ToolUseBlock)]
        if not uses and output is not None:
            repair = _settle(output, acc, stats, max_turns)
            if repair is None:  # Stop fires; with output_format the answer is final
                await hook_events.stop(tool_settings, session_id, stop_active)
                return
            conversation.append({"role": "user", "content": repair})
            continue  # the one repair turn
        if not uses:  # done, unless a Stop hook says to go on (its reason is the next prompt)
            reason = await hook_events.stop(tool_settings, session_id, stop_active)
            if reason is None or stats.num_turns >= max_turns:
                return
            stop_active = True
            conversation.append({"role": "user", "content": reason})
            yield UserMessage(reason)
            continue
        if any(tools.declarative(u.name) for u in uses):
            return  # a declarative tool the caller handles
        results: list[ToolResultBlock | None] = [None] * len(uses)
        try:
            stop = await interrupter.call(
                run_tool_calls, tools, uses, tool_settings, session_id, results
            )
        except Interrupted:
            # Every call gets a result, so the conversation stays valid for the next query.
            for side in _drain(tools):
                yield side
            yield _tool_round(conversation, uses, results)
            raise
        for side in _drain(tools):  # a subagent's messages, before its Task result
            yield side
        yield _tool_round(conversation, uses, results)
        if stop:  # can_use_tool denied with interrupt=True
            raise Interrupted


async def _prompt_submitted(
    tool_settings: ToolSettings,
    session_id: str,
    conversation: list[dict[str, Any]],
    start: int,
    stats: RunStats,
) -> bool:
    """Fire UserPromptSubmit for the prompt at ``start``: add the hooks' context to it, or
    take it out of the conversation when a hook blocked it (False; the reason becomes the
    result text, subtype ``error_during_execution``)."""
    if start >= len(conversation) or conversation[start].get("role") != "user":
        return True
    prompt = conversation[start]
    content = prompt.get("content")
    text = (
        content
        if isinstance(content, str)
        else " ".join(str(p.get("text", "")) for p in content or () if isinstance(p, dict))
    )
    verdict = await hook_events.user_prompt_submit(tool_settings, session_id, text)
    if verdict.blocked is not None:
        del conversation[start:]
        stats.final_text, stats.outcome = verdict.blocked, "error_during_execution"
        return False
    if verdict.context:
        content = prompt.get("content")
        if isinstance(content, list):
            content = [*content, {"type": "text", "text": verdict.context}]
        else:
            content = f"{content or ''}\n\n{verdict.context}"
        conversation[start] = {**prompt, "content": content}
    return True


def _over_budget(settings: QuerySettings, stats: RunStats) -> bool:
    """``max_budget_usd`` is reached (checked before every turn but the first). With no
    price known for the model the budget cannot be checked: the run stops after one turn
    (set ``pricing``), rather than spending without a bound."""
    if settings.max_budget_usd is None or not stats.num_turns:
        return False
    spent = stats.cost_usd(settings)
    return spent is None or spent >= settings.max_budget_usd


def _settle(
    output: OutputFormat, acc: TurnAccumulator, stats: RunStats, max_turns: int
) -> str | None:
    """Read a final structured answer into ``stats``; return what to tell the model when
    one repair turn should follow, else None (done: parsed, or an error ``outcome``)."""
    if acc.finish_reason == "length":  # a truncated object is never returned
        stats.outcome = "error_max_tokens"
        return None
    try:
        stats.structured_output = output.parse(acc.full_text)
    except AnswerProblem as problem:
        if stats.repaired or stats.num_turns >= max_turns:
            stats.outcome = "error_structured_output"
            return None
        stats.repaired = True
        return repair_prompt(problem)
    return None


@dataclass(frozen=True)
class _Sent:
    """What one request carried of the conversation, and its estimated size."""

    selection: history.Selection
    estimate: int  # history.estimate of the whole request, before scaling
    window: int | None


async def _open_bounded(
    transport: AzureHTTPTransport,
    settings: QuerySettings,
    system: list[dict[str, Any]],
    conversation: list[dict[str, Any]],
    start: int,
    extra: dict[str, Any],
    interrupter: Interrupter,
) -> tuple[Any, _Sent]:
    """Open a turn's stream with the conversation bounded (api.md §7): at most
    ``max_history_tokens`` of earlier exchanges, fitted to the deployment's context window
    when one is known. A ``context_length_exceeded`` answer teaches the window (for the
    deployment, in ``transport.capabilities``) and the request is fitted and sent once more.
    """
    model = settings.model
    known = transport.capabilities
    specs = extra.get("tools") or ()
    fixed = history.estimate(system, tools=specs)
    retried = False
    while True:
        scale = known.token_scale.get(model, 1.0)
        window = known.context_windows.get(model)
        room = None
        if window is not None:
            room = history.room_in_window(window, settings.max_tokens, round(fixed * scale))
        chosen = history.select(
            conversation, settings.max_history_tokens, start=start, scale=scale, room=room
        )
        messages = system + chosen.messages
        sent = _Sent(chosen, history.estimate(messages, tools=specs), window)
        try:
            return await _open(transport, messages, extra, settings, interrupter), sent
        except ContextWindowError as exc:
            if exc.window is None:
                raise
            known.context_windows[model] = exc.window
            said = None if exc.requested is None else exc.requested - (exc.completion or 0)
            if said is not None:  # the 400 counted what was sent: calibrate with it
                known.token_scale[model] = history.calibrated_scale(said, sent.estimate)
            scale = known.token_scale.get(model, 1.0)
            room = history.room_in_window(exc.window, settings.max_tokens, round(fixed * scale))
            alone = history.select(conversation, 0, start=start, scale=scale, room=room)
            prompt = round(fixed * scale) + alone.current_tokens
            only_prompt = chosen.messages == conversation[start:]
            if retried and not only_prompt:
                raise  # still too long with earlier exchanges left out: say it as Azure did
            if only_prompt:  # asking again could not help; and the 400's count is exact
                prompt = said or prompt
            if only_prompt or not alone.fits:
                raise prompt_too_long(model, prompt, exc.window, settings.max_tokens, exc) from None
            retried = True


async def _open(
    transport: AzureHTTPTransport,
    messages: list[dict[str, Any]],
    extra: dict[str, Any],
    settings: QuerySettings,
    interrupter: Interrupter,
) -> Any:
    """Open one request; when the deployment fails after its own retries (missing, still
    rate limited, a 5xx) and ``fallback_model`` names another deployment, ask that one
    (the Claude option's meaning here). A context-window 400 is never a reason."""
    body = transport.body(messages, settings, **extra)
    try:
        return await interrupter.call(transport.open_chat, body, settings)
    except ContextWindowError:
        raise
    except APIStatusError as exc:
        fallback = settings.fallback_model
        unavailable = isinstance(exc, (ModelNotFoundError, RateLimitError))
        if (
            not fallback
            or fallback == settings.model
            or not (unavailable or exc.status_code >= 500)
        ):
            raise
    other = settings.replace(model=fallback)
    return await interrupter.call(
        transport.open_chat, transport.body(messages, other, **extra), other
    )


def _bounded_note(sent: _Sent, settings: QuerySettings) -> SystemMessage:
    """``SystemMessage(subtype="history_bounded")``: earlier exchanges were left out."""
    return SystemMessage(
        "history_bounded",
        {
            "type": "system",
            "subtype": "history_bounded",
            "left_out": sent.selection.left_out,
            "earlier_tokens": sent.selection.earlier_tokens,
            "max_history_tokens": settings.max_history_tokens,
            "context_window": sent.window,
        },
    )


def _calibrate(
    transport: AzureHTTPTransport, model: str, usage: dict[str, Any] | None, sent: _Sent
) -> None:
    """Learn how the service counts from the answer's ``usage.prompt_tokens``."""
    reported = (usage or {}).get("prompt_tokens")
    if isinstance(reported, int) and reported > 0:
        scale = history.calibrated_scale(reported, sent.estimate)
        transport.capabilities.token_scale[model] = scale


def _drain(tools: ToolSet) -> list[Message]:
    out, tools.messages[:] = list(tools.messages), []
    return out


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
