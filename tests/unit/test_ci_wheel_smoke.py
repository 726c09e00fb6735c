"""CI's wheel smoke test (.ci/wheel_smoke.py) runs ``jupyter-azure-ai ask``, which saves its
conversation (sessions.py): the steps' environment keeps it inside the throwaway folder."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("wheel_smoke", REPO / ".ci" / "wheel_smoke.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_steps_save_conversations_in_the_work_folder_and_see_no_azure_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JUPYTER_AZURE_AI_DATA_DIR", raising=False)
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "not-for-the-smoke-test")
    env = _load().smoke_env(tmp_path)
    assert Path(env["JUPYTER_AZURE_AI_DATA_DIR"]).parent == tmp_path
    assert not [name for name in env if name.startswith("AZURE_")]
    assert "PYTHONPATH" not in env
