"""Recognise an idle pass cheaply: nothing in the sheet changed, and no clock event is due.

A full pass over a large register costs per-row work (parsing, fingerprints, deadlines). Most
passes of a cron job or the daemon find nothing to do, so after a full pass that wrote nothing
to the sheet, the worker remembers the digest of the values it read and the earliest moment at
which time alone could change something:

- a deadline of an open complaint passing (reminders, the `Rekap` overdue list),
- the next working-day boundary of an overdue complaint (one reminder per working day),
- the office opening (reminders are sent within office hours),
- the digest time, and midnight (the digest, the month in `Rekap`),
- the next retry of a queued message.

A later pass that reads the same digest before that moment, with no message due, no archive
folder or attachment waiting, is idle: it returns at once, and writes nothing.

Better still, it need not read at all: the state also keeps the sheet's version as the source
reported it just *before* the clean pass read the values (Google: Drive's file version, one
small request instead of downloading the sheet). A pass that finds that same version, under
the same config and before the same moment, is idle without reading. The version is taken
before the read, so an edit made during the pass — or the pass's own write-back — makes the
next pass read in full; that pass, finding the values' digest unchanged, is still idle and
only then notes the new version (the one write an idle pass ever makes), so the passes after
it cost one request each.

A pass that must read (the version moved: a staff member formatted a cell) need not decode
what it read either: the state keeps the hash of the last clean read's answer as received
(`SheetSnapshot.answer`), and an answer that comes back byte for byte the same has the digest
noted with it. Only a different answer is decoded and hashed value by value.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aduan_sync.calendar import WorkingCalendar
from aduan_sync.config import RemindersConfig
from aduan_sync.ledger import Ledger
from aduan_sync.model import Status
from aduan_sync.records import Complaint
from aduan_sync.reminders import WAITING

STATE_KEY = "idle"


@dataclass(frozen=True)
class IdleState:
    digest: str  # the values' digest, bound to the config
    until: datetime  # the earliest moment time alone could change something
    rows: int
    problems: list[dict[str, Any]]
    version: str = ""  # the sheet's version before the read, bound to the config; "": unknown
    #: The read's answer as received (`SheetSnapshot.answer`) whose values have `digest`,
    #: bound to the config; "": unknown, the values must be decoded to compare digests.
    answer: str = ""


def load(ledger: Ledger) -> IdleState | None:
    raw = ledger.state(STATE_KEY)
    if not raw:
        return None
    data = json.loads(raw)
    return IdleState(data["digest"], datetime.fromisoformat(data["until"]), data["rows"],
                     data["problems"], data.get("version", ""), data.get("answer", ""))


def save(ledger: Ledger, state: IdleState) -> None:
    value = json.dumps({"digest": state.digest, "until": state.until.isoformat(),
                        "rows": state.rows, "problems": state.problems,
                        "version": state.version, "answer": state.answer},
                       ensure_ascii=False)
    if ledger.state(STATE_KEY) != value:
        ledger.set_state(STATE_KEY, value)


def forget(ledger: Ledger) -> None:
    if ledger.state(STATE_KEY):
        ledger.set_state(STATE_KEY, "")


def is_idle(state: IdleState | None, ledger: Ledger, now: datetime, *, digest: str = "",
            version: str = "") -> bool:
    """True when a pass at `now` would change nothing: the sheet is known to be as the last
    clean pass left it, by its `version` (before reading) or its values' `digest` (after)."""
    if state is None or now >= state.until:
        return False
    if not ((digest and digest == state.digest) or (version and version == state.version)):
        return False
    if ledger.pending_messages(now, bodies=False) or ledger.has_unarchived():
        return False  # left by a pass that died: the full pass finishes its work
    return not ledger.attachments(statuses=("pending",))


def next_event(complaints: Iterable[Complaint], cal: WorkingCalendar, rc: RemindersConfig,
               now: datetime, retries: Iterable[datetime]) -> datetime:
    """The earliest moment after `now` at which time alone could change what a pass does."""
    local = now.astimezone(cal.tz)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(),
                                tzinfo=cal.tz)
    digest_at = datetime.combine(local.date(), rc.digest_time, tzinfo=cal.tz)
    # Closing changes nothing (reminders just wait); opening lets reminders out again.
    events = [midnight] if cal.is_open(local) else [midnight, cal.next_opening(local)]
    if digest_at > local:
        events.append(digest_at)
    events += [t for t in retries if t > now]
    for c in complaints:
        if c.deadline is None or c.status not in WAITING:
            continue
        if c.deadline > now:
            events.append(c.deadline)
        elif c.status == Status.DITERUSKAN:
            k = cal.working_days_overdue(c.deadline, now)
            events.append(cal.add_working_days(c.deadline, k + 1))
    return min(events)
