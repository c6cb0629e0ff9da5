"""The benchmark's disk probe (`benchmarks/disk.py`) and its lines in the report: the README
explains the first pass's time with them, so they must count and say what they measured."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from benchmarks import disk
from benchmarks.harness import Measured
from benchmarks.report import Report, SizeRun, disk_lines


def measured(seconds: float) -> Measured:
    return Measured(pass_seconds=seconds, process_seconds=seconds + 1, rss_mb=80,
                    rss_before_mb=50, workers_rss_mb=0, sheets=6, writes=2, drive=3,
                    throttled=0, result={})


def test_entries_counts_files_and_folders_below_the_root(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "x.txt").write_text("x")
    (tmp_path / "a" / "b" / "y.txt").write_text("y")
    assert disk.entries(tmp_path) == 4


def test_the_probe_measures_and_deletes_nothing_while_the_run_measures(tmp_path: Path) -> None:
    us = disk.creation_us(tmp_path, files=50, rounds=2)
    assert us > 0
    # Its files stay for the run's temporary folder to take at the end: deleting them here
    # would slow the next file creations on ext4 without a journal (see benchmarks/disk.py).
    folders = sorted(tmp_path.iterdir())
    assert len(folders) == 2
    assert all(len(list(f.iterdir())) == 50 for f in folders)


def test_the_tmpfs_probe_leaves_nothing_in_tmpfs(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(disk, "TMPFS", tmp_path)
    monkeypatch.setattr(disk, "PROBE_FILES", 20)
    assert disk.tmpfs_creation_us() is not None
    assert list(tmp_path.iterdir()) == []


def test_the_report_gives_the_probe_the_files_created_and_the_tmpfs_pass() -> None:
    report = Report(started=datetime(2026, 11, 29, tzinfo=UTC))
    assert disk_lines(report) == []  # no probe, no paragraph
    report.disk_us = [300.0, 400.0]
    report.tmpfs_us = 9.5
    report.sizes = [SizeRun(10_000, first=measured(40.0), created=45_000)]
    report.on_tmpfs = SizeRun(10_000, first=measured(30.0))
    (text, _) = disk_lines(report)
    assert "300 µs and 400 µs" in text and "on tmpfs: 9.5 µs" in text
    assert "45,000 files and folders at 10,000 rows (≈18.0 s of file creation at 400 µs" in text
    assert "on tmpfs: 30.0 s (on the disk: 40.0 s)" in text
    assert "no `--settle`" in text
    report.settle_seconds = 360
    (text, _) = disk_lines(report)
    assert text.startswith("The disk: after 360 s of waiting (`--settle`), so that files")
