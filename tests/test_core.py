"""Pure core: header mapping, row identity, register numbers, answers."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from aduan_sync.answers import Answers, parse_timestamp, restore_phone
from aduan_sync.decide import RowView, plan_writes
from aduan_sync.headers import map_headers, normalize_header
from aduan_sync.identity import cell_text, locate_rows, row_anchors
from aduan_sync.records import Complaint
from aduan_sync.register import filename_safe, format_register, month_roman
from aduan_sync.sources.base import RowAnchor

JKT = ZoneInfo("Asia/Jakarta")
UTC = ZoneInfo("UTC")


@pytest.mark.parametrize(("raw", "expected"), [
    ("  Nama   Lengkap ", "nama lengkap"),
    ("CAP WAKTU", "cap waktu"),
    ("Nomor\tHP/WhatsApp", "nomor hp/whatsapp"),
    (None, ""),
])
def test_headers_compare_case_and_space_insensitively(raw, expected):
    assert normalize_header(raw) == expected


def test_headers_are_found_by_name_wherever_they_are():
    hmap = map_headers(["Isi Aduan", "nomor register", "Timestamp", " nama  lengkap"])
    assert hmap.fields["text"] == 0 and hmap.fields["timestamp"] == 2
    assert hmap.fields["name"] == 3
    assert hmap.worker["register_no"] == 1
    assert "status" in hmap.missing_worker and "nik" in hmap.missing_fields
    assert hmap.missing_required == []


def test_config_aliases_map_renamed_form_questions():
    hmap = map_headers(["Stempel waktu", "Nama Pelapor", "Aduan"],
                       field_aliases={"name": ("Nama Pelapor",), "text": ("Aduan",)})
    assert hmap.fields == {"timestamp": 0, "name": 1, "text": 2}


def test_missing_required_columns_are_reported():
    assert map_headers(["Nama Lengkap"]).missing_required == ["timestamp", "text"]


def test_duplicated_headers_are_reported():
    assert map_headers(["Desa", "desa ", "Isi Aduan"]).duplicates == ["desa"]


@pytest.mark.parametrize(("seq", "when", "expected"), [
    (7, datetime(2026, 11, 3), "007/ADUAN/XI/2026"),
    (1, datetime(2027, 1, 1), "001/ADUAN/I/2027"),
    (1234, datetime(2026, 4, 9), "1234/ADUAN/IV/2026"),
])
def test_register_number_default_format(seq, when, expected):
    assert format_register("{seq:03d}/ADUAN/{month_roman}/{year}", seq, when) == expected


def test_roman_months_cover_the_year():
    assert [month_roman(m) for m in (1, 4, 9, 12)] == ["I", "IV", "IX", "XII"]
    with pytest.raises(ValueError):
        month_roman(13)


@pytest.mark.parametrize(("reg", "safe"), [
    ("007/ADUAN/XI/2026", "007-ADUAN-XI-2026"),
    ("../../etc/passwd", "etc-passwd"),
    ("CON", "CON"),
    ("///", "tanpa-nomor"),
])
def test_register_numbers_become_safe_folder_names(reg, safe):
    assert filename_safe(reg) == safe
    assert "/" not in filename_safe(reg) and ".." not in filename_safe(reg)


@pytest.mark.parametrize(("value", "expected"), [
    (812345678901, "0812345678901"),
    (6281234567890, "+6281234567890"),
    ("0812-3456-7890", "0812-3456-7890"),
    (None, ""),
])
def test_phone_numbers_get_their_leading_zero_back(value, expected):
    assert restore_phone(value) == expected


def test_cell_text_never_shows_floats_for_integral_numbers():
    assert cell_text(3313064501800001.0) == "3313064501800001"
    assert cell_text(1.5) == "1.5"
    assert cell_text("  teks  ") == "teks"


@pytest.mark.parametrize(("value", "expected"), [
    (datetime(2026, 11, 23, 8, 0), datetime(2026, 11, 23, 8, 0, tzinfo=JKT)),
    ("23/11/2026 08:00:00", datetime(2026, 11, 23, 8, 0, tzinfo=JKT)),
    ("05/01/2026 13:45", datetime(2026, 1, 5, 13, 45, tzinfo=JKT)),  # 5 January, not 1 May
    ("2026-11-23 08:00:00", datetime(2026, 11, 23, 8, 0, tzinfo=JKT)),
    ("31/02/2026 08:00", None),
    ("kemarin sore", None),
    (None, None),
])
def test_timestamps_are_read_day_first_in_the_sheet_zone(value, expected):
    assert parse_timestamp(value, JKT, JKT) == expected


def test_timestamps_convert_from_the_sheet_zone_to_the_office_zone():
    got = parse_timestamp(datetime(2026, 11, 23, 1, 0), UTC, JKT)
    assert got == datetime(2026, 11, 23, 8, 0, tzinfo=JKT)


HEAD = ["Cap waktu", "Nama Lengkap", "Isi Aduan", "Nomor Register"]


def test_anchors_follow_rows_after_a_sort():
    hmap = map_headers(HEAD)
    rows = [["t1", "A", "x", "001"], ["t2", "B", "y", None], ["t3", "C", "z", None]]
    anchors = row_anchors(hmap, rows)
    shuffled = [rows[2], rows[0], rows[1]]
    located = locate_rows(hmap, shuffled, anchors)
    assert [shuffled[located[a]][1] for a in anchors] == ["A", "B", "C"]


def test_identical_rows_are_told_apart_by_occurrence():
    hmap = map_headers(HEAD)
    rows = [["t1", "A", "x", None], ["t1", "A", "x", None]]
    a, b = row_anchors(hmap, rows)
    assert a.fingerprint == b.fingerprint and (a.occurrence, b.occurrence) == (0, 1)
    assert locate_rows(hmap, rows, [a, b]) == {a: 0, b: 1}


def test_a_cleared_register_cell_is_found_by_fingerprint():
    hmap = map_headers(HEAD)
    rows = [["t1", "A", "x", "001"]]
    (anchor,) = row_anchors(hmap, rows)
    cleared = [["t1", "A", "x", None]]
    assert locate_rows(hmap, cleared, [anchor]) == {anchor: 0}


def test_fingerprint_ignores_worker_columns_and_column_order():
    hmap1 = map_headers(HEAD)
    hmap2 = map_headers(["Isi Aduan", "Cap waktu", "Status", "Nama Lengkap"])
    (a1,) = row_anchors(hmap1, [["t1", "A", "x", None]])
    (a2,) = row_anchors(hmap2, [["x", "t1", "Selesai", "A"]])
    assert a1.fingerprint == a2.fingerprint


def _complaint(cid: int, reg: str, **over) -> Complaint:
    when = datetime(2026, 3, 3, 10, 0, tzinfo=JKT)
    values = dict(id=cid, register_no=reg, year=2026, seq=cid, fingerprint=f"fp{cid}",
                  answers={}, extra=[], answers_sha256="0" * 64, submitted_at=when,
                  registered_at=when, category="Lainnya", category_source="worker",
                  unit="Sekretariat", completeness="Lengkap", missing=[], status="Terdaftar",
                  deadline=None, note="", answer="", answer_date=None, archived_sha256=None)
    return Complaint(**(values | over))


def test_a_write_plan_records_what_each_written_cell_will_hold_and_nothing_staff_own():
    hmap = map_headers(["Cap waktu", "Nama Lengkap", "Isi Aduan", "Nomor Register", "Kategori",
                        "Status"])
    new = RowView(0, RowAnchor(None, "fp1", 0), Answers(fields={}), {})
    reg2 = "002/ADUAN/III/2026"
    edited = RowView(1, RowAnchor(reg2, "fp2", 0), Answers(fields={}),
                     {"register_no": reg2, "category": "Kesejahteraan Sosial",
                      "status": "Terdaftar"})
    c1 = _complaint(1, "001/ADUAN/III/2026")
    c2 = _complaint(2, reg2, status="Diteruskan ke PPID",
                    written={"category": "Lainnya", "status": "Terdaftar"})
    plan = plan_writes([(new, c1), (edited, c2)], hmap, JKT)
    updates = {(u.anchor, u.column): u.value for u in plan.batch.updates}
    assert updates[(new.anchor, "Nomor Register")] == "001/ADUAN/III/2026"
    assert updates[(edited.anchor, "Status")] == "Diteruskan ke PPID"
    # Staff typed over the worker's Kategori on row 2: theirs, never updated.
    assert (edited.anchor, "Kategori") not in updates
    assert (2, "register_no", reg2) in plan.in_sync
    ids = {new.anchor: 1, edited.anchor: 2}
    pending = plan.pending()
    assert [(i, v) for i, _, v in pending] == [(ids[u.anchor], u.value)
                                               for u in plan.batch.updates]
    assert (1, "register_no", "001/ADUAN/III/2026") in pending
    assert (2, "status", "Diteruskan ke PPID") in pending
    assert (1, "category", "Lainnya") in pending
    left = plan.pending({(edited.anchor, "Status")})
    assert (2, "status", "Diteruskan ke PPID") not in left and len(left) == len(pending) - 1
