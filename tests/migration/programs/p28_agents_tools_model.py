"""A subagent with its own tools (an MCP tool) and its own model, on a ClaudeSDKClient."""
# expect: subagent model: gpt-4o-mini-2024-07-18
# expect: subagent tool: mcp__calc__add
# expect: Based on Task: Based on mcp__calc__add: 5
# expect: SubagentStop fired: accountant

import asyncio

from claude_agent_sdk import (
    AgentDefinition,
    AssistantMessage,
    ClaudeAgentOptions,
    ClaudeSDKClient,
    HookMatcher,
    ResultMessage,
    ToolUseBlock,
    create_sdk_mcp_server,
    tool,
)


@tool("add", "Add two integers", {"a": int, "b": int})
async def add(args):
    return {"content": [{"type": "text", "text": str(args["a"] + args["b"])}]}


async def subagent_stop(input_data, tool_use_id, context):
    print(f"SubagentStop fired: {input_data.get('agent_type')}")
    return {}


async def main():
    options = ClaudeAgentOptions(
        mcp_servers={"calc": create_sdk_mcp_server("calc", tools=[add])},
        agents={
            "accountant": AgentDefinition(
                description="Does sums with the calculator",
                prompt="You add numbers with the add tool.",
                tools=["mcp__calc__add"],
                model="gpt-4o-mini",
            )
        },
        hooks={"SubagentStop": [HookMatcher(hooks=[subagent_stop])]},
    )
    async with ClaudeSDKClient(options=options) as client:
        await client.query("Ask the accountant agent: use the add tool on 2 and 3")
        async for message in client.receive_response():
            if isinstance(message, AssistantMessage) and message.parent_tool_use_id:
                print(f"subagent model: {message.model}")
                for block in message.content:
                    if isinstance(block, ToolUseBlock):
                        print(f"subagent tool: {block.name}")
            elif isinstance(message, ResultMessage):
                print(message.result)


asyncio.run(main())
