"""``{name}`` in a ``%%azure`` cell: notebook variables put into the prompt.

Which braces are fields is decided by ``jupyter_azure_ai.templates`` (the one rule shared
with the row templates): JSON, code and math in a cell reach the model as written.

Small values are inserted as ``str(value)``. A pandas DataFrame or Series, a numpy
array or a long string is inserted as a compact summary within a character budget
(shape, dtypes, head and tail rows as a Markdown table), and the caller is told it
was truncated. pandas and numpy are never imported here: a value is recognised by
its type's module, so a notebook without them pays nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..templates import Field, FieldError, PromptTemplate, TemplateError

MAX_VALUE_CHARS = 4_000  # about 1,000 tokens per inserted value


class InterpolationError(TemplateError):
    """A ``{name}`` that the notebook does not define or cannot format (nothing is sent)."""


@dataclass
class Interpolated:
    prompt: str
    truncated: list[str] = field(default_factory=list)


def _cell(value: Any) -> str:
    text = str(value).replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= 40 else text[:39] + "…"


def _table(columns: list[str], rows: list[list[Any]]) -> str:
    head = "| " + " | ".join(_cell(c) for c in columns) + " |"
    rule = "|" + "|".join("---" for _ in columns) + "|"
    body = ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join([head, rule, *body])


def _frame_summary(df: Any, rows: int) -> tuple[str, bool]:
    n = len(df)
    shown = df if n <= 2 * rows else None
    columns = ["", *[str(c) for c in df.columns]]
    if shown is not None:
        table_rows = [[i, *r] for i, r in zip(df.index, df.itertuples(index=False), strict=True)]
    else:
        head, tail = df.head(rows), df.tail(rows)
        gap = ["…"] * len(columns)
        table_rows = [
            *([i, *r] for i, r in zip(head.index, head.itertuples(index=False), strict=True)),
            gap,
            *([i, *r] for i, r in zip(tail.index, tail.itertuples(index=False), strict=True)),
        ]
    dtypes = ", ".join(f"{c}: {t}" for c, t in df.dtypes.items())
    text = f"DataFrame with {n} rows x {len(df.columns)} columns ({dtypes})\n\n" + _table(
        columns, [list(r) for r in table_rows]
    )
    return text, shown is None


def summarize(value: Any, rows: int = 5) -> tuple[str, bool]:
    """(text for the prompt, whether it was shortened)."""
    module = type(value).__module__.split(".")[0]
    kind = type(value).__name__
    if module == "pandas" and kind == "DataFrame":
        text, cut = _frame_summary(value, rows)
    elif module == "pandas" and kind == "Series":
        text, cut = _frame_summary(value.to_frame(name=value.name or "value"), rows)
        text = "Series" + text[len("DataFrame") :]
    elif module == "numpy" and kind == "ndarray":
        flat = value.ravel()
        cut = flat.size > 2 * rows * 4
        items = flat[: rows * 4].tolist() if cut else flat.tolist()
        more = f", … ({flat.size - len(items)} more)" if cut else ""
        text = f"array of shape {value.shape}, dtype {value.dtype}: {items}{more}"
    else:
        text, cut = str(value), False
    if len(text) > MAX_VALUE_CHARS:
        text = text[: MAX_VALUE_CHARS - 40] + f"… [{len(text) - MAX_VALUE_CHARS + 40} chars cut]"
        cut = True
    return text, cut


def interpolate(template: str, namespace: Mapping[str, Any], rows: int = 5) -> Interpolated:
    """Fill the cell's ``{name}`` fields from ``namespace`` by the rule of ``templates``.

    JSON, dict/set literals, code and math stay as written; ``{{``/``}}`` escape. A bare
    ``{df}`` goes in as a summary (``summarize``) and is listed in ``truncated`` when
    shortened; a field with ``!r`` or ``:spec`` is formatted as written, as the user asked
    for exactly that. A field that cannot be filled raises InterpolationError before
    anything is sent: a typo must not reach the model as text.
    """
    truncated: list[str] = []

    def present(ref: Field, value: Any) -> str:
        if ref.conversion or ref.spec:
            return ref.format(value)
        text, cut = summarize(value, rows)
        if cut and ref.name not in truncated:
            truncated.append(ref.name)
        return text

    try:
        prompt = PromptTemplate(template).fill(namespace, present)
    except FieldError as exc:
        written = f"{{{exc.field.text}}}"
        if exc.reason == "format":
            problem = f"{written} could not be formatted ({exc.detail})"
        else:
            problem = f"{written} is not defined in the notebook ({exc.detail})"
        raise InterpolationError(
            f"{problem}; nothing was sent — write {{{{ and }}}} for literal braces"
        ) from None
    return Interpolated(prompt, truncated)
