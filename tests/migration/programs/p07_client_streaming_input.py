"""ClaudeSDKClient.query() with an async iterable of messages, answered in order."""
# expect: 1: Hello!
# expect: 2: The capital of France is **Paris**

import asyncio

from claude_agent_sdk import ClaudeSDKClient, ResultMessage


async def main():
    async def message_stream():
        for text in ("hello there", "What is the capital of France?"):
            yield {"type": "user", "message": {"role": "user", "content": text}}

    async with ClaudeSDKClient() as client:
        await client.query(message_stream())
        for n in (1, 2):
            async for message in client.receive_response():
                if isinstance(message, ResultMessage):
                    print(f"{n}: {message.result[:40]}")


asyncio.run(main())
