"""azure_query: one-shot streaming, the counterpart of the Claude Agent SDK's ``query``."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

from .client import AzureAgentClient
from .types import AzureOpenAIOptions, Message


async def azure_query(
    prompt: str | AsyncIterable[dict[str, Any]],
    options: AzureOpenAIOptions | None = None,
) -> AsyncIterator[Message]:
    """Stream the answer to ``prompt``: ``SystemMessage`` … ``ResultMessage``.

    ``options=None`` reads ``AZURE_*`` variables (``AzureOpenAIOptions.from_env``).
    With an async iterable of message dicts each user message is answered in turn,
    in one conversation, each answer ending with its own ``ResultMessage``.
    """
    async with AzureAgentClient(options) as client:
        if isinstance(prompt, str):
            await client.query(prompt)
            async for message in client.receive_response():
                yield message
            return
        async for item in prompt:  # read as it comes: a message may wait on an answer
            await client.query(_one(item))
            async for message in client.receive_response():
                yield message


async def _one(item: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
    yield item
