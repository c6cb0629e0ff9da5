"""What the disk under the benchmark charges for creating a file, and how many a pass created.

A first pass creates, per complaint, an archive folder holding two files, and a file per
message in the outbox. The kernel's cost of creating a file is not a constant of the disk:
on ext4 without a journal (this project's VM) an inode freed in the last 60 seconds, or 300
when its inode-table block is dirty, is not reused, and every new file's allocation scans past
all such inodes of its block group again (`recently_deleted` in `fs/ext4/ialloc.c`). After a
large deletion (a test run's temporary folders, an earlier benchmark's workspace) creating a
file costs hundreds of microseconds instead of tens, for about five minutes. So the probe
deletes nothing while the run measures (its folders go with the run's own temporary folder
at the end), and `--settle` lets deletions from before the run age first. The report gives
the probe's figure beside the pass's so the two can be told apart.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

#: Files created per round, and rounds (the median is reported: the cost drifts).
PROBE_FILES = 2000
PROBE_ROUNDS = 3
#: Bytes written to each probe file (an outbox message is a few kilobytes).
PROBE_BYTES = 4096
#: tmpfs on Linux, for comparison; not used where it does not exist.
TMPFS = Path("/dev/shm")


def creation_us(parent: Path, files: int = PROBE_FILES, rounds: int = PROBE_ROUNDS) -> float:
    """Microseconds of wall time to create one file under `parent` (created, written,
    closed; in a fresh folder each round): the median of `rounds`. The files are left under
    `parent` for the caller to remove once nothing more is measured: removing them now would
    slow down every file created on this disk for the next minutes (see the module's doc)."""
    data = b"x" * PROBE_BYTES
    results = []
    for _ in range(rounds):
        folder = Path(tempfile.mkdtemp(prefix="disk-probe-", dir=parent))
        t0 = time.perf_counter()
        for i in range(files):
            fd = os.open(folder / f"{i}.eml", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
        results.append((time.perf_counter() - t0) / files * 1e6)
    return statistics.median(results)


def tmpfs_creation_us() -> float | None:
    """`creation_us` on tmpfs, or None when there is none to write to (tmpfs frees an inode
    at once, so its probe is removed straight away)."""
    if not (TMPFS.is_dir() and os.access(TMPFS, os.W_OK)):
        return None
    with tempfile.TemporaryDirectory(prefix="aduan-bench-probe-", dir=TMPFS) as tmp:
        return creation_us(Path(tmp), PROBE_FILES, PROBE_ROUNDS)


def settle(seconds: float) -> None:
    """Write back dirty blocks, then wait `seconds`: inodes freed before the run (by anything
    on the machine) age past the kernel's window before the first pass creates files."""
    os.sync()
    time.sleep(seconds)


def entries(root: Path) -> int:
    """Files and folders under `root` (root itself not counted)."""
    return sum(len(dirs) + len(files) for _, dirs, files in os.walk(root))
