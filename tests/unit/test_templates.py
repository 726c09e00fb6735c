"""The field rule of api.md §3: which braces are fields, and the exact text a template gives.

Every case runs twice: through the magic's ``interpolate`` (notebook variables) and
through a ``PromptTemplate`` filled from a plain dict, as a row template is.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jupyter_azure_ai.jupyter.context import InterpolationError, interpolate
from jupyter_azure_ai.templates import Field, FieldError, PromptTemplate, TemplateError, fill


@dataclass
class User:
    name: str
    tags: list[str]


NS: dict[str, Any] = {
    "x": 12345,
    "total": 99,
    "a": 5,
    "name": "Ann",
    "café": "crème",
    "user": User("Bo", ["admin", "ops"]),
    "d": {"k": "v", "a b": "spaced"},
    "items": [10, 20, 30],
}

FENCED_FSTRING = '```python\nprint(f"Total: {total} {x!r:>10}")\n```'

CASES: list[tuple[str, str, str]] = [
    # id, template, exact text sent
    (
        "json",
        'Return JSON like {"name": "x", "age": 3}',
        'Return JSON like {"name": "x", "age": 3}',
    ),
    (
        "nested-json",
        'Use {"user": {"name": "x", "tags": ["a", {"k": {}}]}} as the shape',
        'Use {"user": {"name": "x", "tags": ["a", {"k": {}}]}} as the shape',
    ),
    (
        "pretty-json",
        'Schema:\n{\n  "a": {\n    "b": [1, 2]\n  }\n}\nfor {name}',
        'Schema:\n{\n  "a": {\n    "b": [1, 2]\n  }\n}\nfor Ann',
    ),
    (
        "dict-set-empty",
        "What is {1, 2, 3}? And {1: 2}? And {}?",
        "What is {1, 2, 3}? And {1: 2}? And {}?",
    ),
    ("set-of-names", "The set {a, x} has two names", "The set {a, x} has two names"),
    ("positional", "str.format's {0} and {1:>3}", "str.format's {0} and {1:>3}"),
    (
        "fenced-fstring",
        f"Why does this fail?\n{FENCED_FSTRING}",
        f"Why does this fail?\n{FENCED_FSTRING}",
    ),
    (
        "after-fence",
        FENCED_FSTRING + "\nwith total = {total}",
        FENCED_FSTRING + "\nwith total = 99",
    ),
    (
        "tilde-fence-longer-close",
        "~~~\n{undefined} {{a}}\n~~~~~\n{a}",
        "~~~\n{undefined} {{a}}\n~~~~~\n5",
    ),
    (
        "indented-fence",
        "   ````js\nlet s = `${a}`; {nope}\n   ``` still code\n   ````\n{a}",
        "   ````js\nlet s = `${a}`; {nope}\n   ``` still code\n   ````\n5",
    ),
    ("four-spaces-is-no-fence", "    ```\n{a}\n", "    ```\n5\n"),
    ("unclosed-fence", "{a}\n```\n{nope}\nto the end", "5\n```\n{nope}\nto the end"),
    ("tilde-inside-backticks", "```\n~~~\n{nope}\n```\n{a}", "```\n~~~\n{nope}\n```\n5"),
    ("inline-code", 'Explain `f"{total}"` for {total}', 'Explain `f"{total}"` for 99'),
    (
        "inline-code-double",
        "``a ` {nope} `` then `{{x}}` and {{x}}",
        "``a ` {nope} `` then `{{x}}` and {x}",
    ),
    ("lone-backtick", "a ` then {a}", "a ` then 5"),
    ("escaped-backtick", r"\`{a}` {a}", r"\`5` 5"),
    ("inline-math", r"Simplify $\frac{a}{b}$ for a = {a}", r"Simplify $\frac{a}{b}$ for a = 5"),
    (
        "display-math",
        "$$\n\\sum_{i=1}^{n} x_{i}\n$$\nwith n = {x}",
        "$$\n\\sum_{i=1}^{n} x_{i}\n$$\nwith n = 12345",
    ),
    (
        "prices",
        "$5M in Q1 and {x} in Q2, up from $3M",
        "$5M in Q1 and 12345 in Q2, up from $3M",
    ),
    ("prices-closing-before-digit", "costs $5 and {a}$6 more", "costs $5 and 5$6 more"),
    # pandoc (and Jupyter's renderer) read this as one formula, from "$5" to "$x$"
    ("price-then-math-is-math", "$5 or {a}, see $x$", "$5 or {a}, see $x$"),
    ("math-stops-at-blank-line", "$x\n\n{a}$", "$x\n\n5$"),
    ("escaped-dollar", r"\$x {a}$ y", r"\$x 5$ y"),
    (
        "fields-in-json",
        '{"name": "{name}", "total": {total}, "tags": [{items[0]}]}',
        '{"name": "Ann", "total": 99, "tags": [10]}',
    ),
    ("field-after-json", '{"a": {"b": 1}}{a}', '{"a": {"b": 1}}5'),
    ("escapes", "{{a}} and {{ and }} and {{{a}}}", "{a} and { and } and {5}"),
    ("doubled-json-still-works", '{{"place": {{"city": ...}}}}', '{"place": {"city": ...}}'),
    (
        "attribute-and-index",
        "{user.name} {user.tags[1]} {d[k]} {d['k']} {d[a b]} {items[0]} {items[-1]}",
        "Bo ops v v spaced 10 30",
    ),
    (
        "conversion-and-spec",
        "{name!r} {x:>8,} {total:.2f} {name!s:^7} {café!a} {items!r:>14}",
        "'Ann'   12,345 99.00   Ann   'cr\\xe8me'   [10, 20, 30]",
    ),
    ("unicode-name", "{café}", "crème"),
    ("lone-closing-brace", "a } b {a}", "a } b 5"),
]


def magic(template: str, ns: dict[str, Any]) -> str:
    return interpolate(template, ns).prompt


def row(template: str, ns: dict[str, Any]) -> str:
    return PromptTemplate(template).fill(dict(ns))


FILLERS: dict[str, Callable[[str, dict[str, Any]], str]] = {"magic": magic, "row": row}


@pytest.mark.parametrize("filler", FILLERS)
@pytest.mark.parametrize(("template", "sent"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_exact_text_sent(filler: str, template: str, sent: str) -> None:
    assert FILLERS[filler](template, NS) == sent


ERRORS: list[tuple[str, str, str, str]] = [
    # id, template, reason, field text
    ("undefined", "Tell me about {missing}", "missing", "missing"),
    ("undefined-after-json", '{"a": 1} and {nmae}', "missing", "nmae"),
    ("undefined-after-fence", "```\n{ok}\n```\n{missing}", "missing", "missing"),
    ("undefined-inside-json", '{"name": "{nope}"}', "missing", "nope"),
    ("no-attribute", "{a.nope}", "lookup", "a.nope"),
    ("no-index", "{items[9]}", "lookup", "items[9]"),
    ("no-key", "{d[zz]}", "lookup", "d[zz]"),
    ("bad-spec", "{name:d}", "format", "name:d"),
    # a dict written with a bare name is a field with a spec: it stops, it is not sent
    ("name-colon-value", "a map {word: count}", "missing", "word: count"),
]


@pytest.mark.parametrize(
    ("template", "reason", "text"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS]
)
def test_fields_that_cannot_be_filled(template: str, reason: str, text: str) -> None:
    with pytest.raises(FieldError) as info:
        PromptTemplate(template).fill(NS)
    assert info.value.reason == reason and info.value.field.text == text
    assert isinstance(info.value, TemplateError) and isinstance(info.value, ValueError)
    copy = pickle.loads(pickle.dumps(info.value))  # e.g. a row's error kept in a cache
    assert (str(copy), copy.field, copy.reason) == (str(info.value), info.value.field, reason)
    with pytest.raises(InterpolationError, match="nothing was sent") as magic_error:
        interpolate(template, NS)
    wording = "could not be formatted" if reason == "format" else "is not defined in the notebook"
    assert str(magic_error.value).startswith(f"{{{text}}} {wording} (")
    assert "\n" not in str(magic_error.value)


def test_parsed_once_filled_per_row() -> None:
    template = PromptTemplate(
        'Classify {"review": "{review}", "stars": {stars}} as {label!r}.\n'
        '```python\nlabel = f"{review}"\n```\n'
        "Review {meta.id}, math $\\frac{a}{b}$, price {price:.2f} (was $5)."
    )
    assert template.names == ("review", "stars", "label", "meta", "price")
    assert [f.name for f in template.fields] == ["review", "stars", "label", "meta.id", "price"]
    assert template.missing(["review", "stars", "price", "other"]) == ["label", "meta"]
    rows = [
        {"review": "great", "stars": 5, "label": "pos", "meta": SimpleNamespace(id=7), "price": 3},
        {"review": "meh", "stars": 2, "label": "neg", "meta": SimpleNamespace(id=8), "price": 2.5},
    ]
    sent = [template.fill(r) for r in rows]
    assert sent == [
        'Classify {"review": "great", "stars": 5} as \'pos\'.\n'
        '```python\nlabel = f"{review}"\n```\n'
        "Review 7, math $\\frac{a}{b}$, price 3.00 (was $5).",
        'Classify {"review": "meh", "stars": 2} as \'neg\'.\n'
        '```python\nlabel = f"{review}"\n```\n'
        "Review 8, math $\\frac{a}{b}$, price 2.50 (was $5).",
    ]
    with pytest.raises(FieldError, match="nothing named 'stars'") as info:
        template.fill({"review": "x"})
    assert info.value.reason == "missing" and info.value.field.root == "stars"


def test_value_and_keyword_columns() -> None:
    """Row fields are any mapping keys that are identifiers: ``{value}``, even ``{class}``."""
    template = PromptTemplate("Translate {value} ({class})")
    assert [template.fill({"value": v, "class": c}) for v, c in [("chat", "n"), ("fin", "a")]] == [
        "Translate chat (n)",
        "Translate fin (a)",
    ]


def test_fields_describe_themselves() -> None:
    (field,) = PromptTemplate("see {df.shape[0]!r:>5} now").fields
    assert field == Field(
        text="df.shape[0]!r:>5",
        name="df.shape[0]",
        root="df",
        path=(("attr", "shape"), ("item", 0)),
        conversion="r",
        spec=">5",
        offset=4,
    )


def test_presenter_turns_values_into_text() -> None:
    template = PromptTemplate("{a} and {b:>3}")
    seen: list[tuple[str, Any]] = []

    def present(field: Field, value: Any) -> str:
        seen.append((field.name, value))
        return f"<{value}>"

    assert template.fill({"a": 1, "b": 2}, present) == "<1> and <2>"
    assert seen == [("a", 1), ("b", 2)]

    def broken(field: Field, value: Any) -> str:
        raise ZeroDivisionError("boom")

    with pytest.raises(FieldError, match=r"\{a\} cannot be formatted \(ZeroDivisionError: boom\)"):
        template.fill({"a": 1, "b": 2}, broken)


def test_fill_shortcut_and_equality() -> None:
    assert fill('{"k": {a}}', {"a": 1}) == '{"k": 1}'
    assert PromptTemplate("{a}") == PromptTemplate("{a}") != PromptTemplate("{b}")
    assert len({PromptTemplate("{a}"), PromptTemplate("{a}")}) == 1
    assert repr(PromptTemplate("{a}")) == "PromptTemplate('{a}')"
    assert PromptTemplate('{"no": "fields"}').pieces == ('{"no": "fields"}',)


def test_dataframe_inside_prose_next_to_a_code_fence() -> None:
    df = pd.DataFrame({"region": ["N", "S"] * 20, "sales": range(40)})
    template = (
        "Here are the sales:\n{df}\n"
        "```python\ndf.groupby('region').agg({'sales': 'sum'})\nprint(f'{df.shape}')\n```\n"
        'Answer as {"region": ..., "growth": ...} for {len}.'
    )
    out = interpolate(template, {"df": df, "len": 40}, rows=2)
    summary = "\n".join(
        [
            f"DataFrame with 40 rows x 2 columns (region: {df['region'].dtype}, sales: int64)",
            "",
            "|  | region | sales |",
            "|---|---|---|",
            "| 0 | N | 0 |",
            "| 1 | S | 1 |",
            "| … | … | … |",
            "| 38 | N | 38 |",
            "| 39 | S | 39 |",
        ]
    )
    assert out.prompt == (
        f"Here are the sales:\n{summary}\n"
        "```python\ndf.groupby('region').agg({'sales': 'sum'})\nprint(f'{df.shape}')\n```\n"
        'Answer as {"region": ..., "growth": ...} for 40.'
    )
    assert out.truncated == ["df"]
    twice = interpolate("{df} {df} {df!r:.0}", {"df": df}, rows=2)
    assert twice.truncated == ["df"]  # listed once; a formatted field is not summarised


def test_importable_without_ipython_or_pandas() -> None:
    code = (
        "import sys, jupyter_azure_ai.templates as t\n"
        "print(t.fill('{a}', {'a': 1}), [m for m in ('IPython', 'pandas', 'numpy', 'httpx')"
        " if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "1 []\n"


def test_long_text_full_of_delimiters_parses_in_linear_time() -> None:
    prices = "$5 and $6 `a ``b " * 20_000  # openers without closers: one scan, not one each
    started = time.perf_counter()
    template = PromptTemplate(prices + "{a}")
    assert time.perf_counter() - started < 5  # 0.1 s; a scan per "$" takes over a minute
    assert template.fill({"a": 1}) == prices + "1"


# --- Properties ------------------------------------------------------------------

# no deadline: the two CPUs are shared with other test runs, and a pause is not a failure
UNTIMED = settings(deadline=None)
MARKDOWNISH = st.text(alphabet=' \n\t{}[]":,.0123456789$\\`~*-#>|', max_size=80)


@UNTIMED
@given(st.text().filter(lambda t: "{" not in t and "}" not in t))
def test_text_without_braces_is_sent_unchanged(text: str) -> None:
    assert PromptTemplate(text).fill({}) == text


@UNTIMED
@given(MARKDOWNISH.filter(lambda t: "{{" not in t and "}}" not in t))
def test_braces_that_are_not_fields_are_sent_unchanged(text: str) -> None:
    """No identifier, no escape: JSON-ish, code and math punctuation in any mix is literal."""
    assert PromptTemplate(text).fill({}) == text


@UNTIMED
@given(st.text())
def test_anything_inside_a_fence_is_sent_unchanged(text: str) -> None:
    fence = "`" * (3 + len(text))  # longer than any backtick run in text: nothing closes it
    template = f"{{a}}\n{fence}\n{text}\n{fence}\n{{a}}"
    assert PromptTemplate(template).fill({"a": 1}) == f"1\n{fence}\n{text}\n{fence}\n1"


@UNTIMED
@given(st.text(alphabet=st.characters(blacklist_characters="`$~\\")))
def test_doubling_every_brace_gives_the_text_back(text: str) -> None:
    escaped = text.replace("{", "{{").replace("}", "}}")
    assert PromptTemplate(escaped).fill({}) == text
