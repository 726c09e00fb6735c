"""A real IPython kernel (jupyter_client) and the iopub messages a cell produces.

Shared by the kernel tests and bench/kernel.py.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from typing import Any

from jupyter_client.manager import KernelManager


@dataclass
class CellRun:
    """Everything one execute request produced."""

    status: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    payload: list[dict[str, Any]] = field(default_factory=list)  # the execute reply's

    @property
    def next_input(self) -> str | None:
        """The text ``set_next_input`` offered as a new cell (None when none)."""
        texts = [p["text"] for p in self.payload if p.get("source") == "set_next_input"]
        return texts[-1] if texts else None

    def of(self, *kinds: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["msg_type"] in kinds]

    @property
    def stdout(self) -> str:
        return "".join(
            m["content"]["text"] for m in self.of("stream") if m["content"]["name"] == "stdout"
        )

    @property
    def stderr(self) -> str:
        return "".join(
            m["content"]["text"] for m in self.of("stream") if m["content"]["name"] == "stderr"
        )

    @property
    def error(self) -> dict[str, Any] | None:
        errors = self.of("error")
        return errors[0]["content"] if errors else None

    def displays(self) -> list[dict[str, Any]]:
        return self.of("display_data", "update_display_data")

    def wire_bytes(self) -> int:
        return sum(len(json.dumps(m["content"])) for m in self.displays())

    def everything(self) -> str:
        return json.dumps([m["content"] for m in self.messages])


class Kernel:
    def __init__(self, env: dict[str, str]) -> None:
        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel(env={**os.environ, **env, "PYDEVD_DISABLE_FILE_VALIDATION": "1"})
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)

    def run(self, code: str, timeout: float = 60, on_message: Any = None) -> CellRun:
        started = time.perf_counter()
        msg_id = self.kc.execute(code)
        run = CellRun(status="?")
        deadline = time.monotonic() + timeout
        while True:
            msg = self.kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "status":
                if msg["content"]["execution_state"] == "idle":
                    break
                continue
            run.messages.append(
                {"msg_type": msg["msg_type"], "content": msg["content"], "header": msg["header"]}
            )
            if on_message is not None:
                on_message(msg, run)
        while True:  # skip stale replies (wait_for_ready may leave a kernel_info_reply)
            reply = self.kc.get_shell_msg(timeout=10)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        run.status = reply["content"]["status"]
        run.payload = reply["content"].get("payload", [])
        run.seconds = time.perf_counter() - started
        return run

    def shutdown(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)
