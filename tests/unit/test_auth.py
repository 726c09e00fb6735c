"""Token cache: reuse, refresh 5 minutes before expiry, one refresh in flight."""

from __future__ import annotations

import anyio
import pytest

from jupyter_azure_ai import AuthenticationError, CLIConnectionError
from jupyter_azure_ai._internal.auth import AzureADAuth, Token
from jupyter_azure_ai._internal.failures import auth_failure_detail

from .fakes import SECRET, FakeCredential, connection

pytestmark = pytest.mark.anyio


async def test_token_cached_while_fresh() -> None:
    cred = FakeCredential(lifetime=3600)
    auth = AzureADAuth(connection(credential=cred))
    assert await auth.token() == await auth.token() == "token-SHOULD-NOT-LEAK-1"
    assert cred.calls == 1


async def test_refreshed_when_less_than_five_minutes_remain() -> None:
    cred = FakeCredential(lifetime=299)  # already inside the 5-minute margin
    auth = AzureADAuth(connection(credential=cred))
    await auth.token()
    await auth.token()
    assert cred.calls == 2
    assert not Token("x", 1000.0).fresh(now=1000.0 - 299)
    assert Token("x", 1000.0).fresh(now=1000.0 - 301)


async def test_one_refresh_in_flight_for_many_waiters() -> None:
    cred = FakeCredential(delay=0.2)
    auth = AzureADAuth(connection(credential=cred))
    tokens: list[str] = []

    async def one() -> None:
        tokens.append(await auth.token())

    async with anyio.create_task_group() as tg:
        for _ in range(50):
            tg.start_soon(one)
    assert cred.calls == 1 and set(tokens) == {"token-SHOULD-NOT-LEAK-1"}


async def test_refresh_after_401_replaces_the_refused_token_once() -> None:
    cred = FakeCredential()
    auth = AzureADAuth(connection(credential=cred))
    first = await auth.token()
    results = []

    async def refresh() -> None:
        results.append(await auth.refresh_after_401(first))

    async with anyio.create_task_group() as tg:
        for _ in range(10):
            tg.start_soon(refresh)
    assert cred.calls == 2 and set(results) == {"token-SHOULD-NOT-LEAK-2"}


async def test_async_credential_is_awaited() -> None:
    class AsyncCred:
        calls = 0

        async def get_token(self, *scopes: str, **kw: object) -> object:
            AsyncCred.calls += 1
            return FakeCredential().get_token(*scopes)

    auth = AzureADAuth(connection(credential=AsyncCred()))
    assert (await auth.token()).startswith("token-")
    assert AsyncCred.calls == 1


async def test_credential_failure_is_authentication_error_without_secret() -> None:
    class Broken:
        def get_token(self, *scopes: str, **kw: object) -> object:
            raise RuntimeError(
                f"ClientSecretCredential.get_token failed: Authentication failed: AADSTS7000215:"
                f" Invalid client secret provided. Ensure the secret being sent is {SECRET}.\n"
                "Trace ID: 1\nCorrelation ID: 2"
            )

    auth = AzureADAuth(connection(credential=Broken(), client_secret=SECRET))
    with pytest.raises(AuthenticationError) as info:
        await auth.token()
    msg = str(info.value)
    assert isinstance(info.value, CLIConnectionError)
    assert msg.startswith("Failed to acquire Azure AD token: AADSTS7000215: Invalid client secret")
    assert SECRET not in msg and "\n" not in msg
    assert info.value.__cause__ is None


def test_describe_auth_failure_without_aadsts() -> None:
    exc = RuntimeError("<urlopen error [SSL: CERTIFICATE_VERIFY_FAILED] self-signed>\nmore")
    text = auth_failure_detail(exc, ())
    assert "CERTIFICATE_VERIFY_FAILED" in text and "SSL_CERT_FILE" in text and "\n" not in text
    assert "***" in repr(Token("secret-token-value", 1.0))
    assert "secret-token-value" not in repr(Token("secret-token-value", 1.0))
