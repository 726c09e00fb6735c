"""Options, split by lifetime.

``AzureOpenAIOptions`` is the public, seed-compatible constructor: one flat dataclass
with every setting. Inside the SDK it is never passed around whole; it is split into
four frozen parts, because each lives for a different time:

- ``ConnectionSettings`` — endpoint, credentials, authority, scope, TLS, proxy,
  default headers. Hashable: it keys a client's connection pool and token cache. A
  change here needs a new client.
- ``QuerySettings`` — deployment, api-version, sampling, limits, system prompt, retry
  budget and timeout, pricing. Given to each query; the client's own are the
  default (``AzureAgentClient.query(prompt, settings=...)``).
- ``ToolSettings`` — tools, allowed built-ins, MCP servers, permission callback,
  hooks, working directory. Also per query.
- ``SessionSettings`` — which saved conversation a client starts from (``resume``,
  ``continue_conversation``, ``fork_session``) and whether it is saved. Read once, when
  the client is built (sessions.py).

``max_retries`` and ``timeout`` are request policies (httpx and openai-python set
them per request too), so they sit with the query, not the connection: changing the
retry budget must neither be ignored by a running client nor cost the conversation.

Validation runs when the options are built *and* whenever a field is assigned
afterwards (``o.max_tokens = -5`` raises ``ConfigurationError``), and each part
validates itself, so no path bypasses it.

Field facts that several places need (environment variable, secret, shown by
``%azure config``) are declared once, as field metadata on ``AzureOpenAIOptions``;
``ENV_REQUIRED``, ``ENV_OPTIONAL`` and ``SECRET_FIELDS`` are derived from it.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .errors import ConfigurationError

if TYPE_CHECKING:
    from .types import AgentDefinition, CanUseTool, HookMatcher

DEFAULT_SCOPE = "https://cognitiveservices.azure.com/.default"
DEFAULT_API_VERSION = "2024-10-21"
PUBLIC_CLOUD_AUTHORITY = "https://login.microsoftonline.com"
DEFAULT_TIMEOUT = 600.0
DEFAULT_MAX_TURNS = 10
DEFAULT_MAX_HISTORY_TOKENS = 16_000

BUILTIN_TOOLS = ("Read", "Write", "Edit", "Glob", "Grep")
"""The file tools, all confined to ``cwd``; the Claude preset ``tools={"type": "preset",
"preset": "claude_code"}`` offers all of them."""
SHELL_TOOL = "Bash"
"""Offered only when named in ``tools`` or ``allowed_tools``: a shell is not confined."""
PERMISSION_MODES = ("default", "acceptEdits", "plan", "bypassPermissions", "dontAsk", "auto")


def _meta(env: str = "", *, required: bool = False, secret: bool = False) -> dict[str, Any]:
    return {"env": env, "required": required, "secret": secret}


# --- the public constructor ---------------------------------------------------


@dataclass(repr=False)
class AzureOpenAIOptions:
    """Everything needed to reach one Azure OpenAI deployment through APIM.

    The first eleven fields are the seed's, in the seed's order, so positional and
    keyword construction written for it keeps working. ``repr()`` and ``str()`` show
    secrets as ``'***'``. Assigning a bad value later raises ``ConfigurationError``.

    Connection (a change needs a new client):
        tenant_id, client_id, client_secret: the Entra ID app (client-credentials flow).
        endpoint: the APIM URL, e.g. ``https://contoso.azure-api.net/openai``; a path
            ending in ``/v1`` uses the v1 API, no path means the Azure OpenAI resource.
        apim_subscription_key: sent as ``Ocp-Apim-Subscription-Key``.
        scope: the OAuth2 scope of the token.
        credential: any azure-core ``TokenCredential`` / ``AsyncTokenCredential``
            (managed identity, ...); replaces tenant_id/client_id/client_secret.
        authority_host: Entra ID's host (default ``AZURE_AUTHORITY_HOST``, else the
            public cloud); must be https.
        verify: True, False or a CA bundle path (default honours ``SSL_CERT_FILE`` /
            ``REQUESTS_CA_BUNDLE``).
        proxy: an https proxy URL (default honours ``HTTPS_PROXY``).
        default_headers: extra headers sent to the endpoint (never across a redirect).

    Per query (a client's are the defaults; ``query(prompt, settings=...)`` overrides):
        model: the deployment name.
        max_tokens: the longest answer, in tokens (sent as ``max_completion_tokens``
            to deployments that ask for it).
        temperature: 0.0-2.0, or None for the deployment's default.
        system_prompt: the system message.
        max_turns: the most model turns of one query's tool loop (default 10).
        max_history_tokens: the most the earlier exchanges of a conversation may add
            to a request, in the service's tokens (default 16,000; ``None``: no limit;
            ``0``: the prompt alone). The oldest whole exchanges are left out first;
            ``history`` keeps them all (api.md §7, ``_internal/history.py``).
        api_version: the Azure OpenAI ``api-version`` (ignored on ``/v1`` endpoints).
        include_partial_messages: also yield a ``StreamEvent`` per delta.
        timeout: seconds for one request (None: no limit).
        max_retries: retries before the first byte of an answer (connect errors,
            timeouts, 408/409/429/5xx).
        pricing: USD per 1M tokens per deployment, for ``total_cost_usd``:
            ``{"gpt-4o": {"input": 2.5, "output": 10.0, "cached_input": 1.25}}``;
            without it the built-in table (pricing.py) is used, matched on the model
            name the service reports. The Batch API costs half of these, or
            ``"batch_input"`` / ``"batch_output"`` when given.
        output_format: a pydantic model, dataclass or TypedDict, or
            ``{"type": "json_schema", "schema": {...}}``: the answer is JSON following
            it, parsed into ``ResultMessage.structured_output`` (structured.py).
        batch_model: the Global-Batch deployment ``submit_batch`` sends rows to
            (default: ``model``; a Standard deployment cannot run batch jobs).

    Tools (per query too):
        tools: OpenAI function dicts (returned to you, not run) and/or ``@tool``
            functions (run by the SDK, results sent back).
        cwd: the folder the built-in file tools are confined to, and MCP servers run in.
        allowed_tools: built-in file tools to offer (``"Read"``, ``"Write"``, ``"Edit"``,
            ``"Glob"``, ``"Grep"``).
        mcp_servers: ``{"name": {"command": ..., "args": [...], "env": {...}}}`` (stdio)
            or ``create_sdk_mcp_server(...)`` results.
        can_use_tool: async callback deciding each tool call (Claude Agent SDK shape).
        hooks: ``{"PreToolUse" | "PostToolUse" | "UserPromptSubmit" | "Stop" | ...:
            [HookMatcher(...)]}`` (hooks.py lists the events and which fire here).
        permission_mode: ``"default"``, ``"acceptEdits"`` (Write/Edit run without
            asking), ``"plan"`` (Write/Edit/Bash never run), ``"bypassPermissions"``
            (``can_use_tool`` never asked), ``"dontAsk"`` (what ``allowed_tools`` does
            not approve is denied), ``"auto"`` (as default). See _internal/permissions.py.
        disallowed_tools: tool names (or rules such as ``"Bash(rm:*)"``) never run; a
            plain name is not even offered.
        env: extra environment variables for MCP servers and the ``Bash`` tool.
        add_dirs: further folders the file tools may use besides ``cwd``.
        max_budget_usd: stop before a model turn once the query cost this much
            (``subtype="error_max_budget_usd"``).
        user: sent as the request's ``user`` (Azure's end-user id).
        fallback_model: a deployment asked instead when ``model``'s is missing, still
            rate limited after its retries, or failing with a 5xx.
        agents: ``{"name": AgentDefinition(description, prompt, tools, model)}``:
            subagents the model may run through the ``Task`` tool (``_internal/subagents.py``).
        forward_subagent_text: also yield a subagent's text (by default, as in the Claude
            SDK, only its tool calls and results are yielded; its answer is the Task result).

    The Claude Agent SDK's other option fields are accepted; docs/claude-options.md says
    which are mapped (``max_budget_usd``, ``user``, ``system_prompt`` presets, ``tools``
    by name) and which have no effect here, and why.

    Session (read when a client is built; conversations are saved, sessions.py):
        resume: a saved session's id: the client carries on with that conversation.
        continue_conversation: carry on with the most recent session of this folder
            (``cwd``, else the current directory); a new one when there is none.
        fork_session: with ``resume`` / ``continue_conversation``, carry on under a new
            session id; the saved original stays as it was.
        persist_session: save the conversation (default True) under the data dir
            (``JUPYTER_AZURE_AI_DATA_DIR``, else the platform's user data folder).
        session_id: the id (a UUID) of the new conversation instead of a random one; with
            ``resume`` / ``continue_conversation`` only together with ``fork_session`` (the
            fork's id), as in the Claude SDK.
        resume_session_at, resume_drops_turn, session_store, session_store_flush,
            load_timeout_ms: the Claude SDK's, accepted with no effect (messages carry no
            UUIDs to resume at; sessions are files in the data dir, not a store).
    """

    tenant_id: str = field(default="", metadata=_meta("AZURE_TENANT_ID", required=True))
    client_id: str = field(default="", metadata=_meta("AZURE_CLIENT_ID", required=True))
    client_secret: str = field(
        default="", metadata=_meta("AZURE_CLIENT_SECRET", required=True, secret=True)
    )
    endpoint: str = field(default="", metadata=_meta("AZURE_APIM_ENDPOINT", required=True))
    apim_subscription_key: str = field(
        default="", metadata=_meta("AZURE_APIM_SUBSCRIPTION_KEY", required=True, secret=True)
    )
    model: str = field(default="gpt-4", metadata=_meta("AZURE_OPENAI_DEPLOYMENT"))
    max_tokens: int = 4096
    temperature: float | None = None
    scope: str = DEFAULT_SCOPE
    tools: list[Any] | None = None
    cwd: str | Path | None = None
    system_prompt: str | None = None
    max_turns: int | None = None
    api_version: str = field(
        default=DEFAULT_API_VERSION, metadata=_meta("AZURE_OPENAI_API_VERSION")
    )
    include_partial_messages: bool = False
    credential: Any = field(default=None, metadata=_meta(secret=True))
    authority_host: str | None = field(default=None, metadata=_meta("AZURE_AUTHORITY_HOST"))
    timeout: float | None = DEFAULT_TIMEOUT
    max_retries: int = 2
    verify: bool | str | None = None
    proxy: str | None = None
    default_headers: dict[str, str] | None = None
    allowed_tools: list[str] = field(default_factory=list)
    mcp_servers: dict[str, dict[str, Any]] | str | Path = field(default_factory=dict)
    can_use_tool: CanUseTool | None = None
    hooks: dict[str, list[HookMatcher]] | None = None
    pricing: dict[str, dict[str, float]] | None = None
    max_history_tokens: int | None = DEFAULT_MAX_HISTORY_TOKENS
    output_format: Any = None
    resume: str | None = None
    continue_conversation: bool = False
    fork_session: bool = False
    persist_session: bool = True
    session_id: str | None = None
    resume_session_at: str | None = None  # no effect (see the docstring)
    resume_drops_turn: str | None = None  # no effect
    session_store: Any = None  # no effect
    session_store_flush: str = "batched"  # no effect
    load_timeout_ms: int = 60_000  # no effect
    batch_model: str | None = None
    permission_mode: str | None = None
    disallowed_tools: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    max_budget_usd: float | None = None
    user: str | None = None
    fallback_model: str | None = None
    add_dirs: list[str | Path] = field(default_factory=list)
    # Claude Agent SDK fields accepted with no effect here (docs/claude-options.md: why)
    betas: list[str] = field(default_factory=list)
    max_thinking_tokens: int | None = None
    thinking: dict[str, Any] | None = None
    effort: str | None = None
    task_budget: dict[str, Any] | None = None
    strict_mcp_config: bool = False
    permission_prompt_tool_name: str | None = None
    setting_sources: list[str] | None = None
    skills: list[str] | str | None = None
    sandbox: dict[str, Any] | None = None
    plugins: list[Any] = field(default_factory=list)
    include_hook_events: bool = False
    enable_file_checkpointing: bool = False
    cli_path: str | Path | None = None
    extra_args: dict[str, str | None] = field(default_factory=dict)
    max_buffer_size: int | None = None
    debug_stderr: Any = None
    stderr: Callable[[str], None] | None = None
    agents: dict[str, AgentDefinition] | None = None
    forward_subagent_text: bool = False

    def __post_init__(self) -> None:
        self._normalise()
        self._check()
        object.__setattr__(self, "_ready", True)

    def __setattr__(self, name: str, value: Any) -> None:
        if not self.__dict__.get("_ready"):
            object.__setattr__(self, name, value)
            return
        old = getattr(self, name)
        object.__setattr__(self, name, value)
        try:
            self._normalise()
            self._check()
        except ConfigurationError:
            object.__setattr__(self, name, old)
            raise

    def _normalise(self) -> None:
        set_ = object.__setattr__
        set_(self, "authority_host", _authority(self.authority_host))
        set_(self, "endpoint", str(self.endpoint).rstrip("/"))
        set_(self, "mcp_servers", mcp_config(self.mcp_servers))

    def _check(self) -> None:
        values = self._values()
        for part in (ConnectionSettings, QuerySettings, ToolSettings, SessionSettings):
            part.check(_pick(part, values), "AzureOpenAIOptions")

    def _values(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    # --- the parts ------------------------------------------------------------

    @property
    def connection(self) -> ConnectionSettings:
        """What identifies the connection (frozen, hashable)."""
        return ConnectionSettings(**_pick(ConnectionSettings, self._values()))

    @property
    def settings(self) -> QuerySettings:
        """This query's settings (frozen)."""
        return QuerySettings(**_pick(QuerySettings, self._values()))

    @property
    def tool_settings(self) -> ToolSettings:
        """The tools offered (frozen)."""
        return ToolSettings(**_pick(ToolSettings, self._values()))

    @property
    def session_settings(self) -> SessionSettings:
        """Which saved conversation a client starts from (frozen)."""
        return SessionSettings(**_pick(SessionSettings, self._values()))

    # --- construction -----------------------------------------------------------

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, **overrides: Any
    ) -> AzureOpenAIOptions:
        """Build options from ``AZURE_*`` variables; ``overrides`` win over the environment.
        An override that is None for a field with a variable counts as not given (the
        Claude SDK's ``model=None``: its default model, here the deployment's variable).

        Raises one ``ConfigurationError`` naming every missing required variable.
        """
        env = os.environ if environ is None else environ
        overrides = {k: v for k, v in overrides.items() if v is not None or k not in ENV_VARIABLES}
        values: dict[str, Any] = {}
        missing = []
        for name, var in ENV_VARIABLES.items():
            if name in overrides or (name in _SECRET_FLOW and overrides.get("credential")):
                continue
            value = env.get(var, "").strip()
            if value:
                values[name] = value
            elif name in ENV_REQUIRED:
                missing.append(var)
        if missing:
            raise ConfigurationError(
                "Missing environment variable(s): "
                + ", ".join(missing)
                + " (run `python -m jupyter_azure_ai.emulator` for a local stand-in)"
            )
        values.update(overrides)
        return cls(**values)

    def __repr__(self) -> str:
        return _masked_repr(self)

    __str__ = __repr__

    def secrets(self) -> tuple[str, ...]:
        """The secret strings to scrub from any text that leaves the SDK."""
        return self.connection.secrets()


_dataclass_init = AzureOpenAIOptions.__init__


@functools.wraps(_dataclass_init)
def _init(self: AzureOpenAIOptions, *args: Any, settings: Any = None, **kwargs: Any) -> None:
    # The Claude option ``settings`` (a settings file for its CLI) cannot be a field: the
    # name is the ``settings`` property (the query settings). It is accepted, no effect.
    if settings is not None and not isinstance(settings, (str, Path)):
        raise ConfigurationError(
            f"AzureOpenAIOptions: settings= (a Claude Code settings file, no effect here)"
            f" must be a path, got {type(settings).__name__}"
        )
    _dataclass_init(self, *args, **kwargs)


AzureOpenAIOptions.__init__ = _init  # type: ignore[method-assign]


# --- the four parts ------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class ConnectionSettings:
    """Endpoint, credentials and transport: what a client's pool and token cache are for.

    Frozen and hashable (``default_headers`` is kept as sorted pairs); equal settings
    can share a client. See ``AzureOpenAIOptions`` for each field.
    """

    tenant_id: str = ""
    client_id: str = ""
    client_secret: str = ""
    endpoint: str = ""
    apim_subscription_key: str = ""
    scope: str = DEFAULT_SCOPE
    credential: Any = None
    authority_host: str | None = None
    verify: bool | str | None = None
    proxy: str | None = None
    default_headers: Any = None  # given as a dict; kept as a tuple of pairs

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "authority_host", _authority(self.authority_host))
        set_(self, "endpoint", str(self.endpoint).rstrip("/"))
        headers = self.default_headers
        if isinstance(headers, Mapping):
            set_(self, "default_headers", tuple(sorted(headers.items())))
        self.check(vars(self), type(self).__name__)

    @staticmethod
    def check(v: Mapping[str, Any], owner: str) -> None:
        """Raise ``ConfigurationError`` for the first bad field (no secret in the text)."""
        if v["credential"] is None:
            for name in _SECRET_FLOW:
                if not str(v[name]).strip():
                    raise ConfigurationError(
                        f"{owner}.{name} is empty: set it (or {ENV_VARIABLES[name]}),"
                        " or pass credential=..."
                    )
        if not v["apim_subscription_key"]:
            raise ConfigurationError(
                f"{owner}.apim_subscription_key is empty: set it (or AZURE_APIM_SUBSCRIPTION_KEY)"
            )
        authority = _authority(v["authority_host"])
        if not authority.startswith("https://"):  # azure-identity refuses it later
            raise ConfigurationError(
                f"{owner}.authority_host must be an https URL, got {authority!r}"
            )
        endpoint = str(v["endpoint"]).rstrip("/")
        parts = urlsplit(endpoint)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ConfigurationError(
                f"{owner}.endpoint must be an https URL such as"
                f" https://your-apim.azure-api.net/openai, got {endpoint!r}"
            )
        if parts.scheme == "http" and not _is_loopback(parts.hostname):
            raise ConfigurationError(
                f"{owner}.endpoint must use https: plain http is allowed only"
                f" to loopback, got {endpoint!r}"
            )

    @property
    def headers(self) -> dict[str, str]:
        """``default_headers`` as a dict."""
        return dict(self.default_headers or ())

    @property
    def v1(self) -> bool:
        """True for a ``.../v1`` endpoint (model in the body, no api-version)."""
        return urlsplit(self.endpoint).path.rstrip("/").endswith("/v1")

    def secrets(self) -> tuple[str, ...]:
        """The secret strings to scrub from any text that leaves the SDK."""
        return tuple(s for s in (self.client_secret, self.apim_subscription_key) if s)

    def __repr__(self) -> str:
        return _masked_repr(self)


@dataclass(frozen=True, repr=False)
class QuerySettings:
    """How one query is asked: deployment, sampling, limits, retry budget, pricing.

    A client keeps one as its default; ``AzureAgentClient.query(prompt,
    settings=...)`` uses another for one query. ``replace(settings, model=...)``
    derives a variant. See ``AzureOpenAIOptions`` for each field.
    """

    model: str = "gpt-4"
    max_tokens: int = 4096
    temperature: float | None = None
    system_prompt: Any = field(default=None, hash=False)  # str, or a Claude preset/file dict
    max_turns: int | None = None
    api_version: str = DEFAULT_API_VERSION
    include_partial_messages: bool = False
    timeout: float | None = DEFAULT_TIMEOUT
    max_retries: int = 2
    pricing: Mapping[str, Mapping[str, float]] | None = field(default=None, hash=False)
    max_history_tokens: int | None = DEFAULT_MAX_HISTORY_TOKENS
    output_format: Any = field(default=None, hash=False)
    batch_model: str | None = None
    max_budget_usd: float | None = None
    user: str | None = None
    fallback_model: str | None = None
    betas: list[str] = field(default_factory=list, hash=False)  # no effect
    max_thinking_tokens: int | None = None  # no effect
    thinking: dict[str, Any] | None = field(default=None, hash=False)  # no effect
    effort: str | None = None  # no effect
    task_budget: dict[str, Any] | None = field(default=None, hash=False)  # no effect

    def __post_init__(self) -> None:
        self.check(vars(self), type(self).__name__)

    @property
    def system_text(self) -> str | None:
        """The system message to send: ``system_prompt`` itself, a preset's ``append``
        (Claude Code's own prompt is not sent), or a ``{"type": "file"}``'s text."""
        return system_text(self.system_prompt)

    @staticmethod
    def check(v: Mapping[str, Any], owner: str) -> None:
        """Raise ``ConfigurationError`` for the first bad field."""
        if not v["model"]:
            raise ConfigurationError(f"{owner}.model (the deployment name) is empty")
        max_tokens = v["max_tokens"]
        if isinstance(max_tokens, bool) or not isinstance(max_tokens, int):
            raise ConfigurationError(f"{owner}.max_tokens must be an int, got {max_tokens!r}")
        if max_tokens <= 0:
            raise ConfigurationError(f"{owner}.max_tokens must be > 0, got {max_tokens}")
        temperature = v["temperature"]
        if temperature is not None and not (
            isinstance(temperature, (int, float)) and 0.0 <= float(temperature) <= 2.0
        ):
            raise ConfigurationError(
                f"{owner}.temperature must be between 0.0 and 2.0, got {temperature}"
            )
        _check_int(v, "max_turns", owner, minimum=1, optional=True)
        _check_int(v, "max_retries", owner, minimum=0)
        _check_int(v, "max_history_tokens", owner, minimum=0, optional=True)
        timeout = v["timeout"]
        if timeout is not None and (not isinstance(timeout, (int, float)) or timeout <= 0):
            raise ConfigurationError(f"{owner}.timeout must be > 0 seconds, got {timeout}")
        budget = v["max_budget_usd"]
        if budget is not None and (
            isinstance(budget, bool) or not isinstance(budget, (int, float)) or budget <= 0
        ):
            raise ConfigurationError(f"{owner}.max_budget_usd must be > 0 (USD), got {budget!r}")
        _check_system_prompt(v["system_prompt"], owner)
        for deployment, price in (v["pricing"] or {}).items():
            ok = isinstance(price, Mapping) and {"input", "output"} <= price.keys()
            ok = ok and price.keys() <= _PRICE_KEYS
            ok = ok and ("batch_input" in price) == ("batch_output" in price)
            ok = ok and ("batch_cached_input" not in price or "batch_input" in price)
            if not ok or not all(isinstance(p, (int, float)) and p >= 0 for p in price.values()):
                raise ConfigurationError(
                    f"{owner}.pricing[{deployment!r}] must be USD per 1M tokens such as"
                    f" {{'input': 2.5, 'output': 10.0, 'cached_input': 1.25}} (Batch API"
                    f" prices, if you have them: 'batch_input' and 'batch_output'), got {price!r}"
                )
        batch_model = v["batch_model"]
        if batch_model is not None and (not isinstance(batch_model, str) or not batch_model):
            raise ConfigurationError(
                f"{owner}.batch_model (the Global-Batch deployment name) must be a non-empty"
                f" str or None, got {batch_model!r}"
            )
        if v["output_format"] is not None:
            from .structured import SchemaError, compile_output_format

            try:
                compile_output_format(v["output_format"])
            except SchemaError as exc:
                raise ConfigurationError(f"{owner}.output_format: {exc}") from None

    @property
    def batch_deployment(self) -> str:
        """The deployment batch jobs go to: ``batch_model``, else ``model``."""
        return self.batch_model or self.model

    @property
    def turns(self) -> int:
        """The bound of the tool loop (``max_turns`` or the default)."""
        return self.max_turns or DEFAULT_MAX_TURNS

    def replace(self, **changes: Any) -> QuerySettings:
        """A copy with ``changes`` (validated)."""
        return replace(self, **changes)

    def __repr__(self) -> str:
        return _masked_repr(self)


@dataclass(frozen=True, eq=False, repr=False)
class ToolSettings:
    """What a query may call: functions, built-ins, MCP servers, and who approves.

    See ``AzureOpenAIOptions`` for each field.
    """

    tools: tuple[Any, ...] = ()
    cwd: str | Path | None = None
    allowed_tools: tuple[str, ...] = ()
    mcp_servers: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    can_use_tool: CanUseTool | None = None
    hooks: Mapping[str, list[HookMatcher]] | None = None
    agents: Mapping[str, AgentDefinition] | None = None
    forward_subagent_text: bool = False

    permission_mode: str | None = None
    disallowed_tools: tuple[str, ...] = field(default_factory=tuple)
    env: Mapping[str, str] = field(default_factory=dict)
    add_dirs: tuple[str | Path, ...] = field(default_factory=tuple)
    # accepted, no effect here (docs/claude-options.md says why)
    strict_mcp_config: bool = False
    permission_prompt_tool_name: str | None = None
    setting_sources: list[str] | None = None
    skills: list[str] | str | None = None
    sandbox: Mapping[str, Any] | None = None
    plugins: tuple[Any, ...] = field(default_factory=tuple)
    include_hook_events: bool = False
    enable_file_checkpointing: bool = False
    cli_path: str | Path | None = None
    extra_args: Mapping[str, str | None] = field(default_factory=dict)
    max_buffer_size: int | None = None
    debug_stderr: Any = None
    stderr: Callable[[str], None] | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "tools", _tool_entries(self.tools))
        set_(self, "allowed_tools", tuple(self.allowed_tools or ()))
        set_(self, "disallowed_tools", tuple(self.disallowed_tools or ()))
        set_(self, "add_dirs", tuple(self.add_dirs or ()))
        set_(self, "plugins", tuple(self.plugins or ()))
        set_(self, "mcp_servers", mcp_config(self.mcp_servers))
        set_(self, "env", dict(self.env or {}))
        self.check(vars(self), type(self).__name__)

    @property
    def builtins(self) -> tuple[str, ...]:
        """The built-in tools offered: those named in ``tools`` when it names any (the
        Claude way to choose built-ins), else those ``allowed_tools`` names; the Claude
        preset in ``tools`` adds every file tool. ``Bash`` only when named (with the preset:
        in ``allowed_tools``). Minus plain ``disallowed_tools`` names. Other names (Claude
        tools not offered here, such as ``WebFetch``) are ignored, never an error."""
        known = (*BUILTIN_TOOLS, SHELL_TOOL)
        chosen: list[str] = []
        if any(_is_tools_preset(t) for t in self.tools):
            chosen += BUILTIN_TOOLS
        by_tools = [t for t in self.tools if isinstance(t, str)]
        for name in by_tools or self.allowed_tools:
            base = rule_tool(name)
            if base in known and base not in chosen:
                chosen.append(base)
        return tuple(n for n in chosen if n not in self.disallowed_tools)

    @staticmethod
    def check(v: Mapping[str, Any], owner: str) -> None:
        """Raise ``ConfigurationError`` for the first bad field."""
        for t in _tool_entries(v["tools"]):
            if not (isinstance(t, (dict, str)) or hasattr(t, "to_openai")):
                hint = " (decorate it with @tool)" if callable(t) else ""
                raise ConfigurationError(
                    f"{owner}.tools entries must be OpenAI function dicts or @tool functions,"
                    f" got {t!r}{hint}"
                )
        for key in ("allowed_tools", "disallowed_tools"):
            names = v[key] or ()
            if isinstance(names, str) or not all(isinstance(n, str) for n in names):
                raise ConfigurationError(f"{owner}.{key} must be a list of tool names")
        mode = v["permission_mode"]
        if mode is not None and mode not in PERMISSION_MODES:
            raise ConfigurationError(
                f"{owner}.permission_mode must be one of {', '.join(PERMISSION_MODES)},"
                f" got {mode!r}"
            )
        env = v["env"] or {}
        if not isinstance(env, Mapping) or not all(
            isinstance(k, str) and isinstance(val, str) for k, val in env.items()
        ):
            raise ConfigurationError(f"{owner}.env must be a dict of str to str")
        from .hooks import KNOWN_EVENTS

        for event, matchers in (v["hooks"] or {}).items():
            if event not in KNOWN_EVENTS:
                raise ConfigurationError(
                    f"{owner}.hooks: unknown event {event!r}; events are"
                    f" {', '.join(sorted(KNOWN_EVENTS))}"
                )
            for m in matchers or ():
                pattern = getattr(m, "matcher", None)
                if not hasattr(m, "hooks"):
                    raise ConfigurationError(
                        f"{owner}.hooks[{event!r}] entries must be HookMatcher(matcher, [hook]),"
                        f" got {m!r}"
                    )
                if pattern not in (None, "", "*"):
                    try:
                        re.compile(pattern)
                    except (re.error, TypeError) as exc:
                        raise ConfigurationError(
                            f"{owner}.hooks[{event!r}]: matcher {pattern!r} is not a regular"
                            f" expression ({exc})"
                        ) from None
        for agent_name, agent in (v["agents"] or {}).items():
            if not (isinstance(getattr(agent, "prompt", None), str) and agent_name):
                raise ConfigurationError(
                    f"{owner}.agents[{agent_name!r}] must be an AgentDefinition(description,"
                    f" prompt, ...), got {agent!r}"
                )
        for server, config in (v["mcp_servers"] or {}).items():
            kind = config.get("type", "stdio") if isinstance(config, dict) else None
            if kind == "stdio" and not isinstance(config.get("command"), str):
                raise ConfigurationError(
                    f"{owner}.mcp_servers[{server!r}] needs a 'command' (str),"
                    f" 'args' (list) and optionally 'env' (dict), got"
                    f" {_masked_servers({server: config})[server]!r}"
                )
            if kind not in ("stdio", "sdk"):
                raise ConfigurationError(
                    f"{owner}.mcp_servers[{server!r}]: type {kind!r} is not supported"
                    " (stdio servers as {'command': ..., 'args': [...]}, or"
                    " create_sdk_mcp_server())"
                )

    @property
    def stdio_servers(self) -> dict[str, dict[str, Any]]:
        """The MCP servers that run as processes (the client owns them)."""
        return {k: v for k, v in self.mcp_servers.items() if v.get("type", "stdio") == "stdio"}

    def __repr__(self) -> str:
        return _masked_repr(self)


@dataclass(frozen=True, repr=False)
class SessionSettings:
    """Which saved conversation a client starts from, and whether it is saved.

    See ``AzureOpenAIOptions`` for each field; sessions.py for the files.
    """

    resume: str | None = None
    continue_conversation: bool = False
    fork_session: bool = False
    persist_session: bool = True
    session_id: str | None = None
    resume_session_at: str | None = None  # no effect
    resume_drops_turn: str | None = None  # no effect
    session_store: Any = field(default=None, hash=False, compare=False)  # no effect
    session_store_flush: str = "batched"  # no effect
    load_timeout_ms: int = 60_000  # no effect

    def __post_init__(self) -> None:
        self.check(vars(self), type(self).__name__)

    @staticmethod
    def check(v: Mapping[str, Any], owner: str) -> None:
        """Raise ``ConfigurationError`` for the first bad field."""
        if v["resume"] is not None:
            from .sessions import check_session_id

            try:
                check_session_id(v["resume"])
            except ConfigurationError as exc:
                raise ConfigurationError(f"{owner}.resume: {exc}") from None
            if v["continue_conversation"]:
                raise ConfigurationError(
                    f"{owner}: resume and continue_conversation exclude each other"
                    " (resume names a session; continue_conversation picks the latest)"
                )
        if v["session_id"] is not None:
            from .sessions import check_session_id

            try:
                check_session_id(v["session_id"])
            except ConfigurationError as exc:
                raise ConfigurationError(f"{owner}.session_id: {exc}") from None
            starts_from = v["resume"] is not None or v["continue_conversation"]
            if starts_from and not v["fork_session"]:
                raise ConfigurationError(
                    f"{owner}.session_id names a new conversation: with resume or"
                    " continue_conversation it needs fork_session=True (the fork's id)"
                )
        if v["fork_session"] and v["resume"] is None and not v["continue_conversation"]:
            raise ConfigurationError(
                f"{owner}.fork_session needs resume=<session id> or continue_conversation=True"
            )

    def __repr__(self) -> str:
        return _masked_repr(self)


_PRICE_KEYS = {"input", "output", "cached_input", "batch_input", "batch_output",
               "batch_cached_input"}  # fmt: skip

# --- derived declarations ---------------------------------------------------------

_OPTION_FIELDS = fields(AzureOpenAIOptions)
#: Fields whose values never appear in a repr, log or error message.
SECRET_FIELDS = frozenset(f.name for f in _OPTION_FIELDS if f.metadata.get("secret"))
#: field -> environment variable, for every field that has one.
ENV_VARIABLES = {f.name: f.metadata["env"] for f in _OPTION_FIELDS if f.metadata.get("env")}
#: Required variables, in the order they are reported when missing.
ENV_REQUIRED = {f.name: f.metadata["env"] for f in _OPTION_FIELDS if f.metadata.get("required")}
ENV_OPTIONAL = {n: v for n, v in ENV_VARIABLES.items() if n not in ENV_REQUIRED}
_SECRET_FLOW = ("tenant_id", "client_id", "client_secret")
#: Claude Agent SDK fields accepted with no effect here (docs/claude-options.md: why).
NO_EFFECT_FIELDS = frozenset(
    {"betas", "max_thinking_tokens", "thinking", "effort", "task_budget"}
    | {"strict_mcp_config", "permission_prompt_tool_name", "setting_sources"}
    | {"skills", "sandbox", "plugins", "include_hook_events", "enable_file_checkpointing"}
    | {"cli_path", "extra_args", "max_buffer_size", "debug_stderr", "stderr"}
)


def _is_tools_preset(entry: Any) -> bool:
    return isinstance(entry, Mapping) and entry.get("type") == "preset"


def _tool_entries(tools: Any) -> tuple[Any, ...]:
    """``tools`` as a tuple; the Claude preset dict given on its own is one entry."""
    if _is_tools_preset(tools):
        return (tools,)
    return tuple(tools or ())


def mcp_config(value: Any) -> dict[str, Any]:
    """``mcp_servers`` as a dict. As in Claude it may also be a JSON config file's path or
    its text, ``{"mcpServers": {...}}`` or the servers themselves."""
    if not isinstance(value, (str, Path)):
        return dict(value or {})
    text, where = str(value), "mcp_servers"
    if not text.lstrip().startswith("{"):
        where = f"mcp_servers file {text!r}"
        try:
            text = Path(text).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigurationError(f"{where}: {exc.strerror or exc}") from None
    try:
        loaded = json.loads(text)
    except ValueError as exc:
        raise ConfigurationError(f"{where} is not valid JSON: {exc}") from None
    servers = loaded.get("mcpServers", loaded) if isinstance(loaded, dict) else None
    if not isinstance(servers, dict):
        raise ConfigurationError(f'{where} must hold {{"mcpServers": {{name: config}}}}')
    return servers


def rule_tool(rule: str) -> str:
    """The tool a permission rule names: ``"Bash(git status:*)"`` → ``"Bash"``."""
    return rule.split("(", 1)[0].strip()


def system_text(prompt: Any) -> str | None:
    """The text to send for a ``system_prompt`` value (see ``QuerySettings.system_text``)."""
    if prompt is None or isinstance(prompt, str):
        return prompt or None
    if prompt.get("type") == "file":
        return Path(prompt["path"]).read_text(encoding="utf-8") or None
    return prompt.get("append") or None  # a preset: Claude Code's own prompt is not ours


def _check_system_prompt(prompt: Any, owner: str) -> None:
    if prompt is None or isinstance(prompt, str):
        return
    kind = prompt.get("type") if isinstance(prompt, Mapping) else None
    if kind == "preset" and isinstance(prompt.get("append", ""), str):
        return
    if kind == "file" and isinstance(prompt.get("path"), (str, Path)):
        if not Path(prompt["path"]).is_file():
            raise ConfigurationError(
                f"{owner}.system_prompt: file {str(prompt['path'])!r} does not exist"
            )
        return
    raise ConfigurationError(
        f"{owner}.system_prompt must be a str, {{'type': 'preset', 'preset': ...,"
        f" 'append': str}} or {{'type': 'file', 'path': str}}, got {type(prompt).__name__}"
    )


def _pick(part: type[Any], values: Mapping[str, Any]) -> dict[str, Any]:
    return {f.name: values[f.name] for f in fields(part)}


def _check_int(
    v: Mapping[str, Any], name: str, owner: str, *, minimum: int, optional: bool = False
) -> None:
    value = v[name]
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigurationError(f"{owner}.{name} must be an int, got {value!r}")
    if value < minimum:
        raise ConfigurationError(f"{owner}.{name} must be >= {minimum}, got {value}")


def _authority(value: str | None) -> str:
    host = (value or os.environ.get("AZURE_AUTHORITY_HOST") or PUBLIC_CLOUD_AUTHORITY).rstrip("/")
    return host if "://" in host else "https://" + host


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _masked_servers(servers: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for name, config in servers.items():
        if isinstance(config, dict) and config.get("env"):
            config = {**config, "env": {k: "***" for k in config["env"]}}
        out[name] = config
    return out


def _masked_repr(obj: Any) -> str:
    shown = []
    for f in fields(obj):
        value = getattr(obj, f.name)
        if f.name in SECRET_FIELDS and value:
            shown.append(f"{f.name}='***'")
        elif f.name == "default_headers" and value:  # values may be credentials
            shown.append(f"{f.name}={ {k: '***' for k in dict(value)}!r}")
        elif f.name == "mcp_servers" and value:  # env values are often tokens
            shown.append(f"{f.name}={_masked_servers(value)!r}")
        elif f.name == "env" and value:  # so are these
            shown.append(f"{f.name}={ {k: '***' for k in value}!r}")
        elif f.name in NO_EFFECT_FIELDS and not value:
            continue  # a Claude option with no effect here, left at its default
        else:
            shown.append(f"{f.name}={value!r}")
    return f"{type(obj).__name__}({', '.join(shown)})"


__all__ = [
    "AzureOpenAIOptions",
    "ConnectionSettings",
    "QuerySettings",
    "SessionSettings",
    "ToolSettings",
]
