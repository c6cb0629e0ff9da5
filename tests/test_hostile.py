"""Citizens' text is hostile until proven otherwise: every field of a real pass, real files."""

from __future__ import annotations

import email
import email.policy
import json
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from aduan_sync.cli import cli
from aduan_sync.ledger import Ledger
from aduan_sync.passrun import SheetLayoutError, run_pass
from tests.conftest import FORM_HEADERS, ROAD, at, form_row, read_book

NOW = at(2026, 11, 24, 9, 0)
FORMULAS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1", "\r=1",
            '=HYPERLINK("http://evil.example","klik")']
LONG = ("Jalan desa rusak parah. " * 1700)[:40_000]
HOSTILE_TEXTS = [
    *FORMULAS,
    "<script>alert('x')</script> jalan rusak <b>parah</b> di Balong",
    "{{ config }} {% for x in range(10**9) %}{% endfor %} jalan rusak",
    LONG,
    "Jalan rusak 🚧🙏 di dusun, mohon dibantu 😭",
    "Jalan\u200b rusak\u200d di\u202e Balong\u202c mohon diperbaiki",
    "\u0644\u0627 jalan rusak",
]
HOSTILE_NAMES = ["Budi\r\nBcc: korban@example.net", "=?utf-8?q?Admin?= <x@example.net>",
                 "../../etc/passwd", "CON", "A" * 500]  # (NUL cannot exist in a sheet cell)


def write_text_book(path: Path, headers: list[str], rows: list[list[object]]) -> None:
    """Like Google Forms: whatever a citizen typed is stored as text, never as a formula."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Tanggapan Formulir 1"
    ws.append(headers)
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c)
            cell.value = value.replace(tzinfo=None) if isinstance(value, datetime) else value
            if isinstance(value, str):
                cell.data_type = "s"
    wb.save(path)


def hostile_rows() -> list[list[object]]:
    rows = []
    minute = 0
    for text in HOSTILE_TEXTS:
        rows.append(form_row(at(2026, 11, 23, 8, minute), text))
        minute += 1
    for name in HOSTILE_NAMES:
        rows.append(form_row(at(2026, 11, 23, 9, minute), ROAD, name=name))
        minute += 1
    for formula in FORMULAS:  # formula injection in every other field too
        row = form_row(at(2026, 11, 23, 10, minute), ROAD, name=formula, desa=formula,
                       email=formula, phone=formula, nik=formula, location=formula)
        row[6] = formula  # Alamat Lengkap
        row[10] = formula  # Lampiran
        rows.append(row)
        minute += 1
    rows.append(["31/02/2026 25:99", "x@example.com", "Tanggal Rusak", "", 81200001111,
                 "Balong", "", "Website", ROAD, "", ""])
    rows.append([None] * len(FORM_HEADERS))  # an empty row
    rows.append([datetime(2026, 11, 23, 11, 0)] + [None] * (len(FORM_HEADERS) - 1))
    rows.append(form_row(at(2026, 11, 23, 12, 0), ROAD, email="Budi <b@example.com>, "
                         "c@example.com\r\nBcc: d@example.net"))
    return rows


@pytest.fixture
def hostile(workspace: Path) -> Path:
    path = workspace / "form.xlsx"
    write_text_book(path, FORM_HEADERS, hostile_rows())
    return path


def test_a_pass_over_hostile_rows_registers_them_all(cfg, hostile):
    result = run_pass(cfg, now=NOW, env={})
    data_rows = len(hostile_rows()) - 1  # the empty row is not a complaint
    assert len(result.registered) == data_rows
    assert result.errors == []
    again = run_pass(cfg, now=NOW, env={})
    assert again.registered == [] and again.cells_written == 0


def test_no_cell_in_the_workbook_becomes_a_formula(cfg, hostile):
    run_pass(cfg, now=NOW, env={})
    wb = openpyxl.load_workbook(hostile)
    formulas = [c.coordinate for row in wb.active.iter_rows() for c in row
                if c.data_type == "f"]
    assert formulas == []


def test_broken_and_missing_timestamps_are_registered_with_a_note(cfg, hostile):
    run_pass(cfg, now=NOW, env={})
    rows = {r["Nama Lengkap"]: r for r in read_book(hostile)}
    broken = rows["Tanggal Rusak"]
    assert broken["Nomor Register"]
    assert "Cap waktu tidak dapat dibaca" in broken["Catatan"]
    only_ts = [r for r in read_book(hostile) if not r["Isi Aduan"] and r["Nomor Register"]]
    assert len(only_ts) == 1 and only_ts[0]["Status"] == "Perlu Klarifikasi"


def test_every_email_is_well_formed_with_no_injected_header_or_recipient(cfg, hostile):
    run_pass(cfg, now=NOW, env={})
    with Ledger(cfg.storage.ledger_path) as ledger:
        msgs = ledger.messages()
    assert msgs
    for m in msgs:
        parsed = email.message_from_bytes(m.eml, policy=email.policy.SMTP)
        assert parsed["Bcc"] is None
        # Whatever a name holds stays inside one quoted display name: never an address.
        addresses = [a.addr_spec for a in parsed["To"].addresses]
        assert "korban@example.net" not in addresses and addresses == m.recipients
        assert "d@example.net" not in m.recipients
        assert all("\n" not in str(v) and "\r" not in str(v) for _, v in parsed.items())
        assert parsed.get_body(("plain",)) is not None
        html = parsed.get_body(("html",))
        if html is not None:
            assert "<script>" not in html.get_content()
    assert all(len(m.recipients) == 1 for m in msgs if m.kind == "receipt")


def test_template_syntax_and_html_typed_by_a_citizen_stay_literal(cfg, hostile):
    run_pass(cfg, now=NOW, env={})
    archive = cfg.storage.archive_dir / "2026"
    pages = {p.parent.name: p.read_text(encoding="utf-8")
             for p in archive.rglob("formulir.html")}
    joined = "\n".join(pages.values())
    assert "<script>alert" not in joined and "&lt;script&gt;" in joined
    assert "{{ config }}" in joined  # shown as typed, never evaluated


def test_huge_text_and_unicode_survive_in_the_archive(cfg, hostile):
    run_pass(cfg, now=NOW, env={})
    texts = [json.loads(p.read_text(encoding="utf-8"))["jawaban"]["text"]
             for p in cfg.storage.archive_dir.rglob("aduan.json")]
    # An .xlsx cell holds at most 32,767 characters (openpyxl cuts there when the test
    # workbook is written); the archive keeps every one of them.
    assert LONG[:32_767].strip() in texts
    assert any("🚧" in t for t in texts)


def test_path_like_names_never_leave_the_archive(cfg, hostile):
    run_pass(cfg, now=NOW, env={})
    root = cfg.storage.archive_dir.resolve()
    for p in root.rglob("*"):
        assert root in p.resolve().parents or p.resolve() == root
    assert not (cfg.base_dir / "etc").exists()


def test_renamed_headers_work_through_aliases(workspace):
    headers = ["Stempel waktu", "Nama Pelapor", "No HP", "Desa", "Uraian Aduan"]
    write_text_book(workspace / "form.xlsx", headers,
                    [[datetime(2026, 11, 23, 8), "Budi", "0812345678901", "Balong", ROAD]])
    toml = (workspace / "aduan.toml").read_text(encoding="utf-8")
    (workspace / "aduan.toml").write_text(toml + '[fields]\nname = "Nama Pelapor"\n'
                                          'phone = ["No HP"]\ntext = "Uraian Aduan"\n',
                                          encoding="utf-8")
    res = CliRunner().invoke(cli, ["--config", str(workspace / "aduan.toml"), "sync", "--json"],
                             obj={})
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["registered"] == ["001/ADUAN/XI/2026"]


def test_missing_required_headers_stop_the_pass_with_a_clear_message(cfg, workspace):
    write_text_book(workspace / "form.xlsx", ["Cap waktu", "Nama Lengkap"],
                    [[datetime(2026, 11, 23, 8), "Budi"]])
    with pytest.raises(SheetLayoutError) as e:
        run_pass(cfg, now=NOW, env={})
    assert "Isi Aduan" in e.value.message
    assert read_book(workspace / "form.xlsx")[0].get("Nomor Register") is None


def test_duplicated_headers_are_reported_by_check(workspace):
    write_text_book(workspace / "form.xlsx", [*FORM_HEADERS, "Desa"], [])
    res = CliRunner().invoke(cli, ["--config", str(workspace / "aduan.toml"), "check"],
                             obj={})
    assert res.exit_code == 1 and "Desa" in res.stdout and "lebih dari sekali" in res.stdout
