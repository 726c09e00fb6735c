"""The chat panel in Jupyter Notebook 7, not only JupyterLab 4: ``jupyter notebook`` on a
loopback port, Debian's Chromium driven by Playwright, the kernel talking to the emulator.

Same skip rule as test_chat_browser.py (browser.py); screenshots and logs go to
``test-artifacts/`` (``notebook7-*``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from jupyter_azure_ai.emulator import Emulator
from jupyter_azure_ai.emulator.scenarios import _text_answer

from .browser import (
    MS,
    Lab,
    answer_text,
    chromium_page,
    jupyter_server,
    keep_notebook_kernel,
    plain,
    require_browser,
    write_notebook,
)

CELLS = ["%load_ext jupyter_azure_ai\nimport jupyter_azure_ai\n\njupyter_azure_ai.chat()"]
QUESTION = "What is the capital of France?"
DELTA = re.compile(r'\{"type":\s*"delta"')


def _deltas(frame: str | bytes) -> list[str]:
    """The text of the panel's ``delta`` messages in a kernel websocket frame."""
    text = frame.decode("utf-8", "replace") if isinstance(frame, bytes) else frame
    decoder = json.JSONDecoder()
    return [str(decoder.raw_decode(text, m.start())[0]["text"]) for m in DELTA.finditer(text)]


def test_chat_panel_streams_a_complete_answer_in_notebook_7(
    emulator_server: Emulator, tmp_path: Path
) -> None:
    require_browser("notebook", "jupyterlab")
    from playwright.sync_api import expect

    work = tmp_path / "notebooks"
    work.mkdir()
    write_notebook(work / "chat7.ipynb", CELLS)
    with (
        jupyter_server("notebook", work, tmp_path, emulator_server, "notebook7.log") as server,
        chromium_page(
            tmp_path / "chromium-profile", server.base, "browser-console-notebook7.log"
        ) as page,
    ):
        deltas: list[str] = []
        page.on("websocket", lambda ws: ws.on("framereceived", lambda f: deltas.extend(_deltas(f))))
        page.goto(f"{server.base}/notebooks/chat7.ipynb?token={server.token}")
        page.locator(".jp-Notebook .jp-Cell").first.wait_for()
        keep_notebook_kernel(page)
        config = page.evaluate(
            "JSON.parse(document.getElementById('jupyter-config-data').textContent)"
        )
        assert config["appName"] == "Jupyter Notebook", config["appName"]  # not JupyterLab
        assert str(config["appVersion"]).startswith("7."), config["appVersion"]
        nb = Lab(page, server.base, prefix="notebook7")
        nb.run(0)
        panel = nb.panel(0)
        status = panel.get_by_role("status")
        expect(status).to_have_text("gpt-4 · ready")

        nb.ask(0, QUESTION)
        turns = panel.get_by_role("article")
        expect(turns).to_have_count(2, timeout=15 * MS)
        answer = turns.nth(1)
        expect(answer.locator("strong", has_text="Paris")).to_have_count(1)
        expect(status).to_contain_text("out tokens")
        expect(panel.locator(".jaa-live")).to_have_count(0)
        markdown = _text_answer(QUESTION, 1, "gpt-4")
        # the answer streamed: deltas (custom messages on the kernel's websocket) that add up
        # to exactly the emulator's answer
        assert deltas, "no delta reached the page"
        assert "".join(deltas) == markdown
        assert answer_text(turns.nth(0)) == QUESTION
        assert answer_text(answer) == plain(markdown)
        assert re.search(r"gpt-4 · .*out tokens", status.inner_text()), status.inner_text()
        expect(panel.get_by_role("textbox", name="Message")).to_be_enabled()
        nb.shot("answered")
