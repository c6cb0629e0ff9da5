"""The benchmark's naive way (`benchmarks/naive.py`) still runs a pass and writes what the
worker writes: its figures in the README are only worth something if it works."""

from __future__ import annotations

from aduan_sync import config
from aduan_sync.passrun import run_pass
from benchmarks.naive import NaiveSource
from tests.fakegoogle.forms import FORM_HEADERS, form_rows
from tests.fakegoogle.support import write_google_config


def test_the_naive_way_writes_the_same_cells_one_request_each(fake_google, service_account_key,
                                                               tmp_path):
    def office(name: str) -> tuple[str, config.Config]:
        sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(2))
        path = write_google_config(tmp_path / name / "config", fake_google,
                                   service_account_key, sid)
        return sid, config.load(path)

    (worker_sid, worker_cfg), (naive_sid, cfg) = office("worker"), office("naive")
    worker = run_pass(worker_cfg, env={})
    fake_google.log.clear()
    naive = run_pass(cfg, source=NaiveSource(cfg), env={})
    assert naive.exit_code == 0 and naive.registered == worker.registered
    assert naive.cells_written == worker.cells_written > 0
    # One request per cell: the data cells and the header cells of the columns added.
    assert fake_google.count("sheets.values.update") == (naive.cells_written
                                                          + len(naive.headers_added))
    assert fake_google.values(naive_sid) == fake_google.values(worker_sid)
