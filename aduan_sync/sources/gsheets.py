"""The Google Sheet source: the form's response sheet, read and written in a few requests.

A pass costs a few Sheets API requests whatever the number of rows: `spreadsheets.get`
(title, time zone, grid size; fields-masked), one `values.get` of the whole worksheet, and for
a pass with something to write, one write. Before them, one Drive `files.get` of the
spreadsheet's `version` (`version()`): when it is the one the last clean pass saw, an idle
pass stops there, at 1 request, without downloading the sheet. Before writing, the version is
asked again: unchanged, the rows are located as read; moved (staff sort, insert and delete
rows meanwhile), the values are read again and rows re-located by anchor.
The write is a `values.batchUpdate` with `valueInputOption=RAW` (a cell's text is stored as
typed: a citizen's `=HYPERLINK(...)` never becomes a formula); the first time the worker
columns (or the `Rekap` tab) do not fit the grid, one `spreadsheets.batchUpdate` widens the
grid before it. Values travel as compact JSON arrays, about 3 bytes of overhead a cell, in
few ranges (`gsheets_plan.blocks`): a first import writes ~170 bytes a row (`updateCells`
took more than twice that). A write over `MAX_WRITE_BYTES` (~52,000 new rows) is split.

`[source] api_endpoint` replaces `https://sheets.googleapis.com` (Sheets emulators, API
gateways; the tests point it at a fake server); `token_uri` does the same for OAuth. Behind
an HTTPS proxy nothing needs changing here: `HTTPS_PROXY` and `REQUESTS_CA_BUNDLE` apply.
"""

from __future__ import annotations

import itertools
import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import quote

from google.auth.transport.requests import AuthorizedSession

from aduan_sync.config import Config
from aduan_sync.defaults import RESPONSE_SHEET_NAMES
from aduan_sync.drive import files_url
from aduan_sync.errors import SourcePermanentError
from aduan_sync.google_auth import GoogleCredentials, load_credentials, scopes_for
from aduan_sync.google_http import GoogleHttp
from aduan_sync.headers import map_headers
from aduan_sync.rekap import REKAP_SHEET
from aduan_sync.sources import gsheets_json as gj
from aduan_sync.sources import gsheets_plan as gp
from aduan_sync.sources import gsheets_version as gv
from aduan_sync.sources.base import (
    SheetSnapshot,
    SheetVersion,
    WriteBatch,
    WriteResult,
)
from aduan_sync.sources.gsheets_read import PackedRows, ValuesRead

SHEETS_ENDPOINT = "https://sheets.googleapis.com"
#: Largest write request body. Google's front end refuses bodies over 10,485,760 bytes
#: ("Request payload size exceeds the limit"); the Sheets documentation recommends 2 MB for
#: speed, which would split a first import into more requests under a per-minute quota. Only
#: a first import of more than ~52,000 rows (~170 bytes each) goes over it: 50,000 new rows
#: are ~8.6 MB, one request.
MAX_WRITE_BYTES = 9_000_000
_META_FIELDS = (
    "spreadsheetId,properties(title,timeZone,locale),"
    "sheets.properties(sheetId,title,index,sheetType,gridProperties(rowCount,columnCount))"
)
#: Numbers as numbers (no locale formatting) and date-times as serials, so neither a
#: day/month order nor a thousands separator is ever guessed.
_READ_PARAMS = {
    "valueRenderOption": "UNFORMATTED_VALUE",
    "dateTimeRenderOption": "SERIAL_NUMBER",
    "majorDimension": "ROWS",
}


class _LastRead(NamedTuple):
    """What a read saw, for the write that follows it in the same pass."""

    version: str  # asked just before the read ("": not asked, or Drive could not say)
    read: ValuesRead  # the snapshot's own: decoded (once) only when something needs it


@dataclass(frozen=True)
class _Meta:
    title: str
    timezone: str
    sheets: list[gp.Tab]

    def tab(self, title: str) -> gp.Tab | None:
        return next((s for s in self.sheets if s.title == title), None)


class GoogleSheetSource:
    """`Source` over a Google Sheet. `sleep`, `monotonic` and `rng` drive retries (tests)."""

    def __init__(
        self,
        cfg: Config,
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        max_write_bytes: int = MAX_WRITE_BYTES,
    ) -> None:
        self.cfg = cfg
        self.spreadsheet_id = cfg.source.spreadsheet_id
        self.base = f"{cfg.source.api_endpoint or SHEETS_ENDPOINT}/v4/spreadsheets/"
        self.max_write_bytes = max_write_bytes
        self._retry = {"sleep": sleep, "monotonic": monotonic, "rng": rng}
        self._creds: GoogleCredentials | None = None
        self._http: GoogleHttp | None = None
        self._drive_http: GoogleHttp | None = None
        self._meta: _Meta | None = None
        self._worksheet_title: str | None = cfg.source.worksheet or None
        # The last version asked, and the last read (`_LastRead`): kept until the write, which
        # uses it instead of reading the sheet again when Drive says the version has not moved.
        self._asked = ""
        self._last_read: _LastRead | None = None
        self._sheet_gid: int | None = None

    # -- the Source contract ---------------------------------------------------------------

    def describe(self) -> str:
        where = self._worksheet_title or "dipilih otomatis"
        return f"Google Sheets {self.spreadsheet_id} (lembar kerja: {where})"

    @property
    def sheet_url(self) -> str:
        """The worksheet in the browser; staff mails append `&range=A<row>`. The tab (gid) is
        known once the sheet has been read; before that the link opens the first tab."""
        gid = self._sheet_gid if self._sheet_gid is not None else 0
        return f"https://docs.google.com/spreadsheets/d/{self.spreadsheet_id}/edit#gid={gid}"

    def details(self) -> list[tuple[str, str]]:
        """What `check` prints: (Indonesian label, value), of the read not yet written over
        (`check` reads first); reads the sheet when there is none."""
        if self._last_read is None:
            self.read()
        assert self._last_read is not None and self._meta is not None
        seen = self._last_read.read
        return [
            ("Judul spreadsheet", self._meta.title),
            ("ID spreadsheet", self.spreadsheet_id),
            ("Lembar kerja", seen.title),
            ("Zona waktu spreadsheet", seen.timezone),
            ("Jumlah baris data", str(seen.rows())),
            ("Bagikan sebagai Editor kepada", self.credentials.share_with),
        ]

    def version(self) -> SheetVersion:
        """Drive `files.get` of the spreadsheet's `version` and `modifiedTime`: 1 request.
        On any failure the token is empty and the pass reads the sheet (`gsheets_version`)."""
        http = self.drive_http
        before = http.requests
        token = gv.ask_version(http, files_url(self.cfg.source.drive_endpoint)
                               + self.spreadsheet_id)
        if token:
            self._asked = token
        return SheetVersion(token, http.requests - before)

    def read(self) -> SheetSnapshot:
        """Metadata and every value of the worksheet (and of the `Rekap` tab): 2 requests (3
        when the worksheet must be found by its header: neither configured nor named like a
        form's)."""
        before = self.http.requests
        asked, self._asked, self._last_read = self._asked, "", None
        meta = self._metadata()
        ws = self._worksheet(meta)
        self._sheet_gid = ws.sheet_id
        # The worker's own `Rekap` tab rides in the same read (values.batchGet).
        with_rekap = ws.title != REKAP_SHEET and meta.tab(REKAP_SHEET) is not None
        content = (self._batch_values([ws.title, REKAP_SHEET]) if with_rekap
                   else self._values(ws.title))
        # Decoded only when the pass needs the values: not when `answer` or `digest` tells
        # it is idle (`gsheets_read`).
        read = ValuesRead(ws.title, meta.timezone, content, with_rekap=with_rekap,
                          field_aliases=self.cfg.field_aliases,
                          worker_headers=self.cfg.worker_headers)
        self._last_read = _LastRead(asked, read)
        return SheetSnapshot(
            title=meta.title,
            worksheet=ws.title,
            timezone=meta.timezone,
            table=read.table,
            requests=self.http.requests - before,
            rekap_of=read.rekap,
            digest_of=read.digest,
            answer=read.answer,
        )

    def write(self, batch: WriteBatch) -> WriteResult:
        """Re-locate rows by anchor, compare-and-set, write.

        Rows are located in the sheet as it is now. When the read was preceded by a version
        ask, Drive is asked again (1 request): the same version means nothing at all changed
        since the read, so its rows are used as they are. Otherwise (or when Drive cannot
        say) the sheet is read again first, because staff sort, insert and delete rows
        meanwhile. `batch.rekap` replaces the `Rekap` tab's values (the tab is created if
        missing) in the same write request; it belongs to the worker, so it is not compared
        first."""
        if not batch:
            return WriteResult(written=0)
        before, asked_before = self.http.requests, self.drive_requests
        meta = self._meta or self._metadata()
        ws = self._worksheet(meta)
        last, self._last_read = self._last_read, None
        rekap_read = last.read.rekap_values() if last is not None else None
        raw: Sequence[list[Any]]
        if last is not None and last.version and self.version().token == last.version:
            raw, (headers, rows) = last.read.values(), last.read.table()
            unchanged = True
        else:
            raw = gj.decode_values(self._values(ws.title), PackedRows)
            headers, rows = gp.convert_values(raw, self.cfg.field_aliases,
                                              self.cfg.worker_headers)
            # Only when the re-read finds the sheet as `read()` did may the next pass trust
            # the prediction below: a response or an edit that came in between was not seen
            # by this pass, so the next one must not take it for idle.
            unchanged = last is not None and last.read.digest() == gp.values_digest(
                ws.title, meta.timezone, raw, rekap_read)
        plan = gp.plan_write(headers, rows, batch, self.cfg.field_aliases,
                             self.cfg.worker_headers)
        rekap = batch.rekap if batch.rekap and ws.title != REKAP_SHEET else None
        if plan.rows or rekap:
            self._send(meta, ws, plan, rekap)
        # What the next read will return, predicted from the rows written over and what was
        # written: lets the next pass recognise an unchanged sheet.
        after = gp.values_digest(
            ws.title, meta.timezone, gp.applied(raw, plan.rows),
            rekap if rekap is not None else rekap_read) if unchanged else ""
        requests = self.http.requests - before + self.drive_requests - asked_before
        return WriteResult(plan.written, plan.skipped, requests, digest=after)

    # -- plumbing --------------------------------------------------------------------------

    @property
    def credentials(self) -> GoogleCredentials:
        if self._creds is None:
            path = self.cfg.source.credentials_file
            if path is None:
                raise SourcePermanentError("`credentials_file` belum diisi di bagian [source].")
            self._creds = load_credentials(path, scopes_for(self.cfg),
                                           token_uri=self.cfg.source.token_uri)
        return self._creds

    @property
    def http(self) -> GoogleHttp:
        if self._http is None:
            src = self.cfg.source
            self._http = GoogleHttp(
                AuthorizedSession(self.credentials.credentials),
                timeout=src.timeout_seconds,
                retry_max_seconds=src.retry_max_seconds,
                explain=self._explain,
                service="Google Sheets",
                **self._retry,  # type: ignore[arg-type]
            )
        return self._http

    @property
    def drive_requests(self) -> int:
        """Drive requests made so far (the version asks)."""
        return self._drive_http.requests if self._drive_http is not None else 0

    @property
    def drive_http(self) -> GoogleHttp:
        """The client of the version ask: the sheet's own session and clock."""
        if self._drive_http is None:
            self._drive_http = gv.drive_http(self.http)
        return self._drive_http

    def _metadata(self) -> _Meta:
        data = self.http.call("GET", self.base + self.spreadsheet_id,
                              params={"fields": _META_FIELDS, "includeGridData": "false"}).json()
        props = data.get("properties", {})
        sheets = []
        for s in data.get("sheets", []):
            p = s.get("properties", {})
            if p.get("sheetType", "GRID") != "GRID":
                continue  # charts on their own sheet hold no cells
            grid = p.get("gridProperties", {})
            sheets.append(gp.Tab(int(p.get("sheetId", 0)), str(p.get("title", "")),
                                     int(grid.get("rowCount", 0)),
                                     int(grid.get("columnCount", 0))))
        self._meta = _Meta(str(props.get("title", "")), str(props.get("timeZone", "")), sheets)
        return self._meta

    def _worksheet(self, meta: _Meta) -> gp.Tab:
        """The configured worksheet, else the form's response sheet, else the first sheet
        whose header row has a timestamp column."""
        by_title = {s.title: s for s in meta.sheets}
        if self._worksheet_title:
            if self._worksheet_title in by_title:
                return by_title[self._worksheet_title]
            if self.cfg.source.worksheet:
                raise SourcePermanentError(
                    f"Lembar kerja {self._worksheet_title!r} tidak ada di spreadsheet "
                    f"{meta.title!r}. Lembar yang ada: {_names(meta)}. Perbaiki `worksheet` di "
                    "bagian [source] konfigurasi."
                )
        wanted = {name.casefold() for name in RESPONSE_SHEET_NAMES}
        for s in meta.sheets:
            if s.title.strip().casefold() in wanted:
                self._worksheet_title = s.title
                return s
        return self._first_with_timestamp(meta)

    def _first_with_timestamp(self, meta: _Meta) -> gp.Tab:
        # One values.batchGet of every sheet's first row: the one extra request, paid only
        # when the sheet is neither configured nor named like a form's response sheet.
        ranges = [f"{gp.quote_sheet(s.title)}!1:1" for s in meta.sheets]
        answer = self.http.call("GET", f"{self.base}{self.spreadsheet_id}/values:batchGet",
                                params={"ranges": ranges, **_READ_PARAMS}).json()
        for s, vr in zip(meta.sheets, answer.get("valueRanges", []), strict=False):
            first = (vr.get("values") or [[]])[0]
            hmap = map_headers(first, self.cfg.field_aliases, self.cfg.worker_headers)
            if "timestamp" in hmap.fields:
                self._worksheet_title = s.title
                return s
        raise SourcePermanentError(
            f"Tidak ada lembar kerja berkolom stempel waktu (Cap waktu/Timestamp) di spreadsheet "
            f"{meta.title!r}. Lembar yang ada: {_names(meta)}. Isi `worksheet` di bagian "
            "[source] konfigurasi dengan nama lembar jawaban formulir."
        )

    def _values(self, title: str) -> bytearray:
        """The `values.get` answer for worksheet `title`, undecoded."""
        url = f"{self.base}{self.spreadsheet_id}/values/{quote(gp.quote_sheet(title), safe='')}"
        return self.http.collect("GET", url, params=_READ_PARAMS)

    def _batch_values(self, titles: list[str]) -> bytearray:
        """The `values.batchGet` answer for worksheets `titles`, undecoded."""
        ranges = [gp.quote_sheet(t) for t in titles]
        return self.http.collect("GET", f"{self.base}{self.spreadsheet_id}/values:batchGet",
                                 params={"ranges": ranges, **_READ_PARAMS})

    def _send(self, meta: _Meta, ws: gp.Tab, plan: gp.WritePlan,
              rekap: list[list[str]] | None) -> None:
        """The cells as one `values.batchUpdate` (RAW), split only beyond `max_write_bytes`.
        When the worker columns or the `Rekap` tab do not fit the grid yet (a sheet's first
        write), one small `spreadsheets.batchUpdate` widens it (or adds the tab) first: a kill
        in between leaves only a wider grid, which the next pass writes into."""
        grow = gp.grid_requests(ws, 0, plan.width)
        if rekap:
            height, width = len(rekap), max(len(r) for r in rekap)
            rekap_tab = meta.tab(REKAP_SHEET)
            if rekap_tab is None:
                new_id = max((t.sheet_id for t in meta.sheets), default=0) + 1
                rekap_tab = gp.Tab(new_id, REKAP_SHEET, height, width)
                grow.append(gp.add_sheet_request(rekap_tab))
                meta.sheets.append(rekap_tab)
            else:
                grow += gp.grid_requests(rekap_tab, height, width)
        if grow:
            self._post(":batchUpdate", {}, "requests",
                       [json.dumps(r).encode("ascii") for r in grow])
        rekap_rows: list[list[str | None]] = [list(r) for r in rekap or []]
        data = itertools.chain(
            gp.value_ranges(ws.title, gp.blocks(plan.rows)),
            gp.value_ranges(REKAP_SHEET, [gp.Block(0, 0, rekap_rows)] if rekap_rows else []))
        for group in gp.encoded_groups(data, self.max_write_bytes):
            self._post("/values:batchUpdate", {"valueInputOption": "RAW",
                                               "includeValuesInResponse": False}, "data", group)

    def _post(self, path: str, fields: dict[str, Any], key: str,
              encoded: list[bytes]) -> None:
        """One write request whose parts are already JSON (`gsheets_plan.encoded_groups`).
        The parts are let go (the list emptied) once joined into the body: a first import's
        body is ~9 MB, and the request should not hold it twice."""
        body = gp.json_body(fields, key, encoded)
        encoded.clear()
        self.http.call("POST", f"{self.base}{self.spreadsheet_id}{path}", data=body,
                       headers={"Content-Type": "application/json"})

    def _explain(self, status: int, reason: str, message: str) -> str:
        """An Indonesian message that tells the office worker what to do."""
        sid = self.spreadsheet_id
        if status == 401:
            return ("Kredensial Google ditolak (401): kunci akun layanan sudah dihapus/dicabut "
                    "atau token login sudah kedaluwarsa. Buat kunci baru di Google Cloud Console "
                    "(atau jalankan `aduan-sync auth login`), lalu perbarui `credentials_file`.")
        if status == 403 and reason in ("SERVICE_DISABLED", "accessNotConfigured"):
            return ("Google Sheets API belum diaktifkan untuk proyek Google Cloud akun ini. "
                    "Aktifkan Google Sheets API di Google Cloud Console, lalu coba lagi.")
        if status == 403:
            who = self.credentials.share_with
            return (f"Akses ke spreadsheet {sid} ditolak (403). Bagikan spreadsheet kepada "
                    f"{who} sebagai Editor (tombol Bagikan di Google Sheets).")
        if status == 404:
            return (f"Spreadsheet dengan ID {sid} tidak ditemukan (404). Periksa "
                    "`spreadsheet_id` di konfigurasi (salin dari alamat spreadsheet di "
                    "peramban): ID mungkin salah ketik, atau spreadsheet sudah dihapus.")
        return (f"Google Sheets menolak permintaan (HTTP {status}): {message}. Periksa bagian "
                "[source] konfigurasi (nama lembar kerja, ID spreadsheet).")


def _names(meta: _Meta) -> str:
    return ", ".join(repr(s.title) for s in meta.sheets) or "(tidak ada)"

