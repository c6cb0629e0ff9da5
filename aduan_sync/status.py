"""`aduan-sync status`: the register as the ledger knows it."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from aduan_sync.config import Config
from aduan_sync.ledger import Ledger
from aduan_sync.model import SHEET_DATETIME_FORMAT, Status

OPEN_STATUSES = {Status.TERDAFTAR, Status.PERLU_KLARIFIKASI, Status.DITERUSKAN}


def status_report(cfg: Config, now: datetime | None = None) -> dict[str, Any]:
    """Counts by status, overdue complaints, outbox backlog, the last pass."""
    now = now or datetime.now(cfg.office.tz)
    if not cfg.storage.ledger_path.exists():
        return {"complaints": 0, "by_status": {}, "overdue": [], "outbox": {},
                "failed_messages": [], "last_pass": None, "register": []}
    with Ledger(cfg.storage.ledger_path) as ledger:
        complaints = ledger.complaints()
        outbox = ledger.outbox_counts()
        failed = [{"register_no": m.register_no, "kind": m.kind, "error": m.last_error}
                  for m in ledger.messages("failed")]
        last = ledger.last_pass()
    tz = cfg.office.tz

    def fmt(dt: datetime | None) -> str:
        return dt.astimezone(tz).strftime(SHEET_DATETIME_FORMAT) if dt else ""

    overdue = [
        {"register_no": c.register_no, "deadline": fmt(c.deadline), "status": c.status,
         "unit": c.unit}
        for c in complaints
        if c.deadline and c.deadline < now and c.status in OPEN_STATUSES
    ]
    return {
        "complaints": len(complaints),
        "by_status": dict(Counter(c.status for c in complaints)),
        "overdue": overdue,
        "outbox": outbox,
        "failed_messages": failed,
        "last_pass": None if last is None else {
            "started_at": last["started_at"], "finished_at": last["finished_at"],
            "result": last["result"],
        },
        "register": [
            {"register_no": c.register_no, "submitted_at": fmt(c.submitted_at),
             "category": c.category, "unit": c.unit, "status": c.status,
             "deadline": fmt(c.deadline)}
            for c in complaints
        ],
    }
