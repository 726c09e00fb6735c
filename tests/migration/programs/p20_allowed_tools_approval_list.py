"""allowed_tools names tools that do not exist here: accepted, never an error."""
# expect: offered: ['Read', 'Grep']
# expect: subtype: success

import anyio
from claude_agent_sdk import ClaudeAgentOptions, ResultMessage, SystemMessage, query


async def main():
    options = ClaudeAgentOptions(
        allowed_tools=["Read", "Grep", "WebSearch", "TodoWrite", "mcp__github__list_issues"],
        max_turns=3,
    )
    async for message in query(prompt="What is the capital of France?", options=options):
        if isinstance(message, SystemMessage) and message.subtype == "init":
            print(f"offered: {message.data['tools']}")
        elif isinstance(message, ResultMessage):
            print(f"subtype: {message.subtype}")


anyio.run(main)
