"""Sheet sources: where the form responses live (Google Sheets, or a local .xlsx workbook)."""

from __future__ import annotations

from aduan_sync.config import Config
from aduan_sync.sources.base import Source


def open_source(cfg: Config) -> Source:
    """The source the config names. Google's client libraries are imported only when used."""
    if cfg.source.backend == "google":
        from aduan_sync.sources.gsheets import GoogleSheetSource

        return GoogleSheetSource(cfg)
    from aduan_sync.sources.xlsx import XlsxSource

    return XlsxSource(cfg)
