"""Jupyter figures for bench/run.py: ``%load_ext`` time, iopub cost of a streamed answer.

The ``%%azure`` magic is compared with the naive approach measured in the same
kernel: re-rendering the whole Markdown on every delta.
"""

from __future__ import annotations

import json
import statistics
from typing import Any

from tests.jupyter.kernel import Kernel

PROMPT = "Write 2000 words about API Management"

PER_DELTA = f"""
from IPython.display import Markdown, display
from jupyter_azure_ai import AzureOpenAIOptions, StreamEvent, azure_query
_text, _handle = "", display(Markdown("…"), display_id=True)
async for _m in azure_query({PROMPT!r}, AzureOpenAIOptions.from_env(include_partial_messages=True)):
    if isinstance(_m, StreamEvent) and _m.event.get("type") == "content_block_delta":
        _text += _m.event["delta"]["text"]
        _handle.update(Markdown(_text))
_azure = _text
"""


def markdown_answer(size: int = 6000) -> str:
    """A Markdown answer of about ``size`` characters, shaped like a model's explanation:
    mostly paragraphs, with headings, lists, one table and one code fence (no braces:
    it goes through a template)."""
    paragraph = (
        "The first thing to do is to read the file and look at its shape, the types of its"
        " columns and how many values are missing in each of them. A quick look at the"
        " first rows often shows problems that summaries hide, such as numbers stored as"
        " text or dates in two formats. **Keep a clean copy** once it looks right.\n\n"
    )
    extras = [
        "- read the CSV with `pd.read_csv`, parsing dates\n- check `df.dtypes` and"
        " `df.isna().sum()`\n- drop exact duplicates\n\n",
        "| column | type | missing |\n|---|---|---|\n| region | object | 0 |\n"
        "| revenue | float64 | 12 |\n\n",
        '```python\nimport pandas as pd\n\ndf = pd.read_csv("sales.csv")\n'
        "print(df.describe())\n```\n\n",
    ]
    parts: list[str] = []
    n = 0
    while sum(map(len, parts)) < size:
        n += 1
        parts.append(f"## Step {n}\n\n{paragraph}{paragraph}")
        if n <= len(extras):
            parts.append(extras[n - 1])
    return "".join(parts)[:size].rsplit("\n\n", 1)[0] + "\n"


def paced_cost(env: dict[str, str], pace: int, size: int = 6000) -> dict[str, float]:
    """iopub display bytes / answer bytes for a Markdown answer streamed at ``pace``
    characters per second (the emulator's ``paced-<pace>`` deployment)."""
    k = Kernel(env)
    try:
        k.run("%load_ext jupyter_azure_ai")
        k.run("%%azure\nhello")  # warm: token, connection
        answer = markdown_answer(size)
        run = k.run(f"%%azure --new -m paced-{pace}\nRepeat verbatim: {answer}", timeout=120)
        n, nbytes, busiest = _display_cost(run.messages)
        got = k.run("print(len(_azure.encode()))").stdout
    finally:
        k.shutdown()
    return {"answer_bytes": int(got), "msgs": n, "rate": busiest, "ratio": nbytes / int(got)}


def widget_cost(env: dict[str, str]) -> dict[str, float]:
    """Bytes the chat panel's comm carries for one answer, over the answer's bytes."""
    k = Kernel(env)
    try:
        run = k.run(
            "%load_ext jupyter_azure_ai\nimport jupyter_azure_ai\n"
            "_w = jupyter_azure_ai.chat(new_conversation=True)\nprint(_w.comm.comm_id)"
        )
        comm_id = run.stdout.strip().splitlines()[-1]
        content = {"type": "ask", "text": PROMPT}
        data = {"method": "custom", "content": content}
        k.kc.shell_channel.send(k.kc.session.msg("comm_msg", {"comm_id": comm_id, "data": data}))
        carried, text = 0, ""
        while True:
            msg = k.kc.get_iopub_msg(timeout=60)
            if msg["msg_type"] != "comm_msg" or msg["content"]["comm_id"] != comm_id:
                continue
            body = msg["content"]["data"]
            carried += len(json.dumps(msg["content"]))
            if body.get("method") == "custom" and body["content"]["type"] == "delta":
                text += body["content"]["text"]
            if body.get("method") == "custom" and body["content"]["type"] == "done":
                break
    finally:
        k.shutdown()
    return {"answer_bytes": len(text.encode()), "ratio": carried / max(1, len(text.encode()))}


def load_ext_ms(env: dict[str, str], runs: int) -> float:
    """Median time of ``%load_ext jupyter_azure_ai`` in a fresh kernel."""
    times = []
    for _ in range(runs):
        k = Kernel(env)
        try:
            code = (
                "import time as _t\n_s = _t.perf_counter()\n%load_ext jupyter_azure_ai\n"
                "print((_t.perf_counter() - _s) * 1000)"
            )
            text = k.run(code).stdout
            times.append(float(text.strip().splitlines()[-1]))
        finally:
            k.shutdown()
    return statistics.median(times)


def _display_cost(msgs: list[dict[str, Any]]) -> tuple[int, int, int]:
    """(display messages, their bytes, the most of them in any one-second window)."""
    shown = [m for m in msgs if m["msg_type"] in ("display_data", "update_display_data")]
    stamps = sorted(m["header"]["date"].timestamp() for m in shown)
    busiest = max(
        (sum(1 for t in stamps[i:] if t - start < 1.0) for i, start in enumerate(stamps)),
        default=0,
    )
    return len(shown), sum(len(json.dumps(m["content"])) for m in shown), busiest


def iopub_cost(env: dict[str, str]) -> dict[str, float]:
    """Display messages in the busiest second and bytes/answer-bytes: magic vs per-delta."""
    k = Kernel(env)
    try:
        k.run("%load_ext jupyter_azure_ai")
        k.run(f"%%azure\n{PROMPT}")  # warm: token, connection
        magic = k.run(f"%%azure --new\n{PROMPT}")
        msgs, seconds = magic.messages, magic.seconds
        size = int(k.run("print(len(_azure.encode()))").stdout)
        n, nbytes, busiest = _display_cost(msgs)
        naive = k.run(PER_DELTA)
        naive_msgs, naive_seconds = naive.messages, naive.seconds
        naive_n, naive_bytes, naive_busiest = _display_cost(naive_msgs)
    finally:
        k.shutdown()
    return {
        "answer_bytes": size,
        "magic_msgs": n,
        "magic_rate": busiest,
        "magic_ratio": nbytes / size,
        "magic_seconds": seconds,
        "naive_msgs": naive_n,
        "naive_rate": naive_busiest,
        "naive_ratio": naive_bytes / size,
        "naive_seconds": naive_seconds,
    }
