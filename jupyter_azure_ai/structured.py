"""Structured output: ``output_format`` → Azure's strict ``response_format``, answers → objects.

``output_format`` is a pydantic model, a dataclass, a TypedDict, or the Claude Agent SDK's
dict ``{"type": "json_schema", "schema": {...}}``. Its JSON schema (for classes: the one
``@tool`` builds from type hints, tools.py) is made *strict-compatible* for Azure
(azure-wire-2.md §4), because with ``"strict": true`` the service accepts only a subset:

- every object lists all its properties in ``required`` and has
  ``additionalProperties: false``; a field that may be left out (it has a default, or is
  not required) becomes required and nullable (``"type": ["string", "null"]``); when the
  model answers ``null`` for it, the key is dropped again so the default applies;
- value constraints Azure does not support (``minLength``, ``maxLength``, ``pattern``,
  ``format``, ``minimum``, ``maximum``, ``multipleOf``, ``minItems``, ``maxItems``,
  ``uniqueItems``, ...) are *dropped from what is sent* and written into the field's
  ``description`` instead, so the model still reads them; the answer is checked against
  them here, and a violation gets the repair turn like any other mismatch;
- what would change the *shape* of an answer cannot be dropped and is refused, with a
  ``ConfigurationError`` naming the field: free-form dicts (``dict[str, X]``, ``dict``,
  ``patternProperties``), untyped fields (``Any``), tuples by position (``prefixItems``),
  ``not`` / ``if`` / ``then`` / ``else``, a root that is not an object, more than 100
  properties or 5 levels of nested objects (Azure's limits);
- ``const`` becomes a one-value ``enum``, ``oneOf`` (pydantic's discriminated unions) an
  ``anyOf``; ``title``, ``default`` and ``examples`` are left out; ``$defs`` / ``$ref``
  stay (Azure allows them, recursion included), and a ``$ref`` with siblings is inlined.

An answer is checked in two steps: against the strict schema that was sent (shape), then
against the original one (the constraints that were dropped); then turned into the class
(pydantic ``model_validate``, the dataclass with nested dataclasses and enums) or left a
dict (TypedDict, dict form). ``AnswerProblem`` says what is wrong in one line, which is
what the repair turn tells the model (``_internal/agent.py``).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from .tools import _coerce, _is_pydantic, _is_typeddict, _schema_for

MAX_PROPERTIES = 100
MAX_NESTING = 5

#: Value constraints strict mode does not support: dropped from the wire schema, noted in
#: the description, checked locally on the answer.
DROPPED_KEYWORDS = frozenset(
    {"minLength", "maxLength", "pattern", "format"}
    | {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}
    | {"unevaluatedProperties", "propertyNames", "minProperties", "maxProperties"}
    | {"unevaluatedItems", "contains", "minContains", "maxContains", "minItems", "maxItems"}
    | {"uniqueItems"}
)
_NOISE = frozenset(
    {"title", "default", "examples", "$schema", "$id", "$comment", "readOnly", "writeOnly"}
    | {"deprecated", "discriminator"}
)
_REFUSED = {
    "patternProperties": "keys matched by pattern (patternProperties)",
    "prefixItems": "a tuple of positional items (prefixItems; use a nested object)",
    "not": "'not'",
    "if": "'if' / 'then' / 'else'",
    "then": "'if' / 'then' / 'else'",
    "else": "'if' / 'then' / 'else'",
    "dependentRequired": "'dependentRequired'",
    "dependentSchemas": "'dependentSchemas'",
    "$dynamicRef": "'$dynamicRef'",
}
_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]")


class SchemaError(ValueError):
    """``output_format`` cannot be sent as a strict schema (the message names the field)."""


class AnswerProblem(ValueError):
    """The model's answer does not parse or does not follow the schema (one line)."""


# --- output_format → strict schema ---------------------------------------------------


@dataclass(frozen=True, eq=False)
class OutputFormat:
    """A compiled ``output_format``: what is sent, and how answers are read back."""

    name: str
    schema: dict[str, Any]  # strict: what is sent
    original: dict[str, Any]  # with every constraint: what answers are also checked against
    target: Any = None  # the class answers become; None: a dict

    def response_format(self) -> dict[str, Any]:
        """Azure's ``response_format`` request field."""
        return {
            "type": "json_schema",
            "json_schema": {"name": self.name, "strict": True, "schema": self.schema},
        }

    @cached_property
    def _validators(self) -> tuple[Any, Any]:
        import jsonschema  # loaded with the first structured answer, not at import

        cls = jsonschema.Draft202012Validator
        return cls(self.schema), cls(self.original)

    def parse(self, text: str) -> Any:
        """The answer as an object; ``AnswerProblem`` says what is wrong with it."""
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise AnswerProblem(f"the answer is not valid JSON ({exc})") from None
        strict, original = self._validators
        _check(strict, value)
        value = _drop_added_nulls(value, self.original, self.original.get("$defs", {}))
        _check(original, value)
        target = self.target
        if target is None or _is_typeddict(target):
            return value
        try:
            if _is_pydantic(target):
                return target.model_validate(value)
            return _coerce(target, value)
        except (TypeError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
            text = " ".join(f"the answer does not fit {self.name}: {exc}".split())
            raise AnswerProblem(text) from None


def _check(validator: Any, value: Any) -> None:
    import jsonschema

    error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path)
        at = f"at '{where}': " if where else ""
        raise AnswerProblem(f"the answer does not follow the schema: {at}{error.message}")


def compile_output_format(spec: Any) -> OutputFormat:
    """``output_format`` (class or dict) compiled; ``SchemaError`` names what cannot be sent."""
    if isinstance(spec, Mapping):
        return _compile_dict(json.dumps(spec, sort_keys=True, default=str))
    if not isinstance(spec, type):
        raise SchemaError(
            "expected a pydantic model, a dataclass, a TypedDict or"
            f" {{'type': 'json_schema', 'schema': {{...}}}}, got {spec!r}"
        )
    return _compile_class(spec)


@lru_cache(maxsize=256)
def _compile_class(cls: type) -> OutputFormat:
    if not (_is_pydantic(cls) or dataclasses.is_dataclass(cls) or _is_typeddict(cls)):
        raise SchemaError(f"{cls.__name__} is not a pydantic model, a dataclass or a TypedDict")
    defs: dict[str, Any] = {}
    try:
        schema = dict(_schema_for(cls, defs))
    except TypeError as exc:
        raise SchemaError(f"{cls.__name__}: {exc}") from None
    defs.update(schema.pop("$defs", {}))
    if defs:
        schema["$defs"] = defs
    return _build(_wire_name(cls.__name__), schema, cls)


@lru_cache(maxsize=64)
def _compile_dict(text: str) -> OutputFormat:
    spec = json.loads(text)
    schema = spec.get("schema")
    if spec.get("type") != "json_schema" or not isinstance(schema, dict):
        hint = " (wrap a JSON schema as {'type': 'json_schema', 'schema': ...})"
        raise SchemaError(f"a dict must be {{'type': 'json_schema', 'schema': {{...}}}}{hint}")
    name = spec.get("name") or schema.get("title") or "output"
    return _build(_wire_name(str(name)), schema, None)


def _wire_name(name: str) -> str:
    """``json_schema.name``: ``[a-zA-Z0-9_-]``, at most 64 characters."""
    return (_NAME_CHARS.sub("_", name) or "output")[:64]


def _build(name: str, schema: dict[str, Any], target: Any) -> OutputFormat:
    if schema.get("type") != "object" or "anyOf" in schema:
        raise SchemaError(f"{name}: the top level must be an object (Azure's rule)")
    if "definitions" in schema:
        raise SchemaError(f"{name}: put shared schemas under '$defs' (not 'definitions')")
    defs = schema.get("$defs") or {}
    converter = _Strict(defs)
    strict = converter.convert(schema, name)
    if defs:
        strict["$defs"] = {k: converter.convert(v, k) for k, v in defs.items()}
    if converter.properties > MAX_PROPERTIES:
        raise SchemaError(
            f"{name}: {converter.properties} properties; Azure allows at most {MAX_PROPERTIES}"
        )
    depth = _nesting(schema, defs, ())
    if depth > MAX_NESTING:
        raise SchemaError(
            f"{name}: objects nested {depth} levels deep; Azure allows at most {MAX_NESTING}"
        )
    return OutputFormat(name, strict, schema, target)


class _Strict:
    """One schema made strict-compatible (see the module docstring)."""

    def __init__(self, defs: Mapping[str, Any]) -> None:
        self.defs = defs
        self.properties = 0

    def _resolve(self, ref: str, where: str) -> dict[str, Any]:
        prefix = "#/$defs/"
        if not ref.startswith(prefix) or ref[len(prefix) :] not in self.defs:
            raise SchemaError(f"field '{where}': $ref {ref!r} is not a local #/$defs/ entry")
        return dict(self.defs[ref[len(prefix) :]])

    def convert(self, node: Any, where: str) -> dict[str, Any]:
        if not isinstance(node, Mapping):
            raise SchemaError(f"field '{where}': expected a JSON schema object, got {node!r}")
        for key in node:
            if key in _REFUSED:
                raise SchemaError(
                    f"field '{where}': {_REFUSED[key]} is not supported by Azure's strict"
                    " structured outputs"
                )
        if "$ref" in node:
            siblings = {k: v for k, v in node.items() if k != "$ref" and k not in _NOISE}
            if not siblings:
                return {"$ref": node["$ref"]}
            node = {**self._resolve(node["$ref"], where), **siblings}  # inline, siblings win
        if "allOf" in node:
            parts = node["allOf"]
            if not isinstance(parts, list) or len(parts) != 1:
                raise SchemaError(
                    f"field '{where}': 'allOf' with several schemas is not supported by"
                    " Azure's strict structured outputs"
                )
            rest = {k: v for k, v in node.items() if k != "allOf"}
            return self.convert({**parts[0], **rest}, where)
        out: dict[str, Any] = {}
        notes = []
        for key, value in node.items():
            if key in DROPPED_KEYWORDS:
                notes.append(f"{key}: {json.dumps(value)}")
        branches = node.get("anyOf", node.get("oneOf"))
        if branches is not None:
            converted = [self.convert(b, where) for b in branches]
            out = _merge_null_branch(converted)
        else:
            out = self._typed(node, where)
        description = node.get("description")
        if notes:
            note = "(" + "; ".join(notes) + ")"
            description = f"{description} {note}" if description else note
        if description:
            out["description"] = description
        return out

    def _typed(self, node: Mapping[str, Any], where: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if "const" in node:
            out["enum"] = [node["const"]]
        elif "enum" in node:
            out["enum"] = list(node["enum"])
        kind = node.get("type")
        if kind is None and "enum" in out:  # an Enum's values: say their JSON type too
            kind = _json_type(out["enum"])
        if kind is None and "enum" not in out:
            raise SchemaError(
                f"field '{where}' has no type (Any or an untyped value): Azure's strict"
                " structured outputs need one (str, int, float, bool, list[...], a model)"
            )
        if kind is not None:
            out["type"] = kind
        kinds = kind if isinstance(kind, list) else [kind]
        if "object" in kinds:
            props = node.get("properties")
            extra = node.get("additionalProperties")
            if not props or extra not in (None, False):
                raise SchemaError(
                    f"field '{where}': a dict with free-form keys (dict, dict[str, ...]) is"
                    " not supported by Azure's strict structured outputs, which need every"
                    " key named: use a nested model, dataclass or TypedDict, or a list of them"
                )
            required = set(node.get("required") or ())
            converted = {}
            for name, sub in props.items():
                self.properties += 1
                schema = self.convert(sub, f"{where}.{name}")
                converted[name] = schema if name in required else _nullable(schema)
            out["properties"] = converted
            out["required"] = list(props)
            out["additionalProperties"] = False
        if "array" in kinds:
            items = node.get("items")
            if not isinstance(items, Mapping):
                raise SchemaError(
                    f"field '{where}': a list needs one item type (list[str], list[Model])"
                )
            out["items"] = self.convert(items, f"{where}[]")
        return out


def _json_type(values: list[Any]) -> str | None:
    """The one JSON type of ``values`` (an enum's), else None."""
    kinds = set()
    for value in values:
        if isinstance(value, bool):
            kinds.add("boolean")
        elif isinstance(value, int):
            kinds.add("integer")
        elif isinstance(value, float):
            kinds.add("number")
        elif isinstance(value, str):
            kinds.add("string")
        else:
            return None
    return kinds.pop() if len(kinds) == 1 else None


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` that also allows null (how strict mode writes an optional field)."""
    kind = schema.get("type")
    if "$ref" in schema or "anyOf" in schema:
        branches = schema.get("anyOf", [schema])
        if any(b.get("type") == "null" for b in branches):
            return schema
        rest = {k: v for k, v in schema.items() if k == "description"}
        return {"anyOf": [*branches, {"type": "null"}], **rest}
    out = dict(schema)
    if isinstance(kind, str) and kind != "null":
        out["type"] = [kind, "null"]
    elif isinstance(kind, list) and "null" not in kind:
        out["type"] = [*kind, "null"]
    if "enum" in out and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]
    return out


def _merge_null_branch(branches: list[dict[str, Any]]) -> dict[str, Any]:
    """``anyOf: [T, null]`` with a plain ``T`` → ``T`` with ``"type": [..., "null"]``."""
    rest = [b for b in branches if b != {"type": "null"}]
    if len(rest) == 1 and len(branches) == 2 and isinstance(rest[0].get("type"), str):
        return _nullable(rest[0])
    return {"anyOf": branches}


def _nesting(node: Any, defs: Mapping[str, Any], seen: tuple[str, ...]) -> int:
    """Levels of nested objects below and including ``node`` (recursion counted once)."""
    if not isinstance(node, Mapping):
        return 0
    ref = node.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        if name in seen or name not in defs:
            return 0
        return _nesting(defs[name], defs, (*seen, name))
    own = 1 if node.get("properties") else 0
    children = [*(node.get("properties") or {}).values(), node.get("items")]
    children += node.get("anyOf") or node.get("oneOf") or node.get("allOf") or []
    return own + max((_nesting(c, defs, seen) for c in children), default=0)


# --- answers back --------------------------------------------------------------------


def _drop_added_nulls(value: Any, schema: Any, defs: Mapping[str, Any]) -> Any:
    """Remove ``null`` where strict mode forced a key the original schema lets be left out."""
    if not isinstance(schema, Mapping):
        return value
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return _drop_added_nulls(value, defs.get(ref.rsplit("/", 1)[-1]), defs)
    if isinstance(value, dict) and schema.get("properties"):
        required = set(schema.get("required") or ())
        out = {}
        for key, item in value.items():
            sub = schema["properties"].get(key)
            if item is None and key not in required and not _allows_null(sub, defs):
                continue
            out[key] = _drop_added_nulls(item, sub, defs)
        return out
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        return [_drop_added_nulls(v, schema["items"], defs) for v in value]
    branches = schema.get("anyOf") or schema.get("oneOf") or ()
    if isinstance(value, dict):
        for branch in branches:
            if isinstance(branch, Mapping) and (branch.get("properties") or branch.get("$ref")):
                return _drop_added_nulls(value, branch, defs)
    return value


def _allows_null(schema: Any, defs: Mapping[str, Any]) -> bool:
    if not isinstance(schema, Mapping):
        return True
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    if None in (schema.get("enum") or ()):
        return True
    return any(_allows_null(b, defs) for b in schema.get("anyOf") or schema.get("oneOf") or ())


def repair_prompt(problem: AnswerProblem) -> str:
    """The user turn that asks the model, once, to fix its answer."""
    return (
        f"Your previous answer was rejected: {problem}. Answer again with only the JSON"
        " object, following the required schema exactly."
    )


__all__ = [
    "DROPPED_KEYWORDS",
    "AnswerProblem",
    "OutputFormat",
    "SchemaError",
    "compile_output_format",
    "repair_prompt",
]
