"""Images from a real kernel on the emulator: ``%%azure --image fig`` and ``{fig}``, the
thumbnail a cell shows, what a saved notebook would hold (outputs are the iopub display
messages), one-line errors, and a chat panel's pasted images (binary buffers) whose
widget state holds only the thumbnail."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from jupyter_azure_ai.emulator import Emulator
from jupyter_azure_ai.images import MAX_THUMBNAIL_CHARS

from .kernel import CellRun, Kernel

SETUP = """
%load_ext jupyter_azure_ai
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
ax.bar([1, 2, 3], [3, 5, 2], color="#d62728", width=0.9)
import base64, io
from jupyter_azure_ai.images import encode_image
full = encode_image(fig).base64  # what is sent: must not land in an output
print(len(full))
"""


@pytest.fixture(scope="module")
def kernel(emulator_server: Emulator) -> Iterator[Kernel]:
    k = Kernel(emulator_server.env())
    run = k.run(SETUP)
    assert run.status == "ok", run.error
    yield k
    k.shutdown()


@pytest.fixture
def fresh(kernel: Kernel, emulator: Emulator) -> Kernel:
    run = kernel.run("%azure reset")
    assert run.status == "ok", run.error
    return kernel


def chat_requests(emu: Emulator) -> int:
    return sum(1 for r in emu.stats.requests if r.path.endswith("/chat/completions"))


def html_of(run: CellRun) -> str:
    return " ".join(m["content"]["data"].get("text/html", "") for m in run.displays())


def thumbnails(run: CellRun) -> list[dict[str, Any]]:
    return [m["content"] for m in run.displays() if "image/png" in m["content"]["data"]]


def full_image(kernel: Kernel) -> str:
    run = kernel.run("print(full)")
    assert run.status == "ok", run.error
    return run.stdout.strip()


def test_image_option_sends_the_figure_and_shows_its_thumbnail(
    fresh: Kernel, emulator: Emulator
) -> None:
    run = fresh.run("%%azure --image fig\nWhat does this chart show?")
    assert run.status == "ok", run.error
    (thumb,) = thumbnails(run)
    assert re.fullmatch(
        r"\[image 1: 600x400 PNG, \d+ KB, detail auto\]", thumb["data"]["text/plain"]
    )
    assert len(thumb["data"]["image/png"]) <= MAX_THUMBNAIL_CHARS
    assert thumb["metadata"]["image/png"]["width"] <= 160
    html = html_of(run)
    assert "600x400 PNG (detail auto)" in html  # the emulator read the picture itself
    assert "main other colour is <strong>red</strong> (#d62728)" in html
    footer = run.displays()[-1]["content"]["data"]["text/plain"]
    assert "1 image sent (600x400 PNG" in footer and "detail auto" in footer
    # what a saved notebook would hold: the thumbnail, not the image that was sent
    everything = run.everything()
    assert full_image(fresh)[:2000] not in everything
    assert len(everything) < 40_000


def test_a_field_holding_a_figure_is_sent_as_an_image(fresh: Kernel) -> None:
    run = fresh.run("%%azure --image-detail low\nCompare {ax} with the goal of 4 per month")
    assert run.status == "ok", run.error
    html = html_of(run)
    assert "You asked: <em>Compare [image 1] with the goal of 4 per month</em>" in html
    assert "(detail low)" in html and "PNG" in html
    assert len(thumbnails(run)) == 1
    # the conversation keeps it: the next question is text, the history names the image
    history = fresh.run("%azure history")
    assert "Compare [image 1] with the goal of 4 per month\\n[1 image sent]" in history.everything()


def test_errors_are_one_line_and_nothing_is_sent(fresh: Kernel, emulator: Emulator) -> None:
    before = chat_requests(emulator)
    for cell, needle in [
        ("%%azure --image nothing_here\nWhat?", "--image nothing_here: no variable"),
        ("answer = 42", None),
        ("%%azure --image answer\nWhat?", "--image answer: a int is not an image"),
        ("%%azure --image-detail medium --image fig\nWhat?", "invalid choice: 'medium'"),
        ("%%azure --over answer --image fig\nRate {x}", "--image does not go with --over"),
    ]:
        run = fresh.run(cell)
        if needle is None:
            continue
        assert run.status == "error", cell  # IPython prints a UsageError on stderr
        assert run.stderr.startswith("UsageError: ") and needle in run.stderr.splitlines()[0]
    assert chat_requests(emulator) == before


def test_a_deployment_without_vision_is_one_clear_line(fresh: Kernel) -> None:
    run = fresh.run("%%azure -m gpt-35-turbo --image fig\nWhat is this?")
    assert run.error is not None
    shown = "\n".join(run.error["traceback"])
    assert "Deployment 'gpt-35-turbo' does not take images" in shown
    assert "vision deployment such as gpt-4o" in shown
    assert len(run.error["traceback"]) == 1
    after = fresh.run("%%azure\nhello")  # the conversation is still usable
    assert after.status == "ok", after.error


PANEL = """
import jupyter_azure_ai, json, random
from PIL import Image
rng = random.Random(3)
photo = io.BytesIO()
Image.frombytes("RGB", (1200, 800), rng.randbytes(1200 * 800 * 3)).save(photo, format="PNG")
photo = photo.getvalue()
panel = jupyter_azure_ai.chat(new_conversation=True)
# as the front end sends a pasted image: an "ask" message with one binary buffer
panel._on_msg(panel, {"type": "ask", "text": "What is in it?"}, [memoryview(photo)])
panel._main.run_until(lambda: not panel.busy, timeout=0.05)
# the widget's state as saved in a notebook (less the bundled _esm/_css and the model names)
state = json.dumps({k: v for k, v in panel.get_state().items() if not k.startswith("_")})
user, answer = panel.transcript[-2:]
print(json.dumps({"raw": len(photo), "state": len(state), "user": user,
                  "answer": answer["text"], "status": panel.status}))
"""


def test_a_pasted_image_reaches_the_model_and_state_keeps_only_the_thumbnail(
    fresh: Kernel,
) -> None:
    run = fresh.run(PANEL, timeout=90)
    assert run.status == "ok", run.error
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["raw"] > 2_000_000  # a 2.8 MB screenshot-sized PNG was pasted
    assert "I see 1 image" in seen["answer"]
    # fitted to 1152x768 (a 768 short side), then, as noise does not compress, made smaller
    # until the JPEG fits MAX_ENCODED_BYTES
    assert "864x576 JPEG" in seen["answer"]
    (thumb,) = seen["user"]["images"]
    assert thumb["src"].startswith("data:image/jpeg;base64,")
    assert len(thumb["src"]) <= MAX_THUMBNAIL_CHARS
    assert thumb["alt"] == "image 864x576"
    assert seen["state"] < 30_000  # thumbnails, never the image
    assert not seen["status"].startswith("✗")


def test_a_pasted_file_that_is_not_an_image_is_a_status_line(fresh: Kernel) -> None:
    code = (
        "panel._on_msg(panel, {'type': 'ask', 'text': 'x'}, [memoryview(b'%PDF-1.7 ...')])\n"
        "panel._main.run_until(lambda: not panel.busy)\n"
        "print(panel.status, panel.busy, panel.transcript[-1]['text'] != 'x')"
    )
    run = fresh.run(code)
    assert run.status == "ok", run.error
    assert run.stdout.strip() == (
        "✗ image: not a PNG, JPEG, GIF or WEBP image (its first bytes say so) False True"
    )


SPIED = """
import threading
from jupyter_azure_ai.jupyter import widget as _widget
_on_main, _real = [], _widget.encode_image
def _spy(value, **kw):
    _on_main.append(threading.current_thread() is threading.main_thread())
    return _real(value, **kw)
_widget.encode_image = _spy
try:
    panel._on_msg(panel, {"type": "ask", "text": "And this one?"}, [memoryview(photo)])
    _returned_busy = panel.busy  # the comm handler returned before the image was encoded
    panel._main.run_until(lambda: not panel.busy)
finally:
    _widget.encode_image = _real
print(json.dumps({"on_main": _on_main, "busy": _returned_busy,
                  "images": panel.transcript[-2].get("images"), "answer": panel.transcript[-1]}))
"""


def test_a_pasted_image_is_encoded_off_the_kernels_main_thread(fresh: Kernel) -> None:
    """Fitting and re-encoding a pasted screenshot takes ~0.3 s: not on the thread that
    handles the kernel's messages."""
    run = fresh.run(SPIED, timeout=90)
    assert run.status == "ok", run.error
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["on_main"] == [False] and seen["busy"] is True
    (thumb,) = seen["images"]
    assert thumb["src"].startswith("data:image/jpeg;base64,") and thumb["alt"] == "image 864x576"
    assert "I see 1 image" in seen["answer"]["text"]
