"""A values read of the Google source as received: hashed at once, decoded when first needed.

A pass that finds the sheet's version moved must read the sheet, but most such reads find
every value as the last clean pass left it (a staff member formatted a cell, or the pass's own
write-back moved the version). The answer's bytes are hashed as they arrive (`answer`: SHA-256
with the tab's title, the time zone and the ranges asked; ~40 ms for the 18 MB of a
50,000-row sheet). When that hash is the one the last clean pass noted (`idle.IdleState`), the
values are known to be the same without decoding a cell: decoding and hashing them in the
canonical form (`gsheets_plan.values_digest`) takes about half a second at that size, and the
decoded sheet holds about 150 MiB. Equal bytes mean equal values. Different bytes may still
be equal values (a change in how Google writes its JSON): the canonical digest then tells.

The bytes are let go once decoded, and the decoded rows are kept packed (`PackedRows`),
each row converted for the pass only while it is used (`gsheets_plan.ConvertedRows`).
"""

from __future__ import annotations

import functools
import hashlib
import marshal
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, overload

from aduan_sync.rekap import REKAP_SHEET
from aduan_sync.sources import gsheets_json as gj
from aduan_sync.sources import gsheets_plan as gp
from aduan_sync.sources.base import Table


def answer_digest(title: str, timezone: str, ranges: Sequence[str],
                  content: bytes | bytearray) -> str:
    """SHA-256 of a values answer exactly as received, bound to what it was the answer to."""
    h = hashlib.sha256(marshal.dumps(["answer", title, timezone, list(ranges)], 2))
    h.update(content)
    return h.hexdigest()


class PackedRows(Sequence[list[Any]]):
    """Rows of values kept as marshal blobs, unpacked (a new list) on each use: ~8× smaller
    than lists of str objects (a 50,000-row sheet: ~20 MB instead of ~150 MiB)."""

    def __init__(self, rows: Iterable[list[Any]]) -> None:
        # Rows are packed as they come (`gsheets_json.decode_values` parses them one at a
        # time): the sheet is never whole as objects. A list is emptied as it is packed.
        blobs = []
        if isinstance(rows, list):
            for i, row in enumerate(rows):
                blobs.append(marshal.dumps(row))
                rows[i] = []
        else:
            blobs = [marshal.dumps(row) for row in rows]
        self._blobs = blobs

    def __len__(self) -> int:
        return len(self._blobs)

    @overload
    def __getitem__(self, i: int) -> list[Any]: ...

    @overload
    def __getitem__(self, i: slice) -> list[list[Any]]: ...

    def __getitem__(self, i: int | slice) -> list[Any] | list[list[Any]]:
        if isinstance(i, slice):
            return [marshal.loads(b) for b in self._blobs[i]]
        return marshal.loads(self._blobs[i])  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[list[Any]]:
        return map(marshal.loads, self._blobs)


class ValuesRead:
    """One `values.get` (the worksheet) or `values.batchGet` (the worksheet and the `Rekap`
    tab, `with_rekap`) answer of the worksheet `title`."""

    def __init__(self, title: str, timezone: str, content: bytes | bytearray, *,
                 with_rekap: bool,
                 field_aliases: Mapping[str, Sequence[str]] | None,
                 worker_headers: Mapping[str, str] | None) -> None:
        self.title, self.timezone, self.with_rekap = title, timezone, with_rekap
        ranges = [title, REKAP_SHEET] if with_rekap else [title]
        self.answer = answer_digest(title, timezone, ranges, content)
        self._content: bytes | bytearray | None = content
        self._decoded: tuple[PackedRows, list[list[Any]] | None] | None = None
        self._aliases, self._worker = field_aliases, worker_headers

    def _decode(self) -> tuple[PackedRows, list[list[Any]] | None]:
        if self._decoded is None:
            content, self._content = self._content or b"", None
            if self.with_rekap:
                found = gj.decode_value_ranges(content, PackedRows)
                values = found[0] if found else PackedRows(())
                rekap: list[list[Any]] | None = list(found[1]) if len(found) > 1 else []
            else:
                values, rekap = gj.decode_values(content, PackedRows), None
            del content
            assert isinstance(values, PackedRows)
            self._decoded = (values, rekap)
        return self._decoded

    def values(self) -> PackedRows:
        """The worksheet's values as read: serials, "" kept (what is hashed)."""
        return self._decode()[0]

    def rekap_values(self) -> list[list[Any]] | None:
        """The `Rekap` tab's values as read; None when it was not read (no such tab)."""
        return self._decode()[1]

    @functools.cached_property
    def _rekap_texts(self) -> list[list[str]] | None:
        values = self.rekap_values()
        return None if values is None else gp.texts(values)

    def rekap(self) -> list[list[str]] | None:
        """The `Rekap` tab's cells as text (`SheetSnapshot.rekap`)."""
        return self._rekap_texts

    @functools.cached_property
    def _digest(self) -> str:
        return gp.values_digest(self.title, self.timezone, self.values(), self.rekap_values())

    def digest(self) -> str:
        """The canonical digest of the values (`gsheets_plan.values_digest`)."""
        return self._digest

    @functools.cached_property
    def _table(self) -> Table:
        return gp.convert_values(self.values(), self._aliases, self._worker)

    def table(self) -> Table:
        """Headers and converted rows (`gsheets_plan.convert_values`), made once."""
        return self._table

    def rows(self) -> int:
        return max(len(self.values()) - 1, 0)
