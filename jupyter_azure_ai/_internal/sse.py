"""Incremental server-sent-events decoder working on bytes.

It sits on the hot path of every answer, so it never decodes text: lines are split
at the byte level (an event cut inside a multi-byte UTF-8 character is simply
joined before anyone decodes it), and only the ``data`` field is kept, because
Azure OpenAI uses nothing else. ``feed`` returns the data payloads of the events a
read completed; ``[DONE]`` is returned like any other payload.

Lines end with LF, CRLF or a lone CR, as the SSE format allows; ``bytes.splitlines``
splits at exactly those three in one pass, so CRLF streams cost no more than LF ones.
A CR at the end of a read ends its line at once; an LF starting the next read is then
the rest of that CRLF and is skipped.
"""

from __future__ import annotations


class SSEDecoder:
    __slots__ = ("_cr", "_data", "_tail")

    def __init__(self) -> None:
        self._tail = b""  # an unfinished line from the previous read
        self._data: list[bytes] = []  # data lines of the event being read
        self._cr = False  # the previous read ended with a CR

    def feed(self, chunk: bytes) -> list[bytes]:
        """Decode one read; return the payloads of the events it completed."""
        if self._cr and chunk[:1] == b"\n":
            self._cr = False
            chunk = chunk[1:]
        if not chunk:
            return []
        last = chunk[-1]
        self._cr = last == 13  # CR
        if self._tail:
            chunk = self._tail + chunk
        lines = chunk.splitlines()
        self._tail = b"" if last == 10 or last == 13 else lines.pop()
        out: list[bytes] = []
        data = self._data
        for line in lines:
            if line:
                if line.startswith(b"data: "):
                    data.append(line[6:])
                elif line.startswith(b"data:"):
                    data.append(line[5:])
                elif line == b"data":
                    data.append(b"")
                # ":" comments (keep-alives) and event/id/retry fields are not used.
            elif data:
                out.append(data[0] if len(data) == 1 else b"\n".join(data))
                data.clear()
        return out

    def finish(self) -> list[bytes]:
        """At end of stream: the payloads the end completes. None: an event needs its
        blank line, and an unfinished one is dropped, as the SSE format says."""
        return []
