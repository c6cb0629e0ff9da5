"""End to end through the command line: `aduan-sync sync --json` and `check` on a Google
source, as cron runs them (a subprocess), against the fake Google server on loopback."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from tests.fakegoogle.fake import FakeGoogle
from tests.fakegoogle.forms import FORM_HEADERS, form_rows
from tests.fakegoogle.support import SA_EMAIL, write_google_config

pytest_plugins = ["tests.fakegoogle.fixtures"]

NUMBER = re.compile(r"^\d{3}/ADUAN/[IVXL]+/\d{4}$")


def aduan_sync(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "aduan_sync", "--config", str(config), *args],
                          capture_output=True, text=True, timeout=120)


def _config(fake: FakeGoogle, tmp_path: Path, key: Path, sid: str) -> Path:
    return write_google_config(tmp_path / "kantor", fake, key, sid)


def test_sync_json_registers_new_rows_in_a_few_requests_then_costs_one_request(
    fake_google, service_account_key, tmp_path
):
    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(5))
    config = _config(fake_google, tmp_path, service_account_key, sid)

    first = aduan_sync(config, "sync", "--json")
    assert first.returncode == 0, first.stderr
    out = json.loads(first.stdout)
    assert len(out["registered"]) == 5 and all(NUMBER.match(n) for n in out["registered"])
    # Sheets: read 2, write 2 (widen the grid, values), confirming read 2. Drive: the
    # spreadsheet's version, asked first, again before writing (unchanged: no re-read) and
    # before the confirming read.
    assert fake_google.count("sheets.*") == 6 and fake_google.count("drive.*") == 3
    assert out["api_requests"] == 9
    numbers = [r["Nomor Register"] for r in fake_google.records(sid)]
    assert sorted(numbers) == sorted(out["registered"])
    assert all(r["Status"] for r in fake_google.records(sid))

    fake_google.log.clear()
    second = aduan_sync(config, "sync", "--json")
    assert second.returncode == 0, second.stderr
    out = json.loads(second.stdout)
    assert out["registered"] == [] and out["cells_written"] == 0
    assert out["idle"] and fake_google.count("sheets.*") == 0 and out["api_requests"] == 1
    assert [r["Nomor Register"] for r in fake_google.records(sid)] == numbers


def test_sync_exits_3_with_the_share_advice_when_the_sheet_is_not_shared(
    fake_google, service_account_key, tmp_path
):
    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(1))
    fake_google.share(sid, "orang.lain@example.com")
    res = aduan_sync(_config(fake_google, tmp_path, service_account_key, sid), "sync", "--json")
    assert res.returncode == 3
    assert f"Bagikan spreadsheet kepada {SA_EMAIL} sebagai Editor" in res.stdout + res.stderr


def test_check_prints_the_sheet_its_zone_and_who_to_share_with(
    fake_google, service_account_key, tmp_path
):
    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(2), title="Aduan Jenawi",
                                      time_zone="Asia/Jakarta")
    res = aduan_sync(_config(fake_google, tmp_path, service_account_key, sid), "check")
    assert res.returncode == 0, res.stdout + res.stderr
    for text in ("Aduan Jenawi", "Form Responses 1", "Asia/Jakarta", SA_EMAIL):
        assert text in res.stdout
    assert fake_google.count("sheets.*Update") == 0  # check changes nothing
