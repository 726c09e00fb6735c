"""Every runnable Python example in README.md runs as written against the emulator."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from jupyter_azure_ai.emulator import Emulator

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCKS = [
    b
    for b in re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    if "anyio.run(main)" in b
]
EXPECTED = [  # what each example prints, in README order
    "320x200 PNG (detail auto), mostly **orange** (#ffa500)",  # an image in the prompt
    "**Paris**",
    "the notebook wakes up",
    "the notebook wakes up",
    "success",
    "model wants get_weather({'location': 'Paris'})",
    "sunny, 21 °C",
    " tokens]",  # the streaming example ends each answer with "[N tokens]"
    "success Review(sentiment='positive', stars=5) $0.000",  # structured output, priced
    "(turn 2 of this conversation)\nTrue 2 Tell me about tea",  # a resumed session
    "Based on Read:      1\tbuy oat milk",
    "Deployment error: Model not found: deployment 'no-such-deployment'",
    "[gpt-4o-mini-2024-07-18]",  # a query with its own settings (Configuration)
]


def test_every_example_is_checked() -> None:
    assert len(BLOCKS) == len(EXPECTED)


@pytest.mark.parametrize("index", range(len(EXPECTED)))
def test_readme_example_runs(emulator: Emulator, index: int, tmp_path: Path) -> None:
    script = tmp_path / f"example_{index}.py"
    script.write_text(BLOCKS[index])
    env = {**os.environ, **emulator.env()}
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert EXPECTED[index] in out.stdout, out.stdout
    for secret in (emulator.client_secret, emulator.subscription_key):
        assert secret not in out.stdout + out.stderr
