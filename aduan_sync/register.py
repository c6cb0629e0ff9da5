"""Register numbers: `{seq:03d}/ADUAN/{month_roman}/{year}` by default.

The sequence restarts every calendar year in the office's time zone; the ledger hands out
`seq` (never reused, gap-free), this module only formats it.
"""

from __future__ import annotations

import re
from datetime import datetime

ROMAN_MONTHS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def month_roman(month: int) -> str:
    """1 -> "I", 11 -> "XI"."""
    if not 1 <= month <= 12:
        raise ValueError(f"month out of range: {month}")
    return ROMAN_MONTHS[month - 1]


def format_register(fmt: str, seq: int, when: datetime) -> str:
    """Format the register number of the `seq`-th complaint of `when.year` (office-local time)."""
    return fmt.format(
        seq=seq,
        month_roman=month_roman(when.month),
        month=when.month,
        year=when.year,
        yy=f"{when.year % 100:02d}",
    )


def filename_safe(register_no: str) -> str:
    """`007/ADUAN/XI/2026` -> `007-ADUAN-XI-2026`: usable as one path component anywhere."""
    safe = _UNSAFE.sub("-", register_no).strip("-.")
    return safe or "tanpa-nomor"
