"""The benchmark's figures as a Markdown report: the table, the targets with pass/fail, the
naive way's extrapolation, and the machine it ran on."""

from __future__ import annotations

import os
import platform
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from benchmarks.harness import LATENCY_SECONDS, WRITES_PER_MINUTE, Measured

#: Targets of issue 9 item 5.
FIRST_PASS_ROWS, FIRST_PASS_SECONDS = 10_000, 15.0
IDLE_PASS_ROWS, IDLE_PASS_SECONDS = 50_000, 1.5
RSS_ROWS, RSS_MB = 50_000, 300.0

#: Seconds of the fake's own work below which a figure shows the wall time alone.
FAKE_SHOWN_FROM = 0.005

README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"


@dataclass
class SizeRun:
    """One sheet size: its first pass (or why it was not measured) and its idle pass."""

    rows: int
    first: Measured | None = None
    first_note: str = ""  # why `first` is missing, e.g. "projected 900 s > budget"
    projected_first: float | None = None  # seconds, when `first` was not measured
    seed: Measured | None = None  # the seed pass that brought it to its registered state
    idle: Measured | None = None  # idle: the version unchanged since the last pass, no read
    reread: Measured | None = None  # idle: the version moved, the values not; reads them all
    idle_note: str = ""
    created: int = 0  # files and folders the first pass created (archive, outbox, ledger)


@dataclass
class NaiveRun:
    """The naive way measured on a sample sheet, beside the worker on an identical sheet."""

    rows: int
    naive: Measured
    worker: Measured


@dataclass
class Report:
    started: datetime
    sizes: list[SizeRun] = field(default_factory=list)
    naive: NaiveRun | None = None
    load_before: str = ""
    load_after: str = ""
    total_seconds: float = 0.0
    disk_us: list[float] = field(default_factory=list)  # file creation, before and after
    tmpfs_us: float | None = None  # the same on tmpfs
    settle_seconds: float = 0.0  # waited before the probe and the first pass (--settle)
    on_tmpfs: SizeRun | None = None  # a first pass again, its workspace on tmpfs


def quota_floor_seconds(writes: int, per_request: float = LATENCY_SECONDS,
                        per_minute: int = WRITES_PER_MINUTE) -> float:
    """The least time `writes` single-cell requests can take under the per-minute quota,
    sent one after another: bursts of `per_minute`, each burst a minute after the last."""
    if writes <= 0:
        return 0.0
    full, rest = divmod(writes - 1, per_minute)
    return full * 60.0 + (rest + 1) * per_request


def cells_of(m: Measured) -> int:
    """Cells a pass wrote to the response sheet: worker columns' headers plus data cells."""
    return int(m.result.get("cells_written", 0)) + len(m.result.get("headers_added", []))


def machine() -> dict[str, str]:
    """Where the figures come from: cores, architecture, CPU model, Python."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": str(len(os.sched_getaffinity(0))),
        "arch": platform.machine(),
        "cpu": cpu or platform.processor() or "?",
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def revision() -> str:
    """The commit measured, and whether the work tree differed from it."""
    import subprocess

    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, text=True,
                              capture_output=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no",
                                "--", "aduan_sync"], cwd=root, text=True,
                               capture_output=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown revision"
    return f"commit {head}" + (" with uncommitted changes in aduan_sync/" if dirty else "")


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def _s(x: float | None) -> str:
    return "—" if x is None else (f"{x:.2f}" if x < 100 else f"{x:,.0f}")


def _mb(m: Measured | None) -> str:
    return "—" if m is None else f"{m.rss_mb:.0f}"


def _req(m: Measured | None, drive: bool = False) -> str:
    if m is None:
        return "—"
    out = f"{m.sheets} ({m.writes} w)"
    if m.throttled:
        out += f", {m.throttled}×429"
    if drive:
        out += f" + {m.drive} Drive"
    return out


def _drive(m: Measured | None) -> str:
    return "—" if m is None else str(m.drive)


def _first_rss(run: SizeRun) -> str:
    if run.first is None and run.seed is not None:
        return f"≥{run.seed.rss_mb:,.0f} (seed)"  # the seed does less than the first pass
    return _mb(run.first)


def _wall(m: Measured | None) -> str:
    """A pass's wall time, with the fake's own work in it when there was any to speak of."""
    if m is None:
        return "—"
    if m.fake_seconds < FAKE_SHOWN_FROM:
        return _s(m.pass_seconds)
    return f"{_s(m.pass_seconds)} (fake {m.fake_seconds:.2f})"


def _first_cell(run: SizeRun) -> str:
    if run.first is not None:
        return _wall(run.first)
    if run.projected_first is not None:
        return f"≈{_s(run.projected_first)} (projected)"
    return "—"


def _cells_per_row(report: Report) -> float:
    measured = [r for r in report.sizes if r.first is not None]
    if measured:
        big = max(measured, key=lambda r: r.rows)
        assert big.first is not None
        return int(big.first.result.get("cells_written", 0)) / big.rows
    if report.naive:
        return int(report.naive.worker.result.get("cells_written", 0)) / report.naive.rows
    return 0.0


def main_table(report: Report) -> list[str]:
    lines = [
        "| rows | first pass: wall s | Sheets requests | Drive requests | peak RSS MB "
        "| idle: wall s | requests | idle, sheet re-read: wall s | requests "
        "| idle peak RSS MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report.sizes:
        idle, again = r.idle, r.reread
        peak = max((m.rss_mb for m in (idle, again) if m), default=None)
        lines.append(
            f"| {r.rows:,} | {_first_cell(r)} | {_req(r.first)} | {_drive(r.first)} "
            f"| {_first_rss(r)} | {_s(idle.pass_seconds) if idle else '—'} | {_req(idle, True)} "
            f"| {_wall(again)} | {_req(again, True)} "
            f"| {'—' if peak is None else f'{peak:.0f}'} |"
        )
    notes = [f"- {r.rows:,} rows: {r.first_note}" for r in report.sizes if r.first_note]
    workers = [(r.rows, m.workers_rss_mb) for r in report.sizes for m in (r.first, r.seed)
               if m is not None and m.workers_rss_mb]
    if workers:
        notes.append("- Rendering workers forked by the first pass (`fanout.py`), largest "
                     "peak RSS each, most of it pages shared with the pass's own process: "
                     + ", ".join(f"{mb:.0f} MB at {rows:,} rows" for rows, mb in workers))
    firsts = [(r.rows, r.first.fake_cpu_seconds) for r in report.sizes if r.first]
    if firsts:
        notes.append("- CPU the fake used while each first pass ran (the benchmark's own "
                     "process, on the same two cores: Drive's downloads, the sheet's reads and "
                     "write; not taken off the figures): "
                     + ", ".join(f"{cpu:.1f} s at {rows:,} rows" for rows, cpu in firsts))
    notes += [f"- {r.rows:,} rows, idle pass: {r.idle_note}" for r in report.sizes
              if r.idle_note]
    return lines + ([""] + notes if notes else [])


def naive_table(report: Report) -> list[str]:
    n = report.naive
    if n is None:
        return ["The naive way was not measured in this run."]
    wn, ww = n.naive, n.worker
    lines = [
        f"Measured on a sample of {n.rows} rows (both on identical fresh sheets):",
        "",
        "| way | wall s | Sheets requests | of which writes | answered 429 | peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|",
        f"| worker (one batch write) | {_s(ww.pass_seconds)} | {ww.sheets} | {ww.writes} "
        f"| {ww.throttled} | {ww.rss_mb:.0f} |",
        f"| naive (`update_cell` per cell, gspread back-off) | {_s(wn.pass_seconds)} "
        f"| {wn.sheets} | {wn.writes} | {wn.throttled} | {wn.rss_mb:.0f} |",
        "",
        f"Ratio on the sample: naive / worker = **{wn.pass_seconds / ww.pass_seconds:.1f}×** "
        f"wall time, {wn.sheets / max(ww.sheets, 1):.0f}× requests.",
        "",
        "**Extrapolated, not measured**: the naive way for each size needs one write request "
        f"per cell; at {WRITES_PER_MINUTE} writes per minute that takes at least the time below "
        f"(bursts of {WRITES_PER_MINUTE} requests of {LATENCY_SECONDS * 1000:.0f} ms, one burst "
        "a minute, and *no* local work counted, which flatters the naive way). Its own "
        f"sample took {wn.pass_seconds:.0f} s where this floor says "
        f"{quota_floor_seconds(wn.writes):.0f} s.",
        "",
        "| rows | cells to write | naive way, at least | worker first pass | ratio, at least |",
        "|---:|---:|---:|---:|---:|",
    ]
    per_row = _cells_per_row(report)
    headers = len(ww.result.get("headers_added", []))
    for r in report.sizes:
        cells = cells_of(r.first) if r.first else round(per_row * r.rows) + headers
        floor = quota_floor_seconds(cells)
        worker = r.first.pass_seconds if r.first else r.projected_first
        ratio = f"{floor / worker:,.0f}×" if worker else "—"
        mark = "" if r.first else " (projected)"
        lines.append(f"| {r.rows:,} | {cells:,} | {_duration(floor)} | {_s(worker)} s{mark} "
                     f"| {ratio} |")
    return lines


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def targets(report: Report) -> list[str]:
    """Each target with the figure it is judged on and PASS / FAIL / not measured."""
    def verdict(ok: bool | None) -> str:
        return "not measured" if ok is None else ("PASS" if ok else "**FAIL**")

    lines = ["| target | figure | verdict |", "|---|---|---|"]
    firsts = [r.first.sheets for r in report.sizes if r.first]
    idles = [r.idle.sheets for r in report.sizes if r.idle]
    rereads = [r.reread.sheets for r in report.sizes if r.reread]
    const = None if len(firsts) + len(idles) < 3 else (
        len(set(firsts)) <= 1 and len(set(idles)) <= 1 and len(set(rereads)) <= 1)
    lines.append(f"| Sheets requests per pass constant in the number of rows | first pass "
                 f"{sorted(set(firsts))}, idle {sorted(set(idles))}, idle with the sheet "
                 f"re-read {sorted(set(rereads))} | {verdict(const)} |")
    by_rows = {r.rows: r for r in report.sizes}
    r10 = by_rows.get(FIRST_PASS_ROWS)
    if r10 and r10.first:
        fig, ok = _judged(r10.first, 1), r10.first.modelled_seconds < FIRST_PASS_SECONDS
    elif r10 and r10.projected_first:
        fig, ok = f"≈{r10.projected_first:,.0f} s projected", None
    else:
        fig, ok = "—", None
    if ok is None and r10 and r10.projected_first and r10.projected_first > FIRST_PASS_SECONDS:
        verdict_first = "**FAIL** (projected)"
    else:
        verdict_first = verdict(ok)
    lines.append(f"| {FIRST_PASS_ROWS:,} new rows registered, archived, rendered to the outbox "
                 f"< {FIRST_PASS_SECONDS:.0f} s | {fig} | {verdict_first} |")
    r50 = by_rows.get(IDLE_PASS_ROWS)
    idle = r50.idle if r50 else None
    reread = r50.reread if r50 else None
    for what, m in (("the sheet's version as the last pass left it: no read", idle),
                    ("the version moved by a change that left every value as it was: the "
                     "whole sheet read", reread)):
        lines.append(f"| idle pass over {IDLE_PASS_ROWS:,} rows < {IDLE_PASS_SECONDS} s ({what}) "
                     f"| {_judged(m, 2) if m else '—'} | "
                     f"{verdict(None if m is None else m.modelled_seconds < IDLE_PASS_SECONDS)} |")
    passes = [(name, m) for name, m in (("first pass", r50.first if r50 else None),
                                         ("seed pass", r50.seed if r50 else None),
                                         ("idle pass", idle),
                                         ("idle pass, sheet re-read", reread)) if m is not None]
    if passes:
        name, top = max(passes, key=lambda p: p[1].rss_mb)
        fig, ok = f"{top.rss_mb:,.0f} MB ({name})", top.rss_mb < RSS_MB
    else:
        fig, ok = "—", None
    lines.append(f"| peak RSS at {RSS_ROWS:,} rows < {RSS_MB:.0f} MB | {fig} | {verdict(ok)} |")
    return lines


def _judged(m: Measured, digits: int) -> str:
    """The figure a time target is judged on: the pass against a server that answers in
    `LATENCY_SECONDS` (`Measured.modelled_seconds`), with the wall time it comes from."""
    if m.fake_seconds < FAKE_SHOWN_FROM:
        return f"{m.pass_seconds:.{digits}f} s"
    return (f"{m.modelled_seconds:.{digits}f} s (wall {m.pass_seconds:.{digits}f} s less "
            f"the fake's own {m.fake_seconds:.2f} s)")


def markdown(report: Report) -> str:
    """The whole report: table, targets, naive comparison, method and machine."""
    m = machine()
    started = report.started.strftime("%Y-%m-%d %H:%M %Z").strip()
    out = [
        f"Measured {started} on {m['nproc']} cores, {m['arch']}, {m['cpu']}, "
        f"Python {m['python']} (Linux {m['kernel']}), {revision()}; load average before / "
        "after the run: "
        f"{report.load_before} → {report.load_after}; whole run {report.total_seconds:.0f} s.",
        "",
        *main_table(report),
        "",
        "Targets:",
        "",
        *targets(report),
        "",
        "Against the naive way:",
        "",
        *naive_table(report),
        "",
        *disk_lines(report),
        "How it is measured: the tests' fake Google server runs in the benchmark's own "
        f"process on 127.0.0.1, adding {LATENCY_SECONDS * 1000:.0f} ms to every request and "
        f"answering 429 beyond {WRITES_PER_MINUTE} write (and 60 read) requests per minute per "
        "user. Each pass runs as a fresh `python` process (as cron or the systemd timer runs "
        "`aduan-sync sync`) with the outbox mail backend; *wall s* is the pass itself "
        "(`run_pass`, imports excluded), *peak RSS* is that process's `VmHWM` "
        "(interpreter and imports included, the fake's copy of the sheet not; `ru_maxrss` "
        "would carry over the benchmark's own peak through fork and exec). Requests are "
        "counted by the fake. *fake*: the seconds the fake itself spent building and "
        "encoding its answers beyond the latency it adds, on the Sheets requests it served "
        "one at a time (the pass makes them with nothing else running, so it only waits): "
        "Google's work in the issue's model of a server that answers in "
        f"{LATENCY_SECONDS * 1000:.0f} ms, which runs here on the same two cores. The time "
        "targets are judged on the wall time less that work; Drive's requests, which overlap "
        "the pass's own work, are never taken off. The first pass registers every row "
        "(ledger, archive folder with uploaded files fetched from the fake Drive, "
        "notifications rendered to the outbox, the daily digest, the grid widened for the "
        "worker's columns, one batch write of the values, then the Drive version and one more read "
        "of the sheet to confirm its own write-back). The idle passes run 5 and 10 minutes later "
        "over the same sheet and have nothing to do: the first asks Drive for the sheet's version "
        "only; before the second the fake moves the version without changing a value (as "
        "formatting a cell does), so it reads the whole sheet, and finds the answer byte for "
        "byte as the first pass's confirming read noted it (a hash of the bytes as received: "
        "no value decoded). "
        "Drive requests (the sheet's version; "
        "for uploads, metadata in batches of up to 100, then each file's bytes) do not count "
        "against the Sheets quota; uploads come with about one row in seven here; *w* counts "
        "write requests, *429* requests refused by the quota.",
    ]
    return "\n".join(out) + "\n"


def disk_lines(report: Report) -> list[str]:
    """The disk's share: what creating a file costs here, how many the first passes created,
    and the first pass again with its workspace on tmpfs (`benchmarks/disk.py`)."""
    if not report.disk_us:
        return []
    probe = " and ".join(f"{us:,.0f} µs" for us in report.disk_us)
    tmpfs = (f" (on tmpfs: {report.tmpfs_us:,.1f} µs)" if report.tmpfs_us is not None else "")
    settled = (f"after {report.settle_seconds:,.0f} s of waiting (`--settle`), so that files "
               "deleted before the run no longer slowed file creation (ext4 without a journal "
               "skips inodes freed in the last minutes, `benchmarks/disk.py`), "
               if report.settle_seconds else "")
    text = (f"The disk: {settled}creating a file (4 KB written) in the benchmark's folder took "
            f"{probe} before and after the run{tmpfs}, median of 3 rounds of 2,000"
            + ("." if report.settle_seconds else
               "; no `--settle`: files deleted on this disk in the minutes before the run "
               "(a test run's temporary folders) can slow file creation several times over "
               "on ext4 without a journal (`benchmarks/disk.py`)."))
    made = [(r.rows, r.created) for r in report.sizes if r.first and r.created]
    if made:
        us = max(report.disk_us)
        text += " First passes created " + ", ".join(
            f"{n:,} files and folders at {rows:,} rows (≈{n * us / 1e6:,.1f} s of file "
            f"creation at {us:,.0f} µs each)" for rows, n in made) + "."
    t = report.on_tmpfs
    disk = next((r.first for r in report.sizes if t and r.rows == t.rows and r.first), None)
    if t is not None and t.first is not None:
        text += (f" The {t.rows:,}-row first pass again, its whole workspace on tmpfs: "
                 f"{t.first.pass_seconds:.1f} s"
                 + (f" (on the disk: {disk.pass_seconds:.1f} s)" if disk else "")
                 + "; not a target figure, the share of the disk.")
    elif t is not None:
        text += f" The first pass on tmpfs was not measured: {t.first_note}."
    return [text, ""]


def write_results(report: Report, path: Path) -> None:
    path.write_text("# Benchmark results\n\nWritten by `make bench` (`python -m benchmarks`)."
                    "\n\n" + markdown(report), encoding="utf-8")


def update_readme(report: Report, readme: Path) -> bool:
    """Replace the table between the README's bench markers; False if there are none."""
    text = readme.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(README_START) + r".*?" + re.escape(README_END), re.S)
    if not pattern.search(text):
        return False
    block = f"{README_START}\n{markdown(report)}{README_END}"
    readme.write_text(pattern.sub(lambda _: block, text, count=1), encoding="utf-8")
    return True
