"""In-process MCP server with @tool (examples/mcp_calculator.py)."""
# expect: tool call: mcp__calc__add {'a': 15, 'b': 27}
# expect: result: 42

import asyncio
from typing import Any

from claude_agent_sdk import (
    AssistantMessage,
    ClaudeAgentOptions,
    ClaudeSDKClient,
    ResultMessage,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
    create_sdk_mcp_server,
    tool,
)


@tool("add", "Add two numbers", {"a": float, "b": float})
async def add_numbers(args: dict[str, Any]) -> dict[str, Any]:
    result = args["a"] + args["b"]
    return {"content": [{"type": "text", "text": f"{args['a']} + {args['b']} = {result:g}"}]}


@tool("multiply", "Multiply two numbers", {"a": float, "b": float})
async def multiply_numbers(args: dict[str, Any]) -> dict[str, Any]:
    result = args["a"] * args["b"]
    return {"content": [{"type": "text", "text": f"{args['a']} × {args['b']} = {result:g}"}]}


async def main():
    calculator = create_sdk_mcp_server(
        name="calculator", version="2.0.0", tools=[add_numbers, multiply_numbers]
    )
    options = ClaudeAgentOptions(
        mcp_servers={"calc": calculator},
        allowed_tools=["mcp__calc__add", "mcp__calc__multiply"],
    )
    async with ClaudeSDKClient(options=options) as client:
        await client.query("Use the add tool to add 15 and 27")
        async for message in client.receive_response():
            if isinstance(message, AssistantMessage):
                for block in message.content:
                    if isinstance(block, ToolUseBlock):
                        print(f"tool call: {block.name} {block.input}")
            elif isinstance(message, UserMessage) and isinstance(message.content, list):
                for block in message.content:
                    if isinstance(block, ToolResultBlock):
                        print(f"result: {str(block.content).split('= ')[-1]}")
            elif isinstance(message, ResultMessage):
                print(f"final: {message.result}")


asyncio.run(main())
