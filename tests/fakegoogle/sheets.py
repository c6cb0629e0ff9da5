"""The fake's spreadsheets: grids of stored values, and the Sheets v4 operations on them.

Everything here runs under the server's state lock; methods raise `ApiError` with the same
code and message shape Google uses (grid limits, unknown sheets, bad ranges).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.fakegoogle import a1
from tests.fakegoogle.errors import ApiError, grid_error
from tests.fakegoogle.values import (
    DATETIME_RENDER,
    VALUE_INPUT,
    VALUE_RENDER,
    cell_data_value,
    input_value,
    render,
)


@dataclass
class Sheet:
    """One worksheet: a grid of `row_count` x `col_count` cells, stored as ragged rows."""

    sheet_id: int
    title: str
    index: int
    row_count: int = 1000
    col_count: int = 26
    rows: list[list[Any]] = field(default_factory=list)
    frozen_row_count: int = 0

    def properties(self) -> dict[str, Any]:
        grid: dict[str, Any] = {"rowCount": self.row_count, "columnCount": self.col_count}
        if self.frozen_row_count:
            grid["frozenRowCount"] = self.frozen_row_count
        return {
            "sheetId": self.sheet_id,
            "title": self.title,
            "index": self.index,
            "sheetType": "GRID",
            "gridProperties": grid,
        }

    def cell(self, r: int, c: int) -> Any:
        if r < len(self.rows) and c < len(self.rows[r]):
            return self.rows[r][c]
        return None

    def set_cell(self, r: int, c: int, value: Any) -> None:
        """Store one value; ints become doubles (all Sheets numbers are), "" empties."""
        if isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if value == "":
            value = None
        if value is None and self.cell(r, c) is None:
            return
        while len(self.rows) <= r:
            self.rows.append([])
        row = self.rows[r]
        if len(row) <= c:
            row.extend([None] * (c + 1 - len(row)))
        row[c] = value

    def bounds(self, rng: a1.A1Range) -> tuple[int, int, int, int]:
        """The box a range covers, with open ends closed at the grid; 400 outside it."""
        r1 = self.row_count if rng.r1 is None else rng.r1
        c1 = self.col_count if rng.c1 is None else rng.c1
        if r1 > self.row_count or c1 > self.col_count or rng.r0 >= max(r1, 1):
            text = a1.format_range(self.title, rng.r0, rng.c0, max(r1, rng.r0 + 1), c1)
            raise grid_error(text, self.row_count, self.col_count)
        return rng.r0, rng.c0, r1, c1

    def check_box(self, r0: int, c0: int, r1: int, c1: int) -> None:
        if r1 > self.row_count or c1 > self.col_count:
            text = a1.format_range(self.title, r0, c0, r1, c1)
            raise grid_error(text, self.row_count, self.col_count)

    def read(self, r0: int, c0: int, r1: int, c1: int) -> list[list[Any]]:
        """Stored values of the box, trimmed like Google (no trailing empty cells or rows)."""
        out: list[list[Any]] = []
        for r in range(r0, min(r1, len(self.rows))):
            row = self.rows[r][c0:c1]
            while row and row[-1] is None:
                row.pop()
            out.append(row)
        while out and not out[-1]:
            out.pop()
        return out

    def insert(self, dimension: str, start: int, end: int) -> None:
        n = end - start
        if dimension == "ROWS":
            if start > self.row_count:
                raise ApiError(400, f"Invalid requests[0].insertDimension: startIndex {start}")
            if start < len(self.rows):
                self.rows[start:start] = [[] for _ in range(n)]
            self.row_count += n
        else:
            if start > self.col_count:
                raise ApiError(400, f"Invalid requests[0].insertDimension: startIndex {start}")
            for row in self.rows:
                if start < len(row):
                    row[start:start] = [None] * n
            self.col_count += n

    def delete(self, dimension: str, start: int, end: int) -> None:
        limit = self.row_count if dimension == "ROWS" else self.col_count
        if not 0 <= start < end <= limit:
            raise ApiError(400, f"Invalid requests[0].deleteDimension: range {start}:{end}")
        if dimension == "ROWS":
            if end - start >= self.row_count:
                raise ApiError(400, "Invalid requests[0].deleteDimension: "
                               "You can't delete all the rows on the sheet.")
            del self.rows[start:end]
            self.row_count -= end - start
        else:
            for row in self.rows:
                del row[start:end]
            self.col_count -= end - start


def _rfc3339_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Spreadsheet:
    """A spreadsheet file. `access` maps principal email -> "reader"|"writer"; None: anyone.

    `version` is Drive's file version: bumped by every change (API writes and the fake's
    control helpers alike), as Drive's "reflects every change made to the file"."""

    spreadsheet_id: str
    title: str
    locale: str = "id_ID"
    time_zone: str = "Asia/Jakarta"
    sheets: list[Sheet] = field(default_factory=list)
    access: dict[str, str] | None = None
    version: int = 1
    modified_time: str = field(default_factory=_rfc3339_now)

    def touch(self) -> None:
        """Record a change of the file (Drive's `version` and `modifiedTime`)."""
        self.version += 1
        self.modified_time = _rfc3339_now()

    def drive_metadata(self) -> dict[str, Any]:
        """The file as Drive v3 `files.get` describes it (int64 `version` as a string)."""
        return {
            "kind": "drive#file",
            "id": self.spreadsheet_id,
            "name": self.title,
            "mimeType": "application/vnd.google-apps.spreadsheet",
            "version": str(self.version),
            "modifiedTime": self.modified_time,
            "trashed": False,
        }

    def metadata(self) -> dict[str, Any]:
        return {
            "spreadsheetId": self.spreadsheet_id,
            "properties": {
                "title": self.title,
                "locale": self.locale,
                "autoRecalc": "ON_CHANGE",
                "timeZone": self.time_zone,
            },
            "sheets": [{"properties": s.properties()} for s in self.sheets],
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{self.spreadsheet_id}/edit",
        }

    def sheet(self, title: str) -> Sheet:
        for s in self.sheets:
            if s.title == title:
                return s
        raise ApiError(400, f"Unable to parse range: {a1.quote_sheet(title)}")

    def sheet_by_id(self, sheet_id: Any) -> Sheet:
        for s in self.sheets:
            if s.sheet_id == sheet_id:
                return s
        raise ApiError(400, f"Invalid requests: No grid with id: {sheet_id}")

    def resolve(self, text: str) -> tuple[Sheet, a1.A1Range]:
        try:
            rng = a1.parse(text)
        except a1.A1Error as e:
            raise ApiError(400, f"Unable to parse range: {text}") from e
        if rng.sheet is None:
            return self.sheets[0], rng
        try:
            return self.sheet(rng.sheet), rng
        except ApiError as e:
            raise ApiError(400, f"Unable to parse range: {text}") from e

    # -- values ---------------------------------------------------------------------------

    def get_values(self, text: str, params: dict[str, str]) -> dict[str, Any]:
        """`spreadsheets.values.get` of one range."""
        vr = params.get("valueRenderOption", "FORMATTED_VALUE")
        dr = params.get("dateTimeRenderOption", "FORMATTED_STRING")
        if vr not in VALUE_RENDER or dr not in DATETIME_RENDER:
            raise ApiError(400, f"Invalid value render options: {vr}, {dr}")
        if params.get("majorDimension", "ROWS") != "ROWS":
            raise ApiError(400, "majorDimension COLUMNS is not supported by the fake")
        sheet, rng = self.resolve(text)
        r0, c0, r1, c1 = sheet.bounds(rng)
        out: dict[str, Any] = {
            "range": a1.format_range(sheet.title, r0, c0, r1, c1),
            "majorDimension": "ROWS",
        }
        stored = sheet.read(r0, c0, r1, c1)
        if stored:
            loc = self.locale
            # Text is most cells and renders as itself: skip the call (50,000-row benchmarks).
            out["values"] = [
                [v if type(v) is str else "" if v is None else render(v, vr, dr, loc)
                 for v in row]
                for row in stored
            ]
        return out

    def plan_write(self, vrange: dict[str, Any], option: str) -> tuple[Sheet, int, int, list]:
        """Validate one ValueRange of a write; returns where and what, applying nothing."""
        if option not in VALUE_INPUT:
            raise ApiError(400, "'valueInputOption' is required but not specified")
        if vrange.get("majorDimension", "ROWS") != "ROWS":
            raise ApiError(400, "majorDimension COLUMNS is not supported by the fake")
        sheet, rng = self.resolve(str(vrange.get("range", "")))
        values = vrange.get("values") or []
        height = len(values)
        width = max((len(r) for r in values), default=0)
        if rng.single_cell:
            r1, c1 = rng.r0 + height, rng.c0 + width
        else:
            r1 = rng.r1 if rng.r1 is not None else max(sheet.row_count, rng.r0 + height)
            c1 = rng.c1 if rng.c1 is not None else max(sheet.col_count, rng.c0 + width)
            if rng.r0 + height > r1 or rng.c0 + width > c1:
                raise ApiError(
                    400,
                    f"Requested writing within range [{vrange.get('range')}], but tried writing "
                    f"to row [{rng.r0 + height}] column [{a1.col_letters(rng.c0 + width - 1)}]",
                )
        if height and width:
            sheet.check_box(rng.r0, rng.c0, rng.r0 + height, rng.c0 + width)
        return sheet, rng.r0, rng.c0, values

    def apply_write(self, sheet: Sheet, r0: int, c0: int, values: list, option: str) -> int:
        self.touch()
        cells = 0
        for dr, row in enumerate(values):
            for dc, v in enumerate(row):
                skip, stored = input_value(v, option)
                if not skip:
                    sheet.set_cell(r0 + dr, c0 + dc, stored)
                    cells += 1
        return cells

    def update_response(self, sheet: Sheet, r0: int, c0: int, values: list) -> dict[str, Any]:
        height = len(values)
        width = max((len(r) for r in values), default=0)
        return {
            "spreadsheetId": self.spreadsheet_id,
            "updatedRange": a1.format_range(sheet.title, r0, c0, r0 + max(height, 1),
                                            c0 + max(width, 1)),
            "updatedRows": height,
            "updatedColumns": width,
            "updatedCells": sum(len(r) for r in values),
        }

    def batch_update_values(self, body: dict[str, Any]) -> dict[str, Any]:
        """`spreadsheets.values.batchUpdate`: all ranges validated first (it is atomic)."""
        option = body.get("valueInputOption", "")
        plans = [self.plan_write(vr, option) for vr in body.get("data") or []]
        responses = []
        for sheet, r0, c0, values in plans:
            self.apply_write(sheet, r0, c0, values, option)
            responses.append(self.update_response(sheet, r0, c0, values))
        return {
            "spreadsheetId": self.spreadsheet_id,
            "totalUpdatedRows": sum(r["updatedRows"] for r in responses),
            "totalUpdatedColumns": sum(r["updatedColumns"] for r in responses),
            "totalUpdatedCells": sum(r["updatedCells"] for r in responses),
            "totalUpdatedSheets": len({id(p[0]) for p in plans}),
            "responses": responses,
        }

    # -- spreadsheets.batchUpdate ---------------------------------------------------------

    def snapshot(self) -> list[tuple[Sheet, Sheet]]:
        """A copy to roll back to: Google applies a batchUpdate entirely or not at all."""
        return [
            (s, Sheet(s.sheet_id, s.title, s.index, s.row_count, s.col_count,
                      [list(r) for r in s.rows], s.frozen_row_count))
            for s in self.sheets
        ]

    def restore(self, snap: list[tuple[Sheet, Sheet]]) -> None:
        self.sheets = []
        for live, copy in snap:
            live.__dict__.update(copy.__dict__)
            self.sheets.append(live)

    def batch_update(self, body: dict[str, Any]) -> dict[str, Any]:
        requests = body.get("requests") or []
        if not requests:
            raise ApiError(400, "Must specify at least one request.")
        snap = self.snapshot()
        replies = []
        try:
            for i, req in enumerate(requests):
                replies.append(self._apply(i, req))
        except ApiError:
            self.restore(snap)
            raise
        self.touch()
        return {"spreadsheetId": self.spreadsheet_id, "replies": replies}

    def _apply(self, i: int, req: dict[str, Any]) -> dict[str, Any]:
        if len(req) != 1:
            raise ApiError(400, f"Invalid requests[{i}]: exactly one kind of request expected")
        kind, arg = next(iter(req.items()))
        handler = getattr(self, "_req_" + kind, None)
        if handler is None:
            raise ApiError(400, f"Invalid requests[{i}]: {kind} is not supported by the fake")
        return handler(arg)

    def _req_addSheet(self, arg: dict[str, Any]) -> dict[str, Any]:
        props = arg.get("properties", {})
        title = props.get("title") or f"Sheet{len(self.sheets) + 1}"
        if any(s.title == title for s in self.sheets):
            raise ApiError(400, f'Invalid requests[0].addSheet: A sheet with the name "{title}"'
                           " already exists. Please enter another name.")
        grid = props.get("gridProperties", {})
        new_id = props.get("sheetId", max((s.sheet_id for s in self.sheets), default=0) + 1)
        sheet = Sheet(new_id, title, len(self.sheets), grid.get("rowCount", 1000),
                      grid.get("columnCount", 26))
        self.sheets.append(sheet)
        return {"addSheet": {"properties": sheet.properties()}}

    def _req_appendDimension(self, arg: dict[str, Any]) -> dict[str, Any]:
        sheet = self.sheet_by_id(arg.get("sheetId", 0))
        length = int(arg.get("length", 0))
        if length <= 0:
            raise ApiError(400, "Invalid requests[0].appendDimension: length must be > 0")
        if arg.get("dimension") == "ROWS":
            sheet.row_count += length
        elif arg.get("dimension") == "COLUMNS":
            sheet.col_count += length
        else:
            raise ApiError(400, "Invalid requests[0].appendDimension: dimension required")
        return {}

    def _dim_range(self, arg: dict[str, Any]) -> tuple[Sheet, str, int, int]:
        rng = arg.get("range", {})
        dim = rng.get("dimension")
        if dim not in ("ROWS", "COLUMNS"):
            raise ApiError(400, "Invalid dimension range: dimension required")
        start, end = int(rng.get("startIndex", 0)), int(rng.get("endIndex", 0))
        if end <= start:
            raise ApiError(400, "Invalid dimension range: endIndex must exceed startIndex")
        return self.sheet_by_id(rng.get("sheetId", 0)), dim, start, end

    def _req_insertDimension(self, arg: dict[str, Any]) -> dict[str, Any]:
        sheet, dim, start, end = self._dim_range(arg)
        sheet.insert(dim, start, end)
        return {}

    def _req_deleteDimension(self, arg: dict[str, Any]) -> dict[str, Any]:
        sheet, dim, start, end = self._dim_range(arg)
        sheet.delete(dim, start, end)
        return {}

    def _req_updateCells(self, arg: dict[str, Any]) -> dict[str, Any]:
        fields = arg.get("fields", "")
        if fields not in ("userEnteredValue", "*"):
            raise ApiError(400, f"Invalid requests[0].updateCells: fields {fields!r} "
                           "not supported by the fake")
        if "start" in arg:
            start = arg["start"]
        else:
            rng = arg.get("range", {})
            start = {"sheetId": rng.get("sheetId", 0), "rowIndex": rng.get("startRowIndex", 0),
                     "columnIndex": rng.get("startColumnIndex", 0)}
        sheet = self.sheet_by_id(start.get("sheetId", 0))
        r0, c0 = int(start.get("rowIndex", 0)), int(start.get("columnIndex", 0))
        rows = arg.get("rows") or []
        width = max((len(r.get("values") or []) for r in rows), default=0)
        if rows and width:
            sheet.check_box(r0, c0, r0 + len(rows), c0 + width)
        for dr, row in enumerate(rows):
            for dc, cell in enumerate(row.get("values") or []):
                sheet.set_cell(r0 + dr, c0 + dc, cell_data_value(cell))
        return {}

    def _req_updateSheetProperties(self, arg: dict[str, Any]) -> dict[str, Any]:
        props = arg.get("properties", {})
        sheet = self.sheet_by_id(props.get("sheetId", 0))
        fields = {f.strip() for f in str(arg.get("fields", "")).split(",") if f.strip()}
        grid = props.get("gridProperties", {})
        if "title" in fields or "*" in fields:
            sheet.title = props.get("title", sheet.title)
        if "gridProperties.frozenRowCount" in fields:
            sheet.frozen_row_count = int(grid.get("frozenRowCount", 0))
        if "gridProperties.rowCount" in fields:
            sheet.row_count = int(grid["rowCount"])
        if "gridProperties.columnCount" in fields:
            sheet.col_count = int(grid["columnCount"])
        return {}
