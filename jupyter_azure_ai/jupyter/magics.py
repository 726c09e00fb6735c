"""``%%azure`` and ``%azure``: ask from a cell, see the answer stream in as Markdown.

Settings come, in order of precedence, from the magic line, then ``%azure config``
or ``%config AzureMagics.x = ...`` (traitlets), then ``AZURE_*`` variables, then
defaults. Secrets are read from the environment only: typed into a cell they would
be saved in the notebook.
"""

from __future__ import annotations

import json
import queue
import shlex
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from traitlets import Bool, CFloat, CInt, Dict, Enum, Unicode

from .. import errors
from ..types import (
    AssistantMessage,
    AzureOpenAIOptions,
    ResultMessage,
    StreamEvent,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
)
from .context import InterpolationError, interpolate
from .display import StreamingOutput, Transcript, footer, show_footer
from .render import one_line

INTERRUPT_GRACE_S = 1.0
SECRET_SETTINGS = frozenset({"client_secret", "apim_subscription_key", "subscription_key"})
# trait name -> AzureOpenAIOptions field
OPTION_TRAITS = {
    "model": "model",
    "temperature": "temperature",
    "max_tokens": "max_tokens",
    "system": "system_prompt",
    "endpoint": "endpoint",
    "api_version": "api_version",
    "authority_host": "authority_host",
    "tenant_id": "tenant_id",
    "client_id": "client_id",
    "scope": "scope",
    "verify": "verify",
}


class MagicError(Exception):
    """A failure shown as one line (the layer that failed and how to fix it)."""

    def __init__(self, layer: str, message: str, hint: str = "") -> None:
        super().__init__(f"{layer}: {message}" + (f" — {hint}" if hint else ""))
        self.layer = layer

    def _render_traceback_(self) -> list[str]:
        # IPython shows this instead of a traceback (``%azure config debug=true`` shows all).
        # The message holds service text: one_line keeps its escapes and newlines inert.
        return [f"\x1b[31m✗ {one_line(str(self))}\x1b[0m"]


def describe(exc: BaseException) -> MagicError:
    """Name the failing layer and the fix for an SDK error."""
    msg = str(exc)
    if isinstance(exc, errors.AuthenticationError):
        hint = "check AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_AUTHORITY_HOST"
        return MagicError("token", msg, hint)
    if isinstance(exc, errors.UnauthorizedError):
        return MagicError("APIM", msg, "check AZURE_APIM_SUBSCRIPTION_KEY and the token scope")
    if isinstance(exc, errors.ModelNotFoundError):
        return MagicError("deployment", msg, "%azure config model=<your deployment name>")
    if isinstance(exc, errors.ContentFilterError):
        return MagicError("content filter", msg, "rephrase the prompt")
    if isinstance(exc, errors.RateLimitError):
        wait = f"retry in {exc.retry_after:.0f} s" if exc.retry_after is not None else "retry later"
        return MagicError("rate limit", msg, wait)
    if isinstance(exc, errors.CLIConnectionError):
        return MagicError("network", msg, "check the endpoint URL, VPN and proxy settings")
    if isinstance(exc, InterpolationError):
        return MagicError("cell", msg)
    if isinstance(exc, ValueError):
        return MagicError("config", msg, "%azure config shows the settings")
    return MagicError("service", msg)


@dataclass
class Answer:
    """What one ``%%azure`` run produced."""

    text: str = ""
    result: ResultMessage | None = None
    cancelled: bool = False


@magic_arguments()
@argument("-m", "--model", help="deployment name for this cell")
@argument("-t", "--temperature", type=float, help="sampling temperature, 0.0-2.0")
@argument("--max-tokens", type=int, help="longest answer, in tokens")
@argument("-s", "--system", help="system prompt for this cell")
@argument("--new", action="store_true", help="start a fresh conversation")
@argument("--out", metavar="NAME", help="store the answer text in this variable")
@argument("--no-stream", action="store_true", help="show only the final answer")
@argument("--format", choices=["markdown", "text"], help="how to show the answer")
@argument("--tool", action="append", default=[], metavar="NAME", help="offer a notebook function")
@argument(
    "--mcp", action="append", default=[], metavar="NAME", help="offer a configured MCP server"
)
def azure(line: str) -> None:
    """%%azure [options]: the cell is the prompt; {name} inserts a notebook variable."""


_CELL_ARGS = azure  # the parser's prog is the function's name: "%azure"
del azure


@magics_class
class AzureMagics(Magics):
    """Ask Azure OpenAI (through APIM) from a notebook."""

    model = Unicode(None, allow_none=True, help="deployment name").tag(config=True)
    temperature = CFloat(None, allow_none=True, help="sampling temperature").tag(config=True)
    max_tokens = CInt(None, allow_none=True, help="longest answer").tag(config=True)
    system = Unicode(None, allow_none=True, help="system prompt").tag(config=True)
    endpoint = Unicode(None, allow_none=True, help="APIM endpoint URL").tag(config=True)
    api_version = Unicode(None, allow_none=True, help="Azure OpenAI api-version").tag(config=True)
    authority_host = Unicode(None, allow_none=True, help="Entra ID authority").tag(config=True)
    tenant_id = Unicode(None, allow_none=True, help="Entra ID tenant").tag(config=True)
    client_id = Unicode(None, allow_none=True, help="application (client) id").tag(config=True)
    scope = Unicode(None, allow_none=True, help="OAuth2 scope").tag(config=True)
    verify = Unicode(None, allow_none=True, help="CA bundle path").tag(config=True)
    format = Enum(["markdown", "text"], "markdown", help="answer display").tag(config=True)
    stream = Bool(True, help="stream answers as they arrive").tag(config=True)
    context_rows = CInt(5, help="head/tail rows of a DataFrame put in a prompt").tag(config=True)
    debug = Bool(False, help="show full tracebacks").tag(config=True)
    pricing = Dict(
        help='USD per 1M tokens, per deployment: {"gpt-4o": {"input": 2.5, "output": 10}}'
    ).tag(config=True)
    mcp_servers = Dict(
        help='MCP servers for --mcp NAME: {"name": {"command": ..., "args": [...]}}'
    ).tag(config=True)

    # --- settings ---------------------------------------------------------------

    def options(self, **line: Any) -> AzureOpenAIOptions:
        """Magic line > traits > environment > defaults."""
        overrides: dict[str, Any] = {"include_partial_messages": True}
        for trait, field_name in OPTION_TRAITS.items():
            value = getattr(self, trait)
            if value is not None:
                overrides[field_name] = value
        overrides.update({k: v for k, v in line.items() if v is not None})
        return AzureOpenAIOptions.from_env(**overrides)

    # --- the magic ----------------------------------------------------------------

    @line_cell_magic
    def azure(self, line: str, cell: str | None = None) -> Any:
        """%%azure [options] (cell: ask) · %azure config|status|history|reset (line)."""
        try:
            if cell is None:
                return self._line(line)
            return self._cell(line, cell)
        except MagicError:
            raise
        except (errors.AzureOpenAIError, ValueError) as exc:
            if self.debug:
                raise
            raise describe(exc) from None

    def _cell(self, line: str, cell: str) -> None:
        try:
            args = parse_argstring(_CELL_ARGS, line)
        except UsageError as exc:
            raise UsageError(f"{exc}\nusage: %%azure {_usage()}") from None
        if args.out is not None and not args.out.isidentifier():
            raise UsageError(
                f"--out needs a Python name, got {args.out!r}\nusage: %%azure {_usage()}"
            )
        if not cell.strip():
            raise UsageError("the cell is empty: write the prompt below %%azure")
        filled = interpolate(cell, self.shell.user_ns if self.shell else {}, self.context_rows)
        options = self.options(
            model=args.model,
            temperature=args.temperature,
            max_tokens=args.max_tokens,
            system_prompt=args.system,
            include_partial_messages=not args.no_stream and self.stream,
            tools=self._tools(args.tool) or None,
            mcp_servers=self._mcp(args.mcp) or None,
            pricing=self.pricing or None,
        )
        from .runtime import get_runtime  # imports the HTTP stack: not at %load_ext

        runtime = get_runtime()
        client = runtime.client_for(options)
        if args.new:
            runtime.call(_reset(client))
        fmt = args.format or self.format
        output = StreamingOutput(fmt, stream=options.include_partial_messages)
        started = time.perf_counter()
        transcript = Transcript()
        answer = self._receive(runtime, client, filled.prompt, options, output, transcript)
        answer.text = transcript.text()
        output.finish(transcript)
        notes = []
        if filled.truncated:
            notes.append(f"context truncated: {', '.join(filled.truncated)}")
        if answer.cancelled:
            notes.append("Cancelled")
        result = answer.result
        show_footer(
            footer(
                options.model,
                result.usage if result else None,
                time.perf_counter() - started,
                " · ".join(notes),
                result.total_cost_usd if result else None,
            )
        )
        if self.shell is not None:
            self.shell.user_ns["_azure"] = answer.text
            if args.out:
                self.shell.user_ns[args.out] = answer.text

    def _receive(
        self,
        runtime: Any,
        client: Any,
        prompt: str,
        options: AzureOpenAIOptions,
        output: StreamingOutput,
        transcript: Transcript,
    ) -> Answer:
        """Drain the query's queue on this (the cell's) thread and render as it goes."""
        from .runtime import Done

        messages, future = runtime.stream(client, prompt, options)
        answer = Answer()
        calls: dict[str, ToolUseBlock] = {}
        deadline: float | None = None
        while True:
            try:
                try:
                    item = messages.get(timeout=0.05)
                except queue.Empty:
                    if deadline is not None and time.monotonic() > deadline:
                        future.cancel()  # the stream did not stop by itself: drop it
                        break
                    output.update(transcript)
                    continue
                if isinstance(item, Done):
                    if item.error is not None and not answer.cancelled:
                        raise item.error
                    break
                if isinstance(item, StreamEvent):
                    delta = item.event.get("delta")
                    if delta and delta.get("type") == "text_delta":
                        transcript.add_text(delta["text"])
                        output.update(transcript)
                elif isinstance(item, AssistantMessage):
                    for block in item.content:
                        if isinstance(block, TextBlock) and not options.include_partial_messages:
                            transcript.add_text(block.text)
                        elif isinstance(block, ToolUseBlock):
                            calls[block.id] = block
                elif isinstance(item, UserMessage) and isinstance(item.content, list):
                    for result in item.content:
                        if isinstance(result, ToolResultBlock) and result.tool_use_id in calls:
                            use = calls[result.tool_use_id]
                            transcript.add_tool_line(
                                use.name,
                                json.dumps(use.input, ensure_ascii=False),
                                str(result.content),
                                bool(result.is_error),
                            )
                elif isinstance(item, ResultMessage):
                    answer.result = item
                    answer.cancelled = answer.cancelled or item.subtype == "interrupted"
            except KeyboardInterrupt:  # Ctrl-C / the stop button
                if deadline is None:
                    runtime.interrupt(client)
                    answer.cancelled = True
                    deadline = time.monotonic() + INTERRUPT_GRACE_S
        return answer

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
            print(_HELP)
            return None
        handler = getattr(self, f"_cmd_{command}", None)
        if handler is None:
            raise UsageError(f"unknown %azure command {command!r}\n{_HELP}")
        return handler(words[1:])

    def _cmd_config(self, pairs: list[str]) -> None:
        for pair in pairs:
            key, sep, value = pair.partition("=")
            key = key.strip().replace("-", "_")
            if key in SECRET_SETTINGS:
                raise UsageError(
                    f"{key} is read from the environment only (a value typed in a cell is saved"
                    " in the notebook): set AZURE_CLIENT_SECRET / AZURE_APIM_SUBSCRIPTION_KEY"
                )
            if key == "system_prompt":
                key = "system"
            if not sep or not self.has_trait(key) or key in ("config", "parent", "shell"):
                raise UsageError(f"usage: %azure config key=value; unknown setting {pair!r}")
            trait = self.traits()[key]
            try:
                if value.lower() in ("none", ""):
                    setattr(self, key, None if trait.allow_none else trait.default_value)
                else:
                    setattr(self, key, trait.from_string(value))
            except Exception as exc:
                raise UsageError(f"bad value for {key}: {exc}") from None
        self._show_config()

    def _show_config(self) -> None:
        try:
            options: AzureOpenAIOptions | None = self.options()
        except ValueError as exc:
            options = None
            print(f"(not ready: {exc})")
        rows = [(k, getattr(self, k)) for k in (*OPTION_TRAITS, "format", "stream")]
        rows += [("context_rows", self.context_rows), ("debug", self.debug)]
        for key, value in rows:
            effective = getattr(options, OPTION_TRAITS.get(key, ""), None) if options else None
            shown = value if value is not None else f"{effective!r} (environment/default)"
            print(f"{key:15} {shown}")
        if options is not None:
            print(f"{'client_secret':15} {'***' if options.client_secret else '(not set)'}")
            print(f"{'subscription_key':15} ***")

    def _cmd_status(self, _: list[str]) -> None:
        try:
            options = self.options()
        except ValueError as exc:
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
        print(f"conversation: {n} messages")

    def _cmd_history(self, _: list[str]) -> None:
        from IPython.display import display

        from .render import history_html, history_plain

        client = _shared_client()
        turns: list[tuple[str, str]] = []
        for m in client.history if client is not None else []:
            if isinstance(m, UserMessage) and isinstance(m.content, str):
                turns.append(("You", m.content))
            elif isinstance(m, AssistantMessage):
                text = "".join(b.text for b in m.content if isinstance(b, TextBlock))
                turns.append((m.model, text))
        display({"text/html": history_html(turns), "text/plain": history_plain(turns)}, raw=True)

    def _cmd_reset(self, _: list[str]) -> None:
        client = _shared_client()
        if client is not None:
            from .runtime import get_runtime

            get_runtime().call(_reset(client))
        print("conversation cleared")


def _shared_client() -> Any:
    """The kernel's shared client, without starting anything (None before a question)."""
    runtime = sys.modules.get("jupyter_azure_ai.jupyter.runtime")
    return runtime.get_runtime().client if runtime is not None else None


async def _reset(client: Any) -> None:
    client.reset()


def _usage() -> str:
    return (
        "[-m MODEL] [-t TEMPERATURE] [--max-tokens N] [-s SYSTEM] [--new] [--out NAME]"
        " [--no-stream] [--format {markdown,text}] [--tool NAME ...] [--mcp NAME ...]"
    )


_HELP = f"""%%azure {_usage()}
    The cell is the prompt; {{name}} inserts a notebook variable ({{{{ }}}} for braces).
%azure config [key=value ...]   show or change settings (model, temperature, max_tokens,
                                system, endpoint, api_version, format, stream, debug, ...)
%azure status                   endpoint, deployment, token validity (never the token)
%azure history                  the conversation so far
%azure reset                    start a new conversation"""


def load(ipython: Any) -> None:
    ipython.register_magics(AzureMagics(shell=ipython))


def unload(ipython: Any) -> None:
    runtime = sys.modules.get("jupyter_azure_ai.jupyter.runtime")
    if runtime is not None:
        runtime.stop_runtime()


__all__ = ["AzureMagics", "MagicError", "describe", "load", "unload"]
