"""The notebook assistant's pure parts: traceback trimming, the names a cell uses, the fix
request, code extraction, the emulator's fixes, and DataFrames as schema only."""

from __future__ import annotations

import sysconfig
import traceback
from pathlib import Path

import pandas as pd
import pytest

from jupyter_azure_ai.emulator import fixes
from jupyter_azure_ai.jupyter.code_cells import answer_code, code_blocks
from jupyter_azure_ai.jupyter.context import InterpolationError, interpolate, schema
from jupyter_azure_ai.jupyter.fix import (
    FIX_SYSTEM_PROMPT,
    CellError,
    describe_names,
    fix_prompt,
    is_azure_cell,
    library_name,
    trim_frames,
    used_names,
)

SITE = sysconfig.get_paths()["purelib"]
STDLIB = sysconfig.get_paths()["stdlib"]
CELLS = {"/tmp/ipykernel_1/111.py": 3, "/tmp/ipykernel_1/222.py": 2}


def frame(filename: str, lineno: int, name: str, line: str = "") -> traceback.FrameSummary:
    return traceback.FrameSummary(filename, lineno, name, line=line or None, lookup_line=False)


def test_trim_keeps_cells_and_user_files_and_folds_library_runs() -> None:
    frames = [
        frame(f"{SITE}/IPython/core/interactiveshell.py", 3577, "run_code", "exec(code_obj)"),
        frame("/tmp/ipykernel_1/111.py", 4, "<module>", "clean(df)"),
        frame("/tmp/ipykernel_1/222.py", 2, "clean", "return df.pivot('a')"),
        frame(f"{SITE}/pandas/core/frame.py", 9000, "pivot"),
        frame(f"{SITE}/pandas/core/reshape/pivot.py", 500, "pivot"),
        frame(f"{SITE}/numpy/core/fromnumeric.py", 40, "_wrapit"),
        frame(str(Path.cwd() / "helpers" / "prep.py"), 7, "fill", "x = y"),
        frame(f"{STDLIB}/json/decoder.py", 337, "decode"),
    ]
    assert trim_frames(frames, CELLS.get) == [
        "  Cell [3], line 4, in <module>",
        "    clean(df)",
        "  Cell [2], line 2, in clean",
        "    return df.pivot('a')",
        "  … 3 frames in pandas, numpy (innermost: _wrapit)",
        f"  File {Path('helpers') / 'prep.py'}, line 7, in fill",
        "    x = y",
        "  … 1 frame in Python (innermost: decode)",
    ]


def test_trim_never_sends_a_home_folder() -> None:
    lines = trim_frames([frame("/home/alice/secret-project/tool.py", 1, "f")], CELLS.get)
    assert lines == ["  File tool.py, line 1, in f"]


def test_trim_of_a_syntax_error_has_no_frames() -> None:
    assert trim_frames([], CELLS.get) == []


def test_library_name() -> None:
    assert library_name(f"{SITE}/pandas/core/frame.py") == "pandas"
    assert library_name(f"{SITE}/six.py") == "six"
    assert library_name(f"{STDLIB}/json/decoder.py") == "Python"
    assert library_name("<frozen runpy>") == "Python"
    assert library_name("/tmp/ipykernel_1/111.py") is None


def test_used_names_in_order_and_bound_ones_not_reported_undefined() -> None:
    source = "import numpy as np\ndef f(a):\n    return a + totl\nout = f(hits) / np.sum(values)"
    assert used_names(source) == ["np", "f", "a", "totl", "hits", "values"]
    described = describe_names(source, {"total": 1, "hits": 2, "df": pd.DataFrame({"x": [1]})})
    assert described == [
        "`totl`: not defined (defined names close to it: `total`)",
        "`hits`: int",
        "`values`: not defined",
    ]
    assert used_names("x = (") == []
    assert describe_names("pritn(lenght)", {"length": 3}) == [
        "`pritn`: not defined (defined names close to it: `print`)",  # builtins count too
        "`lenght`: not defined (defined names close to it: `length`)",
    ]
    crowded = {"tota": 1, "totals": 2, "totl2": 3}
    assert describe_names("totl", crowded) == [
        "`totl`: not defined (defined names close to it: `totl2`, `totals`, `tota`)"
    ]


def test_describe_names_types_without_values() -> None:
    ns = {"df": pd.DataFrame({"name": ["Alice"], "age": [41]}), "s": "Alice", "xs": [1, 2]}
    text = "\n".join(describe_names("df, s, xs, len", ns))
    assert "`df`: DataFrame, 1 rows x 2 columns: name (" in text and "age (int64)" in text
    assert "`s`: str of length 5" in text and "`xs`: list of length 2" in text
    assert "Alice" not in text and "41" not in text and "`len`" not in text


def test_fix_prompt_fences_a_cell_that_holds_fences() -> None:
    error = CellError(
        execution_count=5,
        source='doc = """\n```python\nx\n```\n"""\nprint(totl)',
        type_name="NameError",
        message="NameError: name 'totl' is not defined",
        frames=("  Cell [5], line 6, in <module>", "    print(totl)"),
        names=("`totl`: not defined (defined names close to it: `total`)",),
    )
    prompt = fix_prompt(error)
    assert "\n````python\n" in prompt and prompt.count("\n````\n") == 1
    answer = fixes.fix_answer(prompt)  # the emulator reads it back whole
    assert answer_code(answer, first_only=True) == error.source.replace("totl", "total")


def test_the_emulator_recognises_the_fix_system_prompt() -> None:
    assert FIX_SYSTEM_PROMPT.startswith(fixes.FIX_OPENING)
    assert fixes.is_fix_request([{"role": "system", "content": FIX_SYSTEM_PROMPT}])
    assert not fixes.is_fix_request([{"role": "system", "content": "Be brief."}])
    assert not fixes.is_fix_request([{"role": "user", "content": FIX_SYSTEM_PROMPT}])


def _prompt(source: str, report: str, names: tuple[str, ...] = ()) -> str:
    kind = report.splitlines()[-1].partition(":")[0]
    lines = tuple(report.splitlines()[:-1])
    return fix_prompt(CellError(1, source, kind, report.splitlines()[-1], lines, names))


def test_emulator_fixes_zero_division_inside_a_function() -> None:
    source = "def ratio(a, b):\n    return a / b\n\nr = ratio(1, 0)"
    report = (
        "Traceback (most recent call last):\n  Cell [1], line 4, in <module>\n"
        "    r = ratio(1, 0)\n  Cell [1], line 2, in ratio\n    return a / b\n"
        "ZeroDivisionError: division by zero"
    )
    code = answer_code(fixes.fix_answer(_prompt(source, report)), first_only=True)
    assert code is not None
    namespace: dict[str, object] = {}
    exec(code, namespace)  # the corrected cell runs without the error
    assert namespace["r"] is None
    assert "    except ZeroDivisionError:" in code


def test_emulator_without_a_known_fix_gives_no_code() -> None:
    answer = fixes.fix_answer(_prompt("open('x')", "FileNotFoundError: [Errno 2] x"))
    assert answer.startswith("The cell raised FileNotFoundError: [Errno 2] x")
    assert answer_code(answer) is None
    no_match = fixes.fix_answer(_prompt("print(zzz)", "NameError: name 'zzz' is not defined"))
    assert answer_code(no_match) is None


@pytest.mark.parametrize(
    ("markdown", "joined", "first"),
    [
        ("no code at all", None, None),
        ("```python\na = 1\n```\ntext\n```py\nb = 2\n```", "a = 1\n\nb = 2", "a = 1"),
        ("```bash\npip install x\n```\n```\nc = 3\n```", "c = 3", "c = 3"),  # unlabelled is Python
        ("```bash\npip install x\n```", "pip install x", "pip install x"),  # none: the first
        ("- step\n\n  ```Python\n  d = 4\n  ```", "d = 4", "d = 4"),  # in a list item
        ("````python\n```\ninner\n```\n````", "```\ninner\n```", "```\ninner\n```"),
        ("~~~python\ne = 5\n~~~", "e = 5", "e = 5"),
        ("inline `f = 6` only", None, None),
        ("```python\n\n```", None, None),  # an empty block is no code
    ],
)
def test_answer_code(markdown: str, joined: str | None, first: str | None) -> None:
    assert answer_code(markdown) == joined
    assert answer_code(markdown, first_only=True) == first


def test_code_blocks_languages() -> None:
    assert code_blocks("```Python title=x\na\n```\n```\nb\n```") == [("python", "a\n"), ("", "b\n")]


def test_schema_of_a_frame_series_and_array() -> None:
    df = pd.DataFrame({"who": ["Alice", None, "Bob"], "age": [41, 37, None]})
    text = schema(df)
    assert text is not None
    assert text.startswith("DataFrame with 3 rows x 2 columns (schema only, no rows)")
    assert "| age | float64 | 1 | 37.0 to 41.0 |" in text
    assert "Alice" not in text and "Bob" not in text
    series = schema(pd.Series([1, 2, 3], name="n"))
    assert series is not None and series.startswith("Series with 3 rows x 1 columns")
    np = pytest.importorskip("numpy")
    assert schema(np.array([[1.0, 2.0]])) == (
        "array of shape (1, 2), dtype float64 (schema only, no values); range 1.0 to 2.0"
    )
    assert schema("a string") is None and schema(3) is None


def test_interpolate_with_zero_rows() -> None:
    df = pd.DataFrame({"who": ["Alice"]})
    filled = interpolate("{df} and {n} and {df!r}", {"df": df, "n": 7}, rows=0)
    assert filled.schema_only == ["df"] and not filled.truncated
    assert "Alice" in filled.prompt  # {df!r} asks for exactly that: as written
    assert "Alice" not in interpolate("{df} and {n}", {"df": df, "n": 7}, rows=0).prompt


def test_missing_cells_name_what_there_is() -> None:
    ns = {"In": ["", "a = 1", "a"], "Out": {2: 1}, "Err": {}}
    with pytest.raises(
        InterpolationError, match=r"\{In\[5\]\}: there is no cell \[5\] \(cells 1 to 2"
    ):
        interpolate("{In[5]}", ns)
    with pytest.raises(
        InterpolationError, match=r"cell \[1\] has no output \(cells with output: 2\)"
    ):
        interpolate("{Out[1]}", ns)
    with pytest.raises(InterpolationError, match=r"raised no error \(cells that did: none\)"):
        interpolate("{Err[1]}", ns)
    assert interpolate("{In[1]} {Out[2]}", ns).prompt == "a = 1 1"


def test_azure_cells_are_not_the_notebooks_errors() -> None:
    assert is_azure_cell("\n%%azure --code\nx")
    assert is_azure_cell("%azure fix")
    assert not is_azure_cell("x = 1\n%azure fix")


def test_help_names_the_assistant() -> None:
    from jupyter_azure_ai.jupyter.magics import CELL_PARSER, help_text

    text = help_text()
    assert "%azure fix [N]" in text and "--code" in text and "{code,markdown,text}" not in text
    assert "{In[3]} {Out[3]} {Err[3]}" in text and "{_}" in text
    assert CELL_PARSER.parse_line("-f code").format == "code"
    assert CELL_PARSER.parse_line("--code").code is True


def test_attribute_hint() -> None:
    from jupyter_azure_ai.jupyter.fix import attribute_hint

    df = pd.DataFrame({"amount": [1]})
    try:
        df.amout  # noqa: B018
    except AttributeError as exc:
        assert attribute_hint(exc) == [
            "attribute `amout` of DataFrame: not there (attributes close to it: `amount`, `count`)"
        ]
    assert attribute_hint(AttributeError("made by hand")) == []
    assert attribute_hint(KeyError("amout")) == []
