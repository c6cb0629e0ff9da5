"""`make bench`: passes over 100 to 50,000 rows against the fake Google server, and the naive way.

For each size: a fresh office and spreadsheet, the first pass (every row new, which ends by
confirming its own write-back with one more read), then two idle passes five and ten minutes
later: the first only asks Drive for the sheet's version; before the second, the sheet's
version is moved without changing a value (as a staff member formatting a cell does), so it
reads the whole sheet to find nothing to do. Each pass runs in its own process.
The naive way (one `update_cell` per cell) runs on
a small sample, since under Google's quota it needs a minute per 60 cells; its time for the
large sizes is extrapolated, and says so. The run keeps to `--budget` seconds: a size whose
first pass would not fit (projected from the previous size) is brought to its registered state
by a seed pass instead, so its idle pass and memory are still measured, and its first pass is
reported as a projection. Prints the report and writes it to `benchmarks/results.md`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from aduan_sync.defaults import TIMEZONE
from benchmarks import disk
from benchmarks.harness import (
    Measured,
    PassFailed,
    PassTimeout,
    Workspace,
    measure,
    start_fake,
    workspace,
)
from benchmarks.report import (
    NaiveRun,
    Report,
    SizeRun,
    load_average,
    markdown,
    quota_floor_seconds,
    update_readme,
    write_results,
)
from tests.fakegoogle.fake import FakeGoogle

#: A Tuesday in office hours, after the 07:30 digest: a pass sends the day's digest once.
NOW = datetime(2026, 3, 3, 10, 0, tzinfo=ZoneInfo(TIMEZONE))
#: The idle passes come one and two timer intervals later.
IDLE_AFTER = timedelta(minutes=5)
#: Margin on projections: a pass may grow a little faster than linearly.
MARGIN = 1.25
#: Seconds a child needs beyond its pass (interpreter start and imports).
CHILD_OVERHEAD = 10.0
ROOT = Path(__file__).resolve().parent


class Bench:
    """One benchmark run: the fake, the clock against the budget, and the figures so far."""

    def __init__(self, fake: FakeGoogle, tmp: Path, budget: float, profile: Path | None,
                 seed_above: int | None = None) -> None:
        self.fake = fake
        self.tmp = tmp
        self.budget = budget if budget > 0 else float("inf")
        self.profile = profile
        self.seed_above = seed_above
        self.t0 = time.perf_counter()
        self.rate: float | None = None  # seconds per row of the last measured first pass
        self.idle_rate = 0.0  # seconds per row of the last (largest) idle pass
        self.accounts = 0

    def left(self) -> float:
        return self.budget - (time.perf_counter() - self.t0)

    def office(self, rows: int, label: str) -> Workspace:
        self.accounts += 1
        email = f"bench-{self.accounts}@kecamatan-jenawi.iam.gserviceaccount.com"
        return workspace(self.fake, self.tmp / f"{label}-{rows}", rows, NOW, email)

    def run(self, ws: Workspace, mode: str, now: datetime, timeout: float) -> Measured:
        extra = (str(self.profile / f"{mode}-{ws.rows}-{now:%H%M}.prof"),) if self.profile else ()
        return measure(self.fake, ws, mode, now, extra, timeout=max(timeout, 30.0))

    def size(self, rows: int, reserve: float) -> SizeRun:
        """First and idle pass over `rows` rows, within what is left of the budget."""
        run = SizeRun(rows)
        ws = self.office(rows, "sheet")
        # What is left for the first pass (or seed) once the idle pass after it is paid for.
        left = self.left() - reserve - (self.idle_rate * rows * MARGIN + 2 * CHILD_OVERHEAD)
        projected = self.rate * rows if self.rate is not None else None
        forced_seed = self.seed_above is not None and rows > self.seed_above
        if not forced_seed and (projected is None
                                or projected * MARGIN + 2 * CHILD_OVERHEAD < left):
            try:
                before = disk.entries(ws.root)
                run.first = self.run(ws, "pass", NOW, left - CHILD_OVERHEAD)
                run.created = disk.entries(ws.root) - before
                self.rate = run.first.pass_seconds / rows
                _say(f"{rows:>6,} rows  first pass {run.first.pass_seconds:8.2f} s  "
                     f"{run.first.sheets} Sheets + {run.first.drive} Drive requests  "
                     f"peak RSS {run.first.rss_mb:.0f} MB")
            except (PassTimeout, PassFailed) as e:
                run.first_note = f"{e}; idle pass not measured"
                _say(f"{rows:>6,} rows  {run.first_note}")
                return run
        else:
            run.projected_first = projected
            if projected is None or self.rate is None:
                run.first_note = f"first pass not run (--seed-above {self.seed_above})"
            else:
                why = (f"--seed-above {self.seed_above}" if forced_seed else
                       f"more than the {left:,.0f} s left of the run's budget")
                run.first_note = (f"first pass not run: projected ≈{projected:,.0f} s from "
                                  f"the previous size's {self.rate:.3f} s per row ({why})")
            if not self._seed(ws, run, left):
                return run
        try:
            # The first pass confirmed its own write-back, so the next one only asks Drive for
            # the version. Then a change that moves the version but not the values (staff
            # formatting a cell): that pass reads the whole sheet to find nothing to do.
            run.idle = self.run(ws, "pass", NOW + IDLE_AFTER, self.left())
            self.fake.spreadsheet(ws.spreadsheet_id).touch()
            run.reread = self.run(ws, "pass", NOW + 2 * IDLE_AFTER, self.left())
        except (PassTimeout, PassFailed) as e:
            run.idle_note = str(e)
            _say(f"{rows:>6,} rows  {run.idle_note}")
            return run
        # The largest sheet so far: least skewed.
        self.idle_rate = (run.reread.pass_seconds + run.idle.pass_seconds) / rows
        for label, m in (("idle", run.idle), ("idle, re-read", run.reread)):
            _say(f"{rows:>6,} rows  {label:17} {m.pass_seconds:8.2f} s  "
                 f"{m.sheets} Sheets + {m.drive} Drive requests  peak RSS {m.rss_mb:.0f} MB")
        return run

    def _seed(self, ws: Workspace, run: SizeRun, left: float) -> bool:
        """Register the sheet without notifications and without latency, for the idle pass.

        Tried whenever a minute is left: a seed too slow for the budget is stopped by its
        timeout, so trying costs nothing the run had otherwise left unused."""
        rows = ws.rows
        if left < 60:
            run.first_note += "; no time left for a seed pass: idle pass not measured"
            _say(f"{rows:>6,} rows  {run.first_note}")
            return False
        latency, self.fake.latency = self.fake.latency, 0.0
        try:
            seed = measure(self.fake, ws, "seed", NOW, timeout=left - CHILD_OVERHEAD)
        except (PassTimeout, PassFailed) as e:
            run.first_note += f"; seed: {e}: idle pass not measured"
            _say(f"{rows:>6,} rows  {run.first_note}")
            return False
        finally:
            self.fake.latency = latency
        run.seed = seed
        run.first_note += (f"; seeded instead in {seed.pass_seconds:,.0f} s (the worker "
                           "without notification emails and without latency, not a figure)")
        _say(f"{rows:>6,} rows  {run.first_note}")
        return True

    def on_tmpfs(self, rows: int) -> SizeRun:
        """The first pass over `rows` rows again, its workspace on tmpfs: the disk's share."""
        run = SizeRun(rows)
        if self.left() < (self.rate or 0.0) * rows * MARGIN + 2 * CHILD_OVERHEAD:
            run.first_note = "no time left in the run's budget"
            return run
        with tempfile.TemporaryDirectory(prefix="aduan-bench-", dir=disk.TMPFS) as tmp:
            ws = workspace(self.fake, Path(tmp) / f"tmpfs-{rows}", rows, NOW,
                           f"bench-tmpfs-{rows}@kecamatan-jenawi.iam.gserviceaccount.com")
            try:
                run.first = self.run(ws, "pass", NOW, self.left() - CHILD_OVERHEAD)
            except (PassTimeout, PassFailed) as e:
                run.first_note = str(e)
                return run
        _say(f"{rows:>6,} rows  first pass on tmpfs {run.first.pass_seconds:8.2f} s")
        return run

    def naive(self, rows: int) -> NaiveRun:
        """The naive way on `rows` rows, and the worker on an identical sheet."""
        worker = self.run(self.office(rows, "sample-worker"), "pass", NOW, self.left())
        _say(f"sample {rows} rows  worker  {worker.pass_seconds:8.2f} s  "
             f"{worker.sheets} Sheets requests")
        naive = self.run(self.office(rows, "sample-naive"), "naive", NOW, self.left())
        _say(f"sample {rows} rows  naive   {naive.pass_seconds:8.2f} s  "
             f"{naive.sheets} Sheets requests, {naive.throttled} answered 429")
        return NaiveRun(rows, naive, worker)


def _say(text: str) -> None:
    print(text, flush=True)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="100,1000,10000,50000",
                   help="sheet sizes in rows, comma-separated (default: %(default)s)")
    p.add_argument("--naive-rows", type=int, default=10,
                   help="rows of the naive way's sample; 0 skips it (default: %(default)s)")
    p.add_argument("--budget", type=float, default=540.0,
                   help="seconds the whole run may take; 0: no limit (default: %(default)s)")
    p.add_argument("--seed-above", type=int, metavar="ROWS",
                   help="seed sizes above ROWS instead of measuring their first pass")
    p.add_argument("--tmpfs-rows", type=int, default=10_000, metavar="ROWS",
                   help="run the first pass over ROWS rows again with its workspace on tmpfs "
                        "(/dev/shm), to show the disk's share; 0 skips it (default: "
                        "%(default)s, only when that size is measured)")
    p.add_argument("--settle", type=float, default=0.0, metavar="SECONDS",
                   help="first write back and wait SECONDS (before the disk probe and the "
                        "first pass), so that files deleted before the run no longer slow down "
                        "file creation (ext4 without a journal: about 300; see benchmarks/disk.py; "
                        "default: %(default)s)")
    p.add_argument("--out", type=Path, default=ROOT / "results.md",
                   help="where to write the report (default: benchmarks/results.md)")
    p.add_argument("--readme", action="store_true",
                   help="also replace the figures between the bench markers in README.md")
    p.add_argument("--profile", type=Path, metavar="DIR",
                   help="run every pass under cProfile, stats in DIR (timings are then "
                        "inflated: not figures)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the report and write it to `--out`."""
    args = _parse(argv)
    sizes = sorted(int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip())
    report = Report(started=datetime.now().astimezone(), load_before=load_average())
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    fake = start_fake()
    try:
        with tempfile.TemporaryDirectory(prefix="aduan-bench-") as tmp:
            if args.settle > 0:
                _say(f"settling: write-back, then {args.settle:.0f} s before the first pass")
                disk.settle(args.settle)
                report.settle_seconds = args.settle
            report.disk_us.append(disk.creation_us(Path(tmp)))
            report.tmpfs_us = disk.tmpfs_creation_us()
            bench = Bench(fake, Path(tmp), args.budget, args.profile, args.seed_above)
            naive_reserve = (quota_floor_seconds(args.naive_rows * 8 + 12) + 4 * CHILD_OVERHEAD
                             if args.naive_rows else 0.0)
            for i, rows in enumerate(sizes):
                report.sizes.append(bench.size(rows, naive_reserve if report.naive is None
                                               and args.naive_rows else 0.0))
                if i == 0 and args.naive_rows:
                    try:
                        report.naive = bench.naive(args.naive_rows)
                    except (PassTimeout, PassFailed) as e:
                        _say(f"naive way not measured: {e}")
            measured = {r.rows for r in report.sizes if r.first}
            if args.tmpfs_rows in measured and report.tmpfs_us is not None:
                report.on_tmpfs = bench.on_tmpfs(args.tmpfs_rows)
            report.disk_us.append(disk.creation_us(Path(tmp)))
            report.total_seconds = time.perf_counter() - bench.t0
    finally:
        fake.stop()
    report.load_after = load_average()
    text = markdown(report)
    print("\n" + text)
    write_results(report, args.out)
    print(f"Written to {args.out}")
    if args.readme and not update_readme(report, ROOT.parent / "README.md"):
        print("README.md has no bench markers; its figures were not updated.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
