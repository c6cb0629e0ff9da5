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
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from aduan_sync.errors import LedgerError
from aduan_sync.fsutil import ensure_private_dir
from aduan_sync.migrations import MIGRATIONS
from aduan_sync.records import (
    Attachment,
    Complaint,
    NewComplaint,
    OutboxMessage,
    QueuedMessage,
)


def _iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        raise LedgerError("Waktu tanpa zona waktu tidak boleh dicatat.", detail=str(dt))
    return dt.isoformat()


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class Ledger:
    """The SQLite ledger. Use as a context manager, or call `close()`."""

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
                _iso(new.submitted_at), _iso(registered_at), new.category, new.category_source,
                new.unit, new.completeness, json.dumps(new.missing), new.status,
                _iso(new.deadline), new.note, json.dumps(new.origin, ensure_ascii=False),
                _iso(new.final_deadline), _iso(registered_at) if not new.missing else None,
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
        params = [_iso(v) if isinstance(v, datetime) else v for v in values.values()]
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
            "VALUES (?, ?, ?, ?, ?)", (complaint_id, version, text, _iso(now), int(delivered)),
        )
        return version

    def answers(self, complaint_id: int) -> list[dict[str, Any]]:
        return [dict(r) for r in self.db.execute(
            "SELECT version, text, recorded_at, delivered FROM answers WHERE complaint_id = ? "
            "ORDER BY version", (complaint_id,))]

    # -- audit events -----------------------------------------------------------------------

    def add_event(
        self, db: sqlite3.Connection, at: datetime, kind: str, *, complaint_id: int | None = None,
        register_no: str = "", actor: str = "worker", **detail: Any,
    ) -> None:
        db.execute(
            "INSERT INTO events (at, complaint_id, register_no, kind, actor, detail_json) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (_iso(at), complaint_id, register_no, kind, actor,
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

    # -- outbox -----------------------------------------------------------------------------

    def queue_message(
        self, db: sqlite3.Connection, msg: QueuedMessage, *, complaint_id: int | None,
        register_no: str, now: datetime,
    ) -> bool:
        """Queue a message inside `transaction()`. False if its Message-ID is already queued."""
        cur = db.execute(
            """INSERT INTO outbox (message_id, complaint_id, register_no, kind, recipients_json,
                subject, eml, next_attempt_at, created_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING""",
            (msg.message_id, complaint_id, register_no, msg.kind, json.dumps(msg.recipients),
             msg.subject, msg.eml, _iso(now), _iso(now)),
        )
        return cur.rowcount == 1

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

    def has_message(self, db: sqlite3.Connection, message_id: str) -> bool:
        return db.execute("SELECT 1 FROM outbox WHERE message_id = ?",
                          (message_id,)).fetchone() is not None

    def pending_messages(self, now: datetime, *, bodies: bool = True) -> list[OutboxMessage]:
        """Messages to (re)send now: queued or left `sending` by a crash, attempt due.
        `bodies=False` leaves `eml` empty (a first import queues thousands of messages:
        `message_bodies` then loads them a batch at a time)."""
        columns = "*" if bodies else f"{_OUTBOX_COLUMNS}, X'' AS eml"
        rows = self.db.execute(
            f"SELECT {columns} FROM outbox WHERE status IN ('queued', 'sending') ORDER BY id"
        )
        return [m for m in map(_message, rows) if m.next_attempt_at <= now]

    def message_bodies(self, msg_ids: Sequence[int]) -> dict[int, bytes]:
        """The stored bytes of the given outbox messages, by row id."""
        marks = ",".join("?" * len(msg_ids))
        return {r[0]: bytes(r[1]) for r in self.db.execute(
            f"SELECT id, eml FROM outbox WHERE id IN ({marks})", list(msg_ids))}

    def messages(self, status: str | None = None) -> list[OutboxMessage]:
        sql, params = "SELECT * FROM outbox", ()
        if status:
            sql, params = sql + " WHERE status = ?", (status,)  # type: ignore[assignment]
        return [_message(r) for r in self.db.execute(sql + " ORDER BY id", params)]

    def mark_sending(self, msg_id: int, now: datetime) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE outbox SET status = 'sending', attempts = attempts + 1 WHERE id = ?",
                (msg_id,),
            )

    def mark_sent(self, msg_id: int, now: datetime) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE outbox SET status = 'sent', sent_at = ?, last_error = '' WHERE id = ?",
                (_iso(now), msg_id),
            )

    def mark_sending_many(self, msg_ids: Sequence[int], now: datetime) -> None:
        """`mark_sending` for a batch of messages, in one transaction."""
        with self.transaction() as db:
            db.executemany(
                "UPDATE outbox SET status = 'sending', attempts = attempts + 1 WHERE id = ?",
                [(i,) for i in msg_ids],
            )

    def mark_sent_many(self, msg_ids: Sequence[int], now: datetime) -> None:
        """`mark_sent` for a batch of messages, in one transaction."""
        with self.transaction() as db:
            db.executemany(
                "UPDATE outbox SET status = 'sent', sent_at = ?, last_error = '' WHERE id = ?",
                [(_iso(now), i) for i in msg_ids],
            )

    def unmark_sending(self, msg_ids: Sequence[int]) -> None:
        """Undo `mark_sending_many` for messages never attempted (the batch stopped early)."""
        with self.transaction() as db:
            db.executemany(
                "UPDATE outbox SET status = 'queued', attempts = attempts - 1 "
                "WHERE id = ? AND status = 'sending'",
                [(i,) for i in msg_ids],
            )

    def mark_retry(self, msg_id: int, error: str, next_attempt_at: datetime) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE outbox SET status = 'queued', last_error = ?, next_attempt_at = ? "
                "WHERE id = ?",
                (error, _iso(next_attempt_at), msg_id),
            )

    def mark_failed(self, msg_id: int, error: str, now: datetime) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ?",
                (error, msg_id),
            )
            row = db.execute(
                "SELECT complaint_id, register_no, kind FROM outbox WHERE id = ?", (msg_id,)
            ).fetchone()
            if row is not None:
                self.add_event(db, now, "mail_failed", complaint_id=row[0], register_no=row[1],
                               message=row[2], error=error)

    def outbox_counts(self) -> dict[str, int]:
        return {
            r[0]: r[1]
            for r in self.db.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status")
        }

    def refresh_queued(self, msg: QueuedMessage) -> bool:
        """Replace the subject and body of a message that was queued but never tried (same
        Message-ID), e.g. to list attachments downloaded after it was queued. False when it
        is unknown or a send was already attempted: a message is never changed once tried."""
        with self.transaction() as db:
            cur = db.execute(
                "UPDATE outbox SET subject = ?, eml = ? WHERE message_id = ? AND "
                "status = 'queued' AND attempts = 0 AND eml != ?",
                (msg.subject, msg.eml, msg.message_id, msg.eml),
            )
        return cur.rowcount == 1

    # -- attachments ------------------------------------------------------------------------

    def attachments(self, complaint_id: int | None = None, *,
                    statuses: Sequence[str] = ()) -> list[Attachment]:
        """Attachment rows (of one complaint, or all; optionally only some statuses), in
        complaint and link order."""
        where: list[str] = []
        params: list[Any] = []
        if complaint_id is not None:
            where.append("complaint_id = ?")
            params.append(complaint_id)
        if statuses:
            where.append(f"status IN ({', '.join('?' * len(statuses))})")
            params.extend(statuses)
        sql = "SELECT * FROM attachments" + (f" WHERE {' AND '.join(where)}" if where else "")
        rows = self.db.execute(sql + " ORDER BY complaint_id, position", params)
        return [_attachment(r) for r in rows]

    def unscanned_answers(self) -> list[tuple[int, str, dict[str, str], list[tuple[str, str]]]]:
        """(id, answers SHA-256, fields, extra) of complaints whose answers were not searched
        for attachment links since they last changed: new, or edited by staff."""
        # Answers without any Drive address are not even decoded (a first pass over a big
        # sheet scans every complaint once).
        rows = self.db.execute(
            "SELECT id, answers_sha256, CASE WHEN instr(lower(answers_json), "
            "'drive.google.com') THEN answers_json END FROM complaints "
            "WHERE links_scanned_sha256 IS NOT answers_sha256 ORDER BY year, seq")
        out: list[tuple[int, str, dict[str, str], list[tuple[str, str]]]] = []
        for cid, sha, text in rows:
            answers = json.loads(text) if text else {"fields": {}, "extra": []}
            out.append((cid, sha, answers["fields"], [(h, v) for h, v in answers["extra"]]))
        return out

    def mark_scanned(self, db: sqlite3.Connection, scanned: Sequence[tuple[int, str]]) -> None:
        """Remember the answers searched for links: (complaint id, answers SHA-256)."""
        db.executemany("UPDATE complaints SET links_scanned_sha256 = ? WHERE id = ?",
                       [(sha, cid) for cid, sha in scanned])

    def attachment_keys(self) -> set[tuple[int, str]]:
        """(complaint id, Drive file id) of every recorded attachment."""
        return {(r[0], r[1]) for r in self.db.execute(
            "SELECT complaint_id, file_id FROM attachments")}

    def add_attachments(self, db: sqlite3.Connection,
                        rows: Sequence[tuple[int, int, str, str]], now: datetime) -> None:
        """Record links: (complaint id, position, file id, link); known ones are left as they
        are. Call inside `transaction()`."""
        db.executemany(
            "INSERT INTO attachments (complaint_id, position, file_id, link, updated_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (complaint_id, file_id) DO NOTHING",
            [(*r, _iso(now)) for r in rows],
        )

    _ATTACHMENT_UPDATABLE = frozenset(
        {"name", "local_name", "size", "mime_type", "sha256", "status", "attempts",
         "last_error", "note"}
    )

    def update_attachment(self, db: sqlite3.Connection, attachment_id: int, now: datetime,
                          **values: Any) -> None:
        """Update an attachment's download state. Call inside `transaction()`."""
        bad = set(values) - self._ATTACHMENT_UPDATABLE
        if bad:
            raise LedgerError("Kolom lampiran tidak dikenal.", detail=str(bad))
        cols = ", ".join(f"{k} = ?" for k in values)
        db.execute(f"UPDATE attachments SET {cols}, updated_at = ? WHERE id = ?",
                   (*values.values(), _iso(now), attachment_id))

    # -- passes -----------------------------------------------------------------------------

    def record_pass(self, started: datetime, finished: datetime, result: str,
                    summary: dict[str, Any]) -> None:
        """Log a pass that changed something or met errors (idle passes leave no trace)."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO passes (started_at, finished_at, result, summary_json) "
                "VALUES (?, ?, ?, ?)",
                (_iso(started), _iso(finished), result,
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
        deadline=_dt(r["deadline"]),
        note=r["note"],
        answer=r["answer"],
        answer_date=_dt(r["answer_date"]),
        archived_sha256=r["archived_sha256"],
        origin=json.loads(r["origin_json"]),
        written=written,
        final_deadline=_dt(r["final_deadline"]),
        completed_at=_dt(r["completed_at"]),
        answer_route=r["answer_route"],
        answer_sent_at=_dt(r["answer_sent_at"]),
        closed_at=_dt(r["closed_at"]),
        duplicate_of=r["duplicate_of"],
    )


def _attachment(r: sqlite3.Row) -> Attachment:
    return Attachment(
        id=r["id"], complaint_id=r["complaint_id"], position=r["position"],
        file_id=r["file_id"], link=r["link"], name=r["name"], local_name=r["local_name"],
        size=r["size"], mime_type=r["mime_type"], sha256=r["sha256"], status=r["status"],
        attempts=r["attempts"], last_error=r["last_error"], note=r["note"],
    )


#: Every column of `outbox` but the message bytes.
_OUTBOX_COLUMNS = ("id, message_id, complaint_id, register_no, kind, recipients_json, subject, "
                   "status, attempts, last_error, next_attempt_at, created_at, sent_at")


def _message(r: sqlite3.Row) -> OutboxMessage:
    return OutboxMessage(
        id=r["id"],
        message_id=r["message_id"],
        register_no=r["register_no"],
        kind=r["kind"],
        recipients=json.loads(r["recipients_json"]),
        subject=r["subject"],
        eml=bytes(r["eml"]),
        status=r["status"],
        attempts=r["attempts"],
        last_error=r["last_error"],
        next_attempt_at=datetime.fromisoformat(r["next_attempt_at"]),
        created_at=datetime.fromisoformat(r["created_at"]),
        sent_at=_dt(r["sent_at"]),
    )
