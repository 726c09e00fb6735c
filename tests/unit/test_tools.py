"""@tool schemas, argument checks, timeouts, permissions, hooks, file tools in cwd (no network)."""

from __future__ import annotations

import enum
import functools
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Optional

import anyio
import httpx
import pydantic
import pytest

from jupyter_azure_ai import (
    HookMatcher,
    PermissionResultAllow,
    PermissionResultDeny,
    ResultMessage,
    ToolPermissionContext,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
    create_sdk_mcp_server,
    tool,
)
from jupyter_azure_ai._internal.file_tools import file_tools
from jupyter_azure_ai._internal.tool_calls import ToolSet, run_tool_calls
from jupyter_azure_ai.tools import SdkTool

from .fakes import Recorder, options, stream_response, text_chunks

pytestmark = pytest.mark.anyio


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclass
class Point:
    x: float
    y: float
    label: str = ""


class Box(pydantic.BaseModel):
    corner: Point
    size: int


def calls_response(*calls: tuple[str, dict[str, Any]]) -> httpx.Response:
    chunks: list[dict[str, Any]] = [{"choices": [{"index": 0, "delta": {"role": "assistant"}}]}]
    for i, (name, args) in enumerate(calls):
        function = {"name": name, "arguments": json.dumps(args)}
        call = {"index": i, "id": f"call_{i}", "type": "function", "function": function}
        chunks.append({"choices": [{"index": 0, "delta": {"tool_calls": [call]}}]})
    chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
    return stream_response(chunks)


async def run_round(
    tools: list[SdkTool], *uses: tuple[str, dict[str, Any]], **opts: Any
) -> list[ToolResultBlock]:
    toolset = ToolSet()
    for t in tools:
        toolset.add(t)
    blocks = [ToolUseBlock(f"call_{i}", name, args) for i, (name, args) in enumerate(uses)]
    results: list[ToolResultBlock | None] = [None] * len(blocks)
    await run_tool_calls(toolset, blocks, options(**opts), "session", results)
    return [r for r in results if r is not None]


# --- schemas -----------------------------------------------------------------


def test_schema_for_each_supported_hint() -> None:
    @tool
    def everything(
        s: str,
        i: int,
        f: float,
        b: bool,
        items: list[int],
        table: dict[str, float],
        mode: Literal["fast", "slow"],
        maybe: Optional[int],  # noqa: UP045 - the spelling users write
        maybe_too: str | None,
        color: Color,
        point: Point,
        box: Box,
        anything: Any = None,
        raw: list = [],  # noqa: B006
        plain: dict = {},  # noqa: B006
    ) -> str:
        return ""

    p = everything.parameters["properties"]
    assert p["s"] == {"type": "string"} and p["i"] == {"type": "integer"}
    assert p["f"] == {"type": "number"} and p["b"] == {"type": "boolean"}
    assert p["items"] == {"type": "array", "items": {"type": "integer"}}
    assert p["table"] == {"type": "object", "additionalProperties": {"type": "number"}}
    assert p["mode"] == {"type": "string", "enum": ["fast", "slow"]}
    assert p["maybe"] == {"type": ["integer", "null"]}
    assert p["maybe_too"] == {"type": ["string", "null"]}
    assert p["color"] == {"enum": ["red", "blue"]}
    assert p["point"] == {
        "type": "object",
        "properties": {
            "x": {"type": "number"},
            "y": {"type": "number"},
            "label": {"type": "string"},
        },
        "required": ["x", "y"],
    }
    assert p["box"]["properties"]["corner"] == {"$ref": "#/$defs/Point"}
    assert "Point" in everything.parameters["$defs"]
    assert (
        p["anything"] == {} and p["raw"] == {"type": "array"} and p["plain"] == {"type": "object"}
    )
    assert everything.parameters["required"] == [
        "s", "i", "f", "b", "items", "table", "mode", "maybe", "maybe_too", "color", "point", "box"
    ]  # fmt: skip


def test_a_none_default_leaves_the_hint_as_written() -> None:
    # Python 3.10's typing.get_type_hints wrapped these hints in Optional (3.11 stopped):
    # the schema follows the annotation on every version (.ci/run runs this on 3.10 and 3.13)
    def strings(
        anything: Any = None,
        count: int = None,  # noqa: RUF013 - what users write
        maybe: Optional[int] = None,  # noqa: UP045
        name: str | None = None,
        point: Point = None,
    ) -> None: ...

    def objects(anything=None, count=None, maybe=None, name=None, point=None):  # type: ignore[no-untyped-def]
        pass

    # annotations as objects, as without `from __future__ import annotations`
    objects.__annotations__ = {
        "anything": Any, "count": int, "maybe": Optional[int], "name": str | None, "point": Point  # noqa: UP045
    }  # fmt: skip

    @functools.wraps(strings)
    def wrapped(*args: Any, **kwargs: Any) -> None: ...

    class Holder:
        def method(self, anything: Any = None, count: int = None) -> None: ...  # noqa: RUF013

    point = {
        "type": "object",
        "properties": {
            "x": {"type": "number"},
            "y": {"type": "number"},
            "label": {"type": "string"},
        },
        "required": ["x", "y"],
    }
    expected = {
        "anything": {},
        "count": {"type": "integer"},
        "maybe": {"type": ["integer", "null"]},
        "name": {"type": ["string", "null"]},
        "point": point,
    }
    for fn in (strings, objects, wrapped):
        assert tool(fn).parameters == {"type": "object", "properties": expected, "required": []}
    assert tool(Holder().method).parameters["properties"] == {
        "anything": {},
        "count": {"type": "integer"},
    }


def test_docstring_descriptions_in_three_styles() -> None:
    @tool
    def google(city: str, days: int = 1) -> str:
        """Forecast for a city.

        Longer text that is not a parameter.

        Args:
            city (str): the city name,
                in English
            days: how many days
        """
        return ""

    @tool(name="forecast", description="Weather ahead")
    def sphinx(city: str) -> str:
        """Ignored summary.

        :param str city: the city name
        """
        return ""

    props = google.parameters["properties"]
    assert props["city"]["description"] == "the city name, in English"
    assert props["days"]["description"] == "how many days"
    assert google.description == "Forecast for a city."
    assert (sphinx.name, sphinx.description) == ("forecast", "Weather ahead")
    assert sphinx.parameters["properties"]["city"]["description"] == "the city name"
    assert google("Paris") == ""  # still callable as a function


def test_unsupported_hint_names_the_parameter() -> None:
    with pytest.raises(TypeError, match=r"@tool f: parameter 'when'.*has no JSON schema"):

        @tool
        def f(when: time.struct_time) -> None: ...


def test_claude_sdk_form_takes_one_dict() -> None:
    @tool("greet", "Greet a user", {"name": str, "times": int})
    async def greet(args: dict[str, Any]) -> dict[str, Any]:
        return {"content": [{"type": "text", "text": f"Hi {args['name']}" * args["times"]}]}

    assert greet.name == "greet" and greet.args_dict
    assert greet.input_schema == {
        "type": "object",
        "properties": {"name": {"type": "string"}, "times": {"type": "integer"}},
        "required": ["name", "times"],
    }


# --- validation, coercion, errors, timeouts ------------------------------------


async def test_invalid_arguments_never_reach_the_function() -> None:
    called: list[Any] = []

    @tool
    def forecast(city: str, days: int) -> str:
        called.append(city)
        return "ok"

    missing, wrong, extra_ok = await run_round(
        [forecast],
        ("forecast", {"city": "Paris"}),
        ("forecast", {"city": "Paris", "days": "three"}),
        ("forecast", {"city": "Oslo", "days": 2}),
    )
    assert missing == ToolResultBlock(
        "call_0", "invalid arguments for forecast: 'days' is a required property", is_error=True
    )
    assert wrong.content == "invalid arguments for forecast: days: 'three' is not of type 'integer'"
    assert wrong.is_error and extra_ok == ToolResultBlock("call_2", "ok", is_error=False)
    assert called == ["Oslo"]


async def test_arguments_become_dataclasses_and_models() -> None:
    seen: list[Any] = []

    @tool
    async def draw(box: Box, points: list[Point], color: Color = Color.RED) -> dict[str, Any]:
        seen.extend([box, points, color])
        return {"area": box.size**2}

    args = {"box": {"corner": {"x": 1, "y": 2}, "size": 3}, "points": [{"x": 0, "y": 1}]}
    (result,) = await run_round([draw], ("draw", {**args, "color": "blue"}))
    assert result == ToolResultBlock("call_0", '{"area": 9}', is_error=False)
    box, points, color = seen
    assert box == Box(corner=Point(1.0, 2.0), size=3)
    assert points == [Point(0.0, 1.0)] and isinstance(points[0].x, float)
    assert color is Color.BLUE


async def test_exception_is_one_line_and_run_continues() -> None:
    @tool
    def get_weather(location: str) -> str:
        raise RuntimeError("station offline\n  (retry later)")

    rec = Recorder(calls_response(("get_weather", {"location": "Paris"})), stream_response(
        text_chunks("sorry")))  # fmt: skip
    async with rec.client(options(tools=[get_weather])) as client:
        await client.query("weather?")
        messages = [m async for m in client.receive_response()]
    results = next(m for m in messages if isinstance(m, UserMessage)).content
    assert results == [
        ToolResultBlock("call_0", "RuntimeError: station offline (retry later)", is_error=True)
    ]
    final = messages[-1]
    assert isinstance(final, ResultMessage) and final.subtype == "success"
    assert final.result == "sorry " and final.num_turns == 2


async def test_per_tool_timeout_async_and_sync() -> None:
    @tool(timeout=0.2)
    async def slow_async() -> str:
        await anyio.sleep(10)
        return "never"

    @tool(timeout=0.2)
    def slow_sync() -> str:
        time.sleep(1)
        return "never"

    started = time.perf_counter()
    a, s = await run_round([slow_async, slow_sync], ("slow_async", {}), ("slow_sync", {}))
    assert time.perf_counter() - started < 0.9  # concurrent, and not waiting for the thread
    assert a == ToolResultBlock("call_0", "slow_async timed out after 0.2 s", is_error=True)
    assert s == ToolResultBlock("call_1", "slow_sync timed out after 0.2 s", is_error=True)
    assert SdkTool.__dataclass_fields__["timeout"].default == 60.0


async def test_unknown_tool_name_is_an_error_result() -> None:
    @tool
    def known() -> str:
        return "x"

    (r,) = await run_round([known], ("made_up", {}))
    assert r.is_error and r.content == "there is no tool named 'made_up' (tools: known)"


# --- permissions and hooks ----------------------------------------------------


@tool
def remove(path: str) -> str:
    """Pretend to delete a file."""
    return f"removed {path}"


async def test_can_use_tool_allow_edit_and_deny() -> None:
    asked: list[tuple[str, dict[str, Any], ToolPermissionContext]] = []

    async def can_use_tool(
        name: str, tool_input: dict[str, Any], context: ToolPermissionContext
    ) -> PermissionResultAllow | PermissionResultDeny:
        asked.append((name, tool_input, context))
        if tool_input["path"] == "keep.txt":
            return PermissionResultDeny(message="keep.txt is protected")
        if tool_input["path"].startswith("/"):
            return PermissionResultAllow(updated_input={"path": "sandbox" + tool_input["path"]})
        return PermissionResultAllow()

    results = await run_round(
        [remove],
        ("remove", {"path": "a.txt"}),
        ("remove", {"path": "/b.txt"}),
        ("remove", {"path": "keep.txt"}),
        can_use_tool=can_use_tool,
    )
    assert [(r.content, r.is_error) for r in results] == [
        ("removed a.txt", False),
        ("removed sandbox/b.txt", False),
        ("keep.txt is protected", True),
    ]
    assert [a[0] for a in asked] == ["remove"] * 3 and asked[1][2].tool_use_id == "call_1"


async def test_edited_input_is_validated_too() -> None:
    async def can_use_tool(name: str, tool_input: dict[str, Any], ctx: Any) -> Any:
        return PermissionResultAllow(updated_input={"path": 42})

    (r,) = await run_round([remove], ("remove", {"path": "a"}), can_use_tool=can_use_tool)
    assert (
        r.is_error and r.content == "invalid arguments for remove: path: 42 is not of type 'string'"
    )


async def test_deny_with_interrupt_ends_the_run_as_interrupted() -> None:
    async def can_use_tool(name: str, tool_input: dict[str, Any], ctx: Any) -> Any:
        return PermissionResultDeny(message="stop everything", interrupt=True)

    rec = Recorder(calls_response(("remove", {"path": "x"})), stream_response(text_chunks("no")))
    async with rec.client(options(tools=[remove], can_use_tool=can_use_tool)) as client:
        await client.query("remove x")
        messages = [m async for m in client.receive_response()]
    result = messages[-1]
    assert isinstance(result, ResultMessage) and result.subtype == "interrupted"
    assert len(rec.requests) == 1
    assert messages[-2] == UserMessage(
        [ToolResultBlock("call_0", "stop everything", is_error=True)]
    )


async def test_pre_and_post_tool_use_hooks() -> None:
    seen: list[tuple[str, str, Any]] = []

    async def guard(data: dict[str, Any], tool_use_id: str | None, ctx: Any) -> dict[str, Any]:
        seen.append((data["hook_event_name"], data["tool_name"], tool_use_id))
        if data["tool_input"]["path"] == "secret":
            return {
                "hookSpecificOutput": {
                    "hookEventName": "PreToolUse",
                    "permissionDecision": "deny",
                    "permissionDecisionReason": "secrets stay put",
                }
            }
        return {"hookSpecificOutput": {"updatedInput": {"path": data["tool_input"]["path"] + "!"}}}

    async def audit(data: dict[str, Any], tool_use_id: str | None, ctx: Any) -> dict[str, Any]:
        seen.append((data["hook_event_name"], data["tool_response"], tool_use_id))
        return {"hookSpecificOutput": {"additionalContext": "(audited)"}}

    async def never(data: dict[str, Any], tool_use_id: str | None, ctx: Any) -> dict[str, Any]:
        raise AssertionError("matcher must not match")

    hooks = {
        "PreToolUse": [HookMatcher("remove|rename", [guard]), HookMatcher("Write", [never])],
        "PostToolUse": [HookMatcher(None, [audit])],
    }
    ok, denied = await run_round(
        [remove], ("remove", {"path": "a"}), ("remove", {"path": "secret"}), hooks=hooks
    )
    assert ok == ToolResultBlock("call_0", "removed a!\n(audited)", is_error=False)
    assert denied == ToolResultBlock("call_1", "secrets stay put", is_error=True)
    assert seen == [
        ("PreToolUse", "remove", "call_0"),
        ("PreToolUse", "remove", "call_1"),
        ("PostToolUse", "removed a!", "call_0"),
    ]


async def test_a_failing_pre_hook_denies() -> None:
    async def broken(data: dict[str, Any], tool_use_id: str | None, ctx: Any) -> dict[str, Any]:
        raise KeyError("oops")

    hooks = {"PreToolUse": [HookMatcher(None, [broken])]}
    (r,) = await run_round([remove], ("remove", {"path": "a"}), hooks=hooks)
    assert r.is_error and r.content == "PreToolUse hook broken failed: KeyError: 'oops'"


# --- in-process MCP server, pricing, options ------------------------------------


async def test_sdk_mcp_server_tools_are_prefixed_and_run() -> None:
    @tool("add", "Add two numbers", {"a": float, "b": float})
    async def add(args: dict[str, Any]) -> dict[str, Any]:
        return {"content": [{"type": "text", "text": str(args["a"] + args["b"])}]}

    calc = create_sdk_mcp_server("calc", tools=[add])
    rec = Recorder(calls_response(("mcp__calc__add", {"a": 2, "b": 3})), stream_response(
        text_chunks("five")))  # fmt: skip
    opts = options(mcp_servers={"calc": calc}, pricing={"gpt-4": {"input": 10.0, "output": 30.0}})
    async with rec.client(opts) as client:
        await client.query("add")
        messages = [m async for m in client.receive_response()]
    assert rec.bodies()[0]["tools"][0]["function"]["name"] == "mcp__calc__add"
    assert next(m for m in messages if isinstance(m, UserMessage)).content == [
        ToolResultBlock("call_0", "5", is_error=False)
    ]
    result = messages[-1]
    assert isinstance(result, ResultMessage) and result.usage is not None
    # two turns; the tool-call turn reports no usage, the answer 7 in / 3 out
    assert result.usage["input_tokens"] == 7 and result.usage["output_tokens"] == 3
    assert result.total_cost_usd == pytest.approx((7 * 10 + 3 * 30) / 1e6)


async def test_cost_is_none_without_a_price_for_the_deployment() -> None:
    # no pricing for this deployment, and a reported model the built-in table does not know
    rec = Recorder(stream_response(text_chunks("hi", model="gpt-35-turbo-0125")))
    async with rec.client(options(pricing={"gpt-4o": {"input": 1, "output": 1}})) as client:
        await client.query("hi")
        result = [m async for m in client.receive_response()][-1]
    assert isinstance(result, ResultMessage) and result.total_cost_usd is None


def test_tool_options_are_validated_and_masked() -> None:
    # allowed_tools approves: a name not offered here (WebFetch, a rule) is no error
    assert options(allowed_tools=["Read", "WebFetch", "Bash(git status:*)"]).allowed_tools
    with pytest.raises(ValueError, match=r"env must be a dict of str to str"):
        options(env={"N": 1})
    with pytest.raises(ValueError, match=r"mcp_servers\['x'\] needs a 'command'"):
        options(mcp_servers={"x": {"args": []}})
    with pytest.raises(ValueError, match=r"pricing\['gpt-4'\] must be USD per 1M tokens"):
        options(pricing={"gpt-4": {"input": 1}})
    opts = options(mcp_servers={"db": {"command": "srv", "env": {"DB_TOKEN": "hunter2-token"}}})
    assert "hunter2-token" not in repr(opts) and "'DB_TOKEN': '***'" in repr(opts)
    opts = options(env={"API_TOKEN": "hunter3-token"})
    assert "hunter3-token" not in repr(opts) and "env={'API_TOKEN': '***'}" in repr(opts)
    assert "cli_path" not in repr(opts)  # a no-effect Claude option at its default is not shown


# --- built-in file tools, confined to cwd --------------------------------------


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    root = tmp_path / "work"
    (root / "sub").mkdir(parents=True)
    (root / "notes.txt").write_text("alpha\nbeta\ngamma\n")
    (root / "sub" / "code.py").write_text("def beta():\n    return 1\n")
    (tmp_path / "secret.txt").write_text("TOP SECRET\n")
    os.symlink(tmp_path / "secret.txt", root / "link.txt")
    os.symlink(tmp_path, root / "escape")
    os.symlink(root / "notes.txt", root / "inner.txt")
    return root


async def test_file_tools_work_inside_cwd(workdir: Path) -> None:
    tools = file_tools(workdir, ["Read", "Write", "Edit", "Glob", "Grep"])
    results = await run_round(
        tools,
        ("Read", {"file_path": "notes.txt", "offset": 2, "limit": 1}),
        ("Read", {"file_path": "inner.txt"}),
        ("Write", {"file_path": "out/new.txt", "content": "hello beta"}),
        ("Edit", {"file_path": "sub/code.py", "old_string": "return 1", "new_string": "return 2"}),
        ("Glob", {"pattern": "**/*.py"}),
        ("Grep", {"pattern": "beta", "glob": "*.txt"}),
        cwd=workdir,
    )
    read, inner, write, edit, glob, grep = (r.content for r in results)
    assert not any(r.is_error for r in results), results
    assert read == "     2\tbeta" and "     1\talpha" in str(inner)
    assert write == "wrote 10 bytes to out/new.txt"
    assert (workdir / "out" / "new.txt").read_text() == "hello beta"
    assert edit == "replaced 1 occurrence(s) in sub/code.py"
    assert "return 2" in (workdir / "sub" / "code.py").read_text()
    assert glob == "sub/code.py"
    assert grep == "inner.txt:2: beta\nnotes.txt:2: beta"  # link.txt (outside) is skipped


async def test_file_tools_refuse_escapes(workdir: Path, tmp_path: Path) -> None:
    tools = file_tools(workdir, ["Read", "Write", "Edit", "Glob", "Grep"])
    attempts = [
        ("Read", {"file_path": str(tmp_path / "secret.txt")}),
        ("Read", {"file_path": "../secret.txt"}),
        ("Read", {"file_path": "sub/../../secret.txt"}),
        ("Read", {"file_path": "link.txt"}),
        ("Read", {"file_path": "escape/secret.txt"}),
        ("Write", {"file_path": "escape/planted.txt", "content": "x"}),
        ("Write", {"file_path": "/tmp/planted.txt", "content": "x"}),
        ("Edit", {"file_path": "link.txt", "old_string": "TOP", "new_string": "NOT"}),
        ("Glob", {"pattern": "../*"}),
        ("Glob", {"pattern": "*", "path": ".."}),
        ("Grep", {"pattern": "SECRET", "path": "escape"}),
    ]
    results = await run_round(tools, *attempts, cwd=workdir)
    for (name, args), r in zip(attempts, results, strict=True):
        assert r.is_error and str(r.content).startswith("refused: "), (name, args, r)
    assert "through a symlink" in str(results[3].content)
    assert "outside the working directory" in str(results[1].content)
    assert (tmp_path / "secret.txt").read_text() == "TOP SECRET\n"
    assert sorted(os.listdir(tmp_path)) == ["secret.txt", "work"]
    assert "planted.txt" not in os.listdir("/tmp")
    # Glob from inside never lists what a symlink points at outside
    (glob,) = await run_round(tools, ("Glob", {"pattern": "**/*.txt"}), cwd=workdir)
    assert "secret" not in str(glob.content) and "link.txt" not in str(glob.content)


async def test_write_asks_can_use_tool_and_runs_without_one(workdir: Path) -> None:
    asked: list[str] = []

    async def deny_writes(name: str, tool_input: dict[str, Any], ctx: Any) -> Any:
        asked.append(name)
        if name in ("Write", "Edit"):
            return PermissionResultDeny(message=f"{name} needs a human")
        return PermissionResultAllow()

    tools = file_tools(workdir, ["Read", "Write"])
    write, read = await run_round(
        tools,
        ("Write", {"file_path": "a.txt", "content": "x"}),
        ("Read", {"file_path": "notes.txt"}),
        cwd=workdir,
        can_use_tool=deny_writes,
    )
    assert write == ToolResultBlock("call_0", "Write needs a human", is_error=True)
    assert not read.is_error and asked == ["Write", "Read"]
    assert not (workdir / "a.txt").exists()
    (write,) = await run_round(
        tools, ("Write", {"file_path": "a.txt", "content": "x"}), cwd=workdir
    )
    assert not write.is_error and (workdir / "a.txt").read_text() == "x"


async def test_allowed_tools_offers_only_the_named_built_ins(workdir: Path) -> None:
    rec = Recorder(stream_response(text_chunks("ok")))
    async with rec.client(options(cwd=workdir, allowed_tools=["Read", "Grep"])) as client:
        await client.query("hi")
        messages = [m async for m in client.receive_response()]
    names = [t["function"]["name"] for t in rec.bodies()[0]["tools"]]
    assert names == ["Read", "Grep"]
    assert messages[0].data["tools"] == ["Read", "Grep"]  # type: ignore[union-attr]
