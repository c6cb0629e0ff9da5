"""One measured pass in a fresh process: `python -m benchmarks.child MODE CONFIG NOW [PROFILE]`.

MODE is `pass` (the worker as shipped: `passrun.run_pass`), `naive` (the same pass with its
batched write replaced by one gspread `update_cell` per cell), or `seed`: the worker with the
per-complaint notification emails left out, only to bring a large sheet to its registered
state quickly when its real first pass would not fit the run's time budget (never a figure).
Prints one JSON line: the pass's wall time, the process's RSS before the pass and its peak
(`VmHWM`, which covers the whole process: interpreter, imports and the pass), the peak of its
largest rendering worker, and the pass's result. With PROFILE, the
pass runs under cProfile and the stats are dumped there (the timings are then not figures).
With `BENCH_TRACEMALLOC=FILE` in the environment, the pass runs under tracemalloc and FILE gets
the biggest allocations still alive when the pass starts writing back (when the sheet, the
row views and the ledger's complaints are all in memory), and the traced peak.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from datetime import datetime
from pathlib import Path

from aduan_sync import config
from aduan_sync.passrun import run_pass
from aduan_sync.sources.base import Source


def _status_kb(field: str) -> int:
    """A size from this process's /proc/self/status (VmRSS: now, VmHWM: peak), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def _rss_now_kb() -> int:
    return _status_kb("VmRSS")


def _source(mode: str, cfg: config.Config) -> Source | None:
    if mode in ("pass", "seed"):
        return None  # the worker opens its own, exactly as `aduan-sync sync` does
    from benchmarks.naive import NaiveSource

    return NaiveSource(cfg)


def _leave_out_notifications() -> None:
    """Seed mode: new complaints queue no notification (the slow part of a first pass).
    Everything else, the daily digest included, stays real, so the idle pass that follows
    a seed finds the same work done as after a real first pass, less those messages."""
    from aduan_sync.messages import Messenger

    Messenger.for_new_complaint = lambda self, c, now, **kw: []  # type: ignore[method-assign]


def _trace_memory(out: Path) -> None:
    """Diagnosis only: snapshot the live allocations when the pass starts its write-back."""
    import atexit
    import tracemalloc

    from aduan_sync import passrun

    original = passrun._Pass._write_back

    def snapshot_then_write(self: passrun._Pass, *args: object, **kwargs: object) -> None:
        snap = tracemalloc.take_snapshot()
        current, peak = tracemalloc.get_traced_memory()
        lines = [f"traced now {current / 2**20:.1f} MiB, peak so far {peak / 2**20:.1f} MiB"]
        lines += [str(stat) for stat in snap.statistics("lineno")[:30]]
        out.write_text("\n".join(lines) + "\n", encoding="utf-8")
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    def peak_at_exit() -> None:
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        with out.open("a", encoding="utf-8") as f:
            f.write(f"traced peak of the whole pass {peak:.1f} MiB\n")

    passrun._Pass._write_back = snapshot_then_write  # type: ignore[method-assign]
    atexit.register(peak_at_exit)
    tracemalloc.start(1)


def main(argv: list[str]) -> int:
    """Run the pass and print its figures as one JSON line."""
    mode, config_path, now_text = argv[:3]
    profile = argv[3] if len(argv) > 3 else None
    cfg = config.load(Path(config_path))
    now = datetime.fromisoformat(now_text)
    # Import what the pass imports lazily, so RSS-before and the timing exclude imports.
    import aduan_sync.mail.outbox  # noqa: F401
    import aduan_sync.sources.gsheets  # noqa: F401

    if mode == "seed":
        _leave_out_notifications()
    if os.environ.get("BENCH_TRACEMALLOC"):
        _trace_memory(Path(os.environ["BENCH_TRACEMALLOC"]))
    rss_before = _rss_now_kb()
    source = _source(mode, cfg)
    if profile:
        import cProfile

        prof = cProfile.Profile()
        t0 = time.perf_counter()
        result = prof.runcall(run_pass, cfg, now=now, source=source)
        elapsed = time.perf_counter() - t0
        prof.dump_stats(profile)
    else:
        t0 = time.perf_counter()
        result = run_pass(cfg, now=now, source=source)
        elapsed = time.perf_counter() - t0
    summary = result.to_json()
    summary["registered"] = len(result.registered)  # the numbers themselves are not figures
    print(json.dumps({
        "pass_seconds": elapsed,
        "rss_before_kb": rss_before,
        # VmHWM, not ru_maxrss: after exec, Linux's ru_maxrss keeps the peak of the process
        # that forked us (the benchmark, holding the fake's sheets), not ours.
        "maxrss_kb": _status_kb("VmHWM"),
        # The pass's rendering workers (fanout.py), forked without exec: the largest one's
        # peak, most of it pages shared with this process.
        "workers_maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        "result": summary,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
