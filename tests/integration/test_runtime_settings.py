"""The kernel runtime on the emulator: each query's settings reach the wire."""

from __future__ import annotations

from typing import Any

from jupyter_azure_ai import APIStatusError, AzureOpenAIOptions
from jupyter_azure_ai.emulator import Emulator
from jupyter_azure_ai.jupyter.runtime import Done, Runtime


def opts(emu: Emulator, **kw: Any) -> AzureOpenAIOptions:
    return AzureOpenAIOptions.from_env(emu.env(), verify=emu.ca_path, **kw)


def drain(runtime: Runtime, options: AzureOpenAIOptions) -> BaseException | None:
    client = runtime.client_for(options)
    messages, future = runtime.stream(client, "hello", options)
    while True:
        item = messages.get(timeout=30)
        if isinstance(item, Done):
            future.exception(timeout=30)
            return item.error


def test_a_later_query_gets_its_own_retry_budget(emulator: Emulator) -> None:
    """0.1 bug: the shared client kept the retry budget of the options that built it
    (``chat(max_retries=5)`` after a ``%%azure`` cell kept the cell's)."""
    runtime = Runtime()
    try:
        first = drain(runtime, opts(emulator, model="fault-503", max_retries=0))
        assert isinstance(first, APIStatusError) and emulator.stats.chat_requests == 1
        tokens = emulator.stats.token_requests  # 0 if an earlier test cached the token
        second = drain(runtime, opts(emulator, model="fault-503", max_retries=2))
        assert isinstance(second, APIStatusError) and second.status_code == 503
        assert emulator.stats.chat_requests == 1 + 3  # one try and two retries
        assert emulator.stats.token_requests == tokens  # the same client: no new token
    finally:
        runtime.stop()
