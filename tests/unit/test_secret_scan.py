"""No secret in the repr or str of any public object built from secret-bearing options."""

from __future__ import annotations

import pickle

import pytest

import jupyter_azure_ai as jaa
from jupyter_azure_ai._internal.auth import AzureADAuth, Token

from .fakes import ENDPOINT, KEY, SECRET

HEADER_SECRET = "x-custom-auth-SHOULD-NOT-LEAK"
ENV_SECRET = "mcp-env-SHOULD-NOT-LEAK"


@pytest.fixture
def options() -> jaa.AzureOpenAIOptions:
    return jaa.AzureOpenAIOptions(
        tenant_id="tenant",
        client_id="client",
        client_secret=SECRET,
        endpoint=ENDPOINT,
        apim_subscription_key=KEY,
        default_headers={"x-gateway-auth": HEADER_SECRET},
        mcp_servers={"calc": {"command": "python", "args": [], "env": {"TOKEN": ENV_SECRET}}},
    )


def texts_of(obj: object) -> list[str]:
    return [repr(obj), str(obj), f"{obj!r:>10}", repr([obj]), repr({"k": obj})]


def test_public_objects_hide_secrets(options: jaa.AzureOpenAIOptions) -> None:
    client = jaa.AzureAgentClient(options)
    auth = AzureADAuth(options)
    objects: list[object] = [options, client, auth, Token("token-SHOULD-NOT-LEAK", 1.0)]
    for obj in objects:
        for text in texts_of(obj):
            for secret in (SECRET, KEY, HEADER_SECRET, ENV_SECRET, "token-SHOULD-NOT-LEAK"):
                assert secret not in text, (type(obj).__name__, text)


def test_errors_built_from_hostile_service_text_hide_secrets() -> None:
    from jupyter_azure_ai._internal.failures import error_from_response

    body = f'{{"error": {{"code": "X", "message": "echo {SECRET} {KEY}"}}}}'.encode()
    for status in (400, 401, 403, 404, 429, 500):
        err = error_from_response(status, {}, body, deployment="d", secrets=(SECRET, KEY))
        for text in texts_of(err):
            assert SECRET not in text and KEY not in text


def test_options_are_not_accidentally_serialisable_with_secrets_in_clear(
    options: jaa.AzureOpenAIOptions,
) -> None:
    # Pickling is allowed (multiprocessing needs it) but is the caller's choice; the
    # repr of an unpickled copy is still masked.
    clone = pickle.loads(pickle.dumps(options))
    assert SECRET not in repr(clone) and clone.client_secret == SECRET
