"""Output- and error-file lines back into rows: answer, structured object, error, usage.

A line is matched to its row by ``custom_id`` (the row's position; the service does not
keep input order). A 200 line is read as ``map_rows`` reads a streamed answer — its
text, its ``refusal`` (``AnswerError("error_refusal")``), a completion the content
filter stopped (``ContentFilterError``), a structured answer parsed by the same
``OutputFormat`` (a cut-off one is ``error_max_tokens``, one that does not follow the
schema ``error_structured_output``: a batch has no repair turn) — and any other line
becomes the error ``failures.batch_row_error`` translates. Costs use the Batch price
(``pricing.cost_usd(..., batch=True)``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .._internal.failures import batch_row_error, completion_filtered, filtered_categories
from .._internal.stream import usage_to_claude
from ..mapping import AnswerError
from ..pricing import cost_usd
from ..structured import AnswerProblem, OutputFormat

Kept = tuple[str | None, Any, BaseException | None]


@dataclass
class BatchStats:
    """Totals of a batch's results (``result.attrs["azure_batch"]``)."""

    total: int = 0
    ok: int = 0
    failed: int = 0
    not_run: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    jobs: int = 0
    seconds: float | None = None  # from the first job's creation to the last one's end
    started: float = field(default_factory=time.perf_counter)

    def add_usage(self, usage: Mapping[str, int], cost: float | None) -> None:
        self.input_tokens += usage.get("input_tokens", 0)
        self.output_tokens += usage.get("output_tokens", 0)
        if cost is not None:
            self.cost_usd = (self.cost_usd or 0.0) + cost

    def summary(self) -> str:
        """One line: rows ok / failed / not run, tokens, cost at the Batch price, jobs, time."""
        cost = (
            f"${self.cost_usd:.4f} at the Batch price"
            if self.cost_usd is not None
            else "cost unknown"
        )
        took = f" · {self.seconds:,.1f} s from submission" if self.seconds is not None else ""
        not_run = f", {self.not_run} not run" if self.not_run else ""
        return (
            f"{self.total} rows: {self.ok} ok, {self.failed} failed{not_run}"
            f" · {self.input_tokens:,} in + {self.output_tokens:,} out tokens · {cost}"
            f" · {self.jobs} job{'s' if self.jobs != 1 else ''}{took}"
        )


def position_of(line: Mapping[str, Any], rows: int, shift: int = 0) -> int | None:
    """The row a line answers (its ``custom_id`` plus ``shift``), or None when it names no
    row of ours."""
    custom = line.get("custom_id")
    try:
        position = int(str(custom)) + shift
    except ValueError:
        return None
    return position if 0 <= position < rows else None


def read_answer(
    line: Mapping[str, Any],
    output: OutputFormat | None,
    deployment: str,
    pricing: Mapping[str, Mapping[str, float]] | None,
) -> tuple[Kept, dict[str, int], float | None]:
    """One line as ``(text, structured, error)``, its usage and its cost."""
    response = line.get("response")
    body = response.get("body") if isinstance(response, Mapping) else None
    status = response.get("status_code") if isinstance(response, Mapping) else None
    if status != 200 or not isinstance(body, Mapping) or line.get("error"):
        return (None, None, batch_row_error(line, deployment)), {}, None
    usage = (
        usage_to_claude(body.get("usage") or {}) if isinstance(body.get("usage"), Mapping) else {}
    )
    cost = cost_usd(usage, deployment, body.get("model"), pricing, batch=True) if usage else None
    choices = body.get("choices")
    choice = choices[0] if isinstance(choices, list) and choices else {}
    message = choice.get("message") if isinstance(choice, Mapping) else None
    message = message if isinstance(message, Mapping) else {}
    content = message.get("content")
    text: str = content if isinstance(content, str) else ""
    finish = choice.get("finish_reason") if isinstance(choice, Mapping) else None
    refusal = message.get("refusal")
    if isinstance(refusal, str) and refusal:
        error = AnswerError(
            "error_refusal: the model refused", subtype="error_refusal", text=refusal
        )
        return (None, None, error), usage, cost
    if finish == "content_filter":
        cats = filtered_categories(choice.get("content_filter_results"))
        return (None, None, completion_filtered(cats, text)), usage, cost
    if output is None:
        return (text, None, None), usage, cost
    if finish == "length":
        error = AnswerError(
            "error_max_tokens: the answer was cut off at max_tokens",
            subtype="error_max_tokens",
            text=text,
        )
        return (None, None, error), usage, cost
    try:
        structured = output.parse(text)
    except AnswerProblem as problem:
        error = AnswerError(
            f"error_structured_output: the answer did not match the schema ({problem})",
            subtype="error_structured_output",
            text=text,
        )
        return (None, None, error), usage, cost
    return (text, structured, None), usage, cost


def parse_line(raw: str) -> Mapping[str, Any] | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, Mapping) else None
