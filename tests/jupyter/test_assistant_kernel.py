"""The notebook assistant in a real kernel on the emulator: ``%azure fix``, ``--code``,
``{In[n]}`` / ``{Out[n]}`` / ``{Err[n]}`` / ``{_}`` and ``context_rows=0``.

The emulator runs in this process, so a wrapper around its reply planner sees every chat
request body exactly as the server parsed it (what Azure would get), and
``emulator.stats.chat_requests`` counts what was sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from jupyter_azure_ai.emulator import Emulator, scenarios
from jupyter_azure_ai.jupyter.fix import FIX_SYSTEM_PROMPT

from ..html_allowlist import check
from .kernel import CellRun, Kernel

SETUP = """\
import pandas as pd
total = 120
hits = 30
visits = 0
sales = pd.DataFrame({"region": ["N", "S", "E"], "amount": [10.5, 20.0, None]})
secret_people = pd.DataFrame({"name": ["Alice Zebra", "Bob Quokka"], "age": [41, 37]})
"""


@pytest.fixture(scope="module")
def kernel(emulator_server: Emulator) -> Iterator[Kernel]:
    k = Kernel(emulator_server.env())
    run = k.run(f"%load_ext jupyter_azure_ai\n{SETUP}")
    assert run.status == "ok", run.error
    yield k
    k.shutdown()


@pytest.fixture
def bodies(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every chat request body the emulator answers from now on."""
    seen: list[dict[str, Any]] = []
    plan = scenarios.plan_reply

    def recording(body: dict[str, Any], deployment: str) -> scenarios.Reply:
        seen.append(body)
        return plan(body, deployment)

    monkeypatch.setattr(scenarios, "plan_reply", recording)
    return seen


def _last_user(body: dict[str, Any]) -> str:
    users = [m for m in body["messages"] if m.get("role") == "user"]
    content = users[-1]["content"]
    return content if isinstance(content, str) else json.dumps(content)


def _html(run: CellRun) -> list[str]:
    return [
        m["content"]["data"]["text/html"]
        for m in run.displays()
        if "text/html" in m["content"]["data"]
    ]


def _footer(run: CellRun) -> str:
    return str(run.displays()[-1]["content"]["data"]["text/plain"])


def _fix_round(
    kernel: Kernel, bodies: list[dict[str, Any]], broken: str, fix_line: str = "%azure fix"
) -> tuple[CellRun, str]:
    """Run a cell that raises, then ``%azure fix``; (the fix's run, the cell it offers)."""
    failed = kernel.run(broken)
    assert failed.status == "error"
    fix = kernel.run(fix_line)
    assert fix.status == "ok", fix.error
    assert len(bodies) == 1
    code = fix.next_input
    assert code is not None, _footer(fix)
    return fix, code


def test_fix_name_error_end_to_end(kernel: Kernel, bodies: list[dict[str, Any]]) -> None:
    failed = kernel.run("share = hits / totl\nprint(round(share, 2))")
    # IPython's own handling is untouched: its error message and traceback, and %tb
    assert failed.error is not None and failed.error["ename"] == "NameError"
    assert any("totl" in line for line in failed.error["traceback"])
    assert "NameError" in kernel.run("%tb").everything()
    fix = kernel.run("%azure fix")
    assert fix.status == "ok", fix.error
    assert len(bodies) == 1
    code = fix.next_input
    assert code is not None, _footer(fix)
    # what went to the model: the fix system prompt, the cell, the trimmed traceback, the names
    body = bodies[0]
    system = [m for m in body["messages"] if m["role"] == "system"]
    assert system and system[0]["content"] == FIX_SYSTEM_PROMPT
    prompt = _last_user(body)
    assert "share = hits / totl" in prompt
    assert "NameError: name 'totl' is not defined" in prompt
    assert "- `hits`: int" in prompt
    assert "- `totl`: not defined (defined names close to it: `total`" in prompt
    assert "interactiveshell" not in prompt and "site-packages" not in prompt  # trimmed
    # it streamed through the display and ended with the usual footer
    assert fix.displays() and "code in the next cell (not run)" in _footer(fix)
    assert "fixing cell [" in _footer(fix)
    # the offered cell runs without the error
    assert code == "share = hits / total\nprint(round(share, 2))"
    run = kernel.run(code)
    assert run.status == "ok", run.error
    assert run.stdout == "0.25\n"


def test_fix_zero_division(kernel: Kernel, bodies: list[dict[str, Any]]) -> None:
    fix, code = _fix_round(
        kernel, bodies, "rate = hits / visits\nprint(rate)", "%azure fix -m gpt-4o"
    )
    assert _footer(fix).startswith("gpt-4o · ")  # the deployment asked for
    assert "except ZeroDivisionError" in code
    run = kernel.run(code)
    assert run.status == "ok", run.error
    assert run.stdout == "nan\n"


def test_fix_key_error_on_a_column(kernel: Kernel, bodies: list[dict[str, Any]]) -> None:
    _, code = _fix_round(kernel, bodies, "print(sales['amout'].sum())")
    prompt = _last_user(bodies[0])
    assert "KeyError: 'amout'" in prompt
    assert "3 rows x 2 columns: region (" in prompt  # the columns, never a value
    assert "amount (float64)" in prompt
    assert "10.5" not in prompt
    assert "… " in prompt and "frames in pandas" in prompt  # library frames in one line
    assert code == "print(sales['amount'].sum())"
    run = kernel.run(code)
    assert run.status == "ok", run.error
    assert run.stdout == "30.5\n"


def test_nothing_to_fix_sends_nothing(emulator_server: Emulator) -> None:
    fresh = Kernel(emulator_server.env())
    try:
        assert fresh.run("%load_ext jupyter_azure_ai\nx = 1").status == "ok"
        emulator_server.reset()
        run = fresh.run("%azure fix")
        assert run.status == "ok", run.error
        assert run.stdout.startswith("Nothing to fix:") and run.stdout.count("\n") == 1
        assert run.next_input is None and not run.displays()
        # a failing %%azure cell is not the notebook's error to fix
        bad = fresh.run("%%azure --model\nhello")
        assert bad.status == "error"
        assert fresh.run("%azure fix").stdout.startswith("Nothing to fix:")
        assert fresh.run("%azure fix 7").stdout == "Nothing to fix: cell [7] raised no error.\n"
        assert "UsageError: argument N: invalid int value" in fresh.run("%azure fix x").stderr
        assert emulator_server.stats.chat_requests == 0
    finally:
        fresh.shutdown()


def test_fix_answer_cannot_inject_html(kernel: Kernel, bodies: list[dict[str, Any]]) -> None:
    """The emulator quotes the error's message in its answer: outside text, rendered safely."""
    payload = "<img src=x onerror=alert(1)><script>alert(2)</script>"
    failed = kernel.run(f"raise ValueError({payload!r})")
    assert failed.status == "error"
    fix = kernel.run("%azure fix")
    assert fix.status == "ok", fix.error
    assert "no code in the answer" in _footer(fix) and fix.next_input is None
    html = "".join(_html(fix))
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    for fragment in _html(fix):
        check(fragment)
    assert "<img" not in html and "<script" not in html


def test_code_puts_the_answers_code_below(kernel: Kernel, bodies: list[dict[str, Any]]) -> None:
    for line in ("%%azure --code", "%%azure -f code"):
        run = kernel.run(f"{line}\nShow me some code")
        assert run.status == "ok", run.error
        assert run.next_input == 'print("café")'  # the emulator's default answer's block
        assert any("Emulated answer" in h for h in _html(run))  # the Markdown still shows
        assert "code in the next cell (not run)" in _footer(run)
    plain = kernel.run("%%azure\nShow me some code")
    assert plain.next_input is None
    assert kernel.run("%%azure --code\nhello").next_input is None  # an answer without code


def test_in_out_err_and_underscore(kernel: Kernel, bodies: list[dict[str, Any]]) -> None:
    source = kernel.run("21 * 2")
    assert source.status == "ok"
    count = source.of("execute_result")[0]["content"]["execution_count"]
    failed = kernel.run("1 / 0")
    assert failed.status == "error"
    run = kernel.run(
        f"%%azure --new\nRepeat verbatim:\nIN={{In[{count}]}} OUT={{Out[{count}]}} "
        f"ERR={{Err[{count + 1}]}} LAST={{_}}"
    )
    assert run.status == "ok", run.error
    sent = _last_user(bodies[0])
    assert sent == (
        "Repeat verbatim:\nIN=21 * 2 OUT=42 ERR=Traceback (most recent call last):\n"
        f"  Cell [{count + 1}], line 1, in <module>\n    1 / 0\n"
        "ZeroDivisionError: division by zero LAST=42\n"
    )


@pytest.mark.parametrize(
    ("field", "says"),
    [
        ("{In[9999]}", "{In[9999]}: there is no cell [9999] (cells 1 to "),
        ("{Out[1]}", "{Out[1]}: cell [1] has no output (cells with output: "),
        ("{Err[1]}", "{Err[1]}: cell [1] raised no error (cells that did: "),
    ],
)
def test_missing_index_is_one_line_and_sends_nothing(
    kernel: Kernel, emulator: Emulator, field: str, says: str
) -> None:
    run = kernel.run(f"%%azure\nExplain {field}")
    assert run.status == "error" and run.error is not None
    (line,) = run.error["traceback"]
    assert says in line and "nothing was sent" in line
    assert emulator.stats.chat_requests == 0


def test_context_rows_zero_sends_no_values(kernel: Kernel, bodies: list[dict[str, Any]]) -> None:
    assert kernel.run("%azure config context_rows=0").status == "ok"
    try:
        run = kernel.run("%%azure --new\nWhat could I compute from {secret_people} and {sales}?")
        assert run.status == "ok", run.error
        sent = _last_user(bodies[0])
        for value in ("Alice", "Zebra", "Bob", "Quokka", "N", "S", "E"):
            assert value not in sent.replace("DataFrame", "")
        rows = [line for line in sent.splitlines() if line.startswith("| ")]
        firsts = [r.split(" | ")[0] for r in rows]  # a row per column, none per data row
        assert firsts == ["| column", "| name", "| age", "| column", "| region", "| amount"]
        assert "DataFrame with 2 rows x 2 columns (schema only, no rows)" in sent
        assert "| name | object | 0 |  |" in sent or "| name | str | 0 |  |" in sent
        assert "| amount | float64 | 1 | 10.5 to 20.0 |" in sent
        assert "schema only, no values sent: secret_people, sales" in _footer(run)
    finally:
        kernel.run("%azure config context_rows=5")
    again = kernel.run("%%azure --new\nWhat is in {secret_people}?")
    assert "Alice Zebra" in _last_user(bodies[-1]) and "schema only" not in _footer(again)
    bad = kernel.run("%azure config context_rows=-1")
    assert bad.status == "error"


def test_fix_request_never_carries_the_secrets(
    kernel: Kernel, emulator: Emulator, bodies: list[dict[str, Any]]
) -> None:
    cell = (
        "import os\n"
        "key = os.environ['AZURE_APIM_SUBSCRIPTION_KEY']\n"
        "raise RuntimeError(f'rejected {key} and {os.environ[\"AZURE_CLIENT_SECRET\"]}')"
    )
    assert kernel.run(cell).status == "error"
    fix = kernel.run("%azure fix")
    assert fix.status == "ok", fix.error
    sent = json.dumps(bodies)
    assert emulator.subscription_key not in sent and emulator.client_secret not in sent
    assert "rejected *** and ***" in sent
    for secret in (emulator.subscription_key, emulator.client_secret):
        assert secret not in fix.everything()


def test_err_field_never_carries_the_secrets(
    kernel: Kernel, emulator: Emulator, bodies: list[dict[str, Any]]
) -> None:
    """``{Err[n]}`` inserts what ``%azure fix`` sends: the secrets are hidden the same way."""
    failed = kernel.run(
        "import os\nraise RuntimeError('rejected ' + os.environ['AZURE_APIM_SUBSCRIPTION_KEY'])"
    )
    assert failed.status == "error"
    count = failed.of("execute_input")[0]["content"]["execution_count"]
    run = kernel.run(f"%%azure --new\nRepeat verbatim: {{Err[{count}]}}")
    assert run.status == "ok", run.error
    sent = _last_user(bodies[0])
    assert "RuntimeError: rejected ***" in sent
    assert emulator.subscription_key not in json.dumps(bodies)
    assert emulator.subscription_key not in run.everything()


def test_code_does_not_go_with_over(kernel: Kernel, emulator: Emulator) -> None:
    run = kernel.run("%%azure --over sales --code\nSay {region}")
    assert run.status == "error"
    assert "UsageError: --code does not go with --over" in run.stderr
    assert emulator.stats.chat_requests == 0


def test_fix_an_earlier_cell_by_number(kernel: Kernel, bodies: list[dict[str, Any]]) -> None:
    first = kernel.run("hits / visits")
    count = first.of("execute_input")[0]["content"]["execution_count"]
    assert kernel.run("undefined_thing").status == "error"  # a later error
    fix = kernel.run(f"%azure fix {count}")
    assert fix.status == "ok", fix.error
    prompt = _last_user(bodies[0])
    assert prompt.startswith(f"Cell [{count}] raised ZeroDivisionError.")
    assert f"fixing cell [{count}]" in _footer(fix)


def test_fix_a_misspelt_builtin(kernel: Kernel, bodies: list[dict[str, Any]]) -> None:
    _, code = _fix_round(kernel, bodies, "pritn(hits + 1)")
    assert code == "print(hits + 1)"
    run = kernel.run(code)
    assert run.status == "ok" and run.stdout == "31\n"


@pytest.mark.parametrize(
    ("broken", "fixed", "printed"),
    [
        ("print(sales.amout.sum())", "print(sales.amount.sum())", "30.5\n"),  # a column
        (
            "import math\nprint(math.sqrtt(hits + 19))",
            "import math\nprint(math.sqrt(hits + 19))",
            "7.0\n",
        ),
    ],
)
def test_fix_a_misspelt_attribute(
    kernel: Kernel, bodies: list[dict[str, Any]], broken: str, fixed: str, printed: str
) -> None:
    _, code = _fix_round(kernel, bodies, broken)
    assert "attributes close to it:" in _last_user(bodies[0])
    assert code == fixed
    run = kernel.run(code)
    assert run.status == "ok" and run.stdout == printed
