"""Options split by lifetime: connection (keys the client), query settings, tool settings."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

import httpx
import pytest

from jupyter_azure_ai import (
    APIStatusError,
    AzureOpenAIOptions,
    ConfigurationError,
    ConnectionSettings,
    QuerySettings,
    SessionSettings,
    ToolSettings,
)
from jupyter_azure_ai.options import ENV_OPTIONAL, ENV_REQUIRED, SECRET_FIELDS

from .fakes import KEY, SECRET, Recorder, options

pytestmark = pytest.mark.anyio

PARTS = (ConnectionSettings, QuerySettings, ToolSettings, SessionSettings)


def always(status: int) -> Any:
    def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"error": {"code": "busy", "message": "busy"}})

    return respond


def test_every_option_is_in_exactly_one_part_with_the_same_default() -> None:
    option_fields = {f.name: f for f in fields(AzureOpenAIOptions)}
    seen: list[str] = []
    for part in PARTS:
        for f in fields(part):
            seen.append(f.name)
            default = option_fields[f.name].default
            if default is not option_fields[f.name].default_factory:  # type: ignore[comparison-overlap]
                assert f.default == default or f.name in ("tools", "allowed_tools"), f.name
    assert sorted(seen) == sorted(option_fields)  # none missing, none twice


def test_declarations_are_derived_from_one_place() -> None:
    assert list(ENV_REQUIRED.values()) == [
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_APIM_ENDPOINT",
        "AZURE_APIM_SUBSCRIPTION_KEY",
    ]
    assert ENV_OPTIONAL == {
        "model": "AZURE_OPENAI_DEPLOYMENT",
        "api_version": "AZURE_OPENAI_API_VERSION",
        "authority_host": "AZURE_AUTHORITY_HOST",
    }
    assert {"client_secret", "apim_subscription_key", "credential"} == SECRET_FIELDS


def test_connection_is_frozen_hashable_and_keys_equal_options() -> None:
    a = options(credential=None, tenant_id="t", client_id="c", client_secret=SECRET)
    b = replace(a, model="gpt-4o", temperature=0.5, max_retries=7, tools=[])
    assert a.connection == b.connection and hash(a.connection) == hash(b.connection)
    assert a.connection != replace(a, client_secret=SECRET + "x").connection
    with pytest.raises(AttributeError):
        a.connection.endpoint = "https://elsewhere"  # type: ignore[misc]
    for part in (a.connection, a.settings, a.tool_settings):
        assert SECRET not in repr(part) and KEY not in repr(part)


def test_headers_are_kept_hashable() -> None:
    o = options(default_headers={"x-b": "2", "x-a": "1"})
    assert o.connection.headers == {"x-a": "1", "x-b": "2"}
    same = replace(o, default_headers={"x-a": "1", "x-b": "2"})  # same credential object
    assert hash(o.connection) == hash(same.connection) and o.connection == same.connection


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("max_tokens", -5, "max_tokens must be > 0, got -5"),
        ("temperature", 3.0, "temperature must be between 0.0 and 2.0"),
        ("max_retries", -1, "max_retries must be >= 0"),
        ("endpoint", "ftp://x", "endpoint must be an https URL"),
        ("permission_mode", "yolo", "permission_mode must be one of default, acceptEdits"),
        ("max_budget_usd", 0, "max_budget_usd must be > 0"),
        ("hooks", {"PreToolUsed": []}, "unknown event 'PreToolUsed'"),
        ("apim_subscription_key", "", "apim_subscription_key is empty"),
    ],
)
def test_assignment_cannot_bypass_validation(field: str, value: Any, message: str) -> None:
    o = options()
    before = getattr(o, field)
    with pytest.raises(ConfigurationError, match=message):
        setattr(o, field, value)
    assert getattr(o, field) == before  # the bad value was not kept
    setattr(o, "model", "gpt-4o")  # a good assignment still works  # noqa: B010
    assert o.settings.model == "gpt-4o"


def test_parts_validate_themselves() -> None:
    with pytest.raises(ConfigurationError, match=r"QuerySettings\.max_tokens must be > 0"):
        QuerySettings(max_tokens=0)
    with pytest.raises(ConfigurationError, match=r"ToolSettings\.permission_mode must be"):
        ToolSettings(permission_mode="never")
    with pytest.raises(ConfigurationError, match="max_turns must be >= 1"):
        QuerySettings().replace(max_turns=0)
    assert issubclass(ConfigurationError, ValueError)


async def test_query_retry_budget_is_the_querys_not_the_clients(no_sleep: list[float]) -> None:
    """The 0.1 bug: a client built with max_retries=0 kept that budget for a query given
    max_retries=3 (the transport read its construction options)."""
    rec = Recorder(*[always(503)] * 8)
    async with rec.client(options(max_retries=0)) as client:
        await client.query("hi", settings=client.settings.replace(max_retries=3))
        with pytest.raises(APIStatusError):
            [m async for m in client.receive_response()]
        assert len(rec.requests) == 4  # the first try and 3 retries
        await client.query("hi")  # the client's own budget again
        with pytest.raises(APIStatusError):
            [m async for m in client.receive_response()]
        assert len(rec.requests) == 5


async def test_query_settings_apply_to_one_query_only() -> None:
    from .fakes import stream_response, text_chunks

    rec = Recorder(*[stream_response(text_chunks("ok")) for _ in range(2)])
    async with rec.client(options(model="gpt-4", max_tokens=50)) as client:
        await client.query("a", settings=client.settings.replace(model="o4-mini", max_tokens=9))
        [m async for m in client.receive_response()]
        await client.query("b")
        [m async for m in client.receive_response()]
    first, second = rec.requests
    assert "/deployments/o4-mini/" in str(first.url) and "/deployments/gpt-4/" in str(second.url)
    assert [b["max_tokens"] for b in rec.bodies()] == [9, 50]


def test_a_plain_function_in_tools_is_a_clear_configuration_error() -> None:
    def lookup(city: str) -> str:
        return city

    with pytest.raises(
        ConfigurationError, match=r"got <function .*lookup.*\(decorate it with @tool\)"
    ):
        options(tools=[lookup])
