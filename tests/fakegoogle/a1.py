"""A1 notation as the Sheets API reads and writes it: quoted sheet names, open-ended ranges.

Indexes here are 0-based and end-exclusive, like the API's `GridRange`; `None` means unbounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CELL = re.compile(r"^([A-Za-z]*)(\d*)$")
_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LOOKS_LIKE_CELL = re.compile(r"^[A-Za-z]{1,3}\d+$")


class A1Error(ValueError):
    """Raised on text that is not a range; the fake answers Google's 400 'Unable to parse'."""


@dataclass(frozen=True)
class A1Range:
    """A parsed range. `sheet` is None when the text named no sheet (the first sheet)."""

    sheet: str | None
    r0: int = 0
    c0: int = 0
    r1: int | None = None
    c1: int | None = None
    single_cell: bool = False


def col_letters(index: int) -> str:
    """0 -> "A", 25 -> "Z", 26 -> "AA"."""
    out = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def col_index(letters: str) -> int:
    """"A" -> 0, "AA" -> 26."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def quote_sheet(name: str) -> str:
    """Quote a sheet name the way Google does in the ranges it returns."""
    if _PLAIN_NAME.match(name) and not _LOOKS_LIKE_CELL.match(name):
        return name
    return "'" + name.replace("'", "''") + "'"


def _split_sheet(text: str) -> tuple[str | None, str]:
    if text.startswith("'"):
        i = 1
        name = []
        while i < len(text):
            if text[i] == "'":
                if text[i + 1 : i + 2] == "'":
                    name.append("'")
                    i += 2
                    continue
                rest = text[i + 1 :]
                if rest and not rest.startswith("!"):
                    raise A1Error(text)
                return "".join(name), rest[1:]
            name.append(text[i])
            i += 1
        raise A1Error(text)
    if "!" in text:
        sheet, _, rest = text.rpartition("!")
        return sheet, rest
    return None, text


def _parse_cell(text: str) -> tuple[int | None, int | None]:
    m = _CELL.match(text)
    if not m or not (m.group(1) or m.group(2)):
        raise A1Error(text)
    col = col_index(m.group(1)) if m.group(1) else None
    row = int(m.group(2)) - 1 if m.group(2) else None
    if row is not None and row < 0:
        raise A1Error(text)
    return row, col


def parse(text: str) -> A1Range:
    """Parse `'Sheet name'!A1:C5`, `Sheet1`, `A:C`, `2:2`, `A2:Z`, `B3`..."""
    text = text.strip()
    if not text:
        raise A1Error(text)
    sheet, cells = _split_sheet(text)
    if sheet is not None and not cells:
        return A1Range(sheet)
    if sheet is None:
        # Google reads a bare word as a range when it parses as one, else as a sheet name.
        try:
            return _parse_cells(None, cells)
        except A1Error:
            return A1Range(cells)
    return _parse_cells(sheet, cells)


def _parse_cells(sheet: str | None, cells: str) -> A1Range:
    start, sep, end = cells.partition(":")
    r0, c0 = _parse_cell(start)
    if not sep:
        if r0 is None or c0 is None:
            raise A1Error(cells)
        return A1Range(sheet, r0, c0, r0 + 1, c0 + 1, single_cell=True)
    r1, c1 = _parse_cell(end)
    return A1Range(
        sheet,
        r0 or 0,
        c0 or 0,
        None if r1 is None else r1 + 1,
        None if c1 is None else c1 + 1,
    )


def format_range(sheet: str, r0: int, c0: int, r1: int, c1: int) -> str:
    """`'Form Responses 1'!A1:C5` for the end-exclusive box (r0, c0)-(r1, c1)."""
    first = f"{col_letters(c0)}{r0 + 1}"
    last = f"{col_letters(c1 - 1)}{r1}"
    cells = first if (r1 - r0, c1 - c0) == (1, 1) else f"{first}:{last}"
    return f"{quote_sheet(sheet)}!{cells}"
