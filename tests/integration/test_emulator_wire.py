"""The emulator speaks the real wire: proven with third-party clients, unchanged.

azure-identity (sync via MSAL, async via aiohttp), openai-python and raw httpx talk to
it over TLS; the assertions pin the exact bodies, headers and event orders of
azure-wire.md so the SDK's tests against the emulator mean something.
"""

from __future__ import annotations

import email.utils
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import httpx2
import openai
import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientSecretCredential
from azure.identity.aio import ClientSecretCredential as AsyncClientSecretCredential

from jupyter_azure_ai.emulator import Emulator, certs, start_emulator

SCOPE = "https://cognitiveservices.azure.com/.default"
API_VERSION = "2024-10-21"
PARIS = (
    "The capital of France is **Paris** 🇫🇷, home of the Eiffel Tower, the Louvre and many cafés."
)
FRANCE = [{"role": "user", "content": "What is the capital of France?"}]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a place.",
        "parameters": {
            "type": "object",
            "properties": {"location": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["location"],
        },
    },
}


def tls(emu: Emulator) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=emu.ca_path)


@pytest.fixture
def client(emulator: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(verify=tls(emulator), timeout=10) as c:
        yield c


def token_form(emu: Emulator, **overrides: str) -> dict[str, str]:
    form = {
        "grant_type": "client_credentials",
        "client_id": emu.client_id,
        "client_secret": emu.client_secret,
        "scope": SCOPE,
    }
    return {**form, **overrides}


@pytest.fixture
def token(client: httpx.Client, emulator: Emulator) -> str:
    reply = client.post(
        f"{emulator.url}/{emulator.tenant_id}/oauth2/v2.0/token", data=token_form(emulator)
    )
    assert reply.status_code == 200
    return str(reply.json()["access_token"])


@pytest.fixture
def headers(emulator: Emulator, token: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "Ocp-Apim-Subscription-Key": emulator.subscription_key,
    }


def chat_url(emu: Emulator, deployment: str = "gpt-4") -> str:
    return f"{emu.endpoint}/deployments/{deployment}/chat/completions?api-version={API_VERSION}"


def sse(body: str) -> list[Any]:
    """Decode a complete SSE body: JSON payloads, and the string ``[DONE]``."""
    out: list[Any] = []
    for block in body.replace("\r\n", "\n").split("\n\n"):
        data = [line[6:] for line in block.split("\n") if line.startswith("data: ")]
        if data:
            payload = "\n".join(data)
            out.append(payload if payload == "[DONE]" else json.loads(payload))
    return out


def kind(event: Any) -> str:
    if event == "[DONE]":
        return "done"
    if event["id"] == "" and event["choices"] == [] and "prompt_filter_results" in event:
        return "prompt_filter"
    if not event["choices"]:
        return "usage" if "usage" in event else "?"
    (choice,) = event["choices"]
    if choice["finish_reason"]:
        return "finish"
    if choice["delta"] == {"role": "assistant", "content": ""}:
        return "role"
    if "tool_calls" in choice["delta"]:
        return "tool"
    return "content" if choice["content_filter_results"] and "content" in choice["delta"] else "?"


def text_of(events: list[Any]) -> str:
    return "".join(
        e["choices"][0]["delta"].get("content") or "" for e in events if kind(e) == "content"
    )


# --- Entra ID with azure-identity -----------------------------------------------------


def test_sync_credential_gets_token_and_reports_wrong_secret(emulator: Emulator) -> None:
    # A custom authority needs disable_instance_discovery=True, else MSAL asks
    # login.microsoftonline.com about it (see the emulator package docstring).
    options: dict[str, Any] = {
        "authority": emulator.authority_host,
        "connection_verify": emulator.ca_path,
        "disable_instance_discovery": True,
    }
    good = ClientSecretCredential(
        emulator.tenant_id, emulator.client_id, emulator.client_secret, **options
    )
    with good:
        access = good.get_token(SCOPE)
    assert access.token.count(".") == 2
    assert 3500 < access.expires_on - time.time() <= 3600
    bad = ClientSecretCredential(
        emulator.tenant_id, emulator.client_id, "not-the-secret", **options
    )
    with (
        bad,
        pytest.raises(ClientAuthenticationError, match="AADSTS7000215: Invalid client secret"),
    ):
        bad.get_token(SCOPE)
    paths = [(r.method, r.path, r.status) for r in emulator.stats.requests]
    discovery = f"/{emulator.tenant_id}/v2.0/.well-known/openid-configuration"
    assert paths[:2] == [
        ("GET", discovery, 200),
        ("POST", f"/{emulator.tenant_id}/oauth2/v2.0/token", 200),
    ]
    assert paths[-1] == ("POST", f"/{emulator.tenant_id}/oauth2/v2.0/token", 401)
    assert emulator.stats.token_requests == 2


@pytest.mark.anyio
async def test_async_credential_gets_token_and_reports_wrong_secret(emulator: Emulator) -> None:
    options: dict[str, Any] = {
        "authority": emulator.authority_host,
        "connection_verify": emulator.ca_path,
    }
    async with AsyncClientSecretCredential(
        emulator.tenant_id, emulator.client_id, emulator.client_secret, **options
    ) as good:
        access = await good.get_token(SCOPE)
    assert access.token.count(".") == 2
    async with AsyncClientSecretCredential(
        emulator.tenant_id, emulator.client_id, "nope", **options
    ) as bad:
        with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
            await bad.get_token(SCOPE)
    assert [r.path.rsplit("/", 1)[-1] for r in emulator.stats.requests] == ["token", "token"]


def test_msal_instance_discovery_can_be_served_by_the_emulator(emulator: Emulator) -> None:
    import msal

    with requests.Session() as session:
        session.trust_env = False  # else REQUESTS_CA_BUNDLE from the environment wins
        session.verify = emulator.ca_path
        app = msal.ConfidentialClientApplication(
            emulator.client_id,
            client_credential=emulator.client_secret,
            authority=f"{emulator.authority_host}/{emulator.tenant_id}",
            instance_discovery=f"{emulator.url}/common/discovery/instance",
            http_client=session,
        )
        result = app.acquire_token_for_client([SCOPE])
    assert result["token_type"] == "Bearer"
    assert "access_token" in result
    assert emulator.stats.requests[0].path == "/common/discovery/instance"


@pytest.mark.parametrize(
    ("tenant", "field", "value", "status", "error", "code"),
    [
        ("good", "client_secret", "wrong", 401, "invalid_client", 7000215),
        (
            "good",
            "client_id",
            "33333333-3333-4333-8333-333333333333",
            400,
            "unauthorized_client",
            700016,
        ),
        ("no-such-tenant", "scope", SCOPE, 400, "invalid_request", 90002),
        ("good", "scope", "https://cognitiveservices.azure.com", 400, "invalid_scope", 1002012),
        ("fault-down", "scope", SCOPE, 503, "temporarily_unavailable", 90033),
    ],
)
def test_token_endpoint_errors(
    client: httpx.Client,
    emulator: Emulator,
    tenant: str,
    field: str,
    value: str,
    status: int,
    error: str,
    code: int,
) -> None:
    tenant_id = emulator.tenant_id if tenant == "good" else tenant
    reply = client.post(
        f"{emulator.url}/{tenant_id}/oauth2/v2.0/token", data=token_form(emulator, **{field: value})
    )
    body = reply.json()
    assert (reply.status_code, body["error"], body["error_codes"]) == (status, error, [code])
    assert body["error_description"].startswith(f"AADSTS{code}: ")
    assert {"timestamp", "trace_id", "correlation_id"} <= body.keys()
    assert emulator.client_secret not in reply.text


def test_token_endpoint_down_switch(client: httpx.Client, emulator: Emulator) -> None:
    url = f"{emulator.url}/{emulator.tenant_id}/oauth2/v2.0/token"
    emulator.token_endpoint_down = True
    assert client.post(url, data=token_form(emulator)).status_code == 503
    emulator.reset()
    reply = client.post(url, data=token_form(emulator, scope="api://my-apim/.default"))
    assert reply.status_code == 200
    assert reply.json()["expires_in"] == reply.json()["ext_expires_in"] == 3599


# --- openai-python, unchanged ---------------------------------------------------------


def test_openai_azure_client_streams_and_completes(emulator: Emulator, token: str) -> None:
    with httpx2.Client(verify=tls(emulator)) as http:
        oai = openai.AzureOpenAI(
            azure_endpoint=emulator.url,
            api_version=API_VERSION,
            azure_ad_token=token,
            default_headers={"Ocp-Apim-Subscription-Key": emulator.subscription_key},
            http_client=http,
        )
        stream = oai.chat.completions.create(
            model="gpt-4o", messages=FRANCE, stream=True, stream_options={"include_usage": True}
        )
        chunks = list(stream)
        done = oai.chat.completions.create(model="gpt-4o", messages=FRANCE)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == PARIS
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 17
    assert done.choices[0].message.content == PARIS
    assert done.model == "gpt-4o-2024-11-20" and done.id.startswith("chatcmpl-")
    assert emulator.stats.chat_requests == 2


@pytest.mark.anyio
async def test_openai_async_azure_client_streams(emulator: Emulator, token: str) -> None:
    async with httpx2.AsyncClient(verify=tls(emulator)) as http:
        oai = openai.AsyncAzureOpenAI(
            azure_endpoint=emulator.url,
            api_version=API_VERSION,
            azure_ad_token=token,
            default_headers={"Ocp-Apim-Subscription-Key": emulator.subscription_key},
            http_client=http,
        )
        stream = await oai.chat.completions.create(model="gpt-4", messages=FRANCE, stream=True)
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text == PARIS


def test_openai_v1_path(emulator: Emulator, token: str) -> None:
    with httpx2.Client(verify=tls(emulator)) as http:
        oai = openai.OpenAI(
            base_url=f"{emulator.endpoint}/v1",
            api_key=token,  # sent as "Authorization: Bearer <token>"
            default_headers={"Ocp-Apim-Subscription-Key": emulator.subscription_key},
            http_client=http,
        )
        done = oai.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}]
        )
    assert done.choices[0].message.content is not None
    assert done.choices[0].message.content.startswith("Hello! 👋")
    assert emulator.stats.requests[-1].path == "/openai/v1/chat/completions"


# --- raw httpx: the wire itself -------------------------------------------------------


def test_stream_event_order(
    client: httpx.Client, emulator: Emulator, headers: dict[str, str]
) -> None:
    body = {"messages": FRANCE, "stream": True, "stream_options": {"include_usage": True}}
    reply = client.post(chat_url(emulator, "gpt-4o"), headers=headers, json=body)
    assert reply.headers["content-type"].startswith("text/event-stream")
    assert reply.headers["apim-request-id"] == reply.headers["x-ms-request-id"]
    events = sse(reply.text)
    kinds = [kind(e) for e in events]
    assert kinds == ["prompt_filter", "role"] + ["content"] * 17 + ["finish", "usage", "done"]
    assert text_of(events) == PARIS
    assert events[-3]["choices"][0] == {
        "content_filter_results": {},
        "delta": {},
        "finish_reason": "stop",
        "index": 0,
        "logprobs": None,
    }
    usage = events[-2]["usage"]
    # 7 words and marks, 3 for the message, 3 for the reply's priming
    assert (usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"]) == (
        13,
        17,
        30,
    )
    ids = {e["id"] for e in events[1:-1]}
    assert len(ids) == 1 and ids.pop().startswith("chatcmpl-")
    assert {e["model"] for e in events[1:-1]} == {"gpt-4o-2024-11-20"}
    without_usage = client.post(
        chat_url(emulator), headers=headers, json={"messages": FRANCE, "stream": True}
    )
    assert [kind(e) for e in sse(without_usage.text)][-2:] == ["finish", "done"]


def test_generic_answer_counts_turns(
    client: httpx.Client, emulator: Emulator, headers: dict[str, str]
) -> None:
    messages = [
        {"role": "user", "content": "Remember the number 7."},
        {"role": "assistant", "content": "Noted."},
        {"role": "user", "content": "Explain Python decorators"},
    ]
    reply = client.post(chat_url(emulator), headers=headers, json={"messages": messages})
    text = reply.json()["choices"][0]["message"]["content"]
    assert text.startswith("## Emulated answer\n\nYou asked: *Explain Python decorators*")
    assert "```python\n" in text and "- " in text
    assert text.endswith("(turn 2 of this conversation)")


def test_parallel_tool_calls_then_tool_results(
    client: httpx.Client, emulator: Emulator, headers: dict[str, str]
) -> None:
    ask = [{"role": "user", "content": "What's the weather in Paris and London?"}]
    reply = client.post(
        chat_url(emulator),
        headers=headers,
        json={"messages": ask, "tools": [WEATHER_TOOL], "stream": True},
    )
    events = sse(reply.text)
    assert [kind(e) for e in events][:3] == ["prompt_filter", "role", "tool"]
    assert events[-2]["choices"][0]["finish_reason"] == "tool_calls"
    deltas = [e["choices"][0]["delta"]["tool_calls"][0] for e in events if kind(e) == "tool"]
    heads = [d for d in deltas if "id" in d]
    assert [(d["index"], d["type"], d["function"]) for d in heads] == [
        (0, "function", {"name": "get_weather", "arguments": ""}),
        (1, "function", {"name": "get_weather", "arguments": ""}),
    ]
    assert all(d["id"].startswith("call_") for d in heads)
    order = [d["index"] for d in deltas]
    assert order[:4] == [0, 0, 1, 1] and order[4:6] == [0, 1]  # interleaved by index
    arguments = [
        "".join(d["function"]["arguments"] for d in deltas if d["index"] == i) for i in (0, 1)
    ]
    assert [json.loads(a) for a in arguments] == [{"location": "Paris"}, {"location": "London"}]
    assert sum(1 for d in deltas if d["index"] == 0 and "id" not in d) > 2  # several fragments
    calls = [
        {"id": h["id"], "type": "function", "function": {"name": "get_weather", "arguments": a}}
        for h, a in zip(heads, arguments, strict=True)
    ]
    follow_up = [
        *ask,
        {"role": "assistant", "content": None, "tool_calls": calls},
        {"role": "tool", "tool_call_id": calls[0]["id"], "content": "Sunny, 21 °C"},
        {"role": "tool", "tool_call_id": calls[1]["id"], "content": "Rain, 14 °C"},
    ]
    answer = client.post(
        chat_url(emulator), headers=headers, json={"messages": follow_up, "tools": [WEATHER_TOOL]}
    )
    assert answer.json()["choices"][0]["message"]["content"] == (
        "Based on get_weather: Sunny, 21 °C\nBased on get_weather: Rain, 14 °C"
    )


def test_apim_401_bodies(
    client: httpx.Client, emulator: Emulator, headers: dict[str, str], token: str
) -> None:
    body = {"messages": FRANCE}
    missing = client.post(
        chat_url(emulator), json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert (missing.status_code, missing.json()) == (
        401,
        {
            "statusCode": 401,
            "message": "Access denied due to missing subscription key. Make sure to include "
            "subscription key when making requests to an API.",
        },
    )
    wrong = client.post(
        chat_url(emulator), json=body, headers={**headers, "Ocp-Apim-Subscription-Key": "x"}
    )
    assert wrong.json() == {
        "statusCode": 401,
        "message": "Access denied due to invalid subscription key. Make sure to provide a "
        "valid key for an active subscription.",
    }
    invalid_jwt = {"statusCode": 401, "message": "Invalid JWT."}
    key_only = {"Ocp-Apim-Subscription-Key": emulator.subscription_key}
    assert client.post(chat_url(emulator), json=body, headers=key_only).json() == invalid_jwt
    forged = {**key_only, "Authorization": "Bearer a.b.c"}
    assert client.post(chat_url(emulator), json=body, headers=forged).json() == invalid_jwt
    by_query = client.post(
        chat_url(emulator) + f"&subscription-key={emulator.subscription_key}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert by_query.status_code == 200
    emulator.revoke_tokens()
    revoked = client.post(chat_url(emulator), json=body, headers=headers)
    assert (revoked.status_code, revoked.json()) == (401, invalid_jwt)
    assert all(r.headers["apim-request-id"] for r in (missing, wrong, revoked))
    chats = [r for r in emulator.stats.requests if r.path.endswith("/chat/completions")]
    assert [(r.subscription_key, r.authorization) for r in chats[:3]] == [
        (False, True),
        (True, True),
        (True, False),
    ]
    secrets_ = (emulator.subscription_key, emulator.client_secret, token)
    assert not any(s in repr(emulator.stats) for s in secrets_)


def test_deployment_and_request_errors(
    client: httpx.Client, emulator: Emulator, headers: dict[str, str]
) -> None:
    missing = client.post(chat_url(emulator, "gpt-7"), headers=headers, json={"messages": FRANCE})
    assert (missing.status_code, missing.json()) == (
        404,
        {
            "error": {
                "code": "DeploymentNotFound",
                "message": "The API deployment for this resource does not exist. If you created "
                "the deployment within the last 5 minutes, please wait a moment and try again.",
            }
        },
    )
    no_version = client.post(
        f"{emulator.endpoint}/deployments/gpt-4/chat/completions",
        headers=headers,
        json={"messages": FRANCE},
    )
    assert (no_version.status_code, no_version.json()["error"]["code"]) == (
        400,
        "MissingApiVersionParameter",
    )
    o3 = client.post(
        chat_url(emulator, "o3-mini"), headers=headers, json={"messages": FRANCE, "max_tokens": 5}
    )
    assert (o3.status_code, o3.json()) == (
        400,
        {
            "error": {
                "code": "unsupported_parameter",
                "message": "Unsupported parameter: 'max_tokens' is not supported with this model. "
                "Use 'max_completion_tokens' instead.",
                "param": "max_tokens",
                "type": "invalid_request_error",
            }
        },
    )
    capped = client.post(
        chat_url(emulator, "o3-mini"),
        headers=headers,
        json={"messages": FRANCE, "max_completion_tokens": 5},
    )
    choice = capped.json()["choices"][0]
    assert (choice["finish_reason"], choice["message"]["content"]) == (
        "length",
        "The capital of France is ",
    )


def test_content_filter_faults(
    client: httpx.Client, emulator: Emulator, headers: dict[str, str]
) -> None:
    blocked = client.post(
        chat_url(emulator, "fault-content-filter"), headers=headers, json={"messages": FRANCE}
    )
    assert blocked.status_code == 400
    error = blocked.json()["error"]
    assert (error["code"], error["param"], error["status"]) == ("content_filter", "prompt", 400)
    assert error["innererror"]["code"] == "ResponsibleAIPolicyViolation"
    assert error["innererror"]["content_filter_result"] == {
        "hate": {"filtered": True, "severity": "high"},
        "self_harm": {"filtered": False, "severity": "safe"},
        "sexual": {"filtered": False, "severity": "safe"},
        "violence": {"filtered": False, "severity": "safe"},
    }
    stream = client.post(
        chat_url(emulator),
        headers={**headers, "x-emulator-fault": "content-filter-completion"},
        json={"messages": FRANCE, "stream": True},
    )
    events = sse(stream.text)
    assert [kind(e) for e in events] == [
        "prompt_filter",
        "role",
        "content",
        "content",
        "content",
        "finish",
        "done",
    ]
    finish = events[-2]["choices"][0]
    assert finish["finish_reason"] == "content_filter"
    assert finish["content_filter_results"]["violence"] == {"filtered": True, "severity": "medium"}


def test_429_headers(client: httpx.Client, emulator: Emulator, headers: dict[str, str]) -> None:
    body = {"messages": FRANCE}
    apim = client.post(chat_url(emulator, "fault-429"), headers=headers, json=body)
    assert (apim.status_code, apim.headers["retry-after"]) == (429, "1")
    assert apim.json() == {
        "statusCode": 429,
        "message": "Rate limit is exceeded. Try again in 1 seconds.",
    }
    aoai = client.post(chat_url(emulator, "fault-429-ms"), headers=headers, json=body)
    assert aoai.status_code == 429 and aoai.json()["error"]["code"] == "429"
    assert {k: aoai.headers[k] for k in ("retry-after-ms", "retry-after")} == {
        "retry-after-ms": "20",
        "retry-after": "1",
    }
    assert (
        aoai.headers["x-ratelimit-remaining-requests"]
        == aoai.headers["x-ratelimit-remaining-tokens"]
        == "0"
    )
    dated = client.post(chat_url(emulator, "fault-429-date"), headers=headers, json=body)
    when = email.utils.parsedate_to_datetime(dated.headers["retry-after"]).timestamp()
    assert dated.status_code == 429 and 0 < when - time.time() <= 2.1


def test_fault_count_suffix(
    client: httpx.Client, emulator: Emulator, headers: dict[str, str]
) -> None:
    body = {"messages": FRANCE}
    statuses = [
        client.post(chat_url(emulator, "fault-503*2"), headers=headers, json=body).status_code
        for _ in range(3)
    ]
    assert statuses == [503, 503, 200]
    by_header = {**headers, "x-emulator-fault": "500*1"}
    assert [
        client.post(chat_url(emulator), headers=by_header, json=body).status_code for _ in range(2)
    ] == [500, 200]
    chats = [r for r in emulator.stats.requests if r.path.endswith("/chat/completions")]
    assert [r.fault for r in chats] == ["503*2"] * 3 + ["500*1"] * 2
    emulator.reset()
    assert (
        client.post(chat_url(emulator, "fault-503*2"), headers=headers, json=body).status_code
        == 503
    )
    unknown = client.post(chat_url(emulator, "fault-nope"), headers=headers, json=body)
    assert unknown.status_code == 400 and "unknown emulator fault 'nope'" in unknown.text


def test_redirect_goes_to_another_host(
    client: httpx.Client, emulator: Emulator, headers: dict[str, str]
) -> None:
    first = client.post(
        chat_url(emulator, "fault-redirect"), headers=headers, json={"messages": FRANCE}
    )
    assert first.status_code == 307
    assert first.headers["location"] == (
        f"https://localhost:{emulator.port}/openai/deployments/gpt-4/chat/completions?api-version={API_VERSION}"
    )
    # httpx drops Authorization on a cross-host redirect but keeps the subscription key:
    # the leak the SDK must avoid. Without the token the redirected request is refused.
    followed = client.post(
        chat_url(emulator, "fault-redirect"),
        headers=headers,
        json={"messages": FRANCE},
        follow_redirects=True,
    )
    assert (followed.status_code, followed.json()["message"]) == (401, "Invalid JWT.")
    last = emulator.stats.requests[-1]
    assert (last.host, last.subscription_key, last.authorization) == (
        f"localhost:{emulator.port}",
        True,
        False,
    )


def test_cut_truncates_the_stream(
    client: httpx.Client, emulator: Emulator, headers: dict[str, str]
) -> None:
    received: list[str] = []
    body = {"messages": FRANCE, "stream": True}
    with (
        client.stream("POST", chat_url(emulator, "fault-cut"), headers=headers, json=body) as reply,
        pytest.raises(httpx.RemoteProtocolError, match="incomplete chunked read"),
    ):
        received.extend(reply.iter_lines())
    kinds = [kind(e) for e in sse("\n".join(received) + "\n\n")]
    assert kinds == ["prompt_filter", "role", "content", "content", "content"]
    with pytest.raises(httpx.RemoteProtocolError):  # a plain JSON answer is cut short too
        client.post(chat_url(emulator, "fault-cut"), headers=headers, json={"messages": FRANCE})


def test_tokens_expire() -> None:
    with start_emulator(token_lifetime=1) as emu, httpx.Client(verify=tls(emu)) as c:
        url = f"{emu.url}/{emu.tenant_id}/oauth2/v2.0/token"
        reply = c.post(url, data=token_form(emu))
        assert reply.json()["expires_in"] == 1
        auth = {
            "Authorization": f"Bearer {reply.json()['access_token']}",
            "Ocp-Apim-Subscription-Key": emu.subscription_key,
        }
        assert c.post(chat_url(emu), headers=auth, json={"messages": FRANCE}).status_code == 200
        time.sleep(1.1)
        expired = c.post(chat_url(emu), headers=auth, json={"messages": FRANCE})
    assert (expired.status_code, expired.json()["message"]) == (401, "Invalid JWT.")


def test_stream_shape_faults(
    client: httpx.Client, emulator: Emulator, headers: dict[str, str]
) -> None:
    body = {"messages": FRANCE, "stream": True}
    crlf = client.post(
        chat_url(emulator), headers={**headers, "x-emulator-fault": "crlf"}, json=body
    )
    assert crlf.content.count(b"\r\n\r\n") == 21 and b"\n\n" not in crlf.content.replace(
        b"\r\n", b""
    )
    assert text_of(sse(crlf.text)) == PARIS
    with client.stream(
        "POST", chat_url(emulator, "fault-fragmented"), headers=headers, json=body
    ) as reply:
        pieces = list(reply.iter_raw())
    raw = b"".join(pieces)
    assert b": keep-alive\n\n" in raw and len(pieces) > 50
    with pytest.raises(UnicodeDecodeError):  # some piece ends inside a multi-byte character
        [p.decode() for p in pieces]
    assert text_of(sse(raw.decode())) == PARIS
    malformed = client.post(chat_url(emulator, "fault-malformed"), headers=headers, json=body)
    with pytest.raises(json.JSONDecodeError):
        sse(malformed.text)


def test_delays(client: httpx.Client, emulator: Emulator, headers: dict[str, str]) -> None:
    body = {"messages": FRANCE, "stream": True}
    slow_headers = {**headers, "x-emulator-fault": "slow-first-byte", "x-emulator-delay-ms": "300"}
    started = time.monotonic()
    assert client.post(chat_url(emulator), headers=slow_headers, json=body).status_code == 200
    assert time.monotonic() - started >= 0.3
    drip = {**headers, "x-emulator-fault": "slow", "x-emulator-delay-ms": "20"}
    started = time.monotonic()
    assert text_of(sse(client.post(chat_url(emulator), headers=drip, json=body).text)) == PARIS
    assert time.monotonic() - started >= 17 * 0.02


def test_benchmark_mode(client: httpx.Client, emulator: Emulator, headers: dict[str, str]) -> None:
    body = {"messages": FRANCE, "stream": True, "stream_options": {"include_usage": True}}
    reply = client.post(
        chat_url(emulator), headers={**headers, "x-emulator-chunks": "5000"}, json=body
    )
    events = sse(reply.text)
    assert [kind(e) for e in events] == ["prompt_filter", "role"] + ["content"] * 5000 + [
        "finish",
        "usage",
        "done",
    ]
    assert events[-2]["usage"]["completion_tokens"] == 5000
    assert text_of(events) == "lorem " * 5000


def test_benchmark_stream_shapes(
    client: httpx.Client, emulator: Emulator, headers: dict[str, str]
) -> None:
    body = {"messages": FRANCE, "stream": True, "stream_options": {"include_usage": True}}
    raws: dict[str, bytes] = {}
    for shape in ("lf", "crlf", "segments", "crlf+segments"):
        bench = {**headers, "x-emulator-chunks": "3000", "x-emulator-shape": shape}
        with client.stream("POST", chat_url(emulator), headers=bench, json=body) as reply:
            pieces = list(reply.iter_raw())
        raw = b"".join(pieces)
        raws[shape] = re.sub(rb'"chatcmpl-\w+"|"created":\d+', b"", raw)  # differ per answer
        events = sse(raw.decode())
        assert [kind(e) for e in events][-4:] == ["content", "finish", "usage", "done"]
        text = text_of(events)
        assert len(events) == 3000 + 5 and text.startswith("lorem ipsum café dolor naïve")
        assert "Straße — " in text and "🚀" in text
        if "segments" in shape:  # every write is one read of at most 509 bytes
            assert max(len(p) for p in pieces) == 509 and len(pieces) == -(-len(raw) // 509)
            cut_utf8 = sum(1 for p in pieces if not _decodes(p))
            cut_lines = sum(1 for p in pieces if not p.endswith(b"\n"))
            assert cut_utf8 >= 3 and cut_lines > len(pieces) * 0.9  # ~1 cut in 400 is in UTF-8
        else:
            assert len(raw) / len(pieces) > 4096  # large writes: TLS records of 16 KiB
    assert raws["lf"].count(b"\n\n") == 3005 and b"\r" not in raws["lf"]
    assert raws["crlf"] == raws["crlf+segments"]
    crlf = raws["crlf"]
    assert crlf.count(b"\r\n\r\n") == 3005 + 1001 and b"\n\n" not in crlf.replace(b"\r\n", b"")
    assert crlf.count(b": keep-alive\r\n\r\n") == 1001 and crlf.endswith(b"data: [DONE]\r\n\r\n")
    assert crlf.replace(b": keep-alive\r\n\r\n", b"").replace(b"\r\n", b"\n") == raws["lf"]
    bad = client.post(
        chat_url(emulator), headers={**headers, "x-emulator-shape": "lf+crlf"}, json=body
    )
    assert (
        bad.status_code == 400
        and "lf and crlf exclude each other" in bad.json()["error"]["message"]
    )
    # without x-emulator-chunks the shape frames an ordinary answer
    framed = {**headers, "x-emulator-shape": "crlf+segments"}
    with client.stream("POST", chat_url(emulator), headers=framed, json=body) as reply:
        pieces = list(reply.iter_raw())
    assert len(pieces) > 5 and text_of(sse(b"".join(pieces).decode())) == PARIS


def _decodes(piece: bytes) -> bool:
    try:
        piece.decode()
    except UnicodeDecodeError:
        return False
    return True


# --- certificates and CLI -------------------------------------------------------------


def test_certificates_are_cached_and_repaired(tmp_path: Path) -> None:
    first = certs.ensure_certs(tmp_path)
    ca = first.ca.read_bytes()
    assert certs.ensure_certs(tmp_path).ca.read_bytes() == ca  # reused
    assert first.key.stat().st_mode & 0o777 == 0o600
    first.cert.write_text("garbage")
    repaired = certs.ensure_certs(tmp_path)
    assert repaired.ca.read_bytes() != ca
    context = ssl.create_default_context(cafile=str(repaired.ca))
    context.load_cert_chain(repaired.cert, repaired.key)


def test_cli_prints_exports_and_stops_on_sigint(tmp_path: Path) -> None:
    env = {**os.environ, "JUPYTER_AZURE_AI_EMULATOR_DIR": str(tmp_path)}
    with subprocess.Popen(
        [sys.executable, "-m", "jupyter_azure_ai.emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        lines = [proc.stdout.readline() for _ in range(9)]
        status = proc.stderr.readline()
        exports = dict(line.removeprefix("export ").rstrip("\n").split("=", 1) for line in lines)
        with httpx.Client(verify=ssl.create_default_context(cafile=exports["SSL_CERT_FILE"])) as c:
            reply = c.post(
                f"{exports['AZURE_AUTHORITY_HOST']}/{exports['AZURE_TENANT_ID']}/oauth2/v2.0/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": exports["AZURE_CLIENT_ID"],
                    "client_secret": exports["AZURE_CLIENT_SECRET"],
                    "scope": SCOPE,
                },
            )
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    assert reply.status_code == 200
    assert exports["AZURE_APIM_ENDPOINT"] == exports["AZURE_AUTHORITY_HOST"] + "/openai"
    assert exports["AZURE_OPENAI_DEPLOYMENT"] == "gpt-4"
    assert status.startswith(f"# emulator listening on {exports['AZURE_AUTHORITY_HOST']}")
    assert proc.returncode == 0
    logged = status + err
    assert (
        exports["AZURE_CLIENT_SECRET"] not in logged and reply.json()["access_token"] not in logged
    )
