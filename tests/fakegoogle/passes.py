"""Helpers for the Google source tests: a source on a fake clock, and a stand-in for a
pass's decisions (register every row without a number) built only on the public contracts."""

from __future__ import annotations

import random
from typing import Any

from aduan_sync.config import Config
from aduan_sync.headers import map_headers
from aduan_sync.identity import register_of, row_anchors
from aduan_sync.model import WORKER_COLUMNS
from aduan_sync.sources.base import CellUpdate, SheetSnapshot, WriteBatch
from aduan_sync.sources.gsheets import GoogleSheetSource
from tests.fakegoogle.support import FakeClock

REGISTER = WORKER_COLUMNS["register_no"]
STATUS = WORKER_COLUMNS["status"]
CATEGORY = WORKER_COLUMNS["category"]
ANSWER = WORKER_COLUMNS["answer"]
NOTE = WORKER_COLUMNS["note"]


def make_source(cfg: Config, clock: FakeClock | None = None, **kw: Any) -> GoogleSheetSource:
    clock = clock or FakeClock()
    return GoogleSheetSource(cfg, sleep=clock.sleep, monotonic=clock.monotonic,
                             rng=random.Random(7), **kw)


def number_for(name: str) -> str:
    """The register number the stand-in pass gives the complaint of `name` (from its text)."""
    return f"{int(name.rsplit(' ', 1)[1]) + 1:03d}/ADUAN/I/2026"


def register_all(snap: SheetSnapshot, cfg: Config) -> WriteBatch:
    """What a pass writes for new rows: worker headers, register number, status, category."""
    hmap = map_headers(snap.headers, cfg.field_aliases, cfg.worker_headers)
    name_col = hmap.fields["name"]
    add = [WORKER_COLUMNS[k] for k in hmap.missing_worker]
    updates = []
    for row, anchor in zip(snap.rows, row_anchors(hmap, snap.rows), strict=True):
        if register_of(hmap, row):
            continue
        number = number_for(str(row[name_col]))
        updates += [
            CellUpdate(anchor, REGISTER, number, expected=""),
            CellUpdate(anchor, STATUS, "Terdaftar", expected=""),
            CellUpdate(anchor, CATEGORY, "Lainnya", expected=""),
        ]
    return WriteBatch(add_headers=add, updates=updates)


def run_pass(cfg: Config, clock: FakeClock | None = None) -> tuple[int, Any]:
    """read + write through a fresh source (a cron pass); returns (requests, WriteResult)."""
    src = make_source(cfg, clock)
    snap = src.read()
    result = src.write(register_all(snap, cfg))
    return snap.requests + result.requests, result
