"""A stdio MCP server that reports its environment (tests of the ``env`` option).

Run as ``python env_server.py``; tool: ``getenv(name)``, the variable's value or ``(unset)``.
"""

from __future__ import annotations

import os

from mcp.server.mcpserver import MCPServer

server = MCPServer("env")


@server.tool()
def getenv(name: str) -> str:
    """The value of an environment variable in this server's process."""
    return os.environ.get(name, "(unset)")


if __name__ == "__main__":
    server.run("stdio")
