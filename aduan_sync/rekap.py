"""The `Rekap` worksheet: counts by status and category for the current month and year, and
the complaints past their deadline, as a grid of text the pass writes next to the responses.

Pure: complaints, "now" and the office's zone in; rows of text out. No timestamp is printed, so
the grid only changes when the register does (or the month turns, or a deadline passes), and an
idle pass that compares it with what the sheet holds has nothing to write.

Every cell is neutralised against formula injection (staff can type anything in `Kategori` or
`Status`), so the grid is safe to write with `USER_ENTERED` as well as `RAW`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, tzinfo

from aduan_sync.mail.render import MONTHS
from aduan_sync.model import DEFAULT_CATEGORIES, SHEET_DATETIME_FORMAT, Status
from aduan_sync.records import Complaint
from aduan_sync.reports.neutral import neutralize
from aduan_sync.reports.stats import EMPTY_LABEL, count_by
from aduan_sync.status import OPEN_STATUSES

#: Name of the worksheet the grid is written to.
REKAP_SHEET = "Rekap"
#: Columns of the grid: the overdue list is the widest part.
REKAP_WIDTH = 6
REKAP_TITLE = "REKAP ADUAN MASYARAKAT"
REKAP_NOTICE = ("Lembar ini diisi otomatis oleh aduan-sync dari buku register; perubahan di "
                "lembar ini akan ditimpa.")
OVERDUE_HEADINGS = ("Nomor Register", "Tanggal Masuk", "Batas Waktu", "Status", "Kategori",
                    "Unit Tujuan")
NO_OVERDUE = "Tidak ada aduan yang melewati batas waktu."


def _label(value: str) -> str:
    return (value or "").strip() or EMPTY_LABEL


def _counts_table(heading: str, order: Sequence[str], month: Sequence[Complaint],
                  year: Sequence[Complaint], key: Callable[[Complaint], str],
                  month_label: str, year_label: str) -> list[list[str]]:
    """Heading row, one row per label (known labels first, zeros included), a total row."""
    month_counts = Counter(_label(key(c)) for c in month)
    rows = [[heading, month_label, year_label]]
    for label, in_year in count_by((key(c) for c in year), order):
        rows.append([label, str(month_counts.get(label, 0)), str(in_year)])
    rows.append(["Jumlah", str(len(month)), str(len(year))])
    return rows


def overdue_complaints(complaints: Iterable[Complaint], now: datetime) -> list[Complaint]:
    """Open complaints (any year) past their deadline at `now`, in register order."""
    late = [c for c in complaints
            if c.deadline is not None and c.deadline < now and c.status in OPEN_STATUSES
            and c.answer_date is None]
    return sorted(late, key=lambda c: (c.year, c.seq))


def rekap_grid(complaints: Iterable[Complaint], now: datetime, tz: tzinfo,
               categories: Sequence[str] = DEFAULT_CATEGORIES) -> list[list[str]]:
    """The `Rekap` worksheet as rows of text, every row `REKAP_WIDTH` cells wide.

    A complaint counts in the month and year of its form timestamp in the office's zone (the
    rule that gives it its register number).
    """
    all_complaints = list(complaints)
    today = now.astimezone(tz)
    year = [c for c in all_complaints if c.submitted_at.astimezone(tz).year == today.year]
    month = [c for c in year if c.submitted_at.astimezone(tz).month == today.month]
    month_label = f"Bulan {MONTHS[today.month - 1]} {today.year}"
    year_label = f"Tahun {today.year}"
    rows: list[list[str]] = [[REKAP_TITLE], [REKAP_NOTICE], []]
    rows += _counts_table("Status", [s.value for s in Status], month, year,
                          lambda c: c.status, month_label, year_label)
    rows.append([])
    rows += _counts_table("Kategori", categories, month, year,
                          lambda c: c.category, month_label, year_label)
    rows.append([])
    late = overdue_complaints(all_complaints, now)
    rows.append([f"Aduan Melewati Batas Waktu: {len(late)}"])
    if late:
        rows.append(list(OVERDUE_HEADINGS))
        rows += [
            [c.register_no,
             c.submitted_at.astimezone(tz).strftime(SHEET_DATETIME_FORMAT),
             c.deadline.astimezone(tz).strftime(SHEET_DATETIME_FORMAT) if c.deadline else "",
             c.status, c.category, c.unit]
            for c in late
        ]
    else:
        rows.append([NO_OVERDUE])
    return pad_grid([[neutralize(v) for v in row] for row in rows])


def pad_grid(grid: Sequence[Sequence[str]], height: int = 0,
             width: int = REKAP_WIDTH) -> list[list[str]]:
    """`grid` made rectangular: rows padded to `width` with "", and blank rows added up to
    `height`, so writing it over a longer previous grid clears the rows left below."""
    out = [list(row) + [""] * (width - len(row)) for row in grid]
    out += [[""] * width for _ in range(height - len(out))]
    return out
