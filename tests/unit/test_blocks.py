"""Cuts of a streamed answer: only between top-level blocks, the same however it streams."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from jupyter_azure_ai.jupyter.blocks import cuts
from jupyter_azure_ai.jupyter.render import _parser

PIECES = st.sampled_from(
    ["Para", "text", "**b**", "- ", "* ", "1. ", "2) ", "  ", "    ", "\t", "> ", "```",
     "```py", "~~~", "````", "$$", "$x$", "| a | b |", "|---|---|", "# H", "---", "\n",
     "\n\n", "\n", "\n", "`", "[r]: https://e.x", "x"]
)  # fmt: skip
TEXTS = st.lists(PIECES, max_size=40).map("".join)
# the parser the answer is rendered with: its $$ math blocks are what cuts() keeps whole
MD = _parser()


def top_level_spans(text: str) -> list[tuple[int, int]]:
    return [tuple(t.map) for t in MD.parse(text) if t.level == 0 and t.map]  # type: ignore[misc]


@settings(max_examples=400, deadline=None)
@given(TEXTS)
@example("$$\n```$$\n\nPara")  # a $$ block closed on a fence-like line
@example("$$\n```$$Para\n\nPara")  # not closed: ``` opens a fence that holds Para
@example("$$\n\n$$")  # a $$ block holds blank lines
@example("- $$\n\n$$")  # ... also one opened in a list item
@example("```\n\t```\n\nPara")  # a tab-indented ``` closes no fence
def test_every_cut_is_where_a_top_level_block_starts(text: str) -> None:
    spans = top_level_spans(text)
    for offset in cuts(text):
        line = text.count("\n", 0, offset)
        starts_block = any(start == line for start, _ in spans)
        # a reference definition makes no token of its own: nothing to cut through
        assert starts_block or text[offset] == "[", (text, offset)
        assert not any(start < line < end for start, end in spans), (text, offset)


@settings(max_examples=300, deadline=None)
@given(TEXTS, st.data())
def test_cuts_do_not_depend_on_how_the_text_arrives(text: str, data: st.DataObject) -> None:
    final = cuts(text)
    seen: list[int] = []
    size = 0
    while size < len(text):  # grow the text in random steps, scanning from the last cut
        size = min(len(text), size + data.draw(st.integers(1, 12)))
        prefix = text[:size]
        new = cuts(prefix, seen[-1] if seen else 0)
        assert all(c in final for c in new)  # a cut, once made, is a cut of the whole text
        seen += new
    seen += cuts(text, seen[-1] if seen else 0)
    assert seen == final


def test_examples() -> None:
    text = (
        "Intro line\nstill intro\n\n- a\n- b\n\n- c (same list)\n\nAfter the list\n\n"
        "```python\nx = 1\n\ny = 2\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "    indented code\n\nEnd\n"
    )
    starts = [text[c:].split("\n", 1)[0] for c in cuts(text)]
    assert starts == ["After the list", "```python", "| a | b |", "End"]
    assert cuts("One\n\nTwo") == [5]  # a letter cannot start a list item: settled
    assert cuts("One\n\n1") == cuts("One\n\n1. item") == []  # the list may go on
    assert cuts("One\n\n1984 was a year") == [5]  # long enough to tell: not a list
    assert cuts("\n\nOne\n") == []  # no empty first block
