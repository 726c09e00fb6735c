"""can_use_tool decides each call (examples/tool_permission_callback.py)."""
# expect: asked: Write
# expect: denied: Writing outside notes/ is not allowed
# expect: asked: Read
# expect: read ok: True
# expect: hack.txt exists: False

import asyncio
from pathlib import Path

from claude_agent_sdk import (
    ClaudeAgentOptions,
    ClaudeSDKClient,
    PermissionResultAllow,
    PermissionResultDeny,
    ResultMessage,
    ToolPermissionContext,
    ToolResultBlock,
    UserMessage,
)


async def my_permission_callback(tool_name: str, input_data: dict, context: ToolPermissionContext):
    print(f"asked: {tool_name}")
    if tool_name in ("Read", "Glob", "Grep"):
        return PermissionResultAllow()
    if tool_name == "Write" and not str(input_data.get("file_path", "")).startswith("notes/"):
        return PermissionResultDeny(message="Writing outside notes/ is not allowed")
    return PermissionResultAllow()


async def main():
    Path("todo.txt").write_text("buy milk\n")
    options = ClaudeAgentOptions(
        can_use_tool=my_permission_callback,
        tools=["Read", "Write"],
        permission_mode="default",
    )
    async with ClaudeSDKClient(options) as client:
        await client.query('Use Write {"file_path": "hack.txt", "content": "x"}')
        async for message in client.receive_response():
            if isinstance(message, UserMessage) and isinstance(message.content, list):
                for block in message.content:
                    if isinstance(block, ToolResultBlock) and block.is_error:
                        print(f"denied: {block.content}")
        await client.query('Use Read {"file_path": "todo.txt"}')
        async for message in client.receive_response():
            if isinstance(message, ResultMessage):
                print(f"read ok: {'buy milk' in message.result}")
    print(f"hack.txt exists: {Path('hack.txt').exists()}")


asyncio.run(main())
