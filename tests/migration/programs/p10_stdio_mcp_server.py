"""An external stdio MCP server in mcp_servers (README: MCP servers)."""
# expect: answer: Based on mcp__math__add: 42
# expect: servers: ['math']

import asyncio
import sys
from pathlib import Path

from claude_agent_sdk import ClaudeAgentOptions, ClaudeSDKClient, ResultMessage, SystemMessage

SERVER = '''
from mcp.server.mcpserver import MCPServer
server = MCPServer("math")

@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b

server.run("stdio")
'''


async def main():
    Path("math_server.py").write_text(SERVER)
    options = ClaudeAgentOptions(
        mcp_servers={"math": {"command": sys.executable, "args": ["math_server.py"]}},
        allowed_tools=["mcp__math__add"],
    )
    async with ClaudeSDKClient(options=options) as client:
        await client.query("Please use the add tool on 40 and 2")
        async for message in client.receive_response():
            if isinstance(message, SystemMessage) and message.subtype == "init":
                print(f"servers: {[s['name'] for s in message.data['mcp_servers']]}")
            if isinstance(message, ResultMessage):
                print(f"answer: {message.result}")


asyncio.run(main())
