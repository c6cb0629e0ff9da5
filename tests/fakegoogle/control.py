"""What a test scripts into the fake: faults, hooks, latency, quota; and what it records.

Endpoints have names (`sheets.values.batchUpdate`, `oauth.token`, `drive.files.download`...);
faults and hooks match them with shell-style patterns (`sheets.*`) and fire on the n-th
matching request (1-based, counted per fault or hook from the moment it was added).
"""

from __future__ import annotations

import fnmatch
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: Endpoints that cost Google's *write* quota.
WRITE_ENDPOINTS = frozenset({
    "sheets.batchUpdate",
    "sheets.values.batchUpdate",
    "sheets.values.update",
    "sheets.values.append",
})


@dataclass
class LoggedRequest:
    """One request the fake received, and how it answered."""

    seq: int  # position in the whole log (1-based)
    endpoint: str
    method: str
    path: str
    query: dict[str, list[str]]
    body: bytes
    status: int = 0  # 0: the connection was dropped without an answer
    principal: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    fault: str | None = None  # what scripted fault answered it, if any
    #: When the fake had read the request (`time.perf_counter()`), and how long it then took
    #: to answer, the latency it adds included (benchmarks report its own work apart).
    started: float = 0.0
    server_seconds: float = 0.0

    @property
    def body_size(self) -> int:
        return len(self.body)


@dataclass
class Fault:
    """Answer matching requests number `nth` .. `nth + times - 1` (times=0: all from nth on).

    `status` answers with Google's error JSON (and `Retry-After` when set); `delay` first
    waits that many seconds (the client's timeout fires); `drop` closes the connection without
    an answer (a reset); `truncate` (downloads) sends the headers and only that many bytes.
    """

    endpoint: str = "sheets.*"
    nth: int = 1
    times: int = 1
    status: int | None = 503
    retry_after: str | None = None
    delay: float = 0.0
    drop: bool = False
    truncate: int | None = None
    message: str | None = None
    reason: str | None = None  # errors[].reason, e.g. "rateLimitExceeded"
    seen: int = 0
    fired: int = 0

    def matches(self, endpoint: str) -> bool:
        """Count a request against this fault; True when the fault answers it."""
        if not fnmatch.fnmatchcase(endpoint, self.endpoint):
            return False
        self.seen += 1
        hit = self.seen >= self.nth and (self.times == 0 or self.seen < self.nth + self.times)
        if hit:
            self.fired += 1
        return hit


@dataclass
class Hook:
    """Run `callback(fake)` just before the n-th matching request is handled (once)."""

    endpoint: str
    nth: int
    callback: Callable[[Any], None]
    seen: int = 0
    ran: bool = False

    def due(self, endpoint: str) -> bool:
        if self.ran or not fnmatch.fnmatchcase(endpoint, self.endpoint):
            return False
        self.seen += 1
        if self.seen == self.nth:
            self.ran = True
            return True
        return False


class Quota:
    """Google's per-user requests-per-minute limits over a sliding 60 s window."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.writes_per_minute: int | None = None
        self.reads_per_minute: int | None = None
        self._seen: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, principal: str, endpoint: str) -> bool:
        """Record the request if it fits the quota; False means answer 429."""
        if not endpoint.startswith("sheets."):
            return True
        kind = "write" if endpoint in WRITE_ENDPOINTS else "read"
        limit = self.writes_per_minute if kind == "write" else self.reads_per_minute
        if limit is None:
            return True
        now = self.clock()
        with self._lock:
            window = self._seen.setdefault((principal, kind), deque())
            while window and window[0] <= now - 60:
                window.popleft()
            if len(window) >= limit:
                return False
            window.append(now)
            return True


class RequestLog:
    """Every request, in order; counts per endpoint for the request-budget tests."""

    def __init__(self) -> None:
        self.entries: list[LoggedRequest] = []
        self._lock = threading.Lock()

    def add(self, entry: LoggedRequest) -> None:
        with self._lock:
            entry.seq = len(self.entries) + 1
            self.entries.append(entry)

    def clear(self) -> None:
        with self._lock:
            self.entries.clear()

    def of(self, pattern: str = "*") -> list[LoggedRequest]:
        with self._lock:
            return [e for e in self.entries if fnmatch.fnmatchcase(e.endpoint, pattern)]

    def count(self, pattern: str = "*") -> int:
        """Requests whose endpoint matches `pattern` (e.g. `sheets.*` for the Sheets API)."""
        return len(self.of(pattern))

    def counts(self) -> Counter[str]:
        with self._lock:
            return Counter(e.endpoint for e in self.entries)
