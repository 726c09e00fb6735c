"""AzureAgentClient: one conversation, one token cache, one connection pool.

Shaped like the Claude Agent SDK's ``ClaudeSDKClient``::

    async with AzureAgentClient(options) as client:
        await client.query("Hello")
        async for message in client.receive_response():
            ...

``interrupt()`` (from another task) cancels the request being read, or the tools
running, at once; the response then ends with a ``ResultMessage`` of subtype
``"interrupted"``. MCP servers from ``options.mcp_servers`` belong to the client: they
start in ``connect()`` (or with the first query) and stop in ``disconnect()``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from . import __version__
from ._internal import agent
from ._internal.auth import AzureADAuth
from ._internal.tool_calls import ToolSet
from ._internal.transport import AzureHTTPTransport
from .errors import AzureOpenAIError
from .types import (
    AssistantMessage,
    AzureOpenAIOptions,
    Message,
    ResultMessage,
    SystemMessage,
    UserMessage,
)


def _user_turns(message: dict[str, Any]) -> dict[str, Any]:
    """A Claude-SDK streaming-input dict or an OpenAI message → an OpenAI user message."""
    if message.get("type") == "user" and isinstance(message.get("message"), dict):
        message = message["message"]
    content = message.get("content", "")
    if isinstance(content, list):  # Claude-style content blocks: keep the text
        content = "".join(b.get("text", "") for b in content if isinstance(b, dict))
    return {"role": message.get("role", "user"), "content": content}


class AzureAgentClient:
    """A conversation with one Azure OpenAI deployment."""

    def __init__(
        self,
        options: AzureOpenAIOptions | None = None,
        *,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        """``http_client``: bring your own ``httpx.AsyncClient`` (TLS, proxy, timeouts
        and limits are then yours; tests pass one built on ``httpx.MockTransport``)."""
        self.options = options if options is not None else AzureOpenAIOptions.from_env()
        self._http_client = http_client
        self.session_id = str(uuid.uuid4())
        self.history: list[Message] = []
        self._conversation: list[dict[str, Any]] = []
        self._pending: list[dict[str, Any]] = []
        self._transport: AzureHTTPTransport | None = None
        self._interrupter = agent.Interrupter()
        self._announced = False
        self._tools: ToolSet | None = None
        self._tools_key: tuple[Any, ...] = ()
        self._mcp_key: tuple[Any, ...] = ()
        self._mcp: Any = None  # _internal.mcp_bridge.McpHub, imported only when configured

    def __repr__(self) -> str:
        o = self.options
        return (
            f"AzureAgentClient(endpoint={o.endpoint!r}, model={o.model!r},"
            f" session_id={self.session_id!r}, messages={len(self.history)})"
        )

    # --- lifecycle -------------------------------------------------------------

    async def __aenter__(self) -> AzureAgentClient:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.disconnect()

    async def connect(self, prompt: str | None = None) -> None:
        """Prepare the connection pool (no network until the first query) and start the
        MCP servers; ``MCPServerError`` names a server that failed to start."""
        if self._transport is None:
            self._transport = AzureHTTPTransport(
                self.options, AzureADAuth(self.options), http_client=self._http_client
            )
        await self._start_tools()
        if prompt is not None:
            await self.query(prompt)

    async def disconnect(self) -> None:
        """Stop the MCP servers (waiting until their processes are gone) and close the pool."""
        try:
            await self._stop_tools()
        finally:
            if self._transport is not None:
                await self._transport.aclose()
                self._transport = None

    def _tool_key(self) -> tuple[Any, ...]:
        """What the tool set is built from; ``options`` may change between queries."""
        o = self.options
        servers = tuple((name, repr(config)) for name, config in sorted(o.mcp_servers.items()))
        return (
            tuple(id(t) for t in o.tools or []),
            servers,
            o.allowed_tools and tuple(o.allowed_tools),
            str(o.cwd),
        )

    async def _start_tools(self) -> None:
        key = self._tool_key()
        if self._tools is not None and key == self._tools_key:
            return
        o = self.options
        stdio = {k: v for k, v in o.mcp_servers.items() if v.get("type", "stdio") == "stdio"}
        mcp_key = (tuple((k, repr(v)) for k, v in sorted(stdio.items())), str(o.cwd))
        if self._mcp is not None and mcp_key != self._mcp_key:
            # Only a change of MCP servers restarts them, not other tools changing
            # between queries (a %%azure --tool cell on the kernel's shared client).
            hub, self._mcp = self._mcp, None
            await hub.stop()
        if stdio and self._mcp is None:
            from ._internal.mcp_bridge import McpHub

            hub = McpHub(stdio, o.cwd)
            try:
                await hub.start()
            except BaseException:
                await hub.stop()
                raise
            self._mcp, self._mcp_key = hub, mcp_key
        tools = ToolSet()
        for t in o.tools or []:
            tools.add(t)
        for name, config in o.mcp_servers.items():
            if config.get("type") == "sdk":
                from ._internal.mcp_bridge import sdk_server_tools

                for t in sdk_server_tools(name, config["instance"]):
                    tools.add(t)
        if o.allowed_tools:
            from ._internal.file_tools import file_tools

            for t in file_tools(o.cwd if o.cwd is not None else Path.cwd(), o.allowed_tools):
                tools.add(t)
        for t in self._mcp.tools if self._mcp is not None else []:
            tools.add(t)
        self._tools, self._tools_key = tools, key

    async def _stop_tools(self) -> None:
        hub, self._mcp, self._tools = self._mcp, None, None
        if hub is not None:
            await hub.stop()

    @property
    def auth(self) -> AzureADAuth | None:
        """The token source (``None`` before ``connect``); for status displays."""
        return self._transport.auth if self._transport is not None else None

    def reset(self) -> None:
        """Forget the conversation and start a new session (the pool and token stay)."""
        self.history.clear()
        self._conversation.clear()
        self._pending.clear()
        self.session_id = str(uuid.uuid4())
        self._announced = False

    # --- conversation ----------------------------------------------------------

    async def query(
        self, prompt: str | AsyncIterable[dict[str, Any]], session_id: str = "default"
    ) -> None:
        """Queue a user prompt; ``receive_response()`` sends it and streams the answer."""
        if isinstance(prompt, str):
            self._pending.append({"role": "user", "content": prompt})
        else:
            async for message in prompt:
                self._pending.append(_user_turns(message))

    async def interrupt(self) -> None:
        """Cancel the request being streamed; safe to call from another task."""
        self._interrupter.interrupt()

    async def receive_messages(self) -> AsyncIterator[Message]:
        """Answer every queued prompt in turn (one ``ResultMessage`` per prompt)."""
        while self._pending:
            async for message in self.receive_response():
                yield message

    async def receive_response(self) -> AsyncIterator[Message]:
        """Messages for the next queued prompt, ending with its ``ResultMessage``."""
        if not self._pending:
            raise AzureOpenAIError(
                "Nothing to answer: call query(prompt) before receive_response()"
            )
        await self.connect()  # cheap when nothing changed; picks up this query's tools
        assert self._transport is not None and self._tools is not None
        started = time.perf_counter()
        if not self._announced:
            self._announced = True
            init = SystemMessage("init", self._init_data())
            self.history.append(init)
            yield init
        turn = self._pending.pop(0)
        mark = len(self._conversation)
        _answer_declared_tool_calls(self._conversation)
        self._conversation.append(turn)
        self.history.append(UserMessage(turn["content"]))
        stats = agent.RunStats()
        self._interrupter = interrupter = agent.Interrupter()
        subtype = "success"
        try:
            async for message in agent.run(
                self._transport,
                self.options,
                self._conversation,
                stats,
                interrupter,
                self.session_id,
                self._tools,
            ):
                if isinstance(message, (AssistantMessage, UserMessage)):
                    self.history.append(message)
                yield message
        except agent.Interrupted:
            subtype = "interrupted"
        except Exception:
            # A failed prompt is not part of the conversation: asking again is clean.
            del self._conversation[mark:]
            raise
        if stats.hit_max_turns:
            subtype = "error_max_turns"
        result = ResultMessage(
            subtype=subtype,
            duration_ms=round((time.perf_counter() - started) * 1000),
            duration_api_ms=round(stats.api_seconds * 1000),
            is_error=subtype != "success",
            num_turns=stats.num_turns,
            session_id=self.session_id,
            total_cost_usd=stats.cost_usd(self.options),
            usage=dict(stats.usage),
            result=stats.final_text,
        )
        self.history.append(result)
        yield result

    def _init_data(self) -> dict[str, Any]:
        o = self.options
        tools = self._tools.names() if self._tools is not None else []
        return {
            "type": "system",
            "subtype": "init",
            "session_id": self.session_id,
            "model": o.model,
            "api_version": o.api_version,
            "endpoint": o.endpoint,
            "tools": tools,
            "mcp_servers": [{"name": n, "status": "connected"} for n in o.mcp_servers],
            "cwd": str(o.cwd) if o.cwd is not None else None,
            "sdk_version": __version__,
        }


def _answer_declared_tool_calls(conversation: list[dict[str, Any]]) -> None:
    """Give unanswered tool calls a result before the next user turn.

    A run that ended on calls to declarative (dict) tools leaves them unanswered, and
    Azure rejects a conversation whose assistant ``tool_calls`` are not each followed
    by a ``tool`` message. The caller handled those calls outside the SDK.
    """
    if not conversation or not conversation[-1].get("tool_calls"):
        return
    for call in conversation[-1]["tool_calls"]:
        conversation.append(
            {
                "role": "tool",
                "tool_call_id": call["id"],
                "content": "(handled by the caller; no result was passed back)",
            }
        )
