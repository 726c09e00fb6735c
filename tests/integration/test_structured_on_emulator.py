"""Structured output end to end: the emulator over TLS, real azure-identity, the SDK.

Counts requests on the emulator to prove the one repair turn, and checks what was sent.
"""

from __future__ import annotations

import enum
import json
import ssl
from dataclasses import dataclass
from typing import Any, Literal

import anyio
import httpx
import pytest
from pydantic import BaseModel
from typing_extensions import TypedDict

from jupyter_azure_ai import (
    AssistantMessage,
    AzureAgentClient,
    AzureOpenAIOptions,
    ResultMessage,
    StreamEvent,
    ToolUseBlock,
    azure_query,
    tool,
)
from jupyter_azure_ai.emulator import Emulator

pytestmark = pytest.mark.anyio


class Sentiment(enum.Enum):
    POSITIVE = "positive"
    NEGATIVE = "negative"
    NEUTRAL = "neutral"


@dataclass
class Review:
    sentiment: Sentiment
    stars: int
    product: str


class Item(BaseModel):
    name: str
    quantity: int


class Order(BaseModel):
    customer: str
    items: list[Item]
    urgent: bool
    note: str | None = None


class Weather(TypedDict):
    city: str
    summary: str


def tls(emu: Emulator) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=emu.ca_path)


def opts(emu: Emulator, **kw: Any) -> AzureOpenAIOptions:
    kw.setdefault("model", "gpt-4o")
    return AzureOpenAIOptions.from_env(emu.env(), verify=emu.ca_path, **kw)


async def ask(options: AzureOpenAIOptions, prompt: str) -> list[Any]:
    return [m async for m in azure_query(prompt, options)]


def chat_posts(emu: Emulator) -> int:
    return sum(1 for r in emu.stats.requests if r.path.endswith("/chat/completions"))


async def test_dataclass_answer_follows_the_prompt(emulator: Emulator) -> None:
    messages = await ask(
        opts(emulator, output_format=Review),
        "Review: I love the Kettle, great and fast. I give it 5 stars.",
    )
    result = messages[-1]
    assert isinstance(result, ResultMessage)
    assert (result.subtype, result.is_error, result.num_turns) == ("success", False, 1)
    assert result.structured_output == Review(Sentiment.POSITIVE, 5, "Review")
    assert json.loads(result.result or "") == {
        "sentiment": "positive",
        "stars": 5,
        "product": "Review",
    }
    negative = (await ask(opts(emulator, output_format=Review), "Awful, broken kettle: 1 star"))[-1]
    assert negative.structured_output.sentiment is Sentiment.NEGATIVE


async def test_the_request_carries_a_strict_response_format(emulator: Emulator) -> None:
    sent: list[dict[str, Any]] = []

    async def record(request: httpx.Request) -> None:
        if request.url.path.endswith("/chat/completions"):
            sent.append(json.loads(request.content))

    http = httpx.AsyncClient(verify=tls(emulator), event_hooks={"request": [record]})
    async with http, AzureAgentClient(opts(emulator, output_format=Order), http_client=http) as c:
        await c.query("Order for Ada: 3 Widgets, not urgent")
        result = [m async for m in c.receive_response()][-1]
    response_format = sent[0]["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["name"] == "Order"
    assert response_format["json_schema"]["strict"] is True
    schema = response_format["json_schema"]["schema"]
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["customer", "items", "urgent", "note"]
    assert isinstance(result, ResultMessage) and result.subtype == "success"
    order = result.structured_output
    assert isinstance(order, Order)
    # capitalised words in order: customer "Order", the item "Ada"; numbers in order: 3
    assert order.items == [Item(name="Ada", quantity=3)] and order.urgent is False
    assert order.customer == "Order" and order.note == "Widgets"


async def test_typeddict_and_dict_forms_give_dicts(emulator: Emulator) -> None:
    result = (await ask(opts(emulator, output_format=Weather), "Weather in Paris today"))[-1]
    assert result.structured_output == {"city": "Weather", "summary": "Weather in Paris today"}
    spec = {
        "type": "json_schema",
        "schema": {
            "type": "object",
            "properties": {"label": {"type": "string", "enum": ["spam", "ham"]}},
            "required": ["label"],
        },
    }
    result = (await ask(opts(emulator, output_format=spec), "this is spam, clearly"))[-1]
    assert result.structured_output == {"label": "spam"}


@pytest.mark.parametrize("fault", ["invalid-json*1", "schema-mismatch*1"])
async def test_one_repair_turn_fixes_a_bad_answer(emulator: Emulator, fault: str) -> None:
    options = opts(emulator, output_format=Review, default_headers={"x-emulator-fault": fault})
    before = chat_posts(emulator)
    messages = await ask(options, "Great Kettle, 4 stars")
    result = messages[-1]
    assert chat_posts(emulator) - before == 2  # the answer, then the one repair turn
    assert isinstance(result, ResultMessage)
    assert (result.subtype, result.is_error, result.num_turns) == ("success", False, 2)
    assert result.structured_output == Review(Sentiment.POSITIVE, 4, "Great")
    assert len([m for m in messages if isinstance(m, AssistantMessage)]) == 2


async def test_a_second_bad_answer_is_an_error(emulator: Emulator) -> None:
    options = opts(
        emulator, output_format=Review, default_headers={"x-emulator-fault": "invalid-json"}
    )
    before = chat_posts(emulator)
    result = (await ask(options, "Great Kettle, 4 stars"))[-1]
    assert chat_posts(emulator) - before == 2  # one repair turn, never more
    assert isinstance(result, ResultMessage)
    assert (result.subtype, result.is_error) == ("error_structured_output", True)
    assert result.structured_output is None
    assert result.result and not result.result.rstrip().endswith("}")  # the bad text


async def test_the_repair_turn_tells_the_model_what_was_wrong(emulator: Emulator) -> None:
    options = opts(
        emulator, output_format=Review, default_headers={"x-emulator-fault": "schema-mismatch*1"}
    )
    async with AzureAgentClient(options) as client:
        await client.query("Great Kettle, 4 stars")
        [m async for m in client.receive_response()]
        turns = client._conversation  # what the next request will carry
    repair = turns[2]
    assert repair["role"] == "user"
    assert "'sentiment' is a required property" in repair["content"]


async def test_refusal(emulator: Emulator) -> None:
    options = opts(emulator, output_format=Review, default_headers={"x-emulator-fault": "refusal"})
    for partial in (False, True):
        options.include_partial_messages = partial
        messages = await ask(options, "Great Kettle, 4 stars")
        result = messages[-1]
        assert isinstance(result, ResultMessage)
        assert (result.subtype, result.is_error) == ("error_refusal", True)
        assert result.result == "I'm sorry, but I can't help with that request."
        assert result.structured_output is None
        reply = next(m for m in messages if isinstance(m, AssistantMessage))
        assert reply.stop_reason == "refusal" and reply.content == []


async def test_a_truncated_answer_is_an_error_not_an_object(emulator: Emulator) -> None:
    result = (await ask(opts(emulator, output_format=Review, max_tokens=3), "Great Kettle"))[-1]
    assert isinstance(result, ResultMessage)
    assert (result.subtype, result.is_error) == ("error_max_tokens", True)
    assert result.structured_output is None and result.num_turns == 1


async def test_with_tools_the_final_answer_is_structured(emulator: Emulator) -> None:
    @tool
    async def get_weather(city: str) -> str:
        """Weather for a city.

        city: the city
        """
        return f"Sunny in {city}, 21 degrees"

    @dataclass
    class Report:
        city: str
        degrees: int
        mood: Literal["sunny", "rainy"]

    options = opts(emulator, output_format=Report, tools=[get_weather])
    messages = await ask(options, "What is the weather in Paris?")
    uses = [b for m in messages if isinstance(m, AssistantMessage) for b in m.content
            if isinstance(b, ToolUseBlock)]  # fmt: skip
    assert [u.input for u in uses] == [{"city": "Paris"}]
    result = messages[-1]
    assert isinstance(result, ResultMessage) and result.subtype == "success"
    assert result.num_turns == 2
    assert result.structured_output == Report("What", 21, "sunny")


async def test_streaming_parses_at_the_end(emulator: Emulator) -> None:
    options = opts(emulator, output_format=Review, include_partial_messages=True)
    messages = await ask(options, "Terrible Kettle, 1 star")
    deltas = [
        m.event["delta"]["text"]
        for m in messages
        if isinstance(m, StreamEvent) and m.event.get("type") == "content_block_delta"
    ]
    assert len(deltas) > 1  # the JSON arrived in pieces
    result = messages[-1]
    assert isinstance(result, ResultMessage)
    assert json.loads("".join(deltas)) == json.loads(result.result or "")
    assert result.structured_output == Review(Sentiment.NEGATIVE, 1, "Terrible")


async def test_prices_come_from_the_reported_model(emulator: Emulator) -> None:
    priced = (await ask(opts(emulator), "hello"))[-1]  # gpt-4o reports gpt-4o-2024-11-20
    usage = priced.usage or {}
    expected = (usage["input_tokens"] * 2.5 + usage["output_tokens"] * 10.0) / 1e6
    assert priced.total_cost_usd == pytest.approx(expected)
    mini = (await ask(opts(emulator, model="gpt-4o-mini"), "hello"))[-1]
    usage = mini.usage or {}
    assert mini.total_cost_usd == pytest.approx(
        (usage["input_tokens"] * 0.15 + usage["output_tokens"] * 0.60) / 1e6
    )
    unknown = (await ask(opts(emulator, model="gpt-4"), "hello"))[-1]  # reports gpt-4
    assert unknown.total_cost_usd is None
    override = {"gpt-4": {"input": 1.0, "output": 2.0}}
    priced_by_option = (await ask(opts(emulator, model="gpt-4", pricing=override), "hello"))[-1]
    usage = priced_by_option.usage or {}
    assert priced_by_option.total_cost_usd == pytest.approx(
        (usage["input_tokens"] * 1.0 + usage["output_tokens"] * 2.0) / 1e6
    )


async def test_the_emulator_refuses_what_azure_refuses(emulator: Emulator) -> None:
    options = opts(emulator)
    url = f"{options.endpoint}/deployments/gpt-4o/chat/completions"
    token_options = opts(emulator)
    async with AzureAgentClient(token_options) as client:
        await client.query("hi")
        [m async for m in client.receive_response()]
        assert client.auth is not None
        token = client.auth.current
    assert token is not None
    headers = {
        "Authorization": f"Bearer {token.value}",
        "Ocp-Apim-Subscription-Key": options.apim_subscription_key,
    }

    def body(schema: dict[str, Any], name: str = "Out") -> dict[str, Any]:
        fmt = {
            "type": "json_schema",
            "json_schema": {"name": name, "strict": True, "schema": schema},
        }
        return {"messages": [{"role": "user", "content": "x"}], "response_format": fmt}

    loose = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    keyword = {
        "type": "object",
        "properties": {"a": {"type": "string", "minLength": 2}},
        "required": ["a"],
        "additionalProperties": False,
    }
    async with httpx.AsyncClient(verify=tls(emulator), headers=headers) as http:
        cases = [
            (body(loose), "2024-10-21", "In context=(), 'additionalProperties' is required"),
            (body(keyword), "2024-10-21", "('properties', 'a'), 'minLength' is not permitted"),
            (body(keyword), "2024-06-01", "'response_format' must be one of 'json_object', 'text'"),
            (body(loose, "bad name"), "2024-10-21", "string does not match pattern"),
        ]  # fmt: skip
        for payload, version, message in cases:
            response = await http.post(url, params={"api-version": version}, json=payload)
            assert response.status_code == 400
            error = response.json()["error"]
            assert message in error["message"] and error["type"] == "invalid_request_error"


async def test_concurrent_structured_queries(emulator: Emulator) -> None:
    found: dict[int, Any] = {}

    async def one(n: int) -> None:
        messages = await ask(opts(emulator, output_format=Review), f"Good Kettle, {n} stars")
        found[n] = messages[-1].structured_output

    async with anyio.create_task_group() as tg:
        for n in range(1, 6):
            tg.start_soon(one, n)
    assert {n: r.stars for n, r in found.items()} == {n: n for n in range(1, 6)}


async def test_the_emulator_sends_a_refusal_as_azure_does(emulator: Emulator) -> None:
    """Unstreamed: ``content`` null and the text in ``refusal``; streamed: ``refusal`` deltas."""
    options = opts(emulator)
    async with AzureAgentClient(options) as client:
        await client.query("hi")
        [m async for m in client.receive_response()]
        assert client.auth is not None and client.auth.current is not None
        token = client.auth.current.value
    headers = {
        "Authorization": f"Bearer {token}",
        "Ocp-Apim-Subscription-Key": options.apim_subscription_key,
    }
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "required": ["a"],
        "additionalProperties": False,
    }
    fmt = {"type": "json_schema", "json_schema": {"name": "Out", "strict": True, "schema": schema}}
    body: dict[str, Any] = {
        "messages": [{"role": "user", "content": "Ada"}],
        "response_format": fmt,
    }
    url = f"{options.endpoint}/deployments/fault-refusal/chat/completions"
    async with httpx.AsyncClient(verify=tls(emulator), headers=headers) as http:
        plain = await http.post(url, params={"api-version": "2024-10-21"}, json=body)
        message = plain.json()["choices"][0]["message"]
        assert message["content"] is None
        assert message["refusal"] == "I'm sorry, but I can't help with that request."
        streamed = await http.post(
            url, params={"api-version": "2024-10-21"}, json={**body, "stream": True}
        )
        deltas = [
            json.loads(line[6:])["choices"][0]["delta"]
            for line in streamed.text.splitlines()
            if line.startswith("data: {") and '"delta"' in line
        ]
        assert "".join(d.get("refusal") or "" for d in deltas) == message["refusal"]
        assert not any(d.get("content") for d in deltas)
        answered = await http.post(
            url.replace("fault-refusal", "gpt-4o"), params={"api-version": "2024-10-21"}, json=body
        )
        assert json.loads(answered.json()["choices"][0]["message"]["content"]) == {"a": "Ada"}
