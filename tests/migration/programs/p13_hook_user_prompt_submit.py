"""A UserPromptSubmit hook that adds context to every prompt (examples/hooks.py)."""
# expect: prompt seen: Summarise the release notes
# expect: codename BLUEBIRD

import asyncio

from claude_agent_sdk import ClaudeAgentOptions, ClaudeSDKClient, HookMatcher, ResultMessage


async def add_custom_instructions(input_data, tool_use_id, context):
    print(f"prompt seen: {input_data['prompt']}")
    return {
        "hookSpecificOutput": {
            "hookEventName": "UserPromptSubmit",
            "additionalContext": "The project codename BLUEBIRD must be mentioned.",
        }
    }


async def main():
    options = ClaudeAgentOptions(
        hooks={"UserPromptSubmit": [HookMatcher(matcher=None, hooks=[add_custom_instructions])]}
    )
    async with ClaudeSDKClient(options=options) as client:
        await client.query("Summarise the release notes")
        async for msg in client.receive_response():
            if isinstance(msg, ResultMessage):
                print(msg.result)


asyncio.run(main())
