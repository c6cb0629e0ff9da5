"""The benchmark takes the fake's own work off a pass's wall time (`benchmarks.harness.fake_work`)
and judges the time targets on what is left: the README's verdicts are only worth something if
that takes off exactly the fake's time on requests the pass merely waited for, and never more."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime

from benchmarks.harness import Measured, fake_work
from benchmarks.report import Report, SizeRun, main_table, targets
from tests.fakegoogle.control import LoggedRequest
from tests.test_fakegoogle import Api


def request(endpoint: str, started: float, seconds: float) -> LoggedRequest:
    return LoggedRequest(0, endpoint, "GET", "/", {}, b"", headers={"host": "x"},
                         started=started, server_seconds=seconds)


def measured(wall: float, fake: float) -> Measured:
    return Measured(pass_seconds=wall, process_seconds=wall + 1, rss_mb=80, rss_before_mb=50,
                    workers_rss_mb=0, sheets=2, writes=0, drive=1, throttled=0, result={},
                    fake_seconds=fake)


def test_only_the_time_beyond_the_latency_of_lone_sheets_requests_is_taken_off() -> None:
    log = [
        request("oauth.token", 0.0, 0.1),
        request("sheets.values.batchGet", 1.0, 1.1),  # alone: 1.0 s of the fake's own work
        request("sheets.get", 3.0, 0.05),  # faster than the latency: nothing, never negative
        request("drive.files.get", 4.0, 0.9),  # Drive: never taken off
    ]
    assert abs(fake_work(log, 0.1) - 1.0) < 1e-9


def test_a_request_served_alongside_another_is_left_out() -> None:
    log = [
        request("sheets.values.batchGet", 0.0, 2.0),
        request("drive.files.download", 1.0, 0.5),  # inside the first: both left out
        request("sheets.values.batchUpdate", 5.0, 1.0),
        request("sheets.get", 5.5, 0.2),  # overlaps the one before it
        request("sheets.values.get", 10.0, 0.6),  # alone again
    ]
    assert abs(fake_work(log, 0.1) - 0.5) < 1e-9
    assert fake_work([], 0.1) == 0.0


def test_the_fake_logs_when_it_started_and_how_long_it_took(fake_google) -> None:
    sid = fake_google.add_spreadsheet(["A"], [["x"]] * 200)
    fake_google.latency = 0.05
    before = time.perf_counter()
    Api(fake_google, sid).get("A1:A201")
    entry = fake_google.requests("sheets.values.get")[-1]
    assert before <= entry.started <= time.perf_counter()
    assert entry.server_seconds >= 0.05  # its latency is in it; fake_work takes that back out


def test_the_targets_are_judged_on_the_wall_time_less_the_fake_s_own_work() -> None:
    report = Report(started=datetime(2026, 11, 29, tzinfo=UTC))
    report.sizes = [
        SizeRun(10_000, first=measured(16.0, 0.5)),
        SizeRun(50_000, idle=measured(0.3, 0.0), reread=measured(1.6, 1.0)),
    ]
    lines = "\n".join(targets(report))
    assert "| 15.5 s (wall 16.0 s less the fake's own 0.50 s) | **FAIL** |" in lines
    assert ("| 0.60 s (wall 1.60 s less the fake's own 1.00 s) | PASS |") in lines
    assert "| 0.30 s | PASS |" in lines  # nothing of the fake's to take off: the wall alone
    report.sizes[1].reread = measured(2.6, 1.0)
    assert "| 1.60 s (wall 2.60 s less the fake's own 1.00 s) | **FAIL** |" in "\n".join(
        targets(report))
    table = main_table(report)
    row = next(line for line in table if line.startswith("| 50,000"))
    assert "| 2.60 (fake 1.00) |" in row
    # The fake's CPU beside the first pass is shown, never taken off.
    report.sizes[0].first = dataclasses.replace(measured(16.0, 0.5), fake_cpu_seconds=2.25)
    assert any(line.startswith("- CPU the fake used") and line.endswith("2.2 s at 10,000 rows")
               for line in main_table(report))
    assert "| 15.5 s (wall 16.0 s less the fake's own 0.50 s) |" in "\n".join(targets(report))
