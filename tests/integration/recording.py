"""``Recorded``: an httpx client for the SDK that keeps the JSON body of every chat request
it sends (what the emulator, or Azure, received); the ``recorded`` fixture (conftest.py)
opens and closes one."""

from __future__ import annotations

import json
from typing import Any

import httpx

from jupyter_azure_ai._internal.tls import ssl_context
from jupyter_azure_ai.emulator import Emulator


class Recorded:
    """An httpx client that keeps the JSON body of every chat request it sends."""

    def __init__(self, emu: Emulator) -> None:
        self.bodies: list[dict[str, Any]] = []

        async def keep(request: httpx.Request) -> None:
            if request.url.path.endswith("/chat/completions"):
                self.bodies.append(json.loads(request.content))

        self.client = httpx.AsyncClient(
            verify=ssl_context(emu.ca_path), event_hooks={"request": [keep]}
        )

    def prompts(self, body: dict[str, Any]) -> list[str]:
        """The user messages' contents of one request body."""
        return [m["content"] for m in body["messages"] if m["role"] == "user"]
