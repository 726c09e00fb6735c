"""Following subagent tasks with TaskStartedMessage / TaskNotificationMessage."""
# expect: started: Ask the researcher agent: find
# expect: finished: completed tokens>0: True
# expect: still a SystemMessage: True

import asyncio

from claude_agent_sdk import (
    AgentDefinition,
    ClaudeAgentOptions,
    ClaudeSDKClient,
    SystemMessage,
    TaskNotificationMessage,
    TaskStartedMessage,
)


async def main():
    options = ClaudeAgentOptions(
        agents={"researcher": AgentDefinition(description="Finds facts", prompt="Research.")}
    )
    async with ClaudeSDKClient(options=options) as client:
        await client.query("Ask the researcher agent: find the capital of France")
        async for message in client.receive_response():
            if isinstance(message, TaskStartedMessage):
                print(f"started: {message.description}")
            elif isinstance(message, TaskNotificationMessage):
                print(f"finished: {message.status} tokens>0: {message.usage['total_tokens'] > 0}")
                print(f"still a SystemMessage: {isinstance(message, SystemMessage)}")


asyncio.run(main())
