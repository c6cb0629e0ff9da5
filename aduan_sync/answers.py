"""Turn a sheet row into the citizen's answers, as the office means them.

Google Forms writes answers as if typed, so a phone number `0812…` arrives as the number
`812…` and a NIK as a 16-digit number; timestamps arrive as datetimes (xlsx, or Google serials
converted by the source) or, when someone pasted text, as `dd/mm/yyyy HH:MM:SS` in the
Indonesian locale. This module restores what the office means; it never guesses a month/day
order from a locale other than Indonesian.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from aduan_sync.headers import HeaderMap
from aduan_sync.identity import cell_text
from aduan_sync.sources.base import CellValue

_DMY = re.compile(
    r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T,]+(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?)?\s*$"
)
_ISO = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?")
_DIGITS = re.compile(r"\D+")


@dataclass(frozen=True, slots=True)
class Answers:
    """One row's answers: form fields by key (text), other form columns, and the timestamp."""

    fields: dict[str, str]
    extra: list[tuple[str, str]] = field(default_factory=list)  # (header, text) of other columns
    submitted_at: datetime | None = None  # aware, office time zone
    timestamp_problem: str = ""  # Indonesian; empty when the timestamp is fine

    def get(self, key: str) -> str:
        return self.fields.get(key, "")

    @property
    def is_empty(self) -> bool:
        return not any(self.fields.values()) and not any(v for _, v in self.extra)


def parse_timestamp(value: CellValue, sheet_tz: ZoneInfo, office_tz: ZoneInfo) -> datetime | None:
    """A form timestamp as an aware datetime in the office's zone, or None if unreadable."""
    naive: datetime | None = None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value.astimezone(office_tz)
        naive = value
    elif isinstance(value, date):
        naive = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        naive = _parse_text_timestamp(value)
    if naive is None:
        return None
    return naive.replace(tzinfo=sheet_tz).astimezone(office_tz)


def _parse_text_timestamp(text: str) -> datetime | None:
    for pattern, order in ((_DMY, "dmy"), (_ISO, "ymd")):
        m = pattern.match(text)
        if not m:
            continue
        a, b, c, hh, mm, ss = (int(g) if g else 0 for g in m.groups())
        day, month, year = (a, b, c) if order == "dmy" else (c, b, a)
        try:
            return datetime(year, month, day, hh, mm, ss)
        except ValueError:
            return None
    return None


def restore_phone(value: CellValue) -> str:
    """`812345678901` (a number, leading zero lost) -> `0812345678901`; text kept as typed."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        digits = cell_text(value)
        if digits.startswith("62"):
            return "+" + digits
        return "0" + digits if digits.startswith("8") else digits
    return cell_text(value)


def parse_row(
    hmap: HeaderMap,
    row: Sequence[CellValue],
    sheet_tz: ZoneInfo,
    office_tz: ZoneInfo,
) -> Answers:
    """The answers of one data row, keyed by form-field key."""

    def at(i: int) -> CellValue:
        return row[i] if i < len(row) else None

    fields: dict[str, str] = {}
    for key, idx in hmap.fields.items():
        if key == "timestamp":
            continue
        value = at(idx)
        fields[key] = restore_phone(value) if key == "phone" else cell_text(value)
    known = set(hmap.fields.values())
    extra = [
        (hmap.headers[i], cell_text(at(i)))
        for i in hmap.form_columns
        if i not in known and cell_text(at(i))
    ]
    submitted_at = None
    problem = ""
    ts_idx = hmap.fields.get("timestamp")
    if ts_idx is not None:
        raw = at(ts_idx)
        submitted_at = parse_timestamp(raw, sheet_tz, office_tz)
        if submitted_at is None:
            problem = (
                "Cap waktu kosong." if not cell_text(raw)
                else f"Cap waktu tidak dapat dibaca: {cell_text(raw)[:40]!r}."
            )
    fields["timestamp"] = submitted_at.strftime("%d/%m/%Y %H:%M:%S") if submitted_at else ""
    return Answers(fields=fields, extra=extra, submitted_at=submitted_at, timestamp_problem=problem)
