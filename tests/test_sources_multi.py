"""Several sources in one config (`[[sources]]`): each with its own ledger, numbering, lock and
archive, processed in turn; one failing source never stops the others."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aduan_sync import config as config_mod
from aduan_sync.errors import ConfigError
from aduan_sync.ledger import Ledger
from aduan_sync.lock import pass_lock
from aduan_sync.scheduler import Daemon
from tests.conftest import (
    AID,
    FORM_HEADERS,
    LIGHT,
    ROAD,
    at,
    form_row,
    invoke,
    read_book,
    write_book,
)

COMMON = """
[office]
timezone = "Asia/Jakarta"
[storage]
data_dir = "data"
archive_dir = "arsip"
[mail]
backend = "outbox"
sender = "ppid@kecamatan-jenawi.example"
outbox_dir = "outbox"
[ppid]
email = "ppid@kecamatan-jenawi.example"
"""

TWO_SOURCES = COMMON + """
[[sources]]
name = "web"
backend = "xlsx"
path = "web.xlsx"

[[sources]]
name = "loket"
backend = "xlsx"
path = "loket.xlsx"
register_format = "{seq:03d}/ADUAN-LOKET/{month_roman}/{year}"
"""


def rows(*texts: str) -> list[list[object]]:
    out = []
    for i, text in enumerate(texts):
        r = form_row(at(2026, 11, 23, 8, i), text, name=f"Warga {i}")
        r[0] = r[0].replace(tzinfo=None)
        out.append(r)
    return out


@pytest.fixture
def two(tmp_path: Path) -> Path:
    (tmp_path / "aduan.toml").write_text(TWO_SOURCES, encoding="utf-8")
    write_book(tmp_path / "web.xlsx", FORM_HEADERS, rows(ROAD, LIGHT))
    write_book(tmp_path / "loket.xlsx", FORM_HEADERS, rows(AID, ROAD, LIGHT))
    return tmp_path



# -- config -----------------------------------------------------------------------------------

def test_single_source_config_loads_exactly_as_before(workspace):
    (one,) = config_mod.load_all(workspace / "aduan.toml")
    assert one == config_mod.load(workspace / "aduan.toml")
    assert one.storage.data_dir == workspace / "data"
    assert one.source.name == "utama"


def test_each_source_gets_its_own_folders_and_register_format(two):
    web, loket = config_mod.load_all(two / "aduan.toml")
    assert (web.source.name, loket.source.name) == ("web", "loket")
    assert web.source.path == two / "web.xlsx" and loket.source.path == two / "loket.xlsx"
    assert web.storage.data_dir == two / "data" / "web"
    assert loket.storage.archive_dir == two / "arsip" / "loket"
    assert web.storage.lock_path != loket.storage.lock_path
    assert web.register.format == "{seq:03d}/ADUAN/{month_roman}/{year}"
    assert loket.register.format == "{seq:03d}/ADUAN-LOKET/{month_roman}/{year}"
    assert web.mail == loket.mail and web.ppid == loket.ppid  # shared sections stay shared


@pytest.mark.parametrize("text, key, words", [
    (TWO_SOURCES + '[source]\nbackend = "xlsx"\npath = "x.xlsx"\n', "sources", "tidak keduanya"),
    (COMMON + '[[sources]]\nbackend = "xlsx"\npath = "a.xlsx"\n', "sources[1].name", "wajib"),
    (COMMON + '[[sources]]\nname = "Loket Desa"\nbackend = "xlsx"\npath = "a.xlsx"\n',
     "sources[1].name", "nama folder"),
    (TWO_SOURCES.replace('name = "loket"', 'name = "web"'), "sources[2].name", "lebih dari"),
    (TWO_SOURCES.replace('register_format = "{seq:03d}/ADUAN-LOKET/{month_roman}/{year}"', ""),
     "sources[2].register_format", "nomor register yang sama"),
    (TWO_SOURCES.replace('path = "loket.xlsx"', ""), "sources[2].path", "wajib diisi"),
    (TWO_SOURCES.replace('backend = "xlsx"\npath = "loket.xlsx"', 'backend = "dropbox"'),
     "sources[2].backend", "salah satu dari"),
    ("sources = []\n" + COMMON, "sources", "satu atau lebih"),
    ("register = 1\n" + TWO_SOURCES, "register", "tabel"),
    (TWO_SOURCES.replace('data_dir = "data"', 'data_dir = ""'), "storage.data_dir",
     "tidak boleh kosong"),
])
def test_invalid_sources_are_refused_naming_the_key(tmp_path, text, key, words):
    (tmp_path / "aduan.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        config_mod.load_all(tmp_path / "aduan.toml")
    assert e.value.key == key
    assert words in e.value.message and "aduan.toml" in e.value.message


def test_single_source_loader_refuses_a_several_source_file_naming_the_key(two):
    with pytest.raises(ConfigError) as e:
        config_mod.load(two / "aduan.toml")
    assert e.value.key == "sources"


# -- sync and the daemon over several sources ------------------------------------------------

def test_sync_processes_each_source_with_its_own_numbering_and_archive(two):
    res = invoke(two, "sync", "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["ok"] is True and [s["name"] for s in data["sources"]] == ["web", "loket"]
    web, loket = data["sources"]
    assert web["registered"] == ["001/ADUAN/XI/2026", "002/ADUAN/XI/2026"]
    assert loket["registered"] == [f"00{i}/ADUAN-LOKET/XI/2026" for i in (1, 2, 3)]
    assert [r["Nomor Register"] for r in read_book(two / "loket.xlsx")] == loket["registered"]
    assert (two / "arsip" / "web" / "2026" / "001-ADUAN-XI-2026").is_dir()
    assert (two / "arsip" / "loket" / "2026" / "001-ADUAN-LOKET-XI-2026").is_dir()
    with Ledger(two / "data" / "web" / "ledger.sqlite3") as ledger:
        assert len(ledger.complaints()) == 2
    again = json.loads(invoke(two, "sync", "--json").stdout)
    assert [s["registered"] for s in again["sources"]] == [[], []]


def test_one_failing_source_never_stops_the_others_and_exit_is_the_worst(two):
    (two / "web.xlsx").unlink()  # sheet unreachable: 3
    res = invoke(two, "sync", "--json")
    assert res.exit_code == 3
    data = json.loads(res.stdout)
    assert data["ok"] is False and data["exit_code"] == 3
    web, loket = data["sources"]
    assert web["ok"] is False and web["exit_code"] == 3 and "tidak ditemukan" in web["error"]
    assert loket["ok"] is True and len(loket["registered"]) == 3
    assert "Error:" in res.stderr


def test_sources_are_locked_separately_so_a_held_one_is_skipped_with_75(two):
    web, _ = config_mod.load_all(two / "aduan.toml")
    with pass_lock(web.storage.lock_path):
        res = invoke(two, "sync")
    assert res.exit_code == 75
    assert "== Sumber: web ==" in res.stdout and "== Sumber: loket ==" in res.stdout
    assert "Aduan baru terdaftar: 3" in res.stdout  # loket went ahead
    assert "sedang berjalan" in res.stderr


def test_daemon_round_passes_over_every_source_in_turn(two):
    cfgs = config_mod.load_all(two / "aduan.toml")
    outcomes = Daemon(cfgs).pass_round()
    assert [(o.name, o.exit_code) for o in outcomes] == [("web", 0), ("loket", 0)]
    assert [len(o.result.registered) for o in outcomes if o.result] == [2, 3]


def test_status_and_check_cover_every_source(two):
    invoke(two, "sync")
    status = json.loads(invoke(two, "status", "--json").stdout)
    assert [(s["name"], s["complaints"]) for s in status["sources"]] == [("web", 2), ("loket", 3)]
    check = invoke(two, "check")
    assert check.exit_code == 0, check.output
    assert check.stdout.count("Hasil: baik.") == 2


def test_check_exit_code_reports_a_problem_in_any_source(two):
    write_book(two / "loket.xlsx", ["Cap waktu", "Nama Lengkap"], [])
    res = invoke(two, "check")
    assert res.exit_code == 1
    assert "Hasil: baik." in res.stdout and "masalah ditemukan" in res.stdout


def test_single_source_sync_json_is_unchanged(workspace):
    write_book(workspace / "form.xlsx", FORM_HEADERS, rows(ROAD))
    data = json.loads(invoke(workspace, "sync", "--json").stdout)
    assert "sources" not in data and "name" not in data
    assert data["registered"] == ["001/ADUAN/XI/2026"]
