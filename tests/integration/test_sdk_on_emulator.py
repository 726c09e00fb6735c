"""The SDK against the emulator: real TLS, real azure-identity, real wire formats."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import anyio
import pytest

from jupyter_azure_ai import (
    APIStatusError,
    AssistantMessage,
    AuthenticationError,
    AzureAgentClient,
    AzureOpenAIOptions,
    CLIConnectionError,
    ContentFilterError,
    ModelNotFoundError,
    RateLimitError,
    ResultMessage,
    StreamDecodeError,
    StreamInterruptedError,
    TextBlock,
    ToolUseBlock,
    UnauthorizedError,
    UserMessage,
    azure_query,
    tool,
)
from jupyter_azure_ai._internal.auth import clear_token_cache
from jupyter_azure_ai.emulator import Emulator

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def fresh_tokens() -> Iterator[None]:
    clear_token_cache()
    yield
    clear_token_cache()


def opts(emu: Emulator, **kw: Any) -> AzureOpenAIOptions:
    kw.setdefault("verify", emu.ca_path)
    return AzureOpenAIOptions.from_env(emu.env(), **kw)


async def collect(
    emu: Emulator, prompt: str = "What is the capital of France?", **kw: Any
) -> list[Any]:
    return [m async for m in azure_query(prompt, opts(emu, **kw))]


def final(messages: list[Any]) -> ResultMessage:
    assert isinstance(messages[-1], ResultMessage)
    return messages[-1]


def secrets_of(emu: Emulator) -> list[str]:
    return [emu.client_secret, emu.subscription_key]


def assert_secret_free(emu: Emulator, exc: BaseException) -> None:
    seen: BaseException | None = exc
    while seen is not None:
        for text in (str(seen), repr(seen)):
            for secret in secrets_of(emu):
                assert secret not in text
            assert "eyJ" not in text  # no JWT-shaped access token
        seen = seen.__cause__ or seen.__context__


async def test_answer_streams_through_entra_apim_and_openai(emulator: Emulator) -> None:
    messages = await collect(emulator)
    reply = next(m for m in messages if isinstance(m, AssistantMessage))
    assert isinstance(reply.content[0], TextBlock) and "**Paris**" in reply.content[0].text
    result = final(messages)
    assert result.subtype == "success" and result.usage and result.usage["output_tokens"] > 0
    assert emulator.stats.token_requests == 1 and emulator.stats.chat_requests == 1
    record = emulator.stats.requests[-1]
    assert record.subscription_key and record.authorization


async def test_one_token_for_many_concurrent_queries(emulator: Emulator) -> None:
    options = opts(emulator)
    texts: list[str] = []

    async def one() -> None:
        async for m in azure_query("hello", options):
            if isinstance(m, ResultMessage):
                texts.append(m.result or "")

    async with anyio.create_task_group() as tg:
        for _ in range(40):
            tg.start_soon(one)
    assert len(texts) == 40 and len(set(texts)) == 1 and texts[0]
    assert emulator.stats.token_requests == 1


async def test_conversation_memory_on_one_client(emulator: Emulator) -> None:
    async with AzureAgentClient(opts(emulator)) as client:
        for prompt in ("Tell me about tea", "And coffee?"):
            await client.query(prompt)
            result = final([m async for m in client.receive_response()])
    assert "(turn 2 of this conversation)" in (result.result or "")
    assert emulator.stats.token_requests == 1


@pytest.mark.parametrize("shape", ["crlf", "fragmented"])
async def test_wire_shapes_decode_to_the_same_text(emulator: Emulator, shape: str) -> None:
    plain = final(await collect(emulator, "Tell me about UTF-8 café")).result
    odd = final(
        await collect(
            emulator, "Tell me about UTF-8 café", default_headers={"x-emulator-fault": shape}
        )
    ).result
    assert odd == plain and plain


async def test_v1_endpoint(emulator: Emulator) -> None:
    result = final(await collect(emulator, endpoint=f"{emulator.endpoint}/v1", model="gpt-4o"))
    assert "Paris" in (result.result or "")


async def test_partial_messages(emulator: Emulator) -> None:
    from jupyter_azure_ai import StreamEvent

    messages = await collect(emulator, include_partial_messages=True)
    deltas = [
        m.event["delta"]["text"]
        for m in messages
        if isinstance(m, StreamEvent) and m.event["type"] == "content_block_delta"
    ]
    assert len(deltas) > 3 and "".join(deltas) == final(messages).result


# --- faults: retried and succeeded -----------------------------------------


@pytest.mark.parametrize(
    ("fault", "requests"),
    [("429-ms*1", 2), ("503*2", 3), ("500*1", 2), ("502*1", 2), ("504*1", 2), ("408*1", 2)],
)
async def test_transient_faults_are_retried(emulator: Emulator, fault: str, requests: int) -> None:
    result = final(await collect(emulator, model=f"fault-{fault}"))
    assert result.subtype == "success" and "Paris" in (result.result or "")
    assert emulator.stats.chat_requests == requests


async def test_expired_token_refreshes_once(emulator: Emulator) -> None:
    result = final(await collect(emulator, model="fault-expired-token*1"))
    assert result.subtype == "success"
    assert emulator.stats.token_requests == 2 and emulator.stats.chat_requests == 2


async def test_revoked_tokens_refresh_once(emulator: Emulator) -> None:
    options = opts(emulator)
    final([m async for m in azure_query("hello", options)])
    emulator.revoke_tokens()
    result = final([m async for m in azure_query("hello", options)])
    assert result.subtype == "success" and emulator.stats.token_requests == 2


async def test_reasoning_deployment_gets_max_completion_tokens(emulator: Emulator) -> None:
    result = final(await collect(emulator, model="o3-mini"))
    assert result.subtype == "success"
    assert emulator.stats.chat_requests == 2  # one 400, then remembered
    final(await collect(emulator, model="o3-mini"))
    assert emulator.stats.chat_requests == 3


# --- faults: exactly which error ---------------------------------------------


async def test_wrong_secret(emulator: Emulator) -> None:
    with pytest.raises(AuthenticationError) as info:
        await collect(emulator, client_secret="wrong-secret-value")
    msg = str(info.value)
    assert msg.startswith("Failed to acquire Azure AD token: AADSTS7000215: Invalid client secret")
    assert "wrong-secret-value" not in msg and isinstance(info.value, CLIConnectionError)
    assert_secret_free(emulator, info.value)
    assert emulator.stats.chat_requests == 0


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"tenant_id": "no-such-tenant"}, "tenant not found: https://127.0.0.1:.*/no-such-tenant"),
        ({"client_id": "00000000-dead-beef-0000-000000000000"}, "AADSTS700016"),
        ({"scope": "https://example.com/bad"}, "AADSTS1002012"),
    ],
)
async def test_entra_refusals(emulator: Emulator, change: dict[str, str], code: str) -> None:
    with pytest.raises(AuthenticationError, match=code) as info:
        await collect(emulator, **change)
    assert "\n" not in str(info.value)
    assert_secret_free(emulator, info.value)


async def test_custom_scope_is_accepted(emulator: Emulator) -> None:
    result = final(await collect(emulator, scope="api://my-apim-app/.default"))
    assert result.subtype == "success"


async def test_token_endpoint_down(emulator: Emulator) -> None:
    emulator.token_endpoint_down = True
    try:
        with pytest.raises(AuthenticationError) as info:
            await collect(emulator)
    finally:
        emulator.token_endpoint_down = False
    assert str(info.value).startswith("Failed to acquire Azure AD token:")


async def test_bad_subscription_key(emulator: Emulator) -> None:
    with pytest.raises(UnauthorizedError) as info:
        await collect(emulator, apim_subscription_key="not-the-key")
    assert str(info.value).startswith(
        "401 Unauthorized: Access denied due to invalid subscription key"
    )
    assert "not-the-key" not in str(info.value)
    assert_secret_free(emulator, info.value)


async def test_unknown_deployment(emulator: Emulator) -> None:
    with pytest.raises(ModelNotFoundError) as info:
        await collect(emulator, model="gpt-17")
    assert str(info.value).startswith("Model not found: deployment 'gpt-17'")
    assert info.value.status_code == 404 and info.value.request_id


async def test_rate_limit_after_retries(emulator: Emulator) -> None:
    with pytest.raises(RateLimitError) as info:
        await collect(emulator, model="fault-429-ms", max_retries=1)
    assert info.value.retry_after == pytest.approx(0.02)
    assert emulator.stats.chat_requests == 2


async def test_quota_is_api_status_error(emulator: Emulator) -> None:
    with pytest.raises(APIStatusError, match="Out of call volume quota") as info:
        await collect(emulator, model="fault-quota")
    assert info.value.status_code == 403 and emulator.stats.chat_requests == 1


async def test_persistent_503(emulator: Emulator) -> None:
    with pytest.raises(APIStatusError) as info:
        await collect(emulator, model="fault-503", max_retries=1)
    assert info.value.status_code == 503 and emulator.stats.chat_requests == 2


async def test_cut_stream_raises_and_is_not_retried(emulator: Emulator) -> None:
    with pytest.raises(StreamInterruptedError):
        await collect(emulator, model="fault-cut")
    assert emulator.stats.chat_requests == 1


async def test_malformed_chunk(emulator: Emulator) -> None:
    with pytest.raises(StreamDecodeError, match="Invalid JSON in the answer stream"):
        await collect(emulator, model="fault-malformed")


async def test_content_filter_on_prompt(emulator: Emulator) -> None:
    with pytest.raises(ContentFilterError) as info:
        await collect(emulator, model="fault-content-filter")
    assert info.value.categories == ["hate"] and info.value.where == "prompt"


async def test_content_filter_on_completion_keeps_partial_text(emulator: Emulator) -> None:
    seen: list[Any] = []
    with pytest.raises(ContentFilterError) as info:
        async for m in azure_query(
            "hello", opts(emulator, model="fault-content-filter-completion")
        ):
            seen.append(m)
    assert info.value.categories == ["violence"] and info.value.where == "completion"
    partial = [m for m in seen if isinstance(m, AssistantMessage)]
    assert partial and partial[0].stop_reason == "content_filter"


async def test_cross_host_redirect_gets_no_credentials(emulator: Emulator) -> None:
    with pytest.raises(UnauthorizedError, match="was not sent the token or the subscription key"):
        await collect(emulator, model="fault-redirect")
    redirected = [r for r in emulator.stats.requests if r.host.startswith("localhost")]
    assert redirected
    assert not any(r.subscription_key or r.authorization for r in redirected)


async def test_untrusted_tls(emulator: Emulator) -> None:
    from azure.core.credentials import AccessToken

    class Cred:
        def get_token(self, *scopes: str, **kw: Any) -> AccessToken:
            return AccessToken("t" * 20, 2**31)

    with pytest.raises(CLIConnectionError, match="TLS certificate not trusted"):
        await collect(emulator, verify=True, credential=Cred(), max_retries=0)


async def test_connection_refused() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    from azure.core.credentials import AccessToken

    class Cred:
        def get_token(self, *scopes: str, **kw: Any) -> AccessToken:
            return AccessToken("t" * 20, 2**31)

    options = AzureOpenAIOptions(
        endpoint=f"https://127.0.0.1:{port}/openai",
        apim_subscription_key="k" * 16,
        credential=Cred(),
        max_retries=0,
    )
    with pytest.raises(CLIConnectionError, match="cannot connect"):
        _ = [m async for m in azure_query("hi", options)]


async def test_no_secret_in_debug_logs(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    final(await collect(emulator, model="fault-503*1"))
    with pytest.raises(UnauthorizedError):
        await collect(emulator, apim_subscription_key="bad-key-bad-key")
    assert caplog.records  # the retry and the requests were logged
    text = "\n".join(r.getMessage() for r in caplog.records)
    for secret in secrets_of(emulator):
        assert secret not in text
    assert "eyJ" not in text


# --- agent loop end to end ------------------------------------------------


async def test_parallel_python_tools_end_to_end(emulator: Emulator) -> None:
    @tool
    def get_weather(location: str) -> str:
        """Current weather for a city.

        location: the city name
        """
        return {"Paris": "sunny, 21 C", "London": "rain, 14 C"}[location]

    messages = await collect(
        emulator, "What is the weather in Paris and London?", tools=[get_weather]
    )
    uses = [b for m in messages if isinstance(m, AssistantMessage) for b in m.content
            if isinstance(b, ToolUseBlock)]  # fmt: skip
    assert [u.input for u in uses] == [{"location": "Paris"}, {"location": "London"}]
    results = next(m for m in messages if isinstance(m, UserMessage))
    assert [r.content for r in results.content] == ["sunny, 21 C", "rain, 14 C"]  # type: ignore[union-attr]
    result = final(messages)
    assert result.num_turns == 2 and "sunny, 21 C" in (result.result or "")


async def test_dict_tool_is_declarative(emulator: Emulator) -> None:
    spec = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get current weather for a location",
            "parameters": {
                "type": "object",
                "properties": {"location": {"type": "string", "description": "City name"}},
                "required": ["location"],
            },
        },
    }
    messages = await collect(emulator, "What's the weather in Paris?", tools=[spec])
    uses = [b for m in messages if isinstance(m, AssistantMessage) for b in m.content]
    assert uses == [ToolUseBlock(uses[0].id, "get_weather", {"location": "Paris"})]  # type: ignore[union-attr]
    assert final(messages).num_turns == 1 and emulator.stats.chat_requests == 1


async def test_interrupt_a_slow_stream(emulator: Emulator) -> None:
    options = opts(emulator, model="fault-slow", default_headers={"x-emulator-delay-ms": "500"})
    async with AzureAgentClient(options) as client:
        await client.query("Tell me a long story")
        got: list[Any] = []

        async def consume() -> None:
            async for m in client.receive_response():
                got.append(m)

        with anyio.fail_after(5):
            async with anyio.create_task_group() as tg:
                tg.start_soon(consume)
                await anyio.sleep(1.2)
                started = anyio.current_time()
                await client.interrupt()
        assert anyio.current_time() - started < 0.5
        assert final(got).subtype == "interrupted"
        # the client stays usable
        await client.query(
            "What is the capital of France?", settings=client.settings.replace(model="gpt-4")
        )
        assert "Paris" in (final([m async for m in client.receive_response()]).result or "")


async def test_streaming_input_answers_each_message_in_one_conversation(
    emulator: Emulator,
) -> None:
    async def prompts() -> Any:
        yield {"type": "user", "message": {"role": "user", "content": "Tell me about tea"}}
        yield {"role": "user", "content": "And coffee?"}

    messages = [m async for m in azure_query(prompts(), opts(emulator))]
    results = [m for m in messages if isinstance(m, ResultMessage)]
    assert len(results) == 2 and "(turn 2 of this conversation)" in (results[1].result or "")
    assert emulator.stats.chat_requests == 2
