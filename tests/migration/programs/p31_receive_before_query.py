"""A consumer task started before the query (streaming_mode.py, concurrent responses)."""
# expect: consumer got: Hello!
# expect: consumer got: The capital of France is **Paris**

import asyncio

from claude_agent_sdk import ClaudeSDKClient, ResultMessage


async def main():
    async with ClaudeSDKClient() as client:
        answered = 0

        async def receive_messages():
            nonlocal answered
            async for message in client.receive_messages():
                if isinstance(message, ResultMessage):
                    print(f"consumer got: {message.result[:40]}")
                    answered += 1
                    if answered == 2:
                        return

        consumer = asyncio.create_task(receive_messages())
        await asyncio.sleep(0.1)
        await client.query("hello")
        await asyncio.sleep(0.1)
        await client.query("What is the capital of France?")
        await asyncio.wait_for(consumer, 60)


asyncio.run(main())
