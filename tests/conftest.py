"""Shared fixtures: async tests on asyncio (anyio's plugin) and the in-process emulator.

One emulator serves the whole session (starting one costs a thread and a socket);
``emulator`` resets its counters, fault counts and revocations before each test.
Every conversation a test (or a kernel it starts) has is saved under a temporary data
dir, never the user's own (``sessions.py``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_azure_ai.emulator import Emulator, start_emulator


@pytest.fixture(scope="session", autouse=True)
def saved_sessions_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """``JUPYTER_AZURE_AI_DATA_DIR`` for the whole run (kernels inherit it)."""
    folder = tmp_path_factory.mktemp("data")
    before = os.environ.get("JUPYTER_AZURE_AI_DATA_DIR")
    os.environ["JUPYTER_AZURE_AI_DATA_DIR"] = str(folder)
    yield folder
    if before is None:
        os.environ.pop("JUPYTER_AZURE_AI_DATA_DIR", None)
    else:
        os.environ["JUPYTER_AZURE_AI_DATA_DIR"] = before


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
