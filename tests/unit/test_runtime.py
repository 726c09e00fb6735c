"""The kernel runtime: one loop thread, one client rebuilt only for a new connection."""

from __future__ import annotations

import threading
from dataclasses import replace

from jupyter_azure_ai.jupyter.runtime import Runtime

from .fakes import options


def test_settings_do_not_rebuild_the_client_but_credentials_do() -> None:
    runtime = Runtime()
    try:
        base = options(credential=None, tenant_id="t", client_id="c", client_secret="s1")
        client = runtime.client_for(base)
        for change in ({"model": "gpt-4o"}, {"temperature": 0.3}, {"max_tokens": 9},
                       {"system_prompt": "x"}, {"api_version": "2025-04-01-preview"}):  # fmt: skip
            assert runtime.client_for(replace(base, **change)) is client
        for change in ({"endpoint": "https://other.azure-api.net/openai"},
                       {"client_secret": "s2"}, {"apim_subscription_key": "k2" * 8}):  # fmt: skip
            rebuilt = runtime.client_for(replace(base, **change))
            assert rebuilt is not client
            client = rebuilt
    finally:
        runtime.stop()


def test_connection_key_holds_no_secret() -> None:
    o = options(credential=None, tenant_id="t", client_id="c", client_secret="the-secret-value")
    text = repr(o.connection)
    assert "the-secret-value" not in text and o.apim_subscription_key not in text


def test_loop_thread_runs_coroutines_and_stops() -> None:
    runtime = Runtime()
    before = set(threading.enumerate())  # another test's runtime may still be running

    async def where() -> threading.Thread:
        return threading.current_thread()

    thread = runtime.call(where())
    assert thread.name == "jupyter-azure-ai-loop" and thread not in before
    assert runtime.running
    runtime.stop()
    assert not runtime.running
    assert not thread.is_alive()
