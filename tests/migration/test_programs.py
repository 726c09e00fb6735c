"""Claude Agent SDK programs run on the emulator after the mechanical swap (issue #15).

Each file in ``programs/`` is written for ``claude_agent_sdk`` in its documented style
(README, examples/). The test applies ``swap.swap`` — names only — runs the result as
a user would (its own process, credentials from the ``AZURE_*`` environment pointing at
the emulator, a fresh working directory) and checks every ``# expect:`` line of the
program appears in what it printed. Nothing else is changed in a program.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from jupyter_azure_ai.emulator import Emulator

from .swap import swap

pytestmark = pytest.mark.integration

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PROGRAMS = sorted((HERE / "programs").glob("p*.py"))

XFAIL: dict[str, str] = {}
"""Programs whose feature is not built yet: program stem -> why (never a silent skip)."""


def expectations(source: str) -> list[str]:
    return [
        line.split("# expect:", 1)[1].strip()
        for line in source.splitlines()
        if line.startswith("# expect:")
    ]


def _param(path: Path) -> object:
    reason = XFAIL.get(path.stem)
    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
    return pytest.param(path, id=path.stem, marks=marks)


def test_there_are_at_least_25_programs() -> None:
    assert len(PROGRAMS) >= 25


@pytest.mark.parametrize("path", [_param(p) for p in PROGRAMS])
def test_program_runs_after_the_swap(path: Path, emulator: Emulator, tmp_path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert "claude_agent_sdk" in source, "written for the Claude Agent SDK"
    expected = expectations(source)
    assert expected, f"{path.name} has no '# expect:' line"
    program = swap(source)
    assert "claude_agent_sdk" not in program and "Claude" not in program.split('"""')[0]
    script = tmp_path / path.name
    script.write_text(program, encoding="utf-8")
    # A current deployment (gpt-4o, in the built-in price table) as a user would have;
    # the emulator's default, legacy gpt-4, has no Global Standard price.
    env = {**os.environ, **emulator.env(), "AZURE_OPENAI_DEPLOYMENT": "gpt-4o"}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = done.stdout
    assert done.returncode == 0, f"exit {done.returncode}\n{out[-1500:]}\n{done.stderr[-3000:]}"
    missing = [e for e in expected if e not in out]
    assert not missing, f"missing {missing} in:\n{out[-3000:]}"
    for secret in (emulator.client_secret, emulator.subscription_key):
        assert secret not in out + done.stderr
