"""`aduan-sync demo`: the whole SOP on the embedded default; a second run changes nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path

from click.testing import CliRunner

from aduan_sync.cli import cli
from aduan_sync.model import CHANNELS, DEFAULT_CATEGORIES, DESA_JENAWI
from tests.conftest import read_book


def files(root: Path) -> dict[str, tuple[str, int]]:
    return {str(p.relative_to(root)): (hashlib.sha256(p.read_bytes()).hexdigest(),
                                       p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_demo_runs_the_sop_then_changes_nothing_on_a_second_run(tmp_path):
    ws = tmp_path / "demo"
    first = CliRunner().invoke(cli, ["demo", "--dir", str(ws)], obj={})
    assert first.exit_code == 0, first.output
    assert "Buku Register Aduan" in first.output and "001/ADUAN/" in first.output
    rows = read_book(ws / "tanggapan-formulir.xlsx")
    assert len(rows) >= 30
    assert all(r["Nomor Register"] and r["Kategori"] and r["Unit Tujuan"] and r["Status"]
               for r in rows)
    assert {r["Desa"] for r in rows if r["Desa"]} == set(DESA_JENAWI)
    assert {r["Kanal Aduan"] for r in rows} == set(CHANNELS)
    assert {r["Kategori"] for r in rows} == set(DEFAULT_CATEGORIES)
    statuses = {r["Status"] for r in rows}
    assert {"Diteruskan ke PPID", "Perlu Klarifikasi"} <= statuses
    assert all(r["Batas Waktu"] for r in rows if r["Status"] == "Diteruskan ke PPID")
    assert len(list((ws / "arsip").rglob("aduan.json"))) == len(rows)
    assert any((ws / "outbox").iterdir())

    before = files(ws)
    second = CliRunner().invoke(cli, ["demo", "--dir", str(ws)], obj={})
    assert second.exit_code == 0
    assert "Tidak ada aduan baru" in second.output
    assert files(ws) == before
