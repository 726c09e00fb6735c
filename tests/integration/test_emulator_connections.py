"""The emulator's connections end cleanly however a client leaves.

Python 3.10's asyncio left a TLS transport "unclosed" (a ResourceWarning when collected,
an error under ``-W error``) after its client reset the connection; 3.11 closes it itself.
``.ci/run`` runs this file on 3.10 too, where it failed before the emulator closed them.
"""

from __future__ import annotations

import gc
import socket
import ssl
import struct
import time
import warnings

from jupyter_azure_ai.emulator import start_emulator


def test_a_client_that_resets_leaves_no_unclosed_transport() -> None:
    with start_emulator() as emu:
        context = ssl.create_default_context(cafile=emu.ca_path)
        for _ in range(3):
            raw = socket.create_connection(("127.0.0.1", emu.port), timeout=10)
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                tls.sendall(b"GET /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                assert tls.recv(65536).startswith(b"HTTP/1.1 404")
                # linger 0: close with a TCP reset instead of a TLS close_notify and a FIN
                tls.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # wait until the server has seen the resets (else stop() would abort the connections)
        assert emu._server is not None
        connections = emu._server.server_state.connections
        deadline = time.monotonic() + 5
        while connections and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not connections
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gc.collect()
    assert [str(w.message) for w in caught if w.category is ResourceWarning] == []
