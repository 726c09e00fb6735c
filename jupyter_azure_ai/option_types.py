"""The Claude Agent SDK's types for option values, so annotated code migrates unchanged.

Most describe options that are accepted and have no effect here (docs/claude-options.md
says why for each): they exist so that ``from jupyter_azure_ai import SandboxSettings``
and the values built with them keep working. ``PermissionUpdate`` values returned in
``PermissionResultAllow.updated_permissions`` are accepted and not applied (there are no
settings files or persistent rules here).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias, TypedDict

SettingSource: TypeAlias = Literal["user", "project", "local"]
SdkBeta: TypeAlias = str
EffortLevel: TypeAlias = Literal["low", "medium", "high", "xhigh", "max"]
PermissionBehavior: TypeAlias = Literal["allow", "deny", "ask"]
PermissionUpdateDestination: TypeAlias = Literal[
    "userSettings", "projectSettings", "localSettings", "session"
]


class TaskBudget(TypedDict):
    """``task_budget``: an Anthropic API beta; no effect here."""

    total: int


class ThinkingConfigAdaptive(TypedDict):
    type: Literal["adaptive"]


class ThinkingConfigEnabled(TypedDict):
    type: Literal["enabled"]
    budget_tokens: int


class ThinkingConfigDisabled(TypedDict):
    type: Literal["disabled"]


ThinkingConfig: TypeAlias = ThinkingConfigAdaptive | ThinkingConfigEnabled | ThinkingConfigDisabled
"""``thinking``: Claude extended thinking; no effect here."""


class SandboxNetworkConfig(TypedDict, total=False):
    allowUnixSockets: list[str]
    allowAllUnixSockets: bool
    allowLocalBinding: bool
    httpProxyPort: int
    socksProxyPort: int


class SandboxIgnoreViolations(TypedDict, total=False):
    file: list[str]
    network: list[str]


class SandboxSettings(TypedDict, total=False):
    """``sandbox``: there is no sandbox here. With ``enabled`` True the ``Bash`` tool is
    not offered, so a shell asked to be sandboxed never runs unconfined."""

    enabled: bool
    autoAllowBashIfSandboxed: bool
    excludedCommands: list[str]
    allowUnsandboxedCommands: bool
    network: SandboxNetworkConfig
    ignoreViolations: SandboxIgnoreViolations
    enableWeakerNestedSandbox: bool


class SdkPluginConfig(TypedDict):
    """``plugins``: Claude Code plugins; no effect here."""

    type: Literal["local"]
    path: str


@dataclass
class PermissionRuleValue:
    tool_name: str
    rule_content: str | None = None


@dataclass
class PermissionUpdate:
    """A permission change a ``can_use_tool`` answer may carry; accepted, not applied."""

    type: Literal[
        "addRules", "replaceRules", "removeRules", "setMode", "addDirectories", "removeDirectories"
    ]
    rules: list[PermissionRuleValue] | None = None
    behavior: PermissionBehavior | None = None
    mode: str | None = None
    directories: list[str] | None = None
    destination: PermissionUpdateDestination | None = None

    def to_dict(self) -> dict[str, Any]:
        """The wire shape (camelCase rule fields), as in the Claude SDK."""
        out: dict[str, Any] = {"type": self.type}
        if self.destination is not None:
            out["destination"] = self.destination
        if self.rules is not None:
            out["rules"] = [
                {"toolName": r.tool_name, "ruleContent": r.rule_content} for r in self.rules
            ]
        for name in ("behavior", "mode", "directories"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        return out


class CanUseToolShadowedWarning(UserWarning):
    """``can_use_tool`` is set, but ``allowed_tools`` approves a whole tool or
    ``permission_mode="bypassPermissions"`` is set, so it will not be asked for those."""


def warn_if_shadowed(
    can_use_tool: Any, allowed_tools: tuple[str, ...], permission_mode: str | None
) -> None:
    """Warn (``CanUseToolShadowedWarning``) when options keep ``can_use_tool`` from being
    asked, as the Claude SDK does when a query starts."""
    if can_use_tool is None:
        return
    whole = [r for r in allowed_tools if "(" not in r or r.endswith(("()", "(*)"))]
    if permission_mode == "bypassPermissions":
        reason = 'permission_mode="bypassPermissions"'
    elif whole:
        reason = f"allowed_tools approves {', '.join(whole)} without asking"
    else:
        return
    warnings.warn(
        f"can_use_tool will not be asked where {reason}; use a PreToolUse hook to see every call",
        CanUseToolShadowedWarning,
        stacklevel=3,
    )


__all__ = [
    "CanUseToolShadowedWarning",
    "EffortLevel",
    "PermissionBehavior",
    "PermissionRuleValue",
    "PermissionUpdate",
    "PermissionUpdateDestination",
    "SandboxIgnoreViolations",
    "SandboxNetworkConfig",
    "SandboxSettings",
    "SdkBeta",
    "SdkPluginConfig",
    "SettingSource",
    "TaskBudget",
    "ThinkingConfig",
    "ThinkingConfigAdaptive",
    "ThinkingConfigDisabled",
    "ThinkingConfigEnabled",
]
