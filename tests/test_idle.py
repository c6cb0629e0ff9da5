"""Idle passes are recognised without per-row work, and never hide a due clock event."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import pytest

from aduan_sync import config as config_mod
from aduan_sync.defaults import SHEET_VERSION_RETRY_SECONDS
from aduan_sync.ledger import Ledger
from aduan_sync.passrun import run_pass
from aduan_sync.sources import gsheets_json, gsheets_plan
from tests.conftest import FORM_HEADERS, LIGHT, ROAD, at, edit_book, form_row, write_book
from tests.fakegoogle.passes import make_source
from tests.fakegoogle.support import FakeClock

#: A second reporter, for a response that arrives while a pass runs.
SECOND = dict(name="Budi Santoso", email="budi@example.com", nik=3313064501800002)


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


# -- Google: an unchanged Drive version spares the read -------------------------------------

def google_office(fake_google, google_config):
    """A sheet with one complaint, registered (08:05) and settled: that pass confirms its own
    write-back with one more read and notes the sheet's new version."""
    sid = fake_google.add_spreadsheet(FORM_HEADERS, [naive(form_row(at(2026, 11, 23, 8, 0),
                                                                    ROAD))])
    cfg = google_config(sid)
    first = run_pass(cfg, now=at(2026, 11, 23, 8, 5), env={})
    assert first.registered and first.exit_code == 0, first.to_json()
    assert run_pass(cfg, now=at(2026, 11, 23, 8, 10), env={}).idle
    fake_google.log.clear()
    return sid, cfg


def values_read(fake_google) -> int:
    return fake_google.count("sheets.values.*Get") + fake_google.count("sheets.values.get")


def test_google_a_pass_confirms_its_own_write_so_the_next_passes_cost_one_request(
    fake_google, google_config, tmp_path
):
    sid = fake_google.add_spreadsheet(FORM_HEADERS, [naive(form_row(at(2026, 11, 23, 8, 0),
                                                                    ROAD))])
    cfg = google_config(sid)
    first = run_pass(cfg, now=at(2026, 11, 23, 8, 5), env={})
    assert first.registered and not first.idle and first.exit_code == 0, first.to_json()
    # The version asked before its read is stale after its own write-back: the pass asks
    # again and reads once more (after the write), finds what it wrote, and notes the version.
    kinds = [r.endpoint for r in fake_google.requests("*") if not r.endpoint.startswith("oauth")]
    write = kinds.index("sheets.values.batchUpdate")
    # (the `Rekap` tab the write added rides in the read: values.batchGet)
    assert kinds[write + 1:] == ["drive.files.get", "sheets.get", "sheets.values.batchGet"]
    before = files(tmp_path)
    for minute in (10, 15, 20, 55):
        fake_google.log.clear()
        later = run_pass(cfg, now=at(2026, 11, 23, 8, minute), env={})
        assert later.idle and later.api_requests == 1 and later.exit_code == 0
        assert (later.rows, later.problems) == (1, [])
        assert fake_google.count("sheets.*") == 0
        [asked] = fake_google.requests("drive.files.get")
        assert asked.path.endswith(f"/drive/v3/files/{sid}")
        assert asked.query["fields"] == ["version,modifiedTime"]
    assert files(tmp_path) == before  # not even the ledger


def test_a_form_submission_moves_the_version_and_is_registered(fake_google, google_config):
    sid, cfg = google_office(fake_google, google_config)
    fake_google.append_rows(sid, [naive(form_row(at(2026, 11, 23, 8, 40), LIGHT,
                                                 name="Budi Santoso", email="budi@example.com",
                                                 nik=3313064501800002))])
    result = run_pass(cfg, now=at(2026, 11, 23, 8, 45), env={})
    assert not result.idle and len(result.registered) == 1 and result.exit_code == 0
    assert values_read(fake_google) >= 1


def test_a_staff_edit_moves_the_version_and_is_read(fake_google, google_config):
    sid, cfg = google_office(fake_google, google_config)
    status = fake_google.values(sid)[0].index("Status")
    fake_google.set_cell(sid, 1, status, "Ditolak")
    result = run_pass(cfg, now=at(2026, 11, 23, 8, 45), env={})
    assert not result.idle and result.staff_edits == 1
    assert values_read(fake_google) >= 1


def test_a_moved_version_over_unchanged_values_is_idle_without_converting_rows(
    fake_google, google_config, monkeypatch
):
    """A format change moves the version: the pass reads, and its digest alone tells it is
    idle; turning 50,000 rows into the pass's cells would cost half a second for nothing."""
    sid, cfg = google_office(fake_google, google_config)
    converted: list[int] = []
    real = gsheets_plan.convert_values

    def counted(values, *args):
        converted.append(len(values))
        return real(values, *args)

    monkeypatch.setattr(gsheets_plan, "convert_values", counted)
    fake_google.spreadsheet(sid).touch()
    result = run_pass(cfg, now=at(2026, 11, 23, 8, 45), env={})
    assert result.idle and result.exit_code == 0 and values_read(fake_google) == 1
    assert converted == []
    # A changed sheet is converted, once, for the pass and its write-back alike.
    status = fake_google.values(sid)[0].index("Status")
    fake_google.set_cell(sid, 1, status, "Ditolak")
    result = run_pass(cfg, now=at(2026, 11, 23, 8, 50), env={})
    assert not result.idle and result.staff_edits == 1
    assert converted == [2]


def count_decodes(monkeypatch) -> list[int]:
    """Sizes of the values answers decoded from now on (`values.get` and `values.batchGet`)."""
    decoded: list[int] = []
    for name in ("decode_values", "decode_value_ranges"):
        real = getattr(gsheets_json, name)

        def counted(content, *args, real=real):
            decoded.append(len(content))
            return real(content, *args)

        monkeypatch.setattr(gsheets_json, name, counted)
    return decoded


def idle_state(cfg) -> dict:
    with Ledger(cfg.storage.ledger_path) as ledger:
        return json.loads(ledger.state("idle"))


def test_a_moved_version_over_the_same_answer_is_idle_without_decoding_it(
    fake_google, google_config, monkeypatch
):
    """The confirming read of the pass that wrote noted its answer's hash: a read that comes
    back byte for byte the same is idle before a single cell is decoded (at 50,000 rows,
    decoding and hashing the values takes about half a second)."""
    sid, cfg = google_office(fake_google, google_config)
    noted = idle_state(cfg)
    assert noted["answer"] and noted["version"]
    decoded = count_decodes(monkeypatch)
    fake_google.spreadsheet(sid).touch()  # a format change: new version, same values
    result = run_pass(cfg, now=at(2026, 11, 23, 8, 45), env={})
    assert result.idle and result.exit_code == 0 and values_read(fake_google) == 1
    assert decoded == []
    after = idle_state(cfg)
    assert after["version"] != noted["version"]  # the new version, noted for the next pass
    assert (after["answer"], after["digest"]) == (noted["answer"], noted["digest"])
    # One value changed: another answer, decoded, and the staff's edit taken over.
    status = fake_google.values(sid)[0].index("Status")
    fake_google.set_cell(sid, 1, status, "Ditolak")
    result = run_pass(cfg, now=at(2026, 11, 23, 8, 50), env={})
    assert not result.idle and result.staff_edits == 1
    assert decoded and idle_state(cfg)["answer"] != noted["answer"]


def test_an_answer_not_noted_is_decoded_and_its_digest_decides(
    fake_google, google_config, monkeypatch
):
    """Equal values need not come back as equal bytes (Google may write its JSON another
    way): an answer other than the noted one is decoded, and equal digests still mean idle;
    its hash is then noted for the next read."""
    sid, cfg = google_office(fake_google, google_config)
    with Ledger(cfg.storage.ledger_path) as ledger:
        state = json.loads(ledger.state("idle"))
        noted = state["answer"]
        ledger.set_state("idle", json.dumps({**state, "answer": "0" * 64}))
    decoded = count_decodes(monkeypatch)
    fake_google.spreadsheet(sid).touch()
    result = run_pass(cfg, now=at(2026, 11, 23, 8, 45), env={})
    assert result.idle and result.exit_code == 0 and len(decoded) == 1
    assert idle_state(cfg)["answer"] == noted


def test_the_noted_answer_is_bound_to_the_config(fake_google, google_config, monkeypatch,
                                                  tmp_path):
    """Under another config the same bytes say nothing: the values are decoded and the pass
    runs in full (the config may map the columns another way)."""
    sid, cfg = google_office(fake_google, google_config)
    path = tmp_path / "config" / "aduan.toml"
    path.write_text(path.read_text(encoding="utf-8")
                    + "\n[reminders]\nescalate_after_working_days = 2\n", encoding="utf-8")
    changed = config_mod.load(path)
    decoded = count_decodes(monkeypatch)
    fake_google.spreadsheet(sid).touch()
    result = run_pass(changed, now=at(2026, 11, 23, 8, 45), env={})
    assert not result.idle and result.exit_code == 0 and decoded


def test_a_deadline_due_under_an_unchanged_version_reads_the_sheet_and_reminds(
    fake_google, google_config
):
    sid, cfg = google_office(fake_google, google_config)  # deadline Tue 24/11 08:00
    version = fake_google.spreadsheet(sid).version
    assert run_pass(cfg, now=at(2026, 11, 23, 15, 0), env={}).idle
    assert values_read(fake_google) == 0
    assert fake_google.spreadsheet(sid).version == version  # nobody touched the sheet
    result = run_pass(cfg, now=at(2026, 11, 24, 8, 5), env={})
    assert not result.idle and len(reminders(cfg)) == 1
    assert values_read(fake_google) >= 1


def test_a_changed_config_reads_the_sheet_under_an_unchanged_version(
    fake_google, google_config, tmp_path
):
    sid, cfg = google_office(fake_google, google_config)
    path = tmp_path / "config" / "aduan.toml"
    path.write_text(path.read_text(encoding="utf-8")
                    + "\n[reminders]\nescalate_after_working_days = 2\n", encoding="utf-8")
    result = run_pass(config_mod.load(path), now=at(2026, 11, 23, 8, 45), env={})
    assert not result.idle and result.exit_code == 0
    assert values_read(fake_google) == 1 and fake_google.count("drive.*") == 1


@pytest.mark.parametrize("fault", [
    {"status": 403, "reason": "insufficientPermissions"},  # token without drive.readonly
    {"status": 403, "reason": "accessNotConfigured"},  # Drive API not enabled
    {"status": 404},
    {"status": 500},
    {"status": None, "drop": True},  # connection reset
])
def test_no_answer_about_the_version_means_a_full_read_and_a_clean_pass(
    fake_google, google_config, fault
):
    sid, cfg = google_office(fake_google, google_config)
    fake_google.fail("drive.files.get", times=0, **fault)
    clock = FakeClock()
    result = run_pass(cfg, now=at(2026, 11, 23, 8, 45), source=make_source(cfg, clock),
                      env={})
    assert result.idle and result.exit_code == 0 and not result.errors, result.to_json()
    assert values_read(fake_google) == 1
    asked = fake_google.count("drive.files.get")
    assert result.api_requests == fake_google.count("sheets.*") + asked
    if fault["status"] in (403, 404):
        assert asked == 1 and clock.sleeps == []
    else:  # retried, briefly: Drive down must not hold every pass for two minutes
        assert asked > 1 and sum(clock.sleeps) <= SHEET_VERSION_RETRY_SECONDS

    fake_google.append_rows(sid, [naive(form_row(at(2026, 11, 23, 8, 50), LIGHT,
                                                 name="Budi Santoso", email="budi@example.com",
                                                 nik=3313064501800002))])
    later = run_pass(cfg, now=at(2026, 11, 23, 8, 55), source=make_source(cfg, FakeClock()),
                     env={})
    assert len(later.registered) == 1 and later.exit_code == 0


def test_a_failed_version_ask_is_logged_once_at_info_then_at_debug(
    fake_google, google_config, caplog, monkeypatch
):
    from aduan_sync.sources import gsheets_version

    monkeypatch.setattr(gsheets_version, "_failures_logged", set())
    sid, cfg = google_office(fake_google, google_config)
    fake_google.fail("drive.files.get", times=0, status=403, reason="accessNotConfigured")
    caplog.set_level(logging.DEBUG, logger="aduan_sync")
    for minute in (45, 50):
        assert run_pass(cfg, now=at(2026, 11, 23, 8, minute), env={}).exit_code == 0
    records = [r for r in caplog.records if getattr(r, "event", "") == "sheet_version_unknown"]
    assert [r.levelno for r in records] == [logging.INFO, logging.DEBUG]
    assert "Google Drive API belum diaktifkan" in records[0].getMessage()


# -- a change made while a pass runs is never taken for the pass's own ----------------------

@pytest.mark.parametrize("arrives", [
    # after the pass read the sheet, before the write-back asks Drive for the version again
    # (the version moved: the write-back reads the sheet again)
    ("drive.files.get", 2),
    # after that ask, just before the write itself
    ("sheets.values.batchUpdate", 1),
    # after the write, before the confirming read (values.batchGet: with the new `Rekap` tab)
    ("sheets.values.batchGet", 1),
], ids=["before-the-write-back", "just-before-the-write", "before-the-confirming-read"])
def test_a_submission_during_a_pass_is_registered_by_the_next_google(fake_google,
                                                                     google_config, arrives):
    sid = fake_google.add_spreadsheet(FORM_HEADERS, [naive(form_row(at(2026, 11, 23, 8, 0),
                                                                    ROAD))])
    cfg = google_config(sid)
    late = naive(form_row(at(2026, 11, 23, 8, 4), LIGHT, **SECOND))
    fake_google.before(*arrives, lambda f: f.append_rows(sid, [late]))
    first = run_pass(cfg, now=at(2026, 11, 23, 8, 5), env={})
    assert len(first.registered) == 1 and len(fake_google.values(sid)) == 3
    second = run_pass(cfg, now=at(2026, 11, 23, 8, 10), env={})
    assert not second.idle and len(second.registered) == 1, second.to_json()
    assert run_pass(cfg, now=at(2026, 11, 23, 8, 15), env={}).api_requests == 1


def test_a_submission_during_a_pass_is_registered_by_the_next_xlsx(cfg, workspace,
                                                                   monkeypatch):
    from aduan_sync.sources.xlsx import XlsxSource

    path = book(workspace, form_row(at(2026, 11, 23, 8, 0), ROAD))
    original = XlsxSource.write

    def write_after_a_submission(self, batch):
        edit_book(path, lambda ws: ws.append(naive(form_row(at(2026, 11, 23, 8, 4), LIGHT,
                                                            **SECOND))))
        monkeypatch.setattr(XlsxSource, "write", original)
        return original(self, batch)

    monkeypatch.setattr(XlsxSource, "write", write_after_a_submission)
    first = run_pass(cfg, now=at(2026, 11, 23, 8, 5), env={})
    assert len(first.registered) == 1
    second = run_pass(cfg, now=at(2026, 11, 23, 8, 10), env={})
    assert not second.idle and len(second.registered) == 1, second.to_json()
