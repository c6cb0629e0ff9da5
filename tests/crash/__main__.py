"""The full crash run: `python -m tests.crash [--trials 50] [--backend xlsx|google|both]
[--seed 2026] [--dir DIR]`. Prints one line per trial, then the figures; exits 1 if any
invariant was violated. Figures for the README come from here (see "Crash consistency")."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from datetime import datetime
from pathlib import Path

from tests.crash.harness import PHASES, CrashReport, Trial, run_trials


def _print_trial(t: Trial) -> None:
    window = f" send-window={t.send_window}" if t.send_window else ""
    bad = f" VIOLATIONS={len(t.violations)}" if t.violations else ""
    print(f"  trial {t.index:3d}  {t.strategy:<10} {t.detail:<24} -> {t.phase:<11} "
          f"at {t.after_seconds * 1000:6.0f} ms{window}{bad}", flush=True)


def _table(reports: list[CrashReport]) -> str:
    rows = [("", *(r.backend for r in reports))]
    figures = [r.figures() for r in reports]
    for key in ("trials", "killed"):
        rows.append((key, *(str(f[key]) for f in figures)))
    for phase in PHASES:
        rows.append((f"  kill left {phase} unfinished" if phase != "finished"
                     else "  pass finished before the kill",
                     *(str(f["phases"].get(phase, 0)) for f in figures)))
    for key in ("kills_in_send_window", "complaints", "messages", "duplicates",
                "lost_complaints", "lost_messages", "temp_files_left", "violations",
                "expected_pass_seconds", "wall_seconds"):
        rows.append((key, *(str(f[key]) for f in figures)))
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{r[0]:<{width}}  " + "  ".join(f"{c:>8}" for c in r[1:]) for r in rows)


def main() -> int:
    """Run the series and print the figures."""
    ap = argparse.ArgumentParser(prog="python -m tests.crash", description=__doc__)
    ap.add_argument("--trials", type=int, default=50)
    ap.add_argument("--backend", choices=("xlsx", "google", "both"), default="both")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--dir", type=Path, default=None, help="keep the worlds here")
    ap.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = ap.parse_args()
    base = args.dir or Path(tempfile.mkdtemp(prefix="aduan-crash-"))
    backends = ("xlsx", "google") if args.backend == "both" else (args.backend,)
    print(f"crash run {datetime.now():%Y-%m-%d %H:%M}, {platform.machine()} "
          f"{os.cpu_count()} CPU, Python {platform.python_version()}, seed {args.seed}, "
          f"worlds in {base}")
    reports = []
    for backend in backends:
        print(f"{backend}:", flush=True)
        reports.append(run_trials(base / backend, backend, args.trials, args.seed,
                                  log=_print_trial))
    print()
    print(_table(reports))
    violations = [f"{r.backend}: {v}" for r in reports for v in r.violations]
    for v in violations[:50]:
        print("VIOLATION", v)
    if args.json:
        print(json.dumps([r.figures() for r in reports], ensure_ascii=False))
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
