"""The ``jupyter-azure-ai`` command: ``emulator``, ``ask`` and ``demo``.

``ask`` streams an answer to the terminal as it arrives; with ``--emulator`` it
starts a local emulator in-process first, so it works on a machine with no Azure
credentials at all. Its conversation is saved like any other (sessions.py): the footer
names the session, and ``ask -c`` / ``ask -r ID`` carry one on, as ``claude -c`` does.
``demo`` opens JupyterLab on a copy of the example notebooks,
pointed at an in-process emulator (:mod:`.demo`).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import time
from collections.abc import Iterator, Sequence
from typing import TextIO

import anyio

from .errors import AzureOpenAIError
from .options import AzureOpenAIOptions


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jupyter-azure-ai",
        description="Azure OpenAI behind API Management, from the terminal.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    emu = sub.add_parser("emulator", help="run the local Entra ID + APIM + Azure OpenAI emulator")
    emu.add_argument("--host", default="127.0.0.1")
    emu.add_argument("--port", type=int, default=0)
    ask = sub.add_parser("ask", help="stream an answer to a prompt")
    ask.add_argument("prompt", help="the question ('-' reads standard input)")
    ask.add_argument(
        "--emulator",
        action="store_true",
        help="answer from an in-process local emulator instead of AZURE_* settings",
    )
    ask.add_argument("-m", "--model", help="deployment name (default: AZURE_OPENAI_DEPLOYMENT)")
    ask.add_argument("-s", "--system", help="system prompt")
    ask.add_argument("-t", "--temperature", type=float)
    ask.add_argument("--max-tokens", type=int)
    again = ask.add_mutually_exclusive_group()
    again.add_argument(
        "-c",
        "--continue",
        dest="continue_conversation",
        action="store_true",
        help="carry on with this folder's latest saved conversation",
    )
    again.add_argument("-r", "--resume", metavar="ID", help="carry on with a saved conversation")
    demo = sub.add_parser(
        "demo",
        help="open JupyterLab on the example notebooks, pointed at a local emulator",
        description="Copy the example notebooks into a folder of yours (only the missing"
        " ones: your edits are kept), start a local emulator, then JupyterLab on"
        " 01-quickstart.ipynb there with the emulator's AZURE_* variables; the emulator"
        " stops when JupyterLab exits.",
    )
    from .demo import add_arguments

    add_arguments(demo)
    return parser


@contextlib.contextmanager
def _emulated_env() -> Iterator[dict[str, str]]:
    from .emulator import start_emulator

    with start_emulator() as emu:
        yield emu.env()


async def _ask(options: AzureOpenAIOptions, prompt: str, out: TextIO, err: TextIO) -> int:
    from .jupyter.render import one_line, plain_text  # pure functions: no IPython
    from .query import azure_query
    from .view import Finished, MessageView, Text, ToolCall

    started = time.perf_counter()
    view = MessageView()
    async for message in azure_query(prompt, options):
        for event in view.feed(message):
            if isinstance(event, Text):  # model text: escape sequences shown, never run
                out.write(plain_text(event.text))
                out.flush()
            elif isinstance(event, ToolCall):
                mark = "error" if event.is_error else "ok"
                err.write(f"\n[tool {one_line(f'{event.name}({event.input})')} {mark}]\n")
            elif isinstance(event, Finished):
                usage = event.result.usage or {}
                out.write("\n")
                err.write(
                    f"— {options.model} · {usage.get('input_tokens', 0)} in /"
                    f" {usage.get('output_tokens', 0)} out tokens ·"
                    f" {time.perf_counter() - started:.2f} s ·"
                    f" session {event.result.session_id}\n"
                )
                return 0 if not event.result.is_error else 1
    return 1


def _run_ask(args: argparse.Namespace) -> int:
    prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    overrides: dict[str, object] = {"include_partial_messages": True}
    for name, value in (
        ("model", args.model),
        ("system_prompt", args.system),
        ("temperature", args.temperature),
        ("max_tokens", args.max_tokens),
        ("resume", args.resume),
        ("continue_conversation", args.continue_conversation or None),
    ):
        if value is not None:
            overrides[name] = value
    with contextlib.ExitStack() as stack:
        environ = stack.enter_context(_emulated_env()) if args.emulator else None
        if environ is not None:
            overrides["verify"] = environ["SSL_CERT_FILE"]
        try:
            options = AzureOpenAIOptions.from_env(environ, **overrides)
            return anyio.run(_ask, options, prompt, sys.stdout, sys.stderr)
        except AzureOpenAIError as exc:
            sys.stderr.write(f"error: {exc}\n")
            return 1


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # azure-identity logs a multi-line warning for the failure we report in one line.
    logging.basicConfig(level=logging.ERROR, format="%(name)s: %(message)s")
    if args.command == "emulator":
        from .emulator.__main__ import main as emulator_main

        return emulator_main(["--host", args.host, "--port", str(args.port)])
    if args.command == "demo":
        from .demo import main as demo_main

        return demo_main(args)
    try:
        return _run_ask(args)
    except KeyboardInterrupt:
        sys.stderr.write("\ncancelled\n")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
