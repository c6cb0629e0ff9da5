"""`aduan-sync run`: scheduled passes, clean stop on SIGTERM, one lock shared with `sync`."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from aduan_sync import config as config_mod
from aduan_sync.errors import PassLockedError, SourceError
from aduan_sync.ledger import Ledger
from aduan_sync.lock import pass_lock
from aduan_sync.passrun import PassResult, run_pass
from aduan_sync.scheduler import Daemon, find_hooks, run_sources, worst_exit_code
from tests.conftest import (
    CONFIG_TEMPLATE,
    FORM_HEADERS,
    LIGHT,
    ROAD,
    at,
    edit_book,
    form_row,
    write_book,
)

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(REPO)}
NIK, PHONE, EMAIL = "3313064501800001", "0812-3456-7890", "sri@example.com"


def make_workspace(root: Path, *, interval: str = "interval_seconds = 1", n: int = 3) -> Path:
    (root / "aduan.toml").write_text(CONFIG_TEMPLATE + f"[schedule]\n{interval}\n",
                                     encoding="utf-8")
    rows = [form_row(at(2026, 11, 23, 8, i), ROAD if i % 2 else LIGHT, name=f"Warga {i}",
                     email=EMAIL, nik=int(NIK)) for i in range(n)]
    for r in rows:
        r[0] = r[0].replace(tzinfo=None)
    write_book(root / "form.xlsx", FORM_HEADERS, rows)
    return root / "aduan.toml"


class Daemonproc:
    """`python -m aduan_sync --config X --log-format json run` with its log in a file."""

    def __init__(self, config: Path) -> None:
        self.log_path = config.parent / "daemon.log"
        self.log_file = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "aduan_sync", "--config", str(config), "--log-format",
             "json", "run"], stdout=subprocess.DEVNULL, stderr=self.log_file, env=ENV)

    def text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def lines(self) -> list[dict]:
        out = []
        for line in self.text().splitlines():
            with contextlib.suppress(json.JSONDecodeError):  # a line still being written
                out.append(json.loads(line))
        return out

    def events(self, name: str) -> list[dict]:
        return [x for x in self.lines() if x.get("event") == name]

    def wait_for(self, pred: Callable[[], bool], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not pred():
            if self.proc.poll() is not None:
                raise AssertionError(f"daemon exited {self.proc.returncode}:\n{self.text()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; log so far:\n{self.text()}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        self.log_file.close()


@pytest.fixture
def daemon_factory():
    started: list[Daemonproc] = []

    def start(config: Path) -> Daemonproc:
        d = Daemonproc(config)
        started.append(d)
        return d

    yield start
    for d in started:
        d.stop()


def test_daemon_makes_passes_then_stops_on_sigterm_with_exit_0(tmp_path, daemon_factory):
    config = make_workspace(tmp_path)
    # Staff wrote a note with the reporter's contact into the Status column: every pass
    # reports that row, quoting the cell, so the log really meets personal data.
    cfg = config_mod.load(config)
    run_pass(cfg, env={})
    edit_book(tmp_path / "form.xlsx",
              lambda ws: ws.cell(row=2, column=[c.value for c in ws[1]].index("Status") + 1,
                                 value=f"hubungi {PHONE} / {EMAIL} NIK {NIK}"))
    d = daemon_factory(config)
    d.wait_for(lambda: len(d.events("pass")) >= 2)
    passes_before = len(d.events("pass"))
    t0 = time.monotonic()
    d.proc.send_signal(signal.SIGTERM)
    assert d.proc.wait(timeout=30) == 0
    stop_seconds = time.monotonic() - t0
    lines = d.lines()
    durations = [x["duration_seconds"] for x in lines if x.get("event") == "pass"]
    # It finishes the pass under way (if any) and starts no other.
    assert len(durations) <= passes_before + 1
    assert stop_seconds < max(durations) + 5
    assert [x["event"] for x in lines if x.get("event", "").startswith("daemon_")] == [
        "daemon_started", "daemon_stopping", "daemon_stopped"]
    assert all(x["exit_code"] == 1 and x["problems"] == 1 for x in d.events("pass"))
    problems = d.events("row_problem")
    assert problems and all("[NOMOR-HP]" in p["message"] for p in problems)
    text = d.text()
    for raw in (NIK, PHONE, "81234567890", EMAIL):
        assert raw not in text


def test_daemon_holds_the_lock_only_during_a_pass(tmp_path, daemon_factory):
    config = make_workspace(tmp_path, interval="interval_minutes = 60")
    d = daemon_factory(config)
    d.wait_for(lambda: len(d.events("pass")) == 1)
    cfg = config_mod.load(config)
    with pass_lock(cfg.storage.lock_path):  # would raise PassLockedError if the daemon held it
        pass
    res = subprocess.run([sys.executable, "-m", "aduan_sync", "--config", str(config), "sync",
                          "--json"], capture_output=True, text=True, env=ENV, timeout=60)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["registered"] == []  # the daemon's pass numbered them all
    d.proc.send_signal(signal.SIGTERM)
    assert d.proc.wait(timeout=30) == 0


def test_overlapping_sync_exits_75_and_the_daemon_waits_for_its_next_slot(
        tmp_path, daemon_factory):
    config = make_workspace(tmp_path)
    cfg = config_mod.load(config)
    with pass_lock(cfg.storage.lock_path):
        d = daemon_factory(config)
        d.wait_for(lambda: len(d.events("pass_locked")) >= 2)  # still alive, still trying
        res = subprocess.run([sys.executable, "-m", "aduan_sync", "--config", str(config),
                              "sync"], capture_output=True, text=True, env=ENV, timeout=60)
        assert res.returncode == 75
        assert "Error: Proses lain (sync atau daemon) sedang berjalan" in res.stderr
        assert not d.events("pass")
    d.wait_for(lambda: len(d.events("pass")) >= 1)
    d.proc.send_signal(signal.SIGINT)
    assert d.proc.wait(timeout=30) == 0
    with Ledger(cfg.storage.ledger_path) as ledger:
        assert [c.register_no for c in ledger.complaints()] == [
            "001/ADUAN/XI/2026", "002/ADUAN/XI/2026", "003/ADUAN/XI/2026"]


def test_a_lock_left_by_kill_9_never_blocks_the_next_pass(tmp_path):
    config = make_workspace(tmp_path)
    cfg = config_mod.load(config)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from aduan_sync.lock import pass_lock\n"
         "with pass_lock(Path(sys.argv[1])):\n"
         "    print('dikunci', flush=True); time.sleep(600)\n", str(cfg.storage.lock_path)],
        stdout=subprocess.PIPE, text=True, env=ENV)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "dikunci"
        with pytest.raises(PassLockedError):
            run_pass(cfg, env={})
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    assert holder.returncode == -signal.SIGKILL
    assert cfg.storage.lock_path.exists()  # the file is still there; its lock is not
    result = run_pass(cfg, env={})
    assert len(result.registered) == 3


# -- the daemon in this process, with injected passes ----------------------------------------

def fake_result() -> PassResult:
    return PassResult(started_at=datetime.now().astimezone())


def fast_cfg(tmp_path: Path) -> config_mod.Config:
    return config_mod.load(make_workspace(tmp_path, interval="interval_seconds = 0.05"))


def test_sigterm_during_a_pass_lets_it_finish_then_run_returns_0(tmp_path):
    cfg = fast_cfg(tmp_path)
    events: list[str] = []

    def slow_pass(c: config_mod.Config) -> PassResult:
        events.append("start")
        os.kill(os.getpid(), signal.SIGTERM)  # a real signal, to the main thread
        time.sleep(0.3)  # the pass is still working when the signal is handled
        events.append("end")
        return fake_result()

    before = signal.getsignal(signal.SIGTERM)
    assert Daemon([cfg], run=slow_pass).run() == 0
    assert events == ["start", "end"]  # finished, and no second pass started
    assert signal.getsignal(signal.SIGTERM) is before  # handlers restored


def stop_after(daemon_box: list[Daemon], n: int, fn: Callable[[int], PassResult]):
    calls = []

    def run(c: config_mod.Config) -> PassResult:
        calls.append(c.source.name)
        if len(calls) >= n:
            daemon_box[0].request_stop()
        return fn(len(calls))

    return run, calls


def test_a_failing_pass_is_logged_and_the_next_one_runs(tmp_path, caplog):
    cfg = fast_cfg(tmp_path)

    def outcome(i: int) -> PassResult:
        if i == 1:
            raise RuntimeError("disk penuh")
        if i == 2:
            raise SourceError("Lembar kerja tidak dapat dibaca.")
        return fake_result()

    box: list[Daemon] = []
    run, calls = stop_after(box, 3, outcome)
    box.append(Daemon([cfg], run=run))
    with caplog.at_level(logging.INFO):
        assert box[0].run() == 0
    assert len(calls) == 3
    events = [getattr(r, "event", "") for r in caplog.records]
    assert events.count("pass_crashed") == 1 and events.count("pass_failed") == 1
    assert events.count("pass") == 1
    crashed = next(r for r in caplog.records if getattr(r, "event", "") == "pass_crashed")
    assert crashed.exc_info is not None and "disk penuh" in str(crashed.exc_info[1])


def test_a_pass_meeting_the_lock_is_skipped_and_the_next_slot_runs(tmp_path, caplog):
    cfg = fast_cfg(tmp_path)
    cfg.storage.data_dir.mkdir(parents=True)
    # Another process's `sync` holds the lock (a plain flock, as any holder's would be).
    fd = os.open(cfg.storage.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    box: list[Daemon] = []
    calls: list[int] = []

    def run(c: config_mod.Config) -> PassResult:
        calls.append(1)
        if len(calls) == 2:
            fcntl.flock(fd, fcntl.LOCK_UN)  # that sync finished between our two slots
            box[0].request_stop()
        return run_pass(c, env={})

    box.append(Daemon([cfg], run=run))
    try:
        with caplog.at_level(logging.INFO):
            assert box[0].run() == 0
    finally:
        os.close(fd)
    events = [e for r in caplog.records if (e := getattr(r, "event", ""))]
    assert events.index("pass_locked") < events.index("pass")
    assert len(calls) == 2
    with Ledger(cfg.storage.ledger_path) as ledger:
        assert len(ledger.complaints()) == 3


def test_round_over_several_sources_stops_between_sources_once_asked():
    cfgs = [type("C", (), {"source": type("S", (), {"name": n})()})() for n in ("a", "b", "c")]
    seen: list[str] = []
    stop = threading.Event()

    def run(c):
        seen.append(c.source.name)
        stop.set()
        return fake_result()

    outcomes = run_sources(cfgs, run, should_stop=stop.is_set)  # type: ignore[arg-type]
    assert seen == ["a"] and [o.name for o in outcomes] == ["a"]


@pytest.mark.parametrize("codes, worst", [
    ([], 0), ([0, 0], 0), ([0, 75], 75), ([75, 1], 1), ([1, 3], 3), ([3, 2, 75], 2),
])
def test_worst_exit_code_ranks_config_over_sheet_over_items_over_lock(codes, worst):
    assert worst_exit_code(codes) == worst


# -- the schedule ------------------------------------------------------------------------------

def test_jobs_are_set_explicitly_in_the_office_time_zone(tmp_path):
    cfg = config_mod.load(make_workspace(tmp_path, interval="interval_minutes = 5"))
    hooks: list[tuple[str, datetime]] = []
    d = Daemon([cfg], reminders=lambda c, now: hooks.append(("r", now)),
               digest=lambda c, now: hooks.append(("d", now)))
    sched = d.build_scheduler()
    jobs = {j.id: j for j in sched.get_jobs()}
    assert set(jobs) == {"pass", "reminders", "digest"}
    p = jobs["pass"]
    assert isinstance(p.trigger, IntervalTrigger) and p.trigger.interval == timedelta(minutes=5)
    assert (p.coalesce, p.max_instances, p.misfire_grace_time) == (True, 1, 300)
    assert str(sched.timezone) == "Asia/Jakarta" and str(p.trigger.timezone) == "Asia/Jakarta"
    for job in (jobs["reminders"], jobs["digest"]):
        assert isinstance(job.trigger, CronTrigger)
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 3600)
    monday_night = at(2026, 11, 23, 22, 0)
    assert jobs["digest"].trigger.get_next_fire_time(None, monday_night) == at(2026, 11, 24, 7, 30)
    assert jobs["reminders"].trigger.get_next_fire_time(None, at(2026, 11, 24, 9, 10)) == at(
        2026, 11, 24, 10, 0)


def test_without_reminder_functions_only_the_pass_is_scheduled(tmp_path):
    cfg = config_mod.load(make_workspace(tmp_path))
    reminders, digest = find_hooks()
    d = Daemon.with_hooks([cfg])
    ids = {j.id for j in d.build_scheduler().get_jobs()}
    assert ids == {"pass"} | ({"reminders"} if reminders else set()) | (
        {"digest"} if digest else set())
    assert d.reminders is reminders and d.digest is digest


@pytest.mark.parametrize("now, expected", [
    (at(2026, 11, 24, 9, 0), True),   # Tuesday, office open
    (at(2026, 11, 24, 20, 0), False),  # Tuesday evening
    (at(2026, 11, 28, 9, 0), False),  # Saturday
    (at(2026, 12, 25, 9, 0), False),  # Christmas, a national holiday
])
def test_reminders_run_only_while_the_office_is_open(tmp_path, now, expected):
    cfg = config_mod.load(make_workspace(tmp_path))
    called: list[datetime] = []

    def reminders(c: config_mod.Config, t: datetime) -> None:
        # The daemon holds the pass lock around the hook.
        with pytest.raises(PassLockedError), pass_lock(c.storage.lock_path):
            pass
        called.append(t)

    Daemon([cfg], reminders=reminders, clock=lambda: now).reminders_round()
    assert called == ([now] if expected else [])


def test_a_failing_digest_is_logged_and_does_not_stop_other_sources(tmp_path, caplog):
    a = config_mod.load(make_workspace(tmp_path))
    seen: list[str] = []

    def digest(c: config_mod.Config, t: datetime) -> None:
        seen.append(c.source.name)
        raise RuntimeError("templat rusak")

    with caplog.at_level(logging.INFO):
        Daemon([a, a], digest=digest, clock=lambda: at(2026, 11, 24, 7, 30)).digest_round()
    assert seen == ["utama", "utama"]
    assert [getattr(r, "event", "") for r in caplog.records].count("hook_failed") == 2
