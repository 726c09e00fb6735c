"""A small stdio MCP server for the tests, written with the ``mcp`` package.

Run as ``python calc_server.py``; tools: ``add``, ``pid`` (its process id, so a test
can check the process is gone afterwards) and ``stall`` (sleeps, to be interrupted).
"""

from __future__ import annotations

import os

import anyio
from mcp.server.mcpserver import MCPServer

server = MCPServer("calc")


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool()
def pid() -> str:
    """The server's process id."""
    return str(os.getpid())


@server.tool()
async def stall() -> str:
    """Never answers in time."""
    await anyio.sleep(60)
    return "too late"


if __name__ == "__main__":
    server.run("stdio")
