"""The example notebooks run top to bottom on the emulator and never save a secret.

nbval (``notebooks/``) checks that they run and that marked outputs stay the same; this
executes each one with nbclient, the way ``jupyter nbconvert --execute`` would before a
save, and scans the resulting notebook JSON for the emulator's client secret and
subscription key and for anything shaped like an access token (a JWT: ``eyJ...``).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from jupyter_azure_ai.emulator import Emulator

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NAMES = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
JWT = re.compile(r"eyJ[\w-]{8,}")


def test_the_example_notebooks_are_there() -> None:
    expected = [
        "01-quickstart.ipynb",
        "02-data-science.ipynb",
        "03-sdk.ipynb",
        "04-chat.ipynb",
        "05-tools.ipynb",
        "06-data-at-scale.ipynb",
        "07-batch-api.ipynb",
        "08-assistant.ipynb",
    ]
    assert expected == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_saved_notebook_has_outputs_and_no_token(name: str) -> None:
    """What is committed was produced by running it; secrets of that run are gone with it."""
    text = (NOTEBOOKS / name).read_text(encoding="utf-8")
    nb = nbformat.reads(text, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code)
    # an error output only where the notebook shows one on purpose (%azure fix's demo)
    raising = [c for c in code if "raises-exception" in c.metadata.get("tags", [])]
    assert not [o for c in code if c not in raising for o in c.outputs if o.output_type == "error"]
    assert not JWT.search(text)
    for marker in ("AZURE_CLIENT_SECRET=", "AZURE_APIM_SUBSCRIPTION_KEY=", "Bearer "):
        assert marker not in text


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_without_errors_or_secrets(name: str, emulator: Emulator) -> None:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=60,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    env = {**os.environ, **emulator.env(), "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    client.execute(env=env)  # raises CellExecutionError if a cell fails

    errors = [
        o
        for c in nb.cells
        if c.cell_type == "code" and "raises-exception" not in c.metadata.get("tags", [])
        for o in c.outputs
        if o.output_type == "error"
    ]
    assert not errors
    assert all(c.execution_count for c in nb.cells if c.cell_type == "code")
    # it really talked to this emulator (a new kernel fetches its own token)
    assert emulator.stats.token_requests > 0 and emulator.stats.chat_requests > 0

    saved = json.dumps(nbformat.from_dict(nb), ensure_ascii=False)
    for secret in (emulator.client_secret, emulator.subscription_key):
        assert secret not in saved
    assert not JWT.search(saved)
