"""Transport rules with httpx.MockTransport: URLs, headers, retries, redirects, errors."""

from __future__ import annotations

import email.utils
import time
from typing import Any

import httpx
import pytest

from jupyter_azure_ai import (
    APIStatusError,
    AzureOpenAIError,
    CLIConnectionError,
    ContentFilterError,
    ModelNotFoundError,
    RateLimitError,
    ResultMessage,
    StreamInterruptedError,
    UnauthorizedError,
)
from jupyter_azure_ai._internal.transport import backoff_seconds, chat_url

from .fakes import KEY, FakeCredential, Recorder, options, stream_response, text_chunks

pytestmark = pytest.mark.anyio


async def ask(rec: Recorder, prompt: str = "hi", **kw: Any) -> list[Any]:
    async with rec.client(options(**kw) if kw else None) as client:
        await client.query(prompt)
        return [m async for m in client.receive_response()]


def answer() -> httpx.Response:
    return stream_response(text_chunks("Paris is the capital"))


def error(status: int, body: Any, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers={"apim-request-id": "req-42", **headers})


APIM_401 = {
    "statusCode": 401,
    "message": "Access denied due to invalid subscription key. Make sure to provide a valid key"
    " for an active subscription.",
}


@pytest.mark.parametrize(
    ("endpoint", "url"),
    [
        ("https://a.azure-api.net/openai", "https://a.azure-api.net/openai/deployments/gpt-4/chat/completions?api-version=V"),
        ("https://a.openai.azure.com", "https://a.openai.azure.com/openai/deployments/gpt-4/chat/completions?api-version=V"),
        ("https://a.openai.azure.com/openai/v1", "https://a.openai.azure.com/openai/v1/chat/completions"),
        ("https://a.azure-api.net/team/aoai", "https://a.azure-api.net/team/aoai/deployments/gpt-4/chat/completions?api-version=V"),
    ],
)  # fmt: skip
def test_url_rules(endpoint: str, url: str) -> None:
    assert chat_url(endpoint, "gpt-4", "V") == url


async def test_headers_and_body() -> None:
    rec = Recorder(answer())
    await ask(rec, temperature=0.3, max_tokens=99)
    req = rec.requests[0]
    assert req.headers["authorization"] == "Bearer token-SHOULD-NOT-LEAK-1"
    assert req.headers["ocp-apim-subscription-key"] == KEY
    assert req.url.params["api-version"] == "2024-10-21"
    body = rec.bodies()[0]
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert (body["max_tokens"], body["temperature"]) == (99, 0.3)
    assert "model" not in body and "tools" not in body


async def test_v1_body_has_model_and_no_temperature_unless_set() -> None:
    rec = Recorder(answer())
    await ask(rec, endpoint="https://a.openai.azure.com/openai/v1", model="gpt-4o")
    body = rec.bodies()[0]
    assert body["model"] == "gpt-4o" and "temperature" not in body


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
async def test_retries_transient_statuses(status: int, no_sleep: list[float]) -> None:
    rec = Recorder(error(status, {"error": {"code": "x", "message": "busy"}}), answer())
    messages = await ask(rec)
    assert (
        isinstance(messages[-1], ResultMessage) and messages[-1].result == "Paris is the capital "
    )
    assert len(rec.requests) == 2 and len(no_sleep) == 1


async def test_retry_after_ms_then_seconds_then_date(no_sleep: list[float]) -> None:
    date = email.utils.formatdate(time.time() + 3, usegmt=True)
    rec = Recorder(
        error(429, {}, **{"retry-after-ms": "250", "retry-after": "9"}),
        error(429, {}, **{"retry-after": "2"}),
        error(429, {}, **{"retry-after": date}),
        answer(),
    )
    await ask(rec, max_retries=3)
    assert no_sleep[0] == 0.25 and no_sleep[1] == 2.0
    assert 1.0 < no_sleep[2] <= 3.0


async def test_backoff_without_retry_after(no_sleep: list[float]) -> None:
    rec = Recorder(error(503, {}), error(503, {}), answer())
    await ask(rec)
    assert 0.375 <= no_sleep[0] <= 0.5 and 0.75 <= no_sleep[1] <= 1.0
    assert all(backoff_seconds(10) <= 8.0 for _ in range(20))


async def test_rate_limit_after_retries(no_sleep: list[float]) -> None:
    body = {"statusCode": 429, "message": "Rate limit is exceeded. Try again in 5 seconds."}
    rec = Recorder(error(429, body, **{"retry-after": "5"}))
    with pytest.raises(RateLimitError) as info:
        await ask(rec)
    assert len(rec.requests) == 3  # first try + max_retries=2
    assert info.value.retry_after == 5.0 and info.value.request_id == "req-42"
    assert "Rate limit is exceeded" in str(info.value) and "retry after 5 s" in str(info.value)


async def test_connect_errors_retry_then_fail(no_sleep: list[float]) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    rec = Recorder(refuse)
    with pytest.raises(CLIConnectionError) as info:
        await ask(rec)
    assert len(rec.requests) == 3
    assert str(info.value).startswith("Failed to connect to Azure OpenAI: cannot connect")


async def test_no_retry_once_stream_bytes_arrived(no_sleep: list[float]) -> None:
    rec = Recorder(stream_response(text_chunks("cut short")[:4], done=False), answer())
    with pytest.raises(StreamInterruptedError, match="without \\[DONE\\]"):
        await ask(rec)
    assert len(rec.requests) == 1 and no_sleep == []


async def test_401_refreshes_token_once_and_retries_once() -> None:
    cred = FakeCredential()
    rec = Recorder(error(401, {"statusCode": 401, "message": "Invalid JWT."}), answer())
    await ask(rec, credential=cred)
    assert [r.headers["authorization"][-1] for r in rec.requests] == ["1", "2"]
    assert cred.calls == 2


async def test_401_twice_is_unauthorized() -> None:
    rec = Recorder(error(401, APIM_401))
    with pytest.raises(UnauthorizedError) as info:
        await ask(rec)
    assert len(rec.requests) == 2
    assert str(info.value).startswith("401 Unauthorized: Access denied due to invalid subscription")
    assert "req-42" in str(info.value)


async def test_404_deployment_not_found() -> None:
    body = {"error": {"code": "DeploymentNotFound", "message": "The API deployment for this"
                      " resource does not exist."}}  # fmt: skip
    rec = Recorder(error(404, body))
    with pytest.raises(ModelNotFoundError) as info:
        await ask(rec, model="gpt-5-typo")
    assert str(info.value).startswith("Model not found: deployment 'gpt-5-typo'")
    assert info.value.status_code == 404 and len(rec.requests) == 1


async def test_400_content_filter_names_categories() -> None:
    body = {"error": {"code": "content_filter", "message": "The response was filtered",
            "param": "prompt", "status": 400, "innererror": {
                "code": "ResponsibleAIPolicyViolation", "content_filter_result": {
                    "hate": {"filtered": True, "severity": "high"},
                    "violence": {"filtered": False, "severity": "safe"}}}}}  # fmt: skip
    rec = Recorder(error(400, body))
    with pytest.raises(ContentFilterError) as info:
        await ask(rec)
    assert info.value.categories == ["hate"] and info.value.where == "prompt"
    assert "Content filter blocked the prompt (hate)" in str(info.value)


async def test_other_status_is_api_status_error_with_request_id() -> None:
    body = {"statusCode": 403, "message": "Out of call volume quota. Quota will be replenished"
            " in 00:00:12."}  # fmt: skip
    rec = Recorder(error(403, body))
    with pytest.raises(APIStatusError) as info:
        await ask(rec)
    assert type(info.value) is APIStatusError
    assert info.value.status_code == 403 and info.value.request_id == "req-42"
    assert "Out of call volume quota" in str(info.value)


async def test_max_tokens_fallback_is_remembered_per_deployment() -> None:
    unsupported = error(400, {"error": {"code": "unsupported_parameter", "param": "max_tokens",
                              "message": "Unsupported parameter: 'max_tokens'"}})  # fmt: skip
    rec = Recorder(unsupported, answer(), answer(), answer())
    async with rec.client(options(model="o3-mini")) as client:
        for model in ("o3-mini", "o3-mini", "gpt-4o"):
            await client.query("hi", settings=client.settings.replace(model=model))
            [m async for m in client.receive_response()]
    bodies = rec.bodies()
    assert "max_tokens" in bodies[0]
    assert bodies[1]["max_completion_tokens"] == 4096 and "max_tokens" not in bodies[1]
    assert "max_tokens" not in bodies[2]  # remembered by the client's transport: no second 400
    assert bodies[3]["max_tokens"] == 4096  # another deployment of the same endpoint


async def test_same_host_redirect_keeps_credentials() -> None:
    def redirect(request: httpx.Request) -> httpx.Response:
        return httpx.Response(307, headers={"location": "/openai/moved/chat/completions"})

    rec = Recorder(redirect, answer())
    await ask(rec)
    assert rec.requests[1].url.path == "/openai/moved/chat/completions"
    assert rec.requests[1].headers["ocp-apim-subscription-key"] == KEY


async def test_cross_host_redirect_never_carries_key_or_token() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "evil.example.net":
            return error(401, {"statusCode": 401, "message": "Access denied due to missing"
                               " subscription key."})  # fmt: skip
        return httpx.Response(307, headers={"location": "https://evil.example.net/steal"})

    rec = Recorder(handler)
    with pytest.raises(UnauthorizedError, match="was not sent the token or the subscription key"):
        await ask(rec)
    evil = [r for r in rec.requests if r.url.host == "evil.example.net"]
    assert len(evil) == 2  # the one 401 refresh-and-retry went the same way
    for r in evil:
        assert "ocp-apim-subscription-key" not in r.headers
        assert "authorization" not in r.headers


async def test_too_many_redirects() -> None:
    rec = Recorder(lambda r: httpx.Response(307, headers={"location": str(r.url)}))
    with pytest.raises(AzureOpenAIError, match="Too many redirects"):
        await ask(rec)


async def test_errors_never_contain_secrets(no_sleep: list[float]) -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        leaked = (
            f"bad {request.headers['ocp-apim-subscription-key']} {request.headers['authorization']}"
        )
        return error(500, {"error": {"code": "Oops", "message": leaked}})

    rec = Recorder(echo)
    with pytest.raises(APIStatusError) as info:
        await ask(rec)
    text = f"{info.value} {info.value!r}"
    assert KEY not in text and "token-SHOULD-NOT-LEAK" not in text
    assert "bad *** Bearer ***" in text


async def test_dns_failure_is_a_connection_error(no_sleep: list[float]) -> None:
    # Simulated here: a real lookup of an unknown name could leave the machine.
    def unknown_host(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno -2] Name or service not known", request=request)

    rec = Recorder(unknown_host)
    with pytest.raises(CLIConnectionError) as info:
        await ask(rec)
    assert str(info.value) == (
        "Failed to connect to Azure OpenAI: cannot connect ([Errno -2] Name or service not"
        " known); check the endpoint URL and your network / proxy"
    )
    assert len(rec.requests) == 3 and len(no_sleep) == 2
