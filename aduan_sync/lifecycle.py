"""What staff did to a known complaint's row, and what follows (SOP steps 3–5), in pure code.

Staff work in the sheet: they fill in missing reporter data (the complaint is classified again
and, once complete, goes to the PPID), they type the answer in `Tanggapan` (the worker delivers
it), and they close complaints (`Selesai`, `Ditolak`, `Duplikat`). The worker only ever moves
a status forward, and never out of a status staff closed.
"""

from __future__ import annotations

from dataclasses import dataclass

from aduan_sync.answers import Answers
from aduan_sync.decide import RowView, answers_sha256
from aduan_sync.model import STAFF_FINAL_STATUSES, STATUS_RANK, Status
from aduan_sync.records import Complaint


@dataclass(frozen=True)
class Review:
    """Changes found on one known complaint's row."""

    complaint: Complaint
    view: RowView
    answers: Answers | None = None  # the citizen's answers were edited in the sheet
    answer: str | None = None  # `Tanggapan` holds a text the ledger has not recorded


def review(view: RowView, c: Complaint) -> Review | None:
    """Compare a row with its ledger complaint; None when nothing relevant changed."""
    edited = answers_sha256(view.answers) != c.answers_sha256 and not view.answers.is_empty
    typed = view.worker.get("answer", "").strip()
    new_answer = typed if typed and typed != c.answer.strip() else None
    if not edited and new_answer is None:
        return None
    return Review(c, view, view.answers if edited else None, new_answer)


def can_move(current: str, target: Status) -> bool:
    """The worker moves a status only forward, and never out of a status staff closed."""
    try:
        cur = Status(current)
    except ValueError:
        return False
    if cur in STAFF_FINAL_STATUSES:
        return False
    return STATUS_RANK[target] > STATUS_RANK[cur]


def add_note(note: str, part: str) -> str:
    """Append `part` to a `Catatan` text unless it is already there."""
    part = part.strip()
    if not part or part in note:
        return note
    return f"{note} {part}".strip() if note else part
