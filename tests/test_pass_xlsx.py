"""The whole pass on a real .xlsx workbook: register, archive, classify, write back, queue."""

from __future__ import annotations

import hashlib
import os
import stat
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest

from aduan_sync.errors import SourceBusyError
from aduan_sync.ledger import Ledger
from aduan_sync.passrun import run_pass
from tests.conftest import (
    AID,
    FORM_HEADERS,
    LIGHT,
    ROAD,
    at,
    edit_book,
    form_row,
    read_book,
    write_book,
)

NOW = at(2026, 11, 24, 9, 0)  # a Tuesday


def snapshot_files(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*")) if p.is_file()
    }


def three_rows() -> list[list[object]]:
    return [
        form_row(at(2026, 11, 23, 8, 0), ROAD, name="Budi Santoso", desa="Balong"),
        form_row(at(2026, 11, 23, 9, 30), LIGHT, name="Siti Aminah", desa="Gumeng"),
        form_row(at(2026, 11, 23, 7, 15), AID, name="Wartini", desa="Menjing"),
    ]


def naive(rows: list[list[object]]) -> list[list[object]]:
    """openpyxl stores naive datetimes: the sheet's wall clock."""
    return [[v.replace(tzinfo=None) if hasattr(v, "tzinfo") and v.tzinfo else v for v in r]
            for r in rows]


@pytest.fixture
def book(workspace: Path) -> Path:
    path = workspace / "form.xlsx"
    write_book(path, FORM_HEADERS, naive(three_rows()))
    return path


def by_name(rows: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {str(r["Nama Lengkap"]): r for r in rows}


def test_first_pass_numbers_rows_in_timestamp_order_and_fills_worker_columns(cfg, book):
    result = run_pass(cfg, now=NOW, env={})
    assert result.exit_code == 0, result.to_json()
    assert result.registered == ["001/ADUAN/XI/2026", "002/ADUAN/XI/2026", "003/ADUAN/XI/2026"]
    rows = by_name(read_book(book))
    assert rows["Wartini"]["Nomor Register"] == "001/ADUAN/XI/2026"  # earliest timestamp
    assert rows["Budi Santoso"]["Nomor Register"] == "002/ADUAN/XI/2026"
    assert rows["Siti Aminah"]["Nomor Register"] == "003/ADUAN/XI/2026"
    budi = rows["Budi Santoso"]
    assert budi["Kategori"] == "Infrastruktur dan Pembangunan"
    assert budi["Unit Tujuan"] == cfg.unit_for("Infrastruktur dan Pembangunan")
    assert budi["Kelengkapan"] == "Lengkap"
    assert budi["Status"] == "Diteruskan ke PPID"
    assert budi["Batas Waktu"] == "24/11/2026 08:00"  # Monday 08:00 + 1 working day
    assert budi["Tanggal Register"] == "24/11/2026 09:00"
    assert rows["Wartini"]["Kategori"] == "Kesejahteraan Sosial"


def test_second_pass_changes_no_file(cfg, book, workspace):
    run_pass(cfg, now=NOW, env={})
    before = snapshot_files(workspace)
    result = run_pass(cfg, now=NOW + timedelta(minutes=5), env={})
    assert not result.changed
    assert result.registered == [] and result.cells_written == 0 and result.queued == 0
    after = snapshot_files(workspace)
    assert before == after


def test_other_sheets_and_staff_columns_are_kept(cfg, book):
    def add_staff_column(ws):
        ws.cell(row=1, column=20, value="Petugas")
        ws.cell(row=2, column=20, value="Pak Harjo")

    edit_book(book, add_staff_column)
    run_pass(cfg, now=NOW, env={})
    wb = openpyxl.load_workbook(book)
    assert wb["Catatan Petugas"]["A1"].value == "milik petugas"
    ws = wb["Tanggapan Formulir 1"]
    assert ws.cell(row=1, column=20).value == "Petugas"
    assert ws.cell(row=2, column=20).value == "Pak Harjo"
    headers = [c.value for c in ws[1]]
    assert "Nomor Register" in headers and headers.index("Nomor Register") > 10


def test_sorted_and_inserted_rows_keep_register_numbers_on_their_complaints(cfg, book):
    run_pass(cfg, now=NOW, env={})
    numbers = {n: r["Nomor Register"] for n, r in by_name(read_book(book)).items()}

    def sort_and_insert(ws):
        rows = [list(r) for r in ws.iter_rows(min_row=2, values_only=True)]
        rows.sort(key=lambda r: str(r[2]), reverse=True)  # sort by name, descending
        ws.delete_rows(2, ws.max_row)
        new = naive([form_row(at(2026, 11, 24, 8, 30), ROAD, name="Joko", desa="Lempong")])[0]
        for r in [rows[0], new, *rows[1:]]:
            ws.append(r)

    edit_book(book, sort_and_insert)
    result = run_pass(cfg, now=NOW + timedelta(minutes=5), env={})
    assert result.registered == ["004/ADUAN/XI/2026"]
    after = by_name(read_book(book))
    for name, number in numbers.items():
        assert after[name]["Nomor Register"] == number
    assert after["Joko"]["Nomor Register"] == "004/ADUAN/XI/2026"


def test_deleted_row_does_not_move_values_onto_another_complaint(cfg, book):
    run_pass(cfg, now=NOW, env={})
    before = by_name(read_book(book))
    edit_book(book, lambda ws: ws.delete_rows(2, 1))  # delete Budi's row (first data row)
    run_pass(cfg, now=NOW + timedelta(minutes=5), env={})
    after = by_name(read_book(book))
    assert "Budi Santoso" not in after
    for name in ("Siti Aminah", "Wartini"):
        assert after[name]["Nomor Register"] == before[name]["Nomor Register"]
        assert after[name]["Kategori"] == before[name]["Kategori"]


def test_cleared_register_cell_is_written_back_with_the_same_number(cfg, book):
    run_pass(cfg, now=NOW, env={})
    rows = read_book(book)
    col = list(rows[0]).index("Nomor Register") + 1
    old = rows[1]["Nomor Register"]

    def clear(ws):
        ws.cell(row=3, column=col).value = None

    edit_book(book, clear)
    result = run_pass(cfg, now=NOW + timedelta(minutes=5), env={})
    assert result.registered == []
    assert result.restored_rows == 1
    assert read_book(book)[1]["Nomor Register"] == old


def test_register_sequence_restarts_at_new_year_in_office_time(cfg, workspace):
    path = workspace / "form.xlsx"
    rows = [
        form_row(at(2026, 12, 31, 23, 50), ROAD, name="Akhir Tahun"),
        form_row(at(2027, 1, 1, 0, 5), LIGHT, name="Awal Tahun"),
    ]
    write_book(path, FORM_HEADERS, naive(rows))
    result = run_pass(cfg, now=at(2027, 1, 1, 7, 0), env={})
    assert result.registered == ["001/ADUAN/XII/2026", "001/ADUAN/I/2027"]


def test_staff_category_is_never_overwritten(cfg, book):
    run_pass(cfg, now=NOW, env={})
    rows = read_book(book)
    col = list(rows[0]).index("Kategori") + 1
    edit_book(book, lambda ws: ws.cell(row=2, column=col, value="Pemerintahan Desa"))
    run_pass(cfg, now=NOW + timedelta(minutes=5), env={})
    run_pass(cfg, now=NOW + timedelta(minutes=10), env={})
    assert read_book(book)[0]["Kategori"] == "Pemerintahan Desa"
    with Ledger(cfg.storage.ledger_path) as ledger:
        c = ledger.complaint(read_book(book)[0]["Nomor Register"])
        assert c is not None and c.category == "Pemerintahan Desa"
        assert c.category_source == "staff"
        kinds = [e["kind"] for e in ledger.events(c.register_no)]
        assert "staff_edit_category" in kinds


def test_category_typed_before_registration_is_kept(cfg, workspace):
    path = workspace / "form.xlsx"
    headers = [*FORM_HEADERS, "Kategori"]
    write_book(path, headers, naive([[*form_row(at(2026, 11, 23, 8), ROAD), "Lainnya"]]))
    run_pass(cfg, now=NOW, env={})
    assert read_book(path)[0]["Kategori"] == "Lainnya"


def test_incomplete_complaint_asks_for_clarification(cfg, workspace):
    path = workspace / "form.xlsx"
    row = form_row(at(2026, 11, 23, 8), ROAD, name="", phone="", email="tanpa-email")
    write_book(path, FORM_HEADERS, naive([row]))
    assert run_pass(cfg, now=NOW, env={}).registered == ["001/ADUAN/XI/2026"]
    got = read_book(path)[0]
    assert got["Status"] == "Perlu Klarifikasi"
    assert str(got["Kelengkapan"]).startswith("Perlu Klarifikasi:")
    assert "nama" in str(got["Kelengkapan"]).lower()
    assert got["Batas Waktu"] in (None, "")
    with Ledger(cfg.storage.ledger_path) as ledger:  # no PPID mail yet, no email to ask
        assert [m.kind for m in ledger.messages()] == ["digest"]


def test_complete_complaint_queues_ppid_notification_and_receipt(cfg, book):
    result = run_pass(cfg, now=NOW, env={})
    # 3 PPID notifications, 3 receipts, the day's digest (past 07:30 on a Tuesday), and
    # reminders for the two complaints already past their deadline when first seen
    # (Monday 07:15 -> Monday 16:00; Monday 08:00 -> Tuesday 08:00).
    assert result.queued == 9 and result.sent == 9  # outbox backend: written as .eml files
    outbox = sorted(p.name for p in cfg.mail.outbox_dir.iterdir())
    assert len(outbox) == 9
    with Ledger(cfg.storage.ledger_path) as ledger:
        kinds = sorted((m.kind, m.register_no) for m in ledger.messages("sent"))
    assert kinds == [("digest", "")] + [("ppid_notification", f"00{i}/ADUAN/XI/2026")
                                        for i in (1, 2, 3)] + [
        ("receipt", f"00{i}/ADUAN/XI/2026") for i in (1, 2, 3)] + [
        ("reminder", "001/ADUAN/XI/2026"), ("reminder", "002/ADUAN/XI/2026")]


def test_workbook_open_in_another_program_is_refused_and_nothing_changes(cfg, book, workspace):
    lock = workspace / ".~lock.form.xlsx#"
    lock.write_text("user,host,...", encoding="utf-8")
    before = snapshot_files(workspace)
    with pytest.raises(SourceBusyError) as e:
        run_pass(cfg, now=NOW, env={})
    assert "sedang dibuka" in e.value.message
    after = snapshot_files(workspace)
    assert {k: v for k, v in after.items() if not k.startswith("data")} == \
        {k: v for k, v in before.items() if not k.startswith("data")}
    lock.unlink()
    assert run_pass(cfg, now=NOW, env={}).registered


def test_archive_folder_holds_answers_and_form_with_private_permissions(cfg, book):
    run_pass(cfg, now=NOW, env={})
    folder = cfg.storage.archive_dir / "2026" / "001-ADUAN-XI-2026"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for name in ("aduan.json", "formulir.html"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600
    import json

    record = json.loads((folder / "aduan.json").read_text(encoding="utf-8"))
    assert record["nomor_register"] == "001/ADUAN/XI/2026"
    assert record["jawaban"]["name"] == "Wartini"
    assert record["jawaban"]["phone"] == "081234567890"  # leading zero restored
    assert record["jawaban"]["nik"] == "3313064501800001"
    assert len(record["sha256_jawaban"]) == 64
    html = (folder / "formulir.html").read_text(encoding="utf-8")
    assert "001/ADUAN/XI/2026" in html and "KECAMATAN JENAWI" in html.upper()


def test_archive_folders_are_built_aside_and_a_killed_build_is_swept(cfg, book):
    """A new folder is written under a temporary name and renamed whole; one left by a
    killed pass is removed by the next pass, which writes the real folder."""
    year = cfg.storage.archive_dir / "2026"
    year.mkdir(parents=True, mode=0o700)
    stale = year / ".001-ADUAN-XI-2026.4242.tmpdir"  # a kill in the middle of a build
    stale.mkdir()
    (stale / "formulir.html").write_text("separuh", encoding="utf-8")
    result = run_pass(cfg, now=NOW, env={})
    assert result.exit_code == 0 and result.archived == 3
    assert not stale.exists()
    assert sorted(p.name for p in year.iterdir()) == [
        "001-ADUAN-XI-2026", "002-ADUAN-XI-2026", "003-ADUAN-XI-2026"]
    for folder in year.iterdir():
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert sorted(p.name for p in folder.iterdir()) == ["aduan.json", "formulir.html"]
    with Ledger(cfg.storage.ledger_path) as led:
        from aduan_sync import archive

        assert all(archive.verify_folder(cfg.storage.archive_dir, c) == []
                   for c in led.complaints())


def test_an_existing_folder_is_rewritten_in_place_atomically(cfg, book):
    """A folder already there (an archive redone after a crash, or attachments added) gets
    atomic rewrites of its files, never a second folder."""
    from aduan_sync import archive

    run_pass(cfg, now=NOW, env={})
    with Ledger(cfg.storage.ledger_path) as led:
        c = led.complaints()[0]
    folder = archive.folder_for(cfg.storage.archive_dir, c)
    (folder / "formulir.html").write_text("rusak", encoding="utf-8")
    sha, changed = archive.write_complaint(cfg.storage.archive_dir, c, lambda _: "halaman")
    assert changed and (folder / "formulir.html").read_text(encoding="utf-8") == "halaman"
    assert archive.write_complaint(cfg.storage.archive_dir, c, lambda _: "halaman") == (
        sha, False)
    assert not list(folder.parent.glob(".*"))


def test_identical_submissions_seconds_apart_are_two_complaints(cfg, workspace):
    path = workspace / "form.xlsx"
    rows = [form_row(at(2026, 11, 23, 8, 0, 0), ROAD), form_row(at(2026, 11, 23, 8, 0, 7), ROAD)]
    write_book(path, FORM_HEADERS, naive(rows))
    assert len(run_pass(cfg, now=NOW, env={}).registered) == 2


def test_citizen_formula_text_is_stored_as_text(cfg, workspace):
    path = workspace / "form.xlsx"
    write_book(path, FORM_HEADERS, naive([form_row(at(2026, 11, 23, 8), ROAD,
                                                   name="=HYPERLINK(\"http://x\")")]))

    def as_text(ws):  # Google Forms delivers what a citizen typed as text, never a formula
        ws.cell(row=2, column=3).data_type = "s"

    edit_book(path, as_text)
    result = run_pass(cfg, now=NOW, env={})
    assert result.registered == ["001/ADUAN/XI/2026"]
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_ledger_and_data_folder_are_private(cfg, book):
    run_pass(cfg, now=NOW, env={})
    assert stat.S_IMODE(cfg.storage.ledger_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(os.stat(cfg.storage.data_dir).st_mode) == 0o700


def test_rekap_sheet_is_created_and_refreshed_in_the_same_write(cfg, book):
    run_pass(cfg, now=NOW, env={})
    wb = openpyxl.load_workbook(book)
    assert "Rekap" in wb.sheetnames and wb.sheetnames[0] == "Tanggapan Formulir 1"
    cells = [str(c.value) for row in wb["Rekap"].iter_rows() for c in row if c.value]
    assert "REKAP ADUAN MASYARAKAT" in cells
    assert "Infrastruktur dan Pembangunan" in cells
    assert "001/ADUAN/XI/2026" in cells  # overdue at NOW (deadline Monday 16:00)
    assert all(c.data_type != "f" for row in wb["Rekap"].iter_rows() for c in row)


def test_archive_batches_cover_every_complaint_and_a_failure_keeps_the_ones_done(
    cfg, workspace, monkeypatch
):
    """Complaints are archived a batch at a time (the pass holds its own; a 50,000-row first
    import must not hold them twice): every one is written, in register order, and a batch
    that fails leaves the folders already written recorded, the rest for the next pass."""
    from aduan_sync import archive, passrun

    monkeypatch.setattr(passrun, "ARCHIVE_BATCH", 3)
    rows = [form_row(at(2026, 11, 23, 8, i), ROAD, name=f"Warga Batch {i:02d}",
                     email=f"warga{i}@example.com", nik=3313064501800100 + i)
            for i in range(8)]
    write_book(workspace / "form.xlsx", FORM_HEADERS, naive(rows))
    original, written = archive.write_complaint, []

    def fail_on_the_fifth(folder, c, render, entries=()):
        if len(written) == 4:
            raise archive.ArchiveError("Disk penuh.", detail="OSError: [Errno 28]")
        written.append(c.register_no)
        return original(folder, c, render, entries)

    monkeypatch.setattr(archive, "write_complaint", fail_on_the_fifth)
    loaded: list[int] = []
    batches = Ledger.unarchived_batches

    def counted(self, size):
        for batch in batches(self, size):
            loaded.append(len(batch))
            yield batch

    monkeypatch.setattr(Ledger, "unarchived_batches", counted)
    first = run_pass(cfg, now=NOW, env={})
    assert loaded == [3, 3]  # the failure came in the second batch
    assert first.exit_code == 1 and first.archived == 4 and len(first.registered) == 8
    with Ledger(cfg.storage.ledger_path) as led:
        numbers = [c.register_no for c in led.complaints()]
        assert [c.register_no for c in led.complaints() if c.archived_sha256] == numbers[:4]
    assert written == numbers[:4]  # in register order, across the first batch's boundary
    monkeypatch.setattr(archive, "write_complaint", original)
    nxt = run_pass(cfg, now=NOW + timedelta(minutes=5), env={})
    assert nxt.exit_code == 0 and nxt.archived == 4 and loaded[2:] == [3, 1]
    with Ledger(cfg.storage.ledger_path) as led:
        assert all(archive.verify_folder(cfg.storage.archive_dir, c) == []
                   for c in led.complaints())
