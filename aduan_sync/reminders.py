"""The SOP's clock: overdue reminders, escalation to the Camat, and the daily digest.

Pure selection here; the pass queues the messages. Each reminder has a deterministic
Message-ID per (complaint, working day overdue), the escalation one per complaint and the digest
one per date, so a restart or a re-run never repeats one (the outbox refuses a known ID).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from aduan_sync.calendar import WorkingCalendar
from aduan_sync.config import RemindersConfig
from aduan_sync.model import OPEN_STATUSES, STAFF_FINAL_STATUSES, Status
from aduan_sync.records import Complaint

#: Statuses in which a complaint waits for the office.
WAITING = OPEN_STATUSES


@dataclass(frozen=True)
class Overdue:
    complaint: Complaint
    days_overdue: int  # working days past the deadline (0 on the day it passed)
    escalate: bool


def overdue(complaints: Sequence[Complaint], cal: WorkingCalendar, now: datetime,
            rc: RemindersConfig) -> list[Overdue]:
    """Complaints forwarded to the PPID, not yet answered, whose deadline has passed."""
    out = []
    for c in complaints:
        if c.status != Status.DITERUSKAN or c.deadline is None or now < c.deadline:
            continue
        k = cal.working_days_overdue(c.deadline, now)
        out.append(Overdue(c, k, k >= rc.escalate_after_working_days))
    return out


def digest_due(cal: WorkingCalendar, now: datetime, rc: RemindersConfig) -> bool:
    """True from `digest_time` on a working day (the ID keeps it to one per date)."""
    local = now.astimezone(cal.tz)
    return cal.is_working_day(local.date()) and local.time() >= rc.digest_time


@dataclass(frozen=True)
class DigestLists:
    new: list[Complaint]
    waiting: list[Complaint]
    overdue: list[Complaint]
    to_post: list[Complaint]


def digest_lists(complaints: Sequence[Complaint], now: datetime) -> DigestLists:
    """New (last 24 hours), waiting, overdue, and answers waiting to be posted by the admin."""
    since = now - timedelta(days=1)
    new = [c for c in complaints if c.registered_at >= since]
    late = [c for c in complaints
            if c.status in WAITING and c.deadline is not None and c.deadline < now]
    late_ids = {c.id for c in late}
    waiting = [c for c in complaints if c.status in WAITING and c.id not in late_ids]
    to_post = [c for c in complaints
               if c.answer_route == "social" and c.status not in STAFF_FINAL_STATUSES]
    return DigestLists(new, waiting, late, to_post)
