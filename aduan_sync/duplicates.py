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


@dataclass(frozen=True, slots=True)
class Probe:
    """A new complaint as `DuplicateFinder` compares and keeps it: made once per complaint
    (normalising its text and contact is most of the cost of a check)."""

    key: str  # `contact_key`; "" when the reporter left no contact (never a duplicate)
    text: str  # normalised (see `normalized`); "" without a key
    submitted_at: datetime


class DuplicateFinder:
    """Index of earlier complaints by contact; `check` returns the register number duplicated."""

    def __init__(self, window_days: int, threshold: float) -> None:
        self.window = timedelta(days=window_days)
        self.threshold = threshold
        self.by_contact: dict[str, list[Seen]] = defaultdict(list)

    @staticmethod
    def probe(answers: Mapping[str, str], submitted_at: datetime) -> Probe:
        """The complaint of `answers` ready for `check`, then for `record` once numbered."""
        key = contact_key(answers)
        return Probe(key, normalized(answers.get("text", "")) if key else "", submitted_at)

    def add_all(self, items: Iterable[tuple[str, Mapping[str, str], datetime]]) -> None:
        """Keep earlier complaints: (register number, answers, submitted at)."""
        for reg, answers, at in items:
            self.record(reg, self.probe(answers, at))

    def record(self, register_no: str, p: Probe) -> None:
        """Keep a complaint, once numbered, for the checks of the ones after it."""
        if p.key:
            self.by_contact[p.key].append(Seen(register_no, p.text, p.submitted_at))

    def check(self, p: Probe) -> str | None:
        """The register number of an earlier complaint `p` may duplicate, else None."""
        if not p.key or self.window.total_seconds() <= 0:
            return None
        for seen in reversed(self.by_contact.get(p.key, [])):
            if abs(p.submitted_at - seen.submitted_at) > self.window:
                continue
            if similar(p.text, seen.text, self.threshold):
                return seen.register_no
        return None
