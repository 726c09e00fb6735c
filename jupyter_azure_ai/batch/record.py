"""The local record of submitted batch jobs: what ``attach`` and ``%azure batch list`` read.

A batch job outlives the kernel that submitted it (it runs for up to a day), and the
service knows nothing of the DataFrame it came from. So each submission leaves one
small JSON file here: the job ids, the endpoint (scheme, host and path only), the batch
deployment, the row count, the result columns and their schema, the rows whose
template failed, and the last status seen. When the data's index is not
``0..n-1`` it is pickled beside it (``<id>.index.pickle``), so ``results()`` after a
restart is aligned as ``map_rows``'s would be. Never a secret, a filled prompt or an answer.

The folder is ``JUPYTER_AZURE_AI_DATA_DIR`` if set, else the platform's user data
folder (platformdirs, ``XDG_DATA_HOME`` on Linux), plus ``batches/``. The folder is
made ``0700`` and each file ``0600``; files are replaced atomically, so two kernels can
read them while one writes.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..sessions import ENV_VAR as ENV_VAR  # one data dir for sessions and batch records
from ..sessions import data_dir

VERSION = 1


def records_dir() -> Path:
    folder = data_dir() / "batches"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(OSError):
        folder.chmod(0o700)
    return folder


def public_endpoint(endpoint: str) -> str:
    """The endpoint without user info, query or fragment (nothing secret can ride along)."""
    parts = urlsplit(endpoint)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


@dataclass
class PartRecord:
    """One job of a submission: its rows are positions ``first``..``last`` (some may
    be missing: rows whose template failed are in no job)."""

    batch_id: str
    input_file_id: str
    first: int
    last: int
    lines: int
    status: str = "validating"
    tries: int = 1  # creations so far (a job refused with token_limit_exceeded is re-created)
    earlier_ids: list[str] = field(default_factory=list)  # the jobs it replaced
    # The custom_id of the job's first line when it is not ``first``: a job of a split
    # submission attached on another machine (its lines count from its ``first_row``).
    custom_base: int | None = None


@dataclass
class Record:
    """One ``submit_batch`` call."""

    id: str  # the first job's id: what BatchJob.id shows and attach() takes
    endpoint: str
    deployment: str
    rows: int
    created_at: float = field(default_factory=time.time)
    parts: list[PartRecord] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (position, why)
    fields: list[str] | None = None  # result columns with an output_format
    schema: dict[str, Any] | None = None  # {"name", "schema"}: the output_format as a dict
    indexed: bool = False  # an index pickle is beside the record
    template: str = ""  # the first line of the template (for lists)
    remote: bool = False  # attached by id, not submitted here: rows are the service's count
    version: int = VERSION

    @property
    def ids(self) -> list[str]:
        return [p.batch_id for p in self.parts]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Record:
        raw = dict(raw)
        parts = [PartRecord(**p) for p in raw.pop("parts", [])]
        skipped = [(int(p), str(w)) for p, w in raw.pop("skipped", [])]
        known = {k: v for k, v in raw.items() if k in cls.__dataclass_fields__}
        return cls(parts=parts, skipped=skipped, **known)


def _path(record_id: str, suffix: str = ".json") -> Path:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in record_id)
    return records_dir() / f"{safe}{suffix}"


def _write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def save(record: Record) -> None:
    _write(_path(record.id), json.dumps(record.to_json(), indent=1).encode())


def save_index(record: Record, index: Any) -> None:
    _write(_path(record.id, ".index.pickle"), pickle.dumps(index, protocol=4))
    record.indexed = True


def load_index(record: Record) -> Any:
    if not record.indexed:
        return None
    path = _path(record.id, ".index.pickle")
    try:
        # The file is this user's own, written by save_index in a 0700 folder.
        return pickle.loads(path.read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None


def all_records() -> list[Record]:
    """Every record, newest first (an unreadable file is skipped)."""
    found = []
    for path in records_dir().glob("*.json"):
        try:
            found.append(Record.from_json(json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, TypeError, KeyError):
            continue
    return sorted(found, key=lambda r: r.created_at, reverse=True)


def find(batch_id: str) -> Record | None:
    """The record holding ``batch_id`` (its first job's id or any of its jobs)."""
    direct = _path(batch_id)
    if direct.exists():
        with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
            return Record.from_json(json.loads(direct.read_text(encoding="utf-8")))
    for record in all_records():
        if batch_id in record.ids or any(batch_id in p.earlier_ids for p in record.parts):
            return record
    return None


def forget(record: Record) -> None:
    for suffix in (".json", ".index.pickle"):
        with contextlib.suppress(OSError):
            _path(record.id, suffix).unlink()
