"""Crash consistency (issue 9 item 1): passes SIGKILLed at random moments, then recovered.

The bounded CI series: 10 trials on each source (`.xlsx`, and the fake Google server in this
process), with a real SMTP server recording every delivery; the full run with figures is
`python -m tests.crash` (see README, "Crash consistency"). The harness's own checks are tested
here too: each invariant must catch the damage it is there to catch.
"""

from __future__ import annotations

import random
import smtplib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from aduan_sync import archive
from aduan_sync.ledger import Ledger
from tests.crash.harness import CrashReport, recover, run_trials
from tests.crash.invariants import check_world
from tests.crash.world import Staff, World

CI_TRIALS = 10


def _assert_consistent(report: CrashReport) -> None:
    figures = report.figures()
    assert report.violations == [], "\n".join(report.violations[:20])
    # The series really killed passes, in more than one step of the pass.
    assert figures["killed"] >= CI_TRIALS // 2, figures
    assert len(set(figures["phases"]) - {"finished"}) >= 2, figures
    assert figures["lost_complaints"] == 0 and figures["lost_messages"] == 0
    # A duplicate can only come from a kill that left its message in `sending`.
    assert figures["duplicates"] <= figures["kills_in_send_window"], figures
    assert report.idle_after


@pytest.mark.timeout(90)
def test_sigkilled_passes_on_the_xlsx_source_lose_nothing_and_number_once(tmp_path):
    _assert_consistent(run_trials(tmp_path / "xlsx", "xlsx", CI_TRIALS, seed=9))


@pytest.mark.timeout(90)
def test_sigkilled_passes_on_the_google_source_lose_nothing_and_number_once(tmp_path):
    _assert_consistent(run_trials(tmp_path / "google", "google", CI_TRIALS, seed=9))


# -- the invariants catch what they are there to catch -------------------------------------


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """An xlsx world after one clean pass over three complaints: every invariant holds."""
    w = World.build(tmp_path, "xlsx")
    try:
        Staff(w, random.Random(5)).submit(1, 3)
        assert recover(w).returncode == 0
        assert check_world(w).violations == []
        yield w
    finally:
        w.close()


def test_check_catches_a_staff_cell_the_worker_changed(world):
    name = next(iter(world.expected))
    world.sheet.set(name, "Isi Aduan", "diubah oleh seseorang")
    (v,) = check_world(world).violations
    assert name in v and "Isi Aduan changed" in v


def test_check_catches_a_missing_archive_file(world):
    with Ledger(world.ledger_path) as ledger:
        c = ledger.complaints()[0]
    (archive.folder_for(world.archive_dir, c) / "formulir.html").unlink()
    violations = check_world(world).violations
    assert any(c.register_no in v and "formulir.html" in v for v in violations), violations


def test_check_catches_a_number_allocated_and_never_used(world):
    db = sqlite3.connect(world.ledger_path)
    with db:
        db.execute("UPDATE register_seq SET last_seq = last_seq + 1")
    db.close()
    assert any("never used" in v for v in check_world(world).violations)


def test_check_catches_a_message_delivered_twice_outside_the_send_window(world):
    received = world.recorder.received[0]
    with smtplib.SMTP("127.0.0.1", world.smtp.port) as smtp:
        smtp.sendmail(received.mail_from, received.rcpt_tos, received.data)
    chk = check_world(world)
    assert chk.duplicates == 1
    assert any("outside the send window" in v for v in chk.violations), chk.violations


def test_check_catches_a_complaint_without_a_number(world):
    Staff(world, random.Random(6)).submit(2, 1)  # submitted, no pass since
    chk = check_world(world)
    assert chk.lost_complaints == 1
    assert any("0 complaints in the ledger" in v for v in chk.violations)


# -- temporary files a kill leaves behind are removed by the next write there -------------


def test_temporary_files_left_by_a_killed_write_are_removed_by_the_next_pass(world):
    stale_book = world.root / ".form.k1ll3d.tmp"  # a workbook save cut short
    stale_book.write_bytes(b"PK\x03\x04 setengah buku kerja")
    Staff(world, random.Random(7)).submit(2, 1)  # so the next pass saves the workbook
    with Ledger(world.ledger_path) as ledger:
        first = ledger.complaints()[0]
        folder = archive.folder_for(world.archive_dir, first)
        # A kill inside the archive step happens before the batch is recorded as archived
        # (passrun._archive records it only after the sync), so that folder is written again.
        with ledger.transaction() as db:
            db.execute("UPDATE complaints SET archived_sha256 = NULL WHERE id = ?", (first.id,))
    stale_archive = folder / ".formulir.html.k1ll3d.tmp"  # an archive write cut short
    stale_archive.write_bytes(b"<html>setengah")
    assert recover(world).returncode == 0
    assert check_world(world).violations == []
    assert not stale_book.exists() and not stale_archive.exists()
