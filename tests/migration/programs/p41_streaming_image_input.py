"""Streaming input with an image block (Claude's base64 image source)."""
# expect: Image 1: 4x3 PNG (detail auto), mostly **red**
# expect: You asked: *Describe this chart*
# expect: success

import asyncio

from claude_agent_sdk import ClaudeSDKClient, ResultMessage

PNG = (  # a 4x3 red PNG
    "iVBORw0KGgoAAAANSUhEUgAAAAQAAAADCAIAAAA7ljmRAAAAFElEQVR4nGM8ISfHAANMDEgAhQMAJtoBCkAA"
    "Ow8AAAAASUVORK5CYII="
)


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
                print(message.result)
                print(message.subtype)


asyncio.run(main())
