"""Spread a pass's pure CPU work (rendering and composing messages, writing archive folders)
over the machine's cores.

A first import renders thousands of messages and archive pages; one Python process uses one
core. `map_ordered(fn, items)` runs `fn` over `items` in forked worker processes and yields the
results in order, a chunk at a time, so the caller can record each chunk (and forget it)
while the workers render the next. `fn` must not touch the ledger: a forked child shares the
parent's SQLite connection, which only the parent may use (the children leave through
`os._exit`, so they never close or checkpoint it).

Fork is used only when it is safe and pays: more than one core, at least `MIN_ITEMS` items,
and no other thread in the process (forking a process with threads, such as the daemon's
scheduler, can copy a lock another thread holds). Otherwise, and whenever a worker fails on an
item, `fn` runs in the calling process, so the caller sees exactly the results and
exceptions a plain loop would give.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: Fewer items than this run in the calling process (starting workers costs ~20 ms).
MIN_ITEMS = 200
#: Items per task sent to a worker (results come back a task at a time).
CHUNK = 100
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


class _Failed:
    """What a worker sends back for an item that raised."""


# The work of the current `map_ordered` or `Pipeline`, inherited by the forked workers (never
# pickled): the function, and for `map_ordered` the items too.
_JOB: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


def workers_available(force: bool = False) -> int:
    """Worker processes `map_ordered` would start (0: it runs in the calling process)."""
    if hasattr(os, "sched_getaffinity"):
        cores = len(os.sched_getaffinity(0))
    else:
        cores = os.cpu_count() or 1
    if cores < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    if threading.active_count() > 1 and not force:
        return 0
    return cores


def _fork_pool(fn: Callable[[Any], Any], items: Sequence[Any], workers: int, expected: int,
               min_items: int | None) -> Any:
    """A pool of `workers` forked now, each holding (`fn`, `items`); None when `expected`
    items are too few to pay for it. Forked at once, not at the first `next()`: the caller
    may start a thread in between."""
    if workers == 0 or expected < (MIN_ITEMS if min_items is None else min_items):
        return None
    global _JOB
    _JOB = (fn, items)
    try:
        return multiprocessing.get_context("fork").Pool(workers, _worker_start, (os.getpid(),))
    finally:
        _JOB = None


def _attempt(fn: Callable[[Any], Any], item: Any) -> Any:
    """`fn(item)` in a worker; a failure goes back as `_Failed`: a worker's exception is not
    pickled back (ours carry extra fields), the parent runs the item again and raises it."""
    try:
        return fn(item)
    except Exception:  # noqa: BLE001 - re-run in the parent, which raises it properly
        return _Failed()


def map_ordered(fn: Callable[[T], R], items: Sequence[T], *, force: bool = False,
                min_items: int | None = None) -> Iterator[R]:
    """`fn(item)` for each item, in order; in worker processes when that is safe and pays.

    `force` forks even with other threads running (tests only: their server threads are
    never touched by the workers).
    """
    pool = _fork_pool(fn, items, workers_available(force), len(items), min_items)
    if pool is None:
        return (fn(x) for x in items)
    return _results(pool, fn, items)


def _results(pool: Any, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
    bounds = [(i, min(i + CHUNK, len(items))) for i in range(0, len(items), CHUNK)]
    with pool:
        for (start, _), part in zip(bounds, pool.imap(_run_chunk, bounds), strict=True):
            for offset, result in enumerate(part):
                # Failed in a worker: here, raising (or answering) as a plain loop would.
                yield fn(items[start + offset]) if isinstance(result, _Failed) else result


def _worker_start(parent: int) -> None:
    """A worker dies with its parent: one left behind after `kill -9` would keep the pass
    lock (an inherited `flock`) and block every later pass. Ctrl-C is the parent's to handle."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the EPIPE on the next result ends it
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(0)


def _run_chunk(bounds: tuple[int, int]) -> list[Any]:
    assert _JOB is not None
    fn, items = _JOB
    return [_attempt(fn, items[i]) for i in range(*bounds)]


class Pipeline(Generic[T, R]):
    """`fn` over items handed in batches while the caller still produces them (the pass
    registers complaints while workers render the ones before): `submit` a batch, take the
    results of the batches already done with `ready`, and the rest with `drain`, always in
    submission order. Items travel to the workers pickled; `fn` is inherited at fork.

    Forks under `map_ordered`'s conditions, judged on `expected` items; otherwise `fn` runs
    in the calling process when the results are taken. Use as a context manager: leaving it
    stops the workers.
    """

    def __init__(self, fn: Callable[[T], R], *, expected: int, force: bool = False,
                 min_items: int | None = None) -> None:
        self.fn = fn
        self._queue: deque[tuple[list[T], Any]] = deque()
        self._pool: Any = _fork_pool(fn, (), workers_available(force), expected, min_items)

    @property
    def forked(self) -> bool:
        return self._pool is not None

    @property
    def batches(self) -> int:
        """Batches submitted and not yet taken."""
        return len(self._queue)

    def __enter__(self) -> Pipeline[T, R]:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def submit(self, items: Sequence[T]) -> None:
        batch = list(items)
        if batch:
            pending = self._pool.map_async(_run_one, batch) if self._pool is not None else None
            self._queue.append((batch, pending))

    def ready(self) -> Iterator[tuple[T, R]]:
        """(item, result) of the leading batches already rendered; never waits."""
        while self._queue and self._queue[0][1] is not None and self._queue[0][1].ready():
            yield from self._take()

    def take(self) -> Iterator[tuple[T, R]]:
        """(item, result) of the leading batch, waiting for the workers."""
        if not self._queue:
            raise RuntimeError("Pipeline.take: no batch submitted")
        return self._take()

    def drain(self) -> Iterator[tuple[T, R]]:
        """(item, result) of every batch submitted, waiting for the workers."""
        while self._queue:
            yield from self._take()

    def _take(self) -> Iterator[tuple[T, R]]:
        batch, pending = self._queue.popleft()
        results = pending.get() if pending is not None else [_Failed()] * len(batch)
        for item, result in zip(batch, results, strict=True):
            # Failed in a worker (or never forked): here, raising as a plain loop would.
            yield item, (self.fn(item) if isinstance(result, _Failed) else result)


def _run_one(item: Any) -> Any:
    assert _JOB is not None
    return _attempt(_JOB[0], item)
