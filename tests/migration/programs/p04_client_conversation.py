"""A multi-turn conversation with ClaudeSDKClient (examples/streaming_mode.py)."""
# expect: (turn 1 of this conversation)
# expect: (turn 2 of this conversation)
# expect: results=2

import asyncio

from claude_agent_sdk import (
    AssistantMessage,
    ClaudeSDKClient,
    ResultMessage,
    TextBlock,
)


async def example_multi_turn_conversation():
    results = 0
    async with ClaudeSDKClient() as client:
        for prompt in ("Describe the water cycle", "Now summarise that in one line"):
            await client.query(prompt)
            async for message in client.receive_response():
                if isinstance(message, AssistantMessage):
                    for block in message.content:
                        if isinstance(block, TextBlock):
                            print(block.text.splitlines()[-1])
                elif isinstance(message, ResultMessage):
                    results += 1
    print(f"results={results}")


asyncio.run(example_multi_turn_conversation())
