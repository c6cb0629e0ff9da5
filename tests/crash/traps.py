"""Kill strategies: when, during a pass, the harness sends SIGKILL.

`timed`: at a uniform random offset within the pass's expected duration (measured on the
passes that ran to the end). The others wait for something the pass does and kill right then
(plus a small random delay), so the narrow windows are hit on purpose, not by luck:

- `ledger`: the ledger's write-ahead log grows (the pass's transaction is being committed);
- `archive`: the k-th new complaint folder appears in the archive;
- `sheet`: xlsx: the temporary workbook appears (mid-save) or the workbook is replaced;
  Google: the fake receives the k-th read or the write (the pass dies with the request in
  flight; the fake, in this process, still applies a write it received);
- `smtp`: the SMTP server has recorded the k-th message and not yet answered "250";
- `smtp-after`: a few milliseconds after the k-th message was accepted.

Watchers poll the file system from a thread of this process; nothing runs inside the pass.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tests.crash.process import PassProcess
from tests.crash.world import World
from tests.fakegoogle.control import Hook

EVENT_STRATEGIES = {
    "xlsx": ("ledger", "archive", "sheet", "smtp", "smtp-after"),
    "google": ("ledger", "archive", "sheet", "sheet-read", "smtp", "smtp-after"),
}
POLL_SECONDS = 0.001


class Trap:
    """One armed strategy for one pass; `disarm()` after the pass ended."""

    def __init__(self, world: World, rng: random.Random, strategy: str, new_rows: int) -> None:
        self.world = world
        self.proc: PassProcess | None = None
        self._attached = threading.Event()
        self.rng = rng
        self.strategy = strategy
        self.new_rows = max(new_rows, 1)
        self.fired = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._hook: Hook | None = None
        self.detail = ""

    def attach(self, proc: PassProcess) -> None:
        """The pass this trap kills (started right after `arm()`)."""
        self.proc = proc
        self._attached.set()

    def kill(self, delay: float = 0.0) -> None:
        if delay:
            time.sleep(delay)  # milliseconds: lets the pass run a little past the event
        self._attached.wait(5)
        if self.proc is not None and self.proc.kill():
            self.fired.set()

    def arm(self) -> None:
        """Set the trap up, just before the pass starts."""
        s, rng = self.strategy, self.rng
        if s == "ledger":
            threshold = rng.randint(1, 48 * 1024)
            self.detail = f"wal>{threshold}B"
            wal = self.world.ledger_path.with_name(self.world.ledger_path.name + "-wal")
            self._watch(lambda: wal.exists() and wal.stat().st_size >= threshold)
        elif s == "archive":
            k = rng.randint(1, self.new_rows)
            self.detail = f"folder#{k}"
            base = _folders(self.world.archive_dir)
            self._watch(lambda: _folders(self.world.archive_dir) - base >= k)
        elif s == "sheet" and self.world.backend == "xlsx":
            self._arm_xlsx_save()
        elif s in ("sheet", "sheet-read"):
            self._arm_google(write=s == "sheet")
        elif s in ("smtp", "smtp-after"):
            k = rng.randint(1, 2)  # a new complaint queues one or two messages
            self.detail = f"message#{k}"
            after = s == "smtp-after"
            start = len(self.world.recorder.received)
            delay = rng.uniform(0, 0.005)

            def trap(n: int) -> None:
                if n - start != k:
                    return
                if after:  # let the "250" go out, then kill
                    threading.Thread(target=self.kill, args=(delay,), daemon=True).start()
                else:
                    self.kill()

            self.world.recorder.trap = trap
        elif s != "timed":
            raise ValueError(s)

    def _arm_xlsx_save(self) -> None:
        book = self.world.root / "form.xlsx"
        before = book.stat().st_mtime_ns
        if self.rng.random() < 0.5:
            self.detail = "temp workbook"
            stale = set(book.parent.glob(".form.*.tmp"))  # left by an earlier kill
            self._watch(lambda: bool(set(book.parent.glob(".form.*.tmp")) - stale))
        else:
            self.detail = "workbook replaced"
            self._watch(lambda: book.stat().st_mtime_ns != before,
                        delay=self.rng.uniform(0, 0.01))

    def _arm_google(self, *, write: bool) -> None:
        fake = self.world.fake
        assert fake is not None
        # Reads: the pass's own, the version ask just before writing, the confirming read.
        endpoint, nth = ("sheets*batchUpdate", 1) if write else self.rng.choice(
            [("sheets.values.*[gG]et", 1), ("drive.files.get", 2), ("sheets.values.*[gG]et", 2)])
        self.detail = f"{endpoint}#{nth}"
        self._hook = fake.before(endpoint, nth, lambda _fake: self.kill())

    def _watch(self, condition: Callable[[], bool], delay: float | None = None) -> None:
        wait = self.rng.uniform(0, 0.003) if delay is None else delay

        def run() -> None:
            while not self._stop.is_set():
                try:
                    hit = condition()
                except OSError:  # a file renamed under our feet: look again
                    hit = False
                if hit:
                    self.kill(wait)
                    return
                time.sleep(POLL_SECONDS)

        self._thread = threading.Thread(target=run, name="crash-trap", daemon=True)
        self._thread.start()

    def disarm(self) -> None:
        self._stop.set()
        self.world.recorder.trap = None
        hook = self._hook
        if hook is not None and self.world.fake is not None:
            with self.world.fake.lock:
                hook.ran = True  # never fires on a later pass
        if self._thread is not None:
            self._thread.join(5)


def _folders(archive_dir: Path) -> int:
    if not archive_dir.is_dir():
        return 0
    return sum(sum(1 for _ in y.iterdir()) for y in archive_dir.iterdir() if y.is_dir())
