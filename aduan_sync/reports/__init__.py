"""The office's books, made from the ledger: the Buku Register Aduan (XLSX, CSV, PDF) and the
"Laporan Penanganan Pengaduan Masyarakat" (HTML, PDF) with charts.

Every exported text cell is neutralised against formula injection (`neutral.neutralize`).
The `Rekap` worksheet's grid lives in `aduan_sync.rekap` (pure, used by the pass).
"""

from aduan_sync.reports.neutral import FORMULA_TRIGGERS, is_dangerous, neutralize
from aduan_sync.reports.register_book import (
    REGISTER_COLUMNS,
    ExportResult,
    RegisterEntry,
    export_register,
    register_csv,
    register_entries,
    register_pdf,
    register_xlsx,
)
from aduan_sync.reports.report import (
    ReportView,
    build_view,
    parse_period,
    render_html,
    render_pdf,
    write_report,
)
from aduan_sync.reports.stats import Period, ReportData, compute_report, percentile

__all__ = [
    "FORMULA_TRIGGERS",
    "REGISTER_COLUMNS",
    "ExportResult",
    "Period",
    "RegisterEntry",
    "ReportData",
    "ReportView",
    "build_view",
    "compute_report",
    "export_register",
    "is_dangerous",
    "neutralize",
    "parse_period",
    "percentile",
    "register_csv",
    "register_entries",
    "register_pdf",
    "register_xlsx",
    "render_html",
    "render_pdf",
    "write_report",
]
