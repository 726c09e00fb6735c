"""AzureAgentClient: one conversation, one token cache, one connection pool.

Shaped like the Claude Agent SDK's ``ClaudeSDKClient``::

    async with AzureAgentClient(options) as client:
        await client.query("Hello")
        async for message in client.receive_response():
            ...

Receiving works as in ``ClaudeSDKClient``: prompts are queued by ``query()`` and sent by
whoever receives, in order; ``receive_response()`` yields one answer (waiting for a query
if none is queued yet), ``receive_messages()`` every answer until ``disconnect()``.
``agents`` add a ``Task`` tool running subagents on this client (``_internal/subagents.py``).

``interrupt()`` (from another task) cancels the request being read, or the tools
running, at once; the response then ends with a ``ResultMessage`` of subtype
``"interrupted"``. Stdio MCP servers belong to the client: they start in ``connect()``
(or with the first query that names them), run until ``disconnect()``, and only a
change of a server's own configuration restarts it.
"""

from __future__ import annotations

import asyncio
import time
import uuid
import warnings
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx

from . import __version__
from ._internal import agent
from ._internal.auth import AzureADAuth
from ._internal.content import to_blocks, to_openai
from ._internal.tool_calls import ToolSet
from ._internal.transport import AzureHTTPTransport
from .errors import AzureOpenAIError, CLIConnectionError, ConfigurationError
from .options import AzureOpenAIOptions, ConnectionSettings, QuerySettings, ToolSettings
from .sessions import (
    SavedSession,
    SessionWriter,
    directory_key,
    load_session,
    most_recent_session,
    session_saved,
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
        self._arrived = asyncio.Event()  # set when a prompt is queued or we disconnect
        self._answering = asyncio.Lock()  # one prompt answered at a time, in order
        self._connected = False
        self._feeder: asyncio.Task[None] | None = None  # connect(prompt=<async iterable>)
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
        if start.session_id is not None:  # the Claude option: this id for a new conversation
            if self._persist and session_saved(start.session_id):
                raise ConfigurationError(
                    f"session_id {start.session_id!r} is already saved: resume= carries it on"
                )
            self.session_id = start.session_id
        if start.resume is not None or start.continue_conversation:
            found = start.resume or most_recent_session(self._cwd)
            if found is not None:  # continue_conversation with none saved: a new one
                self._resume_saved(load_session(found), fork=start.fork_session)
                if start.fork_session and start.session_id is not None:
                    self.session_id = start.session_id  # the fork's id
        self._disabled: set[str] = set()  # toggle_mcp_server(name, False)
        self._team: Any = None  # the running query's subagents (stop_task)

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

    async def connect(self, prompt: str | AsyncIterable[dict[str, Any]] | None = None) -> None:
        """Prepare the connection pool (no network until the first query) and start the
        MCP servers; ``MCPServerError`` names a server that failed to start.

        ``prompt``: a first prompt, or an async iterable of messages read in the
        background as they come (the Claude SDK's streaming input)."""
        self._ensure_transport()
        self._connected = True
        await self._start_servers(self.tool_settings)
        if isinstance(prompt, str):
            await self.query(prompt)
        elif prompt is not None:
            self._feeder = asyncio.get_running_loop().create_task(self.query(prompt))

    async def disconnect(self) -> None:
        """Stop the MCP servers (waiting until their processes are gone), close the pool
        and the session file; a ``receive_messages()`` loop waiting for the next prompt
        ends."""
        self._connected = False
        self._arrived.set()
        feeder, self._feeder = self._feeder, None
        if feeder is not None and not feeder.done():
            feeder.cancel()
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
            if name in self._disabled:
                continue
            key = f"{config!r} in {cwd} with {sorted(tools.env.items())!r}"
            running = self._servers.get(name)
            if running is not None and running[0] == key:
                continue
            if running is not None:  # its configuration changed
                await self._stop_servers([name])
            from ._internal.mcp_bridge import McpHub

            hub = McpHub({name: config}, tools.cwd, tools.env)
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
            if isinstance(t, str) or (isinstance(t, dict) and t.get("type") == "preset"):
                continue  # names and the Claude preset select built-ins (below)
            offered.add(t)
        for name, config in tools.mcp_servers.items():
            if config.get("type") == "sdk" and name not in self._disabled:
                from ._internal.mcp_bridge import sdk_server_tools

                for t in sdk_server_tools(name, config["instance"]):
                    offered.add(t)
        if tools.builtins:
            from ._internal.builtin_tools import builtin_tools

            proxy_password = urlsplit(self.connection.proxy or "").password
            secrets = (
                *self.connection.secrets(),
                *self.connection.headers.values(),
                *([proxy_password] if proxy_password else []),
            )
            for t in builtin_tools(tools, secrets):
                offered.add(t)
        for name in tools.stdio_servers:
            for t in self._servers[name][1].tools if name in self._servers else ():
                offered.add(t)
        from .option_types import warn_if_shadowed

        warn_if_shadowed(tools.can_use_tool, tools.allowed_tools, tools.permission_mode)
        if tools.disallowed_tools:
            from ._internal.builtin_tools import drop_disallowed

            drop_disallowed(offered, tools.disallowed_tools)
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
        """Queue a user prompt; a receiver (``receive_response`` / ``receive_messages``)
        sends it and streams the answer. Prompts queued before anyone receives are
        answered in order, each ending with its own ``ResultMessage``.

        ``prompt``: a str, or an async iterable of message dicts (the Claude SDK's
        streaming-input shape ``{"type": "user", "message": {"role": "user", "content":
        ...}}``, or OpenAI's ``{"role": "user", "content": ...}``), one answer per message.
        ``settings`` / ``tools``: for this prompt only, instead of the client's
        ``settings`` / ``tool_settings`` (e.g. ``client.settings.replace(model="o4-mini")``).
        """
        settings = settings if settings is not None else self.settings
        tools = tools if tools is not None else self.tool_settings
        if isinstance(prompt, str):
            self._enqueue(_Pending({"role": "user", "content": prompt}, settings, tools))
        else:
            async for message in prompt:
                self._enqueue(_Pending(_user_turns(message), settings, tools))

    def _enqueue(self, pending: _Pending) -> None:
        self._pending.append(pending)
        self._arrived.set()

    async def interrupt(self) -> None:
        """Cancel the request being streamed; safe to call from another task."""
        self._interrupter.interrupt()

    async def receive_messages(self) -> AsyncIterator[Message]:
        """Every message of every answer, across queries, until ``disconnect()``.

        As ``ClaudeSDKClient.receive_messages``: it waits for the next ``query()`` after
        each ``ResultMessage``, so break out of it (or use ``receive_response``)."""
        while True:
            if not await self._wait_for_prompt():
                return
            async for message in self._answer_next():
                yield message

    async def receive_response(self) -> AsyncIterator[Message]:
        """Messages for the next queued prompt, ending with its ``ResultMessage``.

        Called before ``query()`` (from another task, say), it waits for that query."""
        if not self._pending and not self._connected:
            raise CLIConnectionError(
                "Not connected: call connect() (or query(prompt)) before receive_response()"
            )
        if not await self._wait_for_prompt():
            return
        async for message in self._answer_next():
            yield message

    async def _wait_for_prompt(self) -> bool:
        """Wait until a prompt is queued (True) or the client disconnects (False)."""
        while not self._pending:
            if not self._connected:
                return False
            self._arrived.clear()
            await self._arrived.wait()
        return True

    async def _answer_next(self) -> AsyncIterator[Message]:
        """Send the oldest queued prompt and stream its answer; one receiver at a time."""
        async with self._answering:
            if not self._pending:  # another receiver answered it while we waited
                return
            async for message in self._answer(self._pending[0]):
                yield message

    async def _answer(self, pending: _Pending) -> AsyncIterator[Message]:
        transport = self._ensure_transport()
        try:
            offered = await self._tool_set(pending.tools)
        finally:  # answered or failed, it leaves the queue (never retried in a loop)
            if self._pending and self._pending[0] is pending:
                del self._pending[0]
        settings = pending.settings
        started = time.perf_counter()
        stats = agent.RunStats()
        if pending.tools.agents and not {"Task", "Agent"} & set(pending.tools.disallowed_tools):
            from ._internal.subagents import Subagents

            team = Subagents(pending.tools, settings, offered, transport, stats, self.session_id)
            offered.add(team.task_tool())
            self._team = team
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
            usage=stats.total_usage(),
            result=stats.final_text,
            structured_output=stats.structured_output,
            terminal_reason=_TERMINAL.get(subtype, subtype),
        )
        self.history.append(result)
        self._save(result)
        yield result

    # --- what the Claude client also offers --------------------------------------

    async def get_server_info(self) -> dict[str, Any]:
        """What this client talks to and offers: model, api_version, endpoint, tools, MCP
        servers, agents (``ClaudeSDKClient.get_server_info``; never a secret)."""
        offered = await self._tool_set(self.tool_settings)
        agents = dict(self.tool_settings.agents or {})
        if {"Task", "Agent"} & set(self.tool_settings.disallowed_tools):  # Claude's two names
            agents = {}
        names = offered.names() + (["Task"] if agents else [])
        return {
            "model": self.settings.model,
            "api_version": None if self.connection.v1 else self.settings.api_version,
            "endpoint": self.connection.endpoint,
            "session_id": self.session_id,
            "tools": names,
            "mcp_servers": [
                {"name": n, "status": "connected"} for n in self.tool_settings.mcp_servers
            ],
            "agents": [{"name": n, "description": a.description} for n, a in agents.items()],
            "commands": [],
            "output_style": "default",
            "sdk_version": __version__,
        }

    async def get_mcp_status(self) -> dict[str, Any]:
        """``{"mcpServers": [{"name", "status", "serverInfo", "tools": [{"name",
        "description"}]}]}`` for the configured servers (``McpStatusResponse``); a server
        that fails to start raises ``MCPServerError`` (a ``ProcessError``)."""
        await self._start_servers(self.tool_settings)
        out = []
        for name, config in self.tool_settings.mcp_servers.items():
            if config.get("type") == "sdk":
                server = config["instance"]
                info = {"name": server.name, "version": server.version}
                listed = [(t.name, t.description) for t in server.tools]
            else:
                info = {"name": name, "version": ""}
                listed = [(t.name.split("__", 2)[-1], t.description)
                          for t in self._servers[name][1].tools]  # fmt: skip
            tools = [{"name": n, "description": d} for n, d in listed]
            out.append({"name": name, "status": "connected", "serverInfo": info, "tools": tools})
        return {"mcpServers": out}

    async def reconnect_mcp_server(self, server_name: str) -> None:
        """Restart stdio MCP server ``server_name`` (an in-process one has nothing to
        restart); ``MCPServerError`` if it fails to start again."""
        self._known_server(server_name)
        self._disabled.discard(server_name)
        if server_name in self._servers:
            await self._stop_servers([server_name])
        await self._start_servers(self.tool_settings)

    async def toggle_mcp_server(self, server_name: str, enabled: bool) -> None:
        """Offer (``enabled``) or stop offering a server's tools from the next query on; a
        disabled stdio server's process is stopped, and started again when enabled."""
        self._known_server(server_name)
        if enabled:
            self._disabled.discard(server_name)
            await self._start_servers(self.tool_settings)
        else:
            self._disabled.add(server_name)
            if server_name in self._servers:
                await self._stop_servers([server_name])

    def _known_server(self, name: str) -> None:
        if name not in self.tool_settings.mcp_servers:
            known = ", ".join(self.tool_settings.mcp_servers) or "none"
            raise ConfigurationError(f"no MCP server named {name!r} (servers: {known})")

    async def stop_task(self, task_id: str) -> None:
        """Stop the subagent running for ``Task`` call ``task_id``: its call ends with an
        error result saying so, a ``TaskNotificationMessage`` with status ``"stopped"``
        follows, and the parent's answer goes on. Unknown or finished ids are ignored."""
        if self._team is not None:
            self._team.stop(task_id)

    async def get_context_usage(self) -> dict[str, Any]:
        """How much of the deployment's context the conversation takes, estimated as
        ``max_history_tokens`` counts it: ``totalTokens``, ``maxTokens`` (the context
        window once Azure stated it, else None), ``percentage``, ``model``, ``categories``."""
        from ._internal import history

        settings = self.settings
        system = settings.system_text
        system_tokens = history.estimate([{"role": "system", "content": system}]) if system else 0
        offered = await self._tool_set(self.tool_settings)
        tools = history.estimate([], tools=offered.specs) if offered.specs else 0
        messages = history.estimate(self._conversation) if self._conversation else 0
        total = system_tokens + tools + messages
        known = self._transport.capabilities if self._transport is not None else None
        window = known.context_windows.get(settings.model) if known is not None else None
        return {
            "categories": [
                {"name": "System prompt", "tokens": system_tokens, "color": ""},
                {"name": "Tools", "tokens": tools, "color": ""},
                {"name": "Messages", "tokens": messages, "color": ""},
            ],
            "totalTokens": total,
            "maxTokens": window,
            "percentage": round(100 * total / window, 1) if window else None,
            "model": settings.model,
        }

    async def rewind_files(self, user_message_id: str) -> None:
        """Not available: there are no file checkpoints here (``enable_file_checkpointing``
        has no effect), so this raises ``AzureOpenAIError`` rather than pretend."""
        raise AzureOpenAIError(
            "rewind_files: file checkpointing is not available with Azure OpenAI"
            " (enable_file_checkpointing has no effect here)"
        )

    async def set_model(self, model: str | None = None) -> None:
        """Use deployment ``model`` for the next queries (None: the options' own model)."""
        self.settings = self.settings.replace(model=model or self._options.model)

    async def set_permission_mode(self, mode: str) -> None:
        """Change ``permission_mode`` for the next queries (see the options' field)."""
        self.tool_settings = replace(self.tool_settings, permission_mode=mode)

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
            "permissionMode": tools.permission_mode or "default",  # the Claude init's key
            "agents": list(tools.agents or {}) if "Task" in offered.names() else [],
            "sdk_version": __version__,
        }


_TERMINAL = {
    "success": "completed",
    "error_max_turns": "max_turns",
    "interrupted": "aborted_streaming",
    "error_max_budget_usd": "max_budget",
}
"""``ResultMessage.subtype`` → the Claude SDK's ``terminal_reason``."""


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
