"""`aduan-sync status`: counts by status, the overdue list, the outbox backlog, the last pass."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import time_machine

from aduan_sync import config as config_mod
from aduan_sync.ledger import Ledger
from aduan_sync.passrun import run_pass
from aduan_sync.status import status_report
from tests.conftest import AID, FORM_HEADERS, LIGHT, ROAD, at, form_row, invoke, write_book
from tests.smtpserver import dead_port

NOW = at(2026, 11, 23, 10, 0)  # Monday


def rows() -> list[list[object]]:
    out = []
    for i, (text, when) in enumerate([(ROAD, at(2026, 11, 23, 8, 0)),
                                      (LIGHT, at(2026, 11, 20, 10, 30)),  # Friday
                                      (AID, at(2026, 11, 23, 9, 0))]):
        r = form_row(when, text, name=f"Warga {i}")
        r[0] = r[0].replace(tzinfo=None)
        out.append(r)
    return out



def smtp_down(workspace: Path, max_attempts: int = 8) -> None:
    text = (workspace / "aduan.toml").read_text(encoding="utf-8").replace(
        'backend = "outbox"',
        f'backend = "smtp"\nsmtp_host = "127.0.0.1"\nsmtp_port = {dead_port()}\n'
        f'smtp_security = "none"\nsmtp_timeout = 5\nmax_attempts = {max_attempts}')
    (workspace / "aduan.toml").write_text(text, encoding="utf-8")


def test_fresh_install_reports_nothing_yet(workspace):
    res = invoke(workspace, "status")
    assert res.exit_code == 0
    assert res.stdout.splitlines() == [
        "Jumlah aduan: 0", "Melewati batas waktu: 0", "Email menunggu dikirim: 0; gagal: 0",
        "Proses terakhir yang mengubah data: belum ada"]


def test_overdue_list_is_oldest_first_with_working_days_late(workspace):
    write_book(workspace / "form.xlsx", FORM_HEADERS, rows())
    cfg = config_mod.load(workspace / "aduan.toml")
    run_pass(cfg, now=NOW, env={})
    with Ledger(cfg.storage.ledger_path) as ledger:
        deadlines = {c.register_no: c.deadline for c in ledger.complaints()}
        statuses = {c.register_no: c.status for c in ledger.complaints()}
    assert all(deadlines.values())
    later = max(d for d in deadlines.values() if d) + timedelta(days=2)  # past every deadline
    report = status_report(cfg, now=later)
    open_ones = [r for r, s in statuses.items() if s in ("Terdaftar", "Perlu Klarifikasi",
                                                         "Diteruskan ke PPID")]
    assert sorted(o["register_no"] for o in report["overdue"]) == sorted(open_ones)
    listed = [deadlines[o["register_no"]] for o in report["overdue"]]
    assert listed == sorted(listed)
    assert all(o["days_overdue"] >= 1 for o in report["overdue"])
    assert status_report(cfg, now=NOW)["overdue"] == []  # nothing is late at registration
    assert sum(report["by_status"].values()) == report["complaints"] == 3


def test_backlog_shows_waiting_mail_the_oldest_and_the_last_error(workspace):
    write_book(workspace / "form.xlsx", FORM_HEADERS, rows())
    smtp_down(workspace)
    cfg = config_mod.load(workspace / "aduan.toml")
    result = run_pass(cfg, now=NOW, env={})
    assert result.queued >= 3 and result.sent == 0
    b = status_report(cfg, now=NOW)["backlog"]
    assert b["pending"] == result.queued and b["retrying"] == 1
    assert b["oldest"] == "23/11/2026 10:00" and b["last_error"]
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        out = invoke(workspace, "status").stdout
    assert f"Email menunggu dikirim: {result.queued} (tertua 23/11/2026 10:00, 1 dicoba ulang)" \
        in out
    assert "Kesalahan kirim terakhir:" in out


def test_failed_messages_are_listed_by_register_number(workspace):
    write_book(workspace / "form.xlsx", FORM_HEADERS, rows()[:1])
    smtp_down(workspace, max_attempts=1)
    cfg = config_mod.load(workspace / "aduan.toml")
    run_pass(cfg, now=NOW, env={})
    report = status_report(cfg, now=NOW)
    assert report["outbox"]["failed"] == 1
    with time_machine.travel(NOW, tick=False):
        out = invoke(workspace, "status").stdout
    assert "; gagal: 1" in out and "  Gagal: 001/ADUAN/XI/2026 (" in out


def test_last_pass_time_is_shown_in_office_time_with_its_result_and_counts(workspace):
    write_book(workspace / "form.xlsx", FORM_HEADERS, rows())
    cfg = config_mod.load(workspace / "aduan.toml")
    with time_machine.travel(at(2026, 11, 23, 10, 0, 5), tick=False):
        invoke(workspace, "sync")
        out = invoke(workspace, "status").stdout
    assert ("Proses terakhir yang mengubah data: 23/11/2026 10:00 (ok): 3 aduan baru, "
            in out)
    last = status_report(cfg)["last_pass"]
    assert last["result"] == "ok" and last["summary"]["registered"] == 3
    sent = last["summary"]["mail_sent"]
    assert sent >= 3 and f"{sent} email terkirim, 0 gagal, 0 masalah" in out


def test_status_json_keeps_its_keys_and_adds_backlog(workspace):
    write_book(workspace / "form.xlsx", FORM_HEADERS, rows())
    invoke(workspace, "sync")
    data = json.loads(invoke(workspace, "status", "--json").stdout)
    assert {"complaints", "by_status", "overdue", "outbox", "failed_messages", "last_pass",
            "register", "backlog"} <= set(data)
    assert data["backlog"] == {"pending": 0, "retrying": 0, "oldest": "", "last_error": ""}
