"""One view of the message stream: SDK messages in, view events out.

Every place that shows a conversation — the ``%%azure`` cell, the chat panel, ``%azure
history``, the ``ask`` command — consumes these events instead of re-deriving them
from the messages, so a new message kind is taught here once. The view knows:

- streamed text arrives as ``StreamEvent`` deltas when partial messages are on, else
  only inside the turn's ``AssistantMessage``; it emits each piece of text once either
  way (a turn whose deltas were seen does not repeat its text at the end);
- a tool call is shown when its result arrives, paired with the call that asked for it
  (the agent loop already ran it);
- a ``SystemMessage`` of subtype ``"history_bounded"`` says earlier exchanges were not
  sent with this prompt (``max_history_tokens``, or the context window): ``LeftOut``,
  whose ``note`` the cell's footer and the panel's status show;
- the ``ResultMessage`` ends one answer;
- a subagent's messages (``parent_tool_use_id`` set, from the ``Task`` tool) show their
  tool calls; their text is not the answer's (the ``Task`` result carries it).

No Jupyter import here: the command line uses it too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeAlias

from .types import (
    AssistantMessage,
    ImageBlock,
    Message,
    ResultMessage,
    StreamEvent,
    SystemMessage,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
)


@dataclass(frozen=True)
class Prompt:
    """What the user asked (seen when replaying a history), with its images."""

    text: str
    images: tuple[ImageBlock, ...] = ()


@dataclass(frozen=True)
class Text:
    """A piece of the model's answer, in order."""

    text: str


@dataclass(frozen=True)
class ToolCall:
    """A tool the model called and what it returned (``input`` as JSON text)."""

    name: str
    input: str
    result: str
    is_error: bool


@dataclass(frozen=True)
class Finished:
    """The answer is complete (or was stopped, or failed inside the loop)."""

    result: ResultMessage

    @property
    def stopped(self) -> bool:
        return self.result.subtype == "interrupted"


@dataclass(frozen=True)
class LeftOut:
    """This prompt was sent without the ``count`` oldest exchanges (all are kept in the
    history; only what is sent is bounded)."""

    count: int

    @property
    def note(self) -> str:
        """``"3 earlier exchanges left out"`` (for a footer or a status line)."""
        return f"{self.count} earlier exchange{'s' if self.count != 1 else ''} left out"


ViewEvent: TypeAlias = Prompt | Text | ToolCall | LeftOut | Finished


class MessageView:
    """Turns messages into view events; one instance follows one stream (or history)."""

    def __init__(self) -> None:
        self._calls: dict[str, ToolUseBlock] = {}
        self._streamed = False  # text deltas were seen for the turn under way

    def feed(self, message: Message) -> Iterator[ViewEvent]:
        """The view events one message adds (often none)."""
        inner = getattr(message, "parent_tool_use_id", None) is not None
        if isinstance(message, StreamEvent):
            delta = message.event.get("delta")
            if inner:  # a subagent's text is its Task's result, shown once as that
                return
            if delta and delta.get("type") == "text_delta":
                self._streamed = True
                yield Text(delta["text"])
        elif isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, TextBlock) and not self._streamed and block.text and not inner:
                    yield Text(block.text)
                elif isinstance(block, ToolUseBlock):
                    self._calls[block.id] = block
            self._streamed = False
        elif isinstance(message, UserMessage):
            if isinstance(message.content, str):
                if not inner:  # a subagent's next instruction is not the user's prompt
                    yield Prompt(message.content)
                return
            images = tuple(b for b in message.content if isinstance(b, ImageBlock))
            if images:  # a prompt with images (text and image blocks)
                text = "".join(b.text for b in message.content if isinstance(b, TextBlock))
                yield Prompt(text, images)
                return
            for block in message.content:
                if isinstance(block, ToolResultBlock) and block.tool_use_id in self._calls:
                    use = self._calls.pop(block.tool_use_id)
                    yield ToolCall(
                        use.name,
                        json.dumps(use.input, ensure_ascii=False),
                        str(block.content),
                        bool(block.is_error),
                    )
        elif isinstance(message, SystemMessage):
            if message.subtype == "history_bounded":
                yield LeftOut(int(message.data.get("left_out", 0)))
        elif isinstance(message, ResultMessage):
            yield Finished(message)


def view_events(messages: Iterable[Message]) -> Iterator[ViewEvent]:
    """All the view events of ``messages`` (e.g. a client's ``history``)."""
    view = MessageView()
    for message in messages:
        yield from view.feed(message)


@dataclass
class Exchange:
    """One prompt and everything its answer showed."""

    prompt: str
    text: str = ""
    tools: list[ToolCall] = field(default_factory=list)
    images: tuple[ImageBlock, ...] = ()  # sent with the prompt
    result: ResultMessage | None = None
    model: str = ""  # as the service reported it


def exchanges(messages: Iterable[Message]) -> list[Exchange]:
    """A history folded into exchanges (what ``%azure history`` and a panel show)."""
    out: list[Exchange] = []
    view = MessageView()
    for message in messages:
        if isinstance(message, AssistantMessage) and out and not message.parent_tool_use_id:
            out[-1].model = message.model
        for event in view.feed(message):
            if isinstance(event, Prompt):
                out.append(Exchange(event.text, images=event.images))
            elif not out:
                continue  # an answer without its prompt (a history cut short)
            elif isinstance(event, Text):
                out[-1].text += event.text
            elif isinstance(event, ToolCall):
                out[-1].tools.append(event)
            elif isinstance(event, Finished):
                out[-1].result = event.result
    return out


__all__ = [
    "Exchange",
    "Finished",
    "LeftOut",
    "MessageView",
    "Prompt",
    "Text",
    "ToolCall",
    "ViewEvent",
    "exchanges",
    "view_events",
]
