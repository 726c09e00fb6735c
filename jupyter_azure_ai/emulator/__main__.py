"""``python -m jupyter_azure_ai.emulator``: serve in the foreground, print ``export`` lines.

The export lines go to stdout (flushed at once, so ``eval "$(...)"`` or a parent
process reading the pipe can use them while the server keeps running); the status
line goes to stderr. The printed secret and key are throwaway values of this run.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import threading
from types import FrameType

from . import start_emulator


def main(argv: list[str] | None = None) -> int:
    """Run the emulator until SIGINT or SIGTERM; return the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m jupyter_azure_ai.emulator",
        description="Local TLS stand-in for Entra ID + API Management + Azure OpenAI.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind (0: any free port)")
    parser.add_argument(
        "--token-lifetime", type=int, default=3599, help="expires_in of issued tokens, seconds"
    )
    parser.add_argument(
        "--batch-phase-s",
        type=float,
        default=None,
        help="seconds each Batch API phase lasts"
        " (default: $JUPYTER_AZURE_AI_EMULATOR_BATCH_PHASE_S, else 0.25)",
    )
    args = parser.parse_args(argv)

    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with start_emulator(
            args.host, args.port, args.token_lifetime, batch_phase_s=args.batch_phase_s
        ) as emu:
            for name, value in emu.env().items():
                print(f"export {name}={shlex.quote(value)}")
            sys.stdout.flush()
            print(f"# emulator listening on {emu.url} (Ctrl-C to stop)", file=sys.stderr)
            sys.stderr.flush()
            while not stop.wait(0.5):
                pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
