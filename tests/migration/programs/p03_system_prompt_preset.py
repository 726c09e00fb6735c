"""system_prompt in the preset form with an appended instruction (examples/system_prompt.py)."""
# expect: preset: success
# expect: string: success

import anyio
from claude_agent_sdk import ClaudeAgentOptions, ResultMessage, query


async def run(label, system_prompt):
    options = ClaudeAgentOptions(system_prompt=system_prompt)
    async for message in query(prompt="Say hello", options=options):
        if isinstance(message, ResultMessage):
            print(f"{label}: {message.subtype}")


async def main():
    await run(
        "preset",
        {"type": "preset", "preset": "claude_code", "append": "Always end with a smiley."},
    )
    await run("string", "You are a pirate.")


anyio.run(main)
