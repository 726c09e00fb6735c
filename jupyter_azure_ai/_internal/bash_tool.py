"""The ``Bash`` built-in: one shell command in ``cwd``, with a timeout and an output cap.

Offered only when ``tools`` or ``allowed_tools`` names it. Like every tool it is asked
for first (PreToolUse hooks, ``permission_mode``, ``can_use_tool``). It is **not
confined** the way the file tools are: a command can read and write anything the
process may, and reach the network. What this module does guarantee:

- it runs ``bash -c`` (``sh`` where there is no bash) in ``cwd``, stdin closed, in its own
  process group, killed as a group after ``timeout`` ms (default 2 min, at most 10) or
  when the query is interrupted, and when the shell exits: a background child
  (``server &``) never outlives the command, nor makes it wait until the timeout;
- stdout and stderr, interleaved, are capped at ``MAX_OUTPUT_CHARS``; the rest is read
  and dropped, so a chatty command cannot fill memory;
- its environment is ours *without our secrets* (``shell_environment``), plus ``env``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import anyio

from ..tools import SdkTool, ToolError, tool

DEFAULT_TIMEOUT_MS = 120_000
MAX_TIMEOUT_MS = 600_000
MAX_OUTPUT_CHARS = 30_000
DRAIN_SECONDS = 0.5
"""Once the shell has exited, how long output a background child keeps open is still read."""
_SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|KEY|CREDENTIAL|CONNECTION_?STRING", re.I)
_OUR_PREFIXES = ("AZURE_", "APIM_", "OPENAI_", "MSI_", "IDENTITY_", "JUPYTER_AZURE_AI_")
_ALWAYS_DROPPED = frozenset({"IDENTITY_HEADER", "MSI_SECRET"})  # managed identity's keys


def shell_environment(
    base: Mapping[str, str], extra: Mapping[str, str], secrets: Iterable[str]
) -> dict[str, str]:
    """``base`` without what could let a command act as us, then ``extra`` on top.

    Dropped: Azure / APIM / OpenAI / managed-identity variables whose name says secret
    (``AZURE_CLIENT_SECRET``, ``AZURE_APIM_SUBSCRIPTION_KEY``, ``IDENTITY_HEADER``, ...),
    and every variable whose value contains one of ``secrets`` (what the options hold:
    client secret, subscription key, default header values, MCP server env values).
    ``extra`` (the ``env`` option) is the caller's own choice and is kept.
    """
    held = [s for s in secrets if s and len(s) >= 4]
    env = {}
    for name, value in base.items():
        upper = name.upper()
        if upper in _ALWAYS_DROPPED:
            continue
        if upper.startswith(_OUR_PREFIXES) and _SECRET_NAME.search(upper):
            continue
        if any(s in value for s in held):
            continue
        env[name] = value
    env.update(extra)
    return env


def _shell() -> str:
    found = shutil.which("bash") or shutil.which("sh")
    if found is None:
        raise ToolError("no shell (bash or sh) found on this machine")
    return found


class _Output:
    """What a command printed: the first ``cap`` bytes and how many more were dropped."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.kept = bytearray()
        self.dropped = 0

    async def read(self, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(65536):
            room = max(self.cap - len(self.kept), 0)
            self.kept += chunk[:room]
            self.dropped += len(chunk) - min(len(chunk), room)


async def _until_done(process: asyncio.subprocess.Process, reading: asyncio.Task[None]) -> bool:
    """Wait for the shell to exit and its output to end; False when a background child
    still held the output ``DRAIN_SECONDS`` after the shell exited. ``returncode`` is
    polled: from Python 3.12 on, ``process.wait()`` also waits for the pipe to close."""
    while process.returncode is None and not reading.done():
        await asyncio.wait([reading], timeout=0.05)
    if process.returncode is None:  # it closed its output and runs on
        await process.wait()
    await asyncio.wait([reading], timeout=DRAIN_SECONDS)
    return reading.done()


def _kill_group(process: asyncio.subprocess.Process) -> None:
    """Kill the command's process group: what it left running in the background too
    (where there are no process groups, Windows, the shell alone)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if hasattr(os, "killpg"):
            os.killpg(process.pid, signal.SIGKILL)
        elif process.returncode is None:
            process.kill()


def _text(raw: bytes, dropped: int) -> str:
    text = raw.decode("utf-8", errors="replace")
    if len(text) > MAX_OUTPUT_CHARS:
        dropped += len(text[MAX_OUTPUT_CHARS:].encode())
        text = text[:MAX_OUTPUT_CHARS]
    if dropped:
        text += f"\n[output truncated: {dropped} more bytes]"
    return text


def bash_tool(cwd: str | Path, env: Mapping[str, str]) -> SdkTool:
    """The ``Bash`` tool running in ``cwd`` with exactly ``env`` as its environment."""
    workdir = str(cwd)

    @tool(name="Bash", timeout=None)  # its own timeout, which also kills the process group
    async def bash(command: str, timeout: int | None = None, description: str = "") -> Any:  # noqa: ASYNC109 (Claude's parameter)
        """Run a shell command (bash -c) in the working directory and return its output
        (stdout and stderr, capped). The shell is not confined to the working directory.

        command: the command line to run
        timeout: milliseconds before the command is killed (default 120000, at most 600000)
        description: what the command does, in a few words
        """
        limit_ms = min(max(int(timeout or DEFAULT_TIMEOUT_MS), 1), MAX_TIMEOUT_MS)
        process = await asyncio.create_subprocess_exec(
            _shell(),
            "-c",
            command,
            cwd=workdir,
            env=dict(env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # its own process group: a timeout kills its children too
        )
        assert process.stdout is not None
        output = _Output(MAX_OUTPUT_CHARS * 4)
        reading = asyncio.ensure_future(output.read(process.stdout))
        ended = True
        try:
            with anyio.move_on_after(limit_ms / 1000) as scope:
                ended = await _until_done(process, reading)
        finally:
            _kill_group(process)  # its background children, on timeout, on interrupt
            reading.cancel()
            with anyio.CancelScope(shield=True), anyio.move_on_after(5):
                await asyncio.gather(reading, return_exceptions=True)
                await process.wait()
        if scope.cancelled_caught:
            raise ToolError(f"command timed out after {limit_ms} ms and was killed")
        text = _text(bytes(output.kept), output.dropped)
        if not ended:
            text += "\n[background processes it started were stopped when it exited]"
        if process.returncode:  # an error result that keeps the output's lines
            failed = f"{text}\n[exit code {process.returncode}]".lstrip("\n")
            return {"content": [{"type": "text", "text": failed}], "is_error": True}
        return text or "(no output)"

    return bash
