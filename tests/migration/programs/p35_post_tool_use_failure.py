"""A tool that fails: the model sees the error; PostToolUseFailure hooks fire."""
# expect: failure hook: mcp__db__query_orders
# expect: error result: True

import asyncio

from claude_agent_sdk import (
    ClaudeAgentOptions,
    ClaudeSDKClient,
    HookMatcher,
    ToolResultBlock,
    UserMessage,
    create_sdk_mcp_server,
    tool,
)


@tool("query_orders", "Look up orders", {"customer": str})
async def query_orders(args):
    raise RuntimeError("database is down")


async def on_failure(input_data, tool_use_id, context):
    print(f"failure hook: {input_data['tool_name']}")
    return {}


async def main():
    options = ClaudeAgentOptions(
        mcp_servers={"db": create_sdk_mcp_server("db", tools=[query_orders])},
        hooks={"PostToolUseFailure": [HookMatcher(hooks=[on_failure])]},
    )
    async with ClaudeSDKClient(options=options) as client:
        await client.query("Use the query_orders tool for Acme")
        async for message in client.receive_response():
            if isinstance(message, UserMessage) and isinstance(message.content, list):
                for block in message.content:
                    if isinstance(block, ToolResultBlock):
                        print(f"error result: {block.is_error}")


asyncio.run(main())
