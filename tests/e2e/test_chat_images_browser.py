"""Images in the chat panel, in a real browser: JupyterLab on a loopback port, Debian's
Chromium driven by Playwright, the kernel on the local emulator.

An image pasted from the system clipboard (Ctrl+V into the message box) and one dropped
onto the panel wait as thumbnails, travel with the question, and the emulator's answer
is derived from the picture (its size and colour), so the image itself reached it.
Thumbnails in the transcript are the kernel's small data URLs; anything else in a
thumbnail's place is not loaded. Skips like the other browser tests without Chromium
or Playwright, unless ``JUPYTER_AZURE_AI_REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Iterator

import pytest
from PIL import Image

from jupyter_azure_ai.emulator import Emulator
from jupyter_azure_ai.images import MAX_THUMBNAIL_CHARS

from .browser import (
    MS,
    Lab,
    chromium_page,
    jupyter_server,
    keep_notebook_kernel,
    require_browser,
    write_notebook,
)

CELLS = [
    "%load_ext jupyter_azure_ai\nimport jupyter_azure_ai\n\n"
    "panel = jupyter_azure_ai.chat(model='gpt-4o', new_conversation=True)\npanel",
    "import json\nprint(json.dumps({'state': len(json.dumps(panel.transcript)),"
    " 'images': [t.get('images') for t in panel.transcript if t['role'] == 'user']}))",
    "panel.transcript = [*panel.transcript, {'role': 'user', 'text': 'planted', 'tools': [],"
    " 'images': [{'src': 'https://attacker.example/leak.png', 'alt': 'remote'},"
    " {'src': 'javascript:alert(1)', 'alt': 'script'},"
    " {'src': 'data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=', 'alt': 'svg'}]}]",
]
PANEL, STATE, PLANTED = range(3)


def png_b64(size: tuple[int, int], colour: str) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


@pytest.fixture(scope="module")
def lab(emulator_server: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    require_browser("jupyterlab")
    tmp = tmp_path_factory.mktemp("lab-images")
    work = tmp / "notebooks"
    work.mkdir()
    write_notebook(work / "images.ipynb", CELLS)
    with (
        jupyter_server("jupyterlab", work, tmp, emulator_server, "jupyterlab-images.log") as server,
        chromium_page(tmp / "chromium-profile", server.base, "browser-images-console.log") as page,
    ):
        page.goto(f"{server.base}/lab/tree/images.ipynb?reset&token={server.token}")
        page.locator(".jp-Notebook .jp-Cell").first.wait_for()
        idle = page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]')
        idle.wait_for(timeout=30 * MS)
        keep_notebook_kernel(page)
        yield Lab(page, server.base, prefix="images")


def test_a_pasted_image_is_sent_and_shown_as_a_thumbnail(lab: Lab) -> None:
    from playwright.sync_api import expect

    lab.run(PANEL)
    panel = lab.panel(PANEL)
    expect(panel.get_by_role("status")).to_have_text("gpt-4o · ready")
    # a 300x200 red picture on the system clipboard, pasted with Ctrl+V
    lab.page.evaluate(
        """async (b64) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const blob = new Blob([bytes], { type: "image/png" });
            await navigator.clipboard.write([new ClipboardItem({ "image/png": blob })]);
        }""",
        png_b64((300, 200), "red"),
    )
    box = panel.get_by_role("textbox", name="Message")
    box.click()
    lab.page.keyboard.press("Control+v")
    waiting = panel.locator(".jaa-attachment img")
    expect(waiting).to_have_count(1)
    expect(box).to_have_value("")  # the image did not paste as text
    box.fill("What colour is this?")
    box.press("Enter")

    turns = panel.get_by_role("article")
    answer = turns.last
    expect(answer).to_contain_text("I see 1 image.", timeout=20 * MS)
    expect(answer).to_contain_text("300x200 PNG (detail auto), mostly red (#ff0000)")
    expect(panel.locator(".jaa-attachment")).to_have_count(0)  # sent, no longer waiting
    question = turns.nth(-2)
    expect(question).to_contain_text("What colour is this?")
    thumb = question.locator("img.jaa-thumb")
    expect(thumb).to_have_count(1)
    src = thumb.get_attribute("src") or ""
    assert src.startswith("data:image/png;base64,") and len(src) <= MAX_THUMBNAIL_CHARS
    expect(thumb).to_have_attribute("alt", "image 300x200")
    lab.shot("pasted")


def test_a_dropped_image_is_sent_without_text(lab: Lab) -> None:
    from playwright.sync_api import expect

    panel = lab.panel(PANEL)
    panel.evaluate(
        """(root, b64) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const data = new DataTransfer();
            data.items.add(new File([bytes], "chart.png", { type: "image/png" }));
            data.items.add(new File(["not an image"], "notes.txt", { type: "text/plain" }));
            const at = { bubbles: true, cancelable: true, dataTransfer: data };
            const over = new DragEvent("dragover", at);
            root.dispatchEvent(over);
            if (!over.defaultPrevented) throw new Error("the panel did not accept the drag");
            root.dispatchEvent(new DragEvent("drop", at));
        }""",
        png_b64((64, 48), "blue"),
    )
    expect(panel.locator(".jaa-attachment img")).to_have_count(1)  # the text file is ignored
    panel.get_by_role("textbox", name="Message").press("Enter")  # images alone may be sent
    answer = panel.get_by_role("article").last
    expect(answer).to_contain_text(
        "64x48 PNG (detail auto), mostly blue (#0000ff)", timeout=20 * MS
    )
    expect(panel.get_by_role("article")).to_have_count(4)
    lab.shot("dropped")


def test_state_holds_only_thumbnails_and_foreign_ones_are_not_loaded(lab: Lab) -> None:
    from playwright.sync_api import expect

    cell = lab.run(STATE)
    output = cell.locator(".jp-OutputArea-output").last
    expect(output).to_contain_text('"state"')
    seen = json.loads(output.inner_text())
    srcs = [image["src"] for images in seen["images"] for image in images or []]
    assert len(srcs) == 2 and all(len(s) <= MAX_THUMBNAIL_CHARS for s in srcs)
    assert seen["state"] < 2 * MAX_THUMBNAIL_CHARS + 4_000

    requests: list[str] = []
    lab.page.on("request", lambda r: requests.append(r.url))
    lab.run(PLANTED)
    panel = lab.panel(PANEL)
    planted = panel.get_by_role("article").last
    expect(planted).to_contain_text("planted")
    expect(planted.locator("img")).to_have_count(0)
    expect(planted.locator(".jaa-thumb")).to_have_text(["[remote]", "[script]", "[svg]"])
    lab.page.wait_for_timeout(300)
    assert not [u for u in requests if "attacker.example" in u]
    assert not re.search(r"javascript:", panel.inner_html().replace("[script]", ""))
    lab.shot("planted")
