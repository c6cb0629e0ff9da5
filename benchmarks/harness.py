"""The benchmark's Google: the tests' fake Google server, started in this process on
127.0.0.1 with Google's latency and quota, and one office workspace per measured sheet.

The fake lives in the parent process and every measured pass runs in a child process, so a
child's peak RSS is the worker's alone (the fake holds its own copy of the sheet) and the
fake's JSON encoding runs on the other core, as Google's would run on Google's machines.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.rows import HEADERS, attachment_bytes, attachment_ids, sheet_rows
from tests.fakegoogle.control import WRITE_ENDPOINTS, LoggedRequest
from tests.fakegoogle.fake import FakeGoogle
from tests.fakegoogle.support import PROXY_VARS, write_google_config, write_key

#: Google's answer time as seen from an office in Central Java (one request, round trip).
LATENCY_SECONDS = 0.1
#: Sheets API: 60 write requests per minute per user (and 60 reads).
WRITES_PER_MINUTE = 60
READS_PER_MINUTE = 60
WORKSHEET = "Form Responses 1"


def start_fake() -> FakeGoogle:
    """A started fake with latency and per-user quota; request bodies are not kept."""
    fake = FakeGoogle(latency=LATENCY_SECONDS, keep_bodies=False)
    fake.quota.writes_per_minute = WRITES_PER_MINUTE
    fake.quota.reads_per_minute = READS_PER_MINUTE
    return fake.start()


def loopback_env() -> dict[str, str]:
    """This environment without proxies, so children reach 127.0.0.1 directly."""
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS}
    env["NO_PROXY"] = "127.0.0.1,localhost"
    return env


@dataclass
class Workspace:
    """An office's config, key, ledger, archive and outbox for one measured sheet."""

    root: Path
    config: Path
    spreadsheet_id: str
    principal: str
    rows: int


def workspace(fake: FakeGoogle, root: Path, n_rows: int, now: datetime,
              principal: str) -> Workspace:
    """A spreadsheet of `n_rows` generated responses on the fake, their uploads on its Drive,
    and an office pointed at them.

    Each workspace has its own service account (`principal`): Google counts quota per user,
    so one measurement never eats into another's minute.
    """
    info = fake.new_service_account_key(principal)
    key = write_key(root / "secrets" / "service-account.json", info)
    rows = sheet_rows(n_rows, now)
    for fid in attachment_ids(rows):
        if fid not in fake.files:
            fake.add_file(attachment_bytes(fid), f"foto-{fid}.jpg", file_id=fid)
    sid = fake.add_spreadsheet(HEADERS, rows, worksheet=WORKSHEET)
    config = write_google_config(root / "config", fake, key, sid, worksheet=WORKSHEET)
    return Workspace(root, config, sid, principal, n_rows)


@dataclass
class Measured:
    """One pass as measured: the child's own figures plus the fake's request log."""

    pass_seconds: float
    process_seconds: float
    rss_mb: float
    rss_before_mb: float
    workers_rss_mb: float  # the largest forked rendering worker's peak (0: none forked)
    sheets: int  # Sheets API requests (what Google's quota counts)
    writes: int  # of which write requests
    drive: int  # Drive API HTTP requests (sheet version, metadata batches, downloads)
    throttled: int  # answered 429 by the quota
    result: dict[str, Any]
    #: The fake's own work while the pass waited for it (`fake_work`): building and encoding
    #: its answers, beyond the latency it adds. Google's, not the worker's.
    fake_seconds: float = 0.0
    #: CPU the benchmark's own process (the fake, all its threads) used while the pass ran:
    #: taken from the same two cores, though never taken off the figures.
    fake_cpu_seconds: float = 0.0

    @property
    def modelled_seconds(self) -> float:
        """The pass against a server that answers in `LATENCY_SECONDS`, as the issue models
        Google: the wall time less the fake's own work."""
        return self.pass_seconds - self.fake_seconds


class PassTimeout(Exception):
    """The child outlived the time it was given (it was killed)."""


class PassFailed(Exception):
    """The child exited with an error; the message ends with its last line of stderr."""


def measure(fake: FakeGoogle, ws: Workspace, mode: str, now: datetime,
            extra: tuple[str, ...] = (), timeout: float | None = None) -> Measured:
    """Run one pass of `mode` ("pass", "naive" or "seed") in a fresh child process."""
    if timeout is not None and timeout == float("inf"):
        timeout = None  # no budget: wait as long as the pass takes
    before = len(fake.log.entries)
    latency = fake.latency
    cmd = [sys.executable, "-m", "benchmarks.child", mode, str(ws.config), now.isoformat(),
           *extra]
    t0, cpu0 = time.perf_counter(), time.process_time()
    try:
        done = subprocess.run(cmd, env=loopback_env(), capture_output=True, text=True,
                              check=False, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise PassTimeout(f"{mode} pass over {ws.rows} rows stopped after {timeout:.0f} s") from e
    elapsed, fake_cpu = time.perf_counter() - t0, time.process_time() - cpu0
    if done.returncode != 0:
        print(done.stderr[-4000:], file=sys.stderr)
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise PassFailed(f"{mode} pass over {ws.rows} rows failed (exit {done.returncode}): "
                         f"{last}")
    figures = _last_json(done.stdout)
    log = fake.log.entries[before:]
    sheets = [e for e in log if e.endpoint.startswith("sheets.")]
    return Measured(
        pass_seconds=figures["pass_seconds"],
        process_seconds=elapsed,
        rss_mb=figures["maxrss_kb"] / 1024,
        rss_before_mb=figures["rss_before_kb"] / 1024,
        workers_rss_mb=figures.get("workers_maxrss_kb", 0) / 1024,
        sheets=len(sheets),
        writes=sum(1 for e in sheets if e.endpoint in WRITE_ENDPOINTS),
        # HTTP requests only: a Drive batch's inner calls are logged too, without headers.
        drive=sum(1 for e in log if e.endpoint.startswith("drive.") and e.headers),
        throttled=sum(1 for e in sheets if e.status == 429),
        result=figures["result"],
        fake_seconds=fake_work([e for e in log if e.headers], latency),
        fake_cpu_seconds=fake_cpu,
    )


def fake_work(requests: list[LoggedRequest], latency: float) -> float:
    """Seconds the fake spent beyond `latency` on the Sheets requests among `requests` (the
    HTTP requests of one pass) that it served one at a time. The pass makes those with nothing
    else running (its read at the start, its write-back and its confirming read at the end),
    so it only waited for them. Drive's requests are left out: the attachment step's metadata
    and downloads run while the archive's workers write, and a request served alongside
    another overlapped work of the pass too."""
    spans = sorted((e.started, e.started + e.server_seconds, e.endpoint.startswith("sheets."))
                   for e in requests)
    total, reached = 0.0, float("-inf")
    for i, (start, end, sheets) in enumerate(spans):
        following = spans[i + 1][0] if i + 1 < len(spans) else float("inf")
        if sheets and reached <= start and end <= following:
            total += max(0.0, end - start - latency)
        reached = max(reached, end)
    return total


def _last_json(stdout: str) -> dict[str, Any]:
    for line in reversed(stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)  # type: ignore[no-any-return]
    raise RuntimeError(f"the child printed no figures:\n{stdout[-2000:]}")
