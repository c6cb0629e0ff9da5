"""Idle passes are recognised without per-row work, and never hide a due clock event."""

from __future__ import annotations

import hashlib
from pathlib import Path

from aduan_sync import config as config_mod
from aduan_sync.ledger import Ledger
from aduan_sync.passrun import run_pass
from tests.conftest import FORM_HEADERS, ROAD, at, edit_book, form_row, write_book


def naive(row):
    return [v.replace(tzinfo=None) if hasattr(v, "tzinfo") and v.tzinfo else v for v in row]


def book(workspace: Path, *rows) -> Path:
    path = workspace / "form.xlsx"
    write_book(path, FORM_HEADERS, [naive(r) for r in rows])
    return path


def reminders(cfg) -> list[str]:
    with Ledger(cfg.storage.ledger_path) as ledger:
        return sorted(m.message_id for m in ledger.messages() if m.kind == "reminder")


def files(root: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_an_unchanged_sheet_is_idle_and_writes_nothing(cfg, workspace):
    book(workspace, form_row(at(2026, 11, 23, 8, 0), ROAD))
    first = run_pass(cfg, now=at(2026, 11, 23, 8, 5), env={})
    assert first.registered and not first.idle
    before = files(workspace)
    second = run_pass(cfg, now=at(2026, 11, 23, 8, 10), env={})
    third = run_pass(cfg, now=at(2026, 11, 23, 9, 0), env={})
    assert second.idle and third.idle and third.rows == 1 and third.exit_code == 0
    assert files(workspace) == before


def test_a_staff_edit_ends_idleness(cfg, workspace):
    path = book(workspace, form_row(at(2026, 11, 23, 8, 0), ROAD))
    run_pass(cfg, now=at(2026, 11, 23, 8, 5), env={})
    assert run_pass(cfg, now=at(2026, 11, 23, 8, 10), env={}).idle

    def close(ws):
        headers = [c.value for c in ws[1]]
        ws.cell(row=2, column=headers.index("Status") + 1).value = "Ditolak"

    edit_book(path, close)
    result = run_pass(cfg, now=at(2026, 11, 23, 8, 15), env={})
    assert not result.idle and result.staff_edits == 1


def test_a_deadline_passing_ends_idleness_and_the_reminder_goes_out(cfg, workspace):
    book(workspace, form_row(at(2026, 11, 23, 8, 0), ROAD))  # deadline Tue 24/11 08:00
    run_pass(cfg, now=at(2026, 11, 23, 8, 5), env={})
    assert run_pass(cfg, now=at(2026, 11, 23, 15, 0), env={}).idle
    result = run_pass(cfg, now=at(2026, 11, 24, 8, 5), env={})
    assert not result.idle and len(reminders(cfg)) == 1


def test_the_next_working_day_of_an_overdue_complaint_is_not_slept_through(cfg, workspace):
    # Friday 20/11 10:00 + 1 working day -> Monday 23/11 10:00.
    book(workspace, form_row(at(2026, 11, 20, 10, 0), ROAD))
    run_pass(cfg, now=at(2026, 11, 20, 10, 5), env={})
    run_pass(cfg, now=at(2026, 11, 23, 10, 5), env={})  # first reminder (day 0)
    assert len(reminders(cfg)) == 1
    run_pass(cfg, now=at(2026, 11, 24, 9, 0), env={})
    assert run_pass(cfg, now=at(2026, 11, 24, 9, 30), env={}).idle
    result = run_pass(cfg, now=at(2026, 11, 24, 10, 5), env={})  # day 1 completes at 10:00
    assert not result.idle and len(reminders(cfg)) == 2


def test_a_changed_config_is_never_idle(workspace):
    cfg = config_mod.load(workspace / "aduan.toml")
    book(workspace, form_row(at(2026, 11, 23, 8, 0), ROAD))
    run_pass(cfg, now=at(2026, 11, 23, 8, 5), env={})
    assert run_pass(cfg, now=at(2026, 11, 23, 8, 10), env={}).idle
    text = (workspace / "aduan.toml").read_text(encoding="utf-8")
    (workspace / "aduan.toml").write_text(text + "[reminders]\nescalate_after_working_days = 2\n",
                                          encoding="utf-8")
    cfg2 = config_mod.load(workspace / "aduan.toml")
    assert not run_pass(cfg2, now=at(2026, 11, 23, 8, 15), env={}).idle


def test_problems_of_an_idle_sheet_are_still_reported(cfg, workspace):
    row = [*naive(form_row(at(2026, 11, 23, 8, 0), ROAD)), "999/ADUAN/XI/2026"]
    write_book(workspace / "form.xlsx", [*FORM_HEADERS, "Nomor Register"], [row])
    first = run_pass(cfg, now=at(2026, 11, 23, 8, 5), env={})
    assert first.exit_code == 1 and first.problems
    run_pass(cfg, now=at(2026, 11, 23, 8, 10), env={})
    later = run_pass(cfg, now=at(2026, 11, 23, 8, 15), env={})
    assert later.idle and later.exit_code == 1 and later.problems == first.problems


def test_google_sheet_after_our_own_write_is_idle_without_a_further_request(
    fake_google, google_config
):
    from tests.fakegoogle.forms import FORM_HEADERS as G_HEADERS
    from tests.fakegoogle.forms import form_rows

    sid = fake_google.add_spreadsheet(G_HEADERS, form_rows(20))
    cfg = google_config(sid)
    first = run_pass(cfg, now=at(2026, 11, 23, 8, 5), env={})
    assert len(first.registered) == 20 and not first.idle, first.to_json()
    assert first.exit_code == 0, first.to_json()
    fake_google.log.clear()
    # (a complaint of the fake's sample falls due at 08:07:01: that would end idleness too)
    second = run_pass(cfg, now=at(2026, 11, 23, 8, 6), env={})
    assert second.idle and second.api_requests == fake_google.count("sheets.*") == 2
    fake_google.set_cell(sid, 2, 1, "Nama diubah petugas")  # a staff edit in the sheet
    third = run_pass(cfg, now=at(2026, 11, 23, 8, 6, 30), env={})
    assert not third.idle
