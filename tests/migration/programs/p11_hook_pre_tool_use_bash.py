"""A PreToolUse hook that blocks a Bash command (examples/hooks.py, check_bash_command)."""
# expect: blocked: Command contains invalid pattern: foo.sh
# expect: allowed: Based on Bash: hello from bash

import asyncio

from claude_agent_sdk import ClaudeAgentOptions, ClaudeSDKClient
from claude_agent_sdk.types import (
    HookContext,
    HookInput,
    HookJSONOutput,
    HookMatcher,
    ResultMessage,
    ToolResultBlock,
    UserMessage,
)


async def check_bash_command(
    input_data: HookInput, tool_use_id: str | None, context: HookContext
) -> HookJSONOutput:
    """Prevent certain bash commands from being executed."""
    tool_name = input_data["tool_name"]
    tool_input = input_data["tool_input"]
    if tool_name != "Bash":
        return {}
    command = tool_input.get("command", "")
    for pattern in ["foo.sh"]:
        if pattern in command:
            return {
                "hookSpecificOutput": {
                    "hookEventName": "PreToolUse",
                    "permissionDecision": "deny",
                    "permissionDecisionReason": f"Command contains invalid pattern: {pattern}",
                }
            }
    return {}


async def main():
    options = ClaudeAgentOptions(
        allowed_tools=["Bash"],
        hooks={"PreToolUse": [HookMatcher(matcher="Bash", hooks=[check_bash_command])]},
    )
    async with ClaudeSDKClient(options=options) as client:
        await client.query('Run Bash {"command": "./foo.sh --help"}')
        async for msg in client.receive_response():
            if isinstance(msg, UserMessage) and isinstance(msg.content, list):
                for block in msg.content:
                    if isinstance(block, ToolResultBlock) and block.is_error:
                        print(f"blocked: {block.content}")
        await client.query('Run Bash {"command": "echo hello from bash"}')
        async for msg in client.receive_response():
            if isinstance(msg, ResultMessage):
                print(f"allowed: {msg.result.strip()}")


asyncio.run(main())
