"""``%azure fix``: the errors cells raised, kept per execution count, and the request that
asks the model to fix the last one.

How errors are seen: a ``post_run_cell`` listener reads the exception IPython already put
in the cell's ``ExecutionResult`` (``error_in_exec``, or ``error_before_exec`` for a
syntax error). Nothing is installed in IPython's path (no ``set_custom_exc``, no
``sys.excepthook``), so the traceback the user sees and every other extension's hooks
work as before. Only text is kept (``CellError``), never the exception: a traceback holds
every frame's locals, and a kept one would hold a DataFrame's memory for the session.

What is sent: the cell's source, the exception's type and message, the traceback trimmed
to the notebook's frames (cells and the user's own files; runs of library frames become
one line naming the package), and the names the cell uses with their types and shapes —
never their values (a DataFrame's columns and dtypes are named, no row). The exception's
own message is sent as Python wrote it, and it may quote a value (``KeyError: 'x'``).
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import difflib
import re
import sys
import sysconfig
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..options import SECRET_FIELDS

FIX_SYSTEM_PROMPT = (
    "You fix errors in Jupyter notebook cells. You get a cell's source, the error it raised"
    " (the traceback trimmed to the notebook's code) and the names and types of the variables"
    " the cell uses (not their values). In one or two sentences, explain the cause. Then give"
    " the whole corrected cell as exactly one ```python fenced code block, ready to run in"
    " the same notebook; change only what the fix needs and keep the user's names."
)
"""The system prompt of a fix request (the emulator recognises its first sentence)."""

MAX_NAMES = 30
"""Most names described in a fix request (a long cell's rest is left out)."""
MAX_COLUMNS = 40
_HIDDEN = frozenset({"In", "Out", "exit", "quit", "get_ipython", "Err"})


@dataclass(frozen=True)
class CellError:
    """What a cell's error was, as text: what ``{Err[n]}`` inserts and ``%azure fix`` sends."""

    execution_count: int
    source: str
    type_name: str
    message: str  # the exception as Python prints its last line(s), type included
    frames: tuple[str, ...]  # the trimmed traceback's lines
    names: tuple[str, ...]  # "`name`: description" for each name the cell uses

    def report(self) -> str:
        """The trimmed traceback and the exception, as a Python traceback reads."""
        if not self.frames:
            return self.message
        return "\n".join(["Traceback (most recent call last):", *self.frames, self.message])

    def __str__(self) -> str:
        return self.report()

    def scrubbed(self, secrets: Iterable[str]) -> CellError:
        """This error with each secret written ``***`` (what ``{Err[n]}`` inserts: a cell
        may have raised with the key in its message, as ``%azure fix`` knows)."""
        secrets = tuple(secrets)

        def hide(text: str) -> str:
            return _hide(text, secrets)

        return replace(
            self,
            source=hide(self.source),
            message=hide(self.message),
            frames=tuple(map(hide, self.frames)),
            names=tuple(map(hide, self.names)),
        )


# --- the traceback -------------------------------------------------------------------


def _library_roots() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    roots = {paths.get(k, "") for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    return tuple(sorted(r for r in roots if r))


_LIBRARY_ROOTS = _library_roots()


def library_name(filename: str) -> str | None:
    """The package a frame's file belongs to (``pandas``), ``"Python"`` for the standard
    library, or None for the user's own code."""
    path = filename.replace("\\", "/")
    for marker in ("/site-packages/", "/dist-packages/"):
        at = path.rfind(marker)
        if at != -1:
            return path[at + len(marker) :].split("/", 1)[0].removesuffix(".py")
    if filename.startswith("<frozen") or filename.startswith(_LIBRARY_ROOTS):
        return "Python"
    return None


def _short_path(filename: str) -> str:
    """A user file as a path relative to the working folder, else its name: a home
    folder (with the user's name in it) is not sent."""
    path = Path(filename)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return path.name


def trim_frames(
    frames: Iterable[traceback.FrameSummary], cell_of: Callable[[str], int | None]
) -> list[str]:
    """The traceback's lines with only the user's frames spelled out.

    ``cell_of(filename)`` names the execution count of a cell's code (None otherwise).
    Frames before the first user frame (IPython running the cell) are dropped; a run of
    library frames after it becomes one line naming the packages and the innermost
    function, which is where the library raised.
    """
    lines: list[str] = []
    run: list[traceback.FrameSummary] = []
    started = False

    def flush() -> None:
        if not run:
            return
        packages = ", ".join(dict.fromkeys(library_name(f.filename) or "?" for f in run))
        last = run[-1]
        plural = "s" if len(run) > 1 else ""
        lines.append(f"  … {len(run)} frame{plural} in {packages} (innermost: {last.name})")
        run.clear()

    for frame in frames:
        cell = cell_of(frame.filename)
        user = cell is not None or library_name(frame.filename) is None
        if not user:
            if started:
                run.append(frame)
            continue
        started = True
        flush()
        where = f"Cell [{cell}]" if cell is not None else f"File {_short_path(frame.filename)}"
        lines.append(f"  {where}, line {frame.lineno}, in {frame.name}")
        if frame.line:
            lines.append(f"    {frame.line.strip()}")
    flush()
    return lines


_FILE_LINE = re.compile(r'File "([^"]+)", line')


def exception_text(exc: BaseException, cell_of: Callable[[str], int | None]) -> str:
    """``NameError: name 'x' is not defined`` (a syntax error with its line and caret),
    file names shown as the traceback shows them."""

    def name(match: re.Match[str]) -> str:
        cell = cell_of(match[1])
        return f"Cell [{cell}], line" if cell is not None else f"File {_short_path(match[1])}, line"

    text = "".join(traceback.format_exception_only(type(exc), exc)).rstrip("\n")
    return _FILE_LINE.sub(name, text)


# --- the names a cell uses -------------------------------------------------------------


def _names(source: str) -> tuple[list[str], set[str]]:
    """(names the code reads, in order of first use; names it binds itself: assignments,
    parameters, loop variables, imports, definitions). Empty when it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return [], set()
    read: dict[str, None] = {}
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Store):
                bound.add(node.id)
            else:
                read.setdefault(node.id, None)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
    first: dict[str, int] = {}
    for match in re.finditer(r"[^\W\d]\w*", source):
        first.setdefault(match[0], match.start())
    return sorted(read, key=lambda n: first.get(n, 0)), bound


def used_names(source: str) -> list[str]:
    """Names the code reads, in order of first use (empty when it does not parse)."""
    return _names(source)[0]


def describe(value: Any) -> str:
    """A value's type and shape, never its content (a DataFrame's columns are its shape)."""
    kind = type(value)
    module = kind.__module__.split(".")[0]
    if module == "pandas" and kind.__name__ == "DataFrame":
        columns = [f"{c} ({t})" for c, t in list(value.dtypes.items())[:MAX_COLUMNS]]
        more = (
            f", … ({len(value.columns) - MAX_COLUMNS} more)"
            if len(value.columns) > MAX_COLUMNS
            else ""
        )
        return (
            f"DataFrame, {len(value)} rows x {len(value.columns)} columns: "
            + ", ".join(columns)
            + more
        )
    if module == "pandas" and kind.__name__ == "Series":
        return f"Series of {len(value)} values, dtype {value.dtype}"
    if module == "numpy" and kind.__name__ == "ndarray":
        return f"ndarray, shape {value.shape}, dtype {value.dtype}"
    if isinstance(value, type(sys)):
        return f"module {value.__name__}"
    if isinstance(value, type):
        return "class"
    if callable(value):
        return "function"
    if isinstance(value, str | bytes | list | tuple | dict | set | frozenset):
        return f"{kind.__name__} of length {len(value)}"
    if module == "builtins":
        return kind.__name__
    return f"{kind.__module__}.{kind.__qualname__}"


def describe_names(source: str, namespace: dict[str, Any]) -> list[str]:
    """``"`total`: int"`` for each name the cell reads; an undefined one names the
    notebook's names that look like it (the usual cause of a NameError is a typo)."""
    candidates = [n for n in namespace if not n.startswith("_") and n not in _HIDDEN]
    # builtins only when very close (pritn → print), or every name would suggest one
    builtin_names = [n for n in dir(builtins) if not n.startswith("_") and n not in namespace]
    out: list[str] = []
    read, bound = _names(source)
    for name in read[:MAX_NAMES]:
        if name in namespace:
            out.append(f"`{name}`: {describe(namespace[name])}")
        elif not hasattr(builtins, name) and name not in bound:
            close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.6)
            if len(close) < 3:
                close += difflib.get_close_matches(name, builtin_names, 3 - len(close), 0.75)
            hint = f" (defined names close to it: {', '.join(f'`{c}`' for c in close)})"
            out.append(f"`{name}`: not defined" + (hint if close else ""))
    return out


def attribute_hint(exc: BaseException) -> list[str]:
    """For an AttributeError, the object's attributes that look like the missing one
    (a misspelt method or DataFrame column): what Python's own display suggests, which
    the traceback module of Python < 3.12 does not give."""
    obj, name = getattr(exc, "obj", None), getattr(exc, "name", None)
    if not isinstance(exc, AttributeError) or obj is None or not isinstance(name, str):
        return []
    try:
        attributes = [a for a in dir(obj) if isinstance(a, str) and not a.startswith("_")]
    except Exception:  # a user object's __dir__ may raise anything
        return []
    close = difflib.get_close_matches(name, attributes, n=3, cutoff=0.6)
    if not close:
        return []
    what = f"module {obj.__name__}" if isinstance(obj, type(sys)) else type(obj).__name__
    listed = ", ".join(f"`{c}`" for c in close)
    return [f"attribute `{name}` of {what}: not there (attributes close to it: {listed})"]


# --- the errors of a kernel -------------------------------------------------------------


def is_azure_cell(source: str) -> bool:
    """A cell that runs this extension's magic: its errors are not the notebook's to fix."""
    first = next((line.strip() for line in source.splitlines() if line.strip()), "")
    return first.startswith(("%azure", "%%azure"))


class ErrorLog:
    """The errors cells raised in one kernel, by execution count (``Err``)."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.by_count: dict[int, CellError] = {}
        self.last: CellError | None = None

    def install(self) -> ErrorLog:
        self.shell.events.register("post_run_cell", self.post_run_cell)
        return self

    def uninstall(self) -> None:
        with contextlib.suppress(ValueError):  # not registered (a failed load)
            self.shell.events.unregister("post_run_cell", self.post_run_cell)

    def post_run_cell(self, result: Any) -> None:
        exc = result.error_in_exec or result.error_before_exec
        source = result.info.raw_cell if result.info is not None else ""
        if exc is None or isinstance(exc, KeyboardInterrupt | SystemExit) or is_azure_cell(source):
            return
        # a run without history (store_history=False: nbval, some tools) has no count of
        # its own and is not in In/Out; it is still the last error, under the current count
        count = result.execution_count
        try:
            record = self.record(exc, count or self.shell.execution_count, source)
        except Exception:  # a listener must never break the user's cell
            return
        if count is not None:
            self.by_count[count] = record
        self.last = record

    def cell_of(self, filename: str) -> int | None:
        """The execution count of the cell compiled under ``filename`` (None otherwise)."""
        named = self.shell.compile.format_code_name(filename)
        if named and named[1].startswith("In[") and named[1][3:-1].isdigit():
            return int(named[1][3:-1])
        return None

    def record(self, exc: BaseException, count: int, source: str) -> CellError:
        frames = trim_frames(traceback.extract_tb(exc.__traceback__), self.cell_of)
        try:
            code = self.shell.transform_cell(source)
        except Exception:
            code = source
        return CellError(
            execution_count=count,
            source=source,
            type_name=type(exc).__name__,
            message=exception_text(exc, self.cell_of),
            frames=tuple(frames),
            names=(*describe_names(code, self.shell.user_ns), *attribute_hint(exc)),
        )


def _fence(text: str, info: str = "") -> str:
    """``text`` in a fence longer than any backtick run in it."""
    longest = max((len(r) for r in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text.rstrip()}\n{fence}"


def fix_prompt(error: CellError) -> str:
    """The user message of a fix request (``FIX_SYSTEM_PROMPT`` says what to answer)."""
    parts = [
        f"Cell [{error.execution_count}] raised {error.type_name}. Explain the cause and give"
        " the corrected cell.",
        "",
        "The cell:",
        _fence(error.source, "python"),
        "",
        "The error (traceback trimmed to the notebook's code):",
        _fence(error.report(), "text"),
    ]
    if error.names:
        parts += ["", "Names the cell uses (types only, no values):"]
        parts += [f"- {line}" for line in error.names]
    return "\n".join(parts)


__all__ = [
    "FIX_SYSTEM_PROMPT",
    "CellError",
    "ErrorLog",
    "describe",
    "describe_names",
    "fix_prompt",
    "run_fix",
    "scrub",
    "trim_frames",
    "used_names",
]


def scrub(text: str, options: Any) -> str:
    """``text`` with this kernel's client secret and subscription key replaced by ``***``:
    a cell may print or raise with one (``os.environ[...]``), and a fix request sends the
    cell's source and error text."""
    return _hide(text, (getattr(options, name, None) for name in SECRET_FIELDS))


def _hide(text: str, secrets: Iterable[object]) -> str:
    for value in secrets:
        if isinstance(value, str) and len(value) >= 4:
            text = text.replace(value, "***")
    return text


def run_fix(magics: Any, count: int | None = None, model: str | None = None) -> None:
    """``%azure fix [N] [-m MODEL]``: stream the model's explanation of the last error (or cell N's)
    and offer its corrected cell as the next cell. Nothing to fix: one line, nothing sent.

    The request is a turn of the kernel's conversation, so a follow-up ``%%azure`` cell
    can ask about the fix; it has its own system prompt (``FIX_SYSTEM_PROMPT``).
    """
    import time

    from .display import AnswerOutput, show_answer_footer
    from .runtime import get_runtime

    log: ErrorLog | None = magics.errors
    if count is None:
        error = log.last if log is not None else None
        if error is None:
            print("Nothing to fix: no cell has raised an error since %load_ext jupyter_azure_ai.")
            return
    else:
        error = log.by_count.get(count) if log is not None else None
        if error is None:
            print(f"Nothing to fix: cell [{count}] raised no error.")
            return
    options = magics.options(
        model=model, system_prompt=FIX_SYSTEM_PROMPT, include_partial_messages=magics.stream
    )
    runtime = get_runtime()
    client = runtime.client_for(options)
    output = AnswerOutput(magics.format, stream=options.include_partial_messages)
    started = time.perf_counter()
    prompt = scrub(fix_prompt(error), options)
    answer = magics._receive(runtime, client, prompt, options, output)
    output.finish()
    notes = [f"fixing cell [{error.execution_count}]"]
    if answer.cancelled:
        notes.append("Cancelled")
    else:
        notes.append(magics._code_to_next_cell(output.text, first_only=True))
    if answer.left_out is not None:
        notes.append(answer.left_out.note)
    result = answer.result
    show_answer_footer(options.model, result, time.perf_counter() - started, notes)
    if magics.shell is not None:
        magics.shell.user_ns["_azure"] = output.text
