"""What of a conversation is sent (_internal/history.py) and how Azure's 400 is read."""

from __future__ import annotations

import json
from typing import Any

import pytest

from jupyter_azure_ai import APIStatusError, ContextWindowError
from jupyter_azure_ai._internal import history
from jupyter_azure_ai._internal.failures import error_from_response, prompt_too_long


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def assistant(text: str) -> dict[str, Any]:
    return {"role": "assistant", "content": text}


def call(call_id: str, name: str = "lookup") -> dict[str, Any]:
    function = {"name": name, "arguments": '{"q": "x"}'}
    return {"role": "assistant", "content": None, "tool_calls": [
        {"id": call_id, "type": "function", "function": function}]}  # fmt: skip


def result(call_id: str, text: str) -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": call_id, "content": text}


def chat(n: int, size: int = 400) -> list[dict[str, Any]]:
    """n earlier exchanges of about size/4 tokens each side, then the current prompt."""
    out: list[dict[str, Any]] = []
    for i in range(n):
        out += [user(f"q{i} " + "x" * size), assistant(f"a{i} " + "y" * size)]
    return [*out, user("now")]


def test_exchanges_start_at_each_user_message_and_keep_tool_rounds_whole() -> None:
    conversation = [user("a"), call("1"), result("1", "r"), assistant("b"), user("c")]
    assert history.exchanges(conversation) == [conversation[:4], conversation[4:]]
    assert history.exchanges([assistant("orphan"), user("q")]) == [[assistant("orphan")],
                                                                   [user("q")]]  # fmt: skip
    assert history.current_start(conversation) == 4 and history.current_start([]) == 0


def test_the_oldest_whole_exchanges_are_left_out_first() -> None:
    conversation = chat(5)
    one = history.estimate(conversation[:2])
    chosen = history.select(conversation, limit=2 * one)
    assert chosen.left_out == 3
    assert chosen.messages == conversation[6:]  # the two newest, then the prompt
    assert chosen.earlier_tokens == 2 * one
    assert history.select(conversation, limit=2 * one - 1).left_out == 4


def test_none_is_no_limit_and_zero_is_the_prompt_alone() -> None:
    conversation = chat(30)
    assert history.select(conversation, None).messages == conversation
    assert history.select(conversation, None).left_out == 0
    alone = history.select(conversation, 0)
    assert alone.messages == [user("now")] and alone.left_out == 30


def test_a_tool_result_never_travels_without_its_call() -> None:
    tool_exchange = [user("look it up"), call("c1"), result("c1", "z" * 800), assistant("done")]
    conversation = [user("old"), assistant("old answer"), *tool_exchange, user("now")]
    big = history.estimate(tool_exchange)
    for limit in range(0, big + 50, 7):
        sent = history.select(conversation, limit).messages
        calls = {c["id"] for m in sent for c in m.get("tool_calls") or []}
        results = {m["tool_call_id"] for m in sent if m["role"] == "tool"}
        assert results <= calls
        assert sent[-1] == user("now")
    assert history.select(conversation, big).messages == [*tool_exchange, user("now")]


def test_the_current_exchange_always_goes_even_with_its_tool_rounds() -> None:
    current = [user("now"), call("c9"), result("c9", "w" * 4000)]
    conversation = [*chat(3)[:-1], *current]
    chosen = history.select(conversation, 0)
    assert chosen.messages == current and chosen.left_out == 3
    # a follow-up user turn inside one query (a repair prompt) stays in the current one
    repair = [*conversation, assistant("{bad json"), user("fix it")]
    start = len(conversation) - 3
    assert history.select(repair, 0, start=start).messages == repair[start:]


def test_scale_calibrates_the_estimate() -> None:
    conversation = chat(4)
    one = history.estimate(conversation[:2])
    assert history.select(conversation, limit=2 * one, scale=1.0).left_out == 2
    assert history.select(conversation, limit=2 * one, scale=2.0).left_out == 3
    assert history.calibrated_scale(150, 100) == 1.5
    assert history.calibrated_scale(10_000, 1) == history.MAX_SCALE
    assert history.calibrated_scale(0, 100) == 1.0


def test_room_in_a_window_bounds_what_is_sent_and_says_if_the_prompt_alone_does_not_fit() -> None:
    conversation = chat(20)  # about 4,200 tokens of earlier exchanges
    room = history.room_in_window(3000, 500, 100)
    assert room == 3000 - 500 - 100 - 150
    chosen = history.select(conversation, None, room=room)
    assert chosen.fits and chosen.earlier_tokens + chosen.current_tokens <= room
    assert 0 < chosen.left_out < 20
    huge = [*chat(2)[:-1], user("z" * 40_000)]
    too_big = history.select(huge, None, room=room)
    assert not too_big.fits and too_big.messages == [huge[-1]] and too_big.left_out == 2


def test_estimate_counts_text_tool_calls_images_and_tool_definitions() -> None:
    text = history.estimate([user("x" * 400)])
    assert text == 100 + history.MESSAGE_OVERHEAD
    assert history.estimate([call("1")]) > history.MESSAGE_OVERHEAD
    image = {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:"}}]}
    assert history.estimate([image]) == history.IMAGE_TOKENS + history.MESSAGE_OVERHEAD
    tool = {"type": "function", "function": {"name": "f", "parameters": {}}}
    assert history.estimate([], tools=[tool]) > 0


GPT4O = (
    "This model's maximum context length is 128000 tokens. However, your messages resulted in"
    " 192041 tokens. Please reduce the length of the messages."
)
GPT4_32K = (
    "This model's maximum context length is 32768 tokens. However, you requested 35969 tokens"
    " (9969 in the messages, 26000 in the completion). Please reduce the length of the"
    " messages or completion."
)


@pytest.mark.parametrize(
    ("message", "window", "requested", "completion"),
    [(GPT4O, 128000, 192041, None), (GPT4_32K, 32768, 35969, 26000)],
)
def test_both_forms_of_context_length_exceeded_are_read(
    message: str, window: int, requested: int, completion: int | None
) -> None:
    body = {"error": {"message": message, "type": "invalid_request_error", "param": "messages",
                      "code": "context_length_exceeded"}}  # fmt: skip
    headers = {"apim-request-id": "rid-1"}
    err = error_from_response(400, headers, json.dumps(body).encode(), deployment="gpt-4o")
    assert isinstance(err, ContextWindowError) and isinstance(err, APIStatusError)
    assert (err.window, err.requested, err.completion) == (window, requested, completion)
    assert err.status_code == 400 and err.request_id == "rid-1"
    assert "\n" not in str(err) and "rid-1" in str(err)


def test_a_prompt_too_long_is_one_line_naming_its_size_and_the_window() -> None:
    cause = ContextWindowError("x", window=8192, status_code=400)
    err = prompt_too_long("gpt-4", 150_234, 8192, 4096, cause)
    text = str(err)
    assert "150,234 tokens" in text and "8,192 tokens" in text and "'gpt-4'" in text
    assert "\n" not in text and err.window == 8192 and err.requested == 150_234 + 4096
