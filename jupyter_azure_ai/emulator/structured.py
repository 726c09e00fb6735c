"""Structured outputs in the emulator: strict-schema checks and answers that follow a schema.

A request with ``response_format: {"type": "json_schema", "json_schema": {...}}`` is checked
the way Azure checks it (azure-wire-2.md §4): an api-version before 2024-08-01-preview,
a bad ``name``, or a strict schema that breaks the subset (an object without
``additionalProperties: false`` or not listing every property in ``required``, a root that
is not an object, an unsupported keyword such as ``minLength``) gets a 400
``invalid_request_error`` worded as OpenAI words it ("In context=('properties', 'x'),
'minLength' is not permitted."; Azure's exact wording for keywords is unconfirmed).

The answer is JSON that follows the schema, derived from the prompt only (so tests can
assert it): an enum of sentiment labels follows the telling words of the prompt
(``positive`` / ``negative`` / ``neutral``), another enum takes the value the prompt names
(else its first); integers and numbers take the numbers of the prompt in order; a string
field takes the prompt's capitalised words in order (``summary``, ``text``, ``title``
and ``description`` fields: the prompt's first words); a boolean is false when the prompt
says "not" or "no"; a list holds one item (strings: up to three words). After tool
results the results' text counts as prompt too. A repair turn (a user message starting
"Your previous answer") is answered from the prompt before it.

Faults (``x-emulator-fault`` or a ``fault-<name>`` deployment, counted with ``*n``):
``refusal`` (the ``refusal`` field instead of content), ``invalid-json`` (the object cut
in half) and ``schema-mismatch`` (valid JSON missing its first property).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from .scenarios import Reply, message_text, sentiment, split_words

FAULTS = frozenset({"refusal", "invalid-json", "schema-mismatch"})
REFUSAL = "I'm sorry, but I can't help with that request."
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
_UNSUPPORTED = {
    "string": ("minLength", "maxLength", "pattern", "format"),
    "number": ("minimum", "maximum", "multipleOf"),
    "object": (
        "patternProperties",
        "unevaluatedProperties",
        "propertyNames",
        "minProperties",
        "maxProperties",
    ),
    "array": (
        "unevaluatedItems",
        "contains",
        "minContains",
        "maxContains",
        "minItems",
        "maxItems",
        "uniqueItems",
    ),
}
_KEYWORDS = frozenset(k for group in _UNSUPPORTED.values() for k in group)
_NEGATION = frozenset({"not", "no", "never"})
_SUMMARY_KEYS = ("summary", "text", "title", "description")


def schema_error(body: Mapping[str, Any], api_version: str) -> dict[str, Any] | None:
    """Azure's 400 body for a ``response_format`` it would refuse, else None."""
    response_format = body.get("response_format")
    if not isinstance(response_format, Mapping) or response_format.get("type") != "json_schema":
        return None
    if api_version and api_version[:10] < "2024-08-01":
        return _invalid(
            "Invalid parameter: 'response_format' must be one of 'json_object', 'text'.",
            "response_format",
        )
    spec = response_format.get("json_schema")
    if not isinstance(spec, Mapping) or not isinstance(spec.get("schema"), Mapping):
        return _invalid(
            "Missing required parameter: 'response_format.json_schema.schema'.", "response_format"
        )
    name = spec.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        return _invalid(
            f"Invalid 'response_format.json_schema.name': string does not match pattern."
            f" Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$', got {name!r}.",
            "response_format.json_schema.name",
        )
    if spec.get("strict") is not True:
        return None
    schema = spec["schema"]
    if schema.get("type") != "object" or "anyOf" in schema:
        return _schema_invalid(name, (), "schema must be a JSON Schema of 'type: \"object\"'")
    problem = _strict_problem(schema, ())
    return None if problem is None else _schema_invalid(name, *problem)


def _strict_problem(node: Any, context: tuple[str, ...]) -> tuple[tuple[str, ...], str] | None:
    if not isinstance(node, Mapping):
        return None
    for key in node:
        if key in _KEYWORDS:
            return context, f"'{key}' is not permitted."
    if "properties" in node:
        if node.get("additionalProperties") is not False:
            return context, "'additionalProperties' is required to be supplied and to be false."
        missing = [k for k in node["properties"] if k not in (node.get("required") or ())]
        if missing:
            return context, (
                "'required' is required to be supplied and to be an array including every key"
                f" in properties. Missing '{missing[0]}'."
            )
        for key, sub in node["properties"].items():
            found = _strict_problem(sub, (*context, "properties", key))
            if found:
                return found
    for key in ("items",):
        found = _strict_problem(node.get(key), (*context, key))
        if found:
            return found
    for index, branch in enumerate(node.get("anyOf") or ()):
        found = _strict_problem(branch, (*context, "anyOf", str(index)))
        if found:
            return found
    for name, sub in (node.get("$defs") or {}).items():
        found = _strict_problem(sub, (*context, "$defs", name))
        if found:
            return found
    return None


def _invalid(message: str, param: str | None) -> dict[str, Any]:
    return {
        "error": {"message": message, "type": "invalid_request_error", "param": param, "code": None}
    }


def _schema_invalid(name: str, context: tuple[str, ...], text: str) -> dict[str, Any]:
    where = "(" + ", ".join(repr(c) for c in context) + ("," if len(context) == 1 else "") + ")"
    return _invalid(
        f"Invalid schema for response_format '{name}': In context={where}, {text}",
        "response_format",
    )


# --- answers ---------------------------------------------------------------------------


def structured_reply(body: Mapping[str, Any], fault: str | None) -> Reply | None:
    """The reply to a json_schema request (None when the request has no schema)."""
    response_format = body.get("response_format")
    if not isinstance(response_format, Mapping) or response_format.get("type") != "json_schema":
        return None
    spec = response_format.get("json_schema") or {}
    schema = spec.get("schema") if isinstance(spec, Mapping) else None
    if not isinstance(schema, Mapping):
        return None
    if fault == "refusal":
        return Reply(split_words(REFUSAL), [], refusal=True)
    value = SchemaAnswer(_prompt(body.get("messages") or []), schema).value()
    if fault == "schema-mismatch" and isinstance(value, dict) and value:
        del value[next(iter(value))]
    text = json.dumps(value, ensure_ascii=False)
    if fault == "invalid-json":
        text = text[: max(1, len(text) // 2)]
    return Reply(split_words(text), [])


def _prompt(messages: list[Any]) -> str:
    """The text an answer is derived from: the last real user turn and tool results after it."""
    texts: list[str] = []
    for message in reversed([m for m in messages if isinstance(m, dict)]):
        text = message_text(message)
        role = message.get("role")
        if role == "tool":
            texts.append(text)
        elif role == "user" and not text.startswith("Your previous answer"):
            texts.append(text)
            break
    return " ".join(reversed(texts))


class SchemaAnswer:
    """One deterministic value for a schema, from the words and numbers of a prompt."""

    def __init__(self, prompt: str, schema: Mapping[str, Any]) -> None:
        self.prompt = prompt
        self.lowered = prompt.lower()
        self.defs = schema.get("$defs") or {}
        self.schema = schema
        self.numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", prompt)]
        self.words: list[str] = [
            w for w in re.findall(r"\b[^\W\d_][\w'-]*", prompt) if w[0].isupper()
        ] or re.findall(r"\w+", prompt)[:3]
        self._number = 0
        self._word = 0

    def value(self) -> Any:
        return self._value(self.schema, "", 0)

    def _value(self, schema: Any, key: str, depth: int) -> Any:
        if not isinstance(schema, Mapping) or depth > 8:
            return None
        ref = schema.get("$ref")
        if isinstance(ref, str):
            return self._value(self.defs.get(ref.rsplit("/", 1)[-1]), key, depth + 1)
        branches = schema.get("anyOf")
        if branches:
            typed = [b for b in branches if isinstance(b, Mapping) and b.get("type") != "null"]
            return self._value(typed[0] if typed else branches[0], key, depth)
        if "enum" in schema:
            return self._choice([v for v in schema["enum"] if v is not None] or [None])
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind == "object":
            props = schema.get("properties") or {}
            return {k: self._value(v, k, depth + 1) for k, v in props.items()}
        if kind == "array":
            items = schema.get("items") or {}
            if isinstance(items, Mapping) and items.get("type") == "string" and "enum" not in items:
                return [self._string("") for _ in range(min(3, len(self.words)))]
            return [self._value(items, key, depth + 1)]
        if kind == "string":
            return self._string(key)
        if kind in ("integer", "number"):
            number = self.numbers[self._number % len(self.numbers)] if self.numbers else 0.0
            self._number += 1
            return int(number) if kind == "integer" else number
        if kind == "boolean":
            return not (_NEGATION & set(re.findall(r"\w+", self.lowered)))
        return None

    def _choice(self, options: list[Any]) -> Any:
        labels = {str(o).lower(): o for o in options}
        if {"positive", "negative"} <= labels.keys():
            return labels[self._sentiment(labels)]
        for option in options:
            if isinstance(option, str) and re.search(
                rf"\b{re.escape(option.lower())}\b", self.lowered
            ):
                return option
        return options[0]

    def _sentiment(self, labels: Mapping[str, Any]) -> str:
        label = sentiment(self.lowered)  # the same words as the plain-text answers
        return "positive" if label == "neutral" and "neutral" not in labels else label

    def _string(self, key: str) -> str:
        if any(part in key.lower() for part in _SUMMARY_KEYS):
            words = self.prompt.split()
            return " ".join(words[:8]) + ("…" if len(words) > 8 else "")
        if not self.words:
            return ""
        word = self.words[self._word % len(self.words)]
        self._word += 1
        return str(word)


__all__ = ["FAULTS", "REFUSAL", "SchemaAnswer", "schema_error", "structured_reply"]
