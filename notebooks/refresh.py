"""Re-run the example notebooks on a fresh local emulator and save them with their outputs.

    python notebooks/refresh.py [NOTEBOOK ...]      (default: every notebooks/*.ipynb)

Run it after editing a notebook: nbval (``python -m pytest``) compares the marked cells
against the saved outputs. The emulator's secret and key are throwaway values of this
run; the saved files are checked for them (and for tokens) before this exits.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from jupyter_azure_ai.emulator import start_emulator

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    paths = [Path(a).resolve() for a in argv] or sorted(HERE.glob("*.ipynb"))
    with start_emulator() as emu:
        env = {**os.environ, **emu.env()}
        for path in paths:
            command = [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook"]
            command += ["--execute", "--inplace", "--ExecutePreprocessor.record_timing=False"]
            command.append(str(path))
            print(f"running {path.name}", flush=True)
            subprocess.run(command, env=env, check=True, cwd=HERE)
        secrets = (emu.client_secret, emu.subscription_key)
    for path in paths:
        text = path.read_text(encoding="utf-8")
        if any(s in text for s in secrets) or re.search(r"eyJ[\w-]{8,}", text):
            print(f"{path.name}: a secret or token is in the saved outputs", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
