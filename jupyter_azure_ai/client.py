"""AzureAgentClient: one conversation, one token cache, one connection pool.

Shaped like the Claude Agent SDK's ``ClaudeSDKClient``::

    async with AzureAgentClient(options) as client:
        await client.query("Hello")
        async for message in client.receive_response():
            ...

``interrupt()`` (from another task) cancels the request being read, or the tools
running, at once; the response then ends with a ``ResultMessage`` of subtype
``"interrupted"``. Stdio MCP servers belong to the client: they start in ``connect()``
(or with the first query that names them), run until ``disconnect()``, and only a
change of a server's own configuration restarts it.
"""

from __future__ import annotations

import time
import uuid
import warnings
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from . import __version__
from ._internal import agent
from ._internal.auth import AzureADAuth
from ._internal.content import to_blocks, to_openai
from ._internal.tool_calls import ToolSet
from ._internal.transport import AzureHTTPTransport
from .errors import AzureOpenAIError
from .options import AzureOpenAIOptions, ConnectionSettings, QuerySettings, ToolSettings
from .sessions import (
    SavedSession,
    SessionWriter,
    directory_key,
    load_session,
    most_recent_session,
)
from .types import (
    AssistantMessage,
    Message,
    ResultMessage,
    SystemMessage,
    UserMessage,
)


def _user_turns(message: dict[str, Any]) -> dict[str, Any]:
    """A Claude-SDK streaming-input dict or an OpenAI message → an OpenAI user message."""
    if message.get("type") == "user" and isinstance(message.get("message"), dict):
        message = message["message"]
    # Claude-style content blocks: text, and images as Azure image_url parts (content.py)
    content = to_openai(message.get("content", ""))
    return {"role": message.get("role", "user"), "content": content}


@dataclass
class _Pending:
    """A user turn waiting for ``receive_response``, with the settings it was asked with."""

    turn: dict[str, Any]
    settings: QuerySettings
    tools: ToolSettings


class AzureAgentClient:
    """A conversation with one Azure OpenAI deployment.

    The connection part of ``options`` (endpoint, credentials, TLS, proxy) is fixed
    for the client's life; its query settings and tool settings are the defaults of
    every query, held in ``settings`` and ``tool_settings`` (frozen; assign new ones,
    or pass ``settings=`` / ``tools=`` to one ``query()``).

    The conversation is saved as it goes (sessions.py; ``persist_session=False`` turns
    that off); ``resume`` / ``continue_conversation`` start from a saved one, whose
    ``history`` the client then holds whole (only what is sent is bounded).
    """

    def __init__(
        self,
        options: AzureOpenAIOptions | None = None,
        *,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        """``options``: as for ``azure_query`` (``None`` reads ``AZURE_*`` variables).
        ``http_client``: bring your own ``httpx.AsyncClient`` (TLS, proxy, timeouts and
        limits are then yours; tests pass one built on ``httpx.MockTransport``)."""
        options = options if options is not None else AzureOpenAIOptions.from_env()
        self.connection: ConnectionSettings = options.connection
        self.settings: QuerySettings = options.settings
        self.tool_settings: ToolSettings = options.tool_settings
        self._options = replace(options)
        self._http_client = http_client
        self.session_id = str(uuid.uuid4())
        self.history: list[Message] = []
        self._conversation: list[dict[str, Any]] = []
        self._pending: list[_Pending] = []
        self._transport: AzureHTTPTransport | None = None
        self._interrupter = agent.Interrupter()
        self._announced = False
        self._servers: dict[str, tuple[str, Any]] = {}  # name -> (config key, McpHub)
        self._persist = options.persist_session
        self._cwd = directory_key(self.tool_settings.cwd)  # the folder sessions belong to
        self._writer: SessionWriter | None = None
        self._saved_upto = 0  # conversation messages already in the session file
        self._fork_of: SavedSession | None = None
        start = options.session_settings
        if start.resume is not None or start.continue_conversation:
            found = start.resume or most_recent_session(self._cwd)
            if found is not None:  # continue_conversation with none saved: a new one
                self._resume_saved(load_session(found), fork=start.fork_session)

    @property
    def options(self) -> AzureOpenAIOptions:
        """A copy of the options this client was built from (changing it changes nothing:
        use ``settings`` / ``tool_settings``, or ``query(..., settings=...)``)."""
        return self._options

    def __repr__(self) -> str:
        return (
            f"AzureAgentClient(endpoint={self.connection.endpoint!r},"
            f" model={self.settings.model!r}, session_id={self.session_id!r},"
            f" messages={len(self.history)})"
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
        self._ensure_transport()
        await self._start_servers(self.tool_settings)
        if prompt is not None:
            await self.query(prompt)

    async def disconnect(self) -> None:
        """Stop the MCP servers (waiting until their processes are gone) and close the pool
        and the session file."""
        self._close_writer()
        try:
            await self._stop_servers(list(self._servers))
        finally:
            if self._transport is not None:
                await self._transport.aclose()
                self._transport = None

    def _ensure_transport(self) -> AzureHTTPTransport:
        if self._transport is None:
            self._transport = AzureHTTPTransport(
                self.connection, AzureADAuth(self.connection), http_client=self._http_client
            )
        return self._transport

    # --- tools -------------------------------------------------------------------

    async def _start_servers(self, tools: ToolSettings) -> None:
        """Start each stdio MCP server ``tools`` names that is not running with its
        current configuration; servers started for earlier queries keep running."""
        cwd = str(tools.cwd)
        for name, config in tools.stdio_servers.items():
            key = f"{config!r} in {cwd}"
            running = self._servers.get(name)
            if running is not None and running[0] == key:
                continue
            if running is not None:  # its configuration changed
                await self._stop_servers([name])
            from ._internal.mcp_bridge import McpHub

            hub = McpHub({name: config}, tools.cwd)
            try:
                await hub.start()
            except BaseException:
                await hub.stop()
                raise
            self._servers[name] = (key, hub)

    async def _stop_servers(self, names: list[str]) -> None:
        for name in names:
            _, hub = self._servers.pop(name)
            await hub.stop()

    async def _tool_set(self, tools: ToolSettings) -> ToolSet:
        """What one query offers, in a stable order: functions, in-process MCP tools,
        built-in file tools, then the tools of the stdio MCP servers."""
        await self._start_servers(tools)
        offered = ToolSet()
        for t in tools.tools:
            offered.add(t)
        for name, config in tools.mcp_servers.items():
            if config.get("type") == "sdk":
                from ._internal.mcp_bridge import sdk_server_tools

                for t in sdk_server_tools(name, config["instance"]):
                    offered.add(t)
        if tools.allowed_tools:
            from ._internal.file_tools import file_tools

            cwd = tools.cwd if tools.cwd is not None else Path.cwd()
            for t in file_tools(cwd, list(tools.allowed_tools)):
                offered.add(t)
        for name in tools.stdio_servers:
            for t in self._servers[name][1].tools:
                offered.add(t)
        return offered

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
        self._close_writer()
        self._fork_of, self._saved_upto = None, 0

    # --- saved sessions ----------------------------------------------------------

    def _resume_saved(self, saved: SavedSession, *, fork: bool = False) -> None:
        """Carry on with ``saved`` (replacing the conversation): under its id, or with
        ``fork`` under a new one whose file starts as a copy (written with the first new
        message; the original is never touched)."""
        self.history[:] = saved.history
        self._conversation[:] = saved.conversation
        self._pending.clear()
        self._announced = False
        self._saved_upto = len(self._conversation)
        self._close_writer()
        self._fork_of = saved if fork else None
        self.session_id = str(uuid.uuid4()) if fork else saved.session_id

    def _save(self, message: Message, *, hold: bool = False) -> None:
        """Append ``message`` (just added to ``history``) and the conversation messages
        added since the last one to the session file (``hold``: with the next one)."""
        if not self._persist:
            return
        api = self._conversation[self._saved_upto :]
        self._saved_upto = len(self._conversation)
        try:
            self._session_writer().message(message, api, hold=hold)
        except OSError as exc:
            self._not_saved(exc)

    def _save_failure(self, keep: int, error: BaseException) -> None:
        self._saved_upto = len(self._conversation)
        if self._persist:
            try:
                self._session_writer().failed(keep, error)
            except OSError as exc:
                self._not_saved(exc)

    def _session_writer(self) -> SessionWriter:
        if self._writer is None or self._writer.session_id != self.session_id:
            self._close_writer()
            fork = self._fork_of
            self._writer = SessionWriter(
                self.session_id,
                self._cwd,
                self.connection.secrets(),
                forked_from=fork.session_id if fork else None,
                copied=fork.records if fork else (),
            )
        return self._writer

    def _close_writer(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            try:
                writer.close()
            except OSError as exc:
                self._not_saved(exc)

    def _not_saved(self, exc: OSError) -> None:
        """The disk refused: say so once and carry on unsaved (the answer matters more)."""
        self._persist = False
        warnings.warn(
            f"conversation {self.session_id} is no longer saved: {exc}",
            RuntimeWarning,
            stacklevel=3,
        )

    # --- conversation ----------------------------------------------------------

    async def query(
        self,
        prompt: str | AsyncIterable[dict[str, Any]],
        session_id: str = "default",
        *,
        settings: QuerySettings | None = None,
        tools: ToolSettings | None = None,
    ) -> None:
        """Queue a user prompt; ``receive_response()`` sends it and streams the answer.

        ``settings`` / ``tools``: for this prompt only, instead of the client's
        ``settings`` / ``tool_settings`` (e.g. ``client.settings.replace(model="o4-mini")``).
        """
        settings = settings if settings is not None else self.settings
        tools = tools if tools is not None else self.tool_settings
        if isinstance(prompt, str):
            self._pending.append(_Pending({"role": "user", "content": prompt}, settings, tools))
        else:
            async for message in prompt:
                self._pending.append(_Pending(_user_turns(message), settings, tools))

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
        pending = self._pending[0]
        transport = self._ensure_transport()
        offered = await self._tool_set(pending.tools)
        del self._pending[0]
        settings = pending.settings
        started = time.perf_counter()
        if not self._announced:
            self._announced = True
            init = SystemMessage("init", self._init_data(settings, pending.tools, offered))
            self.history.append(init)
            self._save(init, hold=True)  # written with the prompt, just below
            yield init
        turn = pending.turn
        mark = len(self._conversation)
        _answer_declared_tool_calls(self._conversation)
        self._conversation.append(turn)
        self.history.append(UserMessage(to_blocks(turn["content"])))
        self._save(self.history[-1], hold=True)
        if self._writer is not None:  # on disk in a moment, without delaying the request
            self._writer.flush_soon()
        stats = agent.RunStats()
        self._interrupter = interrupter = agent.Interrupter()
        subtype = "success"
        try:
            async for message in agent.run(
                transport,
                settings,
                self._conversation,
                stats,
                interrupter,
                self.session_id,
                offered,
                pending.tools,
            ):
                if isinstance(message, (AssistantMessage, UserMessage)):
                    self.history.append(message)
                    self._save(message)
                yield message
        except agent.Interrupted:
            subtype = "interrupted"
        except Exception as exc:
            # A failed prompt is not part of the conversation: asking again is clean.
            del self._conversation[mark:]
            self._save_failure(mark, exc)
            raise
        if stats.hit_max_turns:
            subtype = "error_max_turns"
        elif stats.outcome is not None and subtype == "success":
            subtype = stats.outcome  # error_refusal, error_structured_output, error_max_tokens
        result = ResultMessage(
            subtype=subtype,
            duration_ms=round((time.perf_counter() - started) * 1000),
            duration_api_ms=round(stats.api_seconds * 1000),
            is_error=subtype != "success",
            num_turns=stats.num_turns,
            session_id=self.session_id,
            total_cost_usd=stats.cost_usd(settings),
            usage=dict(stats.usage),
            result=stats.final_text,
            structured_output=stats.structured_output,
        )
        self.history.append(result)
        self._save(result)
        yield result

    def _init_data(
        self, settings: QuerySettings, tools: ToolSettings, offered: ToolSet
    ) -> dict[str, Any]:
        return {
            "type": "system",
            "subtype": "init",
            "session_id": self.session_id,
            "model": settings.model,
            "api_version": settings.api_version,
            "endpoint": self.connection.endpoint,
            "tools": offered.names(),
            "mcp_servers": [{"name": n, "status": "connected"} for n in tools.mcp_servers],
            "cwd": str(tools.cwd) if tools.cwd is not None else None,
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
