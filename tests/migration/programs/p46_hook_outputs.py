"""Hook outputs from the hooks guide: ask, updatedInput, PermissionRequest, continue_, async_."""
# expect: reason forwarded: needs a human look
# expect: rewritten path used: True
# expect: permission hook denied: True
# expect: stopped: True
# expect: async hook ok: success
# expect: stop hook turns: 2 active flags: [False, True]
# expect: subagent hooks: ['SubagentStart', 'SubagentStop']

import asyncio
from pathlib import Path

from claude_agent_sdk import (
    AgentDefinition,
    ClaudeAgentOptions,
    HookMatcher,
    PermissionResultAllow,
    ResultMessage,
    ToolResultBlock,
    UserMessage,
    query,
)


async def results(prompt, options):
    blocks, result = [], None
    async for message in query(prompt=prompt, options=options):
        if isinstance(message, UserMessage) and isinstance(message.content, list):
            blocks += [b for b in message.content if isinstance(b, ToolResultBlock)]
        if isinstance(message, ResultMessage):
            result = message
    return blocks, result


async def main():
    Path("safe.txt").write_text("safe contents")
    Path("secret.txt").write_text("do not show")

    async def ask_human(input_data, tool_use_id, context):
        return {
            "hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": "ask",
                "permissionDecisionReason": "needs a human look",
            }
        }

    async def permission(tool_name, input_data, context):
        print(f"reason forwarded: {context.decision_reason}")
        return PermissionResultAllow()

    options = ClaudeAgentOptions(
        allowed_tools=["Read"],
        can_use_tool=permission,
        hooks={"PreToolUse": [HookMatcher("Read", [ask_human])]},
    )
    await results('Use Read {"file_path": "safe.txt"}', options)

    async def redirect(input_data, tool_use_id, context):
        return {
            "hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": "allow",
                "updatedInput": {"file_path": "safe.txt"},
            }
        }

    options = ClaudeAgentOptions(
        tools=["Read"], hooks={"PreToolUse": [HookMatcher("Read", [redirect])]}
    )
    blocks, _ = await results('Use Read {"file_path": "secret.txt"}', options)
    print(f"rewritten path used: {'safe contents' in str(blocks[0].content)}")

    async def refuse(input_data, tool_use_id, context):
        return {
            "hookSpecificOutput": {
                "hookEventName": "PermissionRequest",
                "decision": {"behavior": "deny", "message": "not today"},
            }
        }

    options = ClaudeAgentOptions(
        tools=["Read"], hooks={"PermissionRequest": [HookMatcher(hooks=[refuse])]}
    )
    blocks, _ = await results('Use Read {"file_path": "safe.txt"}', options)
    print(
        "permission hook denied:",
        bool(blocks[0].is_error) and "not today" in str(blocks[0].content),
    )

    async def halt(input_data, tool_use_id, context):
        return {"continue_": False, "stopReason": "halted by policy"}

    options = ClaudeAgentOptions(tools=["Read"], hooks={"PreToolUse": [HookMatcher(hooks=[halt])]})
    blocks, result = await results('Use Read {"file_path": "safe.txt"}', options)
    print(f"stopped: {result.is_error and blocks[0].content == 'halted by policy'}")

    async def background(input_data, tool_use_id, context):
        return {"async_": True, "asyncTimeout": 1000}

    options = ClaudeAgentOptions(
        tools=["Read"],
        hooks={
            "PreToolUse": [HookMatcher(hooks=[background])],
            "PostToolUse": [HookMatcher(hooks=[background])],
        },
    )
    _, result = await results('Use Read {"file_path": "safe.txt"}', options)
    print(f"async hook ok: {result.subtype}")

    flags = []

    async def keep_going(input_data, tool_use_id, context):
        flags.append(input_data["stop_hook_active"])
        if input_data["stop_hook_active"]:
            return {}
        return {"decision": "block", "reason": "Also write a haiku"}

    options = ClaudeAgentOptions(hooks={"Stop": [HookMatcher(hooks=[keep_going])]})
    _, result = await results("hello", options)
    print(f"stop hook turns: {result.num_turns} active flags: {flags}")

    fired = []

    async def note(input_data, tool_use_id, context):
        fired.append(input_data["hook_event_name"])
        return {}

    options = ClaudeAgentOptions(
        agents={"greeter": AgentDefinition(description="Greets", prompt="Greet warmly.")},
        hooks={
            "SubagentStart": [HookMatcher(hooks=[note])],
            "SubagentStop": [HookMatcher(hooks=[note])],
        },
    )
    await results("Ask the greeter agent to say hello", options)
    print(f"subagent hooks: {fired}")


asyncio.run(main())
