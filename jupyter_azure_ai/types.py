"""Options and the message model.

The message classes mirror the Claude Agent SDK (same names, same fields) so code
written for it migrates by changing the import. They are small dataclasses; a
``Message`` is one of them.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, TypeAlias, TypedDict
from urllib.parse import urlsplit

DEFAULT_SCOPE = "https://cognitiveservices.azure.com/.default"
DEFAULT_API_VERSION = "2024-10-21"
PUBLIC_CLOUD_AUTHORITY = "https://login.microsoftonline.com"
DEFAULT_TIMEOUT = 600.0

#: Fields whose values never appear in a repr, log or error message.
SECRET_FIELDS = frozenset({"client_secret", "apim_subscription_key", "credential"})

#: Required environment variables, in the order they are reported when missing.
ENV_REQUIRED = {
    "tenant_id": "AZURE_TENANT_ID",
    "client_id": "AZURE_CLIENT_ID",
    "client_secret": "AZURE_CLIENT_SECRET",
    "endpoint": "AZURE_APIM_ENDPOINT",
    "apim_subscription_key": "AZURE_APIM_SUBSCRIPTION_KEY",
}
ENV_OPTIONAL = {
    "model": "AZURE_OPENAI_DEPLOYMENT",
    "api_version": "AZURE_OPENAI_API_VERSION",
    "authority_host": "AZURE_AUTHORITY_HOST",
}


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(repr=False)
class AzureOpenAIOptions:
    """Everything needed to reach one Azure OpenAI deployment through APIM.

    The first eleven fields are the seed's, in the seed's order, so positional
    and keyword construction written for it keeps working. Secrets are shown as
    ``'***'`` by ``repr()`` and ``str()``.
    """

    tenant_id: str = ""
    client_id: str = ""
    client_secret: str = ""
    endpoint: str = ""
    apim_subscription_key: str = ""
    model: str = "gpt-4"
    max_tokens: int = 4096
    temperature: float | None = None
    scope: str = DEFAULT_SCOPE
    tools: list[Any] | None = None
    cwd: str | Path | None = None
    system_prompt: str | None = None
    max_turns: int | None = None
    api_version: str = DEFAULT_API_VERSION
    include_partial_messages: bool = False
    credential: Any = None
    authority_host: str | None = None
    timeout: float | None = DEFAULT_TIMEOUT
    max_retries: int = 2
    verify: bool | str | None = None
    proxy: str | None = None
    default_headers: dict[str, str] | None = None
    allowed_tools: list[str] = field(default_factory=list)
    mcp_servers: dict[str, dict[str, Any]] = field(default_factory=dict)
    can_use_tool: CanUseTool | None = None
    hooks: dict[str, list[HookMatcher]] | None = None
    pricing: dict[str, dict[str, float]] | None = None

    def __post_init__(self) -> None:
        if self.authority_host is None:
            self.authority_host = os.environ.get("AZURE_AUTHORITY_HOST") or PUBLIC_CLOUD_AUTHORITY
        self.authority_host = self.authority_host.rstrip("/")
        if "://" not in self.authority_host:
            self.authority_host = "https://" + self.authority_host
        if not self.authority_host.startswith("https://"):  # azure-identity refuses it later
            raise ValueError(
                "AzureOpenAIOptions.authority_host must be an https URL,"
                f" got {self.authority_host!r}"
            )
        self.endpoint = self.endpoint.rstrip("/")
        self._validate()

    def _validate(self) -> None:
        if self.credential is None:
            for name in ("tenant_id", "client_id", "client_secret"):
                if not str(getattr(self, name)).strip():
                    raise ValueError(
                        f"AzureOpenAIOptions.{name} is empty: set it (or {ENV_REQUIRED[name]}),"
                        " or pass credential=..."
                    )
        if not self.apim_subscription_key:
            raise ValueError(
                "AzureOpenAIOptions.apim_subscription_key is empty: set it"
                " (or AZURE_APIM_SUBSCRIPTION_KEY)"
            )
        parts = urlsplit(self.endpoint)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError(
                f"AzureOpenAIOptions.endpoint must be an https URL such as"
                f" https://your-apim.azure-api.net/openai, got {self.endpoint!r}"
            )
        if parts.scheme == "http" and not _is_loopback(parts.hostname):
            raise ValueError(
                "AzureOpenAIOptions.endpoint must use https: plain http is allowed only"
                f" to loopback, got {self.endpoint!r}"
            )
        if not self.model:
            raise ValueError("AzureOpenAIOptions.model (the deployment name) is empty")
        if isinstance(self.max_tokens, bool) or not isinstance(self.max_tokens, int):
            raise ValueError(
                f"AzureOpenAIOptions.max_tokens must be an int, got {self.max_tokens!r}"
            )
        if self.max_tokens <= 0:
            raise ValueError(f"AzureOpenAIOptions.max_tokens must be > 0, got {self.max_tokens}")
        if self.temperature is not None and not 0.0 <= float(self.temperature) <= 2.0:
            raise ValueError(
                "AzureOpenAIOptions.temperature must be between 0.0 and 2.0,"
                f" got {self.temperature}"
            )
        if self.max_turns is not None and self.max_turns < 1:
            raise ValueError(f"AzureOpenAIOptions.max_turns must be >= 1, got {self.max_turns}")
        if self.max_retries < 0:
            raise ValueError(f"AzureOpenAIOptions.max_retries must be >= 0, got {self.max_retries}")
        if self.timeout is not None and self.timeout <= 0:
            raise ValueError(f"AzureOpenAIOptions.timeout must be > 0 seconds, got {self.timeout}")
        _validate_tool_options(self)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, **overrides: Any
    ) -> AzureOpenAIOptions:
        """Build options from ``AZURE_*`` variables; ``overrides`` win over the environment.

        Raises one ``ValueError`` naming every missing required variable.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        missing = []
        for name, var in ENV_REQUIRED.items():
            if name in overrides:
                continue
            if name in ("tenant_id", "client_id", "client_secret") and overrides.get("credential"):
                continue
            value = env.get(var, "").strip()
            if value:
                values[name] = value
            else:
                missing.append(var)
        if missing:
            raise ValueError(
                "Missing environment variable(s): "
                + ", ".join(missing)
                + " (run `python -m jupyter_azure_ai.emulator` for a local stand-in)"
            )
        for name, var in ENV_OPTIONAL.items():
            value = env.get(var, "").strip()
            if value:
                values[name] = value
        values.update(overrides)
        return cls(**values)

    def __repr__(self) -> str:
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in SECRET_FIELDS and value:
                shown.append(f"{f.name}='***'")
            elif f.name == "default_headers" and value:  # values may be credentials
                shown.append(f"{f.name}={ {k: '***' for k in value}!r}")
            elif f.name == "mcp_servers" and value:  # env values are often tokens
                shown.append(f"{f.name}={_masked_servers(value)!r}")
            else:
                shown.append(f"{f.name}={value!r}")
        return f"AzureOpenAIOptions({', '.join(shown)})"

    __str__ = __repr__

    def secrets(self) -> tuple[str, ...]:
        """The secret strings to scrub from any text that leaves the SDK."""
        return tuple(s for s in (self.client_secret, self.apim_subscription_key) if s)


BUILTIN_TOOLS = ("Read", "Write", "Edit", "Glob", "Grep")
"""File tools ``allowed_tools`` can switch on; all are confined to ``cwd``."""
_UNAVAILABLE_TOOLS = frozenset(
    {"Bash", "BashOutput", "KillShell", "MultiEdit", "NotebookEdit", "Task", "TodoWrite"}
    | {"WebFetch", "WebSearch", "LS"}
)


def _validate_tool_options(o: AzureOpenAIOptions) -> None:
    for name in o.allowed_tools:
        if name in _UNAVAILABLE_TOOLS:
            raise ValueError(
                f"AzureOpenAIOptions.allowed_tools: {name!r} is not available here; the built-in"
                f" tools are {', '.join(BUILTIN_TOOLS)} (there is no shell tool)"
            )
    for server, config in o.mcp_servers.items():
        kind = config.get("type", "stdio") if isinstance(config, dict) else None
        if kind == "stdio" and not isinstance(config.get("command"), str):
            raise ValueError(
                f"AzureOpenAIOptions.mcp_servers[{server!r}] needs a 'command' (str),"
                f" 'args' (list) and optionally 'env' (dict), got {config!r}"
            )
        if kind not in ("stdio", "sdk"):
            raise ValueError(
                f"AzureOpenAIOptions.mcp_servers[{server!r}]: type {kind!r} is not supported"
                " (stdio servers as {'command': ..., 'args': [...]}, or create_sdk_mcp_server())"
            )
    for deployment, price in (o.pricing or {}).items():
        ok = isinstance(price, dict) and {"input", "output"} <= price.keys()
        if not ok or not all(isinstance(v, (int, float)) and v >= 0 for v in price.values()):
            raise ValueError(
                f"AzureOpenAIOptions.pricing[{deployment!r}] must be USD per 1M tokens such as"
                f" {{'input': 2.5, 'output': 10.0, 'cached_input': 1.25}}, got {price!r}"
            )


def _masked_servers(servers: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, config in servers.items():
        if isinstance(config, dict) and config.get("env"):
            config = {**config, "env": {k: "***" for k in config["env"]}}
        out[name] = config
    return out


# --- permissions and hooks (the Claude Agent SDK's names and shapes) ------------


@dataclass
class PermissionResultAllow:
    """Let the tool run; ``updated_input`` replaces the model's arguments."""

    behavior: Literal["allow"] = "allow"
    updated_input: dict[str, Any] | None = None
    updated_permissions: list[Any] | None = None  # accepted for compatibility, unused


@dataclass
class PermissionResultDeny:
    """Refuse the call: ``message`` goes back to the model; ``interrupt`` ends the run."""

    behavior: Literal["deny"] = "deny"
    message: str = ""
    interrupt: bool = False


PermissionResult: TypeAlias = PermissionResultAllow | PermissionResultDeny


@dataclass
class ToolPermissionContext:
    """What ``can_use_tool`` gets besides the name and input (Claude SDK shape)."""

    signal: Any | None = None
    suggestions: list[Any] = field(default_factory=list)
    tool_use_id: str = ""
    cwd: str | None = None


CanUseTool: TypeAlias = Callable[
    [str, dict[str, Any], ToolPermissionContext], Awaitable[PermissionResult]
]


class HookContext(TypedDict):
    signal: Any | None


HookCallback: TypeAlias = Callable[
    [dict[str, Any], str | None, HookContext], Awaitable[dict[str, Any]]
]


@dataclass
class HookMatcher:
    """Hooks for the tools whose name matches ``matcher`` (a regex; None or "*": all).

    ``hooks={"PreToolUse": [HookMatcher("Write|Edit", [check])]}``. Only the
    ``PreToolUse`` and ``PostToolUse`` events exist here.
    """

    matcher: str | None = None
    hooks: list[HookCallback] = field(default_factory=list)
    timeout: float | None = None


# --- content blocks ---------------------------------------------------------


@dataclass
class TextBlock:
    text: str


@dataclass
class ThinkingBlock:
    thinking: str
    signature: str = ""


@dataclass
class ToolUseBlock:
    id: str
    name: str
    input: dict[str, Any]


@dataclass
class ToolResultBlock:
    tool_use_id: str
    content: str | list[dict[str, Any]] | None = None
    is_error: bool | None = None


ContentBlock: TypeAlias = TextBlock | ThinkingBlock | ToolUseBlock | ToolResultBlock


# --- messages ---------------------------------------------------------------


@dataclass
class UserMessage:
    content: str | list[ContentBlock]
    parent_tool_use_id: str | None = None


@dataclass
class AssistantMessage:
    content: list[ContentBlock]
    model: str
    parent_tool_use_id: str | None = None
    stop_reason: str | None = None


@dataclass
class SystemMessage:
    subtype: str
    data: dict[str, Any]


@dataclass
class ResultMessage:
    subtype: str
    duration_ms: int
    duration_api_ms: int
    is_error: bool
    num_turns: int
    session_id: str
    total_cost_usd: float | None = None
    usage: dict[str, Any] | None = None
    result: str | None = None


@dataclass
class StreamEvent:
    uuid: str
    session_id: str
    event: dict[str, Any]
    parent_tool_use_id: str | None = None


Message: TypeAlias = UserMessage | AssistantMessage | SystemMessage | ResultMessage | StreamEvent

__all__ = [
    "AssistantMessage",
    "AzureOpenAIOptions",
    "CanUseTool",
    "ContentBlock",
    "HookCallback",
    "HookContext",
    "HookMatcher",
    "Message",
    "PermissionResult",
    "PermissionResultAllow",
    "PermissionResultDeny",
    "ResultMessage",
    "StreamEvent",
    "SystemMessage",
    "TextBlock",
    "ThinkingBlock",
    "ToolPermissionContext",
    "ToolResultBlock",
    "ToolUseBlock",
    "UserMessage",
]
