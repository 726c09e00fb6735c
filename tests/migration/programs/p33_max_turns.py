"""max_turns bounds the tool loop: the result says error_max_turns."""
# expect: subtype=error_max_turns turns=1

import anyio
from claude_agent_sdk import ClaudeAgentOptions, ResultMessage, query, tool


@tool("fetch_page", "Fetch a page", {"url": str})
async def fetch_page(args):
    return {"content": [{"type": "text", "text": "<html>...</html>"}]}


async def main():
    options = ClaudeAgentOptions(tools=[fetch_page], max_turns=1)
    async for message in query(prompt="Use fetch_page on Example", options=options):
        if isinstance(message, ResultMessage):
            print(f"subtype={message.subtype} turns={message.num_turns}")


anyio.run(main)
