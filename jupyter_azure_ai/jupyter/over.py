"""``%%azure --over NAME``: the cell is a row template, run over a notebook variable.

``map_rows`` does the work (on the kernel's loop thread; this, the cell's thread, shows
the tqdm bar and waits, so Ctrl-C stops at once and keeps what finished). The result
lands in ``_azure`` and ``--out``; a summary line follows: rows ok / failed / cached,
tokens, cost, 429s seen, wall time, rows/s. ``--dry-run`` sends nothing: it shows the
row count, the first prompt as it would be sent and an *estimate* of the input tokens
(about four characters a token, as Azure estimates at admission) and of their cost.

Every piece of outside text shown here — the data in the rendered prompt, an error's
service message — goes through ``render.py``.
"""

from __future__ import annotations

import argparse
import math
from typing import Any

from IPython.core.error import UsageError

from ..options import AzureOpenAIOptions
from ..templates import TemplateError

PREVIEW_CHARS = 2000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``--over`` options of the ``%%azure`` line."""
    add = parser.add_argument
    add("--over", metavar="NAME", help="run the cell as a template over the rows of NAME")
    add("--concurrency", type=int, metavar="N", help="with --over: at most N rows at once")
    add("--no-cache", action="store_true", help="with --over: ask again, ignore cached answers")
    add("--dry-run", action="store_true", help="with --over: show what would be sent, send nothing")


def run_over(shell: Any, args: argparse.Namespace, cell: str, options: AzureOpenAIOptions) -> Any:
    """Run ``cell`` over ``args.over``; store and return the result (None for a dry run)."""
    from ..mapping import map_rows, prepare

    namespace = shell.user_ns if shell is not None else {}
    if args.over not in namespace:
        raise UsageError(f"--over {args.over}: no variable of that name in the notebook")
    data = namespace[args.over]
    if args.concurrency is not None and args.concurrency < 1:
        raise UsageError(f"--concurrency must be a positive number, got {args.concurrency}")
    output_format = None
    schema = getattr(args, "schema", None)  # --schema (structured output, issue #12 §1)
    if schema is not None:
        if schema not in namespace:
            raise UsageError(f"--schema {schema}: no variable of that name in the notebook")
        output_format = namespace[schema]
    template = cell.strip("\n")
    try:
        parsed, rows = prepare(data, template)
    except (TemplateError, TypeError) as exc:
        raise UsageError(f"--over {args.over}: {exc}") from None
    batch = getattr(args, "batch_api", False)  # --batch-api (issue #13, batch_magic.py)
    if args.dry_run:
        _show_dry_run(parsed, rows, options, batch=batch)
        return None
    if batch:
        from .batch_magic import run_batch

        run_batch(shell, args, parsed, data, output_format, options)
        return None
    result = map_rows(
        data,
        parsed,
        options,
        output_format=output_format,
        concurrency=args.concurrency,
        cache=not args.no_cache,
        progress=True,
    )
    stats = result.attrs["azure_map"]
    _show_summary(stats.summary(), _first_error(result))
    if shell is not None:
        shell.user_ns["_azure"] = result
        if args.out:
            shell.user_ns[args.out] = result
    return None


def _first_error(result: Any) -> str:
    if not hasattr(result, "columns") or "error" not in result.columns:
        return ""
    failed = result["error"].dropna()
    if failed.empty:
        return ""
    first = failed.iloc[0]
    return f"{len(failed)} failed; first ({failed.index[0]!r}): {type(first).__name__}: {first}"


def _show_summary(summary: str, error: str) -> None:
    from IPython.display import display

    from . import render

    text = summary if not error else f"{summary}\n{error}"
    html = render.footer_html(summary) + (render.footer_html(error) if error else "")
    display({"text/html": html, "text/plain": render.plain_text(text)}, raw=True)


def _show_dry_run(
    parsed: Any, rows: Any, options: AzureOpenAIOptions, *, batch: bool = False
) -> None:
    from IPython.display import display

    from . import render

    first = ""
    chars = 0
    for n, row in enumerate(rows.rows()):
        try:
            prompt = parsed.fill(row)
        except TemplateError:
            continue
        if n == 0 or not first:
            first = prompt
        chars += len(prompt)
    tokens = math.ceil(chars / 4)
    from ..pricing import price_for

    deployment = options.settings.batch_deployment if batch else options.model
    price = price_for(deployment, None, options.pricing)  # the deployment's name
    which = ""
    if price is not None and batch:
        which = " at the Batch price" + ("" if price.batch_prices else " (half)")
        price = price.batch()
    cost = (
        f"≈ ${tokens * price.input / 1_000_000:.4f} for the input{which}"
        if price is not None
        else "cost unknown (no price for this deployment)"
    )
    via = " through the Batch API (results within 24 h)" if batch else ""
    head = (
        f"dry run, nothing sent: {rows.count} rows to deployment {deployment}{via}"
        f" · ≈ {tokens:,} input tokens (an estimate: ~4 characters a token) · {cost};"
        f" answers add up to {options.max_tokens:,} output tokens a row"
    )
    preview = first if len(first) <= PREVIEW_CHARS else first[:PREVIEW_CHARS] + "…"
    html = (
        render.footer_html(head)
        + f'<div class="{render.IGNORE_MATH}"><p>first prompt:</p>'
        + f"<pre>{render.text_html(preview)}</pre></div>\n"
    )
    plain = f"{render.one_line(head)}\nfirst prompt:\n{render.plain_text(preview)}"
    display({"text/html": html, "text/plain": plain}, raw=True)
