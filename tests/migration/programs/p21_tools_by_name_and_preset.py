"""tools= as a list of names, and the Claude preset form (examples/tools_option.py)."""
# expect: by name: ['Read', 'Grep']
# expect: preset has Read: True
# expect: read: Based on Read:
# expect: line one

from pathlib import Path

import anyio
from claude_agent_sdk import ClaudeAgentOptions, ResultMessage, SystemMessage, query


async def tools_of(options):
    async for message in query(prompt="Hello", options=options):
        if isinstance(message, SystemMessage) and message.subtype == "init":
            return message.data["tools"]


async def main():
    Path("readme.txt").write_text("line one\nline two\n")
    print(f"by name: {await tools_of(ClaudeAgentOptions(tools=['Read', 'Grep']))}")
    preset = ClaudeAgentOptions(tools={"type": "preset", "preset": "claude_code"})
    print(f"preset has Read: {'Read' in await tools_of(preset)}")
    async for message in query(
        prompt='Use Read {"file_path": "readme.txt"}', options=ClaudeAgentOptions(tools=["Read"])
    ):
        if isinstance(message, ResultMessage):
            print(f"read: {message.result}")


anyio.run(main)
