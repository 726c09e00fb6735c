"""Code written for the seed SDK runs after changing only its import line.

The script below follows the seed's examples (quick start printing every message,
custom parameters, custom scope, function tools, error handling with an aiohttp
clause) with explicit fields read from the environment, as the seed wrote them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from jupyter_azure_ai.emulator import Emulator

SEED_STYLE = """
import os

import aiohttp
import anyio

from jupyter_azure_ai import (
    AssistantMessage, AzureOpenAIOptions, CLIConnectionError, TextBlock, ToolUseBlock, azure_query,
)


def make_options(**extra):
    return AzureOpenAIOptions(
        tenant_id=os.environ["AZURE_TENANT_ID"],
        client_id=os.environ["AZURE_CLIENT_ID"],
        client_secret=os.environ["AZURE_CLIENT_SECRET"],
        endpoint=os.environ["AZURE_APIM_ENDPOINT"],
        apim_subscription_key=os.environ["AZURE_APIM_SUBSCRIPTION_KEY"],
        **extra,
    )


async def main():
    async for message in azure_query(prompt="What is the capital of France?",
                                     options=make_options(model="gpt-4")):
        print(message)
    params = make_options(model="gpt-4-turbo", max_tokens=2048, temperature=0.7)
    async for message in azure_query(prompt="Write a haiku about AI", options=params):
        if isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, TextBlock):
                    print("HAIKU:", block.text)
    scoped = make_options(model="gpt-4", scope="api://your-custom-scope/.default")
    async for message in azure_query(prompt="Hello", options=scoped):
        if isinstance(message, AssistantMessage):
            print("SCOPED:", message.content[0].text[:20])
    tools = [{"type": "function", "function": {
        "name": "get_weather", "description": "Get current weather for a location",
        "parameters": {"type": "object", "properties": {
            "location": {"type": "string", "description": "City name"}},
            "required": ["location"]}}}]
    async for message in azure_query(prompt="Weather in Paris?",
                                     options=make_options(model="gpt-4", tools=tools)):
        if isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, ToolUseBlock):
                    print("TOOL:", block.name, block.input)
    os.environ["AZURE_CLIENT_SECRET"] = "wrong-secret"
    try:
        async for message in azure_query(prompt="Hello, Azure OpenAI!",
                                         options=make_options(model="gpt-4")):
            print(message)
    except CLIConnectionError as e:
        print(f"Connection error: {e}")
    except aiohttp.ClientError as e:
        print(f"HTTP error: {e}")


anyio.run(main)
"""


def test_seed_style_code_runs_on_the_emulator(emulator: Emulator, tmp_path: Path) -> None:
    script = tmp_path / "seed_style.py"
    script.write_text(SEED_STYLE)
    env = {**os.environ, **emulator.env()}
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=60
    )
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "SystemMessage(subtype='init'" in text and "ResultMessage(subtype='success'" in text
    assert "**Paris**" in text
    assert "HAIKU: Silent servers hum" in text
    assert "SCOPED:" in text
    assert "TOOL: get_weather {'location': 'Paris'}" in text
    assert "Connection error: Failed to acquire Azure AD token: AADSTS7000215" in text
    for secret in (emulator.client_secret, emulator.subscription_key, "wrong-secret"):
        assert secret not in text + out.stderr
