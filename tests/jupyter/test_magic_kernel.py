"""%%azure and %azure in a real kernel, against the emulator."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from jupyter_azure_ai.emulator import Emulator

from ..html_allowlist import check
from .kernel import Kernel

HEAVY = ("httpx", "azure.identity", "anywidget", "openai", "ipywidgets", "markdown_it")


@pytest.fixture(scope="module")
def kernel(emulator_server: Emulator) -> Iterator[Kernel]:
    k = Kernel(emulator_server.env())
    k.run("%load_ext jupyter_azure_ai")
    yield k
    k.shutdown()


@pytest.fixture
def fresh(kernel: Kernel, emulator: Emulator) -> Kernel:
    run = kernel.run("%azure reset")
    assert run.status == "ok", run.error
    return kernel


def secrets(emu: Emulator) -> list[str]:
    return [emu.client_secret, emu.subscription_key]


def answer_outputs(run: Any) -> list[dict[str, Any]]:
    """The answer's display messages (the footer is the last display_data)."""
    displays = run.displays()
    return displays[:-1]


def final_outputs(run: Any) -> list[dict[str, Any]]:
    """The mimebundles a cell ends with: displays, each as its last update left it."""
    outputs: list[tuple[str | None, dict[str, Any]]] = []
    for m in run.displays():
        display_id = m["content"].get("transient", {}).get("display_id")
        if m["msg_type"] == "display_data":
            outputs.append((display_id, m["content"]["data"]))
        else:
            outputs = [(i, m["content"]["data"] if i == display_id else d) for i, d in outputs]
    return [data for _, data in outputs]


def test_load_ext_is_light_and_idempotent(emulator: Emulator) -> None:
    k = Kernel(emulator.env())
    try:
        code = (
            "import sys, time\n"
            "t = time.perf_counter()\n"
            "%load_ext jupyter_azure_ai\n"
            "elapsed = time.perf_counter() - t\n"
            "%load_ext jupyter_azure_ai\n"
            f"print(round(elapsed * 1000), [m for m in {HEAVY!r} if m in sys.modules])"
        )
        run = k.run(code)
        assert run.status == "ok", run.error
        assert "already loaded" in run.stdout  # IPython's own note; nothing breaks
        ms, heavy = run.stdout.splitlines()[-1].split(" ", 1)
        assert heavy.strip() == "[]"
        assert int(ms) < 1000  # the 150 ms target is measured in bench/, not asserted here
        assert emulator.stats.token_requests == 0 and emulator.stats.chat_requests == 0
        run = k.run("%unload_ext jupyter_azure_ai\n%load_ext jupyter_azure_ai\nprint('ok')")
        assert run.status == "ok" and run.stdout == "ok\n"
    finally:
        k.shutdown()


def test_answer_streams_in_finished_blocks_and_ends_exact(fresh: Kernel) -> None:
    """Finished blocks are sent once, each as an output of its own; only the open tail
    is re-rendered; the outputs together are the answer, exactly."""
    run = fresh.run("%%azure -m paced-1500\nWrite 300 words about streaming")
    assert run.status == "ok", run.error
    *answer, footer = final_outputs(run)
    exact = fresh.run("print(_azure)").stdout[:-1]
    assert "".join(out["text/plain"] for out in answer) == exact and len(exact) > 1500
    assert len(answer) >= 3  # the answer came in several blocks
    finished: set[str] = set()
    for m in run.displays()[:-1]:
        display_id = m["content"].get("transient", {}).get("display_id")
        assert display_id not in finished or display_id is None  # a finished block never changes
        if "text/plain" in m["content"]["data"] and display_id is not None:
            finished.add(display_id)
    assert run.of("update_display_data")  # the tail grew in place before it was finished
    assert footer["text/plain"].startswith("paced-1500 · ") and "out tokens" in footer["text/plain"]


def test_the_outputs_do_not_depend_on_the_pace(fresh: Kernel) -> None:
    """The cuts depend on the text only: at a model's pace, all at once, or unstreamed,
    the cell ends with the same outputs (nbval compares saved outputs)."""
    cell = "%%azure --new {}\nWrite 200 words about notebooks"
    runs = [fresh.run(cell.format(o)) for o in ("-m paced-2000", "", "--no-stream")]
    outputs = [final_outputs(run)[:-1] for run in runs]
    assert len(outputs[0]) >= 2
    assert outputs[0] == outputs[1] == outputs[2]


def test_iopub_budget_for_a_2000_word_answer(fresh: Kernel) -> None:
    """Bytes: at most 4x the answer at the emulator's pace (all at once) and at a fast
    model's (3,000 characters/s); display messages: at most 25 in any second."""
    for deployment in ("gpt-4", "paced-3000"):
        run = fresh.run(f"%%azure --new -m {deployment}\nWrite 2000 words about API Management")
        assert run.status == "ok", run.error
        answer_bytes = int(fresh.run("print(len(_azure.encode()))").stdout)
        assert answer_bytes > 10_000
        assert run.wire_bytes() <= 4 * answer_bytes, (deployment, run.wire_bytes(), answer_bytes)
        if deployment.startswith("paced"):
            stamps = [m["header"]["date"].timestamp() for m in run.displays()]
            busiest = max(sum(1 for t in stamps if start <= t < start + 1) for start in stamps)
            assert busiest <= 25, busiest


def test_interpolation_out_and_dataframe_summary(fresh: Kernel) -> None:
    setup = (
        "import pandas as pd\n"
        "city = 'Paris'\n"
        "df = pd.DataFrame({'x': range(100), 'y': [i * 2 for i in range(100)]})"
    )
    assert fresh.run(setup).status == "ok"
    run = fresh.run("%%azure --out reply\nWhat is the capital of France? {city} {{braces}} {df}")
    assert run.status == "ok", run.error
    footer = run.displays()[-1]["content"]["data"]["text/plain"]
    assert "context truncated: df" in footer
    check = fresh.run("print('Paris' in reply, reply == _azure)")
    assert check.stdout == "True True\n"
    history = fresh.run("%azure history")
    shown = json.dumps([m["content"] for m in history.displays()])
    assert "{braces}" in shown and "DataFrame with 100 rows x 2 columns" in shown
    assert "| 99 | 99 | 198 |" in shown


def test_undefined_name_is_one_line_and_sends_nothing(fresh: Kernel, emulator: Emulator) -> None:
    run = fresh.run("%%azure\nTell me about {no_such_variable}")
    assert run.status == "error"
    err = run.error
    assert err is not None and len(err["traceback"]) == 1
    assert "{no_such_variable} is not defined" in err["traceback"][0]
    assert emulator.stats.chat_requests == 0


@pytest.mark.parametrize(
    "line", ["--bogus", "-t hot", "--format html", "--out 1abc", "--max-tokens"]
)
def test_bad_options_are_usage_errors(fresh: Kernel, emulator: Emulator, line: str) -> None:
    run = fresh.run(f"%%azure {line}\nhello")
    assert run.status == "error"  # IPython prints a UsageError on stderr, no traceback
    assert run.stderr.startswith("UsageError: ") and "usage: %%azure" in run.stderr
    assert emulator.stats.chat_requests == 0


def test_memory_new_and_reset(fresh: Kernel) -> None:
    fresh.run("%%azure\nTell me about tea")
    fresh.run("%%azure\nAnd about coffee")
    assert "(turn 2 of this conversation)" in fresh.run("print(_azure)").stdout
    fresh.run("%%azure --new\nAnd about water")
    assert "(turn 1 of this conversation)" in fresh.run("print(_azure)").stdout
    fresh.run("%azure reset")
    fresh.run("%%azure\nAnd about juice")
    assert "(turn 1 of this conversation)" in fresh.run("print(_azure)").stdout


def test_options_apply_per_cell(fresh: Kernel, emulator: Emulator) -> None:
    run = fresh.run("%%azure -m gpt-4o -t 0.2 --max-tokens 50 --format text --no-stream\nTell me")
    assert run.status == "ok", run.error
    outputs = answer_outputs(run)
    assert len(outputs) == 1 and set(outputs[0]["content"]["data"]) == {"text/plain"}
    assert "deployment `gpt-4o`" in outputs[0]["content"]["data"]["text/plain"]


def test_answers_are_allowlisted_html_not_markdown(fresh: Kernel) -> None:
    """The answer (the emulator repeats the payload) is rendered in the kernel: text/html
    from render.py, never text/markdown for a front end to re-parse."""
    fresh.run(
        "payload = '**bold** \\\\` <img src=x onerror=alert(1)> [x](javascript:alert(1))"
        " ![i](https://attacker.example/?d=1) $x^2$ \\x1b[2J'"
    )
    run = fresh.run("%%azure --new\nRepeat verbatim: {payload}")
    assert run.status == "ok", run.error
    assert all("text/markdown" not in m["content"]["data"] for m in run.displays())
    shown = final_outputs(run)[:-1]  # the footer is last
    for data in shown:
        check(data["text/html"])
    html = "".join(data["text/html"] for data in shown)
    plain = "".join(data["text/plain"] for data in shown)
    assert "<strong>bold</strong> ` &lt;img src=x onerror=alert(1)&gt;" in html
    assert "[x](javascript:alert(1))" in html
    assert "[image: i · attacker.example]</a>" in html
    assert '<span class="mathjax_process tex2jax_process">$x^2$</span>' in html
    assert "␛[2J" in plain and "\x1b" not in plain
    assert fresh.run("print(_azure.rstrip().endswith('\\x1b[2J'))").stdout == "True\n"  # exact
    footer = run.displays()[-1]["content"]["data"]
    check(footer["text/html"])
    assert footer["text/plain"].startswith("gpt-4 · ")
    history = fresh.run("%azure history").displays()[-1]["content"]["data"]
    check(history["text/html"])
    assert "<strong>gpt-4:</strong>" in history["text/html"]
    assert history["text/html"].count("&lt;img src=x onerror=alert(1)&gt;") == 2


def test_service_text_cannot_reach_the_terminal_in_an_error_line(fresh: Kernel) -> None:
    run = fresh.run(
        "from jupyter_azure_ai.jupyter.magics import MagicError\n"
        "raise MagicError('service', 'Out of quota\\x1b]8;;http://x\\x07\\r\\nclick\\x9b2J')"
    )
    (only,) = run.error["traceback"] if run.error else [None]
    assert only == "\x1b[31m✗ service: Out of quota␛]8;;http://x␇ click\ufffd2J\x1b[0m"


@pytest.mark.parametrize(
    ("line", "layer", "text"),
    [
        ("-m gpt-17", "deployment", "Model not found: deployment 'gpt-17'"),
        ("-m fault-content-filter", "content filter", "Content filter blocked the prompt (hate)"),
        ("-m fault-quota", "service", "Out of call volume quota"),
    ],
)
def test_errors_are_one_line_naming_the_layer(
    fresh: Kernel, emulator: Emulator, line: str, layer: str, text: str
) -> None:
    run = fresh.run(f"%%azure {line}\nhello")
    assert run.status == "error"
    assert run.error is not None
    (only,) = run.error["traceback"]
    assert f"✗ {layer}: " in only and text in only
    for secret in secrets(emulator):
        assert secret not in run.everything()


def test_debug_shows_the_full_traceback(fresh: Kernel) -> None:
    fresh.run("%azure config debug=true")
    try:
        run = fresh.run("%%azure -m gpt-17\nhello")
        assert run.error is not None and run.error["ename"] == "ModelNotFoundError"
        assert len(run.error["traceback"]) > 3
    finally:
        fresh.run("%azure config debug=false")


def test_config_and_status_never_show_secrets(fresh: Kernel, emulator: Emulator) -> None:
    fresh.run("%%azure\nhello")
    run = fresh.run("%azure config model=gpt-4o temperature=0.5\n%azure status")
    assert run.status == "ok", run.error
    out = run.stdout
    assert "model           gpt-4o" in out and "temperature     0.5" in out
    assert "token:       valid until" in out and "deployment:  gpt-4o" in out
    for secret in secrets(emulator):
        assert secret not in run.everything()
    refused = fresh.run("%azure config client_secret=abc")
    assert refused.status == "error" and "environment only" in refused.stderr
    fresh.run("%config AzureMagics.model = 'gpt-4o-mini'")
    fresh.run("%azure config model=none")  # back to the environment's deployment
    assert "deployment:  gpt-4 " in fresh.run("%azure status").stdout


def test_interrupt_cancels_within_a_second(fresh: Kernel, emulator: Emulator) -> None:
    marks: dict[str, float] = {}

    def interrupt_on_first_output(msg: dict[str, Any], run: Any) -> None:
        if msg["msg_type"] == "display_data" and "sent" not in marks:
            marks["sent"] = time.perf_counter()
            fresh.km.interrupt_kernel()

    run = fresh.run(
        "%%azure -m fault-slow\nWrite 300 words about patience",
        on_message=interrupt_on_first_output,
    )
    done = time.perf_counter()
    assert "sent" in marks and done - marks["sent"] < 1.5
    footer = run.displays()[-1]["content"]["data"]["text/plain"]
    assert "Cancelled" in footer
    after = fresh.run("%%azure\nWhat is the capital of France?")
    assert after.status == "ok" and "Paris" in fresh.run("print(_azure)").stdout


def test_works_beside_nest_asyncio_and_inside_an_await_cell(fresh: Kernel) -> None:
    run = fresh.run(
        "import asyncio, nest_asyncio\n"
        "nest_asyncio.apply()\n"
        "await asyncio.sleep(0.01)\n"
        "get_ipython().run_cell_magic('azure', '', 'What is the capital of France?')\n"
        "await asyncio.sleep(0.01)\n"
        "print('Paris' in _azure)"
    )
    assert run.status == "ok", run.error
    assert run.stdout.endswith("True\n")


def test_notebook_functions_as_tools(fresh: Kernel) -> None:
    fresh.run(
        "def get_weather(location: str) -> str:\n"
        "    '''Current weather.\n\n    location: a city\n    '''\n"
        "    return {'Paris': 'sunny <b>21</b>', 'London': 'rain'}[location]"
    )
    run = fresh.run("%%azure --tool get_weather\nWhat is the weather in Paris and London?")
    assert run.status == "ok", run.error
    html = "".join(data["text/html"] for data in final_outputs(run)[:-1])
    check(html)
    assert html.count("<summary>🔧 <code>get_weather({&quot;location&quot;: ") == 2
    assert "sunny &lt;b&gt;21&lt;/b&gt;" in html and "<b>21" not in html  # tool output is data
    assert "Based on get_weather: sunny <b>21</b>" in fresh.run("print(_azure)").stdout
    missing = fresh.run("%%azure --tool nope\nhello")
    assert missing.status == "error" and "no function of that name" in missing.stderr


def test_configured_mcp_server(fresh: Kernel) -> None:
    from pathlib import Path

    calc = Path(__file__).resolve().parents[1] / "integration" / "mcp_servers" / "calc_server.py"
    config = {"calc": {"command": __import__("sys").executable, "args": [str(calc)]}}
    fresh.run(f"%config AzureMagics.mcp_servers = {config!r}")
    run = fresh.run("%%azure --mcp calc\nUse mcp__calc__add please")
    assert run.status == "ok", run.error
    html = "".join(data["text/html"] for data in final_outputs(run)[:-1])
    assert "🔧 <code>mcp__calc__add(" in html
    unknown = fresh.run("%%azure --mcp other\nhello")
    assert unknown.status == "error" and "not configured (calc)" in unknown.stderr


def test_help_cost_in_footer_and_unload_stops_the_loop(emulator: Emulator) -> None:
    k = Kernel(emulator.env())
    try:
        k.run("%load_ext jupyter_azure_ai")
        helped = k.run("%azure --help")
        assert "%%azure [-m MODEL]" in helped.stdout and "%azure status" in helped.stdout
        k.run("%config AzureMagics.pricing = {'gpt-4': {'input': 30, 'output': 60}}")
        run = k.run("%%azure\nWhat is the capital of France?")
        footer = run.displays()[-1]["content"]["data"]["text/plain"]
        assert footer.startswith("gpt-4 · ") and " · $0.00" in footer
        threads = "import threading\nprint(sorted(t.name for t in threading.enumerate()))"
        assert "jupyter-azure-ai-loop" in k.run(threads).stdout
        k.run("%unload_ext jupyter_azure_ai")
        assert "jupyter-azure-ai-loop" not in k.run(threads).stdout
    finally:
        k.shutdown()


def test_kernel_stays_responsive_over_100_answers_and_20_interrupts(emulator: Emulator) -> None:
    k = Kernel(emulator.env())
    try:
        k.run("%load_ext jupyter_azure_ai")
        for i in range(100):
            run = k.run(f"%%azure --new\nTell me about item {i}")
            assert run.status == "ok", run.error
        for _ in range(20):
            marks: list[float] = []

            def interrupt(msg: dict[str, Any], run: Any, marks: list[float] = marks) -> None:
                if msg["msg_type"] == "display_data" and not marks:
                    marks.append(time.perf_counter())
                    k.km.interrupt_kernel()

            run = k.run("%%azure -m fault-slow --new\nWrite 300 words", on_message=interrupt)
            assert marks and time.perf_counter() - marks[0] < 1.5
        started = time.perf_counter()
        check = k.run("%%azure --new\nWhat is the capital of France?\n")
        assert check.status == "ok" and time.perf_counter() - started < 2
        threads = k.run("import threading; print(threading.active_count())").stdout
        assert int(threads) < 15
    finally:
        k.shutdown()


def test_settings_precedence_line_over_config_over_environment(fresh: Kernel) -> None:
    def deployment(cell: str) -> str:
        run = fresh.run(cell)
        assert run.status == "ok", run.error
        return str(run.displays()[-1]["content"]["data"]["text/plain"]).split(" · ")[0]

    try:
        assert deployment("%%azure\nhello") == "gpt-4"  # AZURE_OPENAI_DEPLOYMENT
        fresh.run("%azure config model=gpt-4o")
        assert deployment("%%azure\nhello") == "gpt-4o"
        assert deployment("%%azure -m gpt-4o-mini\nhello") == "gpt-4o-mini"
        fresh.run("%config AzureMagics.model = 'gpt-35-turbo'")
        assert deployment("%%azure\nhello") == "gpt-35-turbo"
    finally:
        fresh.run("%azure config model=none")
    assert deployment("%%azure\nhello") == "gpt-4"
