"""Helpers shared by the office's books: reading the ledger, dates, names, safe file output."""

from __future__ import annotations

import os
import tempfile
from datetime import datetime, tzinfo
from pathlib import Path

from aduan_sync.config import Config, OfficeConfig
from aduan_sync.ledger import Ledger
from aduan_sync.model import format_sheet_datetime
from aduan_sync.records import Complaint


def load_complaints(cfg: Config) -> list[Complaint]:
    """Every complaint in the ledger, in register order; none if there is no ledger yet.

    A missing ledger is not created: a report must never leave a fresh database behind in a
    folder the operator mistyped.
    """
    if not cfg.storage.ledger_path.exists():
        return []
    with Ledger(cfg.storage.ledger_path) as ledger:
        return ledger.complaints()


def local(dt: datetime, tz: tzinfo) -> datetime:
    """`dt` in the office's zone."""
    return dt.astimezone(tz)


def fmt_datetime(dt: datetime | None, tz: tzinfo) -> str:
    """`dd/mm/yyyy HH:MM` in the office's zone, as the sheet shows dates; "" for None."""
    return format_sheet_datetime(dt, tz)


def place_name(office: OfficeConfig) -> str:
    """The place written above a signature: "Kecamatan Jenawi" -> "Jenawi"."""
    name = office.name.strip()
    for prefix in ("Kecamatan ", "kecamatan ", "KECAMATAN "):
        if name.startswith(prefix):
            return name[len(prefix):].strip()
    return name


def camat_title(office: OfficeConfig) -> str:
    """The Camat's office title: "Camat Jenawi"."""
    return f"Camat {place_name(office)}"


def write_output(path: Path, data: bytes) -> Path:
    """Write an export atomically (temp file, fsync, rename) with mode 0600.

    The books hold citizens' names and addresses, so they are private to the operator; the
    folder is created if missing but an existing folder's mode is left alone (it may be the
    operator's working folder).
    """
    path = path.expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
