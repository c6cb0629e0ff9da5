"""SOP deadlines of a complaint, counted on the office's working calendar.

Every deadline counts from the form's timestamp (when the citizen submitted), never from when
the worker first saw the row, so a worker that was down does not give staff extra time.

* SOP step times (Lampiran VI, SOP No. 000.8.3.3/6): register 5 minutes, classify 10 minutes,
  coordination with the PPID 1 working day, answer 10 minutes. Minutes are office minutes.
* An optional overall cap by kind of complaint, in working days: simple 2, normal 5, needing
  investigation 60 (Permen PANRB 24/2014), and information requests 10, extendable once by 7
  (UU 14/2008 art. 22). A kind without a cap has no final deadline.

Pure: no sheet, ledger or clock. "Now" is always an argument.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from enum import StrEnum
from types import MappingProxyType

from aduan_sync import defaults
from aduan_sync.calendar import WorkingCalendar
from aduan_sync.model import SHEET_DATETIME_FORMAT


class ComplaintKind(StrEnum):
    """Kind of complaint for the overall cap; the values are the `[sla] caps` config keys."""

    SIMPLE = "simple"
    NORMAL = "normal"
    INVESTIGATION = "investigation"
    INFORMATION_REQUEST = "information_request"


#: Default caps in working days (Permen PANRB 24/2014; UU 14/2008 art. 22 ayat 7).
DEFAULT_CAPS: Mapping[ComplaintKind, int] = MappingProxyType({
    ComplaintKind.SIMPLE: 2,
    ComplaintKind.NORMAL: 5,
    ComplaintKind.INVESTIGATION: 60,
    ComplaintKind.INFORMATION_REQUEST: 10,
})
#: UU 14/2008 art. 22 ayat 8: an information request may be extended by 7 working days.
INFORMATION_EXTENSION_DAYS = 7
#: SOP step times in office minutes (steps 2, 3 and 5).
REGISTER_MINUTES = 5
CLASSIFY_MINUTES = 10
ANSWER_MINUTES = 10


@dataclass(frozen=True)
class SlaConfig:
    """Step times and caps of the SOP (config table `[sla]`)."""

    register_minutes: int = REGISTER_MINUTES
    classify_minutes: int = CLASSIFY_MINUTES
    ppid_working_days: int = defaults.PPID_WORKING_DAYS
    answer_minutes: int = ANSWER_MINUTES
    #: Kind -> working days; a kind left out has no cap. Read-only, shared safely.
    caps: Mapping[ComplaintKind, int] = field(default_factory=lambda: DEFAULT_CAPS)
    information_extension_days: int = INFORMATION_EXTENSION_DAYS


@dataclass(frozen=True)
class StepDeadlines:
    """When each SOP step is due for one complaint (all in the office's zone)."""

    register: datetime  # step 2: register number and archive
    classify: datetime  # step 3: classification
    ppid: datetime  # step 4: coordination with the PPID (the sheet's `Batas Waktu`)
    answer: datetime  # step 5: the answer reaches the reporter


def ppid_deadline(cal: WorkingCalendar, submitted_at: datetime, sla: SlaConfig) -> datetime:
    """Deadline of SOP step 4 (coordination with the PPID): the sheet's `Batas Waktu`."""
    return cal.add_working_days(submitted_at, sla.ppid_working_days)


def step_deadlines(cal: WorkingCalendar, submitted_at: datetime, sla: SlaConfig) -> StepDeadlines:
    """Due times of all SOP steps, for reports that show which step ran late.

    The minute steps follow each other (register, then classify); the PPID's working day counts
    from submission like `ppid_deadline`; the answer is due `answer_minutes` of office time
    after the PPID deadline.
    """
    register = cal.add_working_minutes(submitted_at, sla.register_minutes)
    classify = cal.add_working_minutes(register, sla.classify_minutes)
    ppid = ppid_deadline(cal, submitted_at, sla)
    answer = cal.add_working_minutes(ppid, sla.answer_minutes)
    return StepDeadlines(register=register, classify=classify, ppid=ppid, answer=answer)


def final_deadline(
    cal: WorkingCalendar,
    submitted_at: datetime,
    kind: ComplaintKind | str,
    sla: SlaConfig,
    extended: bool = False,
) -> datetime | None:
    """Overall cap for a complaint of `kind`, or None if that kind has no cap.

    `extended` adds the information-request extension; the cap and the extension are counted
    as one span from submission (10 + 7 = the 17th working day), so the clock time is not
    clamped twice. Raises `ValueError` for an unknown kind, or an extension of another kind.
    """
    kind = ComplaintKind(kind)
    days = sla.caps.get(kind)
    if extended:
        if kind is not ComplaintKind.INFORMATION_REQUEST:
            raise ValueError(f"only information requests can be extended, not {kind.value!r}")
        if days is not None:
            days += sla.information_extension_days
    if days is None:
        return None
    return cal.add_working_days(submitted_at, days)


def format_deadline(dt: datetime, tz: tzinfo) -> str:
    """`dd/mm/yyyy HH:MM` in the office's zone, as the sheet's `Batas Waktu` shows it."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"naive datetime {dt.isoformat()}: give a timezone-aware datetime")
    return dt.astimezone(tz).strftime(SHEET_DATETIME_FORMAT)
