"""``@tool``: a Python function the model may call, and in-process MCP servers.

The JSON schema comes from the signature's type hints (str, int, float, bool, list,
dict, Literal, Optional, Enum, dataclasses, TypedDicts, pydantic models) and the
docstring's parameter lines (``name: text``, Google ``Args:`` or ``:param name: text``). The
model's arguments are checked against that schema (jsonschema, imported on first
use) before the call, then turned back into the hinted types (a dict into the
dataclass or pydantic model). What goes wrong — invalid arguments, an exception, a
timeout — goes back to the model as a one-line result with ``is_error=True``; the
run continues (see ``_internal/tool_calls.py``).

The Claude Agent SDK's form also works, so its tools migrate unchanged::

    @tool("greet", "Greet a user", {"name": str})
    async def greet(args): return {"content": [{"type": "text", "text": f"Hi {args['name']}"}]}
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import json
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict, overload

import anyio.to_thread

DEFAULT_TOOL_TIMEOUT = 60.0
_SIMPLE: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}
_PARAM_LINE = re.compile(r"^\s*[*]{0,2}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.+)$")
_SPHINX_LINE = re.compile(r"^\s*:param\s+(?:[^:]*\s)?(\w+)\s*:\s*(.+)$")


class ToolError(Exception):
    """Raise it in a tool to send just its message to the model as an error result.

    Any other exception also reaches the model, as ``"TypeName: message"``; ``ToolError``
    is for failures the model should read as plain words (``raise ToolError("no such
    city")``). Either way the run goes on and the model may try again.
    """


# --- JSON schema from type hints ---------------------------------------------


def _is_pydantic(hint: Any) -> bool:
    return isinstance(hint, type) and hasattr(hint, "model_json_schema")


def _is_typeddict(hint: Any) -> bool:
    """A TypedDict class, from ``typing`` or ``typing_extensions`` (which differ by version)."""
    return isinstance(hint, type) and issubclass(hint, dict) and hasattr(hint, "__required_keys__")


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema.get("type")
    if isinstance(kind, str):
        return {**schema, "type": [kind, "null"]}
    if "enum" in schema:
        return {**schema, "enum": [*schema["enum"], None]}
    return {"anyOf": [schema, {"type": "null"}]}


def _schema_for(hint: Any, defs: dict[str, Any]) -> dict[str, Any]:
    """The JSON schema of one hint; pydantic ``$defs`` are collected into ``defs``."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any or hint is inspect.Parameter.empty:
        return {}
    if hint in _SIMPLE:
        return {"type": _SIMPLE[hint]}
    if hint is type(None):
        return {"type": "null"}
    if origin is Literal:
        kinds = {_SIMPLE.get(type(a)) for a in args}
        kind = kinds.pop() if len(kinds) == 1 else None
        return {"type": kind, "enum": list(args)} if kind else {"enum": list(args)}
    if origin in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        inner = (
            _schema_for(rest[0], defs)
            if len(rest) == 1
            else {"anyOf": [_schema_for(a, defs) for a in rest]}
        )
        return _nullable(inner) if len(rest) < len(args) else inner
    if hint in (list, tuple, set, frozenset) or origin in (list, tuple, set, frozenset, Sequence):
        return {"type": "array", "items": _schema_for(args[0], defs)} if args else {"type": "array"}
    if hint is dict or origin in (dict, Mapping):
        if len(args) == 2 and args[1] is not Any:
            return {"type": "object", "additionalProperties": _schema_for(args[1], defs)}
        return {"type": "object"}
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return {"enum": [m.value for m in hint]}
    if _is_typeddict(hint):
        hints = typing.get_type_hints(hint)
        required_keys = getattr(hint, "__required_keys__", frozenset(hints))
        props = {k: _schema_for(v, defs) for k, v in hints.items()}
        return {"type": "object", "properties": props,
                "required": [k for k in hints if k in required_keys]}  # fmt: skip
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        hints = typing.get_type_hints(hint)
        props, required = {}, []
        for f in dataclasses.fields(hint):
            props[f.name] = _schema_for(hints.get(f.name, Any), defs)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                required.append(f.name)
        return {"type": "object", "properties": props, "required": required}
    if _is_pydantic(hint):
        schema: dict[str, Any] = hint.model_json_schema(ref_template="#/$defs/{model}")
        defs.update(schema.pop("$defs", {}))
        return schema
    raise TypeError(
        f"type hint {hint!r} has no JSON schema: use str, int, float, bool, list, dict,"
        " Literal, Optional, an Enum, a dataclass, a TypedDict or a pydantic model"
    )


def _param_docs(doc: str) -> dict[str, str]:
    """``name: text`` / ``name (type): text`` / ``:param name: text`` lines, continuations kept."""
    out: dict[str, str] = {}
    last, indent = None, 0
    for line in doc.splitlines():
        m = _SPHINX_LINE.match(line) or _PARAM_LINE.match(line)
        depth = len(line) - len(line.lstrip())
        if m:
            last, indent = m.group(1), depth
            out[last] = m.group(2).strip()
        elif last and line.strip() and depth > indent:
            out[last] += " " + line.strip()
        else:
            last = None
    return out


def _hints_as_written(fn: Callable[..., Any]) -> dict[str, Any]:
    """``fn``'s type hints, resolved (string annotations evaluated) but as written.

    Python 3.10's ``typing.get_type_hints`` also reads a function's defaults and wraps the
    hint of a parameter that defaults to None in ``Optional`` (``x: Any = None`` became
    ``Optional[Any]``, ``n: int = None`` became ``Optional[int]``); 3.11 stopped doing so.
    A tool's schema must not depend on the Python version, so the annotations are resolved
    here on their own, without the defaults: the same hints on every version. Classes
    (a dataclass given as a schema) have no such defaults and go straight through.
    """
    if isinstance(fn, type):
        return typing.get_type_hints(fn)
    annotations = types.SimpleNamespace(
        __annotations__=dict(getattr(fn, "__annotations__", None) or {}),
        __type_params__=getattr(fn, "__type_params__", ()),  # PEP 695 (3.12+)
    )
    globalns = getattr(inspect.unwrap(fn), "__globals__", None)
    return typing.get_type_hints(annotations, globalns=globalns)


def schema_from_signature(fn: Callable[..., Any]) -> dict[str, Any]:
    """A JSON schema for ``fn``'s parameters (raises ``TypeError`` naming a bad hint)."""
    hints = _hints_as_written(fn)
    docs = _param_docs(inspect.getdoc(fn) or "")
    props: dict[str, Any] = {}
    required = []
    defs: dict[str, Any] = {}
    for name, param in inspect.signature(fn).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        try:
            prop = dict(_schema_for(hints.get(name, Any), defs))
        except TypeError as exc:
            raise TypeError(f"@tool {fn.__name__}: parameter {name!r}: {exc}") from None
        if name in docs:
            prop["description"] = docs[name]
        props[name] = prop
        if param.default is param.empty:
            required.append(name)
    schema: dict[str, Any] = {"type": "object", "properties": props, "required": required}
    if defs:
        schema["$defs"] = defs
    return schema


def _schema_from_simple(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The Claude SDK's ``{"name": str, "age": int}`` shorthand (or a JSON schema as is)."""
    if "type" in spec and isinstance(spec.get("type"), str):
        return dict(spec)
    defs: dict[str, Any] = {}
    props = {k: _schema_for(v, defs) for k, v in spec.items()}
    return {"type": "object", "properties": props, "required": list(props)}


# --- arguments back to Python ---------------------------------------------------


def _coerce(hint: Any, value: Any) -> Any:
    """Turn validated JSON into the hinted type: dataclasses, pydantic models, enums."""
    if value is None or hint is Any:
        return value
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        for arg in args:
            if arg is not type(None) and (
                (dataclasses.is_dataclass(arg) or _is_pydantic(arg)) and isinstance(value, dict)
            ):
                return _coerce(arg, value)
        return value
    if isinstance(hint, type) and dataclasses.is_dataclass(hint) and isinstance(value, dict):
        hints = typing.get_type_hints(hint)
        return hint(**{k: _coerce(hints.get(k, Any), v) for k, v in value.items()})
    if _is_pydantic(hint):
        return hint.model_validate(value)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(value)
    if hint is float and isinstance(value, int):
        return float(value)
    if origin in (list, tuple, set, frozenset) and isinstance(value, list) and args:
        items = [_coerce(args[0], v) for v in value]
        return origin(items) if origin is not list else items
    if origin in (dict, Mapping) and isinstance(value, dict) and len(args) == 2:
        return {k: _coerce(args[1], v) for k, v in value.items()}
    return value


def result_content(value: Any) -> tuple[str, bool]:
    """(text, is_error) for what a tool returned.

    A ``{"content": [{"type": "text", "text": ...}], "is_error": ...}`` dict (the Claude
    SDK's and MCP's shape) is unpacked; other values become JSON.
    """
    if isinstance(value, str):
        return value, False
    if isinstance(value, dict) and isinstance(value.get("content"), list):
        parts = []
        for part in value["content"]:
            if isinstance(part, dict) and part.get("type") == "text":
                parts.append(str(part.get("text", "")))
            else:
                parts.append(f"[{part.get('type', 'content') if isinstance(part, dict) else part}]")
        return "\n".join(parts), bool(value.get("is_error") or value.get("isError"))
    if _is_pydantic(type(value)):
        return str(value.model_dump_json()), False
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    try:
        return json.dumps(value, default=str, ensure_ascii=False), False
    except (TypeError, ValueError):
        return str(value), False


# --- the tool ----------------------------------------------------------------


@dataclass
class SdkTool:
    """A Python function offered to the model as a function tool.

    ``timeout``: seconds per call (None: no limit). A sync function runs in a worker
    thread; on timeout or interrupt its result is discarded (a thread cannot be killed).
    ``args_dict``: the handler takes the arguments as one dict (the Claude SDK's form).
    """

    name: str
    description: str
    parameters: dict[str, Any]
    handler: Callable[..., Any]
    timeout: float | None = DEFAULT_TOOL_TIMEOUT
    args_dict: bool = False
    _validator: Any = field(default=None, repr=False, compare=False)

    @property
    def input_schema(self) -> dict[str, Any]:
        """The Claude SDK's name for ``parameters``."""
        return self.parameters

    def to_openai(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }

    def validate(self, arguments: dict[str, Any]) -> str | None:
        """A one-line reason why ``arguments`` do not fit the schema, else None."""
        if self._validator is None:
            import jsonschema  # ~30 ms: loaded on the first tool call, not at import

            cls = jsonschema.validators.validator_for(
                self.parameters, default=jsonschema.Draft202012Validator
            )
            try:
                cls.check_schema(self.parameters)
            except jsonschema.SchemaError:  # a foreign (MCP) schema we cannot use: let it pass
                self._validator = False
            else:
                self._validator = cls(self.parameters)
        if self._validator is False:
            return None
        import jsonschema

        error = jsonschema.exceptions.best_match(self._validator.iter_errors(arguments))
        if error is None:
            return None
        where = "/".join(str(p) for p in error.absolute_path)
        return f"invalid arguments for {self.name}: {where + ': ' if where else ''}{error.message}"

    async def call(self, arguments: dict[str, Any]) -> Any:
        """Run the handler with already validated ``arguments`` (no timeout here)."""
        if self.args_dict:
            args: tuple[Any, ...] = (arguments,)
            kwargs: dict[str, Any] = {}
        else:
            hints = _hints_as_written(self.handler)
            args, kwargs = (), {k: _coerce(hints.get(k, Any), v) for k, v in arguments.items()}
        if inspect.iscoroutinefunction(self.handler):
            return await self.handler(*args, **kwargs)
        return await anyio.to_thread.run_sync(
            lambda: self.handler(*args, **kwargs), abandon_on_cancel=True
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.handler(*args, **kwargs)


SdkMcpTool = SdkTool
"""The Claude Agent SDK's name for what ``@tool`` returns."""


def _first_paragraph(doc: str) -> str:
    return " ".join(doc.split("\n\n", 1)[0].split())


@overload
def tool(fn: Callable[..., Any], /) -> SdkTool: ...
@overload
def tool(
    name: str,
    description: str,
    input_schema: Mapping[str, Any] | type,
    /,
    *,
    timeout: float | None = DEFAULT_TOOL_TIMEOUT,
) -> Callable[[Callable[..., Any]], SdkTool]: ...
@overload
def tool(
    *,
    name: str | None = None,
    description: str | None = None,
    timeout: float | None = DEFAULT_TOOL_TIMEOUT,
) -> Callable[[Callable[..., Any]], SdkTool]: ...


def tool(
    fn: Callable[..., Any] | str | None = None,
    description_: str | None = None,
    input_schema: Mapping[str, Any] | type | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    timeout: float | None = DEFAULT_TOOL_TIMEOUT,
) -> SdkTool | Callable[[Callable[..., Any]], SdkTool]:
    """Make a function a tool: ``@tool``, ``@tool(name=..., description=..., timeout=...)``,
    or the Claude SDK's ``@tool("name", "description", {"arg": str})`` whose handler
    takes one dict of arguments."""
    if isinstance(fn, str):  # the Claude Agent SDK's positional form
        schema = input_schema if input_schema is not None else {}
        parameters = (
            schema_from_signature(schema)
            if isinstance(schema, type) and dataclasses.is_dataclass(schema)
            else _schema_for(schema, {})
            if isinstance(schema, type)
            else _schema_from_simple(schema)
        )
        tool_name, text = fn, description_ or ""

        def wrap_dict(f: Callable[..., Any]) -> SdkTool:
            return SdkTool(tool_name, text or _first_paragraph(inspect.getdoc(f) or ""),
                           parameters, f, timeout, args_dict=True)  # fmt: skip

        return wrap_dict

    def wrap(f: Callable[..., Any]) -> SdkTool:
        summary = _first_paragraph(inspect.getdoc(f) or "")
        return SdkTool(
            name=name or f.__name__,
            description=description or summary or f.__name__,
            parameters=schema_from_signature(f),
            handler=f,
            timeout=timeout,
        )

    return wrap(fn) if fn is not None else wrap


# --- in-process MCP servers ---------------------------------------------------


@dataclass
class SdkMcpServer:
    """An in-process MCP server: its tools run in this process, offered as
    ``mcp__<name>__<tool>``, with the same validation, timeouts and permissions."""

    name: str
    version: str
    tools: list[SdkTool]


class McpSdkServerConfig(TypedDict):
    type: Literal["sdk"]
    name: str
    instance: SdkMcpServer


def create_sdk_mcp_server(
    name: str, version: str = "1.0.0", tools: list[SdkTool] | None = None
) -> McpSdkServerConfig:
    """An in-process MCP server for ``mcp_servers={name: ...}`` (as in the Claude Agent SDK)."""
    for t in tools or []:
        if not isinstance(t, SdkTool):
            raise TypeError(f"create_sdk_mcp_server({name!r}): {t!r} is not a @tool function")
    return {"type": "sdk", "name": name, "instance": SdkMcpServer(name, version, list(tools or []))}


__all__ = [
    "McpSdkServerConfig",
    "SdkMcpServer",
    "SdkTool",
    "ToolError",
    "create_sdk_mcp_server",
    "schema_from_signature",
    "tool",
]
