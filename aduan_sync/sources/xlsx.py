"""A local `.xlsx` workbook standing in for the Google Sheet (the embedded default).

The workbook is the staff's too: other sheets, formatting and staff columns are kept; writes go
to a temporary file renamed over the original (atomic on one file system); and while the file
is open in LibreOffice or Excel (their lock file exists) the source refuses, because saving
over a file someone is editing would lose their work or ours. For the same reason it refuses
to save a workbook holding what openpyxl would leave out of the file it writes (shapes,
sparklines, threaded comments...: `xlsx_parts`).
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from aduan_sync import defaults
from aduan_sync.config import Config
from aduan_sync.errors import SourceBusyError, SourceContentError, SourceError
from aduan_sync.fsutil import remove_stale_temporaries
from aduan_sync.headers import map_headers, normalize_header
from aduan_sync.identity import cell_text, locate_rows
from aduan_sync.model import FORM_FIELDS
from aduan_sync.rekap import REKAP_SHEET
from aduan_sync.sources.base import (
    CellValue,
    SheetSnapshot,
    SheetVersion,
    SkippedUpdate,
    WriteBatch,
    WriteResult,
    table_at_hand,
)
from aduan_sync.sources.xlsx_parts import describe, lost


@contextmanager
def _quiet() -> Iterator[None]:
    """Without openpyxl's warning, in English and while it reads, that it will drop an Excel
    extension it does not model (sparklines, ...): `XlsxSource._save` refuses to drop it and
    says so in Indonesian; the warning would only confuse the operator reading the log."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".* is not supported and will be removed",
                                category=UserWarning, module="openpyxl")
        yield


def lock_files(path: Path) -> list[Path]:
    """Lock files LibreOffice (`.~lock.NAME#`) and Excel (`~$NAME`) leave beside an open file."""
    candidates = [path.with_name(f".~lock.{path.name}#"), path.with_name(f"~${path.name}")]
    if len(path.name) > 2:
        # Excel shortens long names: `~$` replaces the first two characters.
        candidates.append(path.with_name(f"~${path.name[2:]}"))
    return [p for p in candidates if p.exists()]


class XlsxSource:
    """Form responses in a local workbook; `[source] backend = "xlsx"`, `path = ...`."""

    def __init__(self, cfg: Config) -> None:
        assert cfg.source.path is not None
        self.path = cfg.source.path
        self.worksheet_name = cfg.source.worksheet
        self.timezone = cfg.office.timezone
        self.field_aliases = cfg.field_aliases
        self.worker_headers = cfg.worker_headers
        self._read_digest = ""  # of the workbook as the last `read()` saw it

    def describe(self) -> str:
        return f"berkas {self.path}"

    def details(self) -> list[tuple[str, str]]:
        snap = self.read()
        return [
            ("Berkas", str(self.path)),
            ("Lembar kerja", snap.worksheet),
            ("Zona waktu", snap.timezone),
            ("Jumlah baris data", str(len(snap.rows))),
        ]

    # -- reading ----------------------------------------------------------------------------

    def _check_available(self) -> None:
        if not self.path.is_file():
            raise SourceError(
                f"Berkas lembar kerja tidak ditemukan: {self.path}. "
                "Periksa `[source] path` pada konfigurasi."
            )
        locks = lock_files(self.path)
        if locks:
            raise SourceBusyError(
                f"Berkas {self.path.name} sedang dibuka di program lain (LibreOffice/Excel). "
                "Tutup berkas tersebut terlebih dahulu, lalu jalankan ulang; tidak ada data "
                "yang diubah.",
                detail=f"berkas kunci: {locks[0]}",
            )

    def _load(self, read_only: bool) -> tuple[Workbook, bytes]:
        """The workbook, and the very bytes it was loaded from."""
        self._check_available()
        try:
            data = self.path.read_bytes()
            with _quiet():
                wb = openpyxl.load_workbook(io.BytesIO(data), read_only=read_only,
                                            data_only=False)
            return wb, data
        except (OSError, KeyError, ValueError, TypeError) as e:
            raise SourceError(
                f"Berkas {self.path.name} tidak dapat dibaca sebagai buku kerja .xlsx.",
                detail=str(e),
            ) from e

    def _pick_sheet(self, wb: Workbook) -> Worksheet:
        names = wb.sheetnames
        if self.worksheet_name:
            if self.worksheet_name not in names:
                raise SourceError(
                    f"Lembar kerja {self.worksheet_name!r} tidak ada di {self.path.name}; "
                    f"yang ada: {', '.join(names)}."
                )
            return wb[self.worksheet_name]
        for name in defaults.RESPONSE_SHEET_NAMES:
            if name in names:
                return wb[name]
        stamps = {normalize_header(a) for a in FORM_FIELDS["timestamp"]}
        stamps |= {normalize_header(a) for a in self.field_aliases.get("timestamp", ())}
        for ws in wb.worksheets:
            first = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
            if any(normalize_header(h) in stamps for h in first):
                return ws
        return wb.worksheets[0]

    def version(self) -> SheetVersion:
        """Unknown: reading a local workbook costs no request, and its digest (the file's
        bytes) already tells an unchanged workbook, where a stat could be fooled by a copy
        that keeps size and mtime."""
        return SheetVersion()

    @staticmethod
    def _digest(file_sha: str, worksheet: str) -> str:
        return hashlib.sha256(f"{file_sha}/{worksheet}".encode()).hexdigest()

    def read(self) -> SheetSnapshot:
        wb, data = self._load(read_only=True)
        with _quiet(), closing(wb):  # read-only: the sheet is read as iterated
            ws = self._pick_sheet(wb)
            headers, rows = _grid(ws.iter_rows(values_only=True))
            rekap = None
            self._read_digest = digest = self._digest(_sha256(data), ws.title)
            if REKAP_SHEET in wb.sheetnames and ws.title != REKAP_SHEET:
                rekap = [[cell_text(v) for v in r]
                         for r in wb[REKAP_SHEET].iter_rows(values_only=True)]
            return SheetSnapshot(
                title=self.path.stem,
                worksheet=ws.title,
                timezone=self.timezone,
                table=table_at_hand(headers, rows),
                rekap_of=lambda: rekap,
                digest_of=lambda: digest,
            )

    # -- writing ----------------------------------------------------------------------------

    def write(self, batch: WriteBatch) -> WriteResult:
        """Apply `batch` to the workbook as it is on disk now, then save atomically. The
        digest after the write is returned only when the workbook was still the one `read()`
        saw: a response added meanwhile must make the next pass read, not look idle."""
        if not batch:
            return WriteResult(written=0)
        wb, original = self._load(read_only=False)
        ws = self._pick_sheet(wb)
        unchanged = self._digest(_sha256(original), ws.title) == self._read_digest
        headers, rows = _grid(ws.iter_rows(values_only=True))
        for header in batch.add_headers:
            if normalize_header(header) not in {normalize_header(h) for h in headers}:
                headers.append(header)
                _set(ws, 1, len(headers), header)
        hmap = map_headers(headers, self.field_aliases, self.worker_headers)
        col_of = {normalize_header(h): i for i, h in reversed(list(enumerate(headers)))}
        located = locate_rows(hmap, rows, [u.anchor for u in batch.updates])
        written = 0
        skipped: list[SkippedUpdate] = []
        for u in batch.updates:
            idx = located.get(u.anchor)
            col = col_of.get(normalize_header(u.column))
            if idx is None or col is None:
                skipped.append(SkippedUpdate(u, "row-not-found"))
                continue
            current = rows[idx][col] if col < len(rows[idx]) else None
            if u.expected is not None and cell_text(current) != u.expected:
                skipped.append(SkippedUpdate(u, "changed-by-staff"))
                continue
            _set(ws, idx + 2, col + 1, u.value)
            written += 1
        if batch.rekap is not None:
            _write_rekap(wb, batch.rekap)
        digest = ""
        if written or batch.add_headers or batch.rekap is not None:
            saved = self._save(wb, original)
            digest = self._digest(saved, ws.title) if unchanged else ""
        wb.close()
        return WriteResult(written=written, skipped=skipped, digest=digest)

    def save_losses(self) -> list[str]:
        """For `check`: what saving the workbook as it is now would lose (Indonesian; empty:
        nothing). The workbook is saved in memory only."""
        wb, original = self._load(read_only=False)
        try:
            losses = lost(original, _saved(wb))
        finally:
            wb.close()
        if not losses:
            return []
        return [f"{self._at_risk(losses)} Penulisan ke lembar kerja akan ditolak sampai isi "
                "tersebut dipindahkan ke buku kerja lain atau dihapus dari berkas ini."]

    def _at_risk(self, losses: dict[str, tuple[int, int]]) -> str:
        return (f"Buku kerja {self.path.name} berisi {describe(losses)} yang akan hilang bila "
                "aduan-sync menyimpannya (pustaka openpyxl tidak dapat mempertahankannya).")

    def _save(self, wb: Workbook, original: bytes) -> str:
        """Save atomically; returns the SHA-256 of the bytes saved. Refuses when the bytes
        openpyxl wrote lack content of `original` (the workbook as loaded)."""
        self._check_available()  # someone may have opened it while we worked
        mode = self.path.stat().st_mode & 0o777
        remove_stale_temporaries(self.path.parent, f".{self.path.stem}.")
        data = _saved(wb)
        losses = lost(original, data)
        if losses:
            raise SourceContentError(
                f"{self._at_risk(losses)} Berkas tidak diubah. Nomor register dan arsip aduan "
                "tetap dicatat, tetapi penulisan ke lembar kerja dan pengiriman email menunggu "
                "sampai isi tersebut dipindahkan ke buku kerja lain atau dihapus dari berkas "
                "ini; lalu jalankan ulang. Periksa dengan `aduan-sync check`.",
                detail="; ".join(f"{k}: {n} -> {m}" for k, (n, m) in losses.items()),
            )
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.stem}.", suffix=".tmp",
                                   dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return _sha256(data)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _saved(wb: Workbook) -> bytes:
    """The bytes openpyxl writes for `wb`."""
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _write_rekap(wb: Workbook, grid: list[list[str]]) -> None:
    """Replace the `Rekap` worksheet's values (created at the end if missing), as text."""
    ws = wb[REKAP_SHEET] if REKAP_SHEET in wb.sheetnames else wb.create_sheet(REKAP_SHEET)
    for r, row in enumerate(grid, start=1):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c)
            cell.value = value or None
            if value:
                cell.data_type = "s"


def _set(ws: Worksheet, row: int, col: int, value: str) -> None:
    cell = ws.cell(row=row, column=col)
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text, never a formula


def _grid(rows: Iterable[tuple[Any, ...]]) -> tuple[list[str], list[list[CellValue]]]:
    """Header texts and data rows, with trailing empty rows and columns dropped."""
    it = iter(rows)
    first = next(it, ())
    headers = ["" if h is None else str(h).strip() for h in first]
    while headers and not headers[-1]:
        headers.pop()
    data: list[list[CellValue]] = [list(r) for r in it]
    while data and not any(cell_text(v) for v in data[-1]):
        data.pop()
    return headers, data
