"""AzureOpenAIOptions: validation, environment, secrets masked."""

from __future__ import annotations

import pytest

from jupyter_azure_ai import AzureOpenAIOptions

from .fakes import ENDPOINT, KEY, SECRET

GOOD = {
    "tenant_id": "tenant",
    "client_id": "client",
    "client_secret": SECRET,
    "endpoint": ENDPOINT,
    "apim_subscription_key": KEY,
}
ENV = {
    "AZURE_TENANT_ID": "tenant",
    "AZURE_CLIENT_ID": "client",
    "AZURE_CLIENT_SECRET": SECRET,
    "AZURE_APIM_ENDPOINT": ENDPOINT,
    "AZURE_APIM_SUBSCRIPTION_KEY": KEY,
}


def test_seed_defaults() -> None:
    o = AzureOpenAIOptions(**GOOD)
    assert (o.model, o.max_tokens, o.temperature) == ("gpt-4", 4096, None)
    assert o.scope == "https://cognitiveservices.azure.com/.default"
    assert (o.tools, o.cwd, o.max_retries, o.include_partial_messages) == (None, None, 2, False)


def test_seed_positional_order() -> None:
    o = AzureOpenAIOptions("t", "c", SECRET, ENDPOINT, KEY, "gpt-4o", 100, 0.5)
    assert (o.tenant_id, o.model, o.max_tokens, o.temperature) == ("t", "gpt-4o", 100, 0.5)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"temperature": 2.5}, "temperature must be between 0.0 and 2.0, got 2.5"),
        ({"temperature": -0.1}, "temperature must be between 0.0 and 2.0"),
        ({"max_tokens": 0}, "max_tokens must be > 0, got 0"),
        ({"max_tokens": "10"}, "max_tokens must be an int"),
        ({"endpoint": "ftp://x"}, "endpoint must be an https URL"),
        ({"endpoint": "contoso.azure-api.net"}, "endpoint must be an https URL"),
        (
            {"endpoint": "http://contoso.azure-api.net/openai"},
            "plain http is allowed only to loopback",
        ),
        ({"tenant_id": ""}, "tenant_id is empty"),
        ({"client_id": " "}, "client_id is empty"),
        ({"client_secret": ""}, "client_secret is empty"),
        ({"apim_subscription_key": ""}, "apim_subscription_key is empty"),
        ({"max_turns": 0}, "max_turns must be >= 1"),
        ({"timeout": 0}, "timeout must be > 0"),
        ({"authority_host": "http://login.example"}, "authority_host must be an https URL"),
    ],
)
def test_one_clear_error_per_bad_field(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        AzureOpenAIOptions(**{**GOOD, **change})  # type: ignore[arg-type]
    assert "\n" not in str(info.value)
    assert SECRET not in str(info.value) and KEY not in str(info.value)


def test_http_allowed_to_loopback_only() -> None:
    for url in ("http://127.0.0.1:8080/openai", "http://localhost:1/openai", "http://[::1]:2/v1"):
        assert AzureOpenAIOptions(**{**GOOD, "endpoint": url}).endpoint == url


def test_credential_replaces_client_secret_flow() -> None:
    o = AzureOpenAIOptions(endpoint=ENDPOINT, apim_subscription_key=KEY, credential=object())
    assert o.tenant_id == ""


def test_repr_and_str_mask_secrets() -> None:
    o = AzureOpenAIOptions(**GOOD)
    for text in (repr(o), str(o), f"{o}", repr([o])):
        assert SECRET not in text and KEY not in text
        assert "client_secret='***'" in text and "apim_subscription_key='***'" in text


def test_from_env_reads_everything() -> None:
    env = {
        **ENV,
        "AZURE_OPENAI_DEPLOYMENT": "gpt-4o",
        "AZURE_OPENAI_API_VERSION": "2025-04-01-preview",
        "AZURE_AUTHORITY_HOST": "https://127.0.0.1:9999/",
    }
    o = AzureOpenAIOptions.from_env(env, temperature=0.2)
    assert (o.model, o.api_version, o.temperature) == ("gpt-4o", "2025-04-01-preview", 0.2)
    assert o.authority_host == "https://127.0.0.1:9999"
    assert o.client_secret == SECRET


def test_from_env_names_every_missing_variable() -> None:
    with pytest.raises(ValueError) as info:
        AzureOpenAIOptions.from_env({"AZURE_TENANT_ID": "t"})
    msg = str(info.value)
    for var in (
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_APIM_ENDPOINT",
        "AZURE_APIM_SUBSCRIPTION_KEY",
    ):
        assert var in msg
    assert "AZURE_TENANT_ID" not in msg


def test_authority_host_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AZURE_AUTHORITY_HOST", raising=False)
    assert AzureOpenAIOptions(**GOOD).authority_host == "https://login.microsoftonline.com"
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.us")
    assert AzureOpenAIOptions(**GOOD).authority_host == "https://login.microsoftonline.us"
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", "login.chinacloudapi.cn/")
    assert AzureOpenAIOptions(**GOOD).authority_host == "https://login.chinacloudapi.cn"
