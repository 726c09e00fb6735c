"""A throwaway CA and server certificate for the emulator, cached between runs.

azure-identity refuses plain ``http://`` authorities, so the emulator must speak TLS.
Generating a CA costs little, but clients are told to trust one ``ca.pem`` path
(``SSL_CERT_FILE``, ``connection_verify``), so the files are kept in a cache directory
and reused: a notebook restarted tomorrow still trusts the same CA. The set is
regenerated when a file is missing, unreadable, mismatched or close to expiry.
Writes go to a temporary file renamed into place, under a lock file, so two
processes starting at once never leave a half-written or mixed set behind.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization

SERVER_NAMES = ("127.0.0.1", "localhost", "::1")
_SERVER_LIFETIME = datetime.timedelta(days=365)
_RENEW_BEFORE = datetime.timedelta(days=30)


@dataclass(frozen=True)
class CertFiles:
    """Paths of the CA certificate, the server certificate chain and its private key."""

    ca: Path
    cert: Path
    key: Path


def cache_dir() -> Path:
    """``$JUPYTER_AZURE_AI_EMULATOR_DIR``, else the XDG cache dir, else ``~/.cache``."""
    override = os.environ.get("JUPYTER_AZURE_AI_EMULATOR_DIR")
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "jupyter-azure-ai" / "emulator"


def ensure_certs(directory: Path | None = None) -> CertFiles:
    """Return valid certificate files, creating or renewing them when needed."""
    folder = directory if directory is not None else cache_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    files = CertFiles(folder / "ca.pem", folder / "server.pem", folder / "server-key.pem")
    if _is_valid(files):
        return files
    with _locked(folder / ".lock"):
        if not _is_valid(files):  # another process may have just written them
            _generate(files)
    return files


def _is_valid(files: CertFiles) -> bool:
    try:
        ca = x509.load_pem_x509_certificate(files.ca.read_bytes())
        leaf = x509.load_pem_x509_certificate(files.cert.read_bytes())
        key = serialization.load_pem_private_key(files.key.read_bytes(), password=None)
        leaf.verify_directly_issued_by(ca)
        names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, TypeError, x509.ExtensionNotFound, InvalidSignature):
        return False
    present = {str(v) for v in names.get_values_for_type(x509.IPAddress)}
    present.update(names.get_values_for_type(x509.DNSName))
    soon = datetime.datetime.now(datetime.timezone.utc) + _RENEW_BEFORE
    return (
        set(SERVER_NAMES) <= present
        and key.public_key() == leaf.public_key()
        and leaf.not_valid_after_utc > soon
        and ca.not_valid_after_utc > soon
    )


def _generate(files: CertFiles) -> None:
    ca = trustme.CA(organization_name="jupyter-azure-ai emulator")
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    leaf = ca.issue_cert(
        *SERVER_NAMES,
        not_before=now - datetime.timedelta(days=1),
        not_after=now + _SERVER_LIFETIME,
    )
    _write_atomic(files.key, leaf.private_key_pem.bytes(), mode=0o600)
    _write_atomic(files.cert, b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    _write_atomic(files.ca, ca.cert_pem.bytes())


def _write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        if hasattr(os, "fchmod"):  # not on Windows, where mkstemp is private already
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive advisory lock (POSIX); elsewhere only the atomic renames protect us."""
    with open(path, "a+b") as handle:
        try:
            import fcntl
        except ImportError:  # Windows
            yield
            return
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
