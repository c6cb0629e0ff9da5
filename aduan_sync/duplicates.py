"""Possible duplicates: the same reporter contact with nearly the same text within a window.

A duplicate is only flagged (`Catatan: Kemungkinan duplikat dari <nomor>`), never dropped:
staff decide, and may set the status `Duplikat`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from difflib import SequenceMatcher

from aduan_sync.completeness import normalize_phone
from aduan_sync.text import tokens


def contact_key(answers: Mapping[str, str]) -> str:
    """The reporter's contact as one comparable key: phone in 08… form, else the email."""
    phone = normalize_phone(answers.get("phone", "") or "")
    if phone:
        return "tel:" + phone
    email = (answers.get("email", "") or "").strip().casefold()
    return "mail:" + email if email else ""


#: Characters of normalised text compared. A duplicate shows in its opening words, and
#: SequenceMatcher is quadratic: a 40,000-character complaint must not stall a pass.
COMPARED_CHARS = 1000


def normalized(text: str) -> str:
    return " ".join(tokens(text[: COMPARED_CHARS * 4]))[:COMPARED_CHARS]


def similar(a: str, b: str, threshold: float) -> bool:
    """Two normalised texts at least `threshold` alike; the cheap upper bounds go first."""
    if not a or not b:
        return False
    m = SequenceMatcher(None, a, b, autojunk=False)
    return (m.real_quick_ratio() >= threshold and m.quick_ratio() >= threshold
            and m.ratio() >= threshold)


@dataclass(frozen=True, slots=True)
class Seen:
    register_no: str
    text: str  # normalised (see `normalized`)
    submitted_at: datetime


class DuplicateFinder:
    """Index of earlier complaints by contact; `check` returns the register number duplicated."""

    def __init__(self, window_days: int, threshold: float) -> None:
        self.window = timedelta(days=window_days)
        self.threshold = threshold
        self.by_contact: dict[str, list[Seen]] = defaultdict(list)

    def add(self, register_no: str, answers: Mapping[str, str], submitted_at: datetime) -> None:
        key = contact_key(answers)
        if key:
            text = normalized(answers.get("text", ""))
            self.by_contact[key].append(Seen(register_no, text, submitted_at))

    def add_all(self, items: Iterable[tuple[str, Mapping[str, str], datetime]]) -> None:
        for reg, answers, at in items:
            self.add(reg, answers, at)

    def check(self, answers: Mapping[str, str], submitted_at: datetime) -> str | None:
        key = contact_key(answers)
        if not key or self.window.total_seconds() <= 0:
            return None
        text = normalized(answers.get("text", ""))
        for seen in reversed(self.by_contact.get(key, [])):
            if abs(submitted_at - seen.submitted_at) > self.window:
                continue
            if similar(text, seen.text, self.threshold):
                return seen.register_no
        return None
