"""TLS settings shared by the token fetch and the API calls.

One ``SSLContext`` per CA choice, built once: loading a CA bundle costs milliseconds
and every client of the process can share the result.
"""

from __future__ import annotations

import functools
import os
import ssl


def resolve_verify(verify: bool | str | None) -> bool | str:
    """``verify`` if given, else ``SSL_CERT_FILE`` / ``REQUESTS_CA_BUNDLE``, else the system CAs."""
    if verify is not None:
        return verify
    for var in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"):
        path = os.environ.get(var)
        if path:
            return path
    return True


@functools.lru_cache(maxsize=8)
def ssl_context(verify: bool | str) -> ssl.SSLContext | bool:
    """An ``SSLContext`` for httpx (``False`` switches verification off)."""
    if verify is False:
        return False
    if verify is True:
        return ssl.create_default_context()
    if os.path.isdir(verify):
        return ssl.create_default_context(capath=verify)
    return ssl.create_default_context(cafile=verify)
