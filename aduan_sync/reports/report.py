"""The "Laporan Penanganan Pengaduan Masyarakat" for a month or a year, as HTML or PDF.

`compute_report` (stats.py) gives the numbers; this module turns them into one `ReportView`
(texts already formatted in Indonesian and neutralised) that both the HTML template
(`templates/reports/laporan.html.j2`) and the PDF writer print, so the two never disagree.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import jinja2
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from aduan_sync.config import Config, OfficeConfig
from aduan_sync.errors import AduanSyncError
from aduan_sync.mail.render import make_environment, tanggal
from aduan_sync.mail.template_check import template_error
from aduan_sync.model import SHEET_DATETIME_FORMAT
from aduan_sync.reports.charts import bar_chart
from aduan_sync.reports.common import camat_title, load_complaints, place_name, write_output
from aduan_sync.reports.neutral import neutralize
from aduan_sync.reports.pdf import FONT, OfficePdf, Signature, printable
from aduan_sync.reports.stats import Period, ReportData, compute_report

REPORT_TITLE = "LAPORAN PENANGANAN PENGADUAN MASYARAKAT"
TEMPLATE = "reports/laporan.html.j2"
FORMATS = ("pdf", "html")
OVERDUE_HEADINGS = ("No", "Nomor Register", "Tanggal Masuk", "Batas Waktu", "Status",
                    "Unit Tujuan", "Terlambat")
NOTES = (
    "Aduan dihitung menurut periode waktu pengisian formulir (zona waktu kantor).",
    "Waktu menanggapi dihitung dalam jam kerja kantor (hari libur nasional dan cuti bersama "
    "tidak dihitung), sejak formulir diisi sampai tanggapan disampaikan. Persentil ke-90: "
    "90% aduan ditanggapi dalam waktu tersebut atau lebih cepat.",
    "Persentase tepat waktu dihitung dari aduan yang sudah ditanggapi dan aduan yang belum "
    "ditanggapi tetapi batas waktunya sudah lewat; aduan berstatus Ditolak atau Duplikat tidak "
    "dihitung.",
    "Aduan melewati batas waktu: aduan yang belum ditanggapi dan batas waktunya sudah lewat "
    "pada saat laporan ini disusun.",
)


def decimal_id(value: float, digits: int = 1) -> str:
    """A number the Indonesian way: 12.5 -> "12,5"."""
    return f"{value:.{digits}f}".replace(".", ",")


#: Shown where a number cannot be computed yet. Not "-": a lone minus is a formula start.
NOT_YET = "\u2013"


def share_id(part: int, whole: int) -> str:
    """"83,3%" (or an en dash when `whole` is 0)."""
    return f"{decimal_id(100 * part / whole)}%" if whole else NOT_YET


@dataclass(frozen=True)
class Breakdown:
    """One table of counts with its chart."""

    title: str
    heading: str
    rows: list[tuple[str, str, str]]  # label, count, share of the total
    chart: bytes  # PNG

    @property
    def chart_base64(self) -> str:
        return base64.b64encode(self.chart).decode("ascii")


@dataclass(frozen=True)
class ReportView:
    """The report as printed: every text formatted, every cell neutralised."""

    office: OfficeConfig
    title: str
    period: str
    generated: str
    summary: list[tuple[str, str]]
    breakdowns: list[Breakdown]
    overdue: list[list[str]]
    notes: tuple[str, ...]
    place_date: str
    signer_title: str
    signer_name: str
    overdue_headings: tuple[str, ...] = OVERDUE_HEADINGS


def _hours(value: float | None) -> str:
    return "belum ada aduan yang ditanggapi" if value is None else f"{decimal_id(value)} jam kerja"


def _summary(data: ReportData) -> list[tuple[str, str]]:
    on_time, known = data.sla_on_time, data.sla_eligible
    sla = (f"{on_time} dari {known} ({share_id(on_time, known)})" if known
           else "belum ada aduan yang dapat dinilai")
    return [
        ("Jumlah aduan masuk", str(data.total)),
        ("Aduan yang sudah ditanggapi", str(data.answered)),
        ("Ditanggapi dalam batas waktu", sla),
        ("Median waktu menanggapi", _hours(data.median_hours)),
        ("Persentil ke-90 waktu menanggapi", _hours(data.p90_hours)),
        ("Aduan melewati batas waktu (belum ditanggapi)", str(len(data.overdue))),
    ]


def _breakdown(title: str, heading: str, counts: list[tuple[str, int]],
               total: int, *, horizontal: bool = True) -> Breakdown:
    rows = [(neutralize(label), str(n), share_id(n, total)) for label, n in counts]
    return Breakdown(title, heading, rows, bar_chart(title, counts, horizontal=horizontal))


def build_view(data: ReportData, office: OfficeConfig) -> ReportView:
    """The printable view of `data` (charts drawn here)."""
    n = data.total
    breakdowns = [
        _breakdown("Aduan Menurut Kategori", "Kategori", data.by_category, n),
        _breakdown("Aduan Menurut Kanal", "Kanal", data.by_channel, n),
        _breakdown("Aduan Menurut Desa", "Desa", data.by_desa, n),
        _breakdown("Aduan Menurut Status", "Status", data.by_status, n),
    ]
    if data.by_month:
        breakdowns.insert(0, _breakdown("Aduan Menurut Bulan", "Bulan", data.by_month, n,
                                        horizontal=False))
    overdue = [
        [str(i), *(neutralize(v) for v in (
            o.register_no, o.submitted_at.strftime(SHEET_DATETIME_FORMAT),
            o.deadline.strftime(SHEET_DATETIME_FORMAT), o.status, o.unit)),
         f"{o.working_days_late} hari kerja"]
        for i, o in enumerate(data.overdue, start=1)
    ]
    generated = data.generated_at
    return ReportView(
        office=office,
        title=REPORT_TITLE,
        period=data.period.label,
        generated=f"{tanggal(generated)} pukul {generated:%H.%M}",
        summary=_summary(data),
        breakdowns=breakdowns,
        overdue=overdue,
        notes=NOTES,
        place_date=f"{place_name(office)}, {tanggal(generated)}",
        signer_title=f"{camat_title(office)},",
        signer_name=office.camat_name,
    )


def render_html(view: ReportView, templates_dir: Path | None = None) -> str:
    """The report as one self-contained HTML page (charts inline as base64 PNG)."""
    env = make_environment(templates_dir)
    try:
        return env.get_template(TEMPLATE).render(view=view, office=view.office)
    except jinja2.TemplateError as e:  # the office's copy, when it has one
        raise template_error(e, env, TEMPLATE) from e


def _pdf_table(pdf: OfficePdf, headings: tuple[str, ...] | list[str], rows: list[list[str]],
               widths: tuple[int, ...], numeric: frozenset[int] = frozenset()) -> None:
    pdf.set_font(FONT, "", 8.5)
    style = FontFace(emphasis="BOLD", fill_color=(229, 231, 235))
    with pdf.table(col_widths=widths, text_align="LEFT", line_height=4.4, padding=1,
                   headings_style=style, repeat_headings=1) as table:
        head = table.row()
        for h in headings:
            head.cell(h, align="CENTER")
        for values in rows:
            row = table.row()
            for i, v in enumerate(values):
                row.cell(printable(v), align="RIGHT" if i in numeric else None)
    pdf.ln(3)


def _pdf_section(pdf: OfficePdf, title: str) -> None:
    if pdf.get_y() + 30 > pdf.page_break_trigger:
        pdf.add_page()
    pdf.set_font(FONT, "B", 10.5)
    pdf.cell(0, 7, printable(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def render_pdf(view: ReportView) -> bytes:
    """The report as a printable A4 PDF with letterhead, page numbers and the Camat's block."""
    pdf = OfficePdf(view.office, f"Laporan Penanganan Pengaduan Masyarakat {view.period}",
                    landscape=False)
    pdf.letterhead()
    pdf.heading(view.title, view.period)
    pdf.set_font(FONT, "", 8.5)
    pdf.cell(0, 5, f"Disusun dari buku register pada {view.generated}",
             align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    _pdf_section(pdf, "A. Ringkasan")
    _pdf_table(pdf, ("Uraian", "Nilai"), [list(r) for r in view.summary], (3, 2),
               frozenset({1}))
    for i, b in enumerate(view.breakdowns):
        _pdf_section(pdf, f"{chr(ord('B') + i)}. {b.title}")
        _pdf_table(pdf, (b.heading, "Jumlah", "Persentase"), [list(r) for r in b.rows],
                   (5, 1, 1), frozenset({1, 2}))
        if pdf.get_y() + 60 > pdf.page_break_trigger:
            pdf.add_page()
        pdf.image(io.BytesIO(b.chart), x=pdf.l_margin + 15, w=pdf.epw - 30)
        pdf.ln(3)
    _pdf_section(pdf, f"{chr(ord('B') + len(view.breakdowns))}. Aduan Melewati Batas Waktu")
    if view.overdue:
        _pdf_table(pdf, view.overdue_headings, view.overdue, (2, 7, 6, 6, 6, 8, 5))
    else:
        pdf.set_font(FONT, "", 9)
        pdf.cell(0, 6, "Tidak ada aduan yang melewati batas waktu.",
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "I", 7.5)
    pdf.ln(2)
    for note in view.notes:
        pdf.multi_cell(0, 3.8, f"Catatan: {note}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.signatures(None, Signature((view.place_date, view.signer_title), view.signer_name))
    return pdf.render()


def parse_period(month: str | None, year: int | None) -> Period:
    """The period from `--month YYYY-MM` or `--year YYYY` (exactly one); `ValueError` else."""
    if (month is None) == (year is None):
        raise ValueError("Pilih salah satu: --month TTTT-BB atau --year TTTT.")
    return Period.parse_month(month) if month is not None else Period(int(year or 0))


def write_report(cfg: Config, period: Period, fmt: str = "pdf", out: Path | None = None,
                 now: datetime | None = None) -> Path:
    """Compute the report of `period` from the ledger and write it as `fmt` (pdf or html).

    `out` defaults to `laporan-aduan-<period>.<fmt>` in the current folder.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")
    tz = cfg.office.tz
    now = now or datetime.now(tz)
    cal = cfg.calendar.working_calendar(tz)
    data = compute_report(load_complaints(cfg), period, cal, now,
                          categories=cfg.classification.categories)
    view = build_view(data, cfg.office)
    if fmt == "html":
        payload = render_html(view, cfg.templates_dir).encode("utf-8")
    else:
        payload = render_pdf(view)
    path = out or Path(f"laporan-aduan-{period.slug}.{fmt}")
    try:
        write_output(path, payload)
    except OSError as e:
        raise AduanSyncError(f"Berkas keluaran tidak dapat ditulis: {path}", detail=str(e)) from e
    return path
