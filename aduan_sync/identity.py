"""Row identity: which complaint a sheet row is, however staff sort, insert or delete rows.

Once a row carries a register number, that number is its anchor. Before that, a fingerprint of
the citizen's answers (every non-empty non-worker cell, keyed by header) identifies it; two
identical submissions within the same second are told apart by their order of occurrence.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

from aduan_sync.headers import HeaderMap, normalize_header
from aduan_sync.sources.base import CellValue, RowAnchor


def cell_text(value: CellValue) -> str:
    """The text of a cell as the worker compares it: stripped, numbers without a spurious `.0`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e18:
            return str(int(value))
        return repr(value)
    return str(value).strip()


def fingerprint(hmap: HeaderMap, row: Sequence[CellValue]) -> str:
    """SHA-256 over the row's non-empty answers, keyed by normalised header (order-free)."""
    pairs = []
    for i in hmap.form_columns:
        text = cell_text(row[i]) if i < len(row) else ""
        if text:
            pairs.append((normalize_header(hmap.headers[i]), text))
    pairs.sort()
    blob = json.dumps(pairs, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def register_of(hmap: HeaderMap, row: Sequence[CellValue]) -> str:
    idx = hmap.worker.get("register_no")
    if idx is None or idx >= len(row):
        return ""
    return cell_text(row[idx])


def is_blank_row(hmap: HeaderMap, row: Sequence[CellValue]) -> bool:
    return all(not cell_text(v) for v in row)


def row_anchors(hmap: HeaderMap, rows: Sequence[Sequence[CellValue]]) -> list[RowAnchor]:
    """One anchor per data row, in sheet order."""
    seen: dict[str, int] = defaultdict(int)
    anchors = []
    for row in rows:
        fp = fingerprint(hmap, row)
        reg = register_of(hmap, row) or None
        occ = 0
        if reg is None:
            occ = seen[fp]
            seen[fp] += 1
        anchors.append(RowAnchor(register_no=reg, fingerprint=fp, occurrence=occ))
    return anchors


def locate_rows(
    hmap: HeaderMap, rows: Sequence[Sequence[CellValue]], anchors: Sequence[RowAnchor]
) -> dict[RowAnchor, int]:
    """Find each anchor's data-row index in `rows` (the sheet as it is now).

    An anchor with a register number goes to the first row carrying that number; failing that
    (the cell was cleared), and for anchors without one, to the n-th row without a register
    number whose answers have the anchor's fingerprint. Anchors not found are left out.
    """
    by_register: dict[str, int] = {}
    by_fp: dict[tuple[str, int], int] = {}
    seen: dict[str, int] = defaultdict(int)
    for i, row in enumerate(rows):
        reg = register_of(hmap, row)
        fp = fingerprint(hmap, row)
        if reg:
            by_register.setdefault(reg, i)
        else:
            by_fp[(fp, seen[fp])] = i
            seen[fp] += 1
    found: dict[RowAnchor, int] = {}
    for anchor in anchors:
        idx = by_register.get(anchor.register_no) if anchor.register_no else None
        if idx is None:
            idx = by_fp.get((anchor.fingerprint, anchor.occurrence))
        if idx is not None:
            found[anchor] = idx
    return found
