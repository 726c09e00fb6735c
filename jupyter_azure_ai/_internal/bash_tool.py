"""The ``Bash`` built-in: one shell command in ``cwd``, with a timeout and an output cap.

Offered only when ``tools`` or ``allowed_tools`` names it. Like every tool it is asked
for first (PreToolUse hooks, ``permission_mode``, ``can_use_tool``). It is **not
confined** the way the file tools are: a command can read and write anything the
process may, and reach the network. What this module does guarantee:

- it runs ``bash -c`` (``sh`` where there is no bash) in ``cwd``, stdin closed, in its own
  process group, killed as a group after ``timeout`` ms (default 2 min, at most 10) or
  when the query is interrupted;
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


async def _read_capped(stream: asyncio.StreamReader, cap_bytes: int) -> tuple[bytes, int]:
    """Everything ``stream`` sends: the first ``cap_bytes`` and how many more were dropped."""
    kept = bytearray()
    dropped = 0
    while True:
        chunk = await stream.read(65536)
        if not chunk:
            return bytes(kept), dropped
        room = cap_bytes - len(kept)
        kept += chunk[:room] if room > 0 else b""
        dropped += max(len(chunk) - max(room, 0), 0)


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
        raw, dropped = b"", 0
        try:
            with anyio.move_on_after(limit_ms / 1000) as scope:
                raw, dropped = await _read_capped(process.stdout, MAX_OUTPUT_CHARS * 4)
                await process.wait()
        finally:
            _kill_group(process)  # on timeout, and when the query is interrupted
            with anyio.CancelScope(shield=True), anyio.move_on_after(5):
                await process.wait()
        if scope.cancelled_caught:
            raise ToolError(f"command timed out after {limit_ms} ms and was killed")
        text = _text(raw, dropped)
        if process.returncode:  # an error result that keeps the output's lines
            failed = f"{text}\n[exit code {process.returncode}]".lstrip("\n")
            return {"content": [{"type": "text", "text": failed}], "is_error": True}
        return text or "(no output)"

    return bash
