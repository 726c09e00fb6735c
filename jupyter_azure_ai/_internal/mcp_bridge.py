"""MCP servers from ``mcp_servers``, offered to the model as ``mcp__<server>__<tool>``.

Stdio servers are started with the ``mcp`` package (imported only when a server is
configured). One background *owner task* enters every server's context and exits it
when told to: MCP clients hold anyio task groups, which must be left by the task that
entered them, while an ``AzureAgentClient`` may be connected, used and closed from
different tasks (the Jupyter runtime does). Leaving the context closes the server's
stdin, waits, then kills its process tree: no orphans, also after an error or an
interrupt. In-process servers (``create_sdk_mcp_server``) need none of this.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import anyio

from ..errors import MCPCommandNotFoundError, MCPServerError
from ..tools import SdkMcpServer, SdkTool

STARTUP_TIMEOUT = 30.0
SHUTDOWN_TIMEOUT = 10.0


def tool_name(server: str, name: str) -> str:
    """``mcp__<server>__<tool>``, fitted to OpenAI's ``^[a-zA-Z0-9_-]{1,64}$``."""
    return re.sub(r"[^a-zA-Z0-9_-]", "_", f"mcp__{server}__{name}")[:64]


def sdk_server_tools(name: str, server: SdkMcpServer) -> list[SdkTool]:
    """An in-process server's tools under their ``mcp__`` names (copies; the originals stay)."""
    out = []
    for t in server.tools:
        out.append(SdkTool(tool_name(name, t.name), t.description, t.parameters,
                           t.handler, t.timeout, t.args_dict))  # fmt: skip
    return out


def _reason(exc: BaseException) -> str:
    """The first leaf of an exception group, as one line."""
    while getattr(exc, "exceptions", None):  # an exception group (3.10: the backport)
        exc = exc.exceptions[0]  # type: ignore[attr-defined]
    text = str(exc) or type(exc).__name__
    return " ".join(f"{type(exc).__name__}: {text}".split())


class McpHub:
    """The stdio servers of one client: ``start()``, ``tools``, ``stop()``."""

    def __init__(
        self,
        servers: dict[str, dict[str, Any]],
        cwd: str | Path | None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.servers = servers
        self.cwd = cwd
        self.env = dict(env or {})  # the ``env`` option: under each server's own ``env``
        self.tools: list[SdkTool] = []
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._starting = ""

    async def start(self) -> None:
        """Start every server and list its tools; ``MCPServerError`` names the one that failed."""
        if self._task is not None:
            return
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._task = task = asyncio.get_running_loop().create_task(self._own(ready))
        # The limit is kept out here: a timeout scope around entering a client would be
        # left before the client's own task group is, which anyio refuses.
        done, _ = await asyncio.wait([ready], timeout=STARTUP_TIMEOUT * len(self.servers))
        if not done:
            task.cancel()
            raise MCPServerError(
                f"MCP server {self._starting!r} failed to start: no MCP handshake within"
                f" {STARTUP_TIMEOUT:g} s",
                server=self._starting,
            )
        ready.result()

    async def stop(self) -> None:
        """Stop every server and wait (bounded, even when cancelled) until they are gone."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stop.set()
        with anyio.CancelScope(shield=True), anyio.move_on_after(SHUTDOWN_TIMEOUT):
            await asyncio.wait([task])

    async def _own(self, ready: asyncio.Future[None]) -> None:
        try:
            async with AsyncExitStack() as stack:
                for name, config in self.servers.items():
                    failure = await self._enter(stack, name, config)
                    if failure is not None:
                        ready.set_exception(failure)
                        return
                ready.set_result(None)
                await self._stop.wait()
        finally:
            if not ready.done():  # cancelled, or the shutdown itself failed
                ready.set_exception(MCPServerError("MCP servers stopped while starting", server=""))

    async def _enter(
        self, stack: AsyncExitStack, name: str, config: dict[str, Any]
    ) -> MCPServerError | None:
        """Start server ``name`` on ``stack`` and list its tools; the error, if it failed."""
        # Its stderr goes to a file: a kernel's sys.stderr has no fd, and the last line
        # says why a server that failed to start did so.
        self._starting = name
        errlog = stack.enter_context(tempfile.TemporaryFile("w+", encoding="utf-8"))  # noqa: SIM115
        cwd = config.get("cwd") or self.cwd
        missing = _missing_command(config["command"], cwd)
        if missing is not None:
            return MCPCommandNotFoundError(
                f"MCP server {name!r} failed to start: {missing}", server=name
            )
        try:
            from mcp import Client, StdioServerParameters
            from mcp.client.stdio import stdio_client

            env = {**self.env, **(config.get("env") or {})}
            params = StdioServerParameters(
                command=config["command"],
                args=[str(a) for a in config.get("args") or []],
                env=env or None,
                cwd=cwd,
            )
            transport = stdio_client(params, errlog=errlog)
            client = await stack.enter_async_context(Client(transport))
            listed = await client.list_tools()
        except Exception as exc:  # includes exception groups of Exceptions
            return self._failure(name, exc, errlog)
        self.tools += [_remote_tool(name, t, client) for t in listed.tools]
        return None

    @staticmethod
    def _failure(name: str, exc: BaseException, errlog: Any) -> MCPServerError:
        reason = _reason(exc)
        errlog.seek(0)
        tail = [line.strip() for line in errlog.read().splitlines() if line.strip()][-1:]
        said = f" (its stderr: {tail[0][:200]})" if tail else ""
        return MCPServerError(
            f"MCP server {name!r} failed to start: {reason}{said}",
            server=name,
            stderr=tail[0][:200] if tail else None,
        )


def _missing_command(command: str, cwd: str | Path | None) -> str | None:
    """Why ``command`` cannot be started (not a file, not on ``PATH``), else None."""
    if os.sep in command or (os.altsep and os.altsep in command):
        path = Path(command)
        if not path.is_absolute() and cwd is not None:
            path = Path(cwd) / path
        return None if path.exists() else f"command {command!r}: no such file"
    if shutil.which(command) is None:
        return f"command {command!r} not found on PATH"
    return None


def _remote_tool(server: str, listed: Any, client: Any) -> SdkTool:
    """An ``SdkTool`` whose handler calls ``listed`` on ``client``."""

    async def call(arguments: dict[str, Any]) -> dict[str, Any]:
        result = await client.call_tool(listed.name, arguments)
        content = [
            {"type": "text", "text": part.text}
            if getattr(part, "type", "") == "text"
            else {"type": getattr(part, "type", "content")}
            for part in result.content
        ]
        if not content and result.structured_content is not None:
            import json

            content = [{"type": "text", "text": json.dumps(result.structured_content)}]
        return {"content": content, "is_error": bool(result.is_error)}

    schema = dict(listed.input_schema or {"type": "object", "properties": {}})
    schema.pop("title", None)
    return SdkTool(tool_name(server, listed.name), listed.description or listed.name, schema,
                   call, args_dict=True)  # fmt: skip
