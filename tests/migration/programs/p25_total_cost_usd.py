"""total_cost_usd and usage on the ResultMessage (README: cost tracking)."""
# expect: cost is positive: True
# expect: has tokens: True

import anyio
from claude_agent_sdk import ResultMessage, query


async def main():
    async for message in query(prompt="What is the capital of France?"):
        if isinstance(message, ResultMessage):
            if message.total_cost_usd and message.total_cost_usd > 0:
                print(f"Cost: ${message.total_cost_usd:.6f}")
            print(f"cost is positive: {message.total_cost_usd > 0}")
            usage = message.usage
            print(f"has tokens: {usage['input_tokens'] > 0 and usage['output_tokens'] > 0}")


anyio.run(main)
