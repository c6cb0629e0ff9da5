"""What the disk under the benchmark charges for creating a file, and how many a pass created.

A first pass creates, per complaint, an archive folder holding two files, and a file per
message in the outbox. On a disk where the kernel spends a third of a millisecond creating
a file (measured on this project's VM; a few microseconds on tmpfs), that alone is seconds
of CPU at 10,000 rows, whatever the worker's own code costs. The report gives the probe's
figure beside the pass's so the two can be told apart.
"""

from __future__ import annotations

import os
import shutil
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
    closed; in a fresh folder each round, removed afterwards): the median of `rounds`."""
    data = b"x" * PROBE_BYTES
    results = []
    for _ in range(rounds):
        folder = Path(tempfile.mkdtemp(prefix="disk-probe-", dir=parent))
        try:
            t0 = time.perf_counter()
            for i in range(files):
                fd = os.open(folder / f"{i}.eml", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                try:
                    os.write(fd, data)
                finally:
                    os.close(fd)
            results.append((time.perf_counter() - t0) / files * 1e6)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return statistics.median(results)


def tmpfs_creation_us() -> float | None:
    """`creation_us` on tmpfs, or None when there is none to write to."""
    if not (TMPFS.is_dir() and os.access(TMPFS, os.W_OK)):
        return None
    return creation_us(TMPFS)


def entries(root: Path) -> int:
    """Files and folders under `root` (root itself not counted)."""
    return sum(len(dirs) + len(files) for _, dirs, files in os.walk(root))
