"""Conversations saved on disk, so they survive a restart (the Claude Agent SDK's names).

Every ``AzureAgentClient`` conversation (so every ``azure_query``, ``%%azure`` cell and
chat panel) is appended to ``<data dir>/sessions/<session_id>.jsonl``, one JSON object
per line, a line as each message completes: a killed process loses at most the message
in flight (a prompt's line goes out on a background thread as its request is sent).
The data dir is ``JUPYTER_AZURE_AI_DATA_DIR`` when set, else platformdirs' user data
dir (``$XDG_DATA_HOME/jupyter-azure-ai`` on Linux). The folder is made ``0700`` and each
file ``0600``; nothing of the options is written (no endpoint key, secret or token), and
the client's secrets are scrubbed from every line besides.

A line is a record::

    {"type": "session", "version": 1, "session_id", "timestamp", "cwd", "forked_from"}
    {"type": "user" | "assistant" | "system" | "result", "uuid", "session_id",
     "timestamp", "message": {...}, "api": [...]}
    {"type": "failed", "uuid", "session_id", "timestamp", "keep": N, "error": "<class>"}

``message`` is the SDK message as ``client.history`` held it; ``api`` the chat-completions
messages it added to the conversation the model sees (the two differ: tool results are
one ``UserMessage`` but one ``tool`` message each, and a failed prompt stays in the
history but leaves the conversation, which ``failed`` records by the length it kept).
Replaying the records rebuilds both exactly; a line that is not complete JSON (a kill
mid-write) is skipped with a warning.

``continue_conversation`` and ``%azure resume`` without an id pick the most recent
session whose ``cwd`` is the current directory (the options' ``cwd`` when set), as
Claude Code does per project.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import uuid
import warnings
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .errors import ConfigurationError
from .types import (
    AssistantMessage,
    Message,
    ResultMessage,
    SystemMessage,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
)

ENV_VAR = "JUPYTER_AZURE_AI_DATA_DIR"
FORMAT_VERSION = 1
SUFFIX = ".jsonl"


class SessionFileWarning(UserWarning):
    """A session file held lines that are not complete records (they were skipped)."""


# --- where ---------------------------------------------------------------------------


def data_dir() -> Path:
    """``JUPYTER_AZURE_AI_DATA_DIR`` (``~`` expanded, as the Batch records read it), else
    the platform's user data folder."""
    override = os.environ.get(ENV_VAR, "").strip()
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("jupyter-azure-ai", appauthor=False))


def sessions_dir() -> Path:
    """The folder holding one ``<session_id>.jsonl`` per session."""
    return data_dir() / "sessions"


def check_session_id(value: object) -> str:
    """``value`` if it is a session id (a UUID, as the SDK makes them), else one-line
    ``ConfigurationError`` (an id is a file name: nothing else may reach the path)."""
    text = str(value).strip().lower() if isinstance(value, str) else ""
    try:
        if text and str(uuid.UUID(text)) == text:
            return text
    except ValueError:
        pass
    raise ConfigurationError(
        f"{value!r} is not a session id (a UUID such as"
        " '2f1c...-...'; list_sessions() or %azure sessions shows them)"
    )


def _path(session_id: str) -> Path:
    return sessions_dir() / f"{check_session_id(session_id)}{SUFFIX}"


def session_saved(session_id: str) -> bool:
    """Is there a saved session with this id (``session_id=`` must name a new one)?"""
    return _path(session_id).is_file()


def _existing(session_id: str) -> Path:
    path = _path(session_id)
    if not path.is_file():
        raise ConfigurationError(
            f"no saved session {session_id!r} in {path.parent}"
            " (list_sessions() or %azure sessions shows the saved ones)"
        )
    return path


def directory_key(directory: str | os.PathLike[str] | None) -> str:
    """The folder a session belongs to, as stored (absolute, resolved)."""
    return str(Path(directory if directory is not None else os.getcwd()).resolve())


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _ms(timestamp: object) -> int | None:
    if not isinstance(timestamp, str) or not timestamp:
        return None
    try:
        return int(datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return None


# --- messages <-> JSON -----------------------------------------------------------------


def _json_value(value: Any) -> Any:
    """What ``json`` cannot write itself (a structured answer's model or dataclass)."""
    if hasattr(value, "model_dump") and not isinstance(value, type):
        return value.model_dump(mode="json")
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return str(value)


def _block(block: Any) -> dict[str, Any]:
    if isinstance(block, TextBlock):
        return {"type": "text", "text": block.text}
    if isinstance(block, ToolUseBlock):
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
    if isinstance(block, ToolResultBlock):
        return {
            "type": "tool_result",
            "tool_use_id": block.tool_use_id,
            "content": block.content,
            "is_error": block.is_error,
        }
    if isinstance(block, ThinkingBlock):
        return {"type": "thinking", "thinking": block.thinking, "signature": block.signature}
    if is_dataclass(block) and not isinstance(block, type):  # another block (an image)
        return {"type": "block", "class": type(block).__name__, "fields": asdict(block)}
    return {"type": "part", "part": block}  # a raw content part


def _unblock(data: dict[str, Any]) -> Any:
    kind = data.get("type")
    if kind == "text":
        return TextBlock(data["text"])
    if kind == "tool_use":
        return ToolUseBlock(data["id"], data["name"], data["input"])
    if kind == "tool_result":
        return ToolResultBlock(data["tool_use_id"], data.get("content"), data.get("is_error"))
    if kind == "thinking":
        return ThinkingBlock(data["thinking"], data.get("signature", ""))
    if kind == "block":
        from . import types

        cls: Any = getattr(types, str(data["class"]), None)
        if not (isinstance(cls, type) and is_dataclass(cls) and cls.__name__.endswith("Block")):
            raise ValueError(f"unknown block {data['class']!r}")
        return cls(**data["fields"])
    return data["part"]


def _content(content: Any) -> Any:
    return content if isinstance(content, str) else [_block(b) for b in content]


def _uncontent(content: Any) -> Any:
    return content if isinstance(content, str) else [_unblock(b) for b in content]


def encode(message: Message) -> tuple[str, dict[str, Any]]:
    """``(record type, message dict)`` of a history message."""
    if isinstance(message, UserMessage):
        return "user", {
            "content": _content(message.content),
            "parent_tool_use_id": message.parent_tool_use_id,
        }
    if isinstance(message, AssistantMessage):
        return "assistant", {
            "content": [_block(b) for b in message.content],
            "model": message.model,
            "parent_tool_use_id": message.parent_tool_use_id,
            "stop_reason": message.stop_reason,
        }
    if isinstance(message, SystemMessage):
        return "system", {"subtype": message.subtype, "data": message.data}
    if isinstance(message, ResultMessage):
        return "result", asdict(message) | {"structured_output": message.structured_output}
    raise TypeError(f"not a history message: {type(message).__name__}")


def decode(kind: str, data: dict[str, Any]) -> Message:
    """The history message of a record (``structured_output`` comes back as JSON data)."""
    if kind == "user":
        return UserMessage(_uncontent(data["content"]), data.get("parent_tool_use_id"))
    if kind == "assistant":
        return AssistantMessage(
            [_unblock(b) for b in data["content"]],
            data["model"],
            data.get("parent_tool_use_id"),
            data.get("stop_reason"),
        )
    if kind == "system":
        return SystemMessage(data["subtype"], data["data"])
    if kind == "result":
        return ResultMessage(**data)
    raise ValueError(f"unknown record type {kind!r}")


# --- writing ---------------------------------------------------------------------------


_READY_DIRS: set[Path] = set()
_BACKGROUND: list[ThreadPoolExecutor] = []


def _background() -> ThreadPoolExecutor:
    """One thread for every writer's background writes (made on first use; its pending
    writes finish before the interpreter exits)."""
    if not _BACKGROUND:
        _BACKGROUND.append(ThreadPoolExecutor(1, thread_name_prefix="jupyter-azure-ai-sessions"))
    return _BACKGROUND[0]


def _open_dir() -> Path:
    """The sessions folder, made ``0700`` once per process; its parent too when it is
    ours (the platform's folder, or one this made), never a folder the user named."""
    folder = sessions_dir()
    if folder not in _READY_DIRS:
        ours = not os.environ.get(ENV_VAR, "").strip() or not folder.parent.exists()
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        for path in (folder, folder.parent) if ours else (folder,):
            if path.stat().st_mode & 0o077:
                path.chmod(0o700)
        _READY_DIRS.add(folder)
    return folder


def _ends_cut(path: Path) -> bool:
    """True when the file's last line has no newline (a process stopped mid-write)."""
    with path.open("rb") as f:
        if f.seek(0, os.SEEK_END) == 0:
            return False
        f.seek(-1, os.SEEK_END)
        return f.read(1) != b"\n"


class SessionWriter:
    """Appends one session's records as the client's messages complete.

    The file stays open (append-only) while the writer lives, so a record costs one
    ``write`` (~20 µs). ``hold`` keeps a record back to go out with the next one (the
    ``init`` message, written with the prompt that follows it at once); ``flush_soon``
    writes what is held on a background thread, so creating a new session's file
    (~0.25 ms on ext4) overlaps the prompt's request instead of delaying it. A lock keeps
    the records in order whichever thread writes. ``close()`` (or garbage collection)
    closes the file.
    """

    def __init__(
        self,
        session_id: str,
        cwd: str,
        secrets: Sequence[str] = (),
        *,
        forked_from: str | None = None,
        copied: Sequence[dict[str, Any]] = (),
    ) -> None:
        self.session_id = check_session_id(session_id)
        self.path = _path(session_id)
        self._cwd = cwd
        self._secrets = [s for s in secrets if s and len(s) >= 4]
        self._forked_from = forked_from
        self._copied = list(copied)  # a fork's history, written with the first record
        self._held: list[str] = []
        self._fd: int | None = None
        self._lock = threading.Lock()
        self._failure: OSError | None = None  # of a background write: raised by the next

    def _line(self, record: dict[str, Any]) -> str:
        text = json.dumps(record, ensure_ascii=False, default=_json_value)
        for secret in self._secrets:  # nothing of the options is stored; this is a backstop
            for form in (secret, json.dumps(secret, ensure_ascii=False)[1:-1]):
                text = text.replace(form, "***")
        return text

    def _open(self) -> tuple[int, list[str]]:
        """The open file, and what must precede the first record: a header for a new
        file; a newline after a cut last line (so it stays one bad line instead of
        swallowing the next record)."""
        _open_dir()
        existed = self.path.exists()
        cut = existed and _ends_cut(self.path)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        if existed:
            return fd, [""] if cut else []
        header = {
            "type": "session",
            "version": FORMAT_VERSION,
            "session_id": self.session_id,
            "timestamp": _now(),
            "cwd": self._cwd,
            "forked_from": self._forked_from,
        }
        lines = [self._line(header)]
        lines += [self._line({**old, "session_id": self.session_id}) for old in self._copied]
        return fd, lines

    def _write(
        self, record: dict[str, Any] | None, *, hold: bool = False, start: bool = False
    ) -> None:
        """Add ``record`` and write what is held (``start``: open a new file even with
        nothing held, for its header)."""
        line = self._line(record) if record is not None else None
        with self._lock:
            if self._failure is not None:
                failure, self._failure = self._failure, None
                raise failure
            if line is not None:
                self._held.append(line)
            if hold or not (self._held or (start and self._fd is None)):
                return
            lines, self._held = self._held, []
            if self._fd is None:
                self._fd, before = self._open()
                lines = before + lines
                self._copied = []
            data = "".join(line + "\n" for line in lines).encode("utf-8")
            while data:
                data = data[os.write(self._fd, data) :]

    def flush_soon(self) -> None:
        """Write what is held on the background thread (errors surface with the next
        record)."""
        _background().submit(self._flush_in_background)

    def _flush_in_background(self) -> None:
        try:
            self._write(None)
        except OSError as exc:
            with self._lock:
                self._failure = exc

    def close(self) -> None:
        """Write what is held and close the file (a later record opens it again)."""
        try:
            self._write(None)
        finally:
            with self._lock:
                if self._fd is not None:
                    fd, self._fd = self._fd, None
                    os.close(fd)

    def __del__(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(Exception):  # at exit ``os`` may be half torn down
                os.close(self._fd)

    def copy(self, records: Sequence[dict[str, Any]]) -> None:
        """Write a new session's header and ``records`` (a fork's history) now."""
        self._copied = list(records)
        self._write(None, start=True)

    def _record(self, kind: str, **fields: Any) -> dict[str, Any]:
        return {
            "type": kind,
            "uuid": str(uuid.uuid4()),
            "session_id": self.session_id,
            "timestamp": _now(),
            **fields,
        }

    def message(
        self, message: Message, api: Sequence[dict[str, Any]], *, hold: bool = False
    ) -> None:
        """Save one completed history message and the conversation messages it added
        (``hold``: with the next record)."""
        kind, data = encode(message)
        self._write(self._record(kind, message=data, api=list(api)), hold=hold)

    def failed(self, keep: int, error: BaseException) -> None:
        """The prompt failed: the conversation the model sees was cut back to ``keep``."""
        self._write(self._record("failed", keep=keep, error=type(error).__name__))


# --- reading ---------------------------------------------------------------------------


@dataclass
class SavedSession:
    """A session read back: what a client needs to carry on with it."""

    session_id: str
    cwd: str | None
    history: list[Message] = field(default_factory=list)
    conversation: list[dict[str, Any]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)  # for a fork's copy
    created_at: str | None = None


def _records(
    path: Path, only: tuple[bytes, ...] = ()
) -> Iterator[tuple[int, dict[str, Any] | None]]:
    """``(line number, record or None when the line is not a complete JSON object)``;
    with ``only``, just the lines starting so (records are written ``type`` first), which
    lets ``list_sessions`` skip parsing the answers."""
    with path.open("rb") as f:
        for number, raw in enumerate(f, 1):
            if not raw.strip() or (only and not raw.startswith(only)):
                continue
            try:
                record = json.loads(raw)
            except ValueError:
                yield number, None
                continue
            yield number, record if isinstance(record, dict) and "type" in record else None


def load_session(session_id: str) -> SavedSession:
    """Read a saved session (``ConfigurationError`` when there is none of that id).

    Lines that are not complete records are skipped with one ``SessionFileWarning``
    (a process killed mid-write leaves at most its last line cut)."""
    path = _existing(session_id)
    saved = SavedSession(check_session_id(session_id), None)
    bad: list[int] = []
    headed = False
    for number, record in _records(path):
        if record is None:
            bad.append(number)
            continue
        kind = record["type"]
        try:
            if kind == "session":
                if not headed:  # the file's own header, not a stray copy
                    saved.cwd = _text(record.get("cwd"))
                    saved.created_at = _text(record.get("timestamp"))
                headed = True
                continue
            if kind == "failed":
                del saved.conversation[int(record["keep"]) :]
            else:
                message = decode(kind, record["message"])
                api = [m for m in record.get("api") or () if isinstance(m, dict)]
                saved.history.append(message)
                saved.conversation.extend(api)
        except (AttributeError, KeyError, TypeError, ValueError):  # a line of another shape
            bad.append(number)
            continue
        saved.records.append(record)
    if bad:
        lines = ", ".join(map(str, bad[:5])) + (" ..." if len(bad) > 5 else "")
        warnings.warn(
            f"session {saved.session_id}: skipped {len(bad)} incomplete line(s) ({lines}) of"
            f" {path} (a process stopped while writing); the rest was loaded",
            SessionFileWarning,
            stacklevel=2,
        )
    return saved


# --- the public functions (the Claude Agent SDK's names) --------------------------------


@dataclass
class SDKSessionInfo:
    """One saved session, as ``list_sessions()`` lists it.

    ``summary``: the first prompt on one line (shortened); ``last_modified`` and
    ``created_at``: milliseconds since the epoch; ``turns``: the prompts asked;
    ``cwd``: the folder it belongs to (``continue_conversation`` picks by it)."""

    session_id: str
    summary: str
    last_modified: int
    file_size: int | None = None
    first_prompt: str | None = None
    cwd: str | None = None
    created_at: int | None = None
    turns: int = 0
    forked_from: str | None = None


def _prompt_text(content: Any) -> str | None:
    """The text of a prompt record's content; None for a round of tool results."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list) or any(
        isinstance(b, dict) and b.get("type") == "tool_result" for b in content
    ):
        return None
    return "".join(str(b.get("text", "")) for b in content if isinstance(b, dict))


def _text(value: object) -> str | None:
    """``value`` when it is a str (a hand-edited or foreign line may hold anything)."""
    return value if isinstance(value, str) else None


def _info(path: Path) -> SDKSessionInfo | None:
    try:
        stat = path.stat()
        header: dict[str, Any] = {}
        first: str | None = None
        turns = 0
        for _, record in _records(path, only=(b'{"type": "session"', b'{"type": "user"')):
            if record is None:
                continue
            if record["type"] == "session":
                header = header or record  # the file's own header, not a stray copy
            elif record["type"] == "user":
                message = record.get("message")
                text = _prompt_text(message.get("content") if isinstance(message, dict) else None)
                if text is not None:
                    turns += 1
                    first = text if first is None else first
    except OSError:  # deleted meanwhile
        return None
    summary = " ".join((first or "").split())
    return SDKSessionInfo(
        session_id=path.stem,
        summary=summary[:79] + "…" if len(summary) > 80 else summary,
        last_modified=int(stat.st_mtime * 1000),
        file_size=stat.st_size,
        first_prompt=first,
        cwd=_text(header.get("cwd")),
        created_at=_ms(header.get("timestamp")),
        turns=turns,
        forked_from=_text(header.get("forked_from")),
    )


def list_sessions(
    directory: str | os.PathLike[str] | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[SDKSessionInfo]:
    """Saved sessions, the most recently used first.

    ``directory``: only the sessions of that folder (as ``continue_conversation`` picks
    them); ``None``: all. ``limit`` / ``offset``: a page of the list."""
    folder = sessions_dir()
    if not folder.is_dir():
        return []
    want = directory_key(directory) if directory is not None else None
    found = []
    for path in folder.glob(f"*{SUFFIX}"):
        try:
            check_session_id(path.stem)
        except ConfigurationError:
            continue  # not ours
        info = _info(path)
        if info is not None and (want is None or info.cwd == want):
            found.append(info)
    found.sort(key=lambda i: (i.last_modified, i.created_at or 0), reverse=True)
    end = None if limit is None else offset + limit
    return found[offset:end]


def get_session_info(session_id: str) -> SDKSessionInfo | None:
    """What ``list_sessions`` says of one session; ``None`` when there is no such session."""
    path = _path(session_id)
    return _info(path) if path.is_file() else None


def get_session_messages(
    session_id: str, limit: int | None = None, offset: int = 0
) -> list[Message]:
    """A saved session's messages, as ``client.history`` held them (``SystemMessage``,
    ``UserMessage``, ``AssistantMessage``, ``ResultMessage``); ``view.exchanges()`` folds
    them into prompts and answers. ``ConfigurationError`` for an unknown id."""
    history = load_session(session_id).history
    end = None if limit is None else offset + limit
    return history[offset:end]


def delete_session(session_id: str) -> None:
    """Remove a saved session's file (``ConfigurationError`` for an unknown id)."""
    _existing(session_id).unlink()


@dataclass
class ForkSessionResult:
    """What ``fork_session`` made."""

    session_id: str


def fork_session(session_id: str) -> ForkSessionResult:
    """Copy a saved session to a new id; the original stays as it is.

    ``AzureOpenAIOptions(resume=id, fork_session=True)`` does the same when the
    conversation goes on (the copy is written with the first new message)."""
    saved = load_session(session_id)
    new_id = str(uuid.uuid4())
    writer = SessionWriter(new_id, saved.cwd or directory_key(None), forked_from=saved.session_id)
    try:
        writer.copy(saved.records)
    finally:
        writer.close()
    return ForkSessionResult(new_id)


def most_recent_session(directory: str | os.PathLike[str] | None = None) -> str | None:
    """The id of the most recently used session of ``directory`` (default: the current
    folder), or ``None``."""
    found = list_sessions(directory, limit=1)
    return found[0].session_id if found else None


__all__ = [
    "ENV_VAR",
    "ForkSessionResult",
    "SDKSessionInfo",
    "SavedSession",
    "SessionFileWarning",
    "SessionWriter",
    "check_session_id",
    "data_dir",
    "delete_session",
    "fork_session",
    "get_session_info",
    "get_session_messages",
    "list_sessions",
    "load_session",
    "most_recent_session",
    "session_saved",
    "sessions_dir",
]
