"""disallowed_tools removes tools even when allowed_tools names them."""
# expect: tools: ['Read']
# expect: no Write: True

import anyio
from claude_agent_sdk import ClaudeAgentOptions, SystemMessage, query


async def main():
    options = ClaudeAgentOptions(
        allowed_tools=["Read", "Write"], disallowed_tools=["Write", "Bash"]
    )
    async for message in query(prompt="Hello", options=options):
        if isinstance(message, SystemMessage) and message.subtype == "init":
            print(f"tools: {message.data['tools']}")
            print(f"no Write: {'Write' not in message.data['tools']}")


anyio.run(main)
