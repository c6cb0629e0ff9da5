"""What every part of the ledger shares: its connection, the write transaction, the audit
log, and how times are stored (ISO 8601 with their offset; a time without a zone is refused)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from aduan_sync.errors import LedgerError


def to_iso(dt: datetime | None) -> str | None:
    """A time as the ledger stores it."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        raise LedgerError("Waktu tanpa zona waktu tidak boleh dicatat.", detail=str(dt))
    return dt.isoformat()


def from_iso(text: str | None) -> datetime | None:
    """A stored time back (None for NULL or "")."""
    return datetime.fromisoformat(text) if text else None


class LedgerBase:
    """The connection and what every table's queries use (`Ledger` is made of these parts)."""

    db: sqlite3.Connection

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE ... COMMIT, ROLLBACK on any error)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def add_event(
        self, db: sqlite3.Connection, at: datetime, kind: str, *, complaint_id: int | None = None,
        register_no: str = "", actor: str = "worker", **detail: Any,
    ) -> None:
        db.execute(
            "INSERT INTO events (at, complaint_id, register_no, kind, actor, detail_json) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (to_iso(at), complaint_id, register_no, kind, actor,
             json.dumps(detail, ensure_ascii=False, default=str)),
        )

    def events(self, register_no: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT * FROM events"
        params: tuple[Any, ...] = ()
        if register_no is not None:
            sql += " WHERE register_no = ?"
            params = (register_no,)
        return [
            {**dict(r), "detail": json.loads(r["detail_json"])}
            for r in self.db.execute(sql + " ORDER BY id", params)
        ]
