"""Pure parts of the Google Sheet source: values as the worker reads them, and a pass's
writes as compare-and-set decisions and request bodies. No I/O here.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import marshal
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, overload

from aduan_sync.headers import map_headers, normalize_header
from aduan_sync.identity import cell_text, locate_rows
from aduan_sync.sources.base import CellValue, SkippedUpdate, WriteBatch

#: Day 0 of Sheets' serial date-time numbers.
SERIAL_EPOCH = datetime(1899, 12, 30)
#: Rows per merged block: keeps every block far below the request size limit.
MAX_BLOCK_ROWS = 500
#: What one more range costs in a write's body: its A1 range and keys, ~60-90 bytes.
RANGE_BYTES = 80
#: Compact JSON: a space after each comma would be ~11 bytes a written row.
_COMPACT = (",", ":")


def quote_sheet(title: str) -> str:
    """A sheet name as A1 notation needs it: always quoted, quotes doubled."""
    return "'" + title.replace("'", "''") + "'"


def col_letters(index: int) -> str:
    """0 -> "A", 26 -> "AA"."""
    out = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def a1_box(title: str, row: int, col: int, height: int, width: int) -> str:
    """`'Form Responses 1'!K2:T3` for a box at 0-based (row, col)."""
    first = f"{col_letters(col)}{row + 1}"
    last = f"{col_letters(col + width - 1)}{row + height}"
    return f"{quote_sheet(title)}!{first}" + ("" if first == last else f":{last}")


def from_serial(serial: float) -> datetime:
    """A Sheets serial number as a naive datetime in the spreadsheet's own wall-clock time.

    Rounded to the millisecond: serials are doubles, and 10:00:00 must not read 09:59:59.999.
    """
    return SERIAL_EPOCH + timedelta(milliseconds=round(serial * 86_400_000))


def normalize_value(value: Any) -> CellValue:
    """JSON from the API -> a cell value: whole doubles become int (NIK, phone numbers)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if value == "":
        return None
    return value  # type: ignore[no-any-return]


def values_digest(title: str, timezone: str, values: Iterable[Sequence[Any]],
                  rekap: Iterable[Sequence[Any]] | None) -> str:
    """SHA-256 of a worksheet's values (and its `Rekap` tab) in one canonical form: as Google
    returns them, no trailing empty cells in a row and no trailing empty rows, so what the
    worker predicts after a write equals what the next read returns.

    Fed a row at a time (marshal, format 2: deterministic for the JSON types the API returns
    and ~4x faster than json.dumps), never as one copy of the sheet: 50,000 rows are about
    a million cells."""
    h = hashlib.sha256(marshal.dumps([title, timezone], 2))
    _feed(h, values)
    if rekap is None:
        h.update(b"\x00-")
    else:
        h.update(b"\x00+")
        _feed(h, rekap)
    return h.hexdigest()


_EMPTY_ROW = marshal.dumps([], 2)


def _feed(h: Any, rows: Iterable[Sequence[Any]]) -> None:
    pending = count = 0  # empty rows not yet hashed: only those before a non-empty one count
    for row in rows:
        cells = list(row)
        while cells and cells[-1] in ("", None):
            cells.pop()
        if not cells:
            pending += 1
            continue
        for _ in range(pending):
            h.update(_EMPTY_ROW)
        count += pending + 1
        pending = 0
        h.update(marshal.dumps(cells, 2))
    h.update(b"\x00%d" % count)


def applied(values: Sequence[Sequence[Any]], by_row: RowCells) -> Iterator[Sequence[Any]]:
    """The rows of `values` as they are after the cells `by_row` were written over them, one
    at a time (only the rows written to are copied)."""
    for i in range(max(len(values), max(by_row, default=-1) + 1)):
        writes = by_row.get(i)
        if not writes:
            yield values[i] if i < len(values) else ()
            continue
        row = list(values[i]) if i < len(values) else []
        for col, value in writes.items():
            row.extend([""] * (col + 1 - len(row)))
            row[col] = value
        yield row


def texts(values: Sequence[Sequence[Any]]) -> list[list[str]]:
    """A worksheet's cells as the text the worker compares (the `Rekap` tab)."""
    return [[cell_text(normalize_value(v)) for v in row] for row in values]


def convert_values(
    values: Sequence[Sequence[Any]],
    field_aliases: Mapping[str, Sequence[str]] | None,
    worker_headers: Mapping[str, str] | None,
) -> tuple[list[str], ConvertedRows]:
    """Header texts and data rows of an UNFORMATTED_VALUE / SERIAL_NUMBER read (as decoded by
    `gsheets_json.decode_values`). Rows stay as ragged as Google sends them; "" becomes None;
    numbers in the timestamp column become datetimes. `values` is left as it was (the source
    may write against it later, and hashes it as read)."""
    if not values:
        return [], ConvertedRows(values, None)
    headers = [cell_text(normalize_value(h)) for h in values[0]]
    ts_col = map_headers(headers, field_aliases, worker_headers).fields.get("timestamp")
    return headers, ConvertedRows(values, ts_col)


class ConvertedRows(Sequence[list[CellValue]]):
    """The data rows of `values` (row 0 is the header), each converted when it is used, not
    kept: the values may be packed (`gsheets_read.PackedRows`), and a 50,000-row sheet's cells
    as objects take ~150 MiB. The row used last is kept, as a write decides one row's cells
    in turn."""

    def __init__(self, values: Sequence[Sequence[Any]], ts_col: int | None) -> None:
        self._values, self._ts_col = values, ts_col
        self._last: tuple[int, list[CellValue]] = (-1, [])

    def __len__(self) -> int:
        return max(len(self._values) - 1, 0)

    def _convert(self, raw: Sequence[Any]) -> list[CellValue]:
        row = [None if v == "" else v for v in raw]
        ts_col = self._ts_col
        if ts_col is not None and ts_col < len(row):
            v = row[ts_col]
            if type(v) is int or type(v) is float:
                row[ts_col] = from_serial(v)
        return row

    @overload
    def __getitem__(self, i: int) -> list[CellValue]: ...

    @overload
    def __getitem__(self, i: slice) -> list[list[CellValue]]: ...

    def __getitem__(self, i: int | slice) -> list[CellValue] | list[list[CellValue]]:
        if isinstance(i, slice):
            return [self[j] for j in range(len(self))[i]]
        i = range(len(self))[i]  # IndexError, negative indexes
        if self._last[0] != i:
            self._last = (i, self._convert(self._values[i + 1]))
        return self._last[1]

    def __iter__(self) -> Iterator[list[CellValue]]:
        return map(self._convert, itertools.islice(self._values, 1, None))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ConvertedRows({list(self)!r})"


@dataclass
class Tab:
    """A worksheet as the metadata describes it (the grid size is what limits writes)."""

    sheet_id: int
    title: str
    row_count: int
    col_count: int


def grid_requests(tab: Tab, rows: int, cols: int) -> list[dict[str, Any]]:
    """`appendDimension` requests that make `tab` at least `rows` x `cols` (updates `tab`)."""
    out = []
    for dim, have, need in (("ROWS", tab.row_count, rows), ("COLUMNS", tab.col_count, cols)):
        if need > have:
            out.append({"appendDimension": {"sheetId": tab.sheet_id, "dimension": dim,
                                            "length": need - have}})
    tab.row_count, tab.col_count = max(tab.row_count, rows), max(tab.col_count, cols)
    return out


def add_sheet_request(tab: Tab) -> dict[str, Any]:
    return {"addSheet": {"properties": {
        "sheetId": tab.sheet_id, "title": tab.title,
        "gridProperties": {"rowCount": tab.row_count, "columnCount": tab.col_count}}}}


@dataclass(frozen=True, slots=True)
class CellWrite:
    row: int  # 0-based sheet row (0 is the header row)
    col: int
    value: str


#: Cells to write by 0-based sheet row, then column: one dict a row, not an object a cell
#: (a first import of 50,000 rows writes ~350,000 cells).
RowCells = dict[int, dict[int, str]]


def group_by_row(cells: Iterable[CellWrite]) -> RowCells:
    """Cells grouped by row, a later cell replacing an earlier one in the same place."""
    rows: RowCells = {}
    for cell in cells:
        rows.setdefault(cell.row, {})[cell.col] = cell.value
    return rows


@dataclass
class WritePlan:
    """What to send: header cells and data cells (`rows`), and what was decided about each
    update."""

    rows: RowCells = field(default_factory=dict)
    written: int = 0
    skipped: list[SkippedUpdate] = field(default_factory=list)

    def set(self, row: int, col: int, value: str) -> None:
        self.rows.setdefault(row, {})[col] = value

    @property
    def cells(self) -> list[CellWrite]:
        """Every cell to write, row by row (for callers that go cell by cell)."""
        return [CellWrite(r, c, v) for r, cols in self.rows.items() for c, v in cols.items()]

    @property
    def width(self) -> int:
        """Columns the grid needs to hold every cell."""
        return max((max(cols) + 1 for cols in self.rows.values()), default=0)


def plan_write(
    headers: list[str],
    rows: Sequence[Sequence[CellValue]],
    batch: WriteBatch,
    field_aliases: Mapping[str, Sequence[str]] | None = None,
    worker_headers: Mapping[str, str] | None = None,
) -> WritePlan:
    """Decide each update against the sheet as it is now (`headers`, `rows` just re-read).

    Rows are found by anchor, never by position; a cell whose text is no longer what the
    worker read (`expected`) is left alone: a staff member wrote there in between.
    """
    plan = WritePlan()
    final = list(headers)
    known = {normalize_header(h) for h in headers if normalize_header(h)}
    for text in batch.add_headers:
        if normalize_header(text) not in known:
            plan.set(0, len(final), text)
            final.append(text)
            known.add(normalize_header(text))
    column: dict[str, int] = {}
    for i, h in enumerate(final):
        column.setdefault(normalize_header(h), i)

    hmap = map_headers(headers, field_aliases, worker_headers)
    where = locate_rows(hmap, rows, list(dict.fromkeys(u.anchor for u in batch.updates)))
    for update in batch.updates:
        idx = where.get(update.anchor)
        col = column.get(normalize_header(update.column))
        if idx is None:
            plan.skipped.append(SkippedUpdate(update, "row-not-found"))
            continue
        if col is None:
            plan.skipped.append(SkippedUpdate(update, "column-not-found"))
            continue
        row = rows[idx]
        current = cell_text(row[col]) if col < len(row) else ""
        if update.expected is not None and current != update.expected:
            plan.skipped.append(SkippedUpdate(update, "changed-by-staff"))
            continue
        plan.written += 1
        if current != update.value:
            plan.set(idx + 1, col, update.value)  # a later update of the cell wins
    return plan


@dataclass(frozen=True)
class Block:
    """A rectangle of values to write; None leaves a cell as it is."""

    row: int
    col: int
    values: list[list[str | None]]


def blocks(by_row: RowCells) -> Iterator[Block]:
    """Group cells into few rectangles, in row order. A row ends at its last written cell;
    a cell before it that the worker leaves as it is travels as `null` (5 bytes), and a row
    with nothing to write between two that have, as `[null]` (7 bytes). A row joins the
    block above it when the nulls it adds there (its own leading ones, the rows above
    widened to the left, the rows skipped) cost fewer bytes than a new range would
    (`RANGE_BYTES`). A first import is one range per `MAX_BLOCK_ROWS` rows. Yielded as
    built: each block is let go once encoded."""
    open_rows: list[tuple[int, dict[int, str]]] = []  # the open block's rows (with gaps)
    c0 = last = filled = 0  # the open block's first column, last row, rows with cells
    for r in sorted(by_row):
        cols = by_row[r]
        lo = min(cols)
        if open_rows:
            n0, gap = min(c0, lo), r - last - 1
            cost = 5 * (lo - n0) + 5 * (c0 - n0) * filled + 7 * gap
            if cost < RANGE_BYTES and len(open_rows) + gap < MAX_BLOCK_ROWS:
                open_rows.extend((g, {}) for g in range(last + 1, r))
                open_rows.append((r, cols))
                c0, last, filled = n0, r, filled + 1
                continue
            yield _block(open_rows, c0)
        open_rows, c0, last, filled = [(r, cols)], lo, r, 1
    if open_rows:
        yield _block(open_rows, c0)


def _block(rows: list[tuple[int, dict[int, str]]], c0: int) -> Block:
    """Consecutive rows as one rectangle from column c0; each row as long as its last
    written cell (Sheets leaves the cells past a row's end as they are)."""
    return Block(rows[0][0], c0, [[cols.get(c) for c in range(c0, max(cols) + 1)]
                                  if cols else [None] for _, cols in rows])


def value_ranges(title: str, parts: Iterable[Block]) -> Iterator[dict[str, Any]]:
    """`data` entries of a `values.batchUpdate`, one block at a time."""
    return (
        {"range": a1_box(title, b.row, b.col, len(b.values), max(map(len, b.values))),
         "majorDimension": "ROWS", "values": b.values}
        for b in parts
    )


def encoded_groups(items: Iterable[Mapping[str, Any]], limit: int,
                   overhead: int = 1024) -> Iterator[list[bytes]]:
    """Request parts as JSON, in groups whose body stays under `limit` bytes each.

    Each part is encoded once, as it comes, straight to bytes: the request body is these
    parts joined, so a write of 50,000 rows never holds all its parts as objects, nor its
    text twice (as str, then as bytes). ASCII-only (`ensure_ascii`, as `requests` encodes;
    an emoji is 12 bytes)."""
    group: list[bytes] = []
    size = overhead
    for item in items:
        part = json.dumps(item, separators=_COMPACT).encode("ascii")
        n = len(part) + 1
        if group and size + n > limit:
            yield group
            group, size = [], overhead
        group.append(part)
        size += n
    if group:
        yield group


def chunk(items: Iterable[Mapping[str, Any]], limit: int,
          overhead: int = 1024) -> list[list[dict[str, Any]]]:
    """Split request parts into groups whose JSON stays under `limit` bytes each."""
    return [[json.loads(part) for part in group]
            for group in encoded_groups(items, limit, overhead)]


def json_body(fields: Mapping[str, Any], key: str, encoded: Sequence[bytes]) -> bytes:
    """A JSON request body: `fields`, and under `key` the list of already encoded parts."""
    head = json.dumps(dict(fields), separators=_COMPACT)[:-1]
    sep = "," if fields else ""
    return b"".join([f'{head}{sep}"{key}":['.encode("ascii"), b",".join(encoded), b"]}"])
