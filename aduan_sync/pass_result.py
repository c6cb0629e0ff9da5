"""What one pass did: the figures the CLI prints, `sync --json` emits and the ledger logs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aduan_sync.errors import EXIT_ITEM_ERRORS, EXIT_OK


@dataclass
class PassResult:
    """What one pass did, for the CLI's table, `sync --json` and the ledger's pass log."""

    started_at: datetime
    source: str = ""
    rows: int = 0
    registered: list[str] = field(default_factory=list)
    restored_rows: int = 0
    staff_edits: int = 0
    archived: int = 0
    cells_written: int = 0
    cells_skipped: int = 0
    headers_added: list[str] = field(default_factory=list)
    queued: int = 0
    sent: int = 0
    mail_retry: int = 0
    mail_failed: int = 0
    mail_detail: dict[str, Any] = field(default_factory=dict)
    rekap_written: bool = False
    idle: bool = False  # recognised as idle without per-row work (see idle.py)
    api_requests: int = 0
    attachments_downloaded: int = 0
    attachments_pending: int = 0
    drive_requests: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    duration_seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.registered or self.restored_rows or self.staff_edits or self.archived
                    or self.rekap_written
                    or self.cells_written or self.headers_added or self.queued or self.sent
                    or self.attachments_downloaded)

    @property
    def exit_code(self) -> int:
        return EXIT_ITEM_ERRORS if (self.problems or self.errors or self.mail_failed) else EXIT_OK

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.exit_code == EXIT_OK,
            "exit_code": self.exit_code,
            "started_at": self.started_at.isoformat(),
            "source": self.source,
            "rows": self.rows,
            "registered": self.registered,
            "restored_rows": self.restored_rows,
            "staff_edits": self.staff_edits,
            "archived": self.archived,
            "cells_written": self.cells_written,
            "cells_skipped": self.cells_skipped,
            "idle": self.idle,
            "headers_added": self.headers_added,
            "mail": {"queued": self.queued, "sent": self.sent, "retry": self.mail_retry,
                     "failed": self.mail_failed, **self.mail_detail},
            "api_requests": self.api_requests,
            "attachments": {"downloaded": self.attachments_downloaded,
                            "pending": self.attachments_pending,
                            "drive_requests": self.drive_requests},
            "problems": self.problems,
            "errors": self.errors,
            "duration_seconds": round(self.duration_seconds, 3),
        }
