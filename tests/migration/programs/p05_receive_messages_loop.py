"""receive_messages() with an explicit break on the ResultMessage (streaming_mode.py)."""
# expect: got ResultMessage after 3 messages

import asyncio

from claude_agent_sdk import ClaudeSDKClient, ResultMessage


async def main():
    async with ClaudeSDKClient() as client:
        await client.query("What is the capital of France?")
        seen = 0
        async for message in client.receive_messages():
            seen += 1
            if isinstance(message, ResultMessage):
                print(f"got ResultMessage after {seen} messages")
                break


asyncio.run(main())
