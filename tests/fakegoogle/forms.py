"""Form responses as Google Forms writes them into the sheet (for tests and benchmarks).

Forms types answers in as if by hand: a NIK becomes a 16-digit number, a phone number
`0812...` becomes the number `812...`, the timestamp a date-time in the sheet's time zone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aduan_sync.demo_data import DEMO_HEADERS

#: The headers of an Indonesian-language Google Form response sheet (the demo's own).
FORM_HEADERS: list[str] = list(DEMO_HEADERS)

_DESA = ("Anggrasmanis", "Balong", "Gumeng", "Jenawi", "Lempong", "Menjing", "Seloromo",
         "Sidomukti", "Trengguli")
_TEXTS = (
    "Jalan desa rusak berlubang di dekat balai desa, mohon segera diperbaiki.",
    "Lampu penerangan jalan mati sejak dua minggu.",
    "Pelayanan pembuatan KTP elektronik lambat, mohon informasi jadwalnya.",
    "Saluran air tersumbat dan meluap saat hujan.",
    "Tanah longsor kecil menutup sebagian jalan menuju dusun.",
)


def form_row(i: int, start: datetime = datetime(2026, 1, 5, 8, 0, 0)) -> list[Any]:
    """The i-th response, values as stored by Forms (numbers as numbers)."""
    return [
        start + timedelta(minutes=7 * i, seconds=i % 60),
        f"warga{i}@example.com",
        f"Warga Jenawi {i}",
        float(3313_0000_0000_0000 + i),  # a NIK: 16 digits, starts with the regency code
        float(812_0000_0000 + i),  # "0812..." typed into a number cell
        _DESA[i % len(_DESA)],
        f"RT 0{i % 9 + 1}/RW 0{i % 5 + 1}, Desa {_DESA[i % len(_DESA)]}",
        "Website",
        _TEXTS[i % len(_TEXTS)] + f" (laporan {i})",
        f"Dusun {i % 12 + 1}",
        "",
    ]


def form_rows(n: int, first: int = 0) -> list[list[Any]]:
    return [form_row(i) for i in range(first, first + n)]
