"""One lock per data folder so that passes never overlap (cron, timer, daemon, a person).

The lock is an OS file lock (`flock`): the kernel releases it when the holder dies, even by
`kill -9`, so a crashed pass never blocks the next one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from aduan_sync.errors import PassLockedError
from aduan_sync.fsutil import ensure_private_dir


@contextmanager
def pass_lock(path: Path, timeout: float = 0) -> Iterator[None]:
    """Hold the pass lock at `path`, or raise `PassLockedError` after `timeout` seconds."""
    ensure_private_dir(path.parent)
    lock = FileLock(str(path), timeout=timeout, mode=0o600)
    try:
        lock.acquire()
    except Timeout as e:
        raise PassLockedError(
            "Proses lain (sync atau daemon) sedang berjalan untuk data ini; proses ini "
            "dihentikan tanpa mengubah apa pun. Coba lagi setelah proses itu selesai.",
            detail=f"kunci: {path}",
        ) from e
    try:
        yield
    finally:
        lock.release()
