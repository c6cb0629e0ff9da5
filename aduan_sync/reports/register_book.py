"""The Buku Register Aduan: every complaint of one year, once, in register order, as XLSX (laid
out for printing), CSV (UTF-8 with BOM, so Excel reads the accents) or PDF (to print and sign).

Every text cell goes through `neutralize` in every format; see `reports/neutral.py`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

from fpdf.fonts import FontFace
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from aduan_sync.config import Config, OfficeConfig
from aduan_sync.errors import AduanSyncError
from aduan_sync.mail.render import ringkas, tanggal
from aduan_sync.model import COMPLETE, SHEET_DATETIME_FORMAT
from aduan_sync.records import Complaint
from aduan_sync.reports.common import (
    camat_title,
    load_complaints,
    place_name,
    write_output,
)
from aduan_sync.reports.neutral import neutralize
from aduan_sync.reports.pdf import FONT, OfficePdf, Signature, printable

REGISTER_TITLE = "BUKU REGISTER ADUAN MASYARAKAT"
REGISTER_COLUMNS: tuple[str, ...] = (
    "No", "Nomor Register", "Tanggal Masuk", "Nama Pelapor", "Alamat/Desa", "Kanal",
    "Ringkasan Aduan", "Kategori", "Unit Tujuan", "Status", "Tanggal Tanggapan", "Keterangan",
)  # fmt: skip
#: Relative column widths, shared by XLSX (characters) and PDF (proportions).
COLUMN_WIDTHS: tuple[int, ...] = (5, 25, 15, 18, 24, 11, 40, 19, 20, 13, 15, 19)
#: Length of the "Ringkasan Aduan": enough to recognise the complaint in a printed book.
SUMMARY_LENGTH = 200
FORMATS = ("xlsx", "csv", "pdf")


@dataclass(frozen=True)
class RegisterEntry:
    """One line of the register: values as the book shows them (dates in the office's zone)."""

    no: int
    register_no: str
    submitted_at: datetime
    name: str
    address: str
    channel: str
    summary: str
    category: str
    unit: str
    status: str
    answer_date: datetime | None
    remarks: str

    def raw_texts(self) -> list[str]:
        """The twelve cells as text, before neutralisation."""
        return [
            str(self.no), self.register_no, self.submitted_at.strftime(SHEET_DATETIME_FORMAT),
            self.name, self.address, self.channel, self.summary, self.category, self.unit,
            self.status,
            self.answer_date.strftime(SHEET_DATETIME_FORMAT) if self.answer_date else "",
            self.remarks,
        ]

    def texts(self) -> list[str]:
        """The twelve cells as neutralised text (CSV)."""
        return [neutralize(v) for v in self.raw_texts()]


@dataclass(frozen=True)
class ExportResult:
    """Where an export was written and how many complaints it holds."""

    path: Path
    count: int


def _address(answers: dict[str, str]) -> str:
    """Address and village in one cell, without repeating the village."""
    address = (answers.get("address") or "").strip()
    desa = (answers.get("desa") or "").strip()
    if not desa or desa.casefold() in address.casefold():
        return address
    label = desa if desa.casefold().startswith("desa ") else f"Desa {desa}"
    return f"{address}, {label}" if address else label


def _remarks(c: Complaint) -> str:
    parts = []
    if c.completeness and c.completeness != COMPLETE:
        parts.append(c.completeness)
    if c.note:
        parts.append(c.note)
    return "; ".join(parts)


def register_entries(complaints: Iterable[Complaint], year: int, tz: tzinfo) -> list[RegisterEntry]:
    """The register of `year` (by register number, i.e. by the form's timestamp in the office's
    zone), each complaint once, in register order."""
    chosen = sorted((c for c in complaints if c.year == year), key=lambda c: c.seq)
    return [
        RegisterEntry(
            no=i,
            register_no=c.register_no,
            submitted_at=c.submitted_at.astimezone(tz),
            name=(c.answers.get("name") or "").strip(),
            address=_address(c.answers),
            channel=(c.answers.get("channel") or "").strip(),
            summary=ringkas(c.answers.get("text") or "", SUMMARY_LENGTH),
            category=c.category,
            unit=c.unit,
            status=c.status,
            answer_date=c.answer_date.astimezone(tz) if c.answer_date else None,
            remarks=_remarks(c),
        )
        for i, c in enumerate(chosen, start=1)
    ]


# -- writers -------------------------------------------------------------------------------

_HEADER_ROW = 5  # three title rows, a blank row, then the column headings
_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_DATE_FORMAT_XLSX = "dd/mm/yyyy hh:mm"


def _naive(dt: datetime | None) -> datetime | None:
    # Excel has no time zones: the office-local wall time is what staff expect to see.
    return dt.replace(tzinfo=None) if dt else None


def _xlsx_cell(ws: Worksheet, row: int, col: int, value: object) -> None:
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        text = neutralize(value)
        if text:
            cell.value = text
            cell.data_type = "s"  # stored as text: never a formula, whatever it holds
            cell.number_format = "@"
    elif isinstance(value, datetime):
        cell.value = value
        cell.number_format = _DATE_FORMAT_XLSX
    else:
        cell.value = value
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    cell.border = _BORDER


def register_xlsx(entries: list[RegisterEntry], year: int, office: OfficeConfig) -> bytes:
    """The register as a workbook laid out for printing: A4 landscape, fit to the page width,
    title rows with the office's name, the heading row repeated on every page."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = f"Register {year}"
    last = get_column_letter(len(REGISTER_COLUMNS))
    titles = (REGISTER_TITLE, f"{office.name.upper()}, {office.regency.upper()}", f"TAHUN {year}")
    for row, text in enumerate(titles, start=1):
        ws.merge_cells(f"A{row}:{last}{row}")
        cell = ws.cell(row=row, column=1, value=neutralize(text))
        cell.font = Font(bold=True, size=14 if row == 1 else 12)
        cell.alignment = Alignment(horizontal="center")
    for col, heading in enumerate(REGISTER_COLUMNS, start=1):
        cell = ws.cell(row=_HEADER_ROW, column=col, value=heading)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E5E7EB")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = _BORDER
        ws.column_dimensions[get_column_letter(col)].width = COLUMN_WIDTHS[col - 1]
    for row, e in enumerate(entries, start=_HEADER_ROW + 1):
        values: list[object] = [
            e.no, e.register_no, _naive(e.submitted_at), e.name, e.address, e.channel,
            e.summary, e.category, e.unit, e.status, _naive(e.answer_date), e.remarks,
        ]
        for col, value in enumerate(values, start=1):
            _xlsx_cell(ws, row, col, value)
    _print_setup(ws, year, last)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _print_setup(ws: Worksheet, year: int, last: str) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages tall as the year needs
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    ws.print_title_rows = f"{_HEADER_ROW}:{_HEADER_ROW}"
    ws.print_area = f"A1:{last}{max(ws.max_row, _HEADER_ROW)}"
    ws.freeze_panes = f"A{_HEADER_ROW + 1}"
    ws.oddFooter.left.text = f"Buku Register Aduan Tahun {year}"
    ws.oddFooter.right.text = "Halaman &P dari &N"


def register_csv(entries: list[RegisterEntry]) -> bytes:
    """The register as CSV: comma-separated, CRLF, UTF-8 with a BOM so Excel reads accents."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(REGISTER_COLUMNS)
    for e in entries:
        writer.writerow(e.texts())
    return buf.getvalue().encode("utf-8-sig")


def _pdf_text(raw: str) -> str:
    # One line per cell before neutralising: a CR or tab inside the cell must not let a
    # formula start a line of its own once the PDF's text is copied out.
    return neutralize(" ".join(raw.split()))


def register_pdf(entries: list[RegisterEntry], year: int, office: OfficeConfig,
                 printed_on: datetime) -> bytes:
    """The register ready to print and sign: letterhead, the table with its heading on every
    page, page numbers, and signature blocks for the Camat and the officer keeping the book."""
    pdf = OfficePdf(office, f"Buku Register Aduan Tahun {year}", landscape=True)
    pdf.letterhead()
    pdf.heading(REGISTER_TITLE, f"Tahun {year}")
    pdf.set_font(FONT, "", 7)
    with pdf.table(col_widths=COLUMN_WIDTHS, repeat_headings=1, text_align="LEFT",
                   line_height=3.3, padding=0.8,
                   headings_style=FontFace(emphasis="BOLD", fill_color=(229, 231, 235))) as table:
        head = table.row()
        for heading in REGISTER_COLUMNS:
            head.cell(heading, align="CENTER")
        for e in entries:
            row = table.row()
            for text in e.raw_texts():
                row.cell(printable(_pdf_text(text)))
        if not entries:
            table.row().cell("Tidak ada aduan yang terdaftar pada tahun ini.",
                             colspan=len(REGISTER_COLUMNS), align="CENTER")
    pdf.ln(2)
    pdf.set_font(FONT, "", 9)
    pdf.cell(0, 5, f"Jumlah aduan terdaftar: {len(entries)}")
    pdf.ln(4)
    pdf.signatures(
        Signature(("Mengetahui,", f"{camat_title(office)},"), office.camat_name),
        Signature((f"{place_name(office)}, {tanggal(printed_on)}", "Petugas Pengelola Pengaduan,"),
                  ""),
    )
    return pdf.render()


def export_register(cfg: Config, year: int, fmt: str = "xlsx", out: Path | None = None,
                    now: datetime | None = None) -> ExportResult:
    """Write the Buku Register Aduan of `year` from the ledger as `fmt` (xlsx, csv or pdf).

    `out` defaults to `buku-register-aduan-YYYY.<fmt>` in the current folder. Raises
    `AduanSyncError` when the file cannot be written.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")
    tz = cfg.office.tz
    now = now or datetime.now(tz)
    entries = register_entries(load_complaints(cfg), year, tz)
    if fmt == "xlsx":
        data = register_xlsx(entries, year, cfg.office)
    elif fmt == "csv":
        data = register_csv(entries)
    else:
        data = register_pdf(entries, year, cfg.office, now.astimezone(tz))
    path = out or Path(f"buku-register-aduan-{year}.{fmt}")
    try:
        write_output(path, data)
    except OSError as e:
        raise AduanSyncError(f"Berkas keluaran tidak dapat ditulis: {path}", detail=str(e)) from e
    return ExportResult(path=path, count=len(entries))
