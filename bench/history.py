"""Input tokens per cell over a long notebook session: bounded vs unbounded (issue #18).

    python bench/history.py              # 50 cells of ~1,500 tokens each
    python bench/history.py --cells 20   # shorter

One ``AzureAgentClient`` per contender asks the same cells on the in-process emulator,
whose ``usage.prompt_tokens`` is the real size of each request (every message, tool
call and definition it carries); one client keeps the default bound
(``max_history_tokens=16_000``), the other sends everything (``None``). Printed: the
input tokens of every fifth cell, and the session's totals. This is a count, not a
timing: it takes a few seconds and is the same on every machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jupyter_azure_ai import AzureAgentClient, AzureOpenAIOptions, ResultMessage
from jupyter_azure_ai.emulator import Emulator, start_emulator

SENTENCE = (
    "Region {i} sold {n} units in March, up {p} percent on February, while returns fell to"
    " {r} and the average basket grew; "
)


def cell(i: int) -> str:
    """A prompt of about 1,500 tokens (the emulator's count), different in every cell."""
    body = "".join(SENTENCE.format(i=i, n=100 + j, p=j % 9, r=j % 5) for j in range(57))
    return f"Cell {i}: what stands out in these notes?\n{body}"


async def session(emu: Emulator, cells: int, bound: int | None) -> list[int]:
    options = AzureOpenAIOptions.from_env(emu.env(), verify=emu.ca_path, max_history_tokens=bound)
    inputs = []
    async with AzureAgentClient(options) as client:
        for i in range(cells):
            await client.query(cell(i))
            async for message in client.receive_response():
                if isinstance(message, ResultMessage):
                    inputs.append((message.usage or {}).get("input_tokens", 0))
    return inputs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cells", type=int, default=50)
    args = parser.parse_args(argv)
    # the conversations of a run are saved (sessions.py): into a throwaway folder
    saved = tempfile.TemporaryDirectory(prefix="jupyter-azure-ai-bench-data-")
    os.environ.setdefault("JUPYTER_AZURE_AI_DATA_DIR", saved.name)
    with start_emulator() as emu:
        bounded = anyio.run(session, emu, args.cells, 16_000)
        unbounded = anyio.run(session, emu, args.cells, None)
    print(f"{'cell':>5} {'bounded (16,000)':>17} {'unbounded':>10}")
    for i in range(0, args.cells, 5):
        print(f"{i + 1:>5} {bounded[i]:>17,} {unbounded[i]:>10,}")
    last = args.cells - 1
    if last % 5:
        print(f"{last + 1:>5} {bounded[last]:>17,} {unbounded[last]:>10,}")
    total_b, total_u = sum(bounded), sum(unbounded)
    print(f"{'total':>5} {total_b:>17,} {total_u:>10,}")
    print(
        f"the bounded session sent {total_b / total_u:.0%} of the unbounded one's input tokens;"
        f" its largest cell {max(bounded):,} tokens (unbounded: {max(unbounded):,})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
