"""An allowlist checker for the HTML that ``jupyter_azure_ai/jupyter/render.py`` writes,
built on the stdlib ``html.parser`` (a second parser that shares no code with
markdown-it): only the tags and attributes render.py may write, only allowed URL
schemes, no remote ``src``, no ``style``/``on*``/``id``, ``class`` only in render.py's
forms. Used by the unit, kernel and browser tests.

``check(html, jupyterlab=True)`` reads the DOM as JupyterLab left it, which changes two
things on its own: it rewrites a link's ``rel`` to ``noopener`` (render.py's
``referrerpolicy="no-referrer"`` stays and is still required) and puts an empty
``<span class="numbering-entry">`` in each heading (its table-of-contents numbering).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

TAGS = frozenset(
    {"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "s", "code", "pre"}
    | {"blockquote", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "a", "img"}
    | {"span", "div", "details", "summary", "sub"}
)
VOID = frozenset({"br", "hr", "img"})
REL = "noopener noreferrer nofollow"
NO_REFERRER = "no-referrer"
MATH_CLASSES = {"mathjax_ignore tex2jax_ignore", "mathjax_process tex2jax_process"}
LANGUAGE_CLASS = re.compile(r"language-[A-Za-z0-9][A-Za-z0-9_+#.-]{0,39}", re.ASCII)
SAFE_HREF = re.compile(r"(https?://[^/?#\s]+|mailto:\S+|#\S*)", re.IGNORECASE)
DATA_IMAGE = re.compile(r"data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/]+={0,2}")


class AllowlistChecker(HTMLParser):
    """Collects every way an HTML string goes beyond what render.py may write."""

    def __init__(self, jupyterlab: bool = False) -> None:
        super().__init__(convert_charrefs=True)
        self.rels = {REL, "noopener"} if jupyterlab else {REL}
        self.classes = {"numbering-entry"} if jupyterlab else set()
        self.problems: list[str] = []
        self.stack: list[str] = []
        self.hrefs: list[str] = []
        self.srcs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._element(tag, attrs)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._element(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"unbalanced </{tag}> (open: {self.stack})")
            return
        self.stack.pop()

    def handle_comment(self, data: str) -> None:
        self.problems.append(f"comment {data!r}")

    def handle_decl(self, decl: str) -> None:
        self.problems.append(f"declaration {decl!r}")

    def handle_pi(self, data: str) -> None:
        self.problems.append(f"processing instruction {data!r}")

    def unknown_decl(self, data: str) -> None:
        self.problems.append(f"declaration {data!r}")

    def _element(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TAGS:
            self.problems.append(f"tag <{tag}>")
        names = [name for name, _ in attrs]
        if len(names) != len(set(names)):
            self.problems.append(f"repeated attribute in <{tag}>: {names}")
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            if not self._attribute_ok(tag, name, value, values):
                self.problems.append(f"<{tag} {name}={value!r}>")

    def _attribute_ok(self, tag: str, name: str, value: str, attrs: dict[str, str]) -> bool:
        if tag == "a" and name == "href":
            self.hrefs.append(value)
            scheme_ok = SAFE_HREF.fullmatch(value) is not None or _safe_url(value)
            external = attrs.get("rel") in self.rels and attrs.get("referrerpolicy") == NO_REFERRER
            return scheme_ok and (value.startswith("#") or external)
        if tag == "a" and name == "target":
            return value == "_blank" or (value == "_self" and attrs.get("href", "")[:1] == "#")
        if tag == "a" and name == "rel":
            return value in self.rels
        if tag == "a" and name == "referrerpolicy":
            return value == NO_REFERRER
        if tag in ("a", "img") and name == "title":
            return True
        if tag == "img" and name == "src":
            self.srcs.append(value)
            return DATA_IMAGE.fullmatch(value) is not None and len(value) <= 200_000
        if tag == "img" and name == "alt":
            return True
        if tag == "ol" and name == "start":
            return value.isdigit()
        if tag in ("th", "td") and name == "align":
            return value in ("left", "center", "right")
        if tag == "code" and name == "class":
            return LANGUAGE_CLASS.fullmatch(value) is not None
        if tag in ("div", "span", "details") and name == "class":
            return value in MATH_CLASSES or (tag == "span" and value in self.classes)
        return False  # style, on*, id, src elsewhere, anything else


def _safe_url(value: str) -> bool:
    """An http(s) / mailto URL: ASCII, no whitespace or controls (browsers strip those)."""
    if not value.isascii() or any(c <= " " or c == "\x7f" for c in value):
        return False
    return re.match(r"(https?://[^/?#]|mailto:.)", value, re.IGNORECASE) is not None


def check(html: str, jupyterlab: bool = False) -> AllowlistChecker:
    checker = AllowlistChecker(jupyterlab)
    checker.feed(html)
    checker.close()
    if checker.stack:
        checker.problems.append(f"unclosed {checker.stack}")
    assert not checker.problems, (checker.problems, html)
    # math that MathJax may typeset never carries a command able to link, load or style
    for math in re.findall(r'class="mathjax_process tex2jax_process">(.*?)</', html, re.S):
        assert not re.search(r"\\(href|url|require|style|class|cssId|data|bbox)\b", math)
    return checker
