"""Starter files: `aduan-sync init` (config and templates for an office) and the demo's
workspace (a config, and a workbook shaped like a Google Form response sheet)."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import openpyxl
from openpyxl.styles import Font, PatternFill

from aduan_sync.config import PACKAGED_CONFIG, PACKAGED_TEMPLATES
from aduan_sync.fsutil import ensure_private_dir

DEMO_WORKBOOK = "tanggapan-formulir.xlsx"
DEMO_SHEET = "Tanggapan Formulir 1"
DEMO_CONFIG = f"""\
# Konfigurasi demo aduan-sync: buku kerja lokal menggantikan Google Sheet,
# email ditulis ke folder outbox/ (tidak ada email yang benar-benar dikirim).

[office]
name = "Kecamatan Jenawi"
regency = "Kabupaten Karanganyar"
timezone = "Asia/Jakarta"

[source]
backend = "xlsx"
path = "{DEMO_WORKBOOK}"
worksheet = "{DEMO_SHEET}"

[storage]
data_dir = "data"
archive_dir = "arsip"

[mail]
backend = "outbox"
sender = "ppid@kecamatan-jenawi.example"
outbox_dir = "outbox"

[ppid]
name = "PPID Pelaksana Kecamatan Jenawi"
email = "ppid@kecamatan-jenawi.example"

[recipients.units]
"Seksi Pemberdayaan Masyarakat Desa" = "pmd@kecamatan-jenawi.example"
"Seksi Ketentraman dan Ketertiban Umum" = "trantib@kecamatan-jenawi.example"
"""


def init_office(target: Path) -> list[Path]:
    """Write `config/aduan.toml` (from the example), the classification rules and a copy of
    the templates into `target`. Existing files are never overwritten. Returns what it wrote."""
    written: list[Path] = []
    config_dir = target / "config"
    ensure_private_dir(config_dir)
    pairs = [
        (PACKAGED_CONFIG / "aduan.example.toml", config_dir / "aduan.toml"),
        (PACKAGED_CONFIG / "aduan.example.toml", config_dir / "aduan.example.toml"),
        (PACKAGED_CONFIG / "kategori.toml", config_dir / "kategori.toml"),
    ]
    for src, dst in pairs:
        if not dst.exists():
            shutil.copyfile(src, dst)
            written.append(dst)
    for src in sorted(PACKAGED_TEMPLATES.rglob("*")):
        dst = target / "templates" / src.relative_to(PACKAGED_TEMPLATES)
        if src.is_file() and not dst.exists():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
            written.append(dst)
    return written


def create_demo_workspace(target: Path, now: datetime) -> list[Path]:
    """Create the demo's config and sample workbook, unless they exist. Returns what it wrote."""
    from aduan_sync.demo_data import DEMO_HEADERS, demo_rows

    target.mkdir(parents=True, exist_ok=True)
    written = []
    config = target / "aduan.toml"
    if not config.exists():
        config.write_text(DEMO_CONFIG, encoding="utf-8")
        written.append(config)
    book = target / DEMO_WORKBOOK
    if not book.exists():
        write_response_workbook(book, DEMO_HEADERS, demo_rows(now))
        written.append(book)
    return written


def write_response_workbook(path: Path, headers: list[str], rows: list[list[object]]) -> None:
    """A workbook like Google Forms' response sheet, plus a staff sheet the worker must keep."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = DEMO_SHEET
    ws.append(headers)
    for row in rows:
        ws.append(row)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for col in ws.iter_cols(min_row=1, max_row=1):
        ws.column_dimensions[col[0].column_letter].width = 22
    ts = ws.column_dimensions["A"]
    ts.width = 20
    for (cell,) in ws.iter_rows(min_row=2, min_col=1, max_col=1):
        cell.number_format = "dd/mm/yyyy hh:mm:ss"
    notes = wb.create_sheet("Catatan Petugas")
    notes.append(["Tanggal", "Catatan"])
    notes.append(["", "Lembar ini milik petugas; aduan-sync tidak mengubahnya."])
    wb.save(path)
