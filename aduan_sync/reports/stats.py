"""The numbers of the "Laporan Penanganan Pengaduan Masyarakat", computed from the ledger.

Pure: complaints, a period, the working calendar and "now" in; a `ReportData` out.

Definitions (the report prints them as footnotes, so the Camat reads the same thing):

* A complaint belongs to the period of its form timestamp in the office's zone (the same rule
  that puts it in a year's register).
* *Answered*: the ledger has an answer date (the worker delivered the staff's answer).
* *Time to answer*: office hours (working calendar) from the form's timestamp to the answer
  date. Median and 90th percentile use linear interpolation between ranks (Excel's
  PERCENTILE.INC, numpy's default).
* *Answered within the deadline*: answered at or before the `Batas Waktu`. The share counts
  complaints whose outcome is known: answered ones, and open ones whose deadline has passed.
  Complaints marked `Ditolak` or `Duplikat` are left out of the share and of the times.
* *Overdue*: still open (Terdaftar, Perlu Klarifikasi, Diteruskan ke PPID) past the deadline at
  the time the report is made.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from aduan_sync.calendar import WorkingCalendar
from aduan_sync.mail.render import MONTHS
from aduan_sync.model import CHANNELS, DEFAULT_CATEGORIES, Status
from aduan_sync.records import Complaint
from aduan_sync.status import OPEN_STATUSES

#: Statuses staff give to complaints that are not handled on their merits.
EXCLUDED_FROM_SLA = frozenset({Status.DITOLAK, Status.DUPLIKAT})
#: Label of an empty value in the counts.
EMPTY_LABEL = "(tidak diisi)"

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Period:
    """A calendar month (`month` 1-12) or a whole year (`month` None), in the office's zone."""

    year: int
    month: int | None = None

    @classmethod
    def parse_month(cls, text: str) -> Period:
        """"2026-11" -> Period(2026, 11); `ValueError` (Indonesian message) otherwise."""
        m = _MONTH.match(text.strip())
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise ValueError(
                f"Bulan harus ditulis TTTT-BB, misalnya 2026-11 (bukan {text!r})."
            )
        return cls(int(m.group(1)), int(m.group(2)))

    @property
    def label(self) -> str:
        """"Bulan November 2026" or "Tahun 2026"."""
        if self.month is None:
            return f"Tahun {self.year}"
        return f"Bulan {MONTHS[self.month - 1]} {self.year}"

    @property
    def slug(self) -> str:
        """"2026-11" or "2026", for file names."""
        return f"{self.year}" if self.month is None else f"{self.year}-{self.month:02d}"

    def contains(self, when: datetime) -> bool:
        """True if `when` (already in the office's zone) falls in the period."""
        return when.year == self.year and (self.month is None or when.month == self.month)


@dataclass(frozen=True)
class OverdueItem:
    """An open complaint past its deadline when the report was made."""

    register_no: str
    submitted_at: datetime
    deadline: datetime
    status: str
    category: str
    unit: str
    working_days_late: int


@dataclass(frozen=True)
class ReportData:
    """Everything the report prints, every number computed from the ledger."""

    period: Period
    generated_at: datetime
    total: int
    by_category: list[tuple[str, int]]
    by_channel: list[tuple[str, int]]
    by_desa: list[tuple[str, int]]
    by_status: list[tuple[str, int]]
    by_month: list[tuple[str, int]]  # the twelve months of a yearly report; [] for a month
    answered: int
    sla_eligible: int
    sla_on_time: int
    hours_to_answer: list[float]  # sorted, one per answered complaint counted in the times
    overdue: list[OverdueItem]

    @property
    def sla_share(self) -> float | None:
        """Share (0-1) answered within the deadline, None when no outcome is known yet."""
        return self.sla_on_time / self.sla_eligible if self.sla_eligible else None

    @property
    def median_hours(self) -> float | None:
        return percentile(self.hours_to_answer, 0.5)

    @property
    def p90_hours(self) -> float | None:
        return percentile(self.hours_to_answer, 0.9)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The `q` quantile (0-1) of `values` by linear interpolation between ranks; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def count_by(values: Iterable[str], order: Sequence[str] = ()) -> list[tuple[str, int]]:
    """Counts of `values`: the labels of `order` first (zeros included), then the others by
    count (largest first) and name. Empty values count as `EMPTY_LABEL`."""
    counts = Counter((v or "").strip() or EMPTY_LABEL for v in values)
    out = [(label, counts.pop(label, 0)) for label in order]
    out += sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return out


def _by_month(complaints: Sequence[Complaint], cal: WorkingCalendar) -> list[tuple[str, int]]:
    counts = Counter(c.submitted_at.astimezone(cal.tz).month for c in complaints)
    return [(MONTHS[m - 1], counts.get(m, 0)) for m in range(1, 13)]


def _overdue(complaints: Sequence[Complaint], cal: WorkingCalendar,
             now: datetime) -> list[OverdueItem]:
    return [
        OverdueItem(
            register_no=c.register_no,
            submitted_at=c.submitted_at.astimezone(cal.tz),
            deadline=c.deadline.astimezone(cal.tz),
            status=c.status,
            category=c.category,
            unit=c.unit,
            working_days_late=cal.working_days_overdue(c.deadline, now),
        )
        for c in complaints
        if c.deadline is not None and c.deadline < now and c.status in OPEN_STATUSES
        and c.answer_date is None
    ]


def compute_report(complaints: Iterable[Complaint], period: Period, cal: WorkingCalendar,
                   now: datetime, categories: Sequence[str] = DEFAULT_CATEGORIES) -> ReportData:
    """The report's numbers for `period` (see the module docstring for each definition)."""
    chosen = sorted(
        (c for c in complaints if period.contains(c.submitted_at.astimezone(cal.tz))),
        key=lambda c: (c.year, c.seq),
    )
    handled = [c for c in chosen if c.status not in EXCLUDED_FROM_SLA]
    answered = [c for c in handled if c.answer_date is not None]
    hours = sorted(
        cal.working_time_between(c.submitted_at, c.answer_date).total_seconds() / 3600
        for c in answered
        if c.answer_date is not None
    )
    with_deadline = [c for c in handled if c.deadline is not None]
    on_time = [c for c in with_deadline
               if c.answer_date is not None and c.deadline is not None
               and c.answer_date <= c.deadline]
    known = [c for c in with_deadline
             if c.answer_date is not None
             or (c.deadline is not None and c.deadline < now and c.status in OPEN_STATUSES)]
    return ReportData(
        period=period,
        generated_at=now.astimezone(cal.tz),
        total=len(chosen),
        by_category=count_by((c.category for c in chosen), categories),
        by_channel=count_by((c.answers.get("channel", "") for c in chosen), CHANNELS),
        by_desa=count_by(c.answers.get("desa", "") for c in chosen),
        by_status=count_by((c.status for c in chosen), [s.value for s in Status]),
        by_month=_by_month(chosen, cal) if period.month is None else [],
        answered=len(answered),
        sla_eligible=len(known),
        sla_on_time=len(on_time),
        hours_to_answer=hours,
        overdue=_overdue(chosen, cal, now),
    )
