"""``@tool``: a Python function the model may call.

The JSON schema comes from the signature's type hints and the docstring's
``name: description`` lines. A tool that raises does not end the run: its error goes
back to the model as a result with ``is_error=True``.
"""

from __future__ import annotations

import inspect
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, overload

import anyio.to_thread

_SIMPLE = {str: "string", int: "integer", float: "number", bool: "boolean"}
_PARAM_LINE = re.compile(r"^\s*[*]{0,2}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.+)$")


def _schema_for(hint: Any) -> dict[str, Any]:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint in _SIMPLE:
        return {"type": _SIMPLE[hint]}
    if origin is Literal:
        return {"enum": list(args)}
    if origin in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        return _schema_for(rest[0]) if len(rest) == 1 else {"anyOf": [_schema_for(a) for a in rest]}
    if hint is list or origin is list:
        return {"type": "array", "items": _schema_for(args[0])} if args else {"type": "array"}
    if hint is dict or origin is dict:
        return {"type": "object"}
    return {}


def _param_docs(doc: str) -> dict[str, str]:
    out = {}
    for line in doc.splitlines():
        m = _PARAM_LINE.match(line)
        if m:
            out[m.group(1)] = m.group(2).strip()
    return out


def schema_from_signature(fn: Callable[..., Any]) -> dict[str, Any]:
    """A JSON schema for ``fn``'s parameters."""
    hints = typing.get_type_hints(fn)
    docs = _param_docs(inspect.getdoc(fn) or "")
    props: dict[str, Any] = {}
    required = []
    for name, param in inspect.signature(fn).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        prop = _schema_for(hints.get(name, str))
        if name in docs:
            prop["description"] = docs[name]
        props[name] = prop
        if param.default is param.empty:
            required.append(name)
    return {"type": "object", "properties": props, "required": required}


@dataclass
class SdkTool:
    """A Python function offered to the model as a function tool."""

    name: str
    description: str
    parameters: dict[str, Any]
    handler: Callable[..., Any]

    def to_openai(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }

    async def call(self, arguments: dict[str, Any]) -> Any:
        if inspect.iscoroutinefunction(self.handler):
            return await self.handler(**arguments)
        return await anyio.to_thread.run_sync(lambda: self.handler(**arguments))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.handler(*args, **kwargs)


@overload
def tool(fn: Callable[..., Any], /) -> SdkTool: ...
@overload
def tool(
    *, name: str | None = None, description: str | None = None
) -> Callable[[Callable[..., Any]], SdkTool]: ...


def tool(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
) -> SdkTool | Callable[[Callable[..., Any]], SdkTool]:
    """Make ``fn`` a tool: ``@tool`` or ``@tool(name=..., description=...)``."""

    def wrap(f: Callable[..., Any]) -> SdkTool:
        doc = inspect.getdoc(f) or ""
        summary = doc.split("\n\n", 1)[0].strip()
        return SdkTool(
            name=name or f.__name__,
            description=description or summary or f.__name__,
            parameters=schema_from_signature(f),
            handler=f,
        )

    return wrap(fn) if fn is not None else wrap


def openai_tool_specs(tools: list[Any] | None) -> list[dict[str, Any]]:
    """The ``tools`` request field from a mix of OpenAI dicts and ``@tool`` functions."""
    specs = []
    for t in tools or []:
        if isinstance(t, SdkTool):
            specs.append(t.to_openai())
        elif isinstance(t, dict):
            specs.append(t)
        else:
            raise TypeError(
                f"tools entries must be OpenAI function dicts or @tool functions, got {t!r}"
            )
    return specs
