"""The domain vocabulary: statuses, categories, form fields and worker columns.

These names are public contracts (see DESIGN.md): the sheet's staff and outside checks rely on
them, so they change only together with the README.
"""

from __future__ import annotations

import functools
from datetime import datetime, tzinfo
from enum import StrEnum


class Status(StrEnum):
    """Status values written in the sheet's `Status` column."""

    TERDAFTAR = "Terdaftar"
    PERLU_KLARIFIKASI = "Perlu Klarifikasi"
    DITERUSKAN = "Diteruskan ke PPID"
    DITANGGAPI = "Ditanggapi"
    SELESAI = "Selesai"
    DITOLAK = "Ditolak"
    DUPLIKAT = "Duplikat"


#: Statuses only staff set; the worker adopts them and never moves a row out of them.
STAFF_FINAL_STATUSES = frozenset({Status.SELESAI, Status.DITOLAK, Status.DUPLIKAT})

#: Statuses in which a complaint still waits for the office.
OPEN_STATUSES = frozenset({Status.TERDAFTAR, Status.PERLU_KLARIFIKASI, Status.DITERUSKAN})

#: Forward order of the worker's own statuses; the worker never moves a status backwards.
STATUS_RANK: dict[Status, int] = {
    Status.TERDAFTAR: 0,
    Status.PERLU_KLARIFIKASI: 1,
    Status.DITERUSKAN: 2,
    Status.DITANGGAPI: 3,
    Status.SELESAI: 4,
    Status.DITOLAK: 4,
    Status.DUPLIKAT: 4,
}

CATEGORY_LAINNYA = "Lainnya"

DEFAULT_CATEGORIES: tuple[str, ...] = (
    "Informasi Publik",
    "Pelayanan Administrasi",
    "Infrastruktur dan Pembangunan",
    "Ketentraman dan Ketertiban",
    "Kesejahteraan Sosial",
    "Pemerintahan Desa",
    "Lingkungan dan Kebencanaan",
    "Kepegawaian dan Perilaku Aparatur",
    CATEGORY_LAINNYA,
)

#: Form fields (key -> default header aliases). Matching is case- and space-insensitive.
FORM_FIELDS: dict[str, tuple[str, ...]] = {
    "timestamp": ("Cap waktu", "Stempel waktu", "Timestamp"),
    "email": ("Alamat email", "Email Address", "Alamat Email"),
    "name": ("Nama Lengkap",),
    "nik": ("NIK",),
    "phone": ("Nomor HP/WhatsApp",),
    "desa": ("Desa",),
    "address": ("Alamat Lengkap",),
    "channel": ("Kanal Aduan",),
    "text": ("Isi Aduan",),
    "location": ("Lokasi Kejadian",),
    "attachment": ("Lampiran",),
}

#: Form fields a sheet must have for the worker to run at all.
REQUIRED_FORM_FIELDS: tuple[str, ...] = ("timestamp", "text")

#: Worker columns (key -> default header), in the order they are added at the right.
WORKER_COLUMNS: dict[str, str] = {
    "register_no": "Nomor Register",
    "register_date": "Tanggal Register",
    "category": "Kategori",
    "unit": "Unit Tujuan",
    "completeness": "Kelengkapan",
    "status": "Status",
    "deadline": "Batas Waktu",
    "answer": "Tanggapan",
    "answer_date": "Tanggal Tanggapan",
    "note": "Catatan",
}

#: Columns only staff write; the worker reads them and never writes them.
STAFF_COLUMNS = frozenset({"answer"})

COMPLETE = "Lengkap"
INCOMPLETE_PREFIX = "Perlu Klarifikasi"

CHANNELS: tuple[str, ...] = ("Website", "Instagram", "Facebook", "WhatsApp", "X")

DESA_JENAWI: tuple[str, ...] = (
    "Anggrasmanis",
    "Balong",
    "Gumeng",
    "Jenawi",
    "Lempong",
    "Menjing",
    "Seloromo",
    "Sidomukti",
    "Trengguli",
)

#: Date-time format shown in the sheet for register dates, deadlines and answer dates.
SHEET_DATETIME_FORMAT = "%d/%m/%Y %H:%M"


@functools.lru_cache(maxsize=4096)
def format_sheet_datetime(dt: datetime | None, tz: tzinfo) -> str:
    """`dd/mm/yyyy HH:MM` in the office's zone, as the sheet shows dates; "" for None.

    Cached: a first import registers every row at the same moment, and most deadlines fall
    on the same few hours, so the write-back's ~100,000 dates (50,000 rows) are a few
    hundred texts, shared, instead of one new text each. (Equal aware datetimes are the
    same instant, and the zone is part of the key: the text is the same.)"""
    return dt.astimezone(tz).strftime(SHEET_DATETIME_FORMAT) if dt else ""
