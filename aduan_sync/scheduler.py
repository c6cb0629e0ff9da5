"""Passes over every source, and `aduan-sync run`: the daemon that schedules them.

`run_sources` is what `sync` and the daemon share: each source in turn, one failing source
never stopping the others, one summary log line per pass, the worst exit code for the lot.

`Daemon` runs APScheduler 3.x (a `BackgroundScheduler`, one worker thread, so its jobs never
overlap one another) in the office's time zone, with the main thread waiting for SIGTERM or
SIGINT. Jobs:

* a pass every `[schedule] interval_minutes` (or `interval_seconds`), the first at start-up;
* `aduan_sync.reminders.run_reminders(cfg, now)` hourly while the office is open, and
  `aduan_sync.reminders.run_digest(cfg, now)` daily at `[reminders] digest_time` (07:30), but
  only if that module exists (issue 5); otherwise nothing is scheduled for them and the start-up
  log says so. The daemon holds the pass lock around each call, so those functions must not
  take it themselves.

The pass lock (`lock.pass_lock`, one per data folder) is taken by `run_pass` for the length of
one pass only: between passes a `sync` from a timer or a person runs normally; during one it
exits 75, and a daemon pass that meets a `sync` logs it and waits for its next slot.

On SIGTERM/SIGINT the daemon stops scheduling, lets the pass under way finish (the sources
after it in the same round are left for the next start), and exits 0. A second signal exits
at once: a pass killed at any point is finished by the next one.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from types import FrameType
from typing import Any

from aduan_sync.config import Config
from aduan_sync.errors import (
    EXIT_ITEM_ERRORS,
    EXIT_LOCKED,
    EXIT_OK,
    AduanSyncError,
    PassLockedError,
)
from aduan_sync.lock import pass_lock
from aduan_sync.pass_result import PassResult
from aduan_sync.passrun import run_pass

log = logging.getLogger("aduan_sync.scheduler")

PassFn = Callable[[Config], PassResult]
Hook = Callable[[Config, datetime], Any]

#: Digest time when the config has no `[reminders] digest_time`.
DIGEST_TIME = time(7, 30)
#: How late a reminder or digest run may start (machine asleep, a long pass before it) and
#: still run; later than that it is skipped until its next time.
HOOK_MISFIRE_GRACE_SECONDS = 3600
#: Severity of exit codes, for "the worst" over several sources: a config or sheet problem
#: outranks item errors, which outrank "another process had the lock" (work is being done).
_SEVERITY = {EXIT_OK: 0, EXIT_LOCKED: 1, EXIT_ITEM_ERRORS: 2, 3: 3, 2: 4}


@dataclass
class SourceOutcome:
    """The outcome of one source's pass: a `PassResult`, or the error that stopped it."""

    name: str
    exit_code: int
    result: PassResult | None = None
    error: str | None = None
    detail: str | None = None

    def to_json(self) -> dict[str, Any]:
        if self.result is not None:
            return {"name": self.name, **self.result.to_json()}
        return {"name": self.name, "ok": False, "exit_code": self.exit_code,
                "error": self.error, "detail": self.detail}


def worst_exit_code(codes: Iterable[int]) -> int:
    """The most severe of `codes` (0 for none): 2 > 3 > 1 > 75 > 0; unknown codes rank top."""
    return max(codes, key=lambda c: (_SEVERITY.get(c, 5), c), default=EXIT_OK)


def run_source(cfg: Config, run: PassFn | None = None) -> SourceOutcome:
    """One pass over one source; every failure becomes an outcome and a log line, not a raise."""
    name = cfg.source.name
    try:
        result = (run or run_pass)(cfg)
    except PassLockedError as e:
        log.warning("Sumber %s: proses lain (sync atau daemon) sedang berjalan; proses ini "
                    "dilewati dan dicoba lagi pada jadwal berikutnya.", name,
                    extra={"event": "pass_locked", "source": name})
        return SourceOutcome(name, e.exit_code, error=e.message, detail=e.detail)
    except AduanSyncError as e:
        log.error("Sumber %s: proses gagal: %s%s", name, e.message,
                  f" ({e.detail})" if e.detail else "",
                  extra={"event": "pass_failed", "source": name, "exit_code": e.exit_code})
        return SourceOutcome(name, e.exit_code, error=e.message, detail=e.detail)
    except Exception as e:  # a bug must not stop the other sources or the daemon
        log.exception("Sumber %s: kesalahan tak terduga; proses dihentikan.", name,
                      extra={"event": "pass_crashed", "source": name})
        return SourceOutcome(name, EXIT_ITEM_ERRORS, error=f"Kesalahan tak terduga: {e}",
                             detail=type(e).__name__)
    log_pass_summary(name, result)
    return SourceOutcome(name, result.exit_code, result=result)


def log_pass_summary(name: str, r: PassResult) -> None:
    """One line per pass: counts, API requests, duration; problems as warnings after it."""
    summary = {
        "rows": r.rows, "registered": len(r.registered), "staff_edits": r.staff_edits,
        "archived": r.archived, "cells_written": r.cells_written, "mail_queued": r.queued,
        "mail_sent": r.sent, "mail_retry": r.mail_retry, "mail_failed": r.mail_failed,
        "problems": len(r.problems), "errors": len(r.errors), "api_requests": r.api_requests,
        "duration_seconds": round(r.duration_seconds, 3),
    }
    level = logging.INFO if r.exit_code == EXIT_OK else logging.WARNING
    log.log(level, "Sumber %s: proses selesai: %d baris, %d aduan baru, %d sel ditulis, "
            "%d arsip, email %d antre/%d terkirim/%d gagal, %d masalah, %d kesalahan, "
            "%d permintaan API, %.2f detik.", name, r.rows, len(r.registered), r.cells_written,
            r.archived, r.queued, r.sent, r.mail_failed, len(r.problems), len(r.errors),
            r.api_requests, r.duration_seconds,
            extra={"event": "pass", "source": name, "exit_code": r.exit_code, **summary})
    for p in r.problems:
        log.warning("Sumber %s, baris %s: %s", name, p.get("baris"), p.get("pesan"),
                    extra={"event": "row_problem", "source": name})
    for err in r.errors:
        log.warning("Sumber %s: %s", name, err, extra={"event": "pass_error", "source": name})


def run_sources(cfgs: Sequence[Config], run: PassFn | None = None,
                should_stop: Callable[[], bool] | None = None) -> list[SourceOutcome]:
    """A pass over each source in turn; stops early (between sources) once `should_stop()`."""
    outcomes: list[SourceOutcome] = []
    for cfg in cfgs:
        if should_stop is not None and should_stop():
            log.info("Penghentian diminta: sumber berikutnya diproses pada putaran berikutnya.")
            break
        outcomes.append(run_source(cfg, run))
    return outcomes


def find_hooks() -> tuple[Hook | None, Hook | None]:
    """`run_reminders` and `run_digest` from `aduan_sync.reminders`, where they exist."""
    try:
        module = importlib.import_module("aduan_sync.reminders")
    except ModuleNotFoundError as e:
        if e.name != "aduan_sync.reminders":
            raise  # the module exists but is broken: say so loudly
        return None, None
    return getattr(module, "run_reminders", None), getattr(module, "run_digest", None)


class Daemon:
    """`aduan-sync run`: scheduled passes, reminders and digest until SIGTERM/SIGINT."""

    def __init__(self, cfgs: Sequence[Config], *, run: PassFn | None = None,
                 reminders: Hook | None = None, digest: Hook | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        if not cfgs:
            raise ValueError("no source to run")
        self.cfgs = list(cfgs)
        self.tz = self.cfgs[0].office.tz
        self.interval = self.cfgs[0].schedule.seconds
        self._run = run
        self.reminders = reminders
        self.digest = digest
        self._clock = clock or (lambda: datetime.now(self.tz))
        self._stop = threading.Event()
        self._signals = 0
        self._signum: int | None = None
        self.rounds = 0
        self._calendars = {id(c): c.calendar.working_calendar(self.tz) for c in self.cfgs}

    @classmethod
    def with_hooks(cls, cfgs: Sequence[Config], **kwargs: Any) -> Daemon:
        """A daemon with the reminders and digest of `aduan_sync.reminders`, if present."""
        reminders, digest = find_hooks()
        return cls(cfgs, reminders=reminders, digest=digest, **kwargs)

    def build_scheduler(self) -> Any:
        """A paused-until-started `BackgroundScheduler` holding the daemon's jobs."""
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.triggers.interval import IntervalTrigger

        # One worker: a reminder run never overlaps a pass of the same process.
        sched = BackgroundScheduler(executors={"default": ThreadPoolExecutor(1)},
                                    timezone=self.tz)
        grace = max(1, int(self.interval))  # a pass late by up to one interval still runs
        sched.add_job(self.pass_round, IntervalTrigger(seconds=self.interval, timezone=self.tz),
                      id="pass", name="proses", next_run_time=self._clock(), coalesce=True,
                      max_instances=1, misfire_grace_time=grace)
        if self.reminders is not None:
            sched.add_job(self.reminders_round, CronTrigger(minute=0, timezone=self.tz),
                          id="reminders", name="pengingat", coalesce=True, max_instances=1,
                          misfire_grace_time=HOOK_MISFIRE_GRACE_SECONDS)
        if self.digest is not None:
            at = getattr(getattr(self.cfgs[0], "reminders", None), "digest_time", DIGEST_TIME)
            sched.add_job(self.digest_round,
                          CronTrigger(hour=at.hour, minute=at.minute, timezone=self.tz),
                          id="digest", name="ringkasan harian", coalesce=True, max_instances=1,
                          misfire_grace_time=HOOK_MISFIRE_GRACE_SECONDS)
        return sched

    def pass_round(self) -> list[SourceOutcome]:
        """One scheduled round: a pass over each source. Never raises."""
        if self._stop.is_set():
            return []
        self.rounds += 1
        try:
            return run_sources(self.cfgs, self._run, should_stop=self._stop.is_set)
        except Exception:  # run_sources catches per source; this is the last net
            log.exception("Putaran proses gagal; putaran berikutnya tetap dijalankan.")
            return []

    def reminders_round(self) -> None:
        """Reminders for each source, only while the office is open."""
        now = self._clock()
        for cfg in self.cfgs:
            if self._calendars[id(cfg)].is_open(now):
                self._hook("pengingat", self.reminders, cfg, now)

    def digest_round(self) -> None:
        """The daily digest for each source."""
        now = self._clock()
        for cfg in self.cfgs:
            self._hook("ringkasan harian", self.digest, cfg, now)

    def _hook(self, what: str, fn: Hook | None, cfg: Config, now: datetime) -> None:
        if fn is None or self._stop.is_set():
            return
        name = cfg.source.name
        try:
            with pass_lock(cfg.storage.lock_path):
                fn(cfg, now)
        except PassLockedError:
            log.warning("Sumber %s: %s ditunda karena proses lain sedang berjalan.", name, what,
                        extra={"event": "hook_locked", "source": name})
        except Exception:
            log.exception("Sumber %s: %s gagal; dicoba lagi pada jadwal berikutnya.", name,
                          what, extra={"event": "hook_failed", "source": name})

    def request_stop(self, signum: int | None = None, frame: FrameType | None = None) -> None:
        """Stop after the pass under way (signal handler; also callable from any thread)."""
        # Only flags here: logging from inside a signal handler can interleave with a line the
        # main thread is writing. The main loop logs once it wakes.
        self._signals += 1
        self._signum = signum
        if self._signals > 1 and signum is not None:
            os.write(2, b"Sinyal kedua diterima: berhenti seketika.\n")
            os._exit(128 + signum)
        self._stop.set()

    def run(self) -> int:
        """Run until SIGTERM/SIGINT (or `request_stop`); returns the exit code, 0."""
        previous = self._install_signals()
        sched = self.build_scheduler()
        try:
            sched.start()
            self._log_start(sched)
            while not self._stop.wait(0.5):
                pass
            sig = signal.Signals(self._signum).name if self._signum else "permintaan berhenti"
            log.info("%s diterima: menunggu proses yang sedang berjalan selesai, lalu berhenti.",
                     sig, extra={"event": "daemon_stopping"})
        finally:
            self._stop.set()
            sched.shutdown(wait=True)  # waits for the pass under way
            for sig_no, handler in previous.items():
                signal.signal(sig_no, handler)
        log.info("Daemon berhenti setelah %d putaran proses.", self.rounds,
                 extra={"event": "daemon_stopped", "rounds": self.rounds})
        return EXIT_OK

    def _install_signals(self) -> dict[int, Any]:
        if threading.current_thread() is not threading.main_thread():
            return {}
        previous: dict[int, Any] = {}
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, self.request_stop)
        return previous

    def _log_start(self, sched: Any) -> None:
        names = ", ".join(c.source.name for c in self.cfgs)
        log.info("Daemon berjalan (zona waktu %s): proses setiap %s untuk sumber %s.",
                 self.tz.key, _human_interval(self.interval), names,
                 extra={"event": "daemon_started", "interval_seconds": self.interval,
                        "sources": [c.source.name for c in self.cfgs],
                        "jobs": [j.id for j in sched.get_jobs()]})
        missing = [n for n, f in (("run_reminders", self.reminders),
                                  ("run_digest", self.digest)) if f is None]
        if missing:
            log.info("Tidak dijadwalkan sebagai tugas terpisah: %s (tidak tersedia di "
                     "aduan_sync.reminders).", ", ".join(missing),
                     extra={"event": "hooks_missing", "missing": missing})


def _human_interval(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)} menit"
    return f"{seconds:g} detik"
