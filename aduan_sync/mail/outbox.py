"""The "outbox" mail backend: each message becomes an `.eml` file in `outbox_dir`.

The demo's default, and a way to inspect what the worker would send. The file is named from the
Message-ID, which is deterministic per (register number, kind of message), so delivering a
message a second time (after a crash in the send window) rewrites the same file with the same
bytes instead of adding a duplicate. Files are written atomically (temporary file, rename),
mode 0600, in a folder of mode 0700: they hold citizens' personal data. The delivery loop
writes them in batches and syncs each batch once before marking it sent (`deliver.py`).
"""

from __future__ import annotations

import email.message
import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import Path

from aduan_sync.errors import MailConnectionError, MailPermanentError
from aduan_sync.fsutil import flush_to_disk, write_atomic
from aduan_sync.mail.transport import Refused, check_recipients, flatten

_UNSAFE = re.compile(r"[^A-Za-z0-9._@+=-]")
#: Room left for the hash suffix and ".eml" under the usual 255-byte file-name limit.
_MAX_STEM = 150


def eml_filename(message_id: str) -> str:
    """A file name for `message_id`: its characters made safe, distinct IDs kept distinct.

    `<007/ADUAN/XI/2026.ppid@jenawi>` becomes `007_ADUAN_XI_2026.ppid@jenawi-<hash>.eml`; the
    hash of the original ID is appended whenever a character had to change (or the name was
    cut), so `a/b` and `a_b` never share a file.
    """
    raw = message_id.strip().removeprefix("<").removesuffix(">")
    if not raw:
        raise MailPermanentError("Pesan tidak memiliki Message-ID; tidak dapat diberi nama berkas.")
    safe = _UNSAFE.sub("_", raw).lstrip(".")
    if safe != raw or len(safe) > _MAX_STEM:
        digest = hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()[:12]
        safe = f"{safe[:_MAX_STEM]}-{digest}"
    return f"{safe}.eml"


class OutboxTransport:
    """Writes each message as `<Message-ID>.eml` into `outbox_dir` (see module docstring)."""

    def __init__(self, outbox_dir: Path) -> None:
        self.outbox_dir = outbox_dir
        self._dir_ready = False

    def __enter__(self) -> OutboxTransport:
        self._dir_ready = False  # checked (and tightened to 0700) once per pass
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def send(self, msg: email.message.EmailMessage, recipients: Sequence[str]) -> Refused:
        """Write `msg` (as it would be transmitted, without `Bcc`) to the outbox folder.

        The envelope `recipients` are validated like the other backends do; the file itself is
        the message. Raises `MailConnectionError` when the folder cannot be written (disk full,
        read-only), so the message stays queued.
        """
        check_recipients(recipients)
        self._store(str(msg.get("Message-ID", "")), flatten(msg))
        return {}

    def send_raw(self, eml: bytes, message_id: str, recipients: Sequence[str], *,
                 durable: bool = True) -> Refused:
        """Write a message exactly as the ledger stored it when it was queued.

        The stored bytes were composed (and their headers checked) by `compose.compose_bytes`;
        parsing them back only to flatten them again cost more than the rest of a pass.
        With `durable=False` the file is written atomically but synced only by `flush()`.
        """
        check_recipients(recipients)
        if b"\nBcc:" in eml.split(b"\r\n\r\n", 1)[0] or eml.startswith(b"Bcc:"):
            raise MailPermanentError("Pesan tersimpan memuat Bcc; tidak ditulis ke outbox.")
        self._store(message_id, eml, durable=durable)
        return {}

    def flush(self) -> None:
        """Make every message written with `durable=False` survive a power cut."""
        try:
            flush_to_disk()
        except OSError as e:  # pragma: no cover - sync(2) reports no errors on Linux
            raise MailConnectionError("Folder outbox tidak dapat ditulisi.",
                                      detail=f"{self.outbox_dir}: {e}") from e

    def _store(self, message_id: str, data: bytes, *, durable: bool = True) -> None:
        try:
            if not self._dir_ready:
                self._make_dir()
                self._dir_ready = True
            write_atomic(self.outbox_dir / eml_filename(message_id), data, 0o600,
                         durable=durable)
        except OSError as e:
            raise MailConnectionError(
                "Folder outbox tidak dapat ditulisi.", detail=f"{self.outbox_dir}: {e}"
            ) from e

    def _make_dir(self) -> None:
        self.outbox_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        # mkdir's mode is filtered by the umask and ignored for an existing folder.
        os.chmod(self.outbox_dir, 0o700)
