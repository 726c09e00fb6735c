"""query() with options: system prompt and max_turns (examples/quick_start.py)."""
# expect: Claude: Hello!
# expect: turns=1

import anyio
from claude_agent_sdk import AssistantMessage, ClaudeAgentOptions, ResultMessage, TextBlock, query


async def with_options_example():
    options = ClaudeAgentOptions(
        system_prompt="You are a helpful assistant that explains things simply.",
        max_turns=1,
    )
    async for message in query(prompt="Hello, who are you?", options=options):
        if isinstance(message, AssistantMessage):
            for block in message.content:
                if isinstance(block, TextBlock):
                    print(f"Claude: {block.text}")
        elif isinstance(message, ResultMessage):
            print(f"turns={message.num_turns}")


anyio.run(with_options_example)
