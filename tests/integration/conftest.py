"""Tests here talk to the in-process emulator over real TLS (fixtures: tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from jupyter_azure_ai.emulator import Emulator

from .recording import Recorded

_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture
async def recorded(emulator: Emulator) -> AsyncIterator[Recorded]:
    """An httpx client keeping every chat request body (``http_client=recorded.client``)."""
    rec = Recorded(emulator)
    async with rec.client:
        yield rec
