"""Streaming input with an image block (Claude's base64 image source)."""
# expect: You asked: *Describe this chart*
# expect: success

import asyncio
import base64

from claude_agent_sdk import ClaudeSDKClient, ResultMessage

PNG = base64.b64encode(bytes.fromhex("89504e470d0a1a0a")).decode()


async def chart_message():
    yield {
        "type": "user",
        "message": {
            "role": "user",
            "content": [
                {"type": "text", "text": "Describe this chart"},
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": PNG},
                },
            ],
        },
    }


async def main():
    async with ClaudeSDKClient() as client:
        await client.query(chart_message())
        async for message in client.receive_response():
            if isinstance(message, ResultMessage):
                print(message.result.splitlines()[2])
                print(message.subtype)


asyncio.run(main())
