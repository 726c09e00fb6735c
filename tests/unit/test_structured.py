"""output_format → Azure's strict schema, and answers back to objects (structured.py)."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import Any, Literal, Optional

import pytest
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from jupyter_azure_ai import ConfigurationError, QuerySettings
from jupyter_azure_ai.structured import DROPPED_KEYWORDS, AnswerProblem, compile_output_format

from .fakes import options


class Mood(enum.Enum):
    HAPPY = "happy"
    SAD = "sad"


class Address(BaseModel):
    city: str
    zip: str | None = None


class Person(BaseModel):
    name: str = Field(description="full name", min_length=2)
    age: int
    mood: Mood
    kind: Literal["customer", "staff"]
    address: Address
    past: list[Address] = []
    nick: Optional[str] = None  # noqa: UP045 (the spelling under test)


@dataclass
class Review:
    label: Literal["positive", "negative", "neutral"]
    score: float
    tags: list[str] = field(default_factory=list)
    mood: Mood = Mood.HAPPY


@dataclass
class Invoice:
    number: str
    lines: list[Review]
    customer: Review | None = None


class _TicketKeys(TypedDict):
    id: int
    summary: str


class Ticket(_TicketKeys, total=False):  # total=False: owner may be left out
    owner: str


def strict_objects(schema: Any) -> None:
    """Every object in ``schema`` is strict: all properties required, no extra keys."""
    if isinstance(schema, dict):
        if "properties" in schema:
            assert schema["additionalProperties"] is False
            assert schema["required"] == list(schema["properties"])
        for value in schema.values():
            strict_objects(value)
    elif isinstance(schema, list):
        for value in schema:
            strict_objects(value)


def test_pydantic_model_nested_optional_literal_enum_list_of_objects() -> None:
    out = compile_output_format(Person)
    sent = out.response_format()
    assert sent["type"] == "json_schema"
    assert sent["json_schema"]["name"] == "Person" and sent["json_schema"]["strict"] is True
    schema = sent["json_schema"]["schema"]
    strict_objects(schema)
    props = schema["properties"]
    assert props["name"] == {"type": "string", "description": "full name (minLength: 2)"}
    assert props["kind"] == {"enum": ["customer", "staff"], "type": "string"}
    assert props["address"] == {"$ref": "#/$defs/Address"}
    assert props["past"] == {"type": ["array", "null"], "items": {"$ref": "#/$defs/Address"}}
    assert props["nick"] == {"type": ["string", "null"]}
    assert schema["$defs"]["Mood"] == {"enum": ["happy", "sad"], "type": "string"}
    assert schema["$defs"]["Address"]["properties"]["zip"] == {"type": ["string", "null"]}
    assert "title" not in json.dumps(schema) and "default" not in json.dumps(schema)
    answer = {
        "name": "Ada",
        "age": 36,
        "mood": "sad",
        "kind": "staff",
        "address": {"city": "London", "zip": None},
        "past": None,  # null for a field with a default: the default applies
        "nick": None,
    }
    person = out.parse(json.dumps(answer))
    assert isinstance(person, Person)
    assert person.mood is Mood.SAD and person.address == Address(city="London")
    assert person.past == [] and person.nick is None


def test_dataclass_becomes_an_instance_with_enums_and_defaults() -> None:
    out = compile_output_format(Review)
    assert out.schema == {
        "type": "object",
        "properties": {
            "label": {"type": "string", "enum": ["positive", "negative", "neutral"]},
            "score": {"type": "number"},
            "tags": {"type": ["array", "null"], "items": {"type": "string"}},
            "mood": {"enum": ["happy", "sad", None], "type": ["string", "null"]},
        },
        "required": ["label", "score", "tags", "mood"],
        "additionalProperties": False,
    }
    review = out.parse('{"label": "positive", "score": 1, "tags": null, "mood": null}')
    assert review == Review("positive", 1.0, [], Mood.HAPPY)
    assert isinstance(review.score, float)


def test_nested_dataclasses_and_list_of_objects() -> None:
    out = compile_output_format(Invoice)
    strict_objects(out.schema)
    item = {"label": "neutral", "score": 0.5, "tags": ["a"], "mood": "sad"}
    invoice = out.parse(json.dumps({"number": "7", "lines": [item], "customer": None}))
    assert invoice == Invoice("7", [Review("neutral", 0.5, ["a"], Mood.SAD)], None)


def test_typeddict_gives_a_dict() -> None:
    out = compile_output_format(Ticket)
    assert out.schema["properties"]["owner"] == {"type": ["string", "null"]}
    assert out.schema["required"] == ["id", "summary", "owner"]
    assert out.parse('{"id": 1, "summary": "s", "owner": null}') == {"id": 1, "summary": "s"}


def test_claude_sdk_dict_form() -> None:
    spec = {
        "type": "json_schema",
        "schema": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "maxLength": 20},
                "population": {"type": "integer", "minimum": 0},
            },
            "required": ["city"],
        },
    }
    out = compile_output_format(spec)
    assert out.name == "output" and out.target is None
    assert out.schema["properties"] == {
        "city": {"type": "string", "description": "(maxLength: 20)"},
        "population": {"type": ["integer", "null"], "description": "(minimum: 0)"},
    }
    assert out.parse('{"city": "Paris", "population": null}') == {"city": "Paris"}
    with pytest.raises(AnswerProblem, match=r"at 'population': -1 is less than the minimum"):
        out.parse('{"city": "Paris", "population": -1}')


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"type": "object", "properties": {}}, r"a dict must be \{'type': 'json_schema'"),
        (
            {"type": "json_schema", "schema": {"type": "array"}},
            "output: the top level must be an object",
        ),
        (
            {"type": "json_schema", "schema": {"type": "object", "patternProperties": {}}},
            "field 'output': keys matched by pattern",
        ),
        (
            {"type": "json_schema", "schema": {"type": "object", "properties": {"x": {}}}},
            "field 'output.x' has no type",
        ),
        (
            {
                "type": "json_schema",
                "schema": {
                    "type": "object",
                    "properties": {"m": {"type": "object", "additionalProperties": True}},
                },
            },
            r"field 'output.m': a dict with free-form keys",
        ),
        (
            {
                "type": "json_schema",
                "schema": {
                    "type": "object",
                    "properties": {"p": {"type": "array", "prefixItems": [{"type": "string"}]}},
                },
            },
            r"field 'output.p': a tuple of positional items",
        ),
    ],
)
def test_refused_schemas_name_the_field(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=r"AzureOpenAIOptions\.output_format: " + message):
        options(output_format=spec)


def test_refused_hints_name_the_field() -> None:
    @dataclass
    class Free:
        counts: dict[str, int]

    @dataclass
    class Untyped:
        value: Any

    with pytest.raises(ConfigurationError, match=r"field 'Free.counts': a dict with free-form"):
        QuerySettings(output_format=Free)
    with pytest.raises(ConfigurationError, match=r"field 'Untyped.value' has no type"):
        QuerySettings(output_format=Untyped)
    with pytest.raises(ConfigurationError, match=r"output_format: int is not a pydantic model"):
        QuerySettings(output_format=int)


def test_azure_limits_are_checked() -> None:
    wide = {f"f{i}": {"type": "string"} for i in range(101)}
    spec = {"type": "json_schema", "schema": {"type": "object", "properties": wide}}
    with pytest.raises(ConfigurationError, match="101 properties; Azure allows at most 100"):
        QuerySettings(output_format=spec)
    deep: dict[str, Any] = {"type": "string"}
    for _ in range(6):
        deep = {"type": "object", "properties": {"x": deep}}
    spec = {"type": "json_schema", "schema": deep}
    with pytest.raises(ConfigurationError, match="nested 6 levels deep; Azure allows at most 5"):
        QuerySettings(output_format=spec)


def test_bad_answers_say_what_is_wrong() -> None:
    out = compile_output_format(Review)
    with pytest.raises(AnswerProblem, match="not valid JSON"):
        out.parse('{"label": "positive", ')
    with pytest.raises(AnswerProblem, match="'score' is a required property"):
        out.parse('{"label": "positive", "tags": [], "mood": null}')
    with pytest.raises(AnswerProblem, match=r"at 'label': 'great' is not one of"):
        out.parse('{"label": "great", "score": 1, "tags": [], "mood": null}')
    with pytest.raises(AnswerProblem, match="Additional properties are not allowed"):
        out.parse('{"label": "positive", "score": 1, "tags": [], "mood": null, "x": 1}')
    person = compile_output_format(Person)
    answer = {"name": "A", "age": 1, "mood": "sad", "kind": "staff",
              "address": {"city": "c", "zip": None}, "past": [], "nick": None}  # fmt: skip
    with pytest.raises(AnswerProblem, match="at 'name': 'A' is too short"):
        person.parse(json.dumps(answer))


def test_output_format_is_a_query_setting() -> None:
    opts = options(output_format=Review)
    assert opts.settings.output_format is Review
    assert opts.settings.replace(output_format=None).output_format is None
    assert isinstance(hash(opts.settings.replace(output_format={"type": "json_schema",
        "schema": {"type": "object", "properties": {"a": {"type": "string"}}}})), int)  # fmt: skip
    with pytest.raises(ConfigurationError):
        opts.output_format = {"type": "text"}
    assert opts.output_format is Review


@pytest.mark.parametrize("keyword", sorted(DROPPED_KEYWORDS))
def test_each_unsupported_constraint_is_dropped_and_described(keyword: str) -> None:
    value: Any = {"contains": {"type": "string"}, "propertyNames": {"type": "string"}}.get(
        keyword, 1
    )
    kind = (
        "array"
        if "Items" in keyword or "ontains" in keyword or keyword == "uniqueItems"
        else "string"
    )
    spec = {
        "type": "json_schema",
        "schema": {
            "type": "object",
            "properties": {"x": {"type": kind, "items": {"type": "string"}, keyword: value}},
            "required": ["x"],
        },
    }
    sent = compile_output_format(spec).schema["properties"]["x"]
    assert keyword not in sent
    assert f"{keyword}: " in sent["description"]


class Level(enum.Enum):
    LOW = 1
    HIGH = 2


@dataclass
class Alert:
    level: Level


def test_an_enum_says_its_json_type() -> None:
    assert compile_output_format(Alert).schema["properties"]["level"] == {
        "enum": [1, 2],
        "type": "integer",
    }
