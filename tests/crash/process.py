"""Pass processes for the crash harness, forked by a warm `forkserver` and killed by SIGKILL.

`PassServer` owns the fork server; `PassServer.start()` starts one pass
(`python -m aduan_sync --config X sync --json`, in a process of its own) and returns its
`PassProcess`, which the harness kills at the moment it chooses.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


def child_env() -> dict[str, str]:
    """The environment of a pass: this checkout importable, loopback never proxied."""
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env.pop("ADUAN_SYNC_CONFIG", None)
    return env


@dataclass
class PassOutcome:
    """How one pass ended."""

    returncode: int  # -9 when the harness killed it
    killed: bool
    duration: float  # seconds from the start to the exit (or to the kill)
    summary: dict[str, Any] | None  # the `sync --json` object, if it printed one
    stderr: str


class PassProcess:
    """One running pass; `exited` is set when the fork server reports its end."""

    def __init__(self, pid: int, out_path: Path, err_path: Path, started: float) -> None:
        self.pid = pid
        self.out_path = out_path
        self.err_path = err_path
        self.started = started
        self.ended: float | None = None
        self.returncode: int | None = None
        self.exited = threading.Event()
        self._kill_lock = threading.Lock()
        self.killed = False

    def running(self) -> bool:
        return not self.exited.is_set()

    def kill(self) -> bool:
        """SIGKILL now; True if the pass was still running (it did not get to finish)."""
        with self._kill_lock:
            if self.exited.is_set() or self.killed:
                return False
            # The fork server reaps the child only after it died, so until `exited` is set
            # the pid is still this pass's (a zombie at worst), never another process's.
            os.kill(self.pid, signal.SIGKILL)
            self.killed = True
            self.ended = time.monotonic()
            return True

    def _finish(self, code: int) -> None:
        if self.ended is None:
            self.ended = time.monotonic()
        self.returncode = code
        self.exited.set()

    def wait(self, timeout: float = 120.0) -> PassOutcome:
        """Wait for the end (after a kill or a normal finish) and collect the outcome."""
        if not self.exited.wait(timeout):
            self.kill()
            self.exited.wait(10)
        text = self.out_path.read_text(encoding="utf-8", errors="replace").strip()
        summary = None
        if text:
            try:
                summary = json.loads(text.splitlines()[-1])
            except ValueError:
                summary = None
        code = self.returncode if self.returncode is not None else -signal.SIGKILL
        return PassOutcome(
            returncode=code,
            killed=self.killed and code == -signal.SIGKILL,
            duration=(self.ended or time.monotonic()) - self.started,
            summary=summary,
            stderr=self.err_path.read_text(encoding="utf-8", errors="replace"),
        )


class PassServer:
    """The fork server for one config; one pass at a time."""

    def __init__(self, config: Path | None, logs: Path) -> None:
        self.config = config
        self.logs = logs
        logs.mkdir(parents=True, exist_ok=True)
        self.serial = 0
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.crash.forkserver"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=open(logs / "forkserver.err", "wb"),  # noqa: SIM115
            env=child_env(), cwd=REPO, bufsize=0,
        )
        if self._line() != "ready":
            raise RuntimeError(f"fork server failed: {(logs / 'forkserver.err').read_text()}")

    def _line(self) -> str:
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().decode().strip()

    def start(self, config: Path | None = None) -> PassProcess:
        """Start `sync --json` (on `config`, else the server's) in a new process now; returns
        it running."""
        assert self.proc.stdin is not None
        self.serial += 1
        out = self.logs / f"pass-{self.serial:03d}.out"
        err = self.logs / f"pass-{self.serial:03d}.err"
        config = config or self.config
        assert config is not None, "no config for this pass"
        request = {"argv": ["--config", str(config), "sync", "--json"],
                   "out": str(out), "err": str(err)}
        started = time.monotonic()
        self.proc.stdin.write((json.dumps(request) + "\n").encode())
        kind, _, pid = self._line().partition(" ")
        if kind != "pid":
            raise RuntimeError(f"fork server said {kind!r}")
        proc = PassProcess(int(pid), out, err, started)

        def reap() -> None:
            kind, _, code = self._line().partition(" ")
            proc._finish(int(code) if kind == "exit" else -signal.SIGKILL)

        threading.Thread(target=reap, name="crash-reaper", daemon=True).start()
        return proc

    def run(self, config: Path | None = None) -> PassOutcome:
        """One complete pass, not killed."""
        return self.start(config).wait()

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()  # EOF: the server's loop ends
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
