"""permission_mode="plan": the agent may look but not change files."""
# expect: plan.txt written: False
# expect: refused: True

import asyncio
from pathlib import Path

from claude_agent_sdk import ClaudeAgentOptions, ResultMessage, ToolResultBlock, UserMessage, query


async def main():
    options = ClaudeAgentOptions(permission_mode="plan", allowed_tools=["Read", "Write"])
    refused = False
    async for message in query(
        prompt='Use Write {"file_path": "plan.txt", "content": "step 1"}', options=options
    ):
        if isinstance(message, UserMessage) and isinstance(message.content, list):
            refused = any(isinstance(b, ToolResultBlock) and b.is_error for b in message.content)
        if isinstance(message, ResultMessage):
            pass
    print(f"plan.txt written: {Path('plan.txt').exists()}")
    print(f"refused: {refused}")


asyncio.run(main())
