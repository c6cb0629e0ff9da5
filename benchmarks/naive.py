"""The naive way, for comparison: what most Google Sheets scripts do, one `update_cell` per cell.

`NaiveSource` is the worker's own Google source with only its write replaced: the same read,
the same cells (the worker's own write plan, so both ways write exactly the same values), but
each cell sent by gspread's `Worksheet.update_cell`, one `values.update` request per cell, and
without re-reading the sheet first. Rate limits are survived the way gspread offers,
`BackOffHTTPClient` (sleep 2, 4, 8 ... s after a 429 and try again), as a script that must
not crash at the 61st cell would do.
"""

from __future__ import annotations

from typing import Any

import gspread
from google.auth.transport.requests import AuthorizedSession

from aduan_sync.sources import gsheets_plan as gp
from aduan_sync.sources.base import WriteBatch, WriteResult
from aduan_sync.sources.gsheets import SHEETS_ENDPOINT, GoogleSheetSource


class _LoopbackSession(AuthorizedSession):
    """gspread's URLs name sheets.googleapis.com; send them to the fake instead."""

    def __init__(self, credentials: Any, endpoint: str) -> None:
        super().__init__(credentials)
        self.endpoint = endpoint

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if url.startswith(SHEETS_ENDPOINT):
            url = self.endpoint + url[len(SHEETS_ENDPOINT):]
        return super().request(method, url, *args, **kwargs)


class NaiveSource(GoogleSheetSource):
    """The worker's source, writing one cell per request through gspread."""

    def write(self, batch: WriteBatch) -> WriteResult:
        """Every changed cell as its own `update_cell` call; the columns added first."""
        if not batch:
            return WriteResult(written=0)
        if self._last_read is None:
            self.read()
        assert self._last_read is not None
        last = self._last_read.read  # the pass's own read, as the worker's write would use
        worksheet = last.title
        plan = gp.plan_write(*last.table(), batch, self.cfg.field_aliases,
                             self.cfg.worker_headers)
        session = _LoopbackSession(self.credentials.credentials,
                                   self.cfg.source.api_endpoint or SHEETS_ENDPOINT)
        client = gspread.Client(self.credentials.credentials, session=session,
                                http_client=gspread.BackOffHTTPClient)
        ws = client.open_by_key(self.spreadsheet_id).worksheet(worksheet)
        if plan.width > ws.col_count:
            # One request, as `ws.add_cols` would be (its "gridProperties/columnCount" field
            # mask is one the fake does not read, so the same request is spelled out here).
            ws.spreadsheet.batch_update({"requests": [{"appendDimension": {
                "sheetId": ws.id, "dimension": "COLUMNS",
                "length": plan.width - ws.col_count}}]})
        for cell in plan.cells:
            ws.update_cell(cell.row + 1, cell.col + 1, cell.value)
        return WriteResult(plan.written, plan.skipped)
