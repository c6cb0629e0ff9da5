"""The office's own templates: a broken one is named (file, line, what) by `check` and by the
pass, which then renders with the packaged templates; a failure the check could not foresee
stops the pass with exit 2 and loses nothing."""

from __future__ import annotations

import email
import email.policy
import json
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from aduan_sync import config as config_mod
from aduan_sync import messages
from aduan_sync.cli import cli
from aduan_sync.errors import EXIT_CONFIG
from aduan_sync.ledger import Ledger
from aduan_sync.mail import template_check
from aduan_sync.mail.render import PACKAGED_TEMPLATES, make_environment
from aduan_sync.mail.template_check import template_problems
from aduan_sync.passrun import run_pass
from tests.conftest import (
    FORM_HEADERS,
    LIGHT,
    ROAD,
    at,
    edit_book,
    form_row,
    invoke,
    naive_rows,
    read_book,
    write_book,
)

NOW = at(2026, 11, 23, 10, 0)
PACKAGED_RECEIPT = (PACKAGED_TEMPLATES / "mail" / "receipt.txt.j2").read_text(encoding="utf-8")


def office_templates(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def use_templates(workspace: Path, folder: str = "templates") -> config_mod.Config:
    toml = workspace / "aduan.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace("[mail]\n", f'[mail]\ntemplates_dir = "{folder}"\n'),
                    encoding="utf-8")
    return config_mod.load(toml)



def bodies(outbox: Path) -> dict[str, str]:
    """file name -> the plain-text part of each message in the outbox."""
    out = {}
    for path in sorted(outbox.iterdir()):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        out[path.name] = msg.get_body(("plain",)).get_content()
    return out


def test_the_packaged_templates_and_a_folder_made_by_init_have_no_problems(tmp_path):
    assert template_problems(make_environment(PACKAGED_TEMPLATES)) == []
    res = CliRunner().invoke(cli, ["init", str(tmp_path)], obj={}, catch_exceptions=False)
    assert res.exit_code == 0, res.output
    office = tmp_path / "templates"
    assert (office / "mail" / "receipt.txt.j2").is_file()
    assert template_problems(make_environment(office)) == []


BROKEN = [
    # (file, its text, line, what the operator reads, Jinja2's message)
    ("mail/receipt.txt.j2", "Yth. {{ complaint.name }}\n{% if %}\n", 2,
     "penulisan perintah templat salah", "TemplateSyntaxError"),
    ("mail/answer.html.j2", "<p>{{ complaint.text | tebal }}</p>\n", 1,
     "memakai filter atau pengujian yang tidak dikenal", "No filter named 'tebal'"),
    ("mail/ppid_notification.txt.j2", "Aduan {{ complaint.register_no }}\n{{ complaint.nmae }}\n",
     2, "memakai nama data yang tidak ada", "has no attribute 'nmae'"),
    ("mail/reminder.txt.j2", 'Pengingat\n{% include "mail/_tidak_ada.txt.j2" %}\n', 2,
     "memanggil templat lain yang tidak ada", "_tidak_ada.txt.j2"),
    ("drafts/pemerintahan-desa.txt.j2", "\n\n{{ complaint.days_overdue + 'x' }}\n", 3,
     "gagal dibuat", "TypeError"),
    # Only in the branch of an incomplete complaint: the samples take it.
    ("mail/clarification_request.txt.j2",
     "{% if complaint.missing %}{{ complaint.kurang }}{% endif %}\n", 1,
     "memakai nama data yang tidak ada", "has no attribute 'kurang'"),
    # Only for the escalation to the Camat.
    ("mail/reminder.html.j2",
     "{% if complaint.escalation %}\n{{ camat.nama }}\n{% endif %}\n", 2,
     "memakai nama data yang tidak ada", "'camat' is undefined"),
    # A partial used by several kinds: reported once, not once per message.
    ("mail/_macros.html.j2", "{% macro baris(label, value) %}{% endfor %}{% endmacro %}\n", 1,
     "penulisan perintah templat salah", "TemplateSyntaxError"),
    ("archive/formulir.html.j2", "<h1>{{ complaint.register_no }}</h1>\n{{ kop_surat }}\n",
     2, "memakai nama data yang tidak ada", "'kop_surat' is undefined"),
]


@pytest.mark.parametrize(("name", "text", "line", "what", "detail"), BROKEN,
                         ids=[b[0] for b in BROKEN])
def test_each_broken_template_is_named_with_its_file_line_and_what_is_wrong(
        tmp_path, name, text, line, what, detail):
    folder = office_templates(tmp_path / "templates", {name: text})
    problems = template_problems(make_environment(folder))
    assert len(problems) == 1, [p.message for p in problems]
    p = problems[0]
    assert p.path == str(folder / name)
    assert p.line == line
    assert p.message == f"Templat {folder / name} baris {line}: {what}."
    assert detail in p.detail


def test_every_problem_of_a_folder_is_listed_by_check(workspace):
    office_templates(workspace / "templates", {name: text for name, text, *_ in BROKEN[:5]})
    use_templates(workspace)
    write_book(workspace / "form.xlsx", FORM_HEADERS, naive_rows(1))
    res = invoke(workspace, "check")
    assert res.exit_code == 1, res.output
    out = " ".join(res.output.split())
    for name, _, line, what, _ in BROKEN[:5]:
        assert f"Templat {workspace / 'templates' / name} baris {line}: {what}." in out
    assert "Hasil: 5 masalah ditemukan." in out


def test_a_pass_with_a_broken_office_template_mails_from_the_packaged_ones_until_fixed(
        workspace):
    folder = office_templates(workspace / "templates", {
        "mail/receipt.txt.j2": "TANDA TERIMA KANTOR {{ complaint.register_no }}\n",
        "mail/answer.txt.j2": "{% if %}\n",
    })
    cfg = use_templates(workspace)
    book = workspace / "form.xlsx"
    write_book(book, FORM_HEADERS, naive_rows(2))

    result = run_pass(cfg, now=NOW, env={})
    assert result.exit_code == 1
    assert result.registered == ["001/ADUAN/XI/2026", "002/ADUAN/XI/2026"]
    assert [r["Nomor Register"] for r in read_book(book)] == result.registered
    assert result.errors == [
        "Templat kantor tidak dapat dipakai, email dan formulir arsip dibuat dengan templat "
        f"bawaan sampai diperbaiki. Templat {folder / 'mail/answer.txt.j2'} baris 1: "
        "penulisan perintah templat salah. (Rincian teknis: TemplateSyntaxError: Expected an "
        "expression, got 'end of statement block')"]
    sent = bodies(cfg.mail.outbox_dir)
    receipts = [b for n, b in sent.items() if ".receipt." in n]
    assert len(receipts) == 2 and len(sent) == result.sent
    # The whole folder waits: its valid receipt too (a half-office, half-packaged set of
    # mails would be harder to explain than either).
    assert not any("TANDA TERIMA KANTOR" in b for b in receipts)
    assert all("Nomor Register" in b and "001/ADUAN/XI/2026" in receipts[0] for b in receipts)
    with Ledger(cfg.storage.ledger_path) as ledger:
        assert all(c.archived_sha256 for c in ledger.complaints())

    # Fixed: the next new complaint gets the office's own receipt, and no error.
    (folder / "mail/answer.txt.j2").unlink()
    edit_book(book, lambda ws: ws.append(form_row(NOW.replace(tzinfo=None), LIGHT,
                                                  name="Warga Baru")))
    result = run_pass(cfg, now=NOW + timedelta(minutes=5), env={})
    assert result.exit_code == 0, result.to_json()
    assert result.registered == ["003/ADUAN/XI/2026"]
    newest = [b for n, b in bodies(cfg.mail.outbox_dir).items() if "003-ADUAN" in n
              and ".receipt." in n]
    assert [b.strip() for b in newest] == ["TANDA TERIMA KANTOR 003/ADUAN/XI/2026"]


def test_a_template_failure_the_check_could_not_foresee_stops_the_pass_with_exit_2(
        workspace):
    """A branch only real data takes: the pass stops before anything is registered, says
    which file and line, and registers everything once the template is fixed."""
    receipt = (PACKAGED_RECEIPT
               + '{% if complaint.desa == "Lempong" %}{{ complaint.dusun }}{% endif %}\n')
    folder = office_templates(workspace / "templates", {"mail/receipt.txt.j2": receipt})
    cfg = use_templates(workspace)
    book = workspace / "form.xlsx"
    row = form_row(at(2026, 11, 23, 8, 0), ROAD, desa="Lempong")
    row[0] = row[0].replace(tzinfo=None)
    write_book(book, FORM_HEADERS, [row])
    before = book.read_bytes()

    res = invoke(workspace, "sync", "--json")
    assert res.exit_code == EXIT_CONFIG
    out = json.loads(res.stdout)
    line = receipt.count("\n")
    assert out["error"] == (
        f"Templat {folder / 'mail/receipt.txt.j2'} baris {line}: memakai nama data yang "
        "tidak ada. Perbaiki templat itu, lalu jalankan `aduan-sync check`; pekerjaan yang "
        "tertunda diselesaikan oleh proses berikutnya.")
    assert "has no attribute 'dusun'" in out["detail"]
    assert book.read_bytes() == before
    with Ledger(cfg.storage.ledger_path) as ledger:
        assert ledger.complaints() == []
    status = json.loads(invoke(workspace, "status", "--json").stdout)
    assert status["last_pass"]["result"] == "error"
    assert status["last_pass"]["summary"]["registered"] == 0  # rolled back, not "1 new"

    (folder / "mail/receipt.txt.j2").write_text(PACKAGED_RECEIPT, encoding="utf-8")
    res = invoke(workspace, "sync", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["registered"] == ["001/ADUAN/XI/2026"]


def test_a_folder_is_checked_once_per_change_of_its_files(tmp_path):
    folder = office_templates(tmp_path / "templates", {"mail/receipt.subject.j2": "{{ x }"})
    env, problems = messages.checked_environment(folder)
    assert env is messages.environment(PACKAGED_TEMPLATES) and len(problems) == 1
    assert messages.checked_environment(folder)[1] is problems  # not checked again
    (folder / "mail/receipt.subject.j2").write_text(
        "[Aduan {{ complaint.register_no }}] Diterima\n", encoding="utf-8")
    env, problems = messages.checked_environment(folder)
    assert problems == [] and env is messages.environment(folder)


def test_a_broken_report_template_is_named_by_the_report_command(workspace):
    office_templates(workspace / "templates", {
        "reports/laporan.html.j2": "<h1>{{ view.judul }}</h1>\n"})
    cfg = use_templates(workspace)
    write_book(workspace / "form.xlsx", FORM_HEADERS, naive_rows(2))
    run_pass(cfg, now=NOW, env={})
    res = invoke(workspace, "report", "--month", "2026-11", "--format", "html",
                 "--out", str(workspace / "laporan.html"))
    assert res.exit_code == EXIT_CONFIG, res.output
    assert (f"Templat {workspace / 'templates/reports/laporan.html.j2'} baris 1: memakai "
            "nama data yang tidak ada.") in " ".join(res.output.split())
    assert not (workspace / "laporan.html").exists()


def test_a_templates_dir_that_is_not_there_is_a_problem_and_the_pass_says_so(workspace):
    cfg = use_templates(workspace, "templat-kantor")
    write_book(workspace / "form.xlsx", FORM_HEADERS, naive_rows(1))
    res = invoke(workspace, "check")
    assert res.exit_code == 1, res.output
    assert f"Folder templat {workspace / 'templat-kantor'} tidak ditemukan." in \
        " ".join(res.output.split())

    result = run_pass(cfg, now=NOW, env={})
    assert result.exit_code == 1 and result.registered == ["001/ADUAN/XI/2026"]
    assert result.errors == [
        "Templat kantor tidak dapat dipakai, email dan formulir arsip dibuat dengan templat "
        f"bawaan sampai diperbaiki. Folder templat {workspace / 'templat-kantor'} tidak "
        "ditemukan."]
    assert result.sent == len(list(cfg.mail.outbox_dir.iterdir())) > 0


def test_the_sample_complaint_has_the_shape_of_a_real_one(cfg):
    """A template that works on real data must pass the check: the samples carry every key
    `Messenger.complaint_ctx` gives a real complaint, with values of the same types."""
    write_book(cfg.source.path, FORM_HEADERS, naive_rows(1))
    run_pass(cfg, now=NOW, env={})
    with Ledger(cfg.storage.ledger_path) as ledger:
        real = messages.Messenger(cfg).complaint_ctx(ledger.complaints()[0], files=[])
    sample = template_check._complaint()
    assert sample.keys() == real.keys()
    assert {k: type(v) for k, v in sample.items()} == {k: type(v) for k, v in real.items()}


def test_an_editors_hidden_lock_file_beside_a_template_is_no_template(tmp_path):
    folder = office_templates(tmp_path / "templates", {
        "mail/receipt.txt.j2": "Yth. {{ complaint.name }}\n"})
    (folder / "mail" / ".#receipt.txt.j2").symlink_to("staf@komputer.1234:1700000000")
    (folder / "mail" / ".receipt.txt.j2.swp.j2").write_bytes(b"\x00\x01 {% if")
    assert template_problems(make_environment(folder)) == []
