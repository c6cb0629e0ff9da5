"""The SOP's clock and the staff's hands (issue 5), through real passes on a real workbook."""

from __future__ import annotations

import email
import email.policy
import json
from datetime import datetime, timedelta
from pathlib import Path

import time_machine
from click.testing import CliRunner

from aduan_sync import config as config_mod
from aduan_sync.cli import cli
from aduan_sync.ledger import Ledger
from aduan_sync.passrun import run_pass
from tests.conftest import (
    CONFIG_TEMPLATE,
    FORM_HEADERS,
    JAKARTA,
    LIGHT,
    ROAD,
    at,
    edit_book,
    form_row,
    read_book,
    write_book,
)

ANSWER = ("Terima kasih atas laporan Bapak. Perbaikan jalan dijadwalkan minggu depan oleh "
          "Pemerintah Desa Balong.")


def naive(row: list[object]) -> list[object]:
    return [v.replace(tzinfo=None) if isinstance(v, datetime) else v for v in row]


def book_with(workspace: Path, *rows: list[object]) -> Path:
    path = workspace / "form.xlsx"
    write_book(path, FORM_HEADERS, [naive(r) for r in rows])
    return path


def set_cell(path: Path, row: int, header: str, value: object) -> None:
    def edit(ws):
        headers = [c.value for c in ws[1]]
        ws.cell(row=row + 2, column=headers.index(header) + 1).value = value

    edit_book(path, edit)


def messages(cfg, kind: str | None = None):
    with Ledger(cfg.storage.ledger_path) as ledger:
        return [m for m in ledger.messages() if kind is None or m.kind == kind]


def with_camat(workspace: Path) -> config_mod.Config:
    text = CONFIG_TEMPLATE + ('[recipients]\ncamat_name = "Camat Jenawi"\n'
                              'camat_email = "camat@kecamatan-jenawi.example"\n')
    (workspace / "aduan.toml").write_text(text, encoding="utf-8")
    return config_mod.load(workspace / "aduan.toml")


def test_friday_afternoon_before_a_long_weekend_gets_the_next_working_day(cfg, workspace):
    # Friday 14 August 2026 15:00 is after Friday's closing (11:00); Monday 17 August is
    # Independence Day, so the clock starts Tuesday 07:30 and the deadline is Tuesday 16:00.
    path = book_with(workspace, form_row(at(2026, 8, 14, 15, 0), ROAD))
    run_pass(cfg, now=at(2026, 8, 14, 15, 3), env={})
    assert read_book(path)[0]["Batas Waktu"] == "18/08/2026 16:00"


def test_idul_fitri_and_cuti_bersama_are_skipped_with_the_real_clock(workspace):
    book_with(workspace, form_row(at(2026, 3, 17, 10, 0), LIGHT))
    with time_machine.travel(datetime(2026, 3, 17, 10, 4, tzinfo=JAKARTA), tick=False):
        res = CliRunner().invoke(cli, ["--config", str(workspace / "aduan.toml"), "sync"],
                                 obj={})
    assert res.exit_code == 0, res.output
    # 18 Mar cuti Nyepi, 19 Nyepi, 20–24 Idul Fitri with cuti bersama, 21–22 weekend.
    assert read_book(workspace / "form.xlsx")[0]["Batas Waktu"] == "25/03/2026 10:00"


def test_year_boundary_keeps_open_deadlines_and_restarts_numbering(cfg, workspace):
    path = book_with(workspace, form_row(at(2026, 12, 31, 15, 0), ROAD, name="Akhir"))
    run_pass(cfg, now=at(2026, 12, 31, 15, 2), env={})
    edit_book(path, lambda ws: ws.append(naive(form_row(at(2027, 1, 4, 8, 0), LIGHT,
                                                        name="Awal", phone=81311112222))))
    result = run_pass(cfg, now=at(2027, 1, 4, 8, 2), env={})
    assert result.registered == ["001/ADUAN/I/2027"]
    rows = {r["Nama Lengkap"]: r for r in read_book(path)}
    assert rows["Akhir"]["Nomor Register"] == "001/ADUAN/XII/2026"
    assert rows["Akhir"]["Batas Waktu"] == "04/01/2027 15:00"  # 1 January skipped


def test_an_answer_typed_by_staff_reaches_the_reporter_once(cfg, workspace):
    path = book_with(workspace, form_row(at(2026, 11, 23, 8, 0), ROAD, name="Budi Santoso"))
    run_pass(cfg, now=at(2026, 11, 23, 8, 5), env={})
    set_cell(path, 0, "Tanggapan", ANSWER)
    run_pass(cfg, now=at(2026, 11, 23, 10, 0), env={})
    run_pass(cfg, now=at(2026, 11, 23, 10, 5), env={})
    row = read_book(path)[0]
    assert row["Status"] == "Ditanggapi"
    assert row["Tanggal Tanggapan"] == "23/11/2026 10:00"
    (answer,) = messages(cfg, "answer")
    assert answer.recipients == ["sri@example.com"] and answer.status == "sent"
    msg = email.message_from_bytes(answer.eml, policy=email.policy.SMTP)
    assert msg["Subject"].startswith("[Aduan 001/ADUAN/XI/2026]")
    body = msg.get_body(("plain",)).get_content()
    assert "Perbaikan jalan dijadwalkan minggu depan" in body
    assert "3313064501800001" not in body  # never the NIK in a citizen's mail
    with Ledger(cfg.storage.ledger_path) as ledger:
        kinds = [e["kind"] for e in ledger.events("001/ADUAN/XI/2026")]
    assert kinds[:3] == ["registered", "classified", "status_changed"]
    assert "answer_sent" in kinds and kinds[-1] == "status_changed"


def test_an_answer_edited_after_sending_is_kept_but_not_resent(cfg, workspace):
    path = book_with(workspace, form_row(at(2026, 11, 23, 8, 0), ROAD))
    run_pass(cfg, now=at(2026, 11, 23, 8, 5), env={})
    set_cell(path, 0, "Tanggapan", ANSWER)
    run_pass(cfg, now=at(2026, 11, 23, 10, 0), env={})
    set_cell(path, 0, "Tanggapan", ANSWER + " Mohon maaf atas keterlambatannya.")
    run_pass(cfg, now=at(2026, 11, 23, 11, 0), env={})
    run_pass(cfg, now=at(2026, 11, 23, 11, 5), env={})
    assert len(messages(cfg, "answer")) == 1
    row = read_book(path)[0]
    assert "tidak dikirim ulang" in row["Catatan"]
    with Ledger(cfg.storage.ledger_path) as ledger:
        c = ledger.complaint("001/ADUAN/XI/2026")
        versions = ledger.answers(c.id)
    assert [(v["version"], v["delivered"]) for v in versions] == [(1, 1), (2, 0)]
    assert versions[0]["text"] == ANSWER


def test_a_social_media_complaint_without_email_is_marked_for_the_admin(cfg, workspace):
    path = book_with(workspace, form_row(at(2026, 11, 23, 8, 0), LIGHT, email="",
                                         channel="Instagram"))
    run_pass(cfg, now=at(2026, 11, 23, 8, 5), env={})
    set_cell(path, 0, "Tanggapan", "Lampu sudah diganti oleh petugas desa pada hari ini.")
    run_pass(cfg, now=at(2026, 11, 23, 9, 0), env={})
    row = read_book(path)[0]
    assert "siap diunggah admin melalui Instagram" in row["Catatan"]
    assert row["Status"] == "Diteruskan ke PPID" and not row["Tanggal Tanggapan"]
    assert messages(cfg, "answer") == []
    # The next day's digest carries the text to post.
    run_pass(cfg, now=at(2026, 11, 24, 7, 35), env={})
    digest = messages(cfg, "digest")[-1]  # the one for 24 November
    body = email.message_from_bytes(digest.eml, policy=email.policy.SMTP)
    assert "Lampu sudah diganti" in body.get_body(("plain",)).get_content()
    set_cell(path, 0, "Status", "Selesai")
    run_pass(cfg, now=at(2026, 11, 24, 9, 0), env={})
    row = read_book(path)[0]
    assert row["Status"] == "Selesai" and row["Tanggal Tanggapan"] == "24/11/2026 09:00"


def test_filled_in_reporter_data_sends_the_complaint_on_to_the_ppid(cfg, workspace):
    path = book_with(workspace, form_row(at(2026, 11, 23, 8, 0), ROAD, name="", phone="",
                                         email=""))
    run_pass(cfg, now=at(2026, 11, 23, 8, 5), env={})
    assert read_book(path)[0]["Status"] == "Perlu Klarifikasi"
    assert messages(cfg, "ppid_notification") == []
    set_cell(path, 0, "Nama Lengkap", "Sri Lestari")
    set_cell(path, 0, "Nomor HP/WhatsApp", "0812-3456-7890")
    run_pass(cfg, now=at(2026, 11, 23, 13, 0), env={})
    row = read_book(path)[0]
    assert row["Status"] == "Diteruskan ke PPID" and row["Kelengkapan"] == "Lengkap"
    assert row["Nomor Register"] == "001/ADUAN/XI/2026"
    assert row["Batas Waktu"] == "24/11/2026 13:00"  # counted from the clarification
    (ppid,) = messages(cfg, "ppid_notification")
    assert ppid.recipients == ["ppid@kecamatan-jenawi.example"]
    archived = json.loads((cfg.storage.archive_dir / "2026" / "001-ADUAN-XI-2026" /
                           "aduan.json").read_text(encoding="utf-8"))
    assert archived["jawaban"]["name"] == "Sri Lestari"


def test_overdue_reminders_once_per_working_day_then_escalation_never_repeated(workspace):
    cfg = with_camat(workspace)
    book_with(workspace, form_row(at(2026, 11, 23, 8, 0), ROAD))  # deadline Tue 24/11 08:00
    run_pass(cfg, now=at(2026, 11, 23, 8, 5), env={})
    assert messages(cfg, "reminder") == []
    for hour in (9, 10, 14):  # several passes on the day the deadline passed
        run_pass(cfg, now=at(2026, 11, 24, hour, 0), env={})
    assert len(messages(cfg, "reminder")) == 1
    run_pass(cfg, now=at(2026, 11, 24, 20, 0), env={})  # evening: office closed
    run_pass(cfg, now=at(2026, 11, 25, 9, 0), env={})
    run_pass(cfg, now=at(2026, 11, 25, 9, 30), env={})
    assert len(messages(cfg, "reminder")) == 2
    for day in (26, 27, 30):
        run_pass(cfg, now=at(2026, 11, day, 9, 0), env={})
    escalations = messages(cfg, "escalation")
    assert len(escalations) == 1 and escalations[0].recipients == [
        "camat@kecamatan-jenawi.example"]
    before = len(messages(cfg))
    # A restart: a fresh config load, a fresh ledger connection, the same moment again.
    cfg2 = config_mod.load(workspace / "aduan.toml")
    run_pass(cfg2, now=at(2026, 11, 30, 9, 0), env={})
    assert len(messages(cfg2)) == before


def test_answered_or_closed_complaints_get_no_reminder(cfg, workspace):
    path = book_with(workspace, form_row(at(2026, 11, 23, 8, 0), ROAD),
                     form_row(at(2026, 11, 23, 8, 1), LIGHT, name="Dua", phone=81399998888))
    run_pass(cfg, now=at(2026, 11, 23, 8, 5), env={})
    set_cell(path, 0, "Tanggapan", ANSWER)
    set_cell(path, 1, "Status", "Ditolak")
    run_pass(cfg, now=at(2026, 11, 24, 9, 0), env={})
    assert messages(cfg, "reminder") == []
    statuses = [r["Status"] for r in read_book(path)]
    assert statuses == ["Ditanggapi", "Ditolak"]


def test_worker_never_moves_a_staff_closed_status(cfg, workspace):
    path = book_with(workspace, form_row(at(2026, 11, 23, 8, 0), ROAD))
    run_pass(cfg, now=at(2026, 11, 23, 8, 5), env={})
    set_cell(path, 0, "Status", "Duplikat")
    run_pass(cfg, now=at(2026, 11, 23, 9, 0), env={})
    set_cell(path, 0, "Tanggapan", ANSWER)
    run_pass(cfg, now=at(2026, 11, 23, 10, 0), env={})
    assert read_book(path)[0]["Status"] == "Duplikat"
    with Ledger(cfg.storage.ledger_path) as ledger:
        events = ledger.events("001/ADUAN/XI/2026")
    staff = [e for e in events if e["actor"] == "staff" and e["kind"] == "status_changed"]
    assert staff and staff[0]["detail"]["new"] == "Duplikat"


def test_same_contact_and_nearly_the_same_text_is_flagged_not_dropped(cfg, workspace):
    path = book_with(
        workspace,
        form_row(at(2026, 11, 20, 8, 0), ROAD),
        form_row(at(2026, 11, 23, 9, 0), ROAD.replace("parah", "parah sekali")),
        form_row(at(2026, 11, 23, 9, 5), LIGHT),
    )
    result = run_pass(cfg, now=at(2026, 11, 23, 9, 10), env={})
    assert len(result.registered) == 3
    notes = [r["Catatan"] or "" for r in read_book(path)]
    assert "Kemungkinan duplikat dari 001/ADUAN/XI/2026" in notes[1]
    assert "duplikat" not in notes[2].lower()


def test_a_failed_message_shows_in_status_and_the_rows_note(workspace):
    text = CONFIG_TEMPLATE.replace('backend = "outbox"', 'backend = "smtp"\nsmtp_host = '
                                   '"127.0.0.1"\nsmtp_port = 9\nsmtp_security = "none"\n'
                                   'max_attempts = 1')
    (workspace / "aduan.toml").write_text(text, encoding="utf-8")
    cfg = config_mod.load(workspace / "aduan.toml")
    path = book_with(workspace, form_row(at(2026, 11, 23, 8, 0), ROAD))
    first = run_pass(cfg, now=at(2026, 11, 23, 8, 5), env={})
    assert first.exit_code == 1 and first.mail_failed >= 1
    run_pass(cfg, now=at(2026, 11, 23, 8, 10), env={})
    assert "gagal dikirim" in read_book(path)[0]["Catatan"]
    res = CliRunner().invoke(cli, ["--config", str(workspace / "aduan.toml"), "status",
                                   "--json"], obj={})
    assert json.loads(res.stdout)["failed_messages"]


def test_now_is_the_real_clock_when_not_given(cfg, workspace):
    book_with(workspace, form_row(at(2026, 11, 23, 8, 0), ROAD))
    with time_machine.travel(datetime(2026, 11, 23, 8, 6, tzinfo=JAKARTA), tick=False):
        result = run_pass(cfg, env={})
    assert result.started_at == at(2026, 11, 23, 8, 6)
    assert result.started_at - at(2026, 11, 23, 8, 0) == timedelta(minutes=6)
