"""The contract every sheet source fulfils.

A source is shaped for Google's quota: one `read()` returns the whole worksheet (headers, rows,
the spreadsheet's time zone), and one `write()` carries every changed cell of a pass. Writes
are addressed by *anchor* (register number, else fingerprint of the form answers), never by a
row number remembered from the read: staff may sort, insert or delete rows between the two, so
the source re-locates each anchor in the sheet as it is at write time (`identity.locate_rows`)
and applies a cell only while it still holds the value the worker read (compare-and-set).

Before reading, a pass asks `version()`: a source that can tell cheaply that nothing in the
sheet changed (Google: Drive's file version, one small request) lets an idle pass skip the
read altogether; one that cannot says so, and the pass tells from the values' digest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

#: A cell as a source hands it over: text, a number, a datetime (naive, in the sheet's time
#: zone) or None for an empty cell.
CellValue = str | int | float | datetime | None

#: A worksheet's header texts and data rows.
Table = tuple[list[str], Sequence[list[CellValue]]]


@dataclass(frozen=True)
class SheetSnapshot:
    """The worksheet as read in one request."""

    title: str  # spreadsheet (or workbook) title
    worksheet: str
    timezone: str  # IANA name, e.g. "Asia/Jakarta"
    #: The headers and rows, made on first use: a pass that finds the sheet unchanged never
    #: needs them. (Google's rows are converted one at a time as they are used, not kept:
    #: `gsheets_plan.ConvertedRows`.)
    table: Callable[[], Table]
    requests: int = 0  # API requests this read cost (0 for local files)
    #: Texts of the `Rekap` worksheet (None: no such tab), made on first use.
    rekap_of: Callable[[], list[list[str]] | None] = lambda: None
    #: SHA-256 of the values in one canonical form: equal digests mean nothing in the sheet
    #: changed. Empty: the source cannot tell. Made on first use (it needs every value).
    digest_of: Callable[[], str] = lambda: ""
    #: SHA-256 of the read exactly as received (bytes from the API), known without decoding
    #: it: equal answers mean equal digests. Empty: the source does not tell.
    answer: str = ""

    @property
    def rekap(self) -> list[list[str]] | None:
        return self.rekap_of()

    @property
    def digest(self) -> str:
        return self.digest_of()

    @property
    def headers(self) -> list[str]:
        return self.table()[0]

    @property
    def rows(self) -> Sequence[list[CellValue]]:
        """Data rows; rows[i] is sheet row i + 2 (row 1 is the header)."""
        return self.table()[1]


def table_at_hand(headers: list[str], rows: list[list[CellValue]]) -> Callable[[], Table]:
    """A `SheetSnapshot.table` for headers and rows already made."""
    return lambda: (headers, rows)


@dataclass(frozen=True, slots=True)
class RowAnchor:
    """How a write finds its complaint's row: by register number, else by fingerprint.

    `occurrence` tells apart identical answers submitted twice within the same second: the
    n-th row (0-based, in sheet order) that carries the same fingerprint and no register number.
    """

    register_no: str | None
    fingerprint: str
    occurrence: int = 0


@dataclass(frozen=True, slots=True)
class CellUpdate:
    """One cell to write. `expected` is the cell's text when the worker read it; the write is
    skipped when the cell no longer holds it (a staff member typed there in between)."""

    anchor: RowAnchor
    column: str  # header text of the target column
    value: str
    expected: str | None = None


@dataclass(frozen=True)
class WriteBatch:
    """Everything a pass writes: headers to add at the right, then the cell updates."""

    add_headers: list[str] = field(default_factory=list)
    updates: list[CellUpdate] = field(default_factory=list)
    #: The whole `Rekap` worksheet (created if missing), rectangular; None: leave it alone.
    rekap: list[list[str]] | None = None

    def __bool__(self) -> bool:
        return bool(self.add_headers or self.updates or self.rekap is not None)


@dataclass(frozen=True)
class SkippedUpdate:
    update: CellUpdate
    reason: str  # "row-not-found" | "changed-by-staff"


@dataclass(frozen=True)
class WriteResult:
    written: int
    skipped: list[SkippedUpdate] = field(default_factory=list)
    requests: int = 0
    #: The values' digest after this write (see `SheetSnapshot.digest`), when the source can
    #: tell without reading again; empty otherwise.
    digest: str = ""


@dataclass(frozen=True)
class SheetVersion:
    """What a source can tell of the sheet's state without reading it (`Source.version`)."""

    #: Changes whenever anything in the sheet changes (Drive's file version); equal tokens
    #: mean the sheet is as it was. Empty: unknown, the values must be read to tell.
    token: str = ""
    requests: int = 0  # API requests asking cost, failed ones included


@runtime_checkable
class Source(Protocol):
    """A worksheet holding form responses."""

    def describe(self) -> str:
        """A one-line human description of where the sheet is (for `check` and logs)."""
        ...

    def version(self) -> SheetVersion:
        """The sheet's version, asked before `read()` so an idle pass can skip the read.

        Never raises for a failed ask: the token is then empty and the pass reads the values
        as always. A token is remembered from *before* a read, so a change made during the
        pass, or by the pass's own write, only ever costs the next pass a full read."""
        ...

    def read(self) -> SheetSnapshot:
        """Read headers, every data row and the time zone, in one request."""
        ...

    def write(self, batch: WriteBatch) -> WriteResult:
        """Add missing headers and apply the updates, re-locating rows by anchor, in one batch."""
        ...
