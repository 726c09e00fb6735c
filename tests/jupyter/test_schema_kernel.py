"""``%%azure --schema NAME`` in a real kernel, against the emulator: the object is shown
(a one-row table when flat, pretty JSON otherwise) as allowlisted HTML and kept in
``_azure`` / ``--out``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from jupyter_azure_ai.emulator import Emulator

from ..html_allowlist import check
from .kernel import Kernel

SETUP = """
from dataclasses import dataclass
from typing import Literal
from pydantic import BaseModel

@dataclass
class Review:
    sentiment: Literal["positive", "negative", "neutral"]
    stars: int

class Line(BaseModel):
    product: str
    quantity: int

class Order(BaseModel):
    customer: str
    lines: list[Line]

as_dict = {"type": "json_schema", "schema": {"type": "object",
           "properties": {"label": {"type": "string", "enum": ["spam", "ham"]}}}}
loose = {"type": "json_schema",
         "schema": {"type": "object", "properties": {"m": {"type": "object"}}}}
"""


@pytest.fixture(scope="module")
def kernel(emulator_server: Emulator) -> Iterator[Kernel]:
    k = Kernel(emulator_server.env())
    run = k.run("%load_ext jupyter_azure_ai\n%azure config model=gpt-4o\n" + SETUP)
    assert run.status == "ok", run.error
    yield k
    k.shutdown()


@pytest.fixture
def fresh(kernel: Kernel, emulator: Emulator) -> Kernel:
    run = kernel.run("%azure reset")
    assert run.status == "ok", run.error
    return kernel


def shown(run: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The object's display and the footer."""
    displays = [m["content"]["data"] for m in run.displays()]
    assert len(displays) == 2, displays
    return displays[0], displays[1]


def test_a_flat_object_is_a_one_row_table(fresh: Kernel) -> None:
    run = fresh.run("%%azure --schema Review --out review\nI love it, great kettle: 5 stars")
    assert run.status == "ok", run.error
    data, footer = shown(run)
    html = data["text/html"]
    check(html)
    assert "<table><thead><tr><th>sentiment</th><th>stars</th></tr></thead>" in html
    assert "<td>positive</td><td>5</td>" in html
    assert '"sentiment": "positive"' in data["text/plain"]
    assert footer["text/plain"].startswith("gpt-4o · ") and "$" in footer["text/plain"]
    out = fresh.run("print(repr(_azure), _azure is review)").stdout
    assert out == "Review(sentiment='positive', stars=5) True\n"


def test_a_nested_object_is_pretty_json(fresh: Kernel) -> None:
    run = fresh.run("%%azure --schema Order\nOrder from Ada: 2 Kettles")
    assert run.status == "ok", run.error
    data, _ = shown(run)
    check(data["text/html"])
    assert "<pre>{\n  &quot;customer&quot;: &quot;Order&quot;," in data["text/html"]
    out = fresh.run("print(type(_azure).__name__, _azure.lines[0].quantity)").stdout
    assert out == "Order 2\n"


def test_the_dict_form_gives_a_dict(fresh: Kernel) -> None:
    run = fresh.run("%%azure --schema as_dict\nthis is spam")
    assert run.status == "ok", run.error
    assert fresh.run("print(_azure)").stdout == "{'label': 'spam'}\n"


def test_model_text_is_escaped_in_the_table(fresh: Kernel) -> None:
    run = fresh.run(
        "%%azure --schema Review\nRepeat <img src=x onerror=alert(1)> <script>x</script> 3"
    )
    assert run.status == "ok", run.error
    data, _ = shown(run)
    check(data["text/html"])
    assert "<img" not in data["text/html"] and "<script" not in data["text/html"]


def test_a_refusal_is_shown_as_text_and_noted(fresh: Kernel) -> None:
    fresh.run("%azure config model=fault-refusal")
    try:
        run = fresh.run("%%azure --schema Review\nGreat kettle")
    finally:
        fresh.run("%azure config model=gpt-4o")
    assert run.status == "ok", run.error
    data, footer = shown(run)
    assert "can&#x27;t help with that request" in data["text/html"]
    check(data["text/html"])
    assert "the model refused" in footer["text/plain"]
    assert fresh.run("print(_azure)").stdout == "None\n"


def test_bad_schema_and_missing_name_are_one_line_errors(fresh: Kernel, emulator: Emulator) -> None:
    before = emulator.stats.chat_requests
    run = fresh.run("%%azure --schema nothing_here\nhi")
    assert run.status == "error", run.everything()
    assert "--schema nothing_here: no variable" in run.everything()
    run = fresh.run("%%azure --schema loose\nhi")
    assert run.status == "error", run.everything()
    assert "output_format: field 'output.m': a dict with free-form keys" in run.everything()
    assert emulator.stats.chat_requests == before  # nothing sent
