"""The mechanical swap a user makes to move a Claude Agent SDK program onto Azure.

Only names change, never logic: the import package, ``query`` → ``azure_query``,
``ClaudeAgentOptions`` → ``AzureOpenAIOptions`` (constructed with ``from_env`` so the
credentials come from the ``AZURE_*`` environment, as the README says), and
``ClaudeSDKClient`` → ``AzureAgentClient``. The test applies this and nothing else.
"""

from __future__ import annotations

import re

_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\bclaude_agent_sdk\b"), "jupyter_azure_ai"),
    (re.compile(r"\bClaudeAgentOptions\("), "AzureOpenAIOptions.from_env("),
    (re.compile(r"\bClaudeAgentOptions\b"), "AzureOpenAIOptions"),
    (re.compile(r"\bClaudeSDKClient\b"), "AzureAgentClient"),
    # calls of the module-level function (``client.query(...)`` is a method: it stays)
    (re.compile(r"(?<![\w.])query(?=\s*\()"), "azure_query"),
]
_IMPORT = re.compile(r"^from jupyter_azure_ai import (?:\([^)]*\)|.*)$", re.M)


def swap(source: str) -> str:
    """``source`` with the Claude names replaced by the Azure ones."""
    for pattern, replacement in _RULES:
        source = pattern.sub(replacement, source)
    return _IMPORT.sub(lambda m: re.sub(r"\bquery\b", "azure_query", m.group(0)), source)
