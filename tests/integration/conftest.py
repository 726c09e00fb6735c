"""Fixtures for tests that talk to the in-process emulator over real TLS.

One emulator serves the whole session (starting one costs a thread and a socket);
``emulator`` resets its counters, fault counts and revocations before each test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_azure_ai.emulator import Emulator, start_emulator

_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[Emulator]:
    with start_emulator() as emu:
        yield emu


@pytest.fixture
def emulator(emulator_server: Emulator) -> Iterator[Emulator]:
    emulator_server.reset()
    yield emulator_server
