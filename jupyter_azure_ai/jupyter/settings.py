"""The Jupyter settings: one ``Configurable`` that the magic, the chat panel and ``%config``
share.

Precedence, highest first: the magic line (or ``chat(**overrides)``), these traits
(``%azure config key=value``, ``%config AzureMagics.key = value``, or an IPython
config file), the ``AZURE_*`` variables, the defaults. Secrets are never traits: a
value typed in a cell is saved in the notebook, so they come from the environment.

``AzureMagics`` is a subclass, so ``%config AzureMagics.model = "gpt-4o"`` keeps
working and the magic *is* the kernel's settings once the extension is loaded;
``current()`` gives that one object to anyone who needs it (a chat panel made
before ``%load_ext`` gets a standalone one, which the magic adopts when it loads).
"""

from __future__ import annotations

from typing import Any

from traitlets import Bool, CFloat, CInt, Dict, Enum, TraitError, Unicode, validate
from traitlets.config import Configurable

from ..errors import ConfigurationError
from ..options import SECRET_FIELDS, AzureOpenAIOptions

#: Names users try for secrets (told to use the environment instead).
SECRET_NAMES = SECRET_FIELDS | {"subscription_key"}
#: Accepted spellings of a setting in ``%azure config``.
ALIASES = {"system_prompt": "system"}
#: The trait value of "no limit" for an option whose ``None`` means that (``None`` as a
#: trait means "not set": the environment or default applies).
UNLIMITED = -1
_NO_LIMIT_WORDS = ("none", "unlimited", "off")


def _opt(trait: Any, option: str) -> Any:
    """A trait that fills the ``AzureOpenAIOptions`` field ``option`` when set."""
    return trait.tag(config=True, option=option)


class AzureSettings(Configurable):
    """Settings of the ``%%azure`` magic and the chat panel (see the module docstring)."""

    model = _opt(Unicode(None, allow_none=True, help="deployment name"), "model")
    temperature = _opt(CFloat(None, allow_none=True, help="sampling temperature"), "temperature")
    max_tokens = _opt(CInt(None, allow_none=True, help="longest answer"), "max_tokens")
    system = _opt(Unicode(None, allow_none=True, help="system prompt"), "system_prompt")
    max_retries = _opt(
        CInt(None, allow_none=True, help="retries before an answer starts"), "max_retries"
    )
    endpoint = _opt(Unicode(None, allow_none=True, help="APIM endpoint URL"), "endpoint")
    api_version = _opt(
        Unicode(None, allow_none=True, help="Azure OpenAI api-version"), "api_version"
    )
    authority_host = _opt(
        Unicode(None, allow_none=True, help="Entra ID authority"), "authority_host"
    )
    tenant_id = _opt(Unicode(None, allow_none=True, help="Entra ID tenant"), "tenant_id")
    client_id = _opt(Unicode(None, allow_none=True, help="application (client) id"), "client_id")
    scope = _opt(Unicode(None, allow_none=True, help="OAuth2 scope"), "scope")
    verify = _opt(Unicode(None, allow_none=True, help="CA bundle path"), "verify")
    pricing = _opt(
        Dict(
            None,
            allow_none=True,
            help='USD per 1M tokens, per deployment: {"gpt-4o": {"input": 2.5, "output": 10}}',
        ),
        "pricing",
    )
    max_history_tokens = _opt(
        CInt(
            None,
            allow_none=True,
            help="most tokens of earlier exchanges sent with a prompt (default 16000;"
            " 0: the prompt alone; -1 or none: no limit)",
        ),
        "max_history_tokens",
    ).tag(unlimited=UNLIMITED)
    batch_model = _opt(
        Unicode(None, allow_none=True, help="Global-Batch deployment for --batch-api"),
        "batch_model",
    )
    format = Enum(["markdown", "text"], "markdown", help="answer display").tag(config=True)
    stream = Bool(True, help="stream answers as they arrive").tag(config=True)
    context_rows = CInt(
        5,
        help="head and tail rows of a DataFrame put in a prompt by {name}"
        " (0: its schema only, no values)",
    ).tag(config=True)
    debug = Bool(False, help="show full tracebacks").tag(config=True)
    mcp_servers = Dict(
        help='MCP servers for --mcp NAME: {"name": {"command": ..., "args": [...]}}'
    ).tag(config=True)

    @validate("context_rows")
    def _context_rows_not_negative(self, proposal: Any) -> int:
        if proposal["value"] < 0:
            raise TraitError("context_rows must be 0 (schema only) or more rows")
        return int(proposal["value"])

    def options(self, **line: Any) -> AzureOpenAIOptions:
        """Options for one question: ``line`` (non-None values) > traits > environment.

        Raises ``ConfigurationError`` (one line) when something required is missing.
        """
        overrides: dict[str, Any] = {"include_partial_messages": True}
        for name, trait in self.traits(option=lambda o: o is not None).items():
            value = getattr(self, name)
            if value is not None:
                no_limit = "unlimited" in trait.metadata and value == trait.metadata["unlimited"]
                overrides[trait.metadata["option"]] = None if no_limit else value
        overrides.update({k: v for k, v in line.items() if v is not None})
        return AzureOpenAIOptions.from_env(**overrides)

    def set_from_text(self, pairs: list[str]) -> None:
        """Apply ``key=value`` words (``%azure config``); ``key=`` or ``key=none`` unsets
        (but ``max_history_tokens=none`` means no limit, as ``None`` does in the options).

        Raises ``ConfigurationError`` naming the first bad word; nothing after it changes.
        """
        for pair in pairs:
            key, sep, value = pair.partition("=")
            key = key.strip().replace("-", "_")
            key = ALIASES.get(key, key)
            if key in SECRET_NAMES:
                raise ConfigurationError(
                    f"{key} is read from the environment only (a value typed in a cell is saved"
                    " in the notebook): set AZURE_CLIENT_SECRET / AZURE_APIM_SUBSCRIPTION_KEY"
                )
            trait = self.traits(config=True).get(key)
            if not sep or trait is None:
                known = ", ".join(sorted(self.traits(config=True)))
                raise ConfigurationError(
                    f"unknown setting {pair!r}: write key=value with one of {known}"
                )
            try:
                word = value.strip().lower()
                if "unlimited" in trait.metadata and word in _NO_LIMIT_WORDS:
                    setattr(self, key, trait.metadata["unlimited"])
                elif word in ("none", ""):
                    setattr(self, key, None if trait.allow_none else trait.default_value)
                else:
                    setattr(self, key, trait.from_string(value))
            except Exception as exc:
                raise ConfigurationError(f"bad value for {key}: {exc}") from None

    def rows(self) -> list[tuple[str, str]]:
        """(setting, shown value) for ``%azure config``; unset ones show their effective
        value from the environment or defaults; secrets only as ``***``."""
        try:
            effective: AzureOpenAIOptions | None = self.options()
            problem = ""
        except ConfigurationError as exc:
            effective, problem = None, str(exc)
        out = []
        for name, trait in sorted(self.traits(config=True).items()):
            value = getattr(self, name)
            option = trait.metadata.get("option")
            if value is None and option and effective is not None:
                shown = f"{getattr(effective, option)!r} (environment/default)"
            elif "unlimited" in trait.metadata and value == trait.metadata["unlimited"]:
                shown = "None (no limit)"
            else:
                shown = str(value)
            out.append((name, shown))
        if effective is not None:
            out.append(("client_secret", "***" if effective.client_secret else "(not set)"))
            out.append(("subscription_key", "***"))
        else:
            out.append(("(not ready)", problem))
        return out

    def adopt(self, other: AzureSettings) -> None:
        """Take the values ``other`` had changed (a standalone made before the magic)."""
        for name, trait in other.traits(config=True).items():
            value, default = getattr(other, name), trait.default()
            if value != default and getattr(self, name) == default:
                setattr(self, name, value)


def current(shell: Any = None) -> AzureSettings:
    """The kernel's settings (the magic once loaded; else a standalone, made once)."""
    if shell is None:
        from IPython.core.getipython import get_ipython

        shell = get_ipython()
    if shell is None:
        return AzureSettings()
    for configurable in shell.configurables:
        if isinstance(configurable, AzureSettings):
            return configurable
    settings = AzureSettings(parent=shell)
    shell.configurables.append(settings)
    return settings


__all__ = ["AzureSettings", "current"]
