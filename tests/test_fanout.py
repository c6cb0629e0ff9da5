"""Rendering on every core: forked workers give exactly what a plain loop gives."""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import os
import threading
from pathlib import Path

import pytest

from aduan_sync import fanout
from aduan_sync.errors import ArchiveError
from aduan_sync.passrun import run_pass
from tests.conftest import CONFIG_TEMPLATE, FORM_HEADERS, ROAD, at, form_row, write_book

NOW = at(2026, 11, 24, 9, 0)

needs_cores = pytest.mark.skipif(fanout.workers_available(force=True) == 0,
                                 reason="one core, or no fork(): map_ordered never forks here")


def square_with_pid(x: int) -> tuple[int, int]:
    return x * x, os.getpid()


@needs_cores
def test_many_items_are_computed_in_other_processes_in_order() -> None:
    out = list(fanout.map_ordered(square_with_pid, list(range(1000)), force=True))
    assert [v for v, _ in out] == [x * x for x in range(1000)]
    pids = {pid for _, pid in out}
    assert os.getpid() not in pids and len(pids) >= 1


def test_few_items_stay_in_this_process() -> None:
    out = list(fanout.map_ordered(square_with_pid, list(range(10)), force=True))
    assert {pid for _, pid in out} == {os.getpid()}


@needs_cores
def test_an_item_that_fails_in_a_worker_raises_here_as_a_loop_would() -> None:
    def fn(x: int) -> int:
        if x == 345:
            # Our errors carry more than a message: they would not survive pickling.
            raise ArchiveError("Arsip aduan tidak dapat ditulis.", detail=f"item {x}")
        return x

    seen: list[int] = []
    with pytest.raises(ArchiveError) as e:
        for value in fanout.map_ordered(fn, list(range(1000)), force=True):
            seen.append(value)
    assert seen == list(range(345))
    assert e.value.detail == "item 345"


@needs_cores
def test_a_pipeline_renders_batches_while_more_are_submitted_in_order() -> None:
    with fanout.Pipeline(square_with_pid, expected=600, force=True) as pipe:
        assert pipe.forked
        got: list[tuple[int, tuple[int, int]]] = []
        for start in range(0, 600, 150):
            pipe.submit(range(start, start + 150))
            got += pipe.ready()  # whatever is done, never waiting
        got += pipe.drain()
    assert [item for item, _ in got] == list(range(600))
    assert [value for _, (value, _) in got] == [x * x for x in range(600)]
    assert os.getpid() not in {pid for _, (_, pid) in got}


@needs_cores
def test_a_pipeline_item_failing_in_a_worker_raises_here() -> None:
    def fn(x: int) -> int:
        if x == 77:
            raise ArchiveError("Arsip aduan tidak dapat ditulis.", detail="item 77")
        return x

    with fanout.Pipeline(fn, expected=500, force=True) as pipe:
        pipe.submit(range(500))
        with pytest.raises(ArchiveError) as e:
            list(pipe.drain())
    assert e.value.detail == "item 77"


def test_a_small_pipeline_runs_here_when_its_results_are_taken() -> None:
    with fanout.Pipeline(square_with_pid, expected=10, force=True) as pipe:
        assert not pipe.forked
        pipe.submit(range(10))
        assert list(pipe.ready()) == []
        assert {pid for _, (_, pid) in pipe.drain()} == {os.getpid()}


def test_another_thread_keeps_the_work_in_this_process() -> None:
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        assert fanout.workers_available() == 0
        out = list(fanout.map_ordered(square_with_pid, list(range(500))))
        assert {pid for _, pid in out} == {os.getpid()}
    finally:
        stop.set()
        t.join()


def _files(root: Path, workspace: Path) -> dict[str, bytes]:
    """Every file under `root`, the workspace's own path (the source's name) left out."""
    own = str(workspace).encode()
    return {str(p.relative_to(root)): p.read_bytes().replace(own, b"WORKSPACE")
            for p in sorted(root.rglob("*")) if p.is_file()}


@needs_cores
def test_a_forked_first_pass_writes_byte_for_byte_what_a_serial_one_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same 300 new complaints, once rendered by workers and once in-process: the same
    outbox files, archive folders and ledger outbox, byte for byte."""
    from datetime import timedelta

    from aduan_sync import config as config_mod
    from aduan_sync import passrun
    from aduan_sync.ledger import Ledger

    rows = [form_row(at(2026, 11, 23, 7, 0) + timedelta(seconds=7 * i),
                     f"{ROAD} nomor {i}" if i % 5 else "halo", name=f"Warga {i}",
                     desa="Balong", email=f"warga{i}@example.com" if i % 3 else "")
            for i in range(300)]
    rows = [[v.replace(tzinfo=None) if hasattr(v, "tzinfo") and v.tzinfo else v for v in r]
            for r in rows]
    forks: list[int] = []
    real_pool = multiprocessing.context.ForkContext.Pool

    def counting_pool(self: object, *args: object, **kwargs: object) -> object:
        forks.append(1)
        return real_pool(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(multiprocessing.context.ForkContext, "Pool", counting_pool)
    # Five archive batches: with workers, one is written while the next is loaded.
    monkeypatch.setattr(passrun, "ARCHIVE_BATCH", 70)
    in_flight: list[int] = []
    real_submit = fanout.Pipeline.submit

    def counting_submit(self: fanout.Pipeline[object, object], items: list[object]) -> None:
        real_submit(self, items)
        if getattr(self.fn, "__name__", "") == "_write_folder":  # the archive's pipeline
            in_flight.append(self.batches if self.forked else 0)

    monkeypatch.setattr(fanout.Pipeline, "submit", counting_submit)
    results = {}
    for mode in ("serial", "forked"):
        root = tmp_path / mode
        root.mkdir()
        (root / "aduan.toml").write_text(CONFIG_TEMPLATE, encoding="utf-8")
        write_book(root / "form.xlsx", FORM_HEADERS, rows)
        cfg = config_mod.load(root / "aduan.toml")
        if mode == "serial":
            monkeypatch.setattr(fanout, "MIN_ITEMS", 10**9)
        else:
            monkeypatch.setattr(fanout, "MIN_ITEMS", 200)
            monkeypatch.setattr(fanout, "workers_available", lambda force=False: 2)
        forks.clear()
        result = run_pass(cfg, now=NOW, env={})
        assert result.exit_code == 0, result.to_json()
        assert len(result.registered) == 300
        # Serial: no worker at all; forked: the renderers and the archive writers.
        assert len(forks) == (0 if mode == "serial" else 2)
        assert max(in_flight, default=0) == (0 if mode == "serial" else 2)
        in_flight.clear()
        with Ledger(cfg.storage.ledger_path) as led:
            outbox = [(m.message_id, m.eml) for m in led.messages()]
        results[mode] = (_files(root / "arsip", root) | _files(root / "outbox", root), outbox,
                         result.queued, result.archived)
    serial, forked = results["serial"], results["forked"]
    assert serial[2] == forked[2] > 300 and serial[3] == forked[3] == 300
    assert serial[1] == forked[1]
    assert serial[0] == forked[0]


def _orphans(marker: str) -> list[int]:
    """Processes (other than this one) whose command line mentions `marker`."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = next(line for line in (proc / "status").read_text().splitlines()
                         if line.startswith("State:"))
        except (OSError, StopIteration):
            continue
        if marker in cmd and "zombie" not in state:
            found.append(int(proc.name))
    return found


@needs_cores
@pytest.mark.parametrize("kill_when", ["archive", "outbox"])
def test_a_pass_killed_while_its_workers_run_leaves_no_worker_and_loses_nothing(
    tmp_path: Path, kill_when: str
) -> None:
    """kill -9 of a first import of 400 rows while forked workers write archive folders (or
    while the outbox is being written in batches): the workers die with it (none keeps the
    pass lock), and the next pass finishes the job: every complaint numbered once, every
    folder valid, every queued message in the outbox."""
    import signal
    import subprocess
    import sys
    import time
    from datetime import timedelta

    from aduan_sync import archive
    from aduan_sync import config as config_mod
    from aduan_sync.ledger import Ledger
    from aduan_sync.mail.outbox import eml_filename

    rows = [form_row(at(2026, 11, 23, 7, 0) + timedelta(seconds=11 * i),
                     f"{ROAD} nomor {i}", name=f"Warga {i}", desa="Balong",
                     email=f"warga{i}@example.com") for i in range(400)]
    rows = [[v.replace(tzinfo=None) if hasattr(v, "tzinfo") and v.tzinfo else v for v in r]
            for r in rows]
    (tmp_path / "aduan.toml").write_text(CONFIG_TEMPLATE, encoding="utf-8")
    write_book(tmp_path / "form.xlsx", FORM_HEADERS, rows)
    config = tmp_path / "aduan.toml"
    watched = tmp_path / ("arsip/2026" if kill_when == "archive" else "outbox")
    proc = subprocess.Popen([sys.executable, "-m", "aduan_sync", "--config", str(config),
                             "sync", "--json"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        if watched.is_dir() and sum(1 for _ in watched.iterdir()) >= 40:
            break
        time.sleep(0.005)
    assert proc.poll() is None, "the pass ended before the kill: nothing was tested"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    time.sleep(0.5)  # PDEATHSIG is delivered at once; give the kernel a moment to reap
    assert _orphans(str(config)) == []

    cfg = config_mod.load(config)
    result = run_pass(cfg, env={})  # the killed pass ran on the real clock too
    assert result.exit_code == 0, result.to_json()
    with Ledger(cfg.storage.ledger_path) as led:
        complaints = led.complaints()
        numbers = [c.register_no for c in complaints]
        assert len(complaints) == 400 and len(set(numbers)) == 400
        assert sorted(c.seq for c in complaints) == list(range(1, 401))
        assert all(archive.verify_folder(cfg.storage.archive_dir, c) == [] for c in complaints)
        messages = led.messages()
    assert {m.status for m in messages} == {"sent"}
    assert len(messages) >= 800  # PPID notification and receipt for each
    outbox = {p.name for p in (tmp_path / "outbox").glob("*.eml")}
    assert {eml_filename(m.message_id) for m in messages} <= outbox
    assert not list(tmp_path.rglob("*.tmp")) and not list(tmp_path.rglob("*.tmpdir"))
