"""Every ClaudeAgentOptions field set to a realistic value, as a ported program sets them."""
# expect: answer: success
# expect: client: success

import sys
from pathlib import Path

import anyio
from claude_agent_sdk import (
    AgentDefinition,
    ClaudeAgentOptions,
    ClaudeSDKClient,
    HookMatcher,
    ResultMessage,
    query,
)


async def allow_all(input_data, tool_use_id, context):
    return {}


def build():
    Path("settings.json").write_text('{"permissions": {"allow": ["Read"]}}')
    Path("extra").mkdir(exist_ok=True)
    Path("mcp.json").write_text('{"mcpServers": {}}')
    return ClaudeAgentOptions(
        tools={"type": "preset", "preset": "claude_code"},
        allowed_tools=["Read", "Grep", "WebFetch", "TodoWrite", "Bash(git status:*)"],
        system_prompt={
            "type": "preset",
            "preset": "claude_code",
            "append": "Be brief.",
            "exclude_dynamic_sections": True,
        },
        mcp_servers="mcp.json",
        strict_mcp_config=True,
        permission_mode="acceptEdits",
        max_turns=4,
        max_budget_usd=2.5,
        disallowed_tools=["WebSearch", "Bash(rm:*)"],
        model=None,  # the default model (an unset --model flag)
        fallback_model="gpt-4o",
        betas=["context-1m-2025-08-07"],
        permission_prompt_tool_name="mcp__approver__ask",
        cwd=".",
        cli_path="/usr/local/bin/claude",
        settings="settings.json",
        add_dirs=[str(Path("extra").resolve())],
        env={"CLAUDE_AGENT_SDK_CLIENT_APP": "my-app/1.0.0"},
        extra_args={"verbose": None, "debug-to-stderr": None},
        max_buffer_size=10 * 1024 * 1024,
        debug_stderr=sys.stderr,
        stderr=lambda line: print(line, file=sys.stderr),
        hooks={
            "PreToolUse": [HookMatcher(matcher="Write|Edit", hooks=[allow_all], timeout=30)],
            "Notification": [HookMatcher(hooks=[allow_all])],
            "PermissionRequest": [HookMatcher(hooks=[allow_all])],
            "SubagentStart": [HookMatcher(hooks=[allow_all])],
        },
        user="user-123",
        include_partial_messages=True,
        include_hook_events=True,
        forward_subagent_text=True,
        agents={
            "reviewer": AgentDefinition(
                description="Reviews code",
                prompt="Review.",
                tools=["Read"],
                model="sonnet",
                maxTurns=3,
                effort="low",
                permissionMode="plan",
                skills=["lint"],
                memory="project",
                background=False,
                initialPrompt="Start",
            )
        },
        setting_sources=["project"],
        skills="all",
        sandbox={
            "enabled": False,
            "autoAllowBashIfSandboxed": True,
            "network": {"allowLocalBinding": True, "allowedDomains": ["example.com"]},
        },
        plugins=[{"type": "local", "path": "./plugins/demo"}],
        max_thinking_tokens=8000,
        thinking={"type": "enabled", "budget_tokens": 4000},
        effort="high",
        output_format=None,
        enable_file_checkpointing=True,
        session_store_flush="eager",
        load_timeout_ms=30_000,
        task_budget={"total": 50_000},
    )


async def main():
    options = build()
    async for message in query(prompt="Say hello", options=options):
        if isinstance(message, ResultMessage):
            print(f"answer: {message.subtype}")
    async with ClaudeSDKClient(options=build()) as client:
        await client.query("Say hello again")
        async for message in client.receive_response():
            if isinstance(message, ResultMessage):
                print(f"client: {message.subtype}")


anyio.run(main)
