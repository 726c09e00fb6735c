"""Interrupt a running task from another task (streaming_mode.py, example_with_interrupt)."""
# expect: interrupted quickly: True
# expect: after interrupt: The capital of France is **Paris**

import asyncio
import time

from claude_agent_sdk import (
    ClaudeAgentOptions,
    ClaudeSDKClient,
    ResultMessage,
    create_sdk_mcp_server,
    tool,
)


@tool("wait", "Wait for a long job to finish", {"seconds": int})
async def wait(args):
    await asyncio.sleep(args["seconds"])
    return {"content": [{"type": "text", "text": "finished"}]}


async def main():
    server = create_sdk_mcp_server(name="jobs", version="1.0.0", tools=[wait])
    options = ClaudeAgentOptions(mcp_servers={"jobs": server}, allowed_tools=["mcp__jobs__wait"])
    async with ClaudeSDKClient(options=options) as client:
        await client.query("Use the wait tool for 30 seconds")
        started = time.monotonic()

        async def stop_soon():
            await asyncio.sleep(0.5)
            await client.interrupt()

        stopper = asyncio.create_task(stop_soon())
        async for _ in client.receive_response():
            pass
        await stopper
        print(f"interrupted quickly: {time.monotonic() - started < 10}")

        await client.query("What is the capital of France?")
        async for message in client.receive_response():
            if isinstance(message, ResultMessage):
                print(f"after interrupt: {message.result[:40]}")


asyncio.run(main())
