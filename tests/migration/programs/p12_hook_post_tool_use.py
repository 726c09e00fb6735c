"""A PostToolUse hook that reviews tool output and adds context (examples/hooks.py)."""
# expect: hook saw: mcp__utils__echo
# expect: Reviewed by the audit hook

import asyncio
from typing import Any

from claude_agent_sdk import (
    ClaudeAgentOptions,
    HookMatcher,
    ResultMessage,
    create_sdk_mcp_server,
    query,
    tool,
)


@tool("echo", "Echo a word back", {"word": str})
async def echo(args: dict[str, Any]) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": args["word"]}]}


async def review_tool_output(input_data, tool_use_id, context):
    print(f"hook saw: {input_data['tool_name']}")
    return {
        "hookSpecificOutput": {
            "hookEventName": "PostToolUse",
            "additionalContext": "Reviewed by the audit hook",
        }
    }


async def main():
    options = ClaudeAgentOptions(
        mcp_servers={"utils": create_sdk_mcp_server("utils", tools=[echo])},
        hooks={"PostToolUse": [HookMatcher(matcher=None, hooks=[review_tool_output])]},
    )
    async for message in query(prompt="Call echo with Banana", options=options):
        if isinstance(message, ResultMessage):
            print(message.result)


asyncio.run(main())
