"""What must hold after a clean pass has recovered from a kill, checked on the real artefacts:
the SQLite ledger, the archive folders, the sheet, and what the SMTP server received.

1. Every complaint has exactly one register number, on its own row and in the ledger.
2. Numbers are unique and gap-free per year (and no number was allocated and thrown away).
3. Every archive folder is complete and valid (`archive.verify_folder`, and the recorded hash
   is the hash of the `aduan.json` on disk).
4. Every queued message was delivered; a message delivered twice is counted, and is allowed
   only if the ledger showed it in `sending` right after a kill and resent it (the window
   between "server accepted" and "ledger recorded sent"). Nothing unknown was sent.
5. No cell that a citizen or staff member wrote changed, nor the staff's other worksheet.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from aduan_sync import archive
from aduan_sync.ledger import Ledger
from tests.crash.sheets import NAME
from tests.crash.world import World


@dataclass
class Check:
    """The outcome of one check: violations (must be empty) and figures."""

    violations: list[str] = field(default_factory=list)
    complaints: int = 0
    messages: int = 0
    delivered: int = 0  # messages the SMTP server accepted at least once
    duplicates: int = 0  # extra copies accepted beyond the first
    duplicate_ids: list[str] = field(default_factory=list)
    lost_complaints: int = 0
    lost_messages: int = 0
    temp_files: int = 0  # leftovers of atomic writes cut short (harmless; counted)

    @property
    def ok(self) -> bool:
        return not self.violations


def check_world(world: World) -> Check:
    """Run every invariant against the world as it is now (no pass may be running)."""
    chk = Check()
    records = world.sheet.records()
    with Ledger(world.ledger_path) as ledger:
        complaints = ledger.complaints()
        messages = ledger.messages()
    chk.complaints = len(complaints)
    chk.messages = len(messages)
    _ledger_integrity(world.ledger_path, chk)
    _numbers(world, records, complaints, chk)
    _archive(world.archive_dir, complaints, chk)
    _attachments(world, complaints, chk)
    _mail(world, messages, chk)
    _staff_cells(world, records, chk)
    chk.temp_files = count_temp_files(world.root)
    return chk


def _ledger_integrity(path: Path, chk: Check) -> None:
    db = sqlite3.connect(path)
    try:
        result = db.execute("PRAGMA integrity_check").fetchone()[0]
        seqs = dict(db.execute("SELECT year, last_seq FROM register_seq").fetchall())
        counts = dict(db.execute("SELECT year, COUNT(*) FROM complaints GROUP BY year"))
    finally:
        db.close()
    if result != "ok":
        chk.violations.append(f"ledger integrity_check: {result}")
    for year, last in seqs.items():
        if counts.get(year, 0) != last:
            chk.violations.append(
                f"{year}: last allocated sequence {last} but {counts.get(year, 0)} complaints "
                "(a number was allocated and never used)")


def _numbers(world: World, records: list[dict[str, Any]], complaints: list[Any],
             chk: Check) -> None:
    rows_by_name: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        rows_by_name.setdefault(str(r.get(NAME)), []).append(r)
    by_name: dict[str, list[Any]] = {}
    for c in complaints:
        by_name.setdefault(c.answers.get("name", ""), []).append(c)
    for name in world.expected:
        rows = rows_by_name.get(name, [])
        found = by_name.get(name, [])
        if len(rows) != 1:
            chk.violations.append(f"{name}: {len(rows)} rows in the sheet (expected 1)")
            continue
        if len(found) != 1:
            chk.lost_complaints += not found
            chk.violations.append(f"{name}: {len(found)} complaints in the ledger (expected 1)")
            continue
        on_sheet = str(rows[0].get("Nomor Register") or "")
        if on_sheet != found[0].register_no:
            chk.violations.append(f"{name}: sheet shows {on_sheet!r}, ledger "
                                  f"{found[0].register_no!r}")
    strangers = set(by_name) - set(world.expected)
    if strangers:
        chk.violations.append(f"complaints nobody submitted: {sorted(strangers)}")
    numbers = [str(r.get("Nomor Register") or "") for r in records]
    dup = [n for n, k in Counter(numbers).items() if n and k > 1]
    if dup:
        chk.violations.append(f"register numbers on more than one row: {dup}")
    years: dict[int, list[int]] = {}
    for c in complaints:
        years.setdefault(c.year, []).append(c.seq)
    for year, seqs in years.items():
        if sorted(seqs) != list(range(1, len(seqs) + 1)):
            chk.violations.append(f"{year}: sequence not gap-free: {sorted(seqs)}")
    if len({c.register_no for c in complaints}) != len(complaints):
        chk.violations.append("ledger holds a register number twice")


def _archive(archive_dir: Path, complaints: list[Any], chk: Check) -> None:
    for c in complaints:
        if c.archived_sha256 is None:
            chk.violations.append(f"{c.register_no}: not archived")
            continue
        problems = archive.verify_folder(archive_dir, c)
        if problems:
            chk.violations.append(f"{c.register_no}: archive {problems}")
            continue
        blob = (archive.folder_for(archive_dir, c) / "aduan.json").read_bytes()
        if hashlib.sha256(blob).hexdigest() != c.archived_sha256:
            chk.violations.append(f"{c.register_no}: aduan.json is not the file the ledger "
                                  "recorded")


def _attachments(world: World, complaints: list[Any], chk: Check) -> None:
    """Every file a row links is in its complaint's `lampiran/`, byte for byte as on the fake
    Drive, and no download was left half-way (`.part`)."""
    if world.fake is None:
        return
    linked = {str(row.get("Lampiran") or "").rsplit("id=", 1)[-1]
              for row in world.expected.values() if row.get("Lampiran")}
    with Ledger(world.ledger_path) as ledger:
        rows = ledger.attachments()
    by_id = {c.id: c for c in complaints}
    for a in rows:
        c = by_id.get(a.complaint_id)
        if a.status != "done" or c is None:
            chk.violations.append(f"lampiran {a.file_id}: {a.status} ({a.last_error})")
            continue
        path = archive.folder_for(world.archive_dir, c) / archive.ATTACHMENTS_DIR / a.local_name
        if not path.is_file() or path.read_bytes() != world.fake.files[a.file_id].content:
            chk.violations.append(f"{c.register_no}: lampiran {a.local_name} is not the "
                                  "uploaded file")
    missing = linked - {a.file_id for a in rows}
    if missing:
        chk.violations.append(f"uploaded files no complaint lists: {sorted(missing)}")
    chk.violations += [f"download left half-way: {p}" for p in world.archive_dir.rglob("*.part")]


def _mail(world: World, messages: list[Any], chk: Check) -> None:
    received = Counter(message_id(r) for r in world.recorder.received)
    envelopes = {message_id(r): sorted(r.rcpt_tos) for r in world.recorder.received}
    known = {m.message_id for m in messages}
    for m in messages:
        n = received.get(m.message_id, 0)
        if m.status != "sent":
            chk.violations.append(f"{m.message_id} ({m.kind}) is {m.status}, not sent "
                                  f"({m.last_error})")
        if n == 0:
            chk.lost_messages += 1
            chk.violations.append(f"{m.message_id} ({m.kind}) never reached the SMTP server")
            continue
        chk.delivered += 1
        if envelopes[m.message_id] != sorted(m.recipients):
            chk.violations.append(f"{m.message_id}: delivered to {envelopes[m.message_id]}, "
                                  f"queued for {m.recipients}")
        if n > 1:
            chk.duplicates += n - 1
            chk.duplicate_ids.append(m.message_id)
            if m.message_id not in world.window_ids or m.attempts < 2 or n > 2:
                chk.violations.append(
                    f"{m.message_id} delivered {n} times outside the send window "
                    f"(attempts {m.attempts}, seen sending after a kill: "
                    f"{m.message_id in world.window_ids})")
    unknown = set(received) - known
    if unknown:
        chk.violations.append(f"messages sent that the ledger never queued: {sorted(unknown)}")


def message_id(received: Any) -> str:
    """The Message-ID of a message the SMTP server accepted (unfolded, no spaces)."""
    return str(received.message["Message-ID"]).strip()


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    if isinstance(a, datetime) and isinstance(b, datetime):
        return abs((a - b).total_seconds()) < 0.002  # xlsx keeps milliseconds
    return (a if a not in ("", None) else None) == (b if b not in ("", None) else None)


def _staff_cells(world: World, records: list[dict[str, Any]], chk: Check) -> None:
    rows = {str(r.get(NAME)): r for r in records}
    for name, cells in world.expected.items():
        row = rows.get(name)
        if row is None:
            continue  # reported by _numbers
        for header, value in cells.items():
            if not _same(row.get(header), value):
                chk.violations.append(f"{name}: {header} changed from {value!r} to "
                                      f"{row.get(header)!r}")
    other = world.sheet.other_sheet()
    if [[v for v in r if v is not None] for r in other] != world.other_expected:
        chk.violations.append(f"staff worksheet changed: {json.dumps(other, default=str)}")


def count_temp_files(root: Path) -> int:
    """Temporary files of atomic writes (`.NAME.XXXX.tmp`) and archive folders being built
    (`.NAME.PID.tmpdir`) that a kill left behind."""
    return (sum(1 for p in root.rglob(".*.tmp") if p.is_file())
            + sum(1 for p in root.rglob(".*.tmpdir") if p.is_dir()))
