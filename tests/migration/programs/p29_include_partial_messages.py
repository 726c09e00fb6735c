"""include_partial_messages: StreamEvent deltas (examples/include_partial_messages.py)."""
# expect: deltas add up: True
# expect: first event: content_block_delta

import asyncio

from claude_agent_sdk import ClaudeAgentOptions, ClaudeSDKClient, ResultMessage, StreamEvent


async def main():
    options = ClaudeAgentOptions(include_partial_messages=True, max_turns=1)
    parts = []
    first = None
    async with ClaudeSDKClient(options) as client:
        await client.query("Write a haiku")
        async for message in client.receive_response():
            if isinstance(message, StreamEvent):
                event = message.event
                if event.get("type") == "content_block_delta":
                    first = first or event["type"]
                    delta = event["delta"]
                    if delta.get("type") == "text_delta":
                        parts.append(delta["text"])
            elif isinstance(message, ResultMessage):
                print(f"deltas add up: {''.join(parts) == message.result}")
    print(f"first event: {first}")


asyncio.run(main())
