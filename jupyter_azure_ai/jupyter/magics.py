"""``%%azure`` and ``%azure``: ask from a cell, see the answer stream in.

Settings (precedence, what is secret) are ``settings.py``'s: ``AzureMagics`` *is* the
kernel's ``AzureSettings`` once loaded, so ``%config AzureMagics.model = ...`` works.
The cell's thread only renders: the question runs on the runtime's loop thread and its
messages arrive on a queue, folded into view events (``view.py``) and shown by
``display.AnswerOutput``.
"""

from __future__ import annotations

import argparse
import os
import queue
import shlex
import sys
import time
from collections import ChainMap
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class

from ..errors import ConfigurationError
from ..images import image_prompt
from ..options import AzureOpenAIOptions
from ..types import ResultMessage
from ..view import Finished, LeftOut, MessageView, exchanges
from .batch_magic import USAGE as BATCH_USAGE
from .batch_magic import add_arguments as add_batch_arguments
from .cell_images import CellImages, collect, show_thumbnails
from .context import interpolate
from .display import STRUCTURED_ERRORS, AnswerOutput, show_answer_footer, show_structured
from .error_line import SHOWN_AS_ONE_LINE, MagicError, describe
from .over import add_arguments as add_over_arguments
from .settings import AzureSettings

if TYPE_CHECKING:
    from .fix import ErrorLog

INTERRUPT_GRACE_S = 1.0


class _CellParser(argparse.ArgumentParser):
    """The ``%%azure`` line: bad input is a ``UsageError`` (one line and the usage)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message}\n{self.format_usage().rstrip()}")

    def parse_line(self, line: str) -> argparse.Namespace:
        try:
            words = shlex.split(line)
        except ValueError as exc:  # an unclosed quote
            self.error(str(exc))
        return self.parse_args(words)


def _cell_parser() -> _CellParser:
    parser = _CellParser(
        prog="%%azure",
        description="The cell is the prompt; {name} inserts a notebook variable (an image"
        " variable is sent as an image).",
        add_help=False,
    )
    add = parser.add_argument
    add("-m", "--model", help="deployment name for this cell")
    add("-t", "--temperature", type=float, help="sampling temperature, 0.0-2.0")
    add("--max-tokens", type=int, metavar="N", help="longest answer, in tokens")
    add("-s", "--system", help="system prompt for this cell")
    add("--new", action="store_true", help="start a fresh conversation")
    add("--out", metavar="NAME", help="store the answer text in this variable")
    add("--no-stream", action="store_true", help="show only the final answer")
    add(
        "-f",
        "--format",
        choices=["markdown", "text", "code"],
        help="how to show the answer (code: as markdown, and its code into a new cell)",
    )
    add("--code", action="store_true", help="put the answer's code into a new cell below")
    add("--tool", action="append", default=[], metavar="NAME", help="offer a notebook function")
    add("--mcp", action="append", default=[], metavar="NAME", help="offer a configured MCP server")
    add("--schema", metavar="NAME", help="answer as JSON following NAME (a class or schema dict)")
    add(
        "--image",
        action="append",
        default=[],
        metavar="NAME",
        help="send the image NAME holds: a matplotlib Figure or Axes, a PIL image, PNG/JPEG"
        " bytes or an image file's path ({NAME} in the prompt does the same)",
    )
    add(
        "--image-detail",
        choices=["auto", "low", "high"],
        default="auto",
        help="how closely the model looks at images (low: one 512x512 view, fewer tokens)",
    )
    add_over_arguments(parser)
    add_batch_arguments(parser)
    return parser


CELL_PARSER = _cell_parser()

FIX_PARSER = _CellParser(prog="%azure fix", add_help=False)
FIX_PARSER.add_argument("cell", nargs="?", type=int, metavar="N", help="the cell's number")
FIX_PARSER.add_argument("-m", "--model", help="deployment name for this fix")

#: ``%azure <command>``: what each does (``_cmd_<command>`` does it).
LINE_COMMANDS = {
    "config [key=value ...]": "show the settings, or change some (model=gpt-4o ...)",
    "status": "endpoint, deployment, token validity (never the token)",
    "history": "the conversation so far",
    "reset": "start a new conversation (and a new saved session)",
    "sessions [all]": "saved conversations of this folder (all: of every folder)",
    "resume [ID] [--fork]": "carry on with a saved conversation (this folder's latest;"
    " --fork: as a new one)",
    "fix [N] [-m MODEL]": "explain the last error (or cell N's); the corrected cell goes below",
    "batch <command> [ID]": "Batch API: list | status ID | results ID [--out NAME] | cancel ID",
}


#: What ``{...}`` puts into a ``%%azure`` cell's prompt (``context.py``).
CELL_FIELDS = {
    "{name}": "a notebook variable; a DataFrame as a summary (see context_rows)",
    "{In[3]} {Out[3]} {Err[3]}": "cell 3's source, output, error (trimmed traceback)",
    "{_}": "the last output",
    "{{ }}": "literal braces (JSON, code and math need none)",
}


def help_text() -> str:
    """``%azure --help``: the cell magic's usage (from its parser) and the line commands."""
    lines = [CELL_PARSER.format_help().rstrip(), "", "in the cell:"]
    lines += [f"  {field:31} {what}" for field, what in CELL_FIELDS.items()]
    lines += ["", "line magic:"]
    lines += [f"  %azure {cmd:24} {what}" for cmd, what in LINE_COMMANDS.items()]
    return "\n".join(lines)


@dataclass
class Answer:
    """What one ``%%azure`` run produced."""

    result: ResultMessage | None = None
    cancelled: bool = False
    left_out: LeftOut | None = None  # earlier exchanges not sent with this prompt


@magics_class
class AzureMagics(Magics, AzureSettings):
    """Ask Azure OpenAI (through APIM) from a notebook."""

    errors: ErrorLog | None = None  # the cells' errors (``Err``), set by ``load``

    @line_cell_magic
    def azure(self, line: str, cell: str | None = None) -> Any:
        """%%azure [options] (cell: ask) · %azure config|status|history|reset (line)."""
        try:
            if cell is None:
                return self._line(line)
            return self._cell(line, cell)
        except MagicError:
            raise
        except SHOWN_AS_ONE_LINE as exc:
            if self.debug:
                raise
            raise describe(exc) from None

    # --- the cell magic ---------------------------------------------------------------

    def _cell(self, line: str, cell: str) -> None:
        args = CELL_PARSER.parse_line(line)
        if args.out is not None and not args.out.isidentifier():
            CELL_PARSER.error(f"--out needs a Python name, got {args.out!r}")
        if not cell.strip():
            raise UsageError("the cell is empty: write the prompt below %%azure")
        if args.over is not None and (args.code or args.format == "code"):
            CELL_PARSER.error("--code does not go with --over (a row template's answers are data)")
        if args.over is not None and args.image:
            CELL_PARSER.error("--image does not go with --over (one image for every row?)")
        if args.batch_api and args.over is None:  # else it would be one chat request
            CELL_PARSER.error("--batch-api goes with --over NAME (a row template over a table)")
        if args.batch_api and (args.concurrency is not None or args.no_cache):
            CELL_PARSER.error(
                "--concurrency and --no-cache are for rows asked from here; with --batch-api"
                " Azure schedules the rows and every row is asked"
            )
        if args.over is not None:  # the cell is a row template (over.py)
            from .over import run_over

            over_options = self.options(
                model=args.model,
                temperature=args.temperature,
                max_tokens=args.max_tokens,
                system_prompt=args.system,
            )
            run_over(self.shell, args, cell, over_options)
            return
        filled = interpolate(cell, self._namespace(), self.context_rows)
        images = self._images(args, filled)
        schema = self._schema(args.schema)
        options = self.options(
            model=args.model,
            temperature=args.temperature,
            max_tokens=args.max_tokens,
            system_prompt=args.system,
            include_partial_messages=not args.no_stream and self.stream and schema is None,
            tools=self._tools(args.tool) or None,
            mcp_servers=self._mcp(args.mcp) or None,
            output_format=schema,
        )
        from .runtime import get_runtime  # imports the HTTP stack: not at %load_ext

        runtime = get_runtime()
        client = runtime.client_for(options)
        if args.new:
            runtime.reset(client)
        want_code = args.code or args.format == "code"
        shown_as = "markdown" if args.format == "code" else args.format or self.format
        output = AnswerOutput(shown_as, stream=options.include_partial_messages)
        if schema is not None:  # the object is shown, not the JSON text (show_structured)
            output = AnswerOutput("text", stream=False, send=lambda *_: None)
        prompt: str | AsyncIterator[dict[str, Any]] = filled.prompt
        if images is not None:
            show_thumbnails(images)
            prompt = image_prompt("", *images.blocks)
        started = time.perf_counter()
        answer = self._receive(runtime, client, prompt, options, output)
        output.finish()
        notes = []
        if filled.truncated:
            notes.append(f"context truncated: {', '.join(filled.truncated)}")
        if filled.schema_only:
            notes.append(f"schema only, no values sent: {', '.join(filled.schema_only)}")
        if want_code and schema is None and not answer.cancelled:
            notes.append(self._code_to_next_cell(output.text))
        if images is not None:
            notes.append(images.note)
        if answer.cancelled:
            notes.append("Cancelled")
        if answer.left_out is not None:
            notes.append(answer.left_out.note)
        result = answer.result
        if schema is not None and result is not None:
            show_structured(result)
            if result.subtype in STRUCTURED_ERRORS:
                notes.append(STRUCTURED_ERRORS[result.subtype])
        show_answer_footer(options.model, result, time.perf_counter() - started, notes)
        if self.shell is not None:
            kept = output.text if schema is None else getattr(result, "structured_output", None)
            self.shell.user_ns["_azure"] = kept
            if args.out:
                self.shell.user_ns[args.out] = kept

    def _receive(
        self,
        runtime: Any,
        client: Any,
        prompt: str | AsyncIterator[dict[str, Any]],
        options: AzureOpenAIOptions,
        output: AnswerOutput,
    ) -> Answer:
        """Drain the query's queue on this (the cell's) thread and render as it goes."""
        from .runtime import Done

        messages, future = runtime.stream(client, prompt, options)
        answer = Answer()
        view = MessageView()
        deadline: float | None = None
        while True:
            try:
                try:
                    item = messages.get(timeout=0.05)
                except queue.Empty:
                    if deadline is not None and time.monotonic() > deadline:
                        future.cancel()  # the stream did not stop by itself: drop it
                        break
                    output.tick()
                    continue
                if isinstance(item, Done):
                    if item.error is not None and not answer.cancelled:
                        raise item.error
                    break
                for event in view.feed(item):
                    if isinstance(event, Finished):
                        answer.result = event.result
                        answer.cancelled = answer.cancelled or event.stopped
                    elif isinstance(event, LeftOut):
                        answer.left_out = event
                    else:
                        output.add(event)
                output.tick()
            except KeyboardInterrupt:  # Ctrl-C / the stop button
                if deadline is None:
                    runtime.interrupt(client)
                    answer.cancelled = True
                    deadline = time.monotonic() + INTERRUPT_GRACE_S
        return answer

    def _namespace(self) -> Mapping[str, Any]:
        """The notebook's variables, and ``Err`` (errors by cell, secrets hidden) unless
        the user has one."""
        user_ns = self.shell.user_ns if self.shell else {}
        errors = self.errors.by_count if self.errors is not None else {}
        if errors:
            secrets = self._secrets()
            errors = {count: error.scrubbed(secrets) for count, error in errors.items()}
        return ChainMap(user_ns, {"Err": errors})

    def _secrets(self) -> tuple[str, ...]:
        """The client secret and subscription key (none while the settings are incomplete:
        then nothing can be sent either)."""
        try:
            return self.options().secrets()
        except ConfigurationError:
            return ()

    def _code_to_next_cell(self, answer: str, *, first_only: bool = False) -> str:
        """Offer the answer's code as the next cell; the footer note saying so."""
        from .code_cells import answer_code, put_next_cell

        code = answer_code(answer, first_only=first_only)
        if code is None:
            return "no code in the answer"
        if self.shell is not None:
            put_next_cell(self.shell, code)
        return "code in the next cell (not run)"

    def _images(self, args: argparse.Namespace, filled: Any) -> CellImages | None:
        """The cell's ``{image}`` fields and ``--image`` variables, encoded (cell_images.py)."""
        namespace = self.shell.user_ns if self.shell else {}
        return collect(filled.prompt, filled.images, args.image, namespace, args.image_detail)

    def _schema(self, name: str | None) -> Any:
        """The ``output_format`` that ``--schema NAME`` names (a class or a schema dict)."""
        if name is None:
            return None
        namespace = self.shell.user_ns if self.shell else {}
        if name not in namespace:
            raise UsageError(f"--schema {name}: no variable of that name in the notebook")
        return namespace[name]

    def _tools(self, names: list[str]) -> list[Any]:
        """Notebook functions named by ``--tool`` (plain functions become ``@tool``s)."""
        from ..tools import SdkTool, tool

        found = []
        namespace = self.shell.user_ns if self.shell else {}
        for name in names:
            value = namespace.get(name)
            if isinstance(value, SdkTool):
                found.append(value)
            elif callable(value):
                try:
                    found.append(tool(value))
                except TypeError as exc:
                    raise UsageError(f"--tool {name}: {exc}") from None
            else:
                raise UsageError(f"--tool {name}: no function of that name in the notebook")
        return found

    def _mcp(self, names: list[str]) -> dict[str, Any]:
        missing = [n for n in names if n not in self.mcp_servers]
        if missing:
            known = ", ".join(sorted(self.mcp_servers)) or "none configured"
            raise UsageError(
                f"--mcp {missing[0]}: not configured ({known}); set"
                ' %config AzureMagics.mcp_servers = {"name": {"command": ..., "args": [...]}}'
            )
        return {n: self.mcp_servers[n] for n in names}

    # --- %azure line magic -----------------------------------------------------------

    def _line(self, line: str) -> Any:
        words = shlex.split(line)
        command = words[0] if words else "status"
        if command in ("-h", "--help", "help"):
            print(help_text())
            return None
        handler = getattr(self, f"_cmd_{command}", None)
        if handler is None:
            raise UsageError(f"unknown %azure command {command!r}\n{help_text()}")
        return handler(words[1:])

    def _cmd_config(self, pairs: list[str]) -> None:
        try:
            self.set_from_text(pairs)
        except ConfigurationError as exc:
            raise UsageError(str(exc)) from None
        for key, shown in self.rows():
            print(f"{key:15} {shown}")

    def _cmd_status(self, _: list[str]) -> None:
        try:
            options = self.options()
        except ConfigurationError as exc:
            raise describe(exc) from None
        client = _shared_client()
        print(f"endpoint:    {options.endpoint}")
        print(f"deployment:  {options.model}    api-version: {options.api_version}")
        print(f"authority:   {options.authority_host}    tenant: {options.tenant_id}")
        auth = client.auth if client is not None else None
        token = auth.current if auth is not None else None
        if token is None:
            print("token:       none yet (fetched on the first question)")
        else:
            until = datetime.fromtimestamp(token.expires_on).strftime("%H:%M:%S")
            left = (token.expires_on - time.time()) / 60
            state = "valid" if left > 0 else "expired"
            print(f"token:       {state} until {until} ({left:.0f} min)")
        n = len(client.history) if client is not None else 0
        session = f" · session {client.session_id}" if client is not None else ""
        print(f"conversation: {n} messages{session}")

    def _cmd_history(self, _: list[str]) -> None:
        from IPython.display import display

        from .render import history_html, history_plain

        client = _shared_client()
        turns: list[tuple[str, str]] = []
        for exchange in exchanges(client.history if client is not None else []):
            n = len(exchange.images)
            sent = f"\n[{n} image{'s' if n != 1 else ''} sent]" if n else ""
            turns.append(("You", exchange.prompt.rstrip() + sent if n else exchange.prompt))
            turns.append((exchange.model or "assistant", exchange.text))
        display({"text/html": history_html(turns), "text/plain": history_plain(turns)}, raw=True)

    def _cmd_fix(self, words: list[str]) -> None:
        from .fix import run_fix

        args = FIX_PARSER.parse_args(words)
        run_fix(self, args.cell, args.model)

    def _cmd_batch(self, words: list[str]) -> None:
        """``%azure batch list|status ID|results ID [--out NAME]|cancel ID``."""
        from .batch_magic import run_line

        if not words:
            raise UsageError(f"usage: {BATCH_USAGE}")
        try:
            options = self.options()
        except ConfigurationError as exc:
            raise describe(exc) from None
        run_line(self.shell, options, words)

    def _cmd_reset(self, _: list[str]) -> None:
        client = _shared_client()
        if client is not None:
            from .runtime import get_runtime

            get_runtime().reset(client)
            _show_in_panels(client, "new conversation")
        print("conversation cleared")

    def _cmd_sessions(self, words: list[str]) -> None:
        """The saved conversations (sessions.py), newest first, as an escaped table."""
        from IPython.display import display

        from ..sessions import list_sessions
        from .render import table_html, table_plain

        if words not in ([], ["all"]):
            raise UsageError("usage: %azure sessions [all]")
        every = words == ["all"]
        found = list_sessions(None if every else os.getcwd())
        if not found:
            where = "" if every else " of this folder (%azure sessions all: of every folder)"
            print(f"no saved conversation{where}")
            return
        client = _shared_client()
        current = client.session_id if client is not None else None
        header = ["id", "first prompt", "turns", "last used"] + (["folder"] if every else [])
        rows = []
        for info in found:
            mark = " ◀ now" if info.session_id == current else ""
            used = datetime.fromtimestamp(info.last_modified / 1000).strftime("%Y-%m-%d %H:%M")
            row = [info.session_id[:8] + mark, info.summary, str(info.turns), used]
            rows.append(row + ([info.cwd or ""] if every else []))
        html, plain = table_html(header, rows), table_plain(header, rows)
        note = "%azure resume ID carries on with one (the id's first characters are enough)"
        display({"text/html": html + f"<p><sub>{note}</sub></p>", "text/plain": plain}, raw=True)

    def _cmd_resume(self, words: list[str]) -> None:
        """Load a saved conversation into the kernel's shared client (magic and panels)."""
        from ..sessions import load_session, most_recent_session
        from .runtime import get_runtime

        fork = "--fork" in words
        words = [w for w in words if w != "--fork"]
        if len(words) > 1 or any(w.startswith("-") for w in words):
            raise UsageError("usage: %azure resume [ID] [--fork]")
        try:
            found = _find_session(words[0]) if words else most_recent_session(os.getcwd())
            if found is None:
                print("no saved conversation of this folder (%azure sessions all)")
                return
            saved = load_session(found)
        except ConfigurationError as exc:
            raise MagicError("session", str(exc)) from None
        try:
            options = self.options()
        except ConfigurationError as exc:
            raise describe(exc) from None
        try:
            client = get_runtime().resume(options, saved, fork=fork)
        except RuntimeError as exc:
            raise MagicError("session", str(exc)) from None
        count = len(exchanges(saved.history))
        plural = "s" if count != 1 else ""
        status = f"resumed session {found[:8]} ({count} earlier exchange{plural})"
        if fork:
            status += f" as a fork, session {client.session_id[:8]}"
        _show_in_panels(client, status)
        print(status)
        self._cmd_history([])


def _find_session(word: str) -> str:
    """The saved session ``word`` names: a whole id, or the start of exactly one."""
    from ..sessions import check_session_id, list_sessions

    word = word.strip().lower()
    if len(word) == 36:
        return check_session_id(word)
    matches = [i.session_id for i in list_sessions() if i.session_id.startswith(word)]
    if len(matches) == 1 and len(word) >= 4:
        return matches[0]
    what = "no saved session starts with" if not matches else "more than one session fits"
    if matches and len(word) < 4:
        what = "give at least 4 characters of the id, not"
    raise ConfigurationError(f"{what} {word!r} (%azure sessions all lists them)")


def _show_in_panels(client: Any, status: str) -> None:
    """Chat panels already shown follow the shared conversation (if any were made)."""
    widget = sys.modules.get("jupyter_azure_ai.jupyter.widget")
    if widget is not None:
        widget.show_conversation(client, status)


def _shared_client() -> Any:
    """The kernel's shared client, without starting anything (None before a question)."""
    runtime = sys.modules.get("jupyter_azure_ai.jupyter.runtime")
    return runtime.get_runtime().client if runtime is not None else None


def load(ipython: Any) -> None:
    """Register the magics; they adopt settings a chat panel changed before loading."""
    from .fix import ErrorLog

    earlier = [c for c in ipython.configurables if type(c) is AzureSettings]
    magics = AzureMagics(shell=ipython)
    magics.errors = ErrorLog(ipython).install()
    for settings in earlier:
        magics.adopt(settings)
        ipython.configurables.remove(settings)
    ipython.register_magics(magics)


def unload(ipython: Any) -> None:
    magics = ipython.magics_manager.registry.get("AzureMagics")
    if magics is not None and magics.errors is not None:
        magics.errors.uninstall()
        magics.errors = None
    runtime = sys.modules.get("jupyter_azure_ai.jupyter.runtime")
    if runtime is not None:
        runtime.stop_runtime()


__all__ = ["AzureMagics", "MagicError", "describe", "help_text", "load", "unload"]
