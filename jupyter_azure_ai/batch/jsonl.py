"""The batch input file, built as a stream: one JSON line per row, cut into parts.

Rows are read one at a time from the data (``mapping.prepare``'s row iterator), filled
into the template, turned into a request line and written to a temporary file on disk;
a part is closed before it would pass ``max_lines`` lines or ``max_bytes`` bytes (the
service's limits: 100,000 requests and 200 MB per input file, azure-wire-2.md §1).
Only one part exists at a time: the caller uploads it and closes it before the next
one is built, so memory stays flat whatever the number of rows, and so does the disk.

Each line's ``custom_id`` is the row's *position* in the data (``"0"``, ``"1"``, ...),
never its index label: any index type maps back, and the output file (whose order the
service does not guarantee) is put back in input order by position.

A line carries what a chat request of ``map_rows`` carries — the messages, the token
limit, the temperature, the ``response_format`` — but no ``stream``: the service
answers each line as one ``chat.completion``. Nothing secret is in a line.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from ..errors import ConfigurationError
from ..options import QuerySettings

MAX_LINES = 100_000
"""Requests per batch input file (the service's limit)."""
MAX_BYTES = 200_000_000
"""Bytes per batch input file: the service says 200 MB; decimal megabytes, to be safe."""

CHAT_URL = "/chat/completions"
CHAT_URL_V1 = "/v1/chat/completions"


def line_url(v1: bool) -> str:
    """The ``url`` of a line: the v1 docs write ``/v1/chat/completions``, the older ones
    ``/chat/completions`` (azure-wire-2.md §2)."""
    return CHAT_URL_V1 if v1 else CHAT_URL


def body_maker(
    settings: QuerySettings, token_field: str, extra: dict[str, Any]
) -> Callable[[str], dict[str, Any]]:
    """``prompt -> request body`` for the batch deployment (what ``map_rows`` would send,
    without ``stream``)."""
    deployment = settings.batch_deployment
    text = settings.system_text  # a Claude preset or file dict is never sent as it is
    system = [{"role": "system", "content": text}] if text else []
    fixed: dict[str, Any] = {token_field: settings.max_tokens}
    if settings.temperature is not None:
        fixed["temperature"] = settings.temperature
    fixed.update(extra)

    def make(prompt: str) -> dict[str, Any]:
        messages = [*system, {"role": "user", "content": prompt}]
        return {"model": deployment, "messages": messages, **fixed}

    return make


@dataclass
class Part:
    """One input file: ``lines`` request lines for data rows from position ``first`` on
    (not necessarily contiguous: rows whose template failed are not in any part)."""

    file: IO[bytes]
    first: int
    last: int
    lines: int = 0
    size: int = 0

    def close(self) -> None:
        self.file.close()


@dataclass
class Skipped:
    """Rows that never became a line (their template field could not be filled)."""

    rows: list[tuple[int, BaseException]] = field(default_factory=list)


def encode_line(custom_id: str, url: str, body: dict[str, Any]) -> bytes:
    """One request line (UTF-8, no BOM: a BOM makes validation fail, azure-wire-2.md §1)."""
    line = {"custom_id": custom_id, "method": "POST", "url": url, "body": body}
    return json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def build_parts(
    prompts: Iterable[tuple[int, str | BaseException]],
    make_body: Callable[[str], dict[str, Any]],
    url: str,
    skipped: Skipped,
    *,
    max_lines: int = MAX_LINES,
    max_bytes: int = MAX_BYTES,
    folder: str | None = None,
) -> Generator[Part, None, None]:
    """Write the lines of ``prompts`` (``(position, prompt or the row's error)``) into
    temporary files; yield each part when it is full (rewound, ready to upload).

    The caller must ``close()`` each part (that deletes it) before asking for the next.
    A row whose error is given lands in ``skipped``; a single line larger than
    ``max_bytes`` is a ``ConfigurationError`` (no file could hold it).
    """
    if max_lines < 1 or max_bytes < 1:
        raise ConfigurationError(
            f"max_lines and max_bytes must be >= 1, got {max_lines}, {max_bytes}"
        )
    part: Part | None = None
    for position, prompt in prompts:
        if isinstance(prompt, BaseException):
            skipped.rows.append((position, prompt))
            continue
        data = encode_line(str(position), url, make_body(prompt))
        if len(data) > max_bytes:
            raise ConfigurationError(
                f"row {position} makes a request line of {len(data):,} bytes, more than a batch"
                f" input file may hold ({max_bytes:,} bytes); shorten that row's prompt"
            )
        if part is not None and (part.lines >= max_lines or part.size + len(data) > max_bytes):
            part.file.flush()
            part.file.seek(0)
            yield part
            part = None
        if part is None:
            part = Part(tempfile.TemporaryFile(dir=folder), position, position)  # noqa: SIM115
        part.file.write(data)
        part.lines += 1
        part.size += len(data)
        part.last = position
    if part is not None:
        part.file.flush()
        part.file.seek(0)
        yield part
