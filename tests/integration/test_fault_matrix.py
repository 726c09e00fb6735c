"""Every fault the emulator can inject, in one table: the outcome, the requests it took,
and no secret in the error, its repr, its cause chain or the DEBUG logs.

README.md's troubleshooting table is checked against this table: each error below
matches one of its rows, and each of its rows is produced by some fault here.
"""

from __future__ import annotations

import logging
import re
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from jupyter_azure_ai import (
    APIStatusError,
    AuthenticationError,
    AzureOpenAIError,
    AzureOpenAIOptions,
    CLIConnectionError,
    ContentFilterError,
    ModelNotFoundError,
    RateLimitError,
    ResultMessage,
    StreamDecodeError,
    StreamInterruptedError,
    UnauthorizedError,
    azure_query,
)
from jupyter_azure_ai._internal.auth import clear_token_cache
from jupyter_azure_ai.emulator import Emulator

pytestmark = pytest.mark.anyio
README = Path(__file__).resolve().parents[2] / "README.md"


@dataclass
class Fault:
    name: str
    change: dict[str, Any] = field(default_factory=dict)
    error: type[AzureOpenAIError] | None = None  # None: retried (or not needed) and succeeded
    message: str = ""  # the start of the error message (regex)
    chat_requests: int = 1
    token_requests: int = 1
    setup: str = ""


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


FAULTS = [
    Fault("wrong client secret", {"client_secret": "not-the-secret"}, AuthenticationError,
          r"Failed to acquire Azure AD token: AADSTS7000215: Invalid client secret", 0),
    Fault("unknown client", {"client_id": "00000000-0000-0000-0000-00000000dead"},
          AuthenticationError, r"Failed to acquire Azure AD token: AADSTS700016", 0),
    Fault("unknown tenant", {"tenant_id": "no-such-tenant"}, AuthenticationError,
          r"Failed to acquire Azure AD token: tenant not found", 0, 0),
    Fault("bad scope", {"scope": "https://example.com/nope"}, AuthenticationError,
          r"Failed to acquire Azure AD token: AADSTS1002012", 0),
    Fault("token endpoint down", {}, AuthenticationError,
          r"Failed to acquire Azure AD token: token endpoint answered HTTP 503", 0, 1,
          setup="token_down"),
    Fault("token TLS not trusted", {"verify": True}, AuthenticationError,
          r"Failed to acquire Azure AD token: .*certificate", 0, 0),
    Fault("expired token, once", {"model": "fault-expired-token*1"}, None, "", 2, 2),
    Fault("revoked token", {}, None, "", 2, 2, setup="revoke"),
    Fault("token refused twice", {"model": "fault-expired-token"}, UnauthorizedError,
          r"401 Unauthorized: Invalid JWT\.", 2, 2),
    Fault("bad subscription key", {"apim_subscription_key": "wrong-key-wrong-key"},
          UnauthorizedError,
          r"401 Unauthorized: Access denied due to invalid subscription key", 2, 2),
    Fault("cross-host redirect", {"model": "fault-redirect"}, UnauthorizedError,
          r"401 Unauthorized: Access denied due to missing subscription key.*"
          r"\(after a redirect to https://localhost:\d+, which was not sent the token or the"
          r" subscription key\)", 4, 2),
    Fault("APIM rate limit, once", {"model": "fault-429*1"}, None, "", 2),
    Fault("429 retry-after-ms, once", {"model": "fault-429-ms*1"}, None, "", 2),
    Fault("429 retry-after date, once", {"model": "fault-429-date*1"}, None, "", 2),
    Fault("429 throughout", {"model": "fault-429-ms", "max_retries": 1}, RateLimitError,
          r"Rate limited \(429\): ", 2),
    Fault("APIM quota", {"model": "fault-quota"}, APIStatusError,
          r"HTTP 403 from Azure OpenAI: .*Out of call volume quota", 1),
    *[Fault(f"{s}, twice", {"model": f"fault-{s}*2"}, None, "", 3) for s in (500, 502, 503, 504)],
    Fault("503 throughout", {"model": "fault-503", "max_retries": 1}, APIStatusError,
          r"HTTP 503 from Azure OpenAI: ", 2),
    Fault("connect refused", {"endpoint": "https://127.0.0.1:{port}/openai", "max_retries": 1},
          CLIConnectionError, r"Failed to connect to Azure OpenAI: cannot connect", 0),
    Fault("API TLS not trusted", {"verify": True, "credential": "static"}, CLIConnectionError,
          r"Failed to connect to Azure OpenAI: TLS certificate not trusted", 0, 0),
    Fault("slow first byte", {"model": "fault-slow-first-byte", "timeout": 0.3, "max_retries": 1,
          "default_headers": {"x-emulator-delay-ms": "1500"}}, CLIConnectionError,
          r"Failed to connect to Azure OpenAI: timed out", 2),
    Fault("read timeout mid-stream", {"model": "fault-slow", "timeout": 0.3,
          "default_headers": {"x-emulator-delay-ms": "1500"}}, StreamInterruptedError,
          r"Failed to connect to Azure OpenAI: the answer stream broke", 1),
    Fault("mid-stream cut", {"model": "fault-cut"}, StreamInterruptedError,
          r"Failed to connect to Azure OpenAI: the answer stream broke", 1),
    Fault("malformed chunk", {"model": "fault-malformed"}, StreamDecodeError,
          r"Invalid JSON in the answer stream", 1),
    Fault("content filter on the prompt", {"model": "fault-content-filter"},
          ContentFilterError, r"Content filter blocked the prompt \(hate\)", 1),
    Fault("content filter on the completion", {"model": "fault-content-filter-completion"},
          ContentFilterError, r"Content filter stopped the completion \(violence\)", 1),
    Fault("unknown deployment", {"model": "gpt-17"}, ModelNotFoundError,
          r"Model not found: deployment 'gpt-17'", 1),
    Fault("CRLF and fragmented stream", {"default_headers": {"x-emulator-fault": "fragmented"}},
          None, "", 1),
]  # fmt: skip


class StaticCredential:
    def get_token(self, *scopes: str, **kw: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken("static-token-value-0123456789", 2**31)


def options_for(emu: Emulator, change: dict[str, Any]) -> AzureOpenAIOptions:
    change = dict(change)
    if change.get("credential") == "static":
        change["credential"] = StaticCredential()
    if "endpoint" in change:
        change["endpoint"] = change["endpoint"].format(port=closed_port())
    change.setdefault("verify", emu.ca_path)
    return AzureOpenAIOptions.from_env(emu.env(), **change)


@pytest.fixture(autouse=True)
def fresh_tokens() -> Any:
    clear_token_cache()
    yield
    clear_token_cache()


async def _prime_token(emu: Emulator) -> None:
    async for _ in azure_query("hello", options_for(emu, {})):
        pass
    emu.reset()


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
async def test_fault(
    emulator: Emulator, fault: Fault, caplog: pytest.LogCaptureFixture, monkeypatch: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    if fault.setup == "revoke":
        await _prime_token(emulator)
        emulator.revoke_tokens()
        fault.token_requests -= 1  # the first token came from the cache
    if fault.setup == "token_down":
        emulator.token_endpoint_down = True
    options = options_for(emulator, fault.change)
    messages: list[Any] = []
    raised: BaseException | None = None
    try:
        async for m in azure_query("What is the capital of France?", options):
            messages.append(m)
    except AzureOpenAIError as exc:
        raised = exc
    finally:
        emulator.token_endpoint_down = False
    if fault.error is None:
        assert raised is None, raised
        assert isinstance(messages[-1], ResultMessage) and messages[-1].subtype == "success"
        assert "Paris" in (messages[-1].result or "")
    else:
        assert type(raised) is fault.error, raised
        assert re.match(fault.message, str(raised)), str(raised)
        assert "\n" not in str(raised)
    assert emulator.stats.chat_requests == fault.chat_requests
    if fault.name not in ("token endpoint down",):
        assert emulator.stats.token_requests == fault.token_requests
    secrets = [emulator.client_secret, emulator.subscription_key, "static-token-value"]
    seen = raised
    while seen is not None:
        for text in (str(seen), repr(seen)):
            assert not any(s in text for s in secrets) and "eyJ" not in text
        seen = seen.__cause__ or seen.__context__
    logs = "\n".join(r.getMessage() for r in caplog.records)
    assert not any(s in logs for s in secrets) and "eyJ" not in logs


def _readme_rows() -> list[re.Pattern[str]]:
    text = README.read_text(encoding="utf-8")
    section = text.split("### Troubleshooting", 1)[1].split("\n## ", 1)[0]
    patterns = []
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        first = line.split(" | ")[0][2:]
        for literal in re.findall(r"`([^`]+)`", first):
            pieces = [re.escape(p) for p in literal.split("…")]
            patterns.append(re.compile(".*".join(pieces)))
    return patterns


def test_readme_troubleshooting_matches_the_fault_table() -> None:
    rows = _readme_rows()
    samples = {
        # what each fault's message looks like (the matrix asserts the real ones)
        f.name: f.message.replace(r"\d+", "1").replace(".*", " x ").replace("\\", "")
        for f in FAULTS
        if f.error is not None
    }
    unmatched_faults = [n for n, m in samples.items() if not any(r.search(m) for r in rows)]
    assert unmatched_faults == [], "faults missing from README troubleshooting"
    unused_rows = [r.pattern for r in rows if not any(r.search(m) for m in samples.values())]
    assert unused_rows == [], "README rows no fault produces"
