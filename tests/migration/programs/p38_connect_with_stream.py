"""connect() with an async iterable of messages, then receive_messages() (streaming mode)."""
# expect: answer 1: Hello!
# expect: answer 2: Silent servers hum

import asyncio

from claude_agent_sdk import ClaudeSDKClient, ResultMessage


async def user_messages():
    yield {"type": "user", "message": {"role": "user", "content": "hi there"}}
    await asyncio.sleep(0.2)
    yield {"type": "user", "message": {"role": "user", "content": "Now a haiku please"}}


async def main():
    client = ClaudeSDKClient()
    await client.connect(user_messages())
    answers = 0
    try:
        async for message in client.receive_messages():
            if isinstance(message, ResultMessage):
                answers += 1
                print(f"answer {answers}: {message.result.splitlines()[0][:30]}")
                if answers == 2:
                    break
    finally:
        await client.disconnect()


asyncio.run(main())
