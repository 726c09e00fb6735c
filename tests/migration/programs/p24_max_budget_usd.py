"""max_budget_usd stops a run whose cost passes it (examples/max_budget_usd.py)."""
# expect: subtype: error_max_budget_usd
# expect: is_error: True
# expect: roomy budget: success

import anyio
from claude_agent_sdk import ClaudeAgentOptions, ResultMessage, query, tool


@tool("step", "Do one step of the job", {"n": int})
async def step(args):
    return {"content": [{"type": "text", "text": f"step {args['n']} done"}]}


async def main():
    tight = ClaudeAgentOptions(tools=[step], max_budget_usd=0.0000001, max_turns=5)
    async for message in query(prompt="Use step 1 then report", options=tight):
        if isinstance(message, ResultMessage):
            print(f"subtype: {message.subtype}")
            print(f"is_error: {message.is_error}")
    roomy = ClaudeAgentOptions(max_budget_usd=5.0)
    async for message in query(prompt="Write a haiku", options=roomy):
        if isinstance(message, ResultMessage):
            print(f"roomy budget: {message.subtype}")


anyio.run(main)
