"""Folding Azure chunks: text, parallel tool calls by index, usage, unknown fields."""

from __future__ import annotations

from typing import Any

import pytest

from jupyter_azure_ai import StreamDecodeError, TextBlock, ToolUseBlock
from jupyter_azure_ai._internal.stream import TurnAccumulator

from .fakes import text_chunks


def tool_chunks() -> list[dict[str, Any]]:
    def tc(calls: list[dict[str, Any]], finish: str | None = None) -> dict[str, Any]:
        return {"choices": [{"index": 0, "delta": {"tool_calls": calls}, "finish_reason": finish}]}

    return [
        {"id": "", "choices": [], "prompt_filter_results": []},
        {"model": "gpt-4o", "choices": [{"index": 0, "delta": {"role": "assistant"}}]},
        tc([{"index": 0, "id": "call_a", "type": "function",
             "function": {"name": "get_weather", "arguments": ""}}]),
        tc([{"index": 1, "id": "call_b", "type": "function",
             "function": {"name": "get_weather", "arguments": ""}}]),
        tc([{"index": 0, "function": {"arguments": '{"loc'}}]),
        tc([{"index": 1, "function": {"arguments": '{"location": "Lon'}}]),
        tc([{"index": 0, "function": {"arguments": 'ation": "Paris"}'}}]),
        tc([{"index": 1, "function": {"arguments": 'don"}'}}]),
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
    ]  # fmt: skip


def test_text_usage_and_model() -> None:
    acc = TurnAccumulator()
    for c in text_chunks("Paris is the capital"):
        assert acc.add(c) is None  # no events unless asked
    msg = acc.message("gpt-4")
    assert msg.content == [TextBlock("Paris is the capital ")]
    assert msg.model == "gpt-4o-2024-11-20"
    assert msg.stop_reason == "stop"
    assert acc.usage == {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}


def test_parallel_tool_calls_interleaved_by_index() -> None:
    acc = TurnAccumulator()
    for c in tool_chunks():
        acc.add(c)
    assert acc.message("gpt-4").content == [
        ToolUseBlock("call_a", "get_weather", {"location": "Paris"}),
        ToolUseBlock("call_b", "get_weather", {"location": "London"}),
    ]
    openai = acc.openai_message(acc.message("gpt-4"))
    assert [c["id"] for c in openai["tool_calls"]] == ["call_a", "call_b"]


def test_partial_events_have_the_claude_shape() -> None:
    acc = TurnAccumulator(partial=True)
    events = [e for c in tool_chunks() for e in acc.add(c) or []] + acc.stop_events()
    kinds = [e["type"] for e in events]
    assert kinds[0] == "message_start"
    assert events[1] == {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "tool_use", "id": "call_a", "name": "get_weather", "input": {}},
    }
    assert {
        "type": "content_block_delta",
        "index": 1,
        "delta": {"type": "input_json_delta", "partial_json": '{"location": "Lon'},
    } in events
    assert kinds[-4:] == [
        "content_block_stop",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert events[-2]["delta"]["stop_reason"] == "tool_use"


def test_text_then_tool_indexes() -> None:
    acc = TurnAccumulator(partial=True)
    first = acc.add({"choices": [{"index": 0, "delta": {"content": "Par"}}]})
    assert first is not None
    assert first[-1] == {
        "type": "content_block_delta",
        "index": 0,
        "delta": {"type": "text_delta", "text": "Par"},
    }
    calls = [{"index": 0, "id": "c", "function": {"name": "f", "arguments": '{"loc'}}]
    events = acc.add({"choices": [{"index": 0, "delta": {"tool_calls": calls}}]}) or []
    assert events[-1]["index"] == 1
    assert events[-1]["delta"] == {"type": "input_json_delta", "partial_json": '{"loc'}


def test_invalid_tool_arguments_are_a_clear_error() -> None:
    acc = TurnAccumulator()
    calls = [{"index": 0, "id": "call_x", "function": {"name": "f", "arguments": '{"a": '}}]
    acc.add({"choices": [{"index": 0, "delta": {"tool_calls": calls}}]})
    with pytest.raises(StreamDecodeError, match=r"invalid JSON arguments for tool 'f' \(call_x\)"):
        acc.message("gpt-4")


def test_unknown_fields_and_chunk_kinds_are_ignored() -> None:
    acc = TurnAccumulator()
    acc.add({"object": "something.new", "surprise": [1, 2]})
    acc.add({"choices": [{"index": 0, "delta": {"content": "hi", "refusal": None, "x": 1},
                          "logprobs": None, "new_field": {}}]})  # fmt: skip
    acc.add({"choices": [{"index": 0, "delta": {}, "finish_reason": "length"}]})
    msg = acc.message("gpt-4")
    assert msg.content == [TextBlock("hi")]
    assert msg.stop_reason == "length"


def test_completion_content_filter_names_categories() -> None:
    from jupyter_azure_ai._internal.failures import completion_filtered

    acc = TurnAccumulator()
    acc.add({"choices": [{"index": 0, "delta": {"content": "Some"}}]})
    results = {"violence": {"filtered": True, "severity": "medium"}, "hate": {"filtered": False}}
    acc.add({"choices": [{"index": 0, "delta": {}, "finish_reason": "content_filter",
                          "content_filter_results": results}]})  # fmt: skip
    assert acc.finish_reason == "content_filter"
    err = completion_filtered(acc.filtered, acc.full_text)
    assert err.categories == ["violence"] and err.where == "completion"
    assert "violence" in str(err)
