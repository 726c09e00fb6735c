"""Hooks for every Claude event can be registered; typed inputs from claude_agent_sdk.types."""
# expect: registered 8 events
# expect: fired: ['PostToolUse', 'PreToolUse', 'Stop', 'UserPromptSubmit']

import asyncio

from claude_agent_sdk import ClaudeAgentOptions, HookMatcher, ResultMessage, query, tool
from claude_agent_sdk.types import HookContext, HookInput, HookJSONOutput

fired = set()


async def record(
    input_data: HookInput, tool_use_id: str | None, context: HookContext
) -> HookJSONOutput:
    fired.add(input_data["hook_event_name"])
    return {"continue_": True}


@tool("lookup", "Look a word up", {"word": str})
async def lookup(args):
    return {"content": [{"type": "text", "text": f"{args['word']}: a fruit"}]}


async def main():
    events = [
        "PreToolUse",
        "PostToolUse",
        "UserPromptSubmit",
        "Stop",
        "SubagentStop",
        "PreCompact",
        "Notification",
        "PostToolUseFailure",
    ]
    options = ClaudeAgentOptions(
        tools=[lookup],
        hooks={event: [HookMatcher(hooks=[record])] for event in events},
    )
    print(f"registered {len(events)} events")
    async for message in query(prompt="Use lookup for Mango", options=options):
        if isinstance(message, ResultMessage):
            print(f"fired: {sorted(fired)}")


asyncio.run(main())
