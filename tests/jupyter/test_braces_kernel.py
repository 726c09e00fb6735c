"""Braces in prompts, in a real kernel: the exact text the emulator received.

The emulator runs in this process (uvicorn in a thread), so a wrapper around its reply
planner sees every chat request body as the server parsed it — what Azure would get.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from jupyter_azure_ai.emulator import Emulator, scenarios
from jupyter_azure_ai.jupyter.context import summarize

from .kernel import Kernel
from .test_widget_kernel import Panel

SETUP = (
    "import jupyter_azure_ai\n"
    "import pandas as pd\n"
    "x = 12345\n"
    "total = 99\n"
    "a = 5\n"
    "name = 'Ann'\n"
    "sales = pd.DataFrame({'region': ['N', 'S'] * 20, 'amount': range(40)})"
)
SALES = pd.DataFrame({"region": ["N", "S"] * 20, "amount": range(40)})  # as the kernel's
FENCE = '```python\nprint(f"Total: {total} {x!r:>10}")\n```'

CASES = [
    # id, cell body below %%azure, the user message the emulator must receive
    (
        "json",
        'Return JSON like {"name": "x", "age": 3}',
        'Return JSON like {"name": "x", "age": 3}',
    ),
    (
        "nested-json-and-sets",
        'Fill {"user": {"name": "x", "tags": [{}]}}. What is {1, 2}? And {1: 2}?',
        'Fill {"user": {"name": "x", "tags": [{}]}}. What is {1, 2}? And {1: 2}?',
    ),
    ("fenced-fstring", f"Why?\n{FENCE}\nfor {{total}}", f"Why?\n{FENCE}\nfor 99"),
    ("inline-code", 'What does `f"{total}"` print? {total}', 'What does `f"{total}"` print? 99'),
    (
        "math",
        "Simplify $\\frac{a}{b}$ and $$\\sum_{i} x_{i}$$ for a = {a}",
        "Simplify $\\frac{a}{b}$ and $$\\sum_{i} x_{i}$$ for a = 5",
    ),
    ("prices", "$5M in Q1 and {x} in Q2, up from $3M", "$5M in Q1 and 12345 in Q2, up from $3M"),
    (
        "fields-in-json-and-escapes",
        '{"name": "{name}", "n": {x:,}} and {{name}}',
        '{"name": "Ann", "n": 12,345} and {name}',
    ),
]


@pytest.fixture(scope="module")
def kernel(emulator_server: Emulator) -> Iterator[Kernel]:
    k = Kernel(emulator_server.env())
    run = k.run(f"%load_ext jupyter_azure_ai\n{SETUP}")
    assert run.status == "ok", run.error
    yield k
    k.shutdown()


@pytest.fixture
def received(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The last user message of every chat request the emulator answers from now on."""
    seen: list[str] = []
    plan = scenarios.plan_reply

    def recording(body: dict[str, Any], deployment: str) -> scenarios.Reply:
        users = [m for m in body["messages"] if m.get("role") == "user"]
        seen.append(users[-1]["content"])
        return plan(body, deployment)

    monkeypatch.setattr(scenarios, "plan_reply", recording)
    return seen


@pytest.mark.parametrize(("body", "sent"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_magic_sends_exactly(kernel: Kernel, received: list[str], body: str, sent: str) -> None:
    run = kernel.run(f"%%azure --new\n{body}")
    assert run.status == "ok", run.error
    assert received == [sent + "\n"]  # IPython ends a cell body with a newline


def test_dataframe_beside_a_code_fence(kernel: Kernel, received: list[str]) -> None:
    body = (
        "Sales:\n{sales}\n"
        "```python\nsales.agg({'amount': 'sum'})  # {sales.shape}\n```\n"
        'Answer as {"region": ...}.'
    )
    run = kernel.run(f"%%azure --new\n{body}")
    assert run.status == "ok", run.error
    footer = run.displays()[-1]["content"]["data"]["text/plain"]
    assert "context truncated: sales" in footer
    summary, _ = summarize(SALES, rows=5)  # the magic's default context_rows
    assert received == [
        f"Sales:\n{summary}\n"
        "```python\nsales.agg({'amount': 'sum'})  # {sales.shape}\n```\n"
        'Answer as {"region": ...}.\n'
    ]


def test_undefined_field_beside_json_sends_nothing(
    kernel: Kernel, emulator: Emulator, received: list[str]
) -> None:
    run = kernel.run('%%azure --new\nReturn {"name": "x"} for {nmae}')
    assert run.status == "error" and run.error is not None
    (line,) = run.error["traceback"]
    assert "{nmae} is not defined in the notebook" in line and "nothing was sent" in line
    assert received == [] and emulator.stats.chat_requests == 0


def test_chat_panel_sends_what_was_typed(kernel: Kernel, received: list[str]) -> None:
    typed = 'Is {x} a field? {"a": {total}} `{name}` $\\frac{a}{b}$ {{a}} {undefined}'
    panel = Panel(kernel, "_w = jupyter_azure_ai.chat(new_conversation=True)")
    panel.send({"type": "ask", "text": typed})
    done = panel.until_done()
    assert received == [typed]
    states = [d["state"] for d in done if d.get("method") == "update"]
    transcripts = [s["transcript"] for s in states if "transcript" in s]
    assert transcripts[-1][0] == {"role": "user", "text": typed, "tools": []}
    assert "✗" not in json.dumps(states)


def test_readme_braces_example(kernel: Kernel, received: list[str]) -> None:
    """The README's example runs as written and sends the text it says it sends."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("**Braces: only fields are filled.**", 1)[1]
    setup, cell, sent = (
        textwrap.dedent(block)
        for block in re.findall(r"\n  ```[a-z]*\n(.*?\n)  ```\n", section, re.S)[:3]
    )
    assert kernel.run(setup).status == "ok"
    run = kernel.run(cell)
    assert run.status == "ok", run.error
    assert received == [sent]
