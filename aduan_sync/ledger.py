"""The ledger: the local SQLite database that is the source of truth.

Register numbers are allocated here, in one transaction with the messages and audit events they
cause; a number is never reused or changed, and survives anyone clearing a cell in the sheet.
Schema changes are named migrations (`migrations.py`) recorded in the `migrations` table.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from aduan_sync.errors import LedgerError
from aduan_sync.fsutil import ensure_private_dir
from aduan_sync.ledger_attachments import AttachmentRows
from aduan_sync.ledger_base import from_iso, to_iso
from aduan_sync.ledger_outbox import OutboxRows
from aduan_sync.migrations import MIGRATIONS
from aduan_sync.records import Complaint, NewComplaint


class Ledger(OutboxRows, AttachmentRows):
    """The SQLite ledger. Use as a context manager, or call `close()`. Its outbox and
    attachment queries are in `ledger_outbox.py` and `ledger_attachments.py`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        ensure_private_dir(path.parent)
        fresh = not path.exists()
        # isolation_level=None: we issue BEGIN IMMEDIATE ourselves so that two processes never
        # both read the same last register sequence before one of them writes it.
        self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
        self.db.row_factory = sqlite3.Row
        if fresh:
            os.chmod(path, 0o600)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        # WAL + NORMAL: every commit survives a killed process (the crash the design names);
        # only a power cut can lose the last commits, never consistency. FULL would cost
        # an fsync per commit, i.e. per message delivered.
        self.db.execute("PRAGMA synchronous=NORMAL")
        self._migrate()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    def _migrate(self) -> None:
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT)"
        )
        done = {r[0] for r in self.db.execute("SELECT name FROM migrations")}
        for name, sql in MIGRATIONS:
            if name in done:
                continue
            with self.transaction() as db:
                for statement in sql.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(
                    "INSERT INTO migrations (name, applied_at) VALUES (?, datetime('now'))",
                    (name,),
                )

    def applied_migrations(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT name FROM migrations ORDER BY name")]

    # -- complaints -------------------------------------------------------------------------

    def complaints(self, *, unarchived_only: bool = False) -> list[Complaint]:
        """Every complaint (or those not yet archived), in register order, with the cells we
        last wrote in the sheet."""
        where = " WHERE archived_sha256 IS NULL" if unarchived_only else ""
        written: dict[int, dict[str, str]] = {}
        if not unarchived_only:
            for r in self.db.execute("SELECT complaint_id, column_key, value FROM sheet_cells"):
                written.setdefault(r[0], {})[r[1]] = r[2]
        rows = self.db.execute(f"SELECT * FROM complaints{where} ORDER BY year, seq")
        return [_complaint(r, written.get(r["id"], {})) for r in rows]

    def unarchived_batches(self, size: int) -> Iterator[list[Complaint]]:
        """The complaints not yet archived, in register order, `size` at a time: a first
        import of 50,000 rows never holds them all a second time (the pass has its own)."""
        after = (0, 0)
        while True:
            rows = self.db.execute(
                "SELECT * FROM complaints WHERE archived_sha256 IS NULL AND (year, seq) > (?, ?) "
                "ORDER BY year, seq LIMIT ?", (*after, size)).fetchall()
            if not rows:
                return
            after = (rows[-1]["year"], rows[-1]["seq"])
            batch = [_complaint(r, {}) for r in rows]
            del rows  # the raw rows (every answer's JSON text) are not held while it is used
            yield batch
            del batch  # nor the batch while the next one is read

    def count_unarchived(self) -> int:
        return int(self.db.execute(
            "SELECT COUNT(*) FROM complaints WHERE archived_sha256 IS NULL").fetchone()[0])

    def complaint_in(self, db: sqlite3.Connection, complaint_id: int) -> Complaint:
        """A complaint as the open transaction `db` sees it (cells written: none yet)."""
        r = db.execute("SELECT * FROM complaints WHERE id = ?", (complaint_id,)).fetchone()
        if r is None:
            raise LedgerError("Aduan tidak ditemukan di buku register.", detail=str(complaint_id))
        return _complaint(r, {})

    def complaint(self, register_no: str) -> Complaint | None:
        r = self.db.execute(
            "SELECT * FROM complaints WHERE register_no = ?", (register_no,)
        ).fetchone()
        if r is None:
            return None
        written = {
            k: v
            for k, v in self.db.execute(
                "SELECT column_key, value FROM sheet_cells WHERE complaint_id = ?", (r["id"],)
            )
        }
        return _complaint(r, written)

    def next_seq(self, db: sqlite3.Connection, year: int) -> int:
        """Allocate the next sequence of `year`. Call inside `transaction()`."""
        row = db.execute("SELECT last_seq FROM register_seq WHERE year = ?", (year,)).fetchone()
        seq = (row[0] if row else 0) + 1
        db.execute(
            "INSERT INTO register_seq (year, last_seq) VALUES (?, ?) "
            "ON CONFLICT (year) DO UPDATE SET last_seq = excluded.last_seq",
            (year, seq),
        )
        return seq

    def insert_complaint(
        self, db: sqlite3.Connection, new: NewComplaint, *, register_no: str, year: int,
        seq: int, registered_at: datetime,
    ) -> int:
        """Insert a registered complaint. Call inside `transaction()`; returns its id."""
        cur = db.execute(
            """INSERT INTO complaints (register_no, year, seq, fingerprint, answers_json,
                answers_sha256, submitted_at, registered_at, category, category_source, unit,
                completeness, missing_json, status, deadline, note, origin_json,
                final_deadline, completed_at, duplicate_of)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                register_no, year, seq, new.fingerprint,
                _answers_json(new.answers, new.extra), new.answers_sha256,
                to_iso(new.submitted_at), to_iso(registered_at), new.category, new.category_source,
                new.unit, new.completeness, json.dumps(new.missing), new.status,
                to_iso(new.deadline), new.note, json.dumps(new.origin, ensure_ascii=False),
                to_iso(new.final_deadline), to_iso(registered_at) if not new.missing else None,
                new.duplicate_of,
            ),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def register_complaint(
        self, db: sqlite3.Connection, new: NewComplaint, *, register_no: str, year: int,
        seq: int, registered_at: datetime,
    ) -> Complaint:
        """`insert_complaint`, returning the complaint as `complaint_in` would read it back,
        without reading it back: equal field by field, but holding `new`'s own objects (its
        answers are the row's, already in memory), where a read would decode a copy of each
        (~4 KB a complaint: 200 MB for a first import of 50,000 rows)."""
        cid = self.insert_complaint(db, new, register_no=register_no, year=year, seq=seq,
                                    registered_at=registered_at)
        return Complaint(
            id=cid, register_no=register_no, year=year, seq=seq, fingerprint=new.fingerprint,
            answers=new.answers, extra=list(new.extra), answers_sha256=new.answers_sha256,
            submitted_at=new.submitted_at, registered_at=registered_at,
            category=new.category, category_source=new.category_source, unit=new.unit,
            completeness=new.completeness, missing=list(new.missing), status=new.status,
            deadline=new.deadline, note=new.note, answer="", answer_date=None,
            archived_sha256=None, origin=new.origin, written={},
            final_deadline=new.final_deadline,
            completed_at=registered_at if not new.missing else None,
            duplicate_of=new.duplicate_of,
        )

    _UPDATABLE = frozenset(
        {"category", "category_source", "unit", "completeness", "missing_json", "status",
         "deadline", "note", "answer", "answer_date", "archived_sha256", "answers_json",
         "answers_sha256", "fingerprint", "final_deadline", "completed_at", "answer_route",
         "answer_sent_at", "closed_at", "duplicate_of"}
    )

    def update_complaint(self, db: sqlite3.Connection, complaint_id: int, **values: Any) -> None:
        """Update mutable fields of a complaint (never its number). Inside `transaction()`.

        Takes `Complaint` field names: `answers` with `extra`, and `missing`, are stored as
        the JSON columns they live in."""
        values = dict(values)
        if "answers" in values or "extra" in values:
            values["answers_json"] = _answers_json(values.pop("answers"), values.pop("extra"))
        if "missing" in values:
            values["missing_json"] = json.dumps(values.pop("missing"))
        bad = set(values) - self._UPDATABLE
        if bad:
            raise LedgerError("Nomor register dan urutan tidak boleh diubah.", detail=str(bad))
        cols = ", ".join(f"{k} = ?" for k in values)
        params = [to_iso(v) if isinstance(v, datetime) else v for v in values.values()]
        db.execute(f"UPDATE complaints SET {cols} WHERE id = ?", (*params, complaint_id))

    def set_archived(self, done: Sequence[tuple[int, str]]) -> None:
        """Record archived folders: (complaint id, SHA-256 of its aduan.json)."""
        with self.transaction() as db:
            db.executemany(
                "UPDATE complaints SET archived_sha256 = ? WHERE id = ?",
                [(sha, cid) for cid, sha in done],
            )

    def record_written(self, cells: Sequence[tuple[int, str, str]]) -> None:
        """Remember what the sheet now holds in cells we own: (complaint_id, column, value)."""
        if not cells:
            return
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO sheet_cells (complaint_id, column_key, value) VALUES (?, ?, ?) "
                "ON CONFLICT (complaint_id, column_key) DO UPDATE SET value = excluded.value",
                cells,
            )

    def record_answer(self, db: sqlite3.Connection, complaint_id: int, text: str,
                      now: datetime, *, delivered: bool) -> int:
        """Keep every version of a staff answer; returns its version number (1, 2, ...)."""
        row = db.execute("SELECT COALESCE(MAX(version), 0) FROM answers WHERE complaint_id = ?",
                         (complaint_id,)).fetchone()
        version = row[0] + 1
        db.execute(
            "INSERT INTO answers (complaint_id, version, text, recorded_at, delivered) "
            "VALUES (?, ?, ?, ?, ?)", (complaint_id, version, text, to_iso(now), int(delivered)),
        )
        return version

    def answers(self, complaint_id: int) -> list[dict[str, Any]]:
        return [dict(r) for r in self.db.execute(
            "SELECT version, text, recorded_at, delivered FROM answers WHERE complaint_id = ? "
            "ORDER BY version", (complaint_id,))]

    def state(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM pass_state WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_state(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO pass_state (key, value) VALUES (?, ?) ON CONFLICT (key) "
                       "DO UPDATE SET value = excluded.value", (key, value))

    def deadlines(self, statuses: Sequence[str]) -> list[datetime]:
        """The deadlines of complaints in `statuses` (for the idle check)."""
        marks = ", ".join("?" * len(statuses))
        return [datetime.fromisoformat(r[0]) for r in self.db.execute(
            f"SELECT deadline FROM complaints WHERE deadline IS NOT NULL AND status IN ({marks})",
            tuple(statuses))]

    def has_unarchived(self) -> bool:
        return self.db.execute(
            "SELECT 1 FROM complaints WHERE archived_sha256 IS NULL LIMIT 1").fetchone() is not None

    # -- passes -----------------------------------------------------------------------------

    def record_pass(self, started: datetime, finished: datetime, result: str,
                    summary: dict[str, Any]) -> None:
        """Log a pass that changed something or met errors (idle passes leave no trace)."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO passes (started_at, finished_at, result, summary_json) "
                "VALUES (?, ?, ?, ?)",
                (to_iso(started), to_iso(finished), result,
                 json.dumps(summary, ensure_ascii=False, default=str)),
            )

    def last_pass(self) -> dict[str, Any] | None:
        r = self.db.execute("SELECT * FROM passes ORDER BY id DESC LIMIT 1").fetchone()
        if r is None:
            return None
        return {**dict(r), "summary": json.loads(r["summary_json"])}


def _answers_json(fields: dict[str, str], extra: Sequence[tuple[str, str]]) -> str:
    return json.dumps({"fields": fields, "extra": [list(p) for p in extra]}, ensure_ascii=False)


def _complaint(r: sqlite3.Row, written: dict[str, str]) -> Complaint:
    answers = json.loads(r["answers_json"])
    return Complaint(
        id=r["id"],
        register_no=r["register_no"],
        year=r["year"],
        seq=r["seq"],
        fingerprint=r["fingerprint"],
        answers=answers["fields"],
        extra=[(h, v) for h, v in answers["extra"]],
        answers_sha256=r["answers_sha256"],
        submitted_at=datetime.fromisoformat(r["submitted_at"]),
        registered_at=datetime.fromisoformat(r["registered_at"]),
        category=r["category"],
        category_source=r["category_source"],
        unit=r["unit"],
        completeness=r["completeness"],
        missing=json.loads(r["missing_json"]),
        status=r["status"],
        deadline=from_iso(r["deadline"]),
        note=r["note"],
        answer=r["answer"],
        answer_date=from_iso(r["answer_date"]),
        archived_sha256=r["archived_sha256"],
        origin=json.loads(r["origin_json"]),
        written=written,
        final_deadline=from_iso(r["final_deadline"]),
        completed_at=from_iso(r["completed_at"]),
        answer_route=r["answer_route"],
        answer_sent_at=from_iso(r["answer_sent_at"]),
        closed_at=from_iso(r["closed_at"]),
        duplicate_of=r["duplicate_of"],
    )
