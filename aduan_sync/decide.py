"""The pass's decisions, in pure code: which rows are new, which are known, what staff changed,
and which cells to write back. No I/O: everything comes in as plain data.

Cell ownership (so the worker never overwrites what staff own or edited):
- `Nomor Register` is the anchor: always restored to the ledger's number.
- `Tanggapan` belongs to staff: never written.
- Any other worker column is the worker's while it is empty or still holds what the worker
  last wrote there. A different non-empty value is a staff edit: `Kategori`, `Unit Tujuan`
  and a valid `Status` are adopted into the ledger; other columns are left as staff wrote them.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from aduan_sync.answers import Answers, parse_row
from aduan_sync.headers import HeaderMap
from aduan_sync.identity import cell_text, row_anchors
from aduan_sync.model import STAFF_COLUMNS, Status, format_sheet_datetime
from aduan_sync.records import Complaint, NewComplaint
from aduan_sync.sources.base import CellUpdate, CellValue, RowAnchor, SheetSnapshot, WriteBatch


@dataclass(frozen=True, slots=True)
class RowView:
    """A data row as the pass sees it."""

    index: int  # 0-based data-row index; sheet row is index + 2
    anchor: RowAnchor
    answers: Answers
    worker: Mapping[str, str]  # worker column key -> current cell text (absent: "")

    def without_answers(self) -> RowView:
        """This row for the write-back, which reads only its anchor and worker cells."""
        return RowView(self.index, self.anchor, _NO_ANSWERS, self.worker)


_NO_ANSWERS = Answers(fields={})
_NO_WORKER: Mapping[str, str] = {}  # shared: never written to (typed read-only)


@dataclass(frozen=True)
class RowProblem:
    """A row the pass could not handle as is; reported, never silently dropped."""

    sheet_row: int
    message: str  # Indonesian, for operators
    register_no: str = ""


@dataclass(frozen=True)
class StaffEdit:
    complaint_id: int
    register_no: str
    column: str  # worker column key
    old: str
    new: str


@dataclass
class Matching:
    matched: list[tuple[RowView, Complaint]] = field(default_factory=list)
    new_rows: list[RowView] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


def answers_sha256(answers: Answers) -> str:
    """SHA-256 of the citizen's answers as archived (fields and extra columns)."""
    blob = json.dumps(
        {"fields": answers.fields, "extra": [list(p) for p in answers.extra]},
        ensure_ascii=False, sort_keys=True, separators=(",", ":"),
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def build_views(snapshot: SheetSnapshot, hmap: HeaderMap, office_tz: ZoneInfo) -> list[RowView]:
    """Parse every non-blank data row of the snapshot."""
    sheet_tz = _zone(snapshot.timezone, office_tz)
    views = []
    for i, (row, anchor) in enumerate(zip(snapshot.rows, row_anchors(hmap, snapshot.rows),
                                          strict=True)):
        answers = parse_row(hmap, row, sheet_tz, office_tz)
        if answers.is_empty and not answers.submitted_at:
            continue  # an empty row (perhaps only worker cells): nothing a citizen sent
        worker = {
            key: cell_text(row[idx]) if idx < len(row) else ""
            for key, idx in hmap.worker.items()
        }
        # A new row's worker cells are all empty: one shared mapping for all of them (a
        # dict of ten keys is ~650 bytes; a first import of 50,000 rows, ~30 MB).
        views.append(RowView(index=i, anchor=anchor, answers=answers,
                             worker=worker if any(worker.values()) else _NO_WORKER))
    return views


def _zone(name: str, fallback: ZoneInfo) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else fallback
    except (KeyError, ValueError):
        return fallback


def match_rows(views: Sequence[RowView], complaints: Sequence[Complaint]) -> Matching:
    """Pair rows with known complaints: by register number, else by fingerprint.

    A known complaint whose number appears on no row but whose answers' fingerprint does (its
    register cell was cleared, or the write-back of a crashed pass never happened) is matched
    to that row, so its number is written back instead of a new one being allocated.
    """
    by_reg = {c.register_no: c for c in complaints}
    on_sheet = {v.anchor.register_no for v in views if v.anchor.register_no}
    by_fp: dict[str, list[Complaint]] = defaultdict(list)
    for c in complaints:
        if c.register_no not in on_sheet:
            by_fp[c.fingerprint].append(c)
    result = Matching()
    seen: set[str] = set()
    for v in views:
        reg = v.anchor.register_no
        if reg:
            known = by_reg.get(reg)
            if known is None:
                result.problems.append(RowProblem(v.index + 2, (
                    f"Nomor register {reg!r} tidak tercatat di buku register aplikasi; baris "
                    "ini tidak diproses. Periksa apakah nomor diketik atau disalin manual."
                ), reg))
            elif reg in seen:
                result.problems.append(RowProblem(v.index + 2, (
                    f"Nomor register {reg} muncul di lebih dari satu baris; hanya baris pertama "
                    "yang diproses. Hapus salinan baris tersebut."
                ), reg))
            else:
                seen.add(reg)
                result.matched.append((v, known))
        elif by_fp.get(v.anchor.fingerprint):
            result.matched.append((v, by_fp[v.anchor.fingerprint].pop(0)))
        else:
            result.new_rows.append(v)
    result.new_rows.sort(key=lambda v: (v.answers.submitted_at is None,
                                        v.answers.submitted_at or datetime.min, v.index))
    return result


def renamed_register_column(hmap: HeaderMap, rows: Iterable[Sequence[CellValue]],
                            known: Set[str]) -> tuple[str, int] | None:
    """When the sheet has no register-number column: the header of another column holding
    register numbers the ledger knows, and how many (staff renamed the column); else None.

    Without its numbers every row would look new, and the renamed column, counted among the
    answers, would keep its fingerprint from matching too: every complaint would be
    registered and notified a second time. A deleted column is not this: the rows are then
    matched by their answers and their numbers written back (`match_rows`)."""
    if "register_no" in hmap.worker or not known:
        return None
    mapped = set(hmap.fields.values())
    columns = [i for i in hmap.form_columns if i not in mapped]
    counts = dict.fromkeys(columns, 0)
    for row in rows:
        for i in columns:
            if i < len(row) and cell_text(row[i]) in known:
                counts[i] += 1
    best = max(columns, key=counts.__getitem__, default=None)
    if best is None or not counts[best]:
        return None
    return hmap.headers[best], counts[best]


def renamed_register_message(hmap: HeaderMap, found: tuple[str, int]) -> str:
    header, count = found
    expected = hmap.header_of("register_no")
    return (f"Kolom `{expected}` tidak ada, tetapi kolom `{header}` berisi {count} nomor "
            "register yang sudah tercatat: judulnya tampaknya diubah. Kembalikan judul kolom "
            f"itu menjadi `{expected}`, atau tulis register_no = \"{header}\" di bagian "
            "[columns] konfigurasi. Tanpa itu setiap aduan akan didaftarkan dan dikirim dua "
            "kali; tidak ada yang diubah.")


def staff_edits(
    matched: Sequence[tuple[RowView, Complaint]], categories: Sequence[str]
) -> tuple[list[StaffEdit], list[RowProblem]]:
    """Changes staff typed into columns whose values the ledger adopts."""
    edits: list[StaffEdit] = []
    problems: list[RowProblem] = []
    statuses = {s.value for s in Status}
    for v, c in matched:
        for key, ledger_value in (("category", c.category), ("unit", c.unit),
                                  ("status", c.status)):
            current = v.worker.get(key, "")
            if not current or current == ledger_value or current == c.written.get(key):
                continue
            if key == "status" and current not in statuses:
                problems.append(RowProblem(v.index + 2, (
                    f"Status {current!r} tidak dikenal; gunakan salah satu dari: "
                    f"{', '.join(sorted(statuses))}."
                ), c.register_no))
                continue
            if key == "category" and current not in categories:
                problems.append(RowProblem(v.index + 2, (
                    f"Kategori {current!r} tidak ada dalam daftar kategori; tetap dicatat "
                    "sesuai isian petugas."
                ), c.register_no))
            edits.append(StaffEdit(c.id, c.register_no, key, ledger_value, current))
    return edits, problems


def new_complaint(
    view: RowView,
    *,
    classify: Callable[[Answers, str | None], tuple[str, str, str, list[str], str]],
    deadline: Callable[[datetime], datetime | None],
    now: datetime,
    origin: dict[str, object],
) -> NewComplaint:
    """Everything a new row's complaint records, but its number (the ledger allocates it).

    `classify(answers, staff_category)` returns (category, unit, completeness, missing, note).
    """
    staff_category = view.worker.get("category") or None
    category, unit, completeness, missing, note = classify(view.answers, staff_category)
    submitted = view.answers.submitted_at or now
    notes = [n for n in (view.answers.timestamp_problem, note) if n]
    if view.answers.timestamp_problem:
        notes[0] += " Batas waktu dihitung dari saat pendaftaran."
    status = Status.DITERUSKAN if not missing else Status.PERLU_KLARIFIKASI
    return NewComplaint(
        fingerprint=view.anchor.fingerprint,
        answers=view.answers.fields,
        extra=view.answers.extra,
        answers_sha256=answers_sha256(view.answers),
        submitted_at=submitted,
        category=category,
        category_source="staff" if staff_category else "worker",
        unit=view.worker.get("unit") or unit,
        completeness=completeness,
        missing=missing,
        status=status.value,
        deadline=deadline(submitted) if not missing else None,
        note=" ".join(notes),
        origin={**origin, "sheet_row": view.index + 2},
    )


def desired_cells(c: Complaint, tz: ZoneInfo) -> dict[str, str]:
    """What the worker columns should show for complaint `c` (worker-owned columns only)."""

    def fmt(dt: datetime | None) -> str:
        return format_sheet_datetime(dt, tz)

    return {
        "register_no": c.register_no,
        "register_date": fmt(c.registered_at),
        "category": c.category,
        "unit": c.unit,
        "completeness": c.completeness,
        "status": c.status,
        "deadline": fmt(c.deadline),
        "answer_date": fmt(c.answer_date),
        "note": c.note,
    }


@dataclass
class WritePlan:
    batch: WriteBatch
    in_sync: list[tuple[int, str, str]]  # (complaint id, column, value) the sheet already holds
    owners: dict[RowAnchor, int]  # the complaint of each row the batch writes to
    keys: dict[str, str]  # worker column key of each header the batch writes under

    def pending(self, skipped: Set[tuple[RowAnchor, str]] = frozenset()
                ) -> list[tuple[int, str, str]]:
        """(complaint id, column, value) the batch makes the sheet hold, but for the updates
        `skipped`. Derived when asked: a first import has ~350,000 of them."""
        return [(self.owners[u.anchor], self.keys[u.column], u.value)
                for u in self.batch.updates if (u.anchor, u.column) not in skipped]


def plan_writes(
    matched: Iterable[tuple[RowView, Complaint]], hmap: HeaderMap, tz: ZoneInfo
) -> WritePlan:
    """The cell updates that bring the sheet in line with the ledger, and nothing more."""
    add = [hmap.header_of(k) for k in hmap.missing_worker]
    updates: list[CellUpdate] = []
    in_sync: list[tuple[int, str, str]] = []
    owners: dict[RowAnchor, int] = {}
    keys: dict[str, str] = {}
    for v, c in matched:
        for key, value in desired_cells(c, tz).items():
            if key in STAFF_COLUMNS:
                continue
            current = v.worker.get(key, "")
            if current == value:
                if c.written.get(key) != value:
                    in_sync.append((c.id, key, value))
                continue
            owned = key == "register_no" or not current or current == c.written.get(key)
            if not owned:
                continue  # staff wrote here: theirs
            header = hmap.header_of(key)
            updates.append(CellUpdate(v.anchor, header, value, expected=current))
            owners[v.anchor] = c.id
            keys[header] = key
    return WritePlan(WriteBatch(add_headers=add, updates=updates), in_sync, owners, keys)
