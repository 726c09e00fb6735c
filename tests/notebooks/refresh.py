"""Re-run the example notebooks on a fresh local emulator and save them with their outputs.

    python tests/notebooks/refresh.py [NOTEBOOK ...]    (default: every notebooks/*.ipynb)

Run it after editing a notebook: nbval (``python -m pytest``) compares the marked cells
against the saved outputs. The emulator's secret and key are throwaway values of this
run; the saved files are checked for them (and for tokens) before this exits.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from jupyter_azure_ai.emulator import start_emulator

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def main(argv: list[str]) -> int:
    paths = [Path(a).resolve() for a in argv] or sorted(NOTEBOOKS.glob("*.ipynb"))
    with start_emulator() as emu, tempfile.TemporaryDirectory() as cache:
        # a fresh map_rows cache: the saved outputs are what a first run shows
        env = {**os.environ, **emu.env(), "JUPYTER_AZURE_AI_CACHE_DIR": cache}
        for path in paths:
            _drop_widget_state(path)
            command = [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook"]
            command += ["--execute", "--inplace", "--ExecutePreprocessor.record_timing=False"]
            # widget state would embed a copy of the panel's JS bundle that goes stale
            command.append("--ExecutePreprocessor.store_widget_state=False")
            command.append(str(path))
            print(f"running {path.name}", flush=True)
            with tempfile.TemporaryDirectory() as data:  # saved conversations, per notebook
                run_env = {**env, "JUPYTER_AZURE_AI_DATA_DIR": data}
                subprocess.run(command, env=run_env, check=True, cwd=NOTEBOOKS)
        secrets = (emu.client_secret, emu.subscription_key)
    for path in paths:
        text = path.read_text(encoding="utf-8")
        if any(s in text for s in secrets) or re.search(r"eyJ[\w-]{8,}", text):
            print(f"{path.name}: a secret or token is in the saved outputs", file=sys.stderr)
            return 1
    return 0


def _drop_widget_state(path: Path) -> None:
    """Saved widget state embeds a copy of the chat panel's bundle that goes stale with it."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    if nb.get("metadata", {}).pop("widgets", None) is not None:
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
