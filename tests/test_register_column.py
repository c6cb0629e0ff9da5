"""The register-number column renamed by staff: the pass refuses instead of registering and
notifying every complaint a second time; a deleted column is still restored from the
ledger. And text from the sheet is printed as it is, brackets included."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from aduan_sync.ledger import Ledger
from aduan_sync.passrun import SheetLayoutError, run_pass
from tests.conftest import (
    FORM_HEADERS,
    JAKARTA,
    at,
    edit_book,
    invoke,
    naive_rows,
    read_book,
    write_book,
)
from tests.fakegoogle.forms import FORM_HEADERS as GOOGLE_FORM_HEADERS
from tests.fakegoogle.forms import form_rows
from tests.fakegoogle.passes import make_source

NOW = at(2026, 11, 23, 10, 0)



def first_pass(cfg, n: int = 3) -> Path:
    book = cfg.source.path
    write_book(book, FORM_HEADERS, naive_rows(n))
    assert run_pass(cfg, now=NOW, env={}).exit_code == 0
    return book


def rename_header(book: Path, old: str, new: str) -> None:
    def rename(ws):
        for cell in ws[1]:
            if cell.value == old:
                cell.value = new
    edit_book(book, rename)


def outbox_files(cfg) -> set[str]:
    return {p.name for p in cfg.mail.outbox_dir.iterdir()}


def test_a_renamed_register_column_stops_the_pass_before_anything_is_numbered_twice(
        cfg, workspace):
    book = first_pass(cfg)
    sent = outbox_files(cfg)
    rename_header(book, "Nomor Register", "No. Register")
    before = book.read_bytes()

    res = invoke(workspace, "sync", "--json")
    assert res.exit_code == 1
    error = json.loads(res.stdout)["error"]
    assert error == (
        "Kolom `Nomor Register` tidak ada, tetapi kolom `No. Register` berisi 3 nomor register "
        "yang sudah tercatat: judulnya tampaknya diubah. Kembalikan judul kolom itu menjadi "
        '`Nomor Register`, atau tulis register_no = "No. Register" di bagian [columns] '
        "konfigurasi. Tanpa itu setiap aduan akan didaftarkan dan dikirim dua kali; tidak ada "
        "yang diubah.")
    assert book.read_bytes() == before
    assert outbox_files(cfg) == sent
    with Ledger(cfg.storage.ledger_path) as ledger:
        assert len(ledger.complaints()) == 3

    res = invoke(workspace, "check")
    assert res.exit_code == 1
    # Printed as written: "[columns]" is text, not a style tag.
    assert "di bagian [columns] konfigurasi" in " ".join(res.output.split())

    rename_header(book, "No. Register", "Nomor Register")
    result = run_pass(cfg, now=NOW + timedelta(minutes=10), env={})
    assert result.exit_code == 0 and result.registered == []
    assert outbox_files(cfg) == sent


def test_the_renamed_column_named_in_the_config_is_simply_used(cfg, workspace):
    book = first_pass(cfg)
    sent = outbox_files(cfg)
    rename_header(book, "Nomor Register", "No. Register")
    toml = workspace / "aduan.toml"
    toml.write_text(toml.read_text(encoding="utf-8")
                    + '[columns]\nregister_no = "No. Register"\n', encoding="utf-8")
    res = invoke(workspace, "sync", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["registered"] == []
    assert [r["No. Register"] for r in read_book(book)] == [
        "001/ADUAN/XI/2026", "002/ADUAN/XI/2026", "003/ADUAN/XI/2026"]
    assert outbox_files(cfg) == sent


def test_a_deleted_register_column_is_restored_from_the_ledger(cfg):
    book = first_pass(cfg)
    sent = outbox_files(cfg)
    numbers = [r["Nomor Register"] for r in read_book(book)]

    def delete(ws):
        col = [c.value for c in ws[1]].index("Nomor Register") + 1
        ws.delete_cols(col)
    edit_book(book, delete)

    result = run_pass(cfg, now=NOW + timedelta(minutes=5), env={})
    assert result.exit_code == 0, result.to_json()
    assert result.registered == [] and result.restored_rows == 3
    assert [r["Nomor Register"] for r in read_book(book)] == numbers
    assert outbox_files(cfg) == sent


def test_text_typed_in_the_sheet_is_printed_as_typed_brackets_and_all(cfg, workspace):
    """Staff typed a status that looks like a closing style tag: the CLI prints the problem
    as it is (it used to end the print with rich's MarkupError)."""
    book = first_pass(cfg)

    def type_status(ws):
        col = [c.value for c in ws[1]].index("Status") + 1
        ws.cell(row=2, column=col).value = "[/selesai]"
    edit_book(book, type_status)
    res = invoke(workspace, "sync")
    assert res.exit_code == 1, res.output  # a row problem
    assert "Masalah baris 2: Status '[/selesai]' tidak dikenal" in res.output


def test_the_google_source_refuses_a_renamed_register_column_too(fake_google, google_config):
    now = datetime(2026, 1, 5, 12, 0, tzinfo=JAKARTA)
    sid = fake_google.add_spreadsheet(list(GOOGLE_FORM_HEADERS), form_rows(3))
    cfg = google_config(sid)
    first = run_pass(cfg, now=now, source=make_source(cfg), env={})
    assert first.exit_code == 0, first.to_json()
    assert len(first.registered) == 3
    sent = outbox_files(cfg)
    headers = fake_google.values(sid)[0]
    fake_google.set_cell(sid, 0, headers.index("Nomor Register"), "No. Register")
    before = fake_google.values(sid)

    with pytest.raises(SheetLayoutError) as e:
        run_pass(cfg, now=now + timedelta(minutes=5), source=make_source(cfg), env={})
    assert "kolom `No. Register` berisi 3 nomor register yang sudah tercatat" in e.value.message
    assert fake_google.values(sid) == before and outbox_files(cfg) == sent
    with Ledger(cfg.storage.ledger_path) as ledger:
        assert len(ledger.complaints()) == 3
