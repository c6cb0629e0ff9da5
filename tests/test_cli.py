"""The CLI as operators and cron use it: exit codes, one JSON object, Indonesian messages."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from aduan_sync.cli import cli
from aduan_sync.config import load
from aduan_sync.lock import pass_lock
from tests.conftest import FORM_HEADERS, invoke, naive_rows, write_book


def test_sync_json_prints_one_object_and_exits_0(workspace):
    write_book(workspace / "form.xlsx", FORM_HEADERS, naive_rows(3))
    res = invoke(workspace, "sync", "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["ok"] is True and len(data["registered"]) == 3
    again = json.loads(invoke(workspace, "sync", "--json").stdout)
    assert again["registered"] == [] and again["cells_written"] == 0


def test_invalid_config_exits_2_naming_key_and_file(workspace):
    (workspace / "aduan.toml").write_text('[source]\nbackend = "dropbox"\n', encoding="utf-8")
    res = invoke(workspace, "sync")
    assert res.exit_code == 2
    assert "source.backend" in res.stderr and "aduan.toml" in res.stderr
    assert res.stderr.startswith("Error: Konfigurasi tidak valid")


@pytest.mark.parametrize("key", ["data_dir", "archive_dir"])
def test_an_empty_folder_setting_exits_2_naming_the_key(workspace, key):
    toml = workspace / "aduan.toml"
    text = re.sub(rf"(?m)^{key} = .*$", f'{key} = ""', toml.read_text(encoding="utf-8"))
    toml.write_text(text, encoding="utf-8")
    res = invoke(workspace, "sync")
    assert res.exit_code == 2, res.output
    assert f"storage.{key}" in res.stderr and "tidak boleh kosong" in res.stderr


def test_missing_config_file_exits_2(tmp_path):
    res = CliRunner().invoke(cli, ["--config", str(tmp_path / "nope.toml"), "sync"], obj={})
    assert res.exit_code == 2 and "aduan-sync init" in res.stderr


def test_unreadable_sheet_exits_3(workspace):
    res = invoke(workspace, "sync", "--json")  # form.xlsx does not exist
    assert res.exit_code == 3
    assert json.loads(res.stdout)["ok"] is False
    assert "tidak ditemukan" in res.stderr


def test_sync_while_another_pass_holds_the_lock_exits_75(workspace):
    write_book(workspace / "form.xlsx", FORM_HEADERS, naive_rows(1))
    cfg = load(workspace / "aduan.toml")
    with pass_lock(cfg.storage.lock_path):
        res = invoke(workspace, "sync")
    assert res.exit_code == 75
    assert "sedang berjalan" in res.stderr


def test_concurrent_sync_processes_never_number_twice(workspace):
    write_book(workspace / "form.xlsx", FORM_HEADERS, naive_rows(12))
    cmd = [sys.executable, "-m", "aduan_sync", "--config", str(workspace / "aduan.toml"),
           "sync", "--json"]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
             for _ in range(4)]
    codes = [p.wait(timeout=60) for p in procs]
    assert set(codes) <= {0, 75} and 0 in codes
    registered = []
    for p, code in zip(procs, codes, strict=True):
        if code == 0:
            registered += json.loads(p.stdout.read())["registered"]
    assert sorted(registered) == [f"{i:03d}/ADUAN/XI/2026" for i in range(1, 13)]


def test_check_reports_mapping_and_missing_required_columns(workspace):
    write_book(workspace / "form.xlsx", ["Cap waktu", "Nama Lengkap"], [])
    res = invoke(workspace, "check")
    assert res.exit_code == 1
    assert "Isi Aduan" in res.stdout and "Masalah" in res.stdout


def test_check_ok_on_a_form_sheet(workspace):
    write_book(workspace / "form.xlsx", FORM_HEADERS, naive_rows(2))
    res = invoke(workspace, "check")
    assert res.exit_code == 0, res.stdout
    assert "Nomor Register" in res.stdout  # worker columns to be added


def test_status_json_lists_the_register(workspace):
    write_book(workspace / "form.xlsx", FORM_HEADERS, naive_rows(2))
    invoke(workspace, "sync")
    data = json.loads(invoke(workspace, "status", "--json").stdout)
    assert data["complaints"] == 2
    assert [r["register_no"] for r in data["register"]] == ["001/ADUAN/XI/2026",
                                                            "002/ADUAN/XI/2026"]


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_has_help_and_is_documented(command):
    res = CliRunner().invoke(cli, [command, "--help"], obj={})
    assert res.exit_code == 0 and len(res.output) > 80
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"aduan-sync (\[--config PATH\] )?{command}\b", readme), command


def test_init_writes_starter_files_and_never_overwrites(tmp_path):
    res = CliRunner().invoke(cli, ["init", str(tmp_path)], obj={})
    assert res.exit_code == 0
    cfg = tmp_path / "config" / "aduan.toml"
    assert cfg.exists() and (tmp_path / "templates" / "mail" / "receipt.txt.j2").exists()
    cfg.write_text("# milik kantor\n", encoding="utf-8")
    CliRunner().invoke(cli, ["init", str(tmp_path)], obj={})
    assert cfg.read_text(encoding="utf-8") == "# milik kantor\n"
