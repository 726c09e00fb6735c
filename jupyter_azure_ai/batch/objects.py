"""Batch and file objects as the service sends them, read tolerantly.

The service's own examples disagree (azure-wire-2.md §2), so every reader here accepts
each variant seen in them:

- ``status`` in any case (``"Validating"`` in the older REST examples), and the
  ``"canceled"`` spelling of ``"cancelled"``;
- times as unix seconds (int or float) or ISO-8601 strings, or null;
- ``""`` for an absent id (``"output_file_id": ""`` in the v1 Python sample);
- ``request_counts`` with nulls (``{"total": 10, "completed": null, "failed": null}``
  on a failed batch), or missing;
- ``errors`` as ``{"object": "list", "data": [...]}``, a bare list, or null.

And the terminal states are all of ``completed``, ``failed``, ``expired`` and
``cancelled`` — the docs' own polling loop tests for ``"canceled"`` and never stops on a
cancelled or expired job.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})
ORDER = (
    "validating",
    "in_progress",
    "finalizing",
    "cancelling",
    "completed",
    "failed",
    "expired",
    "cancelled",
)
"""States in the order a status line shows them."""
FILE_TERMINAL = frozenset({"processed", "error", "deleted"})


_SAFE_ID = re.compile(r"[\w.:-]{1,200}", re.ASCII)
_STATE = re.compile(r"[a-z_]{1,40}")
_ISO = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<time>\d{2}:\d{2}:\d{2})(?P<fraction>\.\d+)?"
    r"(?P<zone>[Zz]|[+-]\d{2}:?\d{2})?"
)


def status_of(value: Any) -> str:
    """``"Validating"`` → ``"validating"``, ``"canceled"`` → ``"cancelled"``, None →
    ``"unknown"``."""
    text = str(value or "unknown").strip().lower().replace(" ", "_").replace("-", "_")
    text = {"canceled": "cancelled", "canceling": "cancelling", "inprogress": "in_progress"}.get(
        text, text
    )
    return text if _STATE.fullmatch(text) else "unknown"  # service text reaches displays


def time_of(value: Any) -> float | None:
    """Unix seconds from an int, a float, a numeric string or an ISO-8601 string."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    try:
        return float(text)
    except ValueError:
        pass
    match = _ISO.fullmatch(text)
    if match is None:
        return None
    # Python 3.10's fromisoformat takes neither "Z" nor Azure's 7 fractional digits.
    fraction = (match["fraction"] or ".0")[:7].ljust(7, "0")
    zone = match["zone"] or "+00:00"
    zone = "+00:00" if zone in ("Z", "z") else zone if ":" in zone else f"{zone[:3]}:{zone[3:]}"
    try:
        return datetime.fromisoformat(
            f"{match['date']}T{match['time']}{fraction}{zone}"
        ).timestamp()
    except ValueError:
        return None


def id_of(value: Any) -> str | None:
    """An id, or None for null, ``""`` and anything that is not a string of letters,
    digits and ``_.:-`` (ids go into URLs, file names and displays)."""
    if not isinstance(value, str) or not _SAFE_ID.fullmatch(value.strip()):
        return None
    return value.strip()


def _count(value: Any) -> int:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def error_list(value: Any) -> list[Any]:
    if isinstance(value, Mapping):
        value = value.get("data")
    return list(value) if isinstance(value, list) else []


@dataclass(frozen=True)
class BatchInfo:
    """What the client needs of one batch object."""

    id: str
    status: str
    input_file_id: str | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    total: int = 0
    completed: int = 0
    failed: int = 0
    errors: list[Any] = field(default_factory=list)
    created_at: float | None = None
    finished_at: float | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.status in TERMINAL

    @classmethod
    def of(cls, raw: Mapping[str, Any], known_id: str | None = None) -> BatchInfo:
        counts = raw.get("request_counts")
        counts = counts if isinstance(counts, Mapping) else {}
        status = status_of(raw.get("status"))
        finished = None
        for key in ("completed_at", "failed_at", "expired_at", "cancelled_at"):
            finished = finished or time_of(raw.get(key))
        metadata = raw.get("metadata")
        return cls(
            id=id_of(raw.get("id")) or known_id or "",
            status=status,
            input_file_id=id_of(raw.get("input_file_id")),
            output_file_id=id_of(raw.get("output_file_id")),
            error_file_id=id_of(raw.get("error_file_id")),
            total=_count(counts.get("total")),
            completed=_count(counts.get("completed")),
            failed=_count(counts.get("failed")),
            errors=error_list(raw.get("errors")),
            created_at=time_of(raw.get("created_at")),
            finished_at=finished,
            metadata=dict(metadata) if isinstance(metadata, Mapping) else {},
        )


@dataclass(frozen=True)
class FileInfo:
    """What the client needs of one file object."""

    id: str
    status: str
    details: str = ""

    @property
    def done(self) -> bool:
        return self.status in FILE_TERMINAL

    @classmethod
    def of(cls, raw: Mapping[str, Any], known_id: str | None = None) -> FileInfo:
        details = raw.get("status_details")
        return cls(
            id=id_of(raw.get("id")) or known_id or "",
            # A file object without a status (some api-versions) is ready to use.
            status=status_of(raw.get("status") or "processed"),
            details=str(details) if details else "",
        )
