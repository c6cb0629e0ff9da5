"""Fault injection (issue 9 item 2): Google failing at each request of a pass, SMTP down, slow
or refusing, the archive folder read-only, full or in the way. Each fault must give a clear
Indonesian error and the documented exit code (3 for an unreachable sheet, 1 for item errors),
lose nothing, and leave a next pass that completes: afterwards the crash harness's invariants
(`tests.crash.invariants`) hold, every message delivered exactly once.

Passes run as real processes (`python -m aduan_sync --config X sync --json`, forked by the
crash harness's warm fork server) against the fake Google server and a real SMTP server in this
process. SMTP retries wait out a 5-minute backoff, so those passes run in this process with the
clock moved by `time-machine` instead.

Read-only and full archive folders: these tests may run as root, for whom `chmod` changes
nothing, so the faulted pass runs in a private mount namespace (`unshare --user --map-root-user
--mount`, no privileges needed) where a tmpfs is mounted over the archive folder: read-only
(`-o ro`: EROFS), or small and filled up (ENOSPC). The next pass, outside that namespace,
finds the real folder again, as after the operator freed space or fixed the mount.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from click.testing import CliRunner, Result

from aduan_sync.cli import cli
from aduan_sync.ledger import Ledger
from tests.crash.invariants import check_world
from tests.crash.process import REPO, PassOutcome, PassServer, child_env
from tests.crash.world import ANSWERS, JAKARTA, Staff, World
from tests.fakegoogle.fake import FakeGoogle
from tests.smtpserver import dead_port, silent_server

RETRY_BOUND = 0.5  # [source] retry_max_seconds: a storm gives up at once (no real sleeping)
TIMEOUT = 1  # [source] timeout_seconds (the smallest the config accepts)
#: Before them, the pass asks Drive the spreadsheet's version (an idle pass stops there); a
#: fault there costs the pass only its full read.
VERSION_ASK = "drive.files.get"
#: The requests a pass with work to do cannot do without, as (endpoint pattern, n-th match).
PASS_REQUESTS = [
    ("oauth.token", 1),  # the service account's access token
    ("sheets.get", 1),  # metadata: title, time zone, grid size
    ("sheets.values.*[gG]et", 1),  # the whole worksheet
    ("sheets*batchUpdate", 1),  # the one write
]
#: Just before writing, the version again: unchanged since the read, so no re-read. A fault
#: there costs the write-back a re-read of the sheet.
WRITE_VERSION_ASK = (VERSION_ASK, 2)
#: After its write, the pass confirms it (passrun `_confirm`): the version again, and one more
#: read. A fault there leaves the work done; it only costs the next pass a full read.
CONFIRM_REQUESTS = [
    (VERSION_ASK, 3),
    ("sheets.get", 2),
    ("sheets.values.*[gG]et", 2),
]
FAULTS: dict[str, dict[str, Any]] = {
    "429": {"status": 429},
    "500": {"status": 500},
    "503": {"status": 503},
    # The answer comes 0.3 s after the client gave up; a write is still applied then.
    "timeout": {"status": None, "delay": TIMEOUT + 0.3},
    "drop": {"status": None, "drop": True},
}
SHEET_UNREACHABLE = "Google Sheets tidak dapat dihubungi atau sedang sibuk"


@pytest.fixture(scope="module")
def passes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PassServer]:
    server = PassServer(None, tmp_path_factory.mktemp("passes"))
    yield server
    server.close()


def prepared(world: World, run: Any) -> Staff:
    """Two complaints registered by a first pass; then two new rows and a staff answer, so the
    next pass reads, records, archives, writes back and mails."""
    staff = Staff(world, random.Random(11))
    first = staff.submit(0, 2)
    outcome = run()
    assert outcome == 0, outcome
    staff.submit(1, 2)
    staff.type_in(first[0], "Tanggapan", ANSWERS[0])
    return staff


@pytest.fixture
def gworld(tmp_path: Path, passes: PassServer) -> Iterator[World]:
    w = World.build(tmp_path / "google", "google", retry_max_seconds=RETRY_BOUND,
                    timeout_seconds=TIMEOUT)
    try:
        prepared(w, lambda: passes.run(w.config).returncode)
        assert w.fake is not None
        w.fake.log.clear()
        yield w
    finally:
        w.close()


def clear_faults(fake: FakeGoogle, timeout: float = 5.0) -> None:
    """Remove the scripted faults once every faulted request has been answered (a delayed one
    may still be applying a write): the next pass then meets a quiet Google."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with fake.lock:
            fired = sum(f.fired for f in fake.faults)
        if sum(e.fault is not None for e in fake.log.of()) >= fired:
            break
        time.sleep(0.02)
    with fake.lock:
        fake.faults.clear()


def new_names(world: World, staff_round: int) -> list[str]:
    return [n for n in world.expected if n.startswith(f"Warga Uji {staff_round:02d}-")]


def registered(world: World) -> set[str]:
    with Ledger(world.ledger_path) as ledger:
        return {c.answers["name"] for c in ledger.complaints()}


# -- Google ----------------------------------------------------------------------------------


def test_a_pass_with_work_makes_the_requests_faulted_below_in_this_order(
    gworld, passes
):
    assert passes.run(gworld.config).returncode == 0
    endpoints = [e.endpoint for e in gworld.fake.log.of()]
    assert endpoints[1] == VERSION_ASK, endpoints  # right after the token, before any read
    del endpoints[1]
    in_order = [*PASS_REQUESTS[:3], WRITE_VERSION_ASK, PASS_REQUESTS[3], *CONFIRM_REQUESTS]
    assert len(endpoints) == len(in_order), endpoints
    seen: dict[str, int] = {VERSION_ASK: 1}
    for endpoint, (pattern, nth) in zip(endpoints, in_order, strict=True):
        assert fnmatch.fnmatchcase(endpoint, pattern), (endpoint, pattern)
        seen[pattern] = seen.get(pattern, 0) + 1
        assert seen[pattern] == nth


def faulted_pass(world: World, passes: PassServer, where: tuple[str, int],
                 kind: str) -> tuple[PassOutcome, float]:
    """A pass whose request `where` (endpoint pattern, n-th) and every later match of it
    meet fault `kind`; its outcome and how long it took."""
    fault = world.fake.fail(where[0], nth=where[1], times=0, **FAULTS[kind])
    t0 = time.monotonic()
    outcome = passes.run(world.config)
    elapsed = time.monotonic() - t0
    assert fault.fired >= 1
    return outcome, elapsed


def next_pass_completes(world: World, passes: PassServer) -> None:
    clear_faults(world.fake)
    nxt = passes.run(world.config)
    assert nxt.returncode == 0, nxt.stderr
    assert check_world(world).violations == []


@pytest.mark.parametrize("kind", sorted(FAULTS))
@pytest.mark.parametrize("request_no", range(1, len(PASS_REQUESTS) + 1))
def test_a_fault_that_outlasts_the_retry_bound_exits_3_and_the_next_pass_completes(
    gworld, passes, kind, request_no
):
    failed, elapsed = faulted_pass(gworld, passes, PASS_REQUESTS[request_no - 1], kind)
    assert failed.returncode == 3, failed.stderr
    assert f"Error: {SHEET_UNREACHABLE}" in failed.stderr
    assert failed.summary is not None and failed.summary["exit_code"] == 3
    assert "Pass berikutnya akan melanjutkan" in failed.summary["error"]
    # Bounded: the retry bound, one request timeout, and google-auth's own retries of the
    # token request (3 attempts, ~3 s) which run inside one of ours.
    assert elapsed < RETRY_BOUND + TIMEOUT + 8, elapsed
    # Nothing lost meanwhile: before the ledger nothing was recorded; at the write the new
    # complaints are numbered, archived and their mail queued, all waiting for the next pass.
    recorded = set(new_names(gworld, 1)) <= registered(gworld)
    assert recorded == (request_no > 3)
    next_pass_completes(gworld, passes)


@pytest.mark.parametrize("kind", sorted(FAULTS))
@pytest.mark.parametrize("request_no", range(1, len(CONFIRM_REQUESTS) + 1))
def test_a_fault_at_the_confirming_read_leaves_the_work_done_and_costs_a_full_read(
    gworld, passes, kind, request_no
):
    outcome, _ = faulted_pass(gworld, passes, CONFIRM_REQUESTS[request_no - 1], kind)
    assert outcome.returncode == 0, outcome.stderr
    assert set(new_names(gworld, 1)) <= registered(gworld)
    gworld.fake.log.clear()
    next_pass_completes(gworld, passes)
    assert gworld.fake.count("sheets.values.*") >= 1  # not idle by the version: read in full


@pytest.mark.parametrize("kind", sorted(FAULTS))
def test_a_fault_at_the_version_ask_before_writing_costs_a_re_read_and_the_pass_completes(
    gworld, passes, kind
):
    outcome, _ = faulted_pass(gworld, passes, WRITE_VERSION_ASK, kind)
    assert outcome.returncode == 0, outcome.stderr
    reads = [e for e in gworld.fake.log.of()
             if fnmatch.fnmatchcase(e.endpoint, "sheets.values.*[gG]et")]
    # The pass's read and the write-back's re-read; no confirming read (no version known).
    assert len(reads) == 2
    assert set(new_names(gworld, 1)) <= registered(gworld)
    next_pass_completes(gworld, passes)


@pytest.mark.parametrize("kind", sorted(FAULTS))
def test_a_fault_at_the_version_ask_that_outlasts_its_retry_costs_only_the_full_read(
    gworld, passes, kind
):
    fault = gworld.fake.fail(VERSION_ASK, times=0, **FAULTS[kind])
    t0 = time.monotonic()
    outcome = passes.run(gworld.config)
    assert outcome.returncode == 0, outcome.stderr
    assert time.monotonic() - t0 < RETRY_BOUND + TIMEOUT + 8
    assert fault.fired >= 1 and gworld.fake.count("sheets.values.*") >= 1
    assert set(new_names(gworld, 1)) <= registered(gworld)
    clear_faults(gworld.fake)
    assert check_world(gworld).violations == []


@pytest.mark.parametrize("kind", ["503", "drop"])
@pytest.mark.parametrize("request_no", range(1, len(PASS_REQUESTS) + 1))
def test_a_single_fault_at_any_request_is_retried_and_the_pass_succeeds(
    tmp_path, passes, kind, request_no
):
    w = World.build(tmp_path, "google", retry_max_seconds=3, timeout_seconds=TIMEOUT)
    try:
        prepared(w, lambda: passes.run(w.config).returncode)
        pattern, nth = PASS_REQUESTS[request_no - 1]
        fault = w.fake.fail(pattern, nth=nth, times=1, **FAULTS[kind])
        outcome = passes.run(w.config)
        assert outcome.returncode == 0, outcome.stderr
        assert fault.fired == 1
        assert check_world(w).violations == []
    finally:
        w.close()


# -- SMTP --------------------------------------------------------------------------------------


def sync_here(world: World, at: datetime | None = None) -> Result:
    """`sync --json` in this process (so the clock can be moved); logging handlers it installs
    are removed again so later log records do not go to the runner's closed streams."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        if at is None:
            return CliRunner().invoke(cli, ["--config", str(world.config), "sync", "--json"],
                                      obj={})
        with time_machine.travel(at, tick=True):
            return CliRunner().invoke(cli, ["--config", str(world.config), "sync", "--json"],
                                      obj={})
    finally:
        for h in root.handlers[:]:
            if h not in handlers:
                root.removeHandler(h)
        root.setLevel(level)


def set_smtp_port(world: World, port: int) -> None:
    text = world.config.read_text(encoding="utf-8")
    lines = [f"smtp_port = {port}" if ln.startswith("smtp_port") else ln
             for ln in text.splitlines()]
    world.config.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def xworld(tmp_path: Path) -> Iterator[World]:
    w = World.build(tmp_path / "xlsx", "xlsx", smtp_timeout=1)
    try:
        prepared(w, lambda: sync_here(w).exit_code)
        yield w
    finally:
        w.close()


def later() -> datetime:
    """Past the first retry backoff (5 minutes) of a refused message."""
    return datetime.now(JAKARTA) + timedelta(minutes=6)


def queued_messages(world: World) -> dict[str, str]:
    with Ledger(world.ledger_path) as ledger:
        return {m.message_id: m.status for m in ledger.messages()}


def assert_mail_waits_and_rest_is_done(world: World, result: Result, needle: str) -> None:
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["exit_code"] == 1 and any(needle in e for e in data["errors"]), data["errors"]
    assert set(new_names(world, 1)) <= registered(world)
    assert data["archived"] == 2 and data["cells_written"] > 0
    statuses = queued_messages(world)
    assert "failed" not in statuses.values() and "sending" not in statuses.values(), statuses


def test_smtp_server_down_exits_1_keeps_mail_queued_and_the_next_pass_delivers(xworld):
    port = xworld.smtp.port
    set_smtp_port(xworld, dead_port())
    result = sync_here(xworld)
    assert_mail_waits_and_rest_is_done(xworld, result, "Server SMTP tidak dapat dihubungi")
    set_smtp_port(xworld, port)
    assert sync_here(xworld, later()).exit_code == 0
    assert check_world(xworld).violations == []


def test_smtp_server_that_never_answers_times_out_exits_1_and_the_next_pass_delivers(xworld):
    port = xworld.smtp.port
    with silent_server() as silent:
        set_smtp_port(xworld, silent.port)
        t0 = time.monotonic()
        result = sync_here(xworld)
        assert time.monotonic() - t0 < 10  # smtp_timeout = 1: one timeout, then the pass stops
    assert_mail_waits_and_rest_is_done(xworld, result, "Server SMTP tidak dapat dihubungi")
    set_smtp_port(xworld, port)
    assert sync_here(xworld, later()).exit_code == 0
    assert check_world(xworld).violations == []


def test_slow_smtp_server_within_the_timeout_gets_every_message_once(xworld):
    xworld.recorder.delay = 0.4  # each DATA answered after 0.4 s; smtp_timeout is 1 s
    result = sync_here(xworld)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["mail"]["sent"] >= 2
    assert check_world(xworld).violations == []


@pytest.mark.parametrize("reply", [
    "421 4.3.2 Layanan tidak tersedia, sambungan ditutup",
    "451 4.3.0 Kesalahan sementara, coba lagi nanti",
    "452 4.3.1 Penyimpanan server tidak cukup",
])
def test_smtp_4xx_reply_exits_1_and_the_message_goes_on_a_later_pass(xworld, reply):
    xworld.recorder.data_replies = [reply]  # the pass's first message, once
    result = sync_here(xworld)
    assert_mail_waits_and_rest_is_done(xworld, result, reply.split(" ", 1)[0])
    assert sync_here(xworld, later()).exit_code == 0
    assert check_world(xworld).violations == []


@pytest.mark.parametrize("reply", [
    "550 5.1.1 Kotak surat tidak ditemukan",
    "554 5.7.1 Pesan ditolak",
])
def test_smtp_5xx_reply_exits_1_and_the_failure_shows_on_the_row(xworld, reply):
    xworld.recorder.data_replies = [reply]
    result = sync_here(xworld)
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["mail"]["failed"] == 1
    assert any(reply.split(" ", 1)[0] in e for e in data["errors"]), data["errors"]
    (failed,) = [mid for mid, st in queued_messages(xworld).items() if st == "failed"]
    assert sync_here(xworld, later()).exit_code == 0
    # The one refused message is the only thing not delivered, and it is visible on its row.
    violations = check_world(xworld).violations
    assert violations and all(failed in v for v in violations), violations
    with Ledger(xworld.ledger_path) as ledger:
        register_no = next(m.register_no for m in ledger.messages() if m.message_id == failed)
    (row,) = [r for r in xworld.sheet.records() if r.get("Nomor Register") == register_no]
    assert "gagal dikirim" in row["Catatan"]


# -- the archive folder ------------------------------------------------------------------------


def run_with_archive_mount(world: World, mount_options: str, fill: bool) -> PassOutcome:
    """One pass in a private mount namespace where a tmpfs covers the archive folder."""
    if shutil.which("unshare") is None:
        pytest.fail("`unshare` (util-linux) is needed to give the pass a read-only/full archive")
    script = (
        'mount -t tmpfs -o "$1" aduan-arsip "$2" || exit 97\n'
        'if [ "$3" = fill ]; then cat /dev/zero > "$2/pengisi" 2>/dev/null; fi\n'
        'shift 3\nexec "$@"\n'
    )
    cmd = ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script, "sh",
           mount_options, str(world.archive_dir), "fill" if fill else "-",
           sys.executable, "-m", "aduan_sync", "--config", str(world.config), "sync", "--json"]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=child_env(), cwd=REPO,
                          timeout=120)
    assert proc.returncode != 97, f"tmpfs could not be mounted: {proc.stderr}"
    summary = json.loads(proc.stdout.strip().splitlines()[-1]) if proc.stdout.strip() else None
    return PassOutcome(proc.returncode, False, time.monotonic() - t0, summary, proc.stderr)


def assert_archive_waits_and_rest_is_done(world: World, outcome: PassOutcome) -> None:
    assert outcome.returncode == 1, outcome.stderr
    assert outcome.summary is not None
    (error,) = outcome.summary["errors"]
    assert error.startswith("Arsip aduan") and "tidak dapat ditulis" in error, error
    assert "akan diarsipkan pada proses berikutnya" in error
    assert outcome.summary["archived"] == 0 and outcome.summary["registered"]
    assert outcome.summary["mail"]["sent"] >= 2  # the rest of the pass went on
    with Ledger(world.ledger_path) as ledger:
        waiting = [c for c in ledger.complaints() if c.archived_sha256 is None]
    assert sorted(c.answers["name"] for c in waiting) == sorted(new_names(world, 1))


@pytest.fixture
def aworld(tmp_path: Path, passes: PassServer) -> Iterator[World]:
    w = World.build(tmp_path / "xlsx", "xlsx")
    try:
        prepared(w, lambda: passes.run(w.config).returncode)
        yield w
    finally:
        w.close()


@pytest.mark.parametrize("options,fill", [("ro", False), ("size=64k", True)],
                         ids=["read-only", "disk-full"])
def test_archive_read_only_or_full_exits_1_and_the_next_pass_archives(
    aworld, passes, options, fill
):
    outcome = run_with_archive_mount(aworld, options, fill)
    assert_archive_waits_and_rest_is_done(aworld, outcome)
    detail = "Read-only file system" if options == "ro" else "No space left on device"
    assert detail in outcome.stderr or detail in json.dumps(outcome.summary), outcome.stderr
    nxt = passes.run(aworld.config)
    assert nxt.returncode == 0, nxt.stderr
    assert nxt.summary is not None and nxt.summary["archived"] == 2
    assert check_world(aworld).violations == []


def test_a_file_where_the_archive_year_folder_belongs_exits_1_and_the_next_pass_archives(
    aworld, passes
):
    year = aworld.archive_dir / str(datetime.now(JAKARTA).year)
    aside = year.with_name("disisihkan")
    year.rename(aside)
    year.write_text("bukan folder\n", encoding="utf-8")  # e.g. a backup tool's stray file
    outcome = passes.run(aworld.config)
    assert_archive_waits_and_rest_is_done(aworld, outcome)
    assert "NotADirectoryError" in json.dumps(outcome.summary) + outcome.stderr
    year.unlink()  # the operator puts the folder back
    aside.rename(year)
    nxt = passes.run(aworld.config)
    assert nxt.returncode == 0, nxt.stderr
    assert nxt.summary is not None and nxt.summary["archived"] == 2
    assert check_world(aworld).violations == []
