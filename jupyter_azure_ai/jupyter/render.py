"""The one renderer of outside text (model answers, tool calls and results, service
messages) into cell outputs.

Why this module exists: JupyterLab (and Notebook 7) trust every output that a running
kernel produces. A trusted ``text/html`` or ``text/markdown`` output is put into the
page without sanitising, so script in it runs with the page's rights, which include
driving the Jupyter server API (running code in any kernel). Model output is
attacker-controlled as soon as a prompt carries outside text (a document, a web page,
a DataFrame of customer e-mails): prompt injection can make a model write
``<img src=x onerror=...>``, a ``javascript:`` link or an image whose URL carries the
conversation away.

So the kernel renders outside text itself, to HTML built from an allowlist, and sends
``text/html`` (plus ``text/plain``): no front end re-parses model text with its own
rules. Markdown goes through markdown-it-py (CommonMark; tables, strikethrough, GFM
bare-URL autolinks, ``$``/``$$``/``\\(``/``\\[`` math) with raw HTML off, so HTML in an
answer is shown as text. What may come out:

- elements: ``p br hr h1-h6 strong em s code pre blockquote ul ol li table thead tbody
  tr th td a img span div details summary sub``; no ``style``, no event handlers, no
  ``id``; ``class`` only in the forms this module writes (``language-<name>`` on code
  from a fence's info string, and the MathJax classes below);
- links (``href``): ``http``, ``https`` and ``mailto``, opening in a new tab with
  ``rel="noopener noreferrer nofollow"`` and ``referrerpolicy="no-referrer"`` (JupyterLab
  rewrites ``rel`` to ``noopener`` but keeps the policy), and in-page ``#anchors``; judged
  on the URL as a browser sees it (entities decoded, percent-encoded). Anything else
  (``javascript:``, ``vbscript:``, ``data:``, ``file:``, relative paths, obfuscated
  forms) is not a link: markdown-it shows its source as text;
- images: nothing loads without a click. A remote image becomes a link showing its alt
  text and host; an inline ``data:image/png|jpeg|gif|webp`` image up to
  ``MAX_INLINE_IMAGE_CHARS`` shows; SVG never (it is a document, not a picture);
- math: JupyterLab runs MathJax over every HTML output, and MathJax has its own
  parser (it would typeset ``$\\href{...}{x}$`` into a link, wherever the dollars
  are). Each rendered fragment is marked ``mathjax_ignore tex2jax_ignore`` and only
  the math that markdown-it found, and that uses no command able to link, load or
  style (``\\href``, ``\\url``, ``\\require``, ``\\style``, ...), is marked
  ``mathjax_process tex2jax_process`` and typesets (MathJax 3 in JupyterLab and
  Notebook 7, MathJax 2 in nbconvert's HTML).

Plain text (``text/plain`` and the one-line error traceback, which terminals and
JupyterLab read ANSI escapes from) goes through :func:`plain_text` /
:func:`one_line`: control characters are shown as visible symbols, never acted on.

:func:`render_markdown` is a pure function ``str -> str``; markdown-it is imported on
first use, so ``import jupyter_azure_ai`` and ``%load_ext`` stay light.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.rules_inline import StateInline
    from markdown_it.token import Token

MAX_INLINE_IMAGE_CHARS = 200_000
"""Longest ``data:image/...`` URL shown as an image (about 150 KB of picture)."""
LINK_REL = "noopener noreferrer nofollow"
EXTERNAL = (("target", "_blank"), ("rel", LINK_REL), ("referrerpolicy", "no-referrer"))
IGNORE_MATH = "mathjax_ignore tex2jax_ignore"
PROCESS_MATH = "mathjax_process tex2jax_process"

_DATA_IMAGE = re.compile(r"data:image/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/]+={0,2}\Z")
_LANGUAGE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_+#.-]{0,39}", re.ASCII)
_ALIGN = re.compile(r"text-align:(left|center|right)")
# TeX commands that make links, load code or set styles, classes, ids or attributes
# (MathJax's html, url, require, bbox, unicode, action and mathtools-style packages)
_UNSAFE_TEX = re.compile(
    r"\\(?:href|url|require|style|class|cssId|data|bbox|unicode|mmlToken|csname|setOptions"
    r"|texttip|mathtip|toggle)(?![A-Za-z])"
)
_CONTROL = re.compile(r"\r\n?|[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_MATH_CLOSE = {"$": "$", "$$": "$$", "\\(": "\\)", "\\[": "\\]"}


# --- plain text ---------------------------------------------------------------------


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    if char[0] == "\r":
        return "\n"  # a lone CR would let text overwrite the line before it
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # U+2400 control pictures: ESC shows as ␛
    if code == 0x7F:
        return "\u2421"  # ␡
    return "\ufffd"  # C1 controls (0x9b is a one-byte CSI)


def plain_text(text: str) -> str:
    """Outside text made safe for ``text/plain``: newlines and tabs kept, every other
    control character (ESC, CR, backspace, C1) shown as a visible symbol."""
    return _CONTROL.sub(_visible, text)


def one_line(text: str) -> str:
    """:func:`plain_text` on one line (whitespace runs become one space): for error
    lines, summaries and footers."""
    return " ".join(plain_text(text).split())


def text_html(text: str) -> str:
    """Outside text as HTML text (escaped, control characters visible); no markup."""
    return escape(plain_text(text), quote=True)


# --- links and images ---------------------------------------------------------------


def link_allowed(url: str) -> bool:
    """Whether ``url`` (as markdown-it normalised it) may be a link's ``href``."""
    if not url or not url.isascii() or any(c <= " " or c == "\x7f" for c in url):
        return False
    lowered = url.lower()
    if lowered.startswith("#"):
        return True
    if lowered.startswith("mailto:"):
        return len(url) > len("mailto:")
    if lowered.startswith(("http://", "https://")):
        return bool(_host(url))
    return False


def inline_image_allowed(url: str) -> bool:
    """Whether ``url`` may be an ``<img src>``: a small inline raster image, no SVG."""
    return len(url) <= MAX_INLINE_IMAGE_CHARS and _DATA_IMAGE.match(url) is not None


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:  # a bad port or IPv6 literal
        return ""


def _attrs(pairs: Sequence[tuple[str, str]]) -> str:
    return "".join(f' {name}="{escape(value, quote=True)}"' for name, value in pairs)


def _anchor(href: str, title: str = "") -> str:
    """``<a ...>`` for an allowed URL; a bare ``<a>`` (no link, shown as text) otherwise."""
    if not link_allowed(href):
        return "<a>"
    pairs = [("href", href)]
    if title:
        pairs.append(("title", title))
    if not href.startswith("#"):  # in-page anchors stay in the page
        pairs += EXTERNAL
    return f"<a{_attrs(pairs)}>"


# --- markdown-it: the parser, its rules and renderers ---------------------------------


def render_markdown(text: str) -> str:
    """Untrusted Markdown → a self-contained HTML fragment built from the allowlist."""
    body = _parser().render(text, {"link_depth": 0})
    return f'<div class="{IGNORE_MATH}">\n{body}</div>\n'


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # markdown-it-py (CommonMark) and mdit-py-plugins, imported here: on the first answer
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin
    from mdit_py_plugins.gfm_autolink import gfm_autolink_plugin

    class SafeMarkdown(MarkdownIt):
        def validateLink(self, url: str) -> bool:  # markdown-it's name
            # Our allowlist, not markdown-it's denylist: a link, reference definition,
            # autolink or image whose URL fails it is not one, and shows as its source.
            return link_allowed(url) or inline_image_allowed(url)

    md = SafeMarkdown("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    gfm_autolink_plugin(md)  # bare https://… and www.… links, as GitHub and marked do
    # pandoc's rule, as {name} interpolation uses: "$5 and $6" is prose, not math
    dollarmath_plugin(
        md, allow_labels=False, allow_space=False, allow_digits=False, double_inline=True
    )
    md.inline.ruler.before("escape", "math_brackets", _bracket_math)
    md.core.ruler.push("allowlist_attributes", _allowlist_attributes)
    for name, rule in {
        "link_open": _render_link_open,
        "link_close": _render_link_close,
        "image": _render_image,
        "fence": _render_fence,
        "math_inline": _render_math_inline,
        "math_inline_double": _render_math_inline,
        "math_block": _render_math_block,
    }.items():
        md.add_render_rule(name, rule)
    return md


def _bracket_math(state: StateInline, silent: bool) -> bool:
    r"""``\(...\)`` and ``\[...\]`` (the delimiters many models write) as math tokens."""
    src, pos = state.src, state.pos
    if src[pos] != "\\" or pos + 1 >= state.posMax or src[pos + 1] not in "([":
        return False
    closer = ")" if src[pos + 1] == "(" else "]"
    end = pos + 2
    while end < state.posMax - 1:
        if src[end] == "\\":
            if src[end + 1] == closer:
                break
            end += 2  # an escaped character (\\, \{, ...) cannot close
        else:
            end += 1
    else:
        return False
    content = src[pos + 2 : end]
    if not content.strip():
        return False
    if not silent:
        token = state.push("math_inline" if closer == ")" else "math_inline_double", "math", 0)
        token.content = content
        token.markup = "\\" + src[pos + 1]
    state.pos = end + 2
    return True


def _allowlist_attributes(state: Any) -> None:
    """Every token keeps only attributes this module accounts for (links, images and
    fences are rendered by their own rules, which write their attributes afresh)."""
    stack: list[Token] = list(state.tokens)
    while stack:
        token = stack.pop()
        if token.children:
            stack.extend(token.children)
        if token.type in ("link_open", "image", "fence") or not token.attrs:
            continue
        if token.type in ("th_open", "td_open"):  # GFM column alignment
            match = _ALIGN.fullmatch(str(token.attrs.get("style", "")))
            token.attrs = {"align": match.group(1)} if match else {}
        elif token.type == "ordered_list_open" and str(token.attrs.get("start", "")).isdigit():
            token.attrs = {"start": str(token.attrs["start"])}
        else:
            token.attrs = {}


def _render_link_open(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    env["link_depth"] = env.get("link_depth", 0) + 1
    token = tokens[idx]
    return _anchor(str(token.attrGet("href") or ""), str(token.attrGet("title") or ""))


def _render_link_close(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    env["link_depth"] = max(0, env.get("link_depth", 0) - 1)
    return "</a>"


def _render_image(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = one_line(self.renderInlineAsText(token.children, options, env))
    if inline_image_allowed(src):
        return f"<img{_attrs([('src', src), ('alt', alt)])} />"
    host = _host(src) if link_allowed(src) and not src.startswith(("#", "mailto:")) else ""
    if not host:
        return text_html(f"[image: {alt}]" if alt else "[image]")
    label = f"[image: {alt} · {host}]" if alt else f"[image · {host}]"
    if env.get("link_depth", 0):  # inside a link already: no nested link
        return text_html(label)
    pairs = [("href", src), ("title", "remote image, not loaded: open it in a new tab")]
    pairs += EXTERNAL
    return f"<a{_attrs(pairs)}>{text_html(label)}</a>"


def _render_fence(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    from markdown_it.common.utils import unescapeAll

    token = tokens[idx]
    info = unescapeAll(token.info).split()
    language = info[0] if info and _LANGUAGE.fullmatch(info[0]) else ""
    css = f' class="language-{language}"' if language else ""
    return f"<pre><code{css}>{escape(token.content, quote=True)}</code></pre>\n"


def _math(opener: str, content: str, tag: str) -> str:
    source = escape(f"{opener}{content}{_MATH_CLOSE[opener]}", quote=True)
    if _UNSAFE_TEX.search(content):  # shown as typed, never typeset
        return f"<{tag}>{source}</{tag}>"
    return f'<{tag} class="{PROCESS_MATH}">{source}</{tag}>'


def _render_math_inline(
    self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any
) -> str:
    token = tokens[idx]
    return _math(token.markup or "$", token.content, "span")


def _render_math_block(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    return _math("$$", f"\n{tokens[idx].content.strip()}\n", "div") + "\n"


# --- fragments the magic shows -----------------------------------------------------------


def tool_html(name: str, arguments: str, result: str, is_error: bool) -> str:
    """A tool call as a collapsed ``<details>``: name, arguments and result as text."""
    mark = "✗" if is_error else "→"
    short = one_line(result)
    short = short if len(short) <= 80 else short[:79] + "…"
    call = f"{text_html(one_line(name))}({text_html(one_line(arguments))})"
    return (
        f'<details class="{IGNORE_MATH}"><summary>🔧 <code>{call}</code> {mark} '
        f"{text_html(short)}</summary><pre>{text_html(result)}</pre></details>\n"
    )


def tool_plain(name: str, arguments: str, result: str, is_error: bool) -> str:
    mark = "✗" if is_error else "→"
    short = one_line(result)
    short = short if len(short) <= 80 else short[:79] + "…"
    return f"\n[tool] {one_line(name)}({one_line(arguments)}) {mark} {short}\n"


def footer_html(text: str) -> str:
    """The footer line (it names the model the service reported) in small print."""
    return f'<div class="{IGNORE_MATH}"><sub>{text_html(one_line(text))}</sub></div>\n'


def _json_ready(value: Any) -> Any:
    """A structured answer (pydantic model, dataclass, dict) as plain JSON data."""
    import dataclasses
    import json

    if hasattr(value, "model_dump") and not isinstance(value, type):
        value = value.model_dump(mode="json")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    return json.loads(json.dumps(value, default=_plain_value, ensure_ascii=False))


def _plain_value(value: Any) -> Any:
    """What ``json`` cannot write itself: an Enum by its value, anything else as text."""
    import enum

    return value.value if isinstance(value, enum.Enum) else str(value)


def _is_flat(data: Any) -> bool:
    return isinstance(data, dict) and all(
        v is None or isinstance(v, (str, int, float, bool)) for v in data.values()
    )


def object_html(value: Any) -> str:
    """A structured answer (model text, untrusted): a one-row table when it is a flat
    object, else pretty JSON in ``<pre>``; every key and value is escaped text."""
    import json

    data = _json_ready(value)
    if _is_flat(data) and data:
        head = "".join(f"<th>{text_html(str(k))}</th>" for k in data)
        cells = "".join(
            f"<td>{text_html(v if isinstance(v, str) else json.dumps(v))}</td>"
            for v in data.values()
        )
        body = f"<table><thead><tr>{head}</tr></thead><tbody><tr>{cells}</tr></tbody></table>"
    else:
        body = f"<pre>{text_html(json.dumps(data, indent=2, ensure_ascii=False))}</pre>"
    return f'<div class="{IGNORE_MATH}">{body}</div>\n'


def object_plain(value: Any) -> str:
    """A structured answer as ``text/plain``: pretty JSON, control characters visible."""
    import json

    return plain_text(json.dumps(_json_ready(value), indent=2, ensure_ascii=False))


def preformatted_html(text: str) -> str:
    """Outside text shown as it is (a bad or refused structured answer): escaped ``<pre>``."""
    return f'<div class="{IGNORE_MATH}"><pre>{text_html(text)}</pre></div>\n'


def table_html(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A table of outside text (``%azure batch list``, ``%azure sessions``: prompts and
    answers are the user's and the model's words): every cell escaped, on one line."""
    head = "".join(f"<th>{text_html(one_line(c))}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{text_html(one_line(v))}</td>" for v in row) + "</tr>"
        for row in rows
    )
    return (
        f'<div class="{IGNORE_MATH}"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>\n"
    )


def table_plain(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """The same table as aligned ``text/plain`` columns."""
    cells = [[one_line(c) for c in columns], *[[one_line(v) for v in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()
                     for r in cells)  # fmt: skip


def history_html(turns: Sequence[tuple[str, str]]) -> str:
    """``%azure history``: (speaker, Markdown) pairs; both are outside text."""
    if not turns:
        return f'<div class="{IGNORE_MATH}"><p><em>(no conversation yet)</em></p></div>\n'
    parts = []
    for who, markdown in turns:
        parts.append(f"<p><strong>{text_html(one_line(who))}:</strong></p>\n")
        parts.append(render_markdown(markdown))
    return f'<div class="{IGNORE_MATH}">\n{"".join(parts)}</div>\n'


def history_plain(turns: Sequence[tuple[str, str]]) -> str:
    if not turns:
        return "(no conversation yet)"
    return "\n\n".join(f"{one_line(who)}: {plain_text(text)}" for who, text in turns)


__all__ = [
    "IGNORE_MATH",
    "LINK_REL",
    "MAX_INLINE_IMAGE_CHARS",
    "PROCESS_MATH",
    "footer_html",
    "history_html",
    "history_plain",
    "inline_image_allowed",
    "link_allowed",
    "object_html",
    "object_plain",
    "one_line",
    "plain_text",
    "preformatted_html",
    "render_markdown",
    "table_html",
    "table_plain",
    "text_html",
    "tool_html",
    "tool_plain",
]
