"""Options and the message model.

The message classes mirror the Claude Agent SDK (same names, same fields) so code
written for it migrates by changing the import. They are small dataclasses; a
``Message`` is one of them.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TypeAlias
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
            else:
                shown.append(f"{f.name}={value!r}")
        return f"AzureOpenAIOptions({', '.join(shown)})"

    __str__ = __repr__

    def secrets(self) -> tuple[str, ...]:
        """The secret strings to scrub from any text that leaves the SDK."""
        return tuple(s for s in (self.client_secret, self.apim_subscription_key) if s)


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
    "ContentBlock",
    "Message",
    "ResultMessage",
    "StreamEvent",
    "SystemMessage",
    "TextBlock",
    "ThinkingBlock",
    "ToolResultBlock",
    "ToolUseBlock",
    "UserMessage",
]
