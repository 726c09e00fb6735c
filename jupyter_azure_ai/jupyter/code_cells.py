"""Code from an answer into the next cell (``%%azure --code``, ``%azure fix``), never run.

The code is found as a Markdown renderer finds it (markdown-it's CommonMark fences, so a
fence inside a list item or one with four backticks around three counts right), not by
a regular expression. Which blocks: the Python ones — a fence whose info string is
``python``, ``py``, ``ipython`` (any case, ``python3`` too) or empty — joined in order
with a blank line, because answers often give one step per block; if there is none, the
first block of any language. A fix takes only the first Python block: it is asked for
exactly one whole cell.

The cell is made with IPython's ``set_next_input``: a payload of the execute reply that
JupyterLab and Notebook 7 turn into a new cell below, with the code as its source. It is
text in an editor, not an output, so no renderer is involved; nothing runs it.
"""

from __future__ import annotations

from typing import Any

PYTHON_INFOS = frozenset({"", "python", "python3", "py", "ipython", "ipython3"})


def code_blocks(markdown: str) -> list[tuple[str, str]]:
    """(language, code) of every fenced code block, in order (language lower-cased)."""
    from .render import _parser  # the parser that renders the answer: the same blocks

    blocks = []
    for token in _parser().parse(markdown):
        if token.type == "fence":
            words = token.info.split()
            blocks.append((words[0].lower() if words else "", token.content))
    return blocks


def answer_code(markdown: str, *, first_only: bool = False) -> str | None:
    """The code of an answer for a new cell (see the module docstring), None without any."""
    blocks = code_blocks(markdown)
    chosen = [code for language, code in blocks if language in PYTHON_INFOS]
    if not chosen:
        chosen = [code for _, code in blocks[:1]]
    if first_only:
        chosen = chosen[:1]
    code = "\n\n".join(c.strip("\n") for c in chosen if c.strip())
    return code or None


def put_next_cell(shell: Any, code: str) -> None:
    """Offer ``code`` as a new cell below the running one (not run)."""
    shell.set_next_input(code, replace=False)


__all__ = ["PYTHON_INFOS", "answer_code", "code_blocks", "put_next_cell"]
