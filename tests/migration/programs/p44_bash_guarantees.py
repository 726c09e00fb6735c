"""Bash as Claude Code users drive it: cwd, env, timeout, big output, can_use_tool, hooks."""
# expect: asked: Bash pwd
# expect: pwd in cwd: True
# expect: region seen: True
# expect: secret names seen: False
# expect: timeout is_error: True
# expect: capped: True
# expect: denied rm: True
# expect: background server does not block: True
# expect: hook saw 6 commands, last: sleep 60 & echo started
# expect: data still there: True

import asyncio
import json
import time
from pathlib import Path

from claude_agent_sdk import (
    ClaudeAgentOptions,
    ClaudeSDKClient,
    HookMatcher,
    PermissionResultAllow,
    PermissionResultDeny,
    ToolPermissionContext,
    ToolResultBlock,
    UserMessage,
)

seen_by_hook = []


async def log_bash(input_data, tool_use_id, context):
    seen_by_hook.append(input_data["tool_input"]["command"])
    return {}


async def permission(tool_name, input_data, context: ToolPermissionContext):
    if tool_name == "Bash" and input_data["command"] == "pwd":
        print(f"asked: {tool_name} {input_data['command']}")
    if "rm " in input_data.get("command", ""):
        return PermissionResultDeny(message="no deleting")
    return PermissionResultAllow()


async def ask(client, command, timeout=None):
    args = {"command": command} if timeout is None else {"command": command, "timeout": timeout}
    await client.query(f"Run Bash {json.dumps(args)}")
    results = []
    async for message in client.receive_response():
        if isinstance(message, UserMessage) and isinstance(message.content, list):
            results += [b for b in message.content if isinstance(b, ToolResultBlock)]
    block = results[0]
    text = (
        block.content
        if isinstance(block.content, str)
        else "".join(c.get("text", "") for c in block.content or [])
    )
    return text, bool(block.is_error)


async def main():
    work = Path("work")
    work.mkdir()
    (work / "data").mkdir()
    options = ClaudeAgentOptions(
        tools=["Bash"],
        cwd=str(work),
        env={"DEPLOY_REGION": "westeurope"},
        can_use_tool=permission,
        hooks={"PreToolUse": [HookMatcher(matcher="Bash", hooks=[log_bash])]},
    )
    async with ClaudeSDKClient(options=options) as client:
        text, _ = await ask(client, "pwd")
        print(f"pwd in cwd: {text.strip() == str(work.resolve())}")
        text, _ = await ask(client, "env")
        print(f"region seen: {'DEPLOY_REGION=westeurope' in text}")
        print(f"secret names seen: {'CLIENT_SECRET' in text or 'SUBSCRIPTION_KEY' in text}")
        print(text)
        text, err = await ask(client, "sleep 5; echo late", timeout=500)
        print(f"timeout is_error: {err and 'late' not in text}")
        text, _ = await ask(client, "yes abcdefghij | head -c 200000")
        print(f"capped: {len(text) < 40_000}")
        text, err = await ask(client, "rm -rf data")
        print(f"denied rm: {err}")
        began = time.monotonic()
        text, err = await ask(client, "sleep 60 & echo started", timeout=30_000)
        quick = time.monotonic() - began < 10
        print(f"background server does not block: {quick and not err and 'started' in text}")
    print(f"hook saw {len(seen_by_hook)} commands, last: {seen_by_hook[-1]}")
    print(f"data still there: {(work / 'data').is_dir()}")


asyncio.run(main())
