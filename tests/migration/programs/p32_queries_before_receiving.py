"""Several queries before receiving: answered in order, one ResultMessage each."""
# expect: 1 -> Hello!
# expect: 2 -> The capital of France is **Paris**
# expect: 3 -> Silent servers hum

import asyncio

from claude_agent_sdk import ClaudeSDKClient, ResultMessage


async def main():
    async with ClaudeSDKClient() as client:
        await client.query("hello")
        await client.query("What is the capital of France?")
        await client.query("Write a haiku")
        for n in (1, 2, 3):
            async for message in client.receive_response():
                if isinstance(message, ResultMessage):
                    print(f"{n} -> {message.result.splitlines()[0][:40]}")


asyncio.run(main())
