"""{name} interpolation: summaries within a budget, literal braces, clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jupyter_azure_ai.jupyter.context import (
    MAX_VALUE_CHARS,
    InterpolationError,
    interpolate,
    summarize,
)


def test_small_values_and_literal_braces() -> None:
    out = interpolate("{a} and {b[0]} {{x}} {c:.2f}", {"a": "A", "b": [7], "c": 3.14159})
    assert out.prompt == "A and 7 {x} 3.14" and out.truncated == []


def test_dataframe_head_tail_and_dtypes() -> None:
    df = pd.DataFrame({"x": range(100), "y": [f"v{i}" for i in range(100)]})
    text, cut = summarize(df, rows=2)
    assert cut and text.startswith("DataFrame with 100 rows x 2 columns (x: int64, y: ")
    assert "| 0 | 0 | v0 |" in text and "| 99 | 99 | v99 |" in text and "| 50 |" not in text


def test_small_dataframe_is_whole() -> None:
    text, cut = summarize(pd.DataFrame({"x": [1, 2]}), rows=5)
    assert not cut and "| 1 | 2 |" in text


def test_series_array_and_long_string() -> None:
    text, cut = summarize(pd.Series(range(50), name="n"), rows=2)
    assert cut and text.startswith("Series with 50 rows")
    text, cut = summarize(np.arange(1000).reshape(10, 100), rows=2)
    assert cut and text.startswith("array of shape (10, 100), dtype int64: [0, 1, 2")
    assert "(992 more)" in text
    text, cut = summarize("x" * (MAX_VALUE_CHARS * 2))
    assert cut and len(text) <= MAX_VALUE_CHARS and text.endswith("chars cut]")


def test_truncated_fields_are_reported() -> None:
    out = interpolate("{df}", {"df": pd.DataFrame({"x": range(30)})}, rows=3)
    assert out.truncated == ["df"]


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{missing}", "{missing} is not defined in the notebook"),
        ("{a.nope}", "{a.nope} is not defined"),
        ("{a:%Y}", "{a:%Y} could not be formatted"),
    ],
)
def test_errors_name_the_field(template: str, message: str) -> None:
    with pytest.raises(InterpolationError, match=message):
        interpolate(template, {"a": 1})


@pytest.mark.parametrize("template", ["{}", "{unclosed", "closed}", '{"a": 1}'])
def test_braces_that_are_not_fields_are_sent_as_written(template: str) -> None:
    """Once errors under str.format; the field rule (api.md §3) sends them unchanged."""
    assert interpolate(template, {"a": 1}).prompt == template
