"""`aduan-sync status`: the register as the ledger knows it."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from aduan_sync.config import Config
from aduan_sync.ledger import Ledger
from aduan_sync.model import OPEN_STATUSES, SHEET_DATETIME_FORMAT, format_sheet_datetime


def status_report(cfg: Config, now: datetime | None = None) -> dict[str, Any]:
    """Counts by status, overdue complaints (oldest deadline first, with working days late),
    the outbox backlog, and the last pass the ledger logged (idle passes leave no trace)."""
    now = now or datetime.now(cfg.office.tz)
    if not cfg.storage.ledger_path.exists():
        return {"complaints": 0, "by_status": {}, "overdue": [], "outbox": {},
                "backlog": {"pending": 0, "retrying": 0, "oldest": "", "last_error": ""},
                "failed_messages": [], "last_pass": None, "register": []}
    with Ledger(cfg.storage.ledger_path) as ledger:
        complaints = ledger.complaints()
        outbox = ledger.outbox_counts()
        failed = [{"register_no": m.register_no, "kind": m.kind, "error": m.last_error}
                  for m in ledger.messages("failed")]
        pending = ledger.messages("queued") + ledger.messages("sending")
        last = ledger.last_pass()
    tz = cfg.office.tz

    def fmt(dt: datetime | None) -> str:
        return format_sheet_datetime(dt, tz)

    cal = cfg.calendar.working_calendar(tz)
    late = sorted((c for c in complaints
                   if c.deadline and c.deadline < now and c.status in OPEN_STATUSES),
                  key=lambda c: (c.deadline, c.register_no))
    overdue = [
        {"register_no": c.register_no, "deadline": fmt(c.deadline), "status": c.status,
         "unit": c.unit, "days_overdue": cal.working_days_overdue(c.deadline, now)}
        for c in late if c.deadline
    ]
    retrying = [m for m in pending if m.attempts > 0]
    backlog = {
        "pending": len(pending),
        "retrying": len(retrying),
        "oldest": fmt(min((m.created_at for m in pending), default=None)),
        "last_error": max(retrying, key=lambda m: m.id).last_error if retrying else "",
    }
    return {
        "complaints": len(complaints),
        "by_status": dict(Counter(c.status for c in complaints)),
        "overdue": overdue,
        "outbox": outbox,
        "backlog": backlog,
        "failed_messages": failed,
        "last_pass": None if last is None else {
            "started_at": last["started_at"], "finished_at": last["finished_at"],
            "result": last["result"], "summary": _pass_summary(last.get("summary") or {}),
        },
        "register": [
            {"register_no": c.register_no, "submitted_at": fmt(c.submitted_at),
             "category": c.category, "unit": c.unit, "status": c.status,
             "deadline": fmt(c.deadline)}
            for c in complaints
        ],
    }


def _pass_summary(summary: dict[str, Any]) -> dict[str, Any]:
    """The counts of a logged pass that an operator asks about first."""
    mail = summary.get("mail") or {}
    return {
        "registered": len(summary.get("registered") or []),
        "cells_written": summary.get("cells_written", 0),
        "mail_sent": mail.get("sent", 0),
        "mail_failed": mail.get("failed", 0),
        "problems": len(summary.get("problems") or []),
        "errors": list(summary.get("errors") or []),
    }


def format_pass_time(iso: str | None, cfg: Config) -> str:
    """A pass time from the ledger (ISO 8601) as the office reads it, in its time zone."""
    if not iso:
        return ""
    try:
        return datetime.fromisoformat(iso).astimezone(cfg.office.tz).strftime(
            SHEET_DATETIME_FORMAT)
    except ValueError:
        return iso
