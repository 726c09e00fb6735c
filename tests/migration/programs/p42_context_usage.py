"""get_context_usage() as a conversation grows (ClaudeSDKClient docstring example)."""
# expect: grew: True
# expect: categories: ['System prompt', 'Tools', 'Messages']

import asyncio

from claude_agent_sdk import ClaudeAgentOptions, ClaudeSDKClient


async def main():
    options = ClaudeAgentOptions(system_prompt="You are concise.")
    async with ClaudeSDKClient(options) as client:
        before = await client.get_context_usage()
        await client.query("Explain the water cycle")
        async for _ in client.receive_response():
            pass
        usage = await client.get_context_usage()
        print(f"grew: {usage['totalTokens'] > before['totalTokens']}")
        print(f"categories: {[cat['name'] for cat in usage['categories']]}")


asyncio.run(main())
