"""The ledger's attachments: each Drive link found in a complaint's answers, and the state of
its download into the archive (`attachments.py` decides; this records)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from aduan_sync.errors import LedgerError
from aduan_sync.ledger_base import LedgerBase, to_iso
from aduan_sync.records import Attachment

#: Complaint ids bound in one `IN (...)` query (SQLite allows 999 parameters at least).
_IDS_PER_QUERY = 500


class AttachmentRows(LedgerBase):
    """Queries on the `attachments` table, and the link scan's mark on `complaints` (a part of
    `Ledger`)."""

    _ATTACHMENT_UPDATABLE = frozenset(
        {"name", "local_name", "size", "mime_type", "sha256", "status", "attempts",
         "last_error", "note"}
    )

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

    def attachments_by_complaint(self, complaint_ids: Sequence[int]
                                 ) -> dict[int, list[Attachment]]:
        """The attachment rows of each of `complaint_ids`, in link order; a complaint without
        files is absent. One query for `_IDS_PER_QUERY` complaints, not one each: a first
        import archives and notifies thousands."""
        out: dict[int, list[Attachment]] = {}
        ids = list(dict.fromkeys(complaint_ids))
        for i in range(0, len(ids), _IDS_PER_QUERY):
            chunk = ids[i:i + _IDS_PER_QUERY]
            rows = self.db.execute(
                f"SELECT * FROM attachments WHERE complaint_id IN ({', '.join('?' * len(chunk))})"
                " ORDER BY complaint_id, position", chunk)
            for r in rows:
                out.setdefault(r["complaint_id"], []).append(_attachment(r))
        return out

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
            [(*r, to_iso(now)) for r in rows],
        )

    def update_attachment(self, db: sqlite3.Connection, attachment_id: int, now: datetime,
                          **values: Any) -> None:
        """Update an attachment's download state. Call inside `transaction()`."""
        bad = set(values) - self._ATTACHMENT_UPDATABLE
        if bad:
            raise LedgerError("Kolom lampiran tidak dikenal.", detail=str(bad))
        cols = ", ".join(f"{k} = ?" for k in values)
        db.execute(f"UPDATE attachments SET {cols}, updated_at = ? WHERE id = ?",
                   (*values.values(), to_iso(now), attachment_id))


def _attachment(r: sqlite3.Row) -> Attachment:
    return Attachment(
        id=r["id"], complaint_id=r["complaint_id"], position=r["position"],
        file_id=r["file_id"], link=r["link"], name=r["name"], local_name=r["local_name"],
        size=r["size"], mime_type=r["mime_type"], sha256=r["sha256"], status=r["status"],
        attempts=r["attempts"], last_error=r["last_error"], note=r["note"],
    )
