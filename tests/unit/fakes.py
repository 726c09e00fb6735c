"""Fakes for tests that need no network: a fake credential and canned SSE bodies."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import httpx
from azure.core.credentials import AccessToken

from jupyter_azure_ai import AzureAgentClient, AzureOpenAIOptions, ConnectionSettings

SECRET = "client-secret-SHOULD-NOT-LEAK-1234"
KEY = "apim-key-SHOULD-NOT-LEAK-5678"
ENDPOINT = "https://contoso.azure-api.net/openai"


class FakeCredential:
    """A sync TokenCredential counting its calls; tokens live ``lifetime`` seconds."""

    def __init__(self, lifetime: float = 3600, delay: float = 0.0) -> None:
        self.lifetime = lifetime
        self.delay = delay
        self.calls = 0
        self._lock = threading.Lock()

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        time.sleep(self.delay)
        with self._lock:
            self.calls += 1
            n = self.calls
        return AccessToken(f"token-SHOULD-NOT-LEAK-{n}", int(time.time() + self.lifetime))


def text_chunks(text: str, model: str = "gpt-4o-2024-11-20") -> list[dict[str, Any]]:
    """The chunks Azure streams for a plain text answer (azure-wire.md order)."""
    base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": model}
    chunks: list[dict[str, Any]] = [
        {"id": "", "choices": [], "prompt_filter_results": [{"prompt_index": 0}]},
        {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]},
    ]
    for piece in text.split(" "):
        chunks.append(
            {
                **base,
                "choices": [
                    {"index": 0, "delta": {"content": piece + " "}, "content_filter_results": {}}
                ],
            }
        )
    chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    chunks.append(
        {
            **base,
            "choices": [],
            "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10},
        }
    )
    return chunks


def sse(chunks: Iterable[dict[str, Any]], done: bool = True) -> bytes:
    body = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks)
    return body + (b"data: [DONE]\n\n" if done else b"")


def stream_response(chunks: Iterable[dict[str, Any]], done: bool = True) -> httpx.Response:
    return httpx.Response(
        200, content=sse(chunks, done), headers={"content-type": "text/event-stream"}
    )


def options(**kw: Any) -> AzureOpenAIOptions:
    kw.setdefault("credential", FakeCredential())
    kw.setdefault("endpoint", ENDPOINT)
    kw.setdefault("apim_subscription_key", KEY)
    return AzureOpenAIOptions(**kw)


def connection(**kw: Any) -> ConnectionSettings:
    """The connection part of ``options(**kw)`` (what auth and the transport take)."""
    return options(**kw).connection


class Recorder:
    """An httpx.MockTransport handler that records requests and replays responses."""

    def __init__(self, *responses: httpx.Response | Callable[[httpx.Request], httpx.Response]):
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        r = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        return r(request) if callable(r) else r

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]

    def client(self, opts: AzureOpenAIOptions | None = None) -> AzureAgentClient:
        http = httpx.AsyncClient(transport=httpx.MockTransport(self))
        return AzureAgentClient(opts or options(), http_client=http)
