"""A Stop hook runs when the answer is finished (examples/hooks.py)."""
# expect: stop hook fired: hook_event_name=Stop active=False
# expect: done: success

import asyncio

from claude_agent_sdk import ClaudeAgentOptions, HookMatcher, ResultMessage, query


async def on_stop(input_data, tool_use_id, context):
    print(
        f"stop hook fired: hook_event_name={input_data['hook_event_name']}"
        f" active={input_data['stop_hook_active']}"
    )
    return {}


async def main():
    options = ClaudeAgentOptions(hooks={"Stop": [HookMatcher(hooks=[on_stop])]})
    async for message in query(prompt="Write a haiku", options=options):
        if isinstance(message, ResultMessage):
            print(f"done: {message.subtype}")


asyncio.run(main())
