"""Claude Agent SDK options and names (#15, options/tools slice), no network: hook events,
permission modes, allowed/disallowed rules, tools by name, Bash, env, budget, system prompt
presets, every Claude option accepted, error names."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

import jupyter_azure_ai
import jupyter_azure_ai.types
from jupyter_azure_ai import (
    AssistantMessage,
    AzureOpenAIOptions,
    CanUseToolShadowedWarning,
    ClaudeSDKError,
    CLIConnectionError,
    CLIJSONDecodeError,
    CLINotFoundError,
    HookMatcher,
    MCPCommandNotFoundError,
    MCPServerError,
    PermissionResultAllow,
    ProcessError,
    ResultMessage,
    StreamDecodeError,
    ToolResultBlock,
    UserMessage,
    tool,
)
from jupyter_azure_ai._internal import hook_events
from jupyter_azure_ai._internal.bash_tool import MAX_OUTPUT_CHARS, bash_tool, shell_environment
from jupyter_azure_ai.tools import SdkTool

from .fakes import KEY, SECRET, Recorder, options, stream_response, text_chunks
from .test_tools import calls_response, run_round

pytestmark = pytest.mark.anyio

Hook = Any


def recorder_hook(seen: list[dict[str, Any]], output: dict[str, Any] | None = None) -> Hook:
    async def hook(data: dict[str, Any], tool_use_id: str | None, ctx: Any) -> dict[str, Any]:
        seen.append({**data, "_id": tool_use_id})
        return output or {}

    return hook


@tool
def touch(path: str) -> str:
    """Pretend to write a file.

    path: the file
    """
    return f"touched {path}"


@tool
def explode(path: str) -> str:
    """Always fails.

    path: anything
    """
    raise RuntimeError(f"cannot {path}")


@tool
def shell(command: str) -> str:
    """Pretend to run a command.

    command: the command line
    """
    return f"ran {command}"


def named(name: str, fn: SdkTool) -> SdkTool:
    return SdkTool(name, fn.description, fn.parameters, fn.handler, fn.timeout)


# --- names ----------------------------------------------------------------------

HOOK_NAMES = [
    "HookInput",
    "HookJSONOutput",
    "HookContext",
    "HookMatcher",
    "HookCallback",
    "HookEvent",
    "BaseHookInput",
    "PreToolUseHookInput",
    "PostToolUseHookInput",
    "PostToolUseFailureHookInput",
    "UserPromptSubmitHookInput",
    "StopHookInput",
    "SubagentStopHookInput",
    "SubagentStartHookInput",
    "PreCompactHookInput",
    "NotificationHookInput",
    "PermissionRequestHookInput",
    "SyncHookJSONOutput",
    "AsyncHookJSONOutput",
    "PreToolUseHookSpecificOutput",
    "PostToolUseHookSpecificOutput",
    "PostToolUseFailureHookSpecificOutput",
    "UserPromptSubmitHookSpecificOutput",
    "NotificationHookSpecificOutput",
    "SubagentStartHookSpecificOutput",
    "PermissionRequestHookSpecificOutput",
    "SessionStartHookSpecificOutput",
    "PermissionMode",
    "SystemPromptPreset",
    "SystemPromptFile",
    "ToolsPreset",
]


def test_every_claude_hook_type_is_importable_from_root_and_types() -> None:
    for name in HOOK_NAMES:
        assert getattr(jupyter_azure_ai, name) is getattr(jupyter_azure_ai.types, name), name
    assert jupyter_azure_ai.PreToolUseHookInput.__required_keys__ >= {
        "session_id", "transcript_path", "cwd", "hook_event_name", "tool_name", "tool_input"
    }  # fmt: skip


def test_error_names_are_the_claude_ones() -> None:
    assert ClaudeSDKError is jupyter_azure_ai.AzureOpenAIError
    assert issubclass(CLINotFoundError, CLIConnectionError)
    assert issubclass(MCPServerError, ProcessError) and issubclass(ProcessError, ClaudeSDKError)
    assert issubclass(MCPCommandNotFoundError, MCPServerError)
    assert issubclass(MCPCommandNotFoundError, CLINotFoundError)
    assert issubclass(StreamDecodeError, CLIJSONDecodeError)
    failed = ProcessError("Command failed", 2, "boom")  # positional, as Claude's is built
    assert (failed.exit_code, failed.stderr, str(failed)) == (2, "boom", "Command failed")


async def test_a_stream_that_is_not_json_raises_cli_json_decode_error() -> None:
    broken = httpx.Response(
        200, content=b'data: {"choices": [\n\n', headers={"content-type": "text/event-stream"}
    )
    async with Recorder(broken).client() as client:
        await client.query("hi")
        with pytest.raises(CLIJSONDecodeError) as info:
            [m async for m in client.receive_response()]
    assert info.value.line.startswith('{"choices"') and info.value.original_error is not None


async def test_an_mcp_command_that_is_not_installed_is_cli_not_found_and_process_error() -> None:
    opts = options(mcp_servers={"ghost": {"command": "no-such-mcp-server-xyz", "args": []}})
    with pytest.raises(MCPCommandNotFoundError, match="'no-such-mcp-server-xyz' not found on PATH"):
        async with Recorder(stream_response(text_chunks("x"))).client(opts):
            pass
    opts = options(mcp_servers={"ghost": {"command": "./missing.py"}}, cwd=Path.cwd())
    with pytest.raises(ProcessError, match="no such file") as info:
        async with Recorder(stream_response(text_chunks("x"))).client(opts):
            pass
    assert isinstance(info.value, CLINotFoundError) and info.value.server == "ghost"  # type: ignore[attr-defined]


async def test_a_failing_mcp_server_process_is_a_process_error() -> None:
    code = "import sys; sys.stderr.write('boom: no database\\n'); sys.exit(3)"
    opts = options(mcp_servers={"db": {"command": sys.executable, "args": ["-c", code]}})
    with pytest.raises(ProcessError) as info:
        async with Recorder(stream_response(text_chunks("x"))).client(opts):
            pass
    assert isinstance(info.value, MCPServerError) and info.value.stderr == "boom: no database"


# --- every Claude option is accepted --------------------------------------------

CLAUDE_VALUES: dict[str, Any] = {
    "tools": ["Read", "Grep"],
    "allowed_tools": ["Read", "WebSearch", "mcp__db", "Bash(git status:*)"],
    "system_prompt": {"type": "preset", "preset": "claude_code", "append": "Be brief."},
    "mcp_servers": {},
    "strict_mcp_config": True,
    "permission_mode": "acceptEdits",
    "max_turns": 3,
    "max_budget_usd": 0.5,
    "disallowed_tools": ["Bash(rm:*)", "WebFetch"],
    "model": "gpt-4o",
    "fallback_model": "claude-haiku",
    "betas": ["context-1m-2025-08-07"],
    "permission_prompt_tool_name": "mcp__perm__ask",
    "cwd": ".",
    "cli_path": "/usr/local/bin/claude",
    "settings": "settings.json",
    "add_dirs": ["/tmp"],
    "env": {"MY_FLAG": "1"},
    "extra_args": {"verbose": None},
    "max_buffer_size": 1_000_000,
    "debug_stderr": sys.stderr,
    "stderr": print,
    "can_use_tool": None,
    "hooks": {"PreCompact": [HookMatcher()], "Notification": [HookMatcher()]},
    "user": "user-42",
    "include_partial_messages": True,
    "include_hook_events": True,
    "setting_sources": ["project"],
    "skills": "all",
    "sandbox": {"enabled": True},
    "plugins": [{"type": "local", "path": "./plugin"}],
    "max_thinking_tokens": 2000,
    "thinking": {"type": "adaptive"},
    "effort": "high",
    "output_format": {
        "type": "json_schema",
        "schema": {"type": "object", "properties": {"a": {"type": "string"}}},
    },
    "enable_file_checkpointing": True,
    "task_budget": {"total": 1000},
}


def test_every_claude_option_is_accepted() -> None:
    opts = options(**CLAUDE_VALUES)
    for part in (opts.connection, opts.settings, opts.tool_settings):
        repr(part)
    assert opts.settings.system_text == "Be brief." and opts.settings.user == "user-42"
    assert opts.tool_settings.builtins == ("Read", "Grep")
    # and from_env overrides, as a migrated program passes them
    env = {"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_CLIENT_SECRET": SECRET,
           "AZURE_APIM_ENDPOINT": "https://x.azure-api.net/openai",
           "AZURE_APIM_SUBSCRIPTION_KEY": KEY}  # fmt: skip
    assert AzureOpenAIOptions.from_env(env, **CLAUDE_VALUES).max_budget_usd == 0.5


def test_model_none_as_in_claude_is_the_default_deployment() -> None:
    env = {"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_CLIENT_SECRET": SECRET,
           "AZURE_APIM_ENDPOINT": "https://x.azure-api.net/openai",
           "AZURE_APIM_SUBSCRIPTION_KEY": KEY}  # fmt: skip
    assert AzureOpenAIOptions.from_env(env, model=None).model == "gpt-4"  # the field's default
    env["AZURE_OPENAI_DEPLOYMENT"] = "gpt-4o"
    assert AzureOpenAIOptions.from_env(env, model=None, max_turns=None).model == "gpt-4o"
    assert AzureOpenAIOptions.from_env(env, model="o4-mini").model == "o4-mini"


def test_tools_by_name_and_preset_select_built_ins() -> None:
    preset = {"type": "preset", "preset": "claude_code"}
    assert options(tools=preset).tool_settings.builtins == ("Read", "Write", "Edit", "Glob", "Grep")
    assert options(tools=[preset], allowed_tools=["Bash"]).tool_settings.builtins[-1] == "Bash"
    assert options(tools=["Bash", "Read", "TodoWrite"]).tool_settings.builtins == ("Bash", "Read")
    assert options(allowed_tools=["Read", "WebFetch"]).tool_settings.builtins == ("Read",)
    assert options(allowed_tools=["Read"], tools=["Grep"]).tool_settings.builtins == ("Grep",)
    assert options(tools=["Read", "Write"], disallowed_tools=["Write"]).tool_settings.builtins == (
        "Read",
    )


def test_system_prompt_forms(tmp_path: Path) -> None:
    prompt = tmp_path / "p.md"
    prompt.write_text("From a file.")
    assert options(system_prompt={"type": "file", "path": str(prompt)}).settings.system_text == (
        "From a file."
    )
    assert (
        options(system_prompt={"type": "preset", "preset": "claude_code"}).settings.system_text
        is None
    )
    with pytest.raises(ValueError, match=r"system_prompt: file .* does not exist"):
        options(system_prompt={"type": "file", "path": str(tmp_path / "nope.md")})
    with pytest.raises(ValueError, match="system_prompt must be a str"):
        options(system_prompt={"type": "claude_code"})


async def test_preset_system_prompt_and_user_are_sent_as_text() -> None:
    rec = Recorder(stream_response(text_chunks("ok")))
    preset = {"type": "preset", "preset": "claude_code", "append": "Answer in French."}
    async with rec.client(options(system_prompt=preset, user="u-7")) as client:
        await client.query("hi")
        [m async for m in client.receive_response()]
    body = rec.bodies()[0]
    assert body["messages"][0] == {"role": "system", "content": "Answer in French."}
    assert body["user"] == "u-7"


# --- permissions ----------------------------------------------------------------


class Asker:
    def __init__(self) -> None:
        self.asked: list[str] = []

    async def __call__(self, name: str, tool_input: dict[str, Any], ctx: Any) -> Any:
        self.asked.append(name)
        return PermissionResultAllow()


async def test_permission_modes() -> None:
    write, read = named("Write", touch), named("Read", touch)
    calls = (("Write", {"path": "a"}), ("Read", {"path": "b"}))

    ask = Asker()
    w, r = await run_round([write, read], *calls, can_use_tool=ask)
    assert not w.is_error and not r.is_error and ask.asked == ["Write", "Read"]  # default

    ask = Asker()
    w, r = await run_round([write, read], *calls, can_use_tool=ask, permission_mode="acceptEdits")
    assert not w.is_error and ask.asked == ["Read"]  # edits approved, the rest asked

    ask = Asker()
    w, r = await run_round([write, read], *calls, can_use_tool=ask, permission_mode="plan")
    assert w.is_error and "does not run in plan mode" in str(w.content)
    assert not r.is_error and ask.asked == ["Read"]

    ask = Asker()
    w, r = await run_round(
        [write, read], *calls, can_use_tool=ask, permission_mode="bypassPermissions"
    )
    assert not w.is_error and not r.is_error and ask.asked == []

    ask = Asker()
    w, r = await run_round(
        [write, read], *calls, can_use_tool=ask, permission_mode="dontAsk", allowed_tools=["Read"]
    )
    assert w.is_error and "not approved by allowed_tools" in str(w.content)
    assert not r.is_error and ask.asked == []


async def test_allowed_rules_approve_and_disallowed_rules_refuse() -> None:
    bash = named("Bash", shell)
    ask = Asker()
    results = await run_round(
        [bash, named("mcp__db__query", touch)],
        ("Bash", {"command": "git status --short"}),
        ("Bash", {"command": "rm -rf /"}),
        ("Bash", {"command": "ls"}),
        ("mcp__db__query", {"path": "x"}),
        can_use_tool=ask,
        allowed_tools=["Bash(git status:*)", "mcp__db"],
        disallowed_tools=["Bash(rm:*)"],
    )
    approved, refused, asked, mcp = results
    assert not approved.is_error and not asked.is_error and not mcp.is_error
    assert refused.is_error and "disallowed here (disallowed_tools: 'Bash(rm:*)')" in str(
        refused.content
    )
    assert ask.asked == ["Bash"]  # only "ls": the others were approved or refused by a rule


async def test_a_plain_disallowed_name_is_not_offered() -> None:
    rec = Recorder(stream_response(text_chunks("ok")))
    opts = options(tools=[touch, "Read"], cwd=Path.cwd(), disallowed_tools=["touch", "Grep"])
    async with rec.client(opts) as client:
        await client.query("hi")
        [m async for m in client.receive_response()]
    assert [t["function"]["name"] for t in rec.bodies()[0]["tools"]] == ["Read"]


# --- hooks ------------------------------------------------------------------------


async def test_post_tool_use_failure_fires_instead_of_post_tool_use() -> None:
    post: list[dict[str, Any]] = []
    failure: list[dict[str, Any]] = []
    hooks = {
        "PostToolUse": [HookMatcher(None, [recorder_hook(post)])],
        "PostToolUseFailure": [
            HookMatcher(None, [recorder_hook(failure, {"hookSpecificOutput": {
                "hookEventName": "PostToolUseFailure", "additionalContext": "try another path"}})])
        ],
    }  # fmt: skip
    _, bad = await run_round(
        [touch, explode], ("touch", {"path": "a"}), ("explode", {"path": "b"}), hooks=hooks
    )
    assert [p["tool_name"] for p in post] == ["touch"] and post[0]["tool_response"] == "touched a"
    assert [f["tool_name"] for f in failure] == ["explode"]
    assert failure[0]["error"] == "RuntimeError: cannot b" and failure[0]["_id"] == "call_1"
    assert failure[0]["hook_event_name"] == "PostToolUseFailure" and "transcript_path" in failure[0]
    assert bad.is_error and str(bad.content).endswith("try another path")


async def test_permission_request_hook_answers_instead_of_can_use_tool() -> None:
    seen: list[dict[str, Any]] = []
    decision = {"behavior": "deny", "message": "not today"}
    deny = {"hookSpecificOutput": {"hookEventName": "PermissionRequest", "decision": decision}}
    ask = Asker()
    hooks = {"PermissionRequest": [HookMatcher("touch", [recorder_hook(seen, deny)])]}
    (r,) = await run_round([touch], ("touch", {"path": "a"}), hooks=hooks, can_use_tool=ask)
    assert r == ToolResultBlock("call_0", "not today", is_error=True)
    assert ask.asked == [] and seen[0]["tool_name"] == "touch"


async def test_user_prompt_submit_adds_context_or_blocks() -> None:
    seen: list[dict[str, Any]] = []
    extra = "The user's timezone is UTC."
    context = {
        "hookSpecificOutput": {"hookEventName": "UserPromptSubmit", "additionalContext": extra}
    }
    rec = Recorder(stream_response(text_chunks("ok")))
    hooks = {"UserPromptSubmit": [HookMatcher(None, [recorder_hook(seen, context)])]}
    async with rec.client(options(hooks=hooks)) as client:
        await client.query("What time is it?")
        [m async for m in client.receive_response()]
    assert rec.bodies()[0]["messages"][-1]["content"] == (
        "What time is it?\n\nThe user's timezone is UTC."
    )
    assert seen[0]["prompt"] == "What time is it?" and seen[0]["hook_event_name"] == (
        "UserPromptSubmit"
    )

    async def block(data: dict[str, Any], tool_use_id: Any, ctx: Any) -> dict[str, Any]:
        if "password" in data["prompt"]:
            return {"decision": "block", "reason": "prompts must not contain passwords"}
        return {}

    rec = Recorder(stream_response(text_chunks("ok")))
    async with rec.client(options(hooks={"UserPromptSubmit": [HookMatcher(None, [block])]})) as c:
        await c.query("my password is hunter2")
        messages = [m async for m in c.receive_response()]
        result = messages[-1]
        assert isinstance(result, ResultMessage) and result.is_error
        assert result.subtype == "error_during_execution" and result.num_turns == 0
        assert result.result == "prompts must not contain passwords"
        assert rec.requests == []  # nothing was sent
        await c.query("hello")  # the blocked prompt is not part of the conversation
        [m async for m in c.receive_response()]
    assert [m["content"] for m in rec.bodies()[0]["messages"]] == ["hello"]


async def test_stop_hook_fires_and_can_make_the_model_go_on() -> None:
    seen: list[dict[str, Any]] = []

    async def once_more(data: dict[str, Any], tool_use_id: Any, ctx: Any) -> dict[str, Any]:
        seen.append(data)
        if data["stop_hook_active"]:
            return {}
        return {"decision": "block", "reason": "Also give the answer in one word."}

    rec = Recorder(stream_response(text_chunks("Paris is the capital")),
                   stream_response(text_chunks("Paris")))  # fmt: skip
    async with rec.client(options(hooks={"Stop": [HookMatcher(None, [once_more])]})) as client:
        await client.query("capital of France?")
        messages = [m async for m in client.receive_response()]
    assert [d["stop_hook_active"] for d in seen] == [False, True]
    assert seen[0]["hook_event_name"] == "Stop"
    follow = [m for m in messages if isinstance(m, UserMessage)]
    assert follow and follow[0].content == "Also give the answer in one word."
    assert rec.bodies()[1]["messages"][-1] == {
        "role": "user", "content": "Also give the answer in one word."
    }  # fmt: skip
    result = messages[-1]
    assert isinstance(result, ResultMessage) and result.num_turns == 2 and result.result == "Paris "


async def test_subagent_hook_helpers_fire() -> None:
    seen: list[dict[str, Any]] = []
    hooks = {
        "SubagentStart": [HookMatcher(None, [recorder_hook(seen, {"hookSpecificOutput": {
            "hookEventName": "SubagentStart", "additionalContext": "be terse"}})])],
        "SubagentStop": [HookMatcher(None, [recorder_hook(seen, {"decision": "block",
                                                                 "reason": "cite a file"})])],
    }  # fmt: skip
    tools = options(hooks=hooks).tool_settings
    assert await hook_events.subagent_start(tools, "s", "a1", "reviewer") == "be terse"
    assert await hook_events.subagent_stop(tools, "s", "a1", "reviewer") == "cite a file"
    assert [(d["hook_event_name"], d["agent_type"]) for d in seen] == [
        ("SubagentStart", "reviewer"), ("SubagentStop", "reviewer")
    ]  # fmt: skip


# --- Bash --------------------------------------------------------------------------


async def test_bash_runs_in_cwd_with_a_secret_free_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "env-secret-SHOULD-NOT-LEAK")
    monkeypatch.setenv("AZURE_APIM_SUBSCRIPTION_KEY", "env-key-SHOULD-NOT-LEAK")
    monkeypatch.setenv("IDENTITY_HEADER", "msi-SHOULD-NOT-LEAK")
    monkeypatch.setenv("INNOCENT_NAME", f"prefix-{SECRET}")  # holds what the options hold
    monkeypatch.setenv("AZURE_TENANT_ID", "tenant-is-no-secret")
    ask = Asker()
    rec = Recorder(
        calls_response(("Bash", {"command": "pwd; env"})), stream_response(text_chunks("done"))
    )
    opts = options(
        client_secret=SECRET,  # held by the options (a fake credential signs in)
        cwd=tmp_path, allowed_tools=["Bash"], env={"MY_FLAG": "on"}, can_use_tool=ask,
    )  # fmt: skip
    async with rec.client(opts) as client:
        await client.query("run it")
        with pytest.warns(CanUseToolShadowedWarning, match="allowed_tools approves Bash"):
            messages = [m async for m in client.receive_response()]
    (result,) = [b for m in messages if isinstance(m, UserMessage) for b in m.content]  # type: ignore[union-attr]
    assert isinstance(result, ToolResultBlock) and not result.is_error
    out = str(result.content)
    assert out.splitlines()[0] == os.path.realpath(tmp_path)  # noqa: ASYNC240
    assert "MY_FLAG=on" in out and "AZURE_TENANT_ID=tenant-is-no-secret" in out
    assert "SHOULD-NOT-LEAK" not in out and "INNOCENT_NAME" not in out
    assert ask.asked == []  # allowed_tools=["Bash"] approves it (Claude semantics)


def test_shell_environment_drops_what_could_act_as_us() -> None:
    base = {"PATH": "/bin", "AZURE_CLIENT_SECRET": "s", "OPENAI_API_KEY": "k", "HOME": "/h",
            "AZURE_CLIENT_ID": "id", "MSI_SECRET": "m", "X": "has-hunter22-inside"}  # fmt: skip
    env = shell_environment(base, {"EXTRA": "1"}, ["hunter22", ""])
    assert env == {"PATH": "/bin", "HOME": "/h", "AZURE_CLIENT_ID": "id", "EXTRA": "1"}


async def test_bash_timeout_kills_the_process_group(tmp_path: Path) -> None:
    bash = bash_tool(tmp_path, dict(os.environ))
    started = time.monotonic()
    (r,) = await run_round(
        [bash], ("Bash", {"command": "sleep 30 & sleep 30; echo never", "timeout": 300})
    )
    assert time.monotonic() - started < 5
    assert r.is_error and r.content == "command timed out after 300 ms and was killed"


async def test_a_background_child_neither_blocks_the_command_nor_outlives_it(
    tmp_path: Path,
) -> None:
    import anyio

    bash = bash_tool(tmp_path, dict(os.environ))
    pid = tmp_path / "pid"
    started = time.monotonic()
    command = f"sleep 30 & echo $! > {pid}; echo started"
    (r,) = await run_round([bash], ("Bash", {"command": command, "timeout": 20_000}))
    assert time.monotonic() - started < 5  # not the 20 s timeout: the shell had exited
    assert not r.is_error and str(r.content).startswith("started\n")
    assert str(r.content).endswith("[background processes it started were stopped when it exited]")
    child = int(pid.read_text())
    for _ in range(50):
        if not _running(child):
            break
        await anyio.sleep(0.1)
    assert not _running(child)


async def test_bash_output_is_capped_and_exit_codes_are_errors(tmp_path: Path) -> None:
    bash = bash_tool(tmp_path, dict(os.environ))
    big, failing = await run_round(
        [bash],
        ("Bash", {"command": "yes abcdefghij | head -c 2000000"}),
        ("Bash", {"command": "echo first; echo second >&2; exit 3"}),
    )
    assert not big.is_error and len(str(big.content)) < MAX_OUTPUT_CHARS + 100
    assert str(big.content).endswith("more bytes]") and "[output truncated: " in str(big.content)
    assert failing.is_error and failing.content == "first\nsecond\n\n[exit code 3]"


async def test_bash_asks_can_use_tool_and_hooks_first(tmp_path: Path) -> None:
    seen: list[dict[str, Any]] = []
    marker = tmp_path / "ran"

    async def deny(name: str, tool_input: dict[str, Any], ctx: Any) -> Any:
        from jupyter_azure_ai import PermissionResultDeny

        return PermissionResultDeny(message=f"no shell for {tool_input['command']!r}")

    rec = Recorder(calls_response(("Bash", {"command": f"touch {marker}"})),
                   stream_response(text_chunks("ok")))  # fmt: skip
    opts = options(cwd=tmp_path, tools=["Bash"], can_use_tool=deny,
                   hooks={"PreToolUse": [HookMatcher("Bash", [recorder_hook(seen)])]})  # fmt: skip
    async with rec.client(opts) as client:
        await client.query("go")
        messages = [m async for m in client.receive_response()]
    assert not marker.exists() and seen[0]["tool_input"] == {"command": f"touch {marker}"}
    (result,) = [b for m in messages if isinstance(m, UserMessage) for b in m.content]  # type: ignore[union-attr]
    assert result.is_error and "no shell for" in str(result.content)  # type: ignore[union-attr]


def test_bash_is_not_offered_when_a_sandbox_is_asked_for(tmp_path: Path) -> None:
    from jupyter_azure_ai._internal.builtin_tools import builtin_tools

    tools = options(cwd=tmp_path, tools=["Read", "Bash"], sandbox={"enabled": True}).tool_settings
    assert [t.name for t in builtin_tools(tools, [])] == ["Read"]


# --- budget -------------------------------------------------------------------------


async def test_max_budget_usd_stops_the_run() -> None:
    @tool
    def step(n: int) -> str:
        """One step.

        n: which
        """
        return "ok"

    def call() -> httpx.Response:
        return calls_response(("step", {"n": 1}))

    rec = Recorder(call(), call(), stream_response(text_chunks("done")))
    pricing = {"gpt-4": {"input": 1_000_000.0, "output": 1_000_000.0}}  # $1 per token
    async with rec.client(options(tools=[step], pricing=pricing, max_budget_usd=5.0)) as client:
        await client.query("loop")
        messages = [m async for m in client.receive_response()]
    # turn 1 (tool call, no usage): $0; turn 2 likewise; turn 3's answer: 10 tokens = $10
    result = messages[-1]
    assert isinstance(result, ResultMessage) and result.subtype == "success"  # ended by itself

    # a tool-call turn that reports usage: 7 in, 3 out = $10, over the budget: no 2nd turn
    rec = Recorder(_with_usage(call()), _with_usage(call()), stream_response(text_chunks("x")))
    async with rec.client(options(tools=[step], pricing=pricing, max_budget_usd=5.0)) as client:
        await client.query("loop")
        messages = [m async for m in client.receive_response()]
    result = messages[-1]
    assert isinstance(result, ResultMessage) and result.subtype == "error_max_budget_usd"
    assert result.is_error and result.num_turns == 1 and len(rec.requests) == 1
    assert result.total_cost_usd == pytest.approx(10.0)
    assert isinstance(messages[-3], AssistantMessage)  # the turn, then its tool results


def _with_usage(response: httpx.Response) -> httpx.Response:
    counts = {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}
    usage = b"data: " + json.dumps({"id": "u", "choices": [], "usage": counts}).encode() + b"\n\n"
    body = response.content.replace(b"data: [DONE]", usage + b"data: [DONE]")
    return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})


async def test_an_unknown_price_with_a_budget_stops_after_one_turn() -> None:
    @tool
    def step(n: int) -> str:
        """One step.

        n: which
        """
        return "ok"

    call = calls_response(("step", {"n": 1}))
    rec = Recorder(call, stream_response(text_chunks("done", model="gpt-35-turbo")))
    async with rec.client(options(tools=[step], max_budget_usd=1.0)) as client:
        await client.query("loop")
        result = [m async for m in client.receive_response()][-1]
    assert isinstance(result, ResultMessage) and result.subtype == "error_max_budget_usd"
    assert len(rec.requests) == 1


# --- can_use_tool shadowed, the reason it is asked, option value types --------------------


def test_shadowed_can_use_tool_warns_as_in_claude() -> None:
    from jupyter_azure_ai.option_types import warn_if_shadowed

    ask = Asker()
    with pytest.warns(CanUseToolShadowedWarning, match="allowed_tools approves Read"):
        warn_if_shadowed(ask, ("Read", "Bash(git status:*)"), None)
    with pytest.warns(CanUseToolShadowedWarning, match="bypassPermissions"):
        warn_if_shadowed(ask, (), "bypassPermissions")
    warn_if_shadowed(ask, ("Bash(git status:*)",), "acceptEdits")  # a rule: no warning
    warn_if_shadowed(None, ("Read",), "bypassPermissions")  # nothing to shadow


async def test_a_hook_that_asks_forwards_its_reason_to_can_use_tool() -> None:
    contexts: list[Any] = []

    async def ask_why(data: dict[str, Any], tool_use_id: Any, ctx: Any) -> dict[str, Any]:
        why = "touches a shared file"
        return {
            "hookSpecificOutput": {"permissionDecision": "ask", "permissionDecisionReason": why}
        }

    async def can_use_tool(name: str, tool_input: dict[str, Any], ctx: Any) -> Any:
        contexts.append(ctx)
        return PermissionResultAllow()

    (r,) = await run_round(
        [touch],
        ("touch", {"path": "a"}),
        hooks={"PreToolUse": [HookMatcher(None, [ask_why])]},
        can_use_tool=can_use_tool,
        permission_mode="bypassPermissions",  # "ask" from a hook still asks
    )
    assert not r.is_error and contexts[0].decision_reason == "touches a shared file"
    assert contexts[0].tool_use_id == "call_0" and contexts[0].display_name == "touch"


def test_claude_option_value_types_are_exported() -> None:
    from jupyter_azure_ai import PermissionRuleValue, PermissionUpdate, SandboxSettings

    update = PermissionUpdate("addRules", [PermissionRuleValue("Bash", "ls:*")], "allow")
    assert update.to_dict() == {
        "type": "addRules", "rules": [{"toolName": "Bash", "ruleContent": "ls:*"}],
        "behavior": "allow",
    }  # fmt: skip
    sandbox: SandboxSettings = {"enabled": False}
    assert options(sandbox=sandbox, thinking={"type": "disabled"}).tool_settings.sandbox == sandbox


async def test_an_interrupted_bash_command_is_killed_with_its_children(tmp_path: Path) -> None:
    import anyio

    bash = bash_tool(tmp_path, dict(os.environ))
    pids = tmp_path / "pids"
    command = f"sleep 30 & echo $$ $! > {pids}; wait"
    with anyio.move_on_after(1.0):  # what interrupt() does to a running tool round
        await run_round([bash], ("Bash", {"command": command}))
    shell, child = (int(p) for p in pids.read_text().split())
    for _ in range(50):  # a killed orphan is reaped by init in its own time
        if not any(_running(pid) for pid in (shell, child)):
            break
        await anyio.sleep(0.1)
    assert not _running(shell) and not _running(child)


def _running(pid: int) -> bool:
    """Alive and not a zombie (an exited child not yet reaped has nothing left to run)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


async def test_fallback_model_answers_when_the_deployment_is_missing() -> None:
    missing = httpx.Response(404, json={"error": {"code": "DeploymentNotFound", "message": "no"}})
    rec = Recorder(missing, stream_response(text_chunks("from the fallback")))
    async with rec.client(options(model="gpt-5-preview", fallback_model="gpt-4o")) as client:
        await client.query("hi")
        messages = [m async for m in client.receive_response()]
    paths = [r.url.path for r in rec.requests]
    assert "/deployments/gpt-5-preview/" in paths[0] and "/deployments/gpt-4o/" in paths[1]
    result = messages[-1]
    assert isinstance(result, ResultMessage) and result.result == "from the fallback "
    bad_request = httpx.Response(400, json={"error": {"code": "bad", "message": "bad input"}})
    rec = Recorder(bad_request)  # not unavailable: a 400 is raised, no second deployment asked
    async with rec.client(options(fallback_model="gpt-4o")) as client:
        await client.query("hi")
        with pytest.raises(jupyter_azure_ai.APIStatusError):
            [m async for m in client.receive_response()]
    assert len(rec.requests) == 1


async def test_add_dirs_opens_further_folders_to_the_file_tools(tmp_path: Path) -> None:
    from jupyter_azure_ai._internal.file_tools import file_tools

    work, shared, private = tmp_path / "work", tmp_path / "shared", tmp_path / "private"
    for folder in (work, shared, private):
        folder.mkdir()
        (folder / "f.txt").write_text(folder.name)
    tools = file_tools(work, ["Read", "Glob"], add_dirs=["../shared"])
    ok, refused, globbed = await run_round(
        tools,
        ("Read", {"file_path": str(shared / "f.txt")}),
        ("Read", {"file_path": str(private / "f.txt")}),
        ("Glob", {"pattern": "*.txt", "path": str(shared)}),
    )
    assert not ok.is_error and "shared" in str(ok.content)
    assert refused.is_error and str(refused.content).startswith("refused: ")
    assert globbed.content == str(shared / "f.txt")
    with pytest.raises(ValueError, match="add_dirs: 'nope' is not a directory"):
        file_tools(work, ["Read"], add_dirs=["nope"])


def test_mcp_servers_from_a_config_file_or_json_text(tmp_path: Path) -> None:
    config = {"mcpServers": {"db": {"command": "db-server", "env": {"DB_TOKEN": "tok-123"}}}}
    path = tmp_path / "mcp.json"
    path.write_text(json.dumps(config))
    for given in (path, str(path), json.dumps(config), json.dumps(config["mcpServers"])):
        opts = options(mcp_servers=given)
        assert opts.tool_settings.mcp_servers == config["mcpServers"]
        assert "tok-123" not in repr(opts)
    with pytest.raises(ValueError, match=r"mcp_servers file '.*nope.json': No such file"):
        options(mcp_servers=str(tmp_path / "nope.json"))
    with pytest.raises(ValueError, match="mcp_servers is not valid JSON"):
        options(mcp_servers="{not json")


async def test_a_pre_tool_use_hook_with_continue_false_stops_the_run() -> None:
    async def halt(data: dict[str, Any], tool_use_id: Any, ctx: Any) -> dict[str, Any]:
        return {"continue_": False, "stopReason": "budget review needed"}

    rec = Recorder(calls_response(("touch", {"path": "a"})), stream_response(text_chunks("x")))
    hooks = {"PreToolUse": [HookMatcher("touch", [halt])]}
    async with rec.client(options(tools=[touch], hooks=hooks)) as client:
        await client.query("go")
        messages = [m async for m in client.receive_response()]
    (result,) = [b for m in messages if isinstance(m, UserMessage) for b in m.content]  # type: ignore[union-attr]
    assert result.is_error and result.content == "budget review needed"  # type: ignore[union-attr]
    assert isinstance(messages[-1], ResultMessage) and messages[-1].subtype == "interrupted"
    assert len(rec.requests) == 1


def test_hook_matchers_are_checked() -> None:
    with pytest.raises(ValueError, match=r"matcher 'Write\|\(' is not a regular expression"):
        options(hooks={"PreToolUse": [HookMatcher("Write|(", [])]})
    with pytest.raises(ValueError, match="entries must be HookMatcher"):
        options(hooks={"Stop": [print]})


async def test_bash_environment_drops_a_proxy_password_and_header_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = "http://me:proxy-pass-SHOULD-NOT-LEAK@proxy.example:8080"
    monkeypatch.setenv("HTTPS_PROXY", proxy)
    monkeypatch.setenv("GATEWAY_TOKEN", "hdr-SHOULD-NOT-LEAK")
    monkeypatch.setenv("VISIBLE", "yes")
    rec = Recorder(calls_response(("Bash", {"command": "env"})), stream_response(text_chunks("ok")))
    opts = options(cwd=tmp_path, tools=["Bash"], proxy=proxy,
                   default_headers={"x-gateway": "hdr-SHOULD-NOT-LEAK"})  # fmt: skip
    async with rec.client(opts) as client:
        await client.query("go")
        messages = [m async for m in client.receive_response()]
    (result,) = [b for m in messages if isinstance(m, UserMessage) for b in m.content]  # type: ignore[union-attr]
    out = str(result.content)  # type: ignore[union-attr]
    assert "VISIBLE=yes" in out and "SHOULD-NOT-LEAK" not in out


SESSION_FIELDS = ["continue_conversation", "resume", "session_id", "fork_session",
                  "resume_session_at", "resume_drops_turn", "session_store",
                  "session_store_flush", "load_timeout_ms"]  # fmt: skip
"""Saved sessions (api.md §6; tests/unit/test_sessions.py): each has a row too."""


def test_every_claude_option_has_a_row_in_docs_claude_options() -> None:
    table = (Path(__file__).parents[2] / "docs" / "claude-options.md").read_text()
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    for name in [*CLAUDE_VALUES, "agents", "forward_subagent_text", *SESSION_FIELDS]:
        assert any(f"`{name}`" in row.split(" | ")[0] for row in rows), name


async def test_failing_hooks_fail_closed_where_they_guard() -> None:
    async def broken(data: dict[str, Any], tool_use_id: Any, ctx: Any) -> dict[str, Any]:
        raise KeyError("oops")

    rec = Recorder(stream_response(text_chunks("ok")))
    async with rec.client(options(hooks={"UserPromptSubmit": [HookMatcher(None, [broken])]})) as c:
        await c.query("hi")
        result = [m async for m in c.receive_response()][-1]
    assert isinstance(result, ResultMessage) and result.subtype == "error_during_execution"
    assert result.result == "UserPromptSubmit hook broken failed: KeyError: 'oops'"
    assert rec.requests == []
    rec = Recorder(stream_response(text_chunks("ok")))
    async with rec.client(options(hooks={"Stop": [HookMatcher(None, [broken])]})) as c:
        await c.query("hi")
        result = [m async for m in c.receive_response()][-1]
    assert isinstance(result, ResultMessage) and result.subtype == "success"  # ignored after


async def test_a_post_tool_use_hook_with_continue_false_ends_the_run_after_the_round() -> None:
    async def halt(data: dict[str, Any], tool_use_id: Any, ctx: Any) -> dict[str, Any]:
        if "critical" in str(data["tool_response"]):
            return {"continue_": False, "stopReason": "critical output: halted"}
        return {"continue_": True}

    @tool
    def probe(path: str) -> str:
        """Report.

        path: where
        """
        return f"critical failure at {path}"

    rec = Recorder(calls_response(("probe", {"path": "a"})), stream_response(text_chunks("x")))
    hooks = {"PostToolUse": [HookMatcher("probe", [halt])]}
    async with rec.client(options(tools=[probe], hooks=hooks)) as client:
        await client.query("go")
        messages = [m async for m in client.receive_response()]
    (result,) = [b for m in messages if isinstance(m, UserMessage) for b in m.content]  # type: ignore[union-attr]
    assert result.content == "critical failure at a"  # type: ignore[union-attr]  # the round is kept
    assert isinstance(messages[-1], ResultMessage) and messages[-1].subtype == "interrupted"
    assert len(rec.requests) == 1  # no turn after it
