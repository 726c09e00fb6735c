"""get_server_info() and get_mcp_status() on a connected client."""
# expect: model set: True
# expect: tools: ['mcp__notes__save']
# expect: mcp: notes connected ['save']

import asyncio

from claude_agent_sdk import ClaudeAgentOptions, ClaudeSDKClient, create_sdk_mcp_server, tool


@tool("save", "Save a note", {"text": str})
async def save(args):
    return {"content": [{"type": "text", "text": "saved"}]}


async def main():
    options = ClaudeAgentOptions(
        mcp_servers={"notes": create_sdk_mcp_server("notes", tools=[save])}
    )
    async with ClaudeSDKClient(options=options) as client:
        info = await client.get_server_info()
        if info:
            print(f"model set: {bool(info.get('model'))}")
            print(f"tools: {info['tools']}")
            print(f"Output style: {info.get('output_style', 'default')}")
        status = await client.get_mcp_status()
        for server in status["mcpServers"]:
            tools = [t["name"] for t in server.get("tools", [])]
            print(f"mcp: {server['name']} {server['status']} {tools}")


asyncio.run(main())
