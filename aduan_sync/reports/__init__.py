"""The office's books, made from the ledger: the Buku Register Aduan (XLSX, CSV, PDF) and the
"Laporan Penanganan Pengaduan Masyarakat" (HTML, PDF) with charts.

Every exported text cell is neutralised against formula injection (`neutral.neutralize`).
The `Rekap` worksheet's grid lives in `aduan_sync.rekap` (pure, used by the pass).
"""

import importlib
from typing import Any

#: Where each public name lives. Loaded on first use: the pass imports `neutral` and `stats`
#: (through `aduan_sync.rekap`) on every run, and must not pay for matplotlib and fpdf2.
_LOCATIONS = {
    "FORMULA_TRIGGERS": "neutral", "is_dangerous": "neutral", "neutralize": "neutral",
    "REGISTER_COLUMNS": "register_book", "ExportResult": "register_book",
    "RegisterEntry": "register_book", "export_register": "register_book",
    "register_csv": "register_book", "register_entries": "register_book",
    "register_pdf": "register_book", "register_xlsx": "register_book",
    "ReportView": "report", "build_view": "report", "parse_period": "report",
    "render_html": "report", "render_pdf": "report", "write_report": "report",
    "Period": "stats", "ReportData": "stats", "compute_report": "stats",
    "percentile": "stats",
}

__all__ = sorted(_LOCATIONS)


def __getattr__(name: str) -> Any:
    module = _LOCATIONS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
