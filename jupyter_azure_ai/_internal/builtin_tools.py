"""Which built-in tools a query offers, and taking ``disallowed_tools`` out of the offer.

``ToolSettings.builtins`` decides the names (``tools`` by name or the Claude preset,
else ``allowed_tools``; ``Bash`` only when named); this module builds them for ``cwd``.
The ``Bash`` tool's environment is built here, because only the client knows every
secret the options hold (``shell_environment`` strips them).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from ..options import SHELL_TOOL, ToolSettings
from ..tools import SdkTool
from .bash_tool import bash_tool, shell_environment
from .file_tools import file_tools
from .permissions import rule_matches
from .tool_calls import ToolSet


def builtin_tools(tools: ToolSettings, secrets: Iterable[str]) -> list[SdkTool]:
    """The built-ins ``tools`` selects, working in its ``cwd`` (default: the process's).

    ``secrets``: the connection's (client secret, subscription key, header values, the
    proxy's password); the
    MCP servers' ``env`` values are added here. None of them reaches ``Bash``.
    With ``sandbox={"enabled": True}`` ``Bash`` is not offered: there is no sandbox here,
    and a shell asked to be sandboxed must not run unconfined.
    """
    names = list(tools.builtins)
    if not names:
        return []
    cwd = tools.cwd if tools.cwd is not None else Path.cwd()
    offered = file_tools(cwd, names, tools.add_dirs)
    if SHELL_TOOL in names and not (tools.sandbox or {}).get("enabled"):
        held = [*secrets]
        for config in tools.mcp_servers.values():
            held += [str(v) for v in (config.get("env") or {}).values()]
        env = shell_environment(os.environ, tools.env, held)
        offered.append(bash_tool(cwd, env))
    return offered


def drop_disallowed(offered: ToolSet, rules: Iterable[str]) -> None:
    """Remove every tool a plain ``disallowed_tools`` name (``"Write"``, ``"mcp__db"``)
    covers from ``offered``; rules with a pattern (``"Bash(rm:*)"``) refuse calls instead
    (permissions.py)."""
    plain = [r for r in rules if "(" not in r]
    if not plain:
        return
    gone = {n for n in offered.names() if any(rule_matches(r, n, {}) for r in plain)}
    offered.specs[:] = [
        s for s in offered.specs if (s.get("function") or {}).get("name") not in gone
    ]
    for name in gone:
        offered.runnable.pop(name, None)
