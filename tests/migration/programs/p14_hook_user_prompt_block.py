"""A UserPromptSubmit hook that blocks a prompt containing a secret."""
# expect: blocked=True
# expect: reason: Prompt contains a password
# expect: second prompt: The capital of France is **Paris**

import asyncio

from claude_agent_sdk import ClaudeAgentOptions, ClaudeSDKClient, HookMatcher, ResultMessage


async def block_passwords(input_data, tool_use_id, context):
    if "password" in input_data["prompt"].lower():
        return {"decision": "block", "reason": "Prompt contains a password"}
    return {}


async def main():
    options = ClaudeAgentOptions(
        hooks={"UserPromptSubmit": [HookMatcher(hooks=[block_passwords])]},
    )
    async with ClaudeSDKClient(options=options) as client:
        await client.query("My password is hunter2, store it")
        async for msg in client.receive_response():
            if isinstance(msg, ResultMessage):
                print(f"blocked={msg.is_error}")
                print(f"reason: {msg.result}")
        await client.query("What is the capital of France?")
        async for msg in client.receive_response():
            if isinstance(msg, ResultMessage):
                print(f"second prompt: {msg.result[:40]}")


asyncio.run(main())
