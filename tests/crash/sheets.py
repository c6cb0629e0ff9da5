"""The response sheet as staff and citizens touch it during the crash trials: a real `.xlsx`
workbook on disk, or a spreadsheet in the fake Google server. Rows are found by the reporter's
name, which the harness makes unique, never by position (staff sort the sheet)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import openpyxl

from tests.fakegoogle.fake import FakeGoogle

NAME = "Nama Lengkap"
OTHER_SHEET = "Catatan Petugas"
OTHER_CONTENT = [["milik petugas", "jangan diubah"], ["rapat koordinasi", "Senin 08.00"]]


class StaffSheet(Protocol):
    """What the harness does to the response sheet, and how it reads it back."""

    def append(self, rows: Sequence[Sequence[Any]]) -> None: ...
    def records(self) -> list[dict[str, Any]]: ...
    def set(self, name: str, header: str, value: Any) -> None: ...
    def sort(self, key: Callable[[dict[str, Any]], Any]) -> None: ...
    def other_sheet(self) -> list[list[Any]]: ...


class XlsxSheet:
    """The local workbook, edited with openpyxl between passes (as LibreOffice would save it)."""

    def __init__(self, path: Path, headers: Sequence[str], worksheet: str) -> None:
        self.path = path
        self.worksheet = worksheet
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = worksheet
        ws.append(list(headers))
        other = wb.create_sheet(OTHER_SHEET)
        for row in OTHER_CONTENT:
            other.append(row)
        wb.save(path)

    def _edit(self, fn: Callable[[Any], None]) -> None:
        wb = openpyxl.load_workbook(self.path)
        fn(wb[self.worksheet])
        wb.save(self.path)

    def append(self, rows: Sequence[Sequence[Any]]) -> None:
        def add(ws: Any) -> None:
            last = _last_row(ws)
            for i, row in enumerate(rows):
                for c, v in enumerate(row):
                    ws.cell(row=last + 1 + i, column=c + 1).value = v

        self._edit(add)

    def records(self) -> list[dict[str, Any]]:
        wb = openpyxl.load_workbook(self.path, read_only=True)
        try:
            grid = [list(r) for r in wb[self.worksheet].iter_rows(values_only=True)]
        finally:
            wb.close()
        return _records(grid)

    def set(self, name: str, header: str, value: Any) -> None:
        def put(ws: Any) -> None:
            headers = [c.value for c in ws[1]]
            col = headers.index(NAME) + 1
            for r in range(2, ws.max_row + 1):
                if ws.cell(row=r, column=col).value == name:
                    ws.cell(row=r, column=headers.index(header) + 1).value = value
                    return
            raise KeyError(name)

        self._edit(put)

    def sort(self, key: Callable[[dict[str, Any]], Any]) -> None:
        def resort(ws: Any) -> None:
            grid = [list(r) for r in ws.iter_rows(values_only=True)]
            head = grid[0]
            data = [r for r in grid[1:] if any(v is not None for v in r)]
            data.sort(key=lambda r: key(dict(zip(head, r, strict=False))))
            for i, row in enumerate(data):
                for c, v in enumerate(row):
                    ws.cell(row=i + 2, column=c + 1).value = v

        self._edit(resort)

    def other_sheet(self) -> list[list[Any]]:
        wb = openpyxl.load_workbook(self.path, read_only=True)
        try:
            return [list(r) for r in wb[OTHER_SHEET].iter_rows(values_only=True)]
        finally:
            wb.close()


class GoogleSheet:
    """A spreadsheet in the fake Google server (which outlives every killed pass)."""

    def __init__(self, fake: FakeGoogle, headers: Sequence[str]) -> None:
        self.fake = fake
        self.sid = fake.add_spreadsheet(headers, [], extra_sheets={OTHER_SHEET: OTHER_CONTENT})

    def append(self, rows: Sequence[Sequence[Any]]) -> None:
        self.fake.append_rows(self.sid, rows)

    def records(self) -> list[dict[str, Any]]:
        return _records(self.fake.values(self.sid))

    def set(self, name: str, header: str, value: Any) -> None:
        with self.fake.lock:  # no pass request lands between finding the row and typing
            grid = self.fake.values(self.sid)
            head = [str(h) for h in grid[0]]
            col = head.index(NAME)
            for r, row in enumerate(grid):
                if r and col < len(row) and row[col] == name:
                    self.fake.set_cell(self.sid, r, head.index(header), value)
                    return
        raise KeyError(name)

    def sort(self, key: Callable[[dict[str, Any]], Any]) -> None:
        head = [str(h) for h in self.fake.values(self.sid)[0]]
        self.fake.sort_rows(self.sid, lambda r: key(dict(zip(head, r, strict=False))))

    def other_sheet(self) -> list[list[Any]]:
        return self.fake.values(self.sid, OTHER_SHEET)


def _last_row(ws: Any) -> int:
    for r in range(ws.max_row, 0, -1):
        if any(c.value is not None for c in ws[r]):
            return r
    return 0


def _records(grid: list[list[Any]]) -> list[dict[str, Any]]:
    if not grid:
        return []
    head = ["" if h is None else str(h) for h in grid[0]]
    out = []
    for row in grid[1:]:
        if not any(v not in (None, "") for v in row):
            continue
        out.append({h: (row[i] if i < len(row) else None) for i, h in enumerate(head) if h})
    return out
