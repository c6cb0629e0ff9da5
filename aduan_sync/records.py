"""What the ledger holds, as plain data: complaints, outbox messages, attachments.

The core (`decide`, `lifecycle`, `reminders`, `rekap`, the reports) works on these records
without knowing they come from SQLite; `ledger.py` reads and writes them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(slots=True)
class Complaint:
    """One registered complaint as the ledger knows it."""

    id: int
    register_no: str
    year: int
    seq: int
    fingerprint: str
    answers: dict[str, str]
    extra: list[tuple[str, str]]
    answers_sha256: str
    submitted_at: datetime
    registered_at: datetime
    category: str
    category_source: str
    unit: str
    completeness: str
    missing: list[str]
    status: str
    deadline: datetime | None
    note: str
    answer: str
    answer_date: datetime | None
    archived_sha256: str | None
    origin: dict[str, Any] = field(default_factory=dict)  # where the row came from
    written: dict[str, str] = field(default_factory=dict)  # sheet cells last written by us
    final_deadline: datetime | None = None  # overall cap by kind of complaint ([sla] caps)
    completed_at: datetime | None = None  # when the reporter's data became complete
    answer_route: str = ""  # "email" (sent to the reporter) | "social" (admin posts it)
    answer_sent_at: datetime | None = None  # when the answer was queued or marked for posting
    closed_at: datetime | None = None  # when staff set Selesai/Ditolak/Duplikat
    duplicate_of: str = ""  # register number this one probably duplicates

    def without_answers(self) -> Complaint:
        """A copy without the citizen's answers, where the row came from and their checksum,
        for the steps of a pass that never read them (write-back, `Rekap`, the next moment
        time matters): a first import of 50,000 rows lets go of ~90 MB this way. The empty
        values are shared by every such copy: never change them."""
        return dataclasses.replace(self, answers=_NOTHING, extra=_NO_EXTRA, origin=_NOTHING,
                                   answers_sha256="")


#: The shared empty values of `Complaint.without_answers` copies.
_NOTHING: dict[str, Any] = {}
_NO_EXTRA: list[tuple[str, str]] = []


@dataclass(frozen=True)
class NewComplaint:
    """A complaint to register: everything but its number."""

    fingerprint: str
    answers: dict[str, str]
    extra: list[tuple[str, str]]
    answers_sha256: str
    submitted_at: datetime
    category: str
    category_source: str
    unit: str
    completeness: str
    missing: list[str]
    status: str
    deadline: datetime | None
    note: str
    origin: dict[str, Any] = field(default_factory=dict)
    final_deadline: datetime | None = None
    duplicate_of: str = ""


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    message_id: str
    register_no: str
    kind: str
    recipients: list[str]
    subject: str
    eml: bytes
    status: str
    attempts: int
    last_error: str
    next_attempt_at: datetime
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class QueuedMessage:
    """A rendered message ready to be queued in the outbox."""

    message_id: str
    kind: str
    recipients: list[str]
    subject: str
    eml: bytes


@dataclass(frozen=True)
class Attachment:
    """A file uploaded through the form (a Drive link in an answer) and how far its download
    into the complaint's archive folder got (see attachments.py)."""

    id: int
    complaint_id: int
    position: int  # 1-based, in the order the links appear in the answers
    file_id: str
    link: str  # canonical https://drive.google.com/open?id=<file_id>
    name: str  # the name on Drive ("" until the metadata was read)
    local_name: str  # the safe name in the archive folder's lampiran/ ("" until chosen)
    size: int | None
    mime_type: str
    sha256: str  # of the downloaded bytes ("" until downloaded)
    status: str  # "pending" | "done" | "too_large" | "failed"
    attempts: int  # failed download attempts so far
    last_error: str
    note: str  # what was added to the complaint's Catatan about this file ("": nothing)
