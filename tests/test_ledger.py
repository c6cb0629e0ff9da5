"""The ledger on real SQLite: migrations, gap-free sequences, immutable numbers, outbox."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from aduan_sync.errors import LedgerError
from aduan_sync.ledger import Ledger
from aduan_sync.records import NewComplaint, QueuedMessage
from tests.conftest import at

NOW = at(2026, 11, 24, 9, 0)


def new(fp: str = "fp") -> NewComplaint:
    return NewComplaint(
        fingerprint=fp, answers={"name": "A", "text": "x"}, extra=[], answers_sha256="0" * 64,
        submitted_at=NOW, category="Lainnya", category_source="worker", unit="U",
        completeness="Lengkap", missing=[], status="Diteruskan ke PPID", deadline=NOW,
        note="",
    )


def register(ledger: Ledger, year: int = 2026, fp: str = "fp") -> str:
    with ledger.transaction() as db:
        seq = ledger.next_seq(db, year)
        reg = f"{seq:03d}/{year}"
        ledger.insert_complaint(db, new(fp), register_no=reg, year=year, seq=seq,
                                registered_at=NOW)
    return reg


def test_migrations_are_named_and_applied_once(tmp_path: Path):
    with Ledger(tmp_path / "l.db") as ledger:
        assert ledger.applied_migrations() == ["0001_initial", "0002_lifecycle",
                                               "0003_attachments", "0004_pass_state"]
    with Ledger(tmp_path / "l.db") as ledger:
        assert ledger.applied_migrations() == ["0001_initial", "0002_lifecycle",
                                               "0003_attachments", "0004_pass_state"]
        assert ledger.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_sequences_are_per_year_and_gap_free(tmp_path: Path):
    with Ledger(tmp_path / "l.db") as ledger:
        assert [register(ledger, 2026) for _ in range(3)] == ["001/2026", "002/2026", "003/2026"]
        assert register(ledger, 2027) == "001/2027"


def test_a_rolled_back_transaction_leaves_no_gap(tmp_path: Path):
    with Ledger(tmp_path / "l.db") as ledger:
        register(ledger)
        with pytest.raises(RuntimeError), ledger.transaction() as db:
            ledger.next_seq(db, 2026)
            raise RuntimeError("crash mid-registration")
        assert register(ledger) == "002/2026"


def test_register_numbers_cannot_be_changed_or_reused(tmp_path: Path):
    with Ledger(tmp_path / "l.db") as ledger:
        reg = register(ledger)
        c = ledger.complaint(reg)
        assert c is not None
        with pytest.raises(LedgerError), ledger.transaction() as db:
            ledger.update_complaint(db, c.id, register_no="999/2026")
        with pytest.raises(sqlite3.IntegrityError), ledger.transaction() as db:
            ledger.insert_complaint(db, new(), register_no=reg, year=2026, seq=99,
                                    registered_at=NOW)


def test_concurrent_writers_get_distinct_gap_free_numbers(tmp_path: Path):
    path = tmp_path / "l.db"
    Ledger(path).close()
    got: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        with Ledger(path) as ledger:
            for _ in range(20):
                reg = register(ledger)
                with lock:
                    got.append(reg)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == [f"{i:03d}/2026" for i in range(1, 81)]


def test_outbox_queues_each_message_id_once_and_tracks_sending(tmp_path: Path):
    msg = QueuedMessage(message_id="<a@x>", kind="receipt", recipients=["a@example.com"],
                        subject="s", eml=b"eml")
    with Ledger(tmp_path / "l.db") as ledger:
        with ledger.transaction() as db:
            assert ledger.queue_message(db, msg, complaint_id=None, register_no="", now=NOW)
            assert not ledger.queue_message(db, msg, complaint_id=None, register_no="", now=NOW)
        (m,) = ledger.pending_messages(NOW)
        ledger.mark_sending(m.id, NOW)
        (m,) = ledger.pending_messages(NOW)  # a crash here: still pending, resent next pass
        assert m.status == "sending" and m.attempts == 1
        ledger.mark_sent(m.id, NOW)
        assert ledger.pending_messages(NOW) == []
        assert ledger.outbox_counts() == {"sent": 1}


def test_naive_datetimes_are_refused(tmp_path: Path):
    with Ledger(tmp_path / "l.db") as ledger, pytest.raises(LedgerError), \
            ledger.transaction() as db:
        ledger.add_event(db, NOW.replace(tzinfo=None), "x")


@pytest.mark.parametrize("variant", [
    {},
    {"missing": ["nik", "phone"], "completeness": "Perlu Klarifikasi", "deadline": None,
     "status": "Perlu Klarifikasi"},
    {"extra": [("Pertanyaan tambahan", "jawaban")], "duplicate_of": "001/2026",
     "note": "Kemungkinan duplikat dari 001/2026.", "final_deadline": at(2026, 12, 8, 9, 0),
     "origin": {"sumber": "Google Sheets", "sheet_row": 7}, "category_source": "staff"},
])
def test_a_registered_complaint_is_the_one_read_back(tmp_path: Path, variant):
    """`register_complaint` returns the complaint without reading it back (a first import
    would hold a decoded copy of every row's answers): it must equal the read."""
    from dataclasses import replace

    with Ledger(tmp_path / "l.db") as ledger, ledger.transaction() as db:
        given = replace(new(), **variant)
        made = ledger.register_complaint(db, given, register_no="001/2026", year=2026, seq=1,
                                         registered_at=at(2026, 11, 24, 9, 5))
        assert made == ledger.complaint_in(db, made.id)
        assert made.answers is given.answers  # the row's own, not a decoded copy
