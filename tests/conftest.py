"""Shared fixtures: async tests on asyncio (anyio's plugin) and the in-process emulator.

One emulator serves the whole session (starting one costs a thread and a socket);
``emulator`` resets its counters, fault counts and revocations before each test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jupyter_azure_ai.emulator import Emulator, start_emulator


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[Emulator]:
    with start_emulator() as emu:
        yield emu


@pytest.fixture
def emulator(emulator_server: Emulator) -> Iterator[Emulator]:
    emulator_server.reset()
    yield emulator_server
