"""Where a growing Markdown answer can be cut into blocks that will not change.

A streamed answer is shown as finished blocks, each sent once as an output of its
own, plus an open tail that is re-rendered as it grows (``display.py``). A cut is
safe only where CommonMark would end every open block anyway and the text after it
cannot reach back: at a blank line that is not inside a fenced code block or a
``$$`` math block, followed by a line that starts at the margin and does not start a
list item (a list goes on across blank lines; an indented line may continue a list
item or be code). Math blocks follow the renderer's dollarmath rule: one ends at the
first line that ends with ``$$``, blank lines included, and until that line arrives
nothing after its opening is cut (without it, it was no math block at all). A line
is judged as soon as its first characters settle that, never before, so a cut never
depends on how the text was split into deltas: the cuts of a text are the same however
and whenever it is scanned. (Reference-style link definitions that arrive after their
use are the one thing a cut renders differently; models rarely write them.)
"""

from __future__ import annotations

import re

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})(.*)")
_LIST_START = re.compile(r"(?:[-+*]|\d{1,9}[.)])(?:[ \t]|$)")
_MAYBE_LIST = frozenset("-+*0123456789")
_LONGEST_LIST_MARKER = 10  # nine digits and "." or ")"
_CONTAINERS = re.compile(r"(?:[ \t]*(?:>|(?:[-+*]|\d{1,9}[.)])(?=[ \t]|$)))*[ \t]*")
"""Leading quote and list markers (and indentation): what may come before a ``$$``."""


def cuts(text: str, start: int = 0) -> list[int]:
    """Offsets after ``start`` where ``text`` can be cut into finished blocks.

    ``start`` must be 0 or a previous cut. Each returned offset is the start of the
    line that opens the next block, so ``text[a:b]`` between cuts is whole blocks.
    """
    found: list[int] = []
    fence: tuple[str, int] | None = None  # (fence character, length) while inside one
    in_math = False  # inside a ``$$`` block not closed yet
    content = False  # a block has begun since ``start``
    blank_seen = False  # a blank line (outside fences and math) since the last content
    pos = start
    while True:
        end = text.find("\n", pos)
        if end < 0:  # the last line is not complete yet: cut before it if it is clear
            if blank_seen and fence is None and not in_math and _opens_block(text[pos:]):
                found.append(pos)
            return found
        line = text[pos:end]
        if fence is not None:
            if _closes(line, fence):
                fence = None
        elif in_math:
            in_math = not line.strip().endswith("$$")
        elif not line.strip():
            blank_seen = content
        else:
            if blank_seen and _opens_block(line, complete=True):
                found.append(pos)
            content, blank_seen = True, False
            opened = _FENCE.match(line)
            if opened and not (opened.group(1)[0] == "`" and "`" in opened.group(2)):
                fence = (opened.group(1)[0], len(opened.group(1)))
            elif _opens_math(line):
                in_math = True
        pos = end + 1


def _opens_block(line: str, *, complete: bool = False) -> bool:
    """After a blank line: does ``line`` (maybe only its start) begin a new top-level
    block? False while its first characters cannot tell yet, so the answer never
    changes as the line grows."""
    if not line or line[0] in " \t":
        return False  # unknown yet, or indented: a list item's continuation or code
    if line[0] not in _MAYBE_LIST:
        return True
    if not complete and len(line) < _LONGEST_LIST_MARKER + 1:
        return False  # "1" may become "1. item" (a list goes on) or "1984 was" (a new block)
    return not _LIST_START.match(line)


def _opens_math(line: str) -> bool:
    """Could ``line`` open a ``$$`` block that goes on below it (the dollarmath plugin's
    rule: ``$$`` first, also inside a list item or a quote; closed on its own line if it
    ends with ``$$``; no block at all if a ``$$`` sits inside it)? When unsure, yes: a
    math block that is not one only costs cuts."""
    matched = _CONTAINERS.match(line)
    body = line[matched.end() if matched else 0 :].rstrip()
    if not body.startswith("$$"):
        return False
    return len(body) <= 3 or ("$$" not in body[2:])


def _closes(line: str, fence: tuple[str, int]) -> bool:
    stripped = line.strip()
    char, length = fence
    columns = line.expandtabs(4)  # a tab is up to 4 columns: "\t```" is code, no close
    return (
        len(columns) - len(columns.lstrip(" ")) <= 3
        and len(stripped) >= length
        and stripped == char * len(stripped)
    )


__all__ = ["cuts"]
