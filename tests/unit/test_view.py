"""The one view of the message stream: each text piece once, tool calls paired."""

from __future__ import annotations

from jupyter_azure_ai.types import (
    AssistantMessage,
    Message,
    ResultMessage,
    StreamEvent,
    SystemMessage,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
)
from jupyter_azure_ai.view import (
    Finished,
    MessageView,
    Prompt,
    Text,
    ToolCall,
    exchanges,
    view_events,
)


def delta(text: str) -> StreamEvent:
    event = {"type": "content_block_delta", "index": 0,
             "delta": {"type": "text_delta", "text": text}}  # fmt: skip
    return StreamEvent("u", "s", event)


def result(subtype: str = "success") -> ResultMessage:
    return ResultMessage(subtype, 1, 1, subtype != "success", 1, "s", None, {}, "")


USE = ToolUseBlock("call_1", "lookup", {"city": "Zürich"})
TOOL_TURN: list[Message] = [
    SystemMessage("init", {}),
    UserMessage("Weather?"),
    delta("Let me "),
    delta("check."),
    AssistantMessage([TextBlock("Let me check."), USE], "gpt-4o"),
    UserMessage([ToolResultBlock("call_1", "sunny", is_error=False)]),
    delta("Sunny."),
    AssistantMessage([TextBlock("Sunny.")], "gpt-4o"),
    result(),
]


def test_streamed_text_is_emitted_once_and_tools_are_paired() -> None:
    events = list(view_events(TOOL_TURN))
    assert events == [
        Prompt("Weather?"),
        Text("Let me "),
        Text("check."),
        ToolCall("lookup", '{"city": "Zürich"}', "sunny", False),
        Text("Sunny."),
        Finished(TOOL_TURN[-1]),  # type: ignore[arg-type]
    ]


def test_without_partial_messages_the_text_comes_from_the_turn() -> None:
    unstreamed = [m for m in TOOL_TURN if not isinstance(m, StreamEvent)]
    texts = [e.text for e in view_events(unstreamed) if isinstance(e, Text)]
    assert texts == ["Let me check.", "Sunny."]


def test_an_interrupted_turn_does_not_repeat_what_streamed() -> None:
    view = MessageView()
    stream: list[Message] = [
        delta("Once upon"),
        AssistantMessage([TextBlock("Once upon")], "gpt-4o", stop_reason="interrupted"),
        result("interrupted"),
    ]
    events = [e for m in stream for e in view.feed(m)]
    assert events[0] == Text("Once upon") and len(events) == 2
    assert isinstance(events[1], Finished) and events[1].stopped


def test_a_result_without_its_call_is_not_shown() -> None:
    orphan = UserMessage([ToolResultBlock("call_unknown", "x")])
    assert list(view_events([orphan])) == []


def test_exchanges_fold_a_history() -> None:
    history = [*TOOL_TURN, UserMessage("And tomorrow?"), delta("Rain."), result()]
    first, second = exchanges(history)
    assert (first.prompt, first.text, [t.name for t in first.tools]) == (
        "Weather?",
        "Let me check.Sunny.",
        ["lookup"],
    )
    assert (second.prompt, second.text, second.tools) == ("And tomorrow?", "Rain.", [])
    assert second.result is not None and second.result.subtype == "success"


def test_subagent_text_is_not_the_answer_but_its_tool_calls_show() -> None:
    task = ToolUseBlock("call_task", "Task", {"subagent_type": "calc", "prompt": "add"})
    add = ToolUseBlock("call_add", "mcp__calc__add", {"a": 1, "b": 2})
    sub_delta = delta("thinking aloud")
    sub_delta.parent_tool_use_id = "call_task"
    messages: list[Message] = [
        UserMessage("Ask calc"),
        AssistantMessage([task], "gpt-4o"),
        sub_delta,
        AssistantMessage([add], "gpt-4o-mini", parent_tool_use_id="call_task"),
        UserMessage([ToolResultBlock("call_add", "3")], parent_tool_use_id="call_task"),
        AssistantMessage([TextBlock("sub says 3")], "gpt-4o-mini", parent_tool_use_id="call_task"),
        UserMessage("go on", parent_tool_use_id="call_task"),  # a SubagentStop hook's reason
        UserMessage([ToolResultBlock("call_task", "sub says 3")]),
        AssistantMessage([TextBlock("It is 3.")], "gpt-4o"),
        result(),
    ]
    events = list(view_events(messages))
    assert [e.text for e in events if isinstance(e, Text)] == ["It is 3."]
    assert [e.text for e in events if isinstance(e, Prompt)] == ["Ask calc"]
    assert [e.name for e in events if isinstance(e, ToolCall)] == ["mcp__calc__add", "Task"]
    (exchange,) = exchanges(messages)
    assert exchange.model == "gpt-4o" and exchange.text == "It is 3."
