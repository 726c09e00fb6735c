"""Prompt templates: ``{name}`` fields filled from a mapping, all other text sent as written.

One implementation for every place a prompt is a template: the ``%%azure`` cell (fields
from the notebook's variables, ``jupyter/context.py``) and the row templates of
``map_rows``, ``%%azure --over`` and ``submit_batch`` (fields from each row). Plain
stdlib: the row templates run in scripts without IPython or pandas.

Why not ``str.format``: prompts are full of braces that are not fields. People paste
JSON (``{"name": "x"}``), dict and set literals, f-strings in code blocks and LaTeX
(``$\\frac{a}{b}$``). ``str.format`` stops on the JSON, and — worse, silently — fills
``{total}`` inside a pasted f-string, so the model is asked about code the user never
wrote. The rule here (api.md §3) keeps ``str.format``'s field syntax but only where a
field can be meant:

- A field is ``{name}``, ``{name.attr}`` or ``{name[key]}`` (chained, e.g.
  ``{df.shape[0]}``), optionally with ``!r`` / ``!s`` / ``!a`` and ``:spec``, rooted at
  a Python identifier. Any other brace text — JSON, dict and set literals, ``{}``,
  ``{0}`` — is literal. As in f-strings, ``{d['k']}`` is the key ``k`` and
  ``{items[-1]}`` the last item (``str.format`` would look up ``"'k'"`` and ``"-1"``).
- Nothing inside fenced code blocks (backtick or tilde fences, by CommonMark's rules),
  inline code spans or ``$…$`` / ``$$…$$`` math (by pandoc's rule, so the prices in
  "$5M in Q1 and {x} in Q2, up from $3M" are not math) is touched: not fields, not
  escapes. Pasted code keeps its f-strings; a formula keeps ``\\frac{a}{b}``.
- ``{{`` and ``}}`` still give ``{`` and ``}`` (templates written for ``str.format`` keep
  working), except that a ``}}`` closing braces opened by literal text — the end of
  nested JSON, ``{"a": {"b": 1}}`` — stays as written.
- A field whose root is not in the mapping is an error (``FieldError``): a typo must not
  reach the model as text, and a row template can be checked against the columns with
  ``PromptTemplate.missing`` before anything is sent.

Parsing happens once (``PromptTemplate(text)``); ``fill(mapping)`` is then a join over
the pieces, so a row template costs little per row.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Field", "FieldError", "PromptTemplate", "TemplateError", "fill"]

Step = tuple[Literal["attr", "item"], str | int]
"""One step after a field's root: ``("attr", "shape")`` or ``("item", 0)``."""

Presenter = Callable[["Field", Any], str]
"""Turns a field's value into prompt text (e.g. the magic's DataFrame summaries)."""


class TemplateError(ValueError):
    """Base of the errors a prompt template raises (a ValueError, as ``str.format``'s)."""


class FieldError(TemplateError):
    """A field that cannot be filled: its root is missing, a lookup or its format failed.

    ``reason`` is ``"missing"`` (the root is not in the mapping), ``"lookup"`` (an
    attribute or item after the root failed) or ``"format"`` (conversion, spec or the
    presenter failed); ``detail`` is the cause as ``"KeyError: 'x'"``. Callers word it
    for their users: the magic says "not defined in the notebook", a row template "not
    a column".
    """

    def __init__(
        self, field: Field, reason: Literal["missing", "lookup", "format"], detail: str
    ) -> None:
        self.field = field
        self.reason = reason
        self.detail = detail
        if reason == "missing":
            message = f"{{{field.text}}}: nothing named {field.root!r} to fill it from"
        elif reason == "lookup":
            message = f"{{{field.text}}} cannot be looked up ({detail})"
        else:
            message = f"{{{field.text}}} cannot be formatted ({detail})"
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:  # picklable, e.g. in a result cache
        return type(self), (self.field, self.reason, self.detail)

    @classmethod
    def caused_by(
        cls, field: Field, reason: Literal["missing", "lookup", "format"], exc: BaseException
    ) -> FieldError:
        return cls(field, reason, f"{type(exc).__name__}: {exc}")


@dataclass(frozen=True)
class Field:
    """One ``{...}`` field of a template.

    ``text`` is what stands between the braces (``"x!r:>10"``), ``name`` the reference
    without conversion and spec (``"df.shape[0]"``), ``root`` its first identifier
    (``"df"``), ``offset`` where its ``{`` stands in the template.
    """

    text: str
    name: str
    root: str
    path: tuple[Step, ...]
    conversion: str | None
    spec: str
    offset: int

    def lookup(self, mapping: Mapping[str, Any]) -> Any:
        """The value ``name`` refers to in ``mapping`` (FieldError when it cannot)."""
        try:
            value = mapping[self.root]
        except KeyError as exc:
            raise FieldError.caused_by(self, "missing", exc) from None
        for kind, key in self.path:
            try:
                value = getattr(value, str(key)) if kind == "attr" else value[key]
            except Exception as exc:  # user objects raise anything from __getitem__
                raise FieldError.caused_by(self, "lookup", exc) from None
        return value

    def format(self, value: Any) -> str:
        """``value`` with this field's conversion and spec applied, as ``str.format`` does."""
        try:
            if self.conversion == "r":
                value = repr(value)
            elif self.conversion == "a":
                value = ascii(value)
            elif self.conversion == "s":
                value = str(value)
            return format(value, self.spec)
        except Exception as exc:  # ValueError for a bad spec; anything from __format__
            raise FieldError.caused_by(self, "format", exc) from None


class PromptTemplate:
    """A template parsed once into literal text and fields; ``fill`` it from any mapping.

    >>> t = PromptTemplate('Return JSON like {"city": "{city}"} for `{code}`')
    >>> t.names
    ('city',)
    >>> t.fill({"city": "Paris"})
    'Return JSON like {"city": "Paris"} for `{code}`'
    """

    __slots__ = ("fields", "names", "pieces", "source")

    source: str
    pieces: tuple[str | Field, ...]
    fields: tuple[Field, ...]
    names: tuple[str, ...]

    def __init__(self, source: str) -> None:
        self.source = source
        self.pieces = _Parser(source).parse()
        self.fields = tuple(p for p in self.pieces if isinstance(p, Field))
        self.names = tuple(dict.fromkeys(f.root for f in self.fields))

    def __repr__(self) -> str:
        return f"PromptTemplate({self.source!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PromptTemplate) and other.source == self.source

    def __hash__(self) -> int:
        return hash(self.source)

    def missing(self, available: Iterable[str]) -> list[str]:
        """Field roots not among ``available`` (e.g. a DataFrame's columns), in order.

        A row template is checked with this before the first request, so a typo in a
        column name fails the run at once instead of on every row.
        """
        have = set(available)
        return [name for name in self.names if name not in have]

    def fill(self, mapping: Mapping[str, Any], present: Presenter | None = None) -> str:
        """The prompt: literal text as written, each field replaced by its value's text.

        ``present(field, value)`` turns a value into text; the default applies the
        field's conversion and spec (``str(value)`` for a bare ``{name}``). Raises
        ``FieldError`` for the first field that cannot be filled; nothing is returned
        then, so nothing half-filled can be sent.
        """
        out: list[str] = []
        for piece in self.pieces:
            if isinstance(piece, str):
                out.append(piece)
                continue
            value = piece.lookup(mapping)
            if present is None:
                out.append(piece.format(value))
                continue
            try:
                out.append(present(piece, value))
            except FieldError:
                raise
            except Exception as exc:  # a value whose __str__ fails is this field's fault
                raise FieldError.caused_by(piece, "format", exc) from None
        return "".join(out)


def fill(template: str, mapping: Mapping[str, Any]) -> str:
    """Parse ``template`` and fill it from ``mapping`` in one go (for one-off prompts)."""
    return PromptTemplate(template).fill(mapping)


# --- Parsing ------------------------------------------------------------------------

_IDENT = r"[^\W\d]\w*"
_FIELD = re.compile(
    rf"""\{{
    (?P<name>(?P<root>{_IDENT})(?P<path>(?:\.{_IDENT}|\[[^\[\]{{}}\n]+\])*))
    (?:!(?P<conversion>[rsa]))?
    (?::(?P<spec>[^{{}}\n]*))?
    \}}""",
    re.VERBOSE,
)
_STEP = re.compile(rf"\.(?P<attr>{_IDENT})|\[(?P<item>[^\]]+)\]")
_INT = re.compile(r"-?\d+")
_SPECIAL = re.compile(r"[{}`$\\]")
_BLANK_LINE = re.compile(r"\n[ \t\r]*(?=\n)")
_BACKTICKS = re.compile(r"`+")
_FENCE_OPEN = re.compile(r" {0,3}(?P<fence>`{3,}|~{3,})(?P<info>.*)")
# pandoc: a closing $ has a non-space (and not a backslash) just before it, no digit after
_MATH_CLOSE = re.compile(r"(?<=[^\s\\])\$(?!\d)")


def _item_key(text: str) -> str | int:
    """``[0]`` and ``[-1]`` are indexes; ``[a]``, ``['a']`` and ``["a"]`` the key ``a``.

    ``str.format`` would look up ``"'a'"`` with the quotes; people write ``{d['a']}``
    from f-string habit, and a key with quotes around it is never what they mean.
    """
    if _INT.fullmatch(text):
        return int(text)
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _field(match: re.Match[str]) -> Field | None:
    """The Field a regex match describes, or None when a name is not an identifier."""
    root = match["root"]
    if not root.isidentifier():
        return None
    path: list[Step] = []
    for step in _STEP.finditer(match["path"]):
        if step["attr"] is not None:
            if not step["attr"].isidentifier():
                return None
            path.append(("attr", step["attr"]))
        else:
            path.append(("item", _item_key(step["item"])))
    return Field(
        text=match[0][1:-1],
        name=match["name"],
        root=root,
        path=tuple(path),
        conversion=match["conversion"],
        spec=match["spec"] or "",
        offset=match.start(),
    )


def _code_blocks(text: str) -> list[tuple[int, int]]:
    """(start, end) of every fenced code block, by CommonMark's fence rules.

    An opening fence is 3+ backticks or tildes indented at most 3 spaces (a backtick
    fence's info string has no backtick); the block ends at a line of the same
    character, at least as long, indented at most 3 spaces and followed only by spaces
    or tabs — or at the end of the text, as a renderer shows an unclosed fence.
    """
    blocks: list[tuple[int, int]] = []
    start: int | None = None
    char, length = "", 0
    pos = 0
    for line in text.split("\n"):
        body = line.rstrip("\r")
        if start is None:
            opening = _FENCE_OPEN.fullmatch(body)
            if opening and not (opening["fence"][0] == "`" and "`" in opening["info"]):
                start, char, length = pos, opening["fence"][0], len(opening["fence"])
        else:
            run = body.rstrip(" \t")
            indent = len(run) - len(run.lstrip(" "))
            run = run.lstrip(" ")
            if indent <= 3 and len(run) >= length and run == char * len(run):
                blocks.append((start, min(pos + len(line) + 1, len(text))))
                start = None
        pos += len(line) + 1
    if start is not None:
        blocks.append((start, len(text)))
    return blocks


class _Parser:
    """One left-to-right pass over the prose between code blocks.

    Code spans and math are found as a Markdown renderer finds them and copied whole;
    ``{`` either starts a field, an escape (``{{``) or a literal brace (counted, so the
    ``}`` that closes it is literal too). Closers are found with precomputed positions,
    so the pass stays linear on long pasted text full of ``$`` and backticks.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.pieces: list[str | Field] = []
        self.literal: list[str] = []
        self.depth = 0  # literal "{" still open (JSON, sets, ...)
        self.blank_lines = [m.start() for m in _BLANK_LINE.finditer(text)]
        self.runs: dict[int, list[int]] = {}  # backtick run length -> starts
        for run in _BACKTICKS.finditer(text):
            self.runs.setdefault(len(run[0]), []).append(run.start())
        self.math_cache: tuple[int, int, int | None] = (-1, -1, None)  # (from, end, closer)

    def parse(self) -> tuple[str | Field, ...]:
        pos = 0
        for start, end in _code_blocks(self.text):
            self.prose(pos, start)
            self.literal.append(self.text[start:end])
            pos = end
        self.prose(pos, len(self.text))
        self.flush()
        return tuple(self.pieces)

    def flush(self) -> None:
        if self.literal:
            self.pieces.append("".join(self.literal))
            self.literal.clear()

    def crosses_blank_line(self, start: int, end: int) -> bool:
        """Inline code and math end with their paragraph: no blank line inside."""
        i = bisect_right(self.blank_lines, start)
        return i < len(self.blank_lines) and self.blank_lines[i] < end

    def prose(self, pos: int, end: int) -> None:
        text = self.text
        while pos < end:
            special = _SPECIAL.search(text, pos, end)
            if special is None:
                self.literal.append(text[pos:end])
                return
            j = special.start()
            self.literal.append(text[pos:j])
            char = text[j]
            if char == "\\":
                pos = self.backslash(j, end)
            elif char == "`":
                pos = self.code_span(j, end)
            elif char == "$":
                pos = self.math(j, end)
            elif char == "{":
                pos = self.open_brace(j, end)
            else:
                pos = self.close_brace(j, end)

    def backslash(self, j: int, end: int) -> int:
        """A backslash before a backtick or dollar makes it plain text (Markdown's escape).

        Both characters are kept as written; the backslash is not removed.
        """
        if j + 1 < end and self.text[j + 1] in "\\`$":
            self.literal.append(self.text[j : j + 2])
            return j + 2
        self.literal.append("\\")
        return j + 1

    def code_span(self, j: int, end: int) -> int:
        """A run of n backticks opens a span that the next run of exactly n closes."""
        run = _BACKTICKS.match(self.text, j, end)
        assert run is not None  # text[j] is a backtick
        n = len(run[0])
        starts = self.runs.get(n, [])
        i = bisect_right(starts, j + n - 1)
        if i < len(starts):
            close = starts[i] + n
            if close <= end and not self.crosses_blank_line(j, close):
                self.literal.append(self.text[j:close])
                return close
        self.literal.append("`" * n)
        return j + n

    def math(self, j: int, end: int) -> int:
        text = self.text
        if text.startswith("$$", j):
            close = text.find("$$", j + 2, end)
            if close != -1 and not self.crosses_blank_line(j, close):
                self.literal.append(text[j : close + 2])
                return close + 2
            self.literal.append("$$")
            return j + 2
        if j + 1 < end and not text[j + 1].isspace():
            closer = self.math_closer(j + 2, end)
            if closer is not None and not self.crosses_blank_line(j, closer):
                self.literal.append(text[j : closer + 1])
                return closer + 1
        self.literal.append("$")
        return j + 1

    def math_closer(self, start: int, end: int) -> int | None:
        """The first ``$`` after ``start`` that can close inline math.

        Prices make many openers without a closer ("$5 … $3"); the last answer is reused
        while it is still ahead, so they cost one scan, not one each.
        """
        cached_from, cached_end, cached = self.math_cache
        if cached_end == end and cached_from <= start and (cached is None or start <= cached):
            return cached
        found = _MATH_CLOSE.search(self.text, start, end)
        closer = found.start() if found else None
        self.math_cache = (start, end, closer)
        return closer

    def open_brace(self, j: int, end: int) -> int:
        match = _FIELD.match(self.text, j, end)
        field = _field(match) if match else None
        if match and field:
            self.flush()
            self.pieces.append(field)
            return match.end()
        if self.text.startswith("{{", j):
            self.literal.append("{")
            return j + 2
        self.depth += 1
        self.literal.append("{")
        return j + 1

    def close_brace(self, j: int, end: int) -> int:
        self.literal.append("}")
        if self.depth:
            self.depth -= 1
            return j + 1
        if j + 1 < end and self.text[j + 1] == "}":
            return j + 2
        return j + 1
