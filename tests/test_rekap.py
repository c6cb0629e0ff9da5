"""The `Rekap` grid: counts by status and category for this month and this year, the overdue
complaints by register number, text only, rectangular, stable between idle passes, and never a
live formula."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from aduan_sync.ledger import Ledger
from aduan_sync.model import DEFAULT_CATEGORIES, Status
from aduan_sync.records import Complaint
from aduan_sync.rekap import NO_OVERDUE, REKAP_WIDTH, pad_grid, rekap_grid
from tests.books_data import PAYLOADS, TRIGGERS, Spec, fill_ledger
from tests.conftest import JAKARTA, at

NOW = at(2026, 11, 30, 10, 0)
OPEN = "Diteruskan ke PPID"

SPECS = [
    Spec(at(2025, 12, 1, 9, 0), category="Informasi Publik", status=OPEN,
         deadline=at(2025, 12, 2, 9, 0)),  # last year, still open: overdue, not counted
    Spec(at(2026, 3, 2, 9, 0), category="Informasi Publik", status="Selesai",
         deadline=at(2026, 3, 3, 9, 0), answer_date=at(2026, 3, 2, 10, 0)),
    Spec(at(2026, 10, 5, 9, 0), category="Kesejahteraan Sosial", status=OPEN,
         deadline=at(2026, 10, 6, 9, 0)),  # overdue
    Spec(at(2026, 11, 2, 9, 0), category="Kesejahteraan Sosial", status="Ditanggapi",
         deadline=at(2026, 11, 3, 9, 0), answer_date=at(2026, 11, 4, 9, 0)),
    Spec(at(2026, 11, 16, 9, 0), category="Pemerintahan Desa", status="Perlu Klarifikasi",
         deadline=at(2026, 11, 17, 9, 0)),  # overdue
    Spec(at(2026, 11, 30, 8, 0), category="Kategori Baru Petugas", status=OPEN,
         deadline=at(2026, 12, 1, 8, 0)),  # not yet due
    Spec(at(2026, 11, 20, 9, 0), category="Lainnya", status="Ditolak",
         deadline=at(2026, 11, 23, 9, 0)),  # rejected: never overdue
]


@pytest.fixture
def complaints(tmp_path: Path) -> list[Complaint]:
    path = tmp_path / "ledger.sqlite3"
    fill_ledger(path, SPECS)
    with Ledger(path) as ledger:
        return ledger.complaints()


def section(grid: list[list[str]], heading: str) -> dict[str, tuple[str, str]]:
    """label -> (this month, this year) of the table whose heading row starts with `heading`."""
    start = next(i for i, row in enumerate(grid) if row[0] == heading)
    out = {}
    for row in grid[start + 1:]:
        if not row[0]:
            break
        out[row[0]] = (row[1], row[2])
    return out


def test_counts_by_status_and_category_for_this_month_and_year(complaints: list[Complaint]):
    grid = rekap_grid(complaints, NOW, JAKARTA)
    in_2026 = [s for s in SPECS if s.submitted.year == 2026]
    in_nov = [s for s in in_2026 if s.submitted.month == 11]
    status = section(grid, "Status")
    for st in Status:
        assert status[st.value] == (str(Counter(s.status for s in in_nov)[st.value]),
                                    str(Counter(s.status for s in in_2026)[st.value]))
    assert status["Jumlah"] == ("4", "6")
    category = section(grid, "Kategori")
    assert list(category)[: len(DEFAULT_CATEGORIES)] == list(DEFAULT_CATEGORIES)
    assert category["Kesejahteraan Sosial"] == ("1", "2")
    assert category["Informasi Publik"] == ("0", "1")
    assert category["Kategori Baru Petugas"] == ("1", "1")  # a category staff typed is kept
    assert category["Jumlah"] == ("4", "6")
    heading = next(row for row in grid if row[0] == "Status")
    assert heading[1:3] == ["Bulan November 2026", "Tahun 2026"]


def test_overdue_complaints_are_listed_by_register_number(complaints: list[Complaint]):
    grid = rekap_grid(complaints, NOW, JAKARTA)
    start = next(i for i, row in enumerate(grid) if row[0].startswith("Aduan Melewati"))
    assert grid[start][0] == "Aduan Melewati Batas Waktu: 3"
    assert grid[start + 1][:3] == ["Nomor Register", "Tanggal Masuk", "Batas Waktu"]
    listed = [row[:4] for row in grid[start + 2:]]
    assert listed == [
        ["001/ADUAN/XII/2025", "01/12/2025 09:00", "02/12/2025 09:00", OPEN],
        ["002/ADUAN/X/2026", "05/10/2026 09:00", "06/10/2026 09:00", OPEN],
        ["004/ADUAN/XI/2026", "16/11/2026 09:00", "17/11/2026 09:00", "Perlu Klarifikasi"],
    ]


def test_grid_is_rectangular_text(complaints: list[Complaint]):
    grid = rekap_grid(complaints, NOW, JAKARTA)
    assert all(len(row) == REKAP_WIDTH for row in grid)
    assert all(isinstance(v, str) for row in grid for v in row)


def test_grid_does_not_change_between_idle_passes(complaints: list[Complaint]):
    # no clock in the grid: an idle pass five minutes later has nothing to write
    assert rekap_grid(complaints, NOW, JAKARTA) == rekap_grid(
        complaints, NOW + timedelta(minutes=5), JAKARTA)


def test_grid_changes_when_a_deadline_passes_or_the_month_turns(complaints: list[Complaint]):
    later = rekap_grid(complaints, at(2026, 12, 1, 8, 1), JAKARTA)
    assert any(row[0] == "005/ADUAN/XI/2026" for row in later)  # deadline 1 Dec 08:00 passed
    assert section(later, "Status")["Jumlah"] == ("0", "6")  # December: nothing yet


def test_empty_ledger_says_nothing_is_overdue():
    grid = rekap_grid([], NOW, JAKARTA)
    assert [NO_OVERDUE] + [""] * (REKAP_WIDTH - 1) in grid
    assert section(grid, "Status")["Jumlah"] == ("0", "0")


def test_every_cell_is_neutralised(tmp_path: Path):
    path = tmp_path / "ledger.sqlite3"
    fill_ledger(path, [Spec(at(2026, 11, 2, 9, 0) + timedelta(hours=i), category=p, unit=p,
                            status=p, deadline=at(2026, 11, 3, 9, 0)) for i, p in
                       enumerate(PAYLOADS)])
    with Ledger(path) as ledger:
        grid = rekap_grid(ledger.complaints(), NOW, JAKARTA)
    cells = [v for row in grid for v in row]
    assert not [v for v in cells if v.startswith(TRIGGERS)]
    category = section(grid, "Kategori")
    # labels are trimmed, then neutralised: "\t=1" is counted as "'=1"
    assert {"'" + p.strip() for p in PAYLOADS} <= set(category)


def test_pad_grid_blanks_rows_left_from_a_longer_previous_grid():
    padded = pad_grid([["a"], ["b", "c"]], height=4, width=3)
    assert padded == [["a", "", ""], ["b", "c", ""], ["", "", ""], ["", "", ""]]
