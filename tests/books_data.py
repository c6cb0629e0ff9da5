"""A ledger with known complaints for the tests of the office's books (register, reports,
Rekap): real SQLite, filled the way the pass fills it (`next_seq` + `insert_complaint` inside one
transaction, the answer date set afterwards as delivery does)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from aduan_sync import config as config_mod
from aduan_sync import defaults
from aduan_sync.ledger import Ledger
from aduan_sync.records import NewComplaint
from aduan_sync.register import format_register
from tests.conftest import JAKARTA

CAMAT = "Drs. Bambang Sutrisno, M.Si."

CONFIG = f"""
[office]
timezone = "Asia/Jakarta"
camat_name = "{CAMAT}"
[source]
backend = "xlsx"
path = "form.xlsx"
[storage]
data_dir = "data"
archive_dir = "arsip"
[mail]
backend = "outbox"
sender = "ppid@kecamatan-jenawi.example"
[ppid]
email = "ppid@kecamatan-jenawi.example"
"""


def make_config(folder: Path, text: str = CONFIG) -> config_mod.Config:
    """A config in `folder` whose ledger is `folder/data/ledger.sqlite3`."""
    (folder / "aduan.toml").write_text(text, encoding="utf-8")
    return config_mod.load(folder / "aduan.toml")


@dataclass
class Spec:
    """One complaint to put in the ledger."""

    submitted: datetime
    text: str = "Jalan desa di Dusun Tlogo rusak parah dan berlubang."
    name: str = "Sri Lestari"
    desa: str = "Balong"
    address: str = "Dusun Krajan RT 01"
    channel: str = "Website"
    category: str = "Infrastruktur dan Pembangunan"
    unit: str = "Seksi Pemberdayaan Masyarakat Desa"
    status: str = "Diteruskan ke PPID"
    deadline: datetime | None = None
    answer_date: datetime | None = None
    completeness: str = "Lengkap"
    note: str = ""


def fill_ledger(path: Path, specs: list[Spec]) -> list[str]:
    """Register `specs` in this order (the sequence restarts each year); their numbers."""
    numbers = []
    with Ledger(path) as ledger:
        for i, s in enumerate(specs):
            local = s.submitted.astimezone(JAKARTA)
            new = NewComplaint(
                fingerprint=f"fp{i}",
                answers={"name": s.name, "desa": s.desa, "address": s.address,
                         "channel": s.channel, "text": s.text, "nik": "3313064501800001"},
                extra=[], answers_sha256="0" * 64, submitted_at=s.submitted,
                category=s.category, category_source="worker", unit=s.unit,
                completeness=s.completeness, missing=[], status=s.status, deadline=s.deadline,
                note=s.note,
            )
            with ledger.transaction() as db:
                seq = ledger.next_seq(db, local.year)
                reg = format_register(defaults.REGISTER_FORMAT, seq, local)
                cid = ledger.insert_complaint(db, new, register_no=reg, year=local.year,
                                              seq=seq, registered_at=s.submitted)
                if s.answer_date is not None:
                    ledger.update_complaint(db, cid, answer_date=s.answer_date)
            numbers.append(reg)
    return numbers


#: Formula-injection payloads a citizen (or a careless edit) could put in any field.
PAYLOADS = ("=cmd|' /C calc'!A0", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1")
#: What no exported cell may start with.
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
