"""Incremental server-sent-events decoder working on bytes.

It sits on the hot path of every answer, so it never decodes text: lines are split
at the byte level (an event cut inside a multi-byte UTF-8 character is simply
joined before anyone decodes it), and only the ``data`` field is kept, because
Azure OpenAI uses nothing else. ``feed`` returns the data payloads of the events a
read completed; ``[DONE]`` is returned like any other payload.
"""

from __future__ import annotations


class SSEDecoder:
    __slots__ = ("_data", "_tail")

    def __init__(self) -> None:
        self._tail = b""  # an unfinished line from the previous read
        self._data: list[bytes] = []  # data lines of the event being read

    def feed(self, chunk: bytes) -> list[bytes]:
        """Decode one read; return the payloads of the events it completed."""
        if self._tail:
            chunk = self._tail + chunk
        if b"\r" in chunk:
            # Normalise CRLF and lone CR; a CR at the very end may be half of a CRLF.
            pending_cr = chunk.endswith(b"\r")
            if pending_cr:
                chunk = chunk[:-1]
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
            lines = chunk.split(b"\n")
            self._tail = lines.pop() + (b"\r" if pending_cr else b"")
        else:
            lines = chunk.split(b"\n")
            self._tail = lines.pop()
        out: list[bytes] = []
        data = self._data
        for line in lines:
            if line:
                if line.startswith(b"data:"):
                    data.append(line[6:] if line[5:6] == b" " else line[5:])
                elif line == b"data":
                    data.append(b"")
                # ":" comments (keep-alives) and event/id/retry fields are not used.
            elif data:
                out.append(data[0] if len(data) == 1 else b"\n".join(data))
                data.clear()
        return out

    def finish(self) -> list[bytes]:
        """At end of stream: a CR held back as possibly half of a CRLF was a line end."""
        return self.feed(b"\n") if self._tail.endswith(b"\r") else []

    @property
    def pending(self) -> bool:
        """True when bytes of an unfinished event are buffered (a cut-off stream)."""
        return bool(self._tail.strip() or self._data)
