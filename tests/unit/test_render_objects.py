"""render.py's views of a structured answer (``%%azure --schema``): model text escaped."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pydantic import BaseModel

from jupyter_azure_ai.jupyter import render

from ..html_allowlist import check

HOSTILE = '<img src=x onerror="alert(1)"> [x](javascript:alert(1)) $\\href{http://e.vil}{x}$'


class Mood(enum.Enum):
    HAPPY = "happy"


@dataclass
class Flat:
    text: str
    mood: Mood
    count: int
    missing: str | None = None


class Inner(BaseModel):
    name: str


class Nested(BaseModel):
    items: list[Inner]


def test_a_flat_object_is_a_one_row_table_of_escaped_text() -> None:
    html = render.object_html(Flat(HOSTILE, Mood.HAPPY, 3))
    check(html)
    assert html.startswith('<div class="mathjax_ignore tex2jax_ignore"><table><thead><tr>')
    assert "<th>text</th><th>mood</th><th>count</th><th>missing</th>" in html
    assert "<td>happy</td><td>3</td><td>null</td>" in html
    assert "<img" not in html and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert "href" not in html.replace("\\href", "")  # the TeX is text; nothing links


def test_keys_are_escaped_too() -> None:
    html = render.object_html({"<b>key</b>": "v"})
    check(html)
    assert "<th>&lt;b&gt;key&lt;/b&gt;</th>" in html


def test_a_nested_object_is_pretty_json_in_pre() -> None:
    html = render.object_html(Nested(items=[Inner(name=HOSTILE)]))
    check(html)
    assert "<pre>{\n  &quot;items&quot;: [\n    {\n      &quot;name&quot;: " in html
    assert "<img" not in html


def test_plain_text_shows_control_characters() -> None:
    plain = render.object_plain({"a": "x\x1b[31my"})
    assert "\x1b" not in plain and plain.startswith("{\n")
    assert render.preformatted_html("\x1b[2J<script>") == (
        '<div class="mathjax_ignore tex2jax_ignore"><pre>␛[2J&lt;script&gt;</pre></div>\n'
    )
