"""``{name}`` in a ``%%azure`` cell: notebook variables put into the prompt.

Which braces are fields is decided by ``jupyter_azure_ai.templates`` (the one rule shared
with the row templates): JSON, code and math in a cell reach the model as written.

Small values are inserted as ``str(value)``. A pandas DataFrame or Series, a numpy
array or a long string is inserted as a compact summary within a character budget
(shape, dtypes, head and tail rows as a Markdown table), and the caller is told it
was truncated. With ``rows=0`` (``%azure config context_rows=0``) such a value goes in
as its schema only — shape, columns, dtypes, null counts, and the min and max of numeric
columns — with no row, and the caller is told so. pandas and numpy are never imported
here: a value is recognised by its type's module, so a notebook without them pays nothing.

A value that is an image (a matplotlib Figure or Axes, a PIL image, PNG/JPEG bytes, the
path of an image file: ``images.is_image_source``) is not text: the prompt reads
``[image N]`` there and the value is listed in ``images``, to be sent as an image part
(``cell_images.py``); ``{fig!s}`` inserts its text instead.

IPython's ``In`` and ``Out``, the magic's ``Err`` (errors by cell) and ``_`` are plain
variables here; an index that is not there (``{Out[7]}`` of a cell without output) says
which cells there are, and nothing is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..images import is_image_source
from ..templates import Field, FieldError, PromptTemplate, TemplateError

MAX_VALUE_CHARS = 4_000  # about 1,000 tokens per inserted value


class InterpolationError(TemplateError):
    """A ``{name}`` that the notebook does not define or cannot format (nothing is sent)."""


@dataclass
class Interpolated:
    prompt: str
    truncated: list[str] = field(default_factory=list)
    schema_only: list[str] = field(default_factory=list)  # sent without values (rows=0)
    images: list[tuple[str, Any]] = field(default_factory=list)  # (field name, value)


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


def _range(values: Any) -> str:
    """``min to max`` of a numeric pandas Series or numpy array ("" when not numeric)."""
    kind = getattr(getattr(values, "dtype", None), "kind", "")
    if kind not in "iuf" or not kind:
        return ""
    try:
        low, high = values.min(), values.max()
    except (TypeError, ValueError):
        return ""
    if low != low:  # all NaN
        return ""
    return f"{low} to {high}"


def schema(value: Any) -> str | None:
    """A DataFrame, Series or numpy array without its values (None for anything else)."""
    module = type(value).__module__.split(".")[0]
    kind = type(value).__name__
    if module == "pandas" and kind in ("DataFrame", "Series"):
        frame = value.to_frame(name=value.name or "value") if kind == "Series" else value
        nulls = frame.isna().sum()
        rows = [[str(c), str(t), int(nulls[c]), _range(frame[c])] for c, t in frame.dtypes.items()]
        head = (
            f"{kind} with {len(frame)} rows x {len(frame.columns)} columns (schema only, no rows)"
        )
        return head + "\n\n" + _table(["column", "dtype", "nulls", "range"], rows)
    if module == "numpy" and kind == "ndarray":
        span = _range(value) if value.size else ""
        text = f"array of shape {value.shape}, dtype {value.dtype} (schema only, no values)"
        return text + (f"; range {span}" if span else "")
    return None


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
    schema_only: list[str] = []
    images: list[tuple[str, Any]] = []

    def present(ref: Field, value: Any) -> str:
        if ref.conversion or ref.spec:
            return ref.format(value)
        if is_image_source(value):  # sent as an image part; the text says where it was
            for n, (_, seen) in enumerate(images, 1):
                if seen is value:
                    return f"[image {n}]"
            images.append((ref.name, value))
            return f"[image {len(images)}]"
        shape = schema(value) if rows <= 0 else None
        if shape is not None:
            if ref.name not in schema_only:
                schema_only.append(ref.name)
            return _budget(shape)
        text, cut = summarize(value, rows)
        if cut and ref.name not in truncated:
            truncated.append(ref.name)
        return text

    try:
        prompt = PromptTemplate(template).fill(namespace, present)
    except FieldError as exc:
        written = f"{{{exc.field.text}}}"
        missing_cell = _missing_cell(exc, namespace)
        if missing_cell:
            problem = f"{written}: {missing_cell}"
        elif exc.reason == "format":
            problem = f"{written} could not be formatted ({exc.detail})"
        else:
            problem = f"{written} is not defined in the notebook ({exc.detail})"
        raise InterpolationError(
            f"{problem}; nothing was sent — write {{{{ and }}}} for literal braces"
        ) from None
    return Interpolated(prompt, truncated, schema_only, images)


def _budget(text: str) -> str:
    if len(text) > MAX_VALUE_CHARS:
        return text[: MAX_VALUE_CHARS - 40] + f"… [{len(text) - MAX_VALUE_CHARS + 40} chars cut]"
    return text


def _cells(numbers: Any) -> str:
    shown = sorted(n for n in numbers if isinstance(n, int))
    if not shown:
        return "none"
    if len(shown) > 8:
        return ", ".join(map(str, shown[:3])) + ", …, " + ", ".join(map(str, shown[-3:]))
    return ", ".join(map(str, shown))


def _missing_cell(exc: FieldError, namespace: Mapping[str, Any]) -> str | None:
    """What is wrong with ``{In[n]}``, ``{Out[n]}`` or ``{Err[n]}`` whose cell is not
    there (None for any other failure)."""
    field_ = exc.field
    if exc.reason != "lookup" or field_.root not in ("In", "Out", "Err") or not field_.path:
        return None
    kind, key = field_.path[0]
    if kind != "item" or not isinstance(key, int):
        return None
    have = namespace.get(field_.root)
    if field_.root == "In":
        last = len(have) - 1 if isinstance(have, list) else 0
        return f"there is no cell [{key}] (cells 1 to {last} ran so far)"
    if field_.root == "Out":
        return f"cell [{key}] has no output (cells with output: {_cells(have or {})})"
    return f"cell [{key}] raised no error (cells that did: {_cells(have or {})})"
