"""Images in a prompt, end to end on the emulator over TLS: what the request body carried,
an answer the emulator derived from the picture itself, image tokens in the usage, a
conversation that resends (or leaves out whole) an image exchange, and the non-vision
400 as one line."""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator
from typing import Any

import matplotlib
import pytest
from PIL import Image

from jupyter_azure_ai import (
    APIStatusError,
    AzureAgentClient,
    AzureOpenAIOptions,
    ConfigurationError,
    ResultMessage,
    UserMessage,
    azure_query,
)
from jupyter_azure_ai.emulator import Emulator
from jupyter_azure_ai.images import image_block, image_prompt, user_message
from jupyter_azure_ai.types import ImageBlock

from .recording import Recorded

matplotlib.use("Agg")
pytestmark = pytest.mark.anyio


def opts(emu: Emulator, **kw: Any) -> AzureOpenAIOptions:
    return AzureOpenAIOptions.from_env(emu.env(), verify=emu.ca_path, **kw)


def red_bars() -> Any:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    ax.bar([1, 2, 3], [3, 5, 2], color="#d62728", width=0.9)
    return fig


def chat_requests(emu: Emulator) -> int:
    return sum(1 for r in emu.stats.requests if r.path.endswith("/chat/completions"))


async def result_of(messages: AsyncIterator[Any]) -> ResultMessage:
    last = None
    async for message in messages:
        last = message
    assert isinstance(last, ResultMessage)
    return last


async def test_a_figure_reaches_the_emulator_and_the_answer_comes_from_it(
    emulator: Emulator, recorded: Recorded
) -> None:
    import matplotlib.pyplot as plt

    fig = red_bars()
    options = opts(emulator, model="gpt-4o")
    async with AzureAgentClient(options, http_client=recorded.client) as client:
        await client.query(image_prompt("What does this chart show?", fig, detail="high"))
        result = await result_of(client.receive_response())
    plt.close(fig)
    assert result.result is not None
    assert "600x400 PNG (detail high)" in result.result
    assert "mostly **white** (#ffffff)" in result.result
    assert "main other colour is **red** (#d62728)" in result.result
    # the wire: one user message, text then an image_url data URL with detail
    (user,) = [m for m in recorded.bodies[-1]["messages"] if m["role"] == "user"]
    text, image = user["content"]
    assert text == {"type": "text", "text": "What does this chart show?"}
    assert image["image_url"]["detail"] == "high"
    head, data = image["image_url"]["url"].split(",", 1)
    assert head == "data:image/png;base64"
    assert Image.open(io.BytesIO(base64.b64decode(data))).size == (600, 400)
    # 600x400 is two 512-pixel tiles: 85 + 2 * 170 tokens besides the text
    assert result.usage is not None and result.usage["input_tokens"] > 425


async def test_azure_query_takes_claude_shaped_blocks(emulator: Emulator) -> None:
    block = image_block(Image.new("RGB", (64, 32), (0, 128, 0)), detail="low")

    async def prompt() -> AsyncIterator[dict[str, Any]]:
        yield user_message([{"type": "text", "text": "Colour?"}, block])

    result = await result_of(azure_query(prompt(), opts(emulator)))
    assert result.result is not None
    assert "64x32 PNG (detail low), mostly **green** (#008000)" in result.result


async def test_an_image_exchange_is_resent_then_left_out_whole(
    emulator: Emulator, recorded: Recorded
) -> None:
    fig = red_bars()
    async with AzureAgentClient(opts(emulator), http_client=recorded.client) as client:
        await client.query(image_prompt("Describe", fig))
        await result_of(client.receive_response())
        await client.query("And the trend?")
        await result_of(client.receive_response())
        first, _, second = recorded.bodies[-1]["messages"]
        assert first["content"][1]["type"] == "image_url"  # the image went again
        assert second == {"role": "user", "content": "And the trend?"}
        # the history keeps the image as a block
        prompts = [m for m in client.history if isinstance(m, UserMessage)]
        assert isinstance(prompts[0].content, list)
        assert isinstance(prompts[0].content[1], ImageBlock)
        # a bound below the image's cost leaves the image exchange out, text and all
        client.settings = client.settings.replace(max_history_tokens=200)
        await client.query("Once more")
        await result_of(client.receive_response())
        users = [m for m in recorded.bodies[-1]["messages"] if m["role"] == "user"]
        assert users == [
            {"role": "user", "content": "And the trend?"},
            {"role": "user", "content": "Once more"},
        ]


async def test_a_non_vision_deployment_is_one_line_and_the_conversation_goes_on(
    emulator: Emulator,
) -> None:
    fig = red_bars()
    async with AzureAgentClient(opts(emulator, model="gpt-35-turbo")) as client:
        await client.query(image_prompt("What is this?", fig))
        with pytest.raises(APIStatusError) as caught:
            await result_of(client.receive_response())
        await client.query("hello")
        result = await result_of(client.receive_response())
    message = str(caught.value)
    assert caught.value.status_code == 400
    assert message.startswith("Deployment 'gpt-35-turbo' does not take images (HTTP 400:")
    assert "image_url is only supported by certain models" in message
    assert "\n" not in message
    assert result.result is not None and result.result.startswith("Hello!")


async def test_a_bad_image_is_refused_before_anything_is_sent(emulator: Emulator) -> None:
    async def prompt() -> AsyncIterator[dict[str, Any]]:
        bad = {
            "type": "image",
            "source": {"type": "base64", "media_type": "image/png", "data": "!"},
        }
        yield user_message([{"type": "text", "text": "x"}, bad])

    with pytest.raises(ConfigurationError, match="not valid base64"):
        await result_of(azure_query(prompt(), opts(emulator)))
    assert chat_requests(emulator) == 0


def test_openai_python_image_parts_are_what_the_emulator_takes(emulator: Emulator) -> None:
    """A witness: the emulator takes image parts as openai-python sends them, and answers
    Azure's 400 to a non-vision deployment in the form openai-python reads."""
    import ssl

    import httpx2
    import openai

    from jupyter_azure_ai.images import encode_image

    tls = ssl.create_default_context(cafile=emulator.ca_path)
    with httpx2.Client(verify=tls) as http:
        form = {
            "grant_type": "client_credentials",
            "client_id": emulator.client_id,
            "client_secret": emulator.client_secret,
            "scope": "https://cognitiveservices.azure.com/.default",
        }
        token = http.post(
            f"{emulator.url}/{emulator.tenant_id}/oauth2/v2.0/token", data=form
        ).json()["access_token"]
        oai = openai.AzureOpenAI(
            azure_endpoint=emulator.url,
            api_version="2024-10-21",
            azure_ad_token=token,
            default_headers={"Ocp-Apim-Subscription-Key": emulator.subscription_key},
            http_client=http,
            max_retries=0,
        )
        url = encode_image(Image.new("RGB", (40, 30), (255, 255, 0))).data_url
        messages: Any = [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Which colour?"},
                    {"type": "image_url", "image_url": {"url": url, "detail": "low"}},
                ],
            }
        ]
        done = oai.chat.completions.create(model="gpt-4o", messages=messages)
        with pytest.raises(openai.BadRequestError) as caught:
            oai.chat.completions.create(model="o3-mini", messages=messages)
    assert done.choices[0].message.content is not None
    assert "40x30 PNG (detail low), mostly **yellow** (#ffff00)" in done.choices[0].message.content
    assert done.usage is not None and done.usage.prompt_tokens > 85
    assert "image_url is only supported by certain models" in str(caught.value)
