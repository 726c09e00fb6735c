"""Permission modes side by side on one client, and receive_response() waiting for a later query."""
# expect: default: asked=['Write'] written=True read_ok=True
# expect: acceptEdits: asked=[] written=True read_ok=True
# expect: plan: asked=[] written=False read_ok=True
# expect: bypassPermissions: asked=[] written=True read_ok=True
# expect: dontAsk: asked=[] written=False read_ok=True
# expect: shadowed warning: True
# expect: early receiver got: Hello!

import asyncio
import json
import warnings
from pathlib import Path

from claude_agent_sdk import (
    CanUseToolShadowedWarning,
    ClaudeAgentOptions,
    ClaudeSDKClient,
    PermissionResultAllow,
    ResultMessage,
    ToolResultBlock,
    UserMessage,
)

asked = []


async def permission(tool_name, input_data, context):
    asked.append(tool_name)
    return PermissionResultAllow()


async def tool_ok(client, prompt):
    await client.query(prompt)
    ok = False
    async for message in client.receive_response():
        if isinstance(message, UserMessage) and isinstance(message.content, list):
            ok = any(isinstance(b, ToolResultBlock) and not b.is_error for b in message.content)
    return ok


async def main():
    Path("readme.txt").write_text("hello")
    options = ClaudeAgentOptions(
        tools=["Read", "Write"], allowed_tools=["Read"], can_use_tool=permission
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with ClaudeSDKClient(options=options) as client:
            for mode in (
                "default",
                "acceptEdits",
                "plan",
                "bypassPermissions",
                "dontAsk",
            ):
                asked.clear()
                await client.set_permission_mode(mode)
                target = f"{mode}.txt"
                write = {"file_path": target, "content": mode}
                await tool_ok(client, f"Use Write {json.dumps(write)}")
                read_ok = await tool_ok(client, 'Use Read {"file_path": "readme.txt"}')
                print(f"{mode}: asked={asked} written={Path(target).exists()} read_ok={read_ok}")
    shadowed = any(issubclass(w.category, CanUseToolShadowedWarning) for w in caught)
    print(f"shadowed warning: {shadowed}")

    async with ClaudeSDKClient() as client:

        async def early_receiver():
            async for message in client.receive_response():
                if isinstance(message, ResultMessage):
                    print(f"early receiver got: {message.result}")

        receiver = asyncio.create_task(early_receiver())
        await asyncio.sleep(0.2)
        await client.query("hello")
        await asyncio.wait_for(receiver, 60)


asyncio.run(main())
