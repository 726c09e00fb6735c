"""system_prompt from a file, and a conversation that keeps it (examples/system_prompt.py)."""
# expect: file prompt: success
# expect: turn 2: (turn 2 of this conversation)

import asyncio
from pathlib import Path

from claude_agent_sdk import ClaudeAgentOptions, ClaudeSDKClient, ResultMessage


async def main():
    Path("style.md").write_text("Answer like a friendly librarian.\n")
    options = ClaudeAgentOptions(system_prompt={"type": "file", "path": "style.md"})
    async with ClaudeSDKClient(options=options) as client:
        await client.query("Recommend a book about rivers")
        async for message in client.receive_response():
            if isinstance(message, ResultMessage):
                print(f"file prompt: {message.subtype}")
        await client.query("And one about mountains")
        async for message in client.receive_response():
            if isinstance(message, ResultMessage):
                print(f"turn 2: {message.result.splitlines()[-1]}")


asyncio.run(main())
