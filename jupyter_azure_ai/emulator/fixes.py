"""The emulator's answer to a fix request (``%azure fix``): a cause and a corrected cell.

A request is one when its system message starts with ``FIX_OPENING`` (the first sentence
of ``jupyter/fix.py``'s ``FIX_SYSTEM_PROMPT``; a unit test keeps the two in step). The user
message is read the way ``jupyter/fix.py`` writes it — the cell in a fence, the trimmed
traceback in a fence, "- `name`: description" lines — and three common errors get a
corrected cell that runs, deterministically, so the fix flow can be tested end to end:

- ``NameError`` for a name close to a defined one (as the request lists them): the typo
  is replaced by that name everywhere in the cell;
- ``KeyError`` on a DataFrame column with a near-miss name: the quoted key is replaced
  by the closest column of the DataFrames the cell uses;
- ``AttributeError`` for an attribute close to one the object has (a misspelt method,
  module function or DataFrame column; the request names the close ones): replaced after
  every ``.``;
- ``ZeroDivisionError``: the failing line (the innermost cell frame's line) is wrapped in
  ``try`` / ``except ZeroDivisionError``, the assigned name set to ``float("nan")``.

Anything else: the cause quoted from the error and no code block (a real model would try).
"""

from __future__ import annotations

import ast
import difflib
import re
from typing import Any

FIX_OPENING = "You fix errors in Jupyter notebook cells."

_CELL = re.compile(r"^The cell:\n(?P<fence>`{3,})python\n(?P<code>.*?)\n(?P=fence)$", re.M | re.S)
_ERROR = re.compile(
    r"^The error[^\n]*:\n(?P<fence>`{3,})text\n(?P<text>.*?)\n(?P=fence)$", re.M | re.S
)
_NAME_LINE = re.compile(r"^- `(?P<name>[^`]+)`: (?P<what>.*)$", re.M)
_CELL_LINE = re.compile(r"Cell \[\d+\], line (\d+)")
_ASSIGNED = re.compile(r"(?P<target>[^\W\d][\w.]*(?:\[[^\]]*\])?)\s*(?:[-+*/%]|//)?=(?!=)")


def is_fix_request(messages: list[dict[str, Any]]) -> bool:
    for message in messages:
        content = message.get("content")
        if message.get("role") == "system" and isinstance(content, str):
            return content.startswith(FIX_OPENING)
    return False


def fix_answer(prompt: str) -> str:
    """Markdown: the cause in a sentence or two, then the corrected cell (when known)."""
    cell_match, error_match = _CELL.search(prompt), _ERROR.search(prompt)
    if cell_match is None or error_match is None:
        return "I could not find the cell and its error in the request, so there is nothing to fix."
    cell, error = cell_match["code"], error_match["text"]
    names = {m["name"]: m["what"] for m in _NAME_LINE.finditer(prompt)}
    last = error.strip().splitlines()[-1] if error.strip() else ""
    kind, _, message = last.partition(": ")
    fixed: tuple[str, str] | None = None
    if kind == "NameError":
        fixed = _name_error(cell, message, names)
    elif kind == "KeyError":
        fixed = _key_error(cell, message, names)
    elif kind == "ZeroDivisionError":
        fixed = _zero_division(cell, error)
    elif kind == "AttributeError":
        fixed = _attribute_error(cell, message, prompt)
    if fixed is None:
        return (
            f"The cell raised {kind or 'an error'}: {message or last}\n\n"
            "The local emulator knows fixes only for a misspelt name (NameError), attribute"
            " (AttributeError) or DataFrame column (KeyError) and a division by zero, so it has"
            " no corrected cell for this one."
        )
    cause, code = fixed
    fence = "`" * max(3, 1 + max((len(r) for r in re.findall(r"`+", code)), default=0))
    return f"**Cause.** {cause}\n\n**Corrected cell:**\n\n{fence}python\n{code}\n{fence}\n"


def _name_error(cell: str, message: str, names: dict[str, str]) -> tuple[str, str] | None:
    match = re.match(r"name '(\w+)' is not defined", message)
    if match is None:
        return None
    wrong = match[1]
    close = re.findall(r"`([^`]+)`", names.get(wrong, "").partition("close to it:")[2])
    if not close:
        return None
    right = close[0]
    code = re.sub(rf"(?<![\w.]){re.escape(wrong)}\b", right, cell)
    cause = (
        f"`{wrong}` is not defined; it looks like a typo of `{right}`, which the notebook defines."
    )
    return cause, code


def _key_error(cell: str, message: str, names: dict[str, str]) -> tuple[str, str] | None:
    try:
        key = ast.literal_eval(message.strip())
    except (ValueError, SyntaxError):
        return None
    if not isinstance(key, str):
        return None
    columns: list[str] = []
    for what in names.values():
        if what.startswith("DataFrame"):
            listed = what.partition(" columns: ")[2]
            columns += [re.sub(r" \([^()]*\)$", "", c) for c in listed.split(", ") if c]
    close = difflib.get_close_matches(key, columns, n=1, cutoff=0.6)
    if not close:
        return None
    quoted = re.compile(r"""(['"])""" + re.escape(key) + r"\1")
    if not quoted.search(cell):
        return None
    code = quoted.sub(lambda m: f"{m[1]}{close[0]}{m[1]}", cell)
    return f"The DataFrame has no column `{key}`; its column `{close[0]}` is the near miss.", code


def _attribute_error(cell: str, message: str, prompt: str) -> tuple[str, str] | None:
    match = re.search(r"has no attribute '(\w+)'", message)
    if match is None:
        return None
    wrong = match[1]
    listed = re.search(
        rf"^- attribute `{re.escape(wrong)}` of ([^:]+): .*close to it: `(\w+)`", prompt, re.M
    )
    if listed is None:
        return None
    right = listed[2]
    code = re.sub(rf"\.{re.escape(wrong)}\b", f".{right}", cell)
    cause = f"{listed[1]} has no attribute `{wrong}`; `{right}` is the one it looks like."
    return cause, code


def _zero_division(cell: str, error: str) -> tuple[str, str] | None:
    numbers = _CELL_LINE.findall(error)
    lines = cell.split("\n")
    if not numbers or not 0 < int(numbers[-1]) <= len(lines):
        return None
    index = int(numbers[-1]) - 1
    line = lines[index]
    indent = line[: len(line) - len(line.lstrip())]
    statement = line.strip()
    assigned = _ASSIGNED.match(statement)
    if assigned:
        fallback = f'{assigned["target"]} = float("nan")  # the divisor was zero'
    else:
        fallback = 'print("division by zero: the divisor was 0")'
    guarded = [
        f"{indent}try:",
        f"{indent}    {statement}",
        f"{indent}except ZeroDivisionError:",
        f"{indent}    {fallback}",
    ]
    code = "\n".join([*lines[:index], *guarded, *lines[index + 1 :]])
    cause = (
        f"Line {index + 1} divides by a value that is zero. The corrected cell checks for it"
        " and gives NaN instead (or fix the data so the divisor is not zero)."
    )
    return cause, code


__all__ = ["FIX_OPENING", "fix_answer", "is_fix_request"]
