"""The ledger's outbox: every message a pass queues, in the same transaction as the change
that caused it, and its delivery state (queued, sending, sent, failed)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime

from aduan_sync.ledger_base import LedgerBase, from_iso, to_iso
from aduan_sync.records import OutboxMessage, QueuedMessage


class OutboxRows(LedgerBase):
    """Queries on the `outbox` table (a part of `Ledger`)."""

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
             msg.subject, msg.eml, to_iso(now), to_iso(now)),
        )
        return cur.rowcount == 1

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
                (to_iso(now), msg_id),
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
                [(to_iso(now), i) for i in msg_ids],
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
                (error, to_iso(next_attempt_at), msg_id),
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
        sent_at=from_iso(r["sent_at"]),
    )
