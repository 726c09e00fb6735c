"""env reaches a stdio MCP server's process (ClaudeAgentOptions.env)."""
# expect: Based on mcp__config__region: westeurope

import asyncio
import sys
from pathlib import Path

from claude_agent_sdk import ClaudeAgentOptions, ResultMessage, query

SERVER = '''
import os
from mcp.server.mcpserver import MCPServer
server = MCPServer("config")

@server.tool()
def region() -> str:
    """The deployment region."""
    return os.environ.get("DEPLOY_REGION", "unset")

server.run("stdio")
'''


async def main():
    Path("config_server.py").write_text(SERVER)
    options = ClaudeAgentOptions(
        mcp_servers={"config": {"command": sys.executable, "args": ["config_server.py"]}},
        env={"DEPLOY_REGION": "westeurope"},
    )
    async for message in query(prompt="Call the region tool", options=options):
        if isinstance(message, ResultMessage):
            print(message.result)


asyncio.run(main())
