"""Load and soak on loopback, bounded: many concurrent streams, many sequential queries."""

from __future__ import annotations

import os
import resource
import shlex
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest

from jupyter_azure_ai import AzureAgentClient, AzureOpenAIOptions, ResultMessage, azure_query
from jupyter_azure_ai._internal.auth import clear_token_cache
from jupyter_azure_ai.emulator import Emulator

pytestmark = pytest.mark.anyio
SOAK_QUERIES = int(os.environ.get("JUPYTER_AZURE_AI_SOAK_QUERIES", "1500"))


def opts(emu: Emulator, **kw: Any) -> AzureOpenAIOptions:
    return AzureOpenAIOptions.from_env(emu.env(), verify=emu.ca_path, **kw)


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def test_200_concurrent_streams_on_one_pool(emulator: Emulator) -> None:
    clear_token_cache()
    options = opts(emulator)
    limits = httpx.Limits(max_connections=50)
    context = ssl.create_default_context(cafile=emulator.ca_path)
    results: list[str] = []
    async with httpx.AsyncClient(verify=context, limits=limits) as pool:

        async def one(i: int) -> None:
            async with AzureAgentClient(options, http_client=pool) as client:
                await client.query(f"Tell me about item {i}")
                async for m in client.receive_response():
                    if isinstance(m, ResultMessage):
                        assert m.subtype == "success"
                        results.append(m.result or "")

        with anyio.fail_after(60):
            async with anyio.create_task_group() as tg:
                for i in range(200):
                    tg.start_soon(one, i)
        connections = len(pool._transport._pool.connections)  # type: ignore[attr-defined]
    assert len(results) == 200
    assert all(f"Tell me about item {i}" in r for i, r in enumerate(sorted(results, key=_item)))
    assert emulator.stats.token_requests == 1 and emulator.stats.chat_requests == 200
    assert connections <= 50


def _item(text: str) -> int:
    return int(text.split("Tell me about item ", 1)[1].split("*", 1)[0])


@pytest.fixture(scope="module")
def emulator_process() -> Iterator[dict[str, str]]:
    """An emulator in its own process, so this process's memory is the SDK's alone."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter_azure_ai.emulator"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    env = {}
    for _ in range(9):
        name, _, value = proc.stdout.readline()[len("export ") :].strip().partition("=")
        env[name] = shlex.split(value)[0]
    yield env
    proc.terminate()
    proc.wait(10)
    proc.stdout.close()


async def test_sequential_queries_do_not_grow(emulator_process: dict[str, str]) -> None:
    clear_token_cache()
    options = AzureOpenAIOptions.from_env(
        emulator_process, verify=emulator_process["SSL_CERT_FILE"]
    )

    async def ask() -> None:
        async for m in azure_query("hello", options):
            if isinstance(m, ResultMessage):
                assert m.subtype == "success"

    for _ in range(200):  # warm: imports, caches, the token, malloc arenas
        await ask()
    fds, threads, rss = open_fds(), threading.active_count(), rss_mib()
    with anyio.fail_after(300):
        for _ in range(SOAK_QUERIES):
            await ask()
    grown = (open_fds() - fds, threading.active_count() - threads, rss_mib() - rss)
    print(f"\n{SOAK_QUERIES} sequential queries: fds {grown[0]:+d}, threads {grown[1]:+d},"
          f" RSS {grown[2]:+.1f} MiB")  # fmt: skip
    assert grown[0] <= 4 and grown[1] <= 2 and grown[2] < 20, grown
