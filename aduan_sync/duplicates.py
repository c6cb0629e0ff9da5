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

from aduan_sync.classify import normalize_phone, tokens


def contact_key(answers: Mapping[str, str]) -> str:
    """The reporter's contact as one comparable key: phone in 08… form, else the email."""
    phone = normalize_phone(answers.get("phone", "") or "")
    if phone:
        return "tel:" + phone
    email = (answers.get("email", "") or "").strip().casefold()
    return "mail:" + email if email else ""


def text_similarity(a: str, b: str) -> float:
    """0..1 similarity of two complaint texts, on normalised words."""
    ta, tb = " ".join(tokens(a)), " ".join(tokens(b))
    if not ta or not tb:
        return 0.0
    return SequenceMatcher(None, ta, tb, autojunk=False).ratio()


@dataclass(frozen=True)
class Seen:
    register_no: str
    text: str
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
            self.by_contact[key].append(Seen(register_no, answers.get("text", ""), submitted_at))

    def add_all(self, items: Iterable[tuple[str, Mapping[str, str], datetime]]) -> None:
        for reg, answers, at in items:
            self.add(reg, answers, at)

    def check(self, answers: Mapping[str, str], submitted_at: datetime) -> str | None:
        key = contact_key(answers)
        if not key or self.window.total_seconds() <= 0:
            return None
        text = answers.get("text", "")
        for seen in reversed(self.by_contact.get(key, [])):
            if abs(submitted_at - seen.submitted_at) > self.window:
                continue
            if text_similarity(text, seen.text) >= self.threshold:
                return seen.register_no
        return None
