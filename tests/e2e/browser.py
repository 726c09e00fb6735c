"""Shared by the browser tests: a Jupyter server on a loopback port with the emulator's
environment, Debian's Chromium driven by Playwright, and helpers to read rendered turns.

Without Chromium or Playwright (or the Jupyter front end a test needs) the tests skip
with the reason, unless ``JUPYTER_AZURE_AI_REQUIRE_BROWSER=1`` (CI), where that is a
failure. ``JUPYTER_AZURE_AI_CHROMIUM`` points at another Chromium binary. Screenshots
and logs go to ``test-artifacts/`` (git-ignored).
"""

from __future__ import annotations

import importlib
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import nbformat
import pytest

from jupyter_azure_ai.emulator import Emulator

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path(os.environ.get("JUPYTER_AZURE_AI_CHROMIUM", "/usr/bin/chromium"))
REQUIRE = os.environ.get("JUPYTER_AZURE_AI_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # required as root; harmless otherwise (the page is our own loopback server)
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MS = 1000  # Playwright timeouts are in milliseconds


def require_browser(*modules: str) -> None:
    """Skip (or, with ``JUPYTER_AZURE_AI_REQUIRE_BROWSER=1``, fail) without the browser
    stack: Playwright, Chromium and the given Python modules (a Jupyter front end)."""
    reason = None
    try:
        for name in (*modules, "playwright.sync_api"):
            importlib.import_module(name)
    except ImportError as exc:
        reason = f"{exc.name} is not installed (python -m pip install -e '.[test]')"
    if reason is None and not CHROMIUM.exists():
        reason = f"no Chromium at {CHROMIUM} (Debian/Ubuntu: apt-get install chromium)"
    if reason:
        if REQUIRE:
            pytest.fail(f"JUPYTER_AZURE_AI_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_notebook(path: Path, cells: list[str]) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)


class Server:
    """A running Jupyter server: its base URL and token."""

    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.token = token


@contextmanager
def jupyter_server(
    module: str, root_dir: Path, tmp: Path, emulator: Emulator, log_name: str
) -> Iterator[Server]:
    """``python -m <module>`` (jupyterlab, notebook) on a free loopback port, its kernels
    pointed at the emulator; stopped on exit. Its output goes to ``test-artifacts/``."""
    config = tmp / "config"
    config.mkdir()
    # loopback only: no update check, no news feed, no extension catalogue
    lab_config = {
        "LabApp": {
            "check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
            "news_url": None,
            "extension_manager": "readonly",
        }
    }
    (config / "jupyter_server_config.json").write_text(json.dumps(lab_config))
    (config / "labconfig").mkdir()
    disabled = {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}
    (config / "labconfig" / "page_config.json").write_text(json.dumps(disabled))

    token = secrets.token_hex(16)
    port = _free_port()
    env = {
        **os.environ,
        **emulator.env(),  # kernels inherit the server's environment
        "JUPYTER_TOKEN": token,
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"),
        "IPYTHONDIR": str(tmp / "ipython"),
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }
    command = [sys.executable, "-m", module, "--no-browser", "--ServerApp.ip=127.0.0.1"]
    command += [f"--ServerApp.port={port}", "--ServerApp.port_retries=0"]
    command += [f"--ServerApp.root_dir={root_dir}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / log_name).open("w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                pytest.fail(f"{module} exited ({server.returncode}); see {log.name}")
            try:
                r = httpx.get(f"{base}/api/status", headers={"Authorization": f"token {token}"})
                if r.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"{module} did not answer within 60 s; see {log.name}")
            time.sleep(0.2)
        yield Server(base, token)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@contextmanager
def chromium_page(profile: Path, origin: str, console_log: str) -> Iterator[Any]:
    """A page in a fresh headless Chromium; the console goes to ``test-artifacts/``."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile),  # a fresh user-data-dir
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 1000},
        )
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
        page = context.pages[0] if context.pages else context.new_page()
        page.set_default_timeout(20 * MS)
        with (ARTIFACTS / console_log).open("w") as console:
            page.on("console", lambda m: print(f"{m.type}: {m.text}", file=console, flush=True))
            try:
                yield page
            finally:
                context.close()


def keep_notebook_kernel(page: Any) -> None:
    """Call once the notebook shows. On a busy machine JupyterLab (and Notebook 7) may still
    ask which kernel to use a moment later, with the notebook's kernel preselected; the
    dialog would then take the key presses meant for a cell and the cell never runs. Keep
    the notebook's kernel."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    select = page.locator(".jp-Dialog").get_by_role("button", name="Select", exact=True)
    try:
        select.wait_for(timeout=2 * MS)
    except PlaywrightTimeout:
        return
    select.click()
    page.locator(".jp-Dialog").wait_for(state="detached")


class Lab:
    """The browser page showing a notebook (JupyterLab 4 or Notebook 7), and cell helpers."""

    def __init__(self, page: Any, base: str, prefix: str = "chat") -> None:
        self.page = page
        self.base = base
        self.prefix = prefix  # of the screenshots' names
        self.executions = 0

    def cell(self, index: int) -> Any:
        return self.page.locator(".jp-Notebook .jp-Cell").nth(index)

    def panel(self, index: int) -> Any:
        return self.cell(index).locator(".jaa-chat")

    def run(self, index: int) -> Any:
        """Run one cell (click into it, Shift+Enter) and wait for its new execution count."""
        from playwright.sync_api import expect

        cell = self.cell(index)
        prompt = cell.locator(".jp-InputArea-prompt")
        before = prompt.inner_text()
        run_button = self.page.locator(
            '.jp-NotebookPanel-toolbar [data-command="notebook:run-cell-and-select-next"]'
        )
        for attempt in range(3):  # a run asked for while the page is settling can be lost
            cell.locator(".jp-InputArea-editor").click()
            if attempt == 0:
                self.page.keyboard.press("Shift+Enter")
            else:  # the toolbar's Run button, with the cell selected
                self.page.keyboard.press("Escape")
                run_button.click()
            try:
                expect(prompt).not_to_have_text(before, timeout=3 * MS)
                break
            except AssertionError:
                continue
        self.executions += 1
        try:
            expect(prompt).to_have_text(f"[{self.executions}]:", timeout=30 * MS)
        except AssertionError:
            self.shot(f"failed-cell-{index}")
            raise
        return cell

    def ask(self, index: int, text: str) -> Any:
        panel = self.panel(index)
        box = panel.get_by_role("textbox", name="Message")
        box.fill(text)
        box.press("Enter")
        return panel

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(ARTIFACTS / f"{self.prefix}-{name}.png"))


def answer_text(turn: Any) -> str:
    """The visible text of a rendered turn, minus the copy buttons, whitespace collapsed."""
    text = turn.evaluate(
        """node => {
            const copy = node.cloneNode(true);
            copy.querySelectorAll('.jaa-copy, .jaa-who').forEach(n => n.remove());
            document.body.appendChild(copy);  // innerText needs layout
            const text = copy.innerText;
            copy.remove();
            return text;
        }"""
    )
    return " ".join(str(text).split())


def plain(markdown: str) -> str:
    """What the emulator's Markdown answer reads like once rendered."""
    lines = [line for line in markdown.splitlines() if not line.startswith("```")]
    text = " ".join(re.sub(r"^(#+|-) ", "", line) for line in lines)
    return " ".join(text.replace("*", "").replace("`", "").split())
