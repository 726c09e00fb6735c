"""Claude Agent SDK options on the emulator over TLS (#15, options/tools slice): hooks fire,
permission modes, Bash (cwd, timeout, secret-free env, asked first), env for MCP servers,
budget stop, preset system prompt sent as text, error names raised, the emulator's refusal."""

from __future__ import annotations

import json
import os
import ssl
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from jupyter_azure_ai import (
    APIStatusError,
    AzureAgentClient,
    AzureOpenAIOptions,
    CLIJSONDecodeError,
    CLINotFoundError,
    HookMatcher,
    PermissionResultAllow,
    PermissionResultDeny,
    ProcessError,
    ResultMessage,
    ToolResultBlock,
    UserMessage,
    azure_query,
    tool,
)
from jupyter_azure_ai.emulator import Emulator

pytestmark = pytest.mark.anyio

ENV_SERVER = Path(__file__).resolve().parent / "mcp_servers" / "env_server.py"


def opts(emu: Emulator, **kw: Any) -> AzureOpenAIOptions:
    return AzureOpenAIOptions.from_env(emu.env(), verify=emu.ca_path, **kw)


async def run(options: AzureOpenAIOptions, prompt: str) -> list[Any]:
    return [m async for m in azure_query(prompt, options)]


def results(messages: list[Any]) -> list[ToolResultBlock]:
    return [b for m in messages if isinstance(m, UserMessage) and isinstance(m.content, list)
            for b in m.content if isinstance(b, ToolResultBlock)]  # fmt: skip


def recording_client(emu: Emulator, options: AzureOpenAIOptions) -> tuple[Any, list[Any]]:
    sent: list[dict[str, Any]] = []

    async def record(request: httpx.Request) -> None:
        if request.url.path.endswith("/chat/completions"):
            sent.append(json.loads(request.content))

    tls = ssl.create_default_context(cafile=emu.ca_path)
    http = httpx.AsyncClient(verify=tls, event_hooks={"request": [record]})
    return AzureAgentClient(options, http_client=http), sent


# --- Bash -------------------------------------------------------------------------------


async def test_bash_runs_in_cwd_without_our_secrets(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in emulator.env().items():  # a user who exported the AZURE_* variables
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("INNOCENT", f"x{emulator.subscription_key}x")
    asked: list[str] = []

    async def allow(name: str, tool_input: dict[str, Any], ctx: Any) -> Any:
        asked.append(tool_input["command"])
        return PermissionResultAllow()

    options = opts(emulator, cwd=tmp_path, tools=["Bash"], env={"GREETING": "hej"},
                   can_use_tool=allow)  # fmt: skip
    messages = await run(options, 'run Bash {"command": "pwd; env | sort"}')
    (result,) = results(messages)
    out = str(result.content)
    assert not result.is_error and out.splitlines()[0] == os.path.realpath(tmp_path)  # noqa: ASYNC240
    assert "GREETING=hej" in out and f"AZURE_TENANT_ID={emulator.tenant_id}" in out
    for secret in (emulator.client_secret, emulator.subscription_key):
        assert secret not in out
    assert "AZURE_CLIENT_SECRET" not in out and "INNOCENT" not in out
    assert asked == ["pwd; env | sort"]  # asked first, like every tool
    final = messages[-1]
    assert isinstance(final, ResultMessage) and final.subtype == "success"
    assert str(final.result).startswith("Based on Bash: /")


async def test_bash_denied_by_can_use_tool_or_a_hook_never_runs(
    emulator: Emulator, tmp_path: Path
) -> None:
    marker = tmp_path / "ran.txt"

    async def deny(name: str, tool_input: dict[str, Any], ctx: Any) -> Any:
        return PermissionResultDeny(message="no shell today")

    prompt = f'run Bash {{"command": "touch {marker}"}}'
    messages = await run(opts(emulator, cwd=tmp_path, tools=["Bash"], can_use_tool=deny), prompt)
    assert results(messages)[0].content == "no shell today" and not marker.exists()

    async def guard(data: dict[str, Any], tool_use_id: Any, ctx: Any) -> dict[str, Any]:
        return {"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "deny",
                                       "permissionDecisionReason": "hook says no"}}  # fmt: skip

    hooks = {"PreToolUse": [HookMatcher("Bash", [guard])]}
    messages = await run(opts(emulator, cwd=tmp_path, allowed_tools=["Bash"], hooks=hooks), prompt)
    assert results(messages)[0].content == "hook says no" and not marker.exists()
    messages = await run(opts(emulator, cwd=tmp_path, allowed_tools=["Bash"]), prompt)
    assert not results(messages)[0].is_error and marker.exists()  # the control: it does run


async def test_bash_timeout_on_the_emulator(emulator: Emulator, tmp_path: Path) -> None:
    started = time.monotonic()
    messages = await run(
        opts(emulator, cwd=tmp_path, allowed_tools=["Bash"]),
        'run Bash {"command": "sleep 30", "timeout": 400}',
    )
    (result,) = results(messages)
    assert result.is_error and "timed out after 400 ms" in str(result.content)
    assert time.monotonic() - started < 10


async def test_bash_is_off_unless_named(emulator: Emulator, tmp_path: Path) -> None:
    messages = await run(opts(emulator, cwd=tmp_path, allowed_tools=["Read"]), "run Bash ls")
    assert "Bash" not in messages[0].data["tools"] and results(messages) == []


# --- permission modes -------------------------------------------------------------------


async def test_plan_mode_writes_nothing_accept_edits_writes_without_asking(
    emulator: Emulator, tmp_path: Path
) -> None:
    asked: list[str] = []

    async def refuse_all(name: str, tool_input: dict[str, Any], ctx: Any) -> Any:
        asked.append(name)
        return PermissionResultDeny(message="asked and refused")

    prompt = 'use Write {"file_path": "plan.txt", "content": "x"}'
    base = {"cwd": tmp_path, "tools": ["Read", "Write"], "can_use_tool": refuse_all}
    messages = await run(opts(emulator, permission_mode="plan", **base), prompt)
    assert "does not run in plan mode" in str(results(messages)[0].content)
    assert not (tmp_path / "plan.txt").exists() and asked == []
    messages = await run(opts(emulator, permission_mode="default", **base), prompt)
    assert results(messages)[0].content == "asked and refused" and asked == ["Write"]
    messages = await run(opts(emulator, permission_mode="acceptEdits", **base), prompt)
    assert not results(messages)[0].is_error and (tmp_path / "plan.txt").read_text() == "x"
    assert asked == ["Write"]  # acceptEdits did not ask


async def test_disallowed_and_unknown_tool_names(emulator: Emulator, tmp_path: Path) -> None:
    allowed, disallowed = ["Read", "WebSearch", "Glob"], ["Glob", "WebFetch"]
    options = opts(emulator, cwd=tmp_path, allowed_tools=allowed, disallowed_tools=disallowed,
                   permission_mode="acceptEdits")  # fmt: skip
    messages = await run(options, "hello")
    assert messages[0].data["tools"] == ["Read"]
    assert messages[0].data["permissionMode"] == "acceptEdits"
    assert isinstance(messages[-1], ResultMessage) and messages[-1].subtype == "success"


# --- hooks ------------------------------------------------------------------------------


async def test_every_supported_hook_event_fires(emulator: Emulator, tmp_path: Path) -> None:
    fired: list[str] = []

    def hook(output: dict[str, Any] | None = None) -> Any:
        async def record(data: dict[str, Any], tool_use_id: Any, ctx: Any) -> dict[str, Any]:
            fired.append(data["hook_event_name"])
            assert data["session_id"] and data["cwd"] and data["transcript_path"] == ""
            return output or {}

        return record

    @tool
    def explode(city: str) -> str:
        """Fails.

        city: a city
        """
        raise RuntimeError("no data")

    context = {"hookSpecificOutput": {"hookEventName": "UserPromptSubmit",
                                      "additionalContext": "Context from a hook."}}  # fmt: skip
    hooks = {
        event: [HookMatcher(None, [hook(context if event == "UserPromptSubmit" else None)])]
        for event in ("PreToolUse", "PostToolUse", "PostToolUseFailure", "PermissionRequest",
                      "UserPromptSubmit", "Stop", "PreCompact", "Notification")
    }  # fmt: skip
    options = opts(emulator, cwd=tmp_path, tools=[explode, "Read"], hooks=hooks)
    (tmp_path / "a.txt").write_text("alpha")
    messages = await run(options, 'call Read {"file_path": "a.txt"} and explode it')
    assert fired[0] == "UserPromptSubmit" and fired[-1] == "Stop"
    calls = len(results(messages))  # Read, and explode once per capitalised word
    assert calls >= 2 and fired.count("PreToolUse") == fired.count("PermissionRequest") == calls
    assert fired.count("PostToolUse") == 1 and fired.count("PostToolUseFailure") == calls - 1
    assert "PreCompact" not in fired and "Notification" not in fired  # accepted, never fired
    read = [r for r in results(messages) if not r.is_error]
    assert len(read) == 1 and "alpha" in str(read[0].content)

    # the hook's context reached the model (the emulator quotes the prompt it got)
    messages = await run(opts(emulator, hooks=hooks), "Tell me about APIM")
    assert "Context from a hook." in str(messages[-1].result)


async def test_user_prompt_submit_block_sends_nothing(emulator: Emulator) -> None:
    async def block(data: dict[str, Any], tool_use_id: Any, ctx: Any) -> dict[str, Any]:
        return {"decision": "block", "reason": "no secrets in prompts"}

    before = emulator.stats.chat_requests
    messages = await run(opts(emulator, hooks={"UserPromptSubmit": [HookMatcher(None, [block])]}),
                         "my password is hunter2")  # fmt: skip
    result = messages[-1]
    assert isinstance(result, ResultMessage) and result.subtype == "error_during_execution"
    assert result.result == "no secrets in prompts" and emulator.stats.chat_requests == before


async def test_stop_hook_makes_the_model_go_on(emulator: Emulator) -> None:
    async def again(data: dict[str, Any], tool_use_id: Any, ctx: Any) -> dict[str, Any]:
        return {} if data["stop_hook_active"] else {"decision": "block", "reason": "Say hello."}

    messages = await run(opts(emulator, hooks={"Stop": [HookMatcher(None, [again])]}),
                         "capital of France")  # fmt: skip
    result = messages[-1]
    assert isinstance(result, ResultMessage) and result.num_turns == 2
    assert str(result.result).startswith("Hello!")  # the emulator's answer to "Say hello."


# --- env, budget, cost, system prompt ------------------------------------------------------


async def test_env_reaches_mcp_servers(emulator: Emulator) -> None:
    servers = {"envsrv": {"command": sys.executable, "args": [str(ENV_SERVER)]}}
    options = opts(emulator, mcp_servers=servers, env={"MY_FLAG": "from-options"})
    messages = await run(options, 'call mcp__envsrv__getenv {"name": "MY_FLAG"}')
    assert results(messages)[0].content == "from-options"


async def test_budget_stops_the_run_and_cost_is_known_without_configuration(
    emulator: Emulator,
) -> None:
    @tool
    def get_weather(city: str) -> str:
        """Weather.

        city: a city
        """
        return f"sunny in {city}"

    free = await run(opts(emulator, model="gpt-4o", tools=[get_weather]), "weather in Paris")
    result = free[-1]
    assert isinstance(result, ResultMessage) and result.subtype == "success"
    assert result.num_turns == 2 and result.total_cost_usd is not None
    assert result.total_cost_usd > 0  # the built-in price table, no configuration
    capped = await run(
        opts(emulator, model="gpt-4o", tools=[get_weather], max_budget_usd=1e-9),
        "weather in Paris",
    )
    result = capped[-1]
    assert isinstance(result, ResultMessage) and result.subtype == "error_max_budget_usd"
    assert result.is_error and result.num_turns == 1 and result.total_cost_usd > 1e-9  # type: ignore[operator]
    unknown = (await run(opts(emulator, model="gpt-4"), "hello"))[-1]
    assert isinstance(unknown, ResultMessage) and unknown.total_cost_usd is None


async def test_preset_system_prompt_is_sent_as_its_text(emulator: Emulator) -> None:
    preset = {"type": "preset", "preset": "claude_code", "append": "Answer briefly."}
    client, sent = recording_client(emulator, opts(emulator, system_prompt=preset, user="u-1"))
    async with client:
        await client.query("hello")
        result = [m async for m in client.receive_response()][-1]
    assert isinstance(result, ResultMessage) and result.subtype == "success"
    assert sent[0]["messages"][0] == {"role": "system", "content": "Answer briefly."}
    assert sent[0]["user"] == "u-1"


# --- the emulator refuses what Azure refuses; error names -----------------------------------


async def test_emulator_refuses_a_system_message_that_is_not_text(emulator: Emulator) -> None:
    options = opts(emulator)
    async with AzureAgentClient(options) as client:
        transport = client._ensure_transport()
        for content, code in (
            ({"type": "preset", "preset": "claude_code"}, "invalid_type"),
            ([{"type": "image_url", "image_url": {"url": "data:,"}}], "invalid_value"),
        ):
            messages = [{"role": "system", "content": content}, {"role": "user", "content": "hi"}]
            body = transport.body(messages, client.settings)
            with pytest.raises(APIStatusError) as info:
                await transport.open_chat(body, client.settings)
            assert info.value.status_code == 400
            error = info.value.body["error"]
            assert error["code"] == code and error["type"] == "invalid_request_error"
            assert error["param"].startswith("messages[0].content")


async def test_error_names_users_catch(emulator: Emulator) -> None:
    with pytest.raises(CLIJSONDecodeError):
        await run(opts(emulator, model="fault-malformed"), "hello")
    with pytest.raises(CLINotFoundError):
        await run(opts(emulator, mcp_servers={"x": {"command": "no-such-server-abc"}}), "hello")
    code = "import sys; sys.exit(2)"
    with pytest.raises(ProcessError):
        await run(opts(emulator, mcp_servers={"x": {"command": sys.executable,
                                                     "args": ["-c", code]}}), "hello")  # fmt: skip


async def test_fallback_model_on_the_emulator(emulator: Emulator) -> None:
    messages = await run(opts(emulator, model="not-deployed", fallback_model="gpt-4o"), "hello")
    assistant = [m for m in messages if type(m).__name__ == "AssistantMessage"]
    assert assistant and assistant[0].model == "gpt-4o-2024-11-20"
    result = messages[-1]
    assert isinstance(result, ResultMessage) and result.subtype == "success"
    assert result.total_cost_usd is not None and result.total_cost_usd > 0  # priced as gpt-4o


async def test_claude_hooks_example_stop_on_error(emulator: Emulator, tmp_path: Path) -> None:
    """The Claude SDK's examples/hooks.py ContinueControl case, after the swap."""

    async def stop_on_error_hook(data: dict[str, Any], tool_use_id: Any, ctx: Any) -> Any:
        if "critical" in str(data.get("tool_response", "")).lower():
            return {"continue_": False, "stopReason": "Critical error detected in tool output"}
        return {"continue_": True}

    hooks = {"PostToolUse": [HookMatcher(matcher="Bash", hooks=[stop_on_error_hook])]}
    before = emulator.stats.chat_requests
    messages = await run(
        opts(emulator, cwd=tmp_path, allowed_tools=["Bash"], hooks=hooks),
        """Run Bash {"command": "echo 'CRITICAL ERROR: system failure'"}""",
    )
    assert "CRITICAL ERROR" in str(results(messages)[0].content)
    result = messages[-1]
    assert isinstance(result, ResultMessage) and result.subtype == "interrupted"
    assert emulator.stats.chat_requests - before == 1  # no turn after the hook stopped it
