"""The emulator's ``/files``: uploads kept in memory, with Azure's limits and statuses.

Routes, status codes and limits are listed in :mod:`.batches` (azure-wire-2.md §1).
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData, UploadFile

MAX_FILE_BYTES = 200 * 1024 * 1024
MAX_FILES = 500
MAX_FILES_WITH_EXPIRY = 10_000
EXPIRY_RANGE_S = (1_209_600, 2_592_000)
PURPOSES = frozenset({"fine-tune", "fine-tune-results", "assistants", "assistants_output", "batch"})


class FileError(Exception):
    """A request the Files API refuses: its status and the authoring-spec error body."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": {"code": code, "message": message}}


def not_found(file_id: str) -> FileError:
    return FileError(404, "notFound", f"File with id '{file_id}' was not found.")


@dataclass
class StoredFile:
    """One file; ``ready_at`` is when a ``pending`` upload becomes processed (or error)."""

    id: str
    filename: str
    purpose: str
    data: bytes
    created_at: float
    ready_at: float
    expires_at: int | None
    bad_line: int | None = None

    def wire(self, now: float) -> dict[str, Any]:
        status, details = "processed", None
        if now < self.ready_at:
            status = "pending"
        elif self.bad_line is not None:
            status = "error"
            details = f"Line {self.bad_line} of the file is not valid json."
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.data),
            "created_at": int(self.created_at),
            "filename": self.filename,
            "purpose": self.purpose,
            "status": status,
            "status_details": details,
            "expires_at": self.expires_at,
        }


def upload_id() -> str:
    return f"file-{secrets.token_hex(16)}"


def service_file_id() -> str:
    """Files the service makes (batch output) carry dashed ids."""
    return f"file-{uuid.uuid4()}"


def first_bad_line(data: bytes) -> int | None:
    """The 1-based number of the first non-blank line that is not JSON, else None."""
    for number, line in enumerate(data.split(b"\n"), 1):
        if line.strip():
            try:
                json.loads(line)
            except ValueError:
                return number
    return None


def _expiry(form: FormData) -> tuple[int | None, bool]:
    """``expires_after`` as seconds (bracket or dotted form), and whether one was given."""
    seconds = _first(form, "expires_after[seconds]", "expires_after.seconds")
    anchor = _first(form, "expires_after[anchor]", "expires_after.anchor")
    if seconds is None and anchor is None:
        return None, False
    if anchor != "created_at":
        raise FileError(400, "invalidPayload", "expires_after.anchor must be 'created_at'.")
    low, high = EXPIRY_RANGE_S
    if seconds is None or not seconds.isdigit() or not low <= int(seconds) <= high:
        raise FileError(
            400,
            "invalidPayload",
            f"expires_after.seconds must be between {low} and {high} (14 to 30 days).",
        )
    return int(seconds), True


def _first(form: FormData, *names: str) -> str | None:
    for name in names:
        value = form.get(name)
        if isinstance(value, str):
            return value
    return None


async def read_upload(form: FormData) -> tuple[str, str, bytes, int | None, bool]:
    """purpose, filename, bytes, expiry seconds and whether an expiry was given, or FileError."""
    purpose = _first(form, "purpose")
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise FileError(400, "invalidPayload", "The multipart field 'file' is required.")
    if purpose not in PURPOSES:
        known = ", ".join(sorted(PURPOSES))
        raise FileError(
            400,
            "invalidPayload",
            f"Invalid value {purpose!r} for 'purpose'; expected one of {known}.",
        )
    seconds, has_expiry = _expiry(form)
    data = await upload.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise FileError(400, "invalidPayload", "The file is larger than the 200 MB limit.")
    return purpose, upload.filename or "upload.jsonl", data, seconds, has_expiry


class FileStore:
    """Files by id, in upload order; not thread-safe on its own (``BatchApi`` locks)."""

    def __init__(self) -> None:
        self.files: dict[str, StoredFile] = {}
        self.with_expiry: set[str] = set()

    def add_upload(
        self,
        purpose: str,
        filename: str,
        data: bytes,
        expiry_s: int | None,
        has_expiry: bool,
        pending_s: float,
        bad_line: int | None,
    ) -> StoredFile:
        """Store an upload (``bad_line``: ``first_bad_line`` of a batch file), or FileError
        past the resource's file limit."""
        if purpose == "batch":
            batch_files = [f for f in self.files.values() if f.purpose == "batch"]
            plain = [f for f in batch_files if f.id not in self.with_expiry]
            if len(batch_files) >= MAX_FILES_WITH_EXPIRY or (
                not has_expiry and len(plain) >= MAX_FILES
            ):
                limit = MAX_FILES_WITH_EXPIRY if has_expiry else MAX_FILES
                raise FileError(
                    400,
                    "quotaExceeded",
                    f"The resource holds {limit} batch files, its limit. Delete files or set"
                    " expires_after on uploads (up to 10,000 files).",
                )
        now = time.time()
        stored = StoredFile(
            id=upload_id(),
            filename=filename,
            purpose=purpose,
            data=data,
            created_at=now,
            ready_at=now + pending_s,
            expires_at=int(now) + expiry_s if expiry_s is not None else None,
            bad_line=bad_line,
        )
        self.files[stored.id] = stored
        if has_expiry:
            self.with_expiry.add(stored.id)
        return stored

    def add_output(self, filename: str, data: bytes) -> StoredFile:
        now = time.time()
        stored = StoredFile(service_file_id(), filename, "batch_output", data, now, now, None)
        self.files[stored.id] = stored
        return stored

    def get(self, file_id: str) -> StoredFile:
        stored = self.files.get(file_id)
        if stored is None:
            raise not_found(file_id)
        return stored

    def delete(self, file_id: str) -> dict[str, Any]:
        self.get(file_id)
        del self.files[file_id]
        self.with_expiry.discard(file_id)
        return {"object": "file", "deleted": True, "id": file_id}

    def list(self, purpose: str | None, now: float) -> dict[str, Any]:
        data = [f.wire(now) for f in self.files.values() if purpose in (None, f.purpose)]
        return {
            "object": "list",
            "data": data,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
            "has_more": False,
        }
