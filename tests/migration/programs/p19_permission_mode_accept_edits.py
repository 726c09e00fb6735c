"""permission_mode="acceptEdits": edits run without asking; set_permission_mode later."""
# expect: asked for: []
# expect: notes.txt: draft
# expect: after bypass: []

import asyncio
from pathlib import Path

from claude_agent_sdk import ClaudeAgentOptions, ClaudeSDKClient, PermissionResultAllow

asked = []


async def ask(tool_name, input_data, context):
    asked.append(tool_name)
    return PermissionResultAllow()


async def main():
    options = ClaudeAgentOptions(
        permission_mode="acceptEdits", tools=["Write", "Read"], can_use_tool=ask
    )
    async with ClaudeSDKClient(options=options) as client:
        await client.query('Use Write {"file_path": "notes.txt", "content": "draft"}')
        async for _ in client.receive_response():
            pass
        print(f"asked for: {asked}")
        print(f"notes.txt: {Path('notes.txt').read_text()}")
        await client.set_permission_mode("bypassPermissions")
        await client.query('Use Read {"file_path": "notes.txt"}')
        async for _ in client.receive_response():
            pass
        print(f"after bypass: {asked}")


asyncio.run(main())
