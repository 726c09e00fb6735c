"""The on-disk answer cache of ``azure_map`` / ``map_rows``: stdlib sqlite3, no secrets.

A row's answer is stored under a SHA-256 digest of (endpoint host, deployment, the
exact JSON body of the request). The body holds the prompt, the settings that shape
the answer and the schema, never a credential (the token and the subscription key are
headers). What is stored is the answer: text, structured output as JSON, usage. Not
the prompt, not a header, not the endpoint URL; the digest cannot be turned back.

The database is one file in the platform's cache folder (``platformdirs``;
``JUPYTER_AZURE_AI_CACHE_DIR`` overrides it), in WAL mode with a busy timeout, so two
kernels (or a kernel and a script) can read and write it at once. Each answer is
committed when it arrives: after Ctrl-C, a failure or a restart, a re-run finds every
row that was answered.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV_VAR = "JUPYTER_AZURE_AI_CACHE_DIR"
FILE_NAME = "answers.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    key TEXT PRIMARY KEY,
    text TEXT NOT NULL,
    structured TEXT,
    usage TEXT NOT NULL,
    cost REAL,
    created REAL NOT NULL
)
"""


def cache_dir() -> Path:
    """``JUPYTER_AZURE_AI_CACHE_DIR``, else the platform's user cache folder."""
    configured = os.environ.get(ENV_VAR, "").strip()
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("jupyter-azure-ai", appauthor=False))


def request_key(endpoint_host: str, deployment: str, body: dict[str, Any]) -> str:
    """The digest an answer is stored under (no secret goes in: none is in the body)."""
    digest = hashlib.sha256()
    for part in (endpoint_host, deployment):
        digest.update(part.encode())
        digest.update(b"\0")
    digest.update(json.dumps(body, sort_keys=True, separators=(",", ":")).encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class CachedAnswer:
    text: str
    structured: Any
    usage: dict[str, int]
    cost_usd: float | None


class AnswerCache:
    """One sqlite file; a connection per thread (sqlite3 objects stay in their thread)."""

    def __init__(self, directory: str | Path | None = None) -> None:
        self.directory = Path(directory) if directory is not None else cache_dir()
        self.path = self.directory / FILE_NAME
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(_SCHEMA)
            self._local.db = db
        return db

    def get(self, key: str) -> CachedAnswer | None:
        row = (
            self._db()
            .execute("SELECT text, structured, usage, cost FROM answers WHERE key = ?", (key,))
            .fetchone()
        )
        if row is None:
            return None
        text, structured, usage, cost = row
        return CachedAnswer(
            text,
            json.loads(structured) if structured is not None else None,
            json.loads(usage),
            cost,
        )

    def put(self, key: str, answer: CachedAnswer) -> None:
        structured = None if answer.structured is None else json.dumps(answer.structured)
        self._db().execute(
            "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?)",
            (key, answer.text, structured, json.dumps(answer.usage), answer.cost_usd, time.time()),
        )

    def clear(self) -> int:
        """Delete every answer; returns how many there were."""
        if not self.path.exists():
            return 0
        cursor = self._db().execute("DELETE FROM answers")
        return cursor.rowcount

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None


def clear_cache(directory: str | Path | None = None) -> int:
    """Empty the answer cache of ``map_rows`` / ``azure_map``; returns the answers removed."""
    cache = AnswerCache(directory)
    try:
        return cache.clear()
    finally:
        cache.close()
