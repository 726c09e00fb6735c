"""Quick start: one question with query() (README of the Claude Agent SDK)."""
# expect: Claude: The capital of France is **Paris**
# expect: subtype=success

import anyio
from claude_agent_sdk import AssistantMessage, ResultMessage, TextBlock, query


async def main():
    async for message in query(prompt="What is the capital of France?"):
        if isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, TextBlock):
                    print(f"Claude: {block.text}")
        elif isinstance(message, ResultMessage):
            print(f"subtype={message.subtype}")


anyio.run(main)
