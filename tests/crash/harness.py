"""The crash trials: kill a pass with SIGKILL at a random moment, let staff keep working, let a
clean pass recover, check every invariant. Seeded: the same seed plans the same trials (the
moments a timed kill lands still depend on the machine's speed).

One trial:
1. citizens submit 1-3 new rows and staff work in the sheet (a Tanggapan typed, a Kategori
   changed, the sheet sorted now and then);
2. a pass starts and is killed (strategy from `traps`: timed, or at an event);
3. the harness reads what the kill left: which step was unfinished (the *phase*) and which
   message, if any, the ledger shows in `sending` (at most one may be);
4. half the time staff work again before the next pass;
5. a clean pass recovers; it must exit 0; then `invariants.check_world` must find nothing.
After the last trial one more pass must be idle: it changes nothing.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aduan_sync import config
from aduan_sync.ledger import Ledger
from aduan_sync.scheduler import run_source
from tests.crash.invariants import Check, check_world
from tests.crash.process import PassOutcome, PassServer
from tests.crash.traps import EVENT_STRATEGIES, Trap
from tests.crash.world import Staff, World

#: Phases, in pass order: the first step whose effects a kill left unfinished.
PHASES = ("read/decide", "archive", "sheet", "mail", "wrap-up", "finished")


@dataclass
class Trial:
    """What one trial did and found."""

    index: int
    strategy: str
    detail: str
    phase: str
    killed: bool
    after_seconds: float  # from "go" to the kill (or to the end, if not killed)
    send_window: str  # Message-ID left in `sending` by the kill, else ""
    recovery_code: int
    recovery_seconds: float  # the clean pass, in this process
    violations: list[str] = field(default_factory=list)


@dataclass
class CrashReport:
    """Every trial of one series, and the final check."""

    backend: str
    seed: int
    trials: list[Trial] = field(default_factory=list)
    final: Check | None = None
    idle_after: bool = False
    wall_seconds: float = 0.0
    expected_pass_seconds: float = 0.0

    @property
    def violations(self) -> list[str]:
        found = [f"trial {t.index}: {v}" for t in self.trials for v in t.violations]
        if self.final is not None:
            found += [f"final: {v}" for v in self.final.violations]
        if not self.idle_after:
            found.append("final: the pass after the last recovery was not idle")
        return found

    def figures(self) -> dict[str, Any]:
        """The numbers the README quotes."""
        final = self.final or Check()
        return {
            "backend": self.backend,
            "seed": self.seed,
            "trials": len(self.trials),
            "killed": sum(t.killed for t in self.trials),
            "phases": {p: n for p in PHASES
                       if (n := sum(t.phase == p for t in self.trials))},
            "strategies": dict(Counter(t.strategy for t in self.trials)),
            "kills_in_send_window": sum(bool(t.send_window) for t in self.trials),
            "complaints": final.complaints,
            "messages": final.messages,
            "duplicates": final.duplicates,
            "lost_complaints": final.lost_complaints,
            "lost_messages": final.lost_messages,
            "temp_files_left": final.temp_files,
            "violations": len(self.violations),
            "expected_pass_seconds": round(self.expected_pass_seconds, 3),
            "wall_seconds": round(self.wall_seconds, 1),
        }


def run_trials(root: Path, backend: str, trials: int, seed: int, *,
               initial_rows: int = 3, recover_inline: bool = False,
               log: Any = None) -> CrashReport:
    """Run `trials` crash trials in a fresh world under `root`; never raises on a violation.

    The recovering pass is a process of its own (as cron runs it), or with `recover_inline`
    `recover()` in this process."""
    t0 = time.monotonic()
    world = World.build(root, backend, uploads=True)  # Google only: files to download
    server = PassServer(world.config, root / "logs")
    report = CrashReport(backend=backend, seed=seed)
    try:
        rng = random.Random(seed)
        staff = Staff(world, rng)
        staff.submit(0, initial_rows)
        _expect_clean(server.run(), "first pass")  # adds the worker columns
        staff.submit(0, 2)
        staff.work()
        calibration = server.run()  # a pass of a trial's size: the kill window
        _expect_clean(calibration, "calibration pass")
        expected = calibration.duration
        for i in range(1, trials + 1):
            trial = _trial(world, staff, server, rng, i, expected, recover_inline)
            report.trials.append(trial)
            if not trial.killed and trial.phase == "finished":
                expected = 0.7 * expected + 0.3 * trial.after_seconds
            if log is not None:
                log(trial)
        report.expected_pass_seconds = expected
        last = server.run()
        _expect_clean(last, "idle pass")
        report.idle_after = _idle(last)
        report.final = check_world(world)
    finally:
        server.close()
        world.close()
        report.wall_seconds = time.monotonic() - t0
    return report


def _trial(world: World, staff: Staff, server: PassServer, rng: random.Random, index: int,
           expected: float, recover_inline: bool) -> Trial:
    new = staff.submit(index, rng.randint(1, 3))
    staff.work()
    strategy = "timed" if rng.random() < 0.5 else rng.choice(EVENT_STRATEGIES[world.backend])
    offset = rng.uniform(0, expected)
    trap = Trap(world, rng, strategy, len(new))
    trap.arm()
    proc = server.start()
    trap.attach(proc)
    started = proc.started
    if strategy == "timed":
        if not proc.exited.wait(timeout=offset):
            proc.kill()
        trap.detail = f"{offset * 1000:.0f} ms"
    else:
        deadline = time.monotonic() + max(10.0, 4 * expected)
        while not (trap.fired.is_set() or proc.exited.is_set()) and time.monotonic() < deadline:
            trap.fired.wait(0.005)
    if proc.running():
        proc.kill()  # the event never came: the pass hung, or is slower than ever seen
    outcome = proc.wait()
    trap.disarm()
    _settle(world)
    phase, sending = _phase(world, outcome, new)
    violations = []
    if len(sending) > 1:
        violations.append(f"{len(sending)} messages left in `sending` by one kill: {sending}")
    world.window_ids.update(sending)
    if rng.random() < 0.5:
        staff.work()  # the office keeps working while nobody has noticed the crash
    recovery = recover(world) if recover_inline else server.run()
    if recovery.returncode != 0:
        violations.append(f"recovery pass exit {recovery.returncode}: {recovery.stderr}")
    violations += check_world(world).violations
    return Trial(index=index, strategy=strategy, detail=trap.detail, phase=phase,
                 killed=outcome.killed, after_seconds=(proc.ended or started) - started,
                 send_window=sending[0] if sending else "", recovery_code=recovery.returncode,
                 recovery_seconds=recovery.duration, violations=violations)


def recover(world: World) -> PassOutcome:
    """The clean pass after a kill: `sync`'s own per-source pass (`scheduler.run_source`), run
    in this process. Nothing is shared with the dead pass but the files and the servers; in
    this process the templates stay compiled, which keeps the CI series short."""
    t0 = time.monotonic()
    outcome = run_source(config.load(world.config))
    summary = outcome.to_json()
    return PassOutcome(returncode=outcome.exit_code, killed=False,
                       duration=time.monotonic() - t0, summary=summary,
                       stderr=f"{outcome.error or ''} {outcome.detail or ''}".strip()
                       or str(summary.get("errors") or ""))


def _phase(world: World, outcome: PassOutcome, new: list[str]) -> tuple[str, list[str]]:
    """Which step the kill left unfinished, read from the artefacts (not from the plan)."""
    with Ledger(world.ledger_path) as ledger:
        complaints = ledger.complaints()
        messages = ledger.messages()
    sending = [m.message_id for m in messages if m.status == "sending"]
    if not outcome.killed:
        return "finished", sending
    names = {c.answers.get("name") for c in complaints}
    on_sheet = {str(r.get("Nomor Register") or "") for r in world.sheet.records()}
    if not set(new) <= names:
        return "read/decide", sending
    if any(c.archived_sha256 is None for c in complaints):
        return "archive", sending
    if any(c.register_no not in on_sheet for c in complaints):
        return "sheet", sending
    if any(m.status in ("queued", "sending") for m in messages):
        return "mail", sending
    return "wrap-up", sending


def _settle(world: World) -> None:
    """Let the fake Google finish a request the dead pass left in flight (it may still apply
    a write it received); bounded, and a no-op for the xlsx source."""
    if world.fake is None:
        return
    deadline = time.monotonic() + 2.0
    last = -1
    while time.monotonic() < deadline:
        now = len(world.fake.log.entries)
        if now == last:
            return
        last = now
        time.sleep(0.02)


def _expect_clean(outcome: PassOutcome, what: str) -> None:
    if outcome.returncode != 0:
        raise RuntimeError(f"{what} exited {outcome.returncode}: {outcome.stderr[-2000:]}")


def _idle(outcome: PassOutcome) -> bool:
    s = outcome.summary or {}
    mail = s.get("mail", {})
    return (s.get("registered") == [] and s.get("cells_written") == 0
            and s.get("archived") == 0 and mail.get("queued") == 0 and mail.get("sent") == 0)
