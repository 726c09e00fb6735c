"""Fixtures for the unit tests (no network)."""

from __future__ import annotations

import anyio
import pytest


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record retry waits instead of sleeping them."""
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(anyio, "sleep", fake_sleep)
    return waits
