"""The network half of the attachment step: Drive asked by a pool of threads, in two rounds.

`describe` reads the metadata of every due file: up to `drive.BATCH_SIZE` in one Drive batch
request, and any file a batch did not answer with 200 on its own (`files.get`), so that its
failure is classified like any other. `start` then fetches (on the pool, returning at once;
`outcomes` waits) the bytes of the files the caller decided to keep into
`lampiran/.<file id>.part` (resumed from what is already there) and checks them against the
size and Drive's SHA-256 (or MD5); a file that a killed pass had already renamed into place
is checked where it lies instead of downloaded again.

Nothing here touches the ledger (a `sqlite3` connection stays on the thread that opened it),
decides a name, or renames a file to its final name: the attachment step does all of that on
its own thread, in the ledger's order, between and after the two rounds (attachments.py). The
outcome therefore never depends on which thread finished first, and a pass killed meanwhile
leaves only `.part` files, which the next pass completes or replaces.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from aduan_sync.drive import (
    BATCH_SIZE,
    DriveClient,
    DriveFile,
    DriveFileError,
    DriveUnavailableError,
    ThreadClients,
)
from aduan_sync.fsutil import ensure_private_dir
from aduan_sync.records import Attachment

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Job:
    """A file to download: its row (with the name chosen for it), Drive's description of it,
    and the folder it belongs in (the complaint's `lampiran`)."""

    attachment: Attachment
    meta: DriveFile
    folder: Path

    @property
    def part(self) -> Path:
        return self.folder / f".{self.attachment.file_id}.part"

    @property
    def final(self) -> Path:
        return self.folder / self.attachment.local_name


@dataclass
class Outcome:
    """What became of one job: `path` (with `sha256`) holds its verified bytes, the `.part`
    file or already the final name; or `error` says why not."""

    job: Job
    path: Path | None = None
    sha256: str = ""
    error: DriveFileError | None = None


class Fetcher:
    """A pool of `threads` threads, each with its own Drive client. Once Drive is unavailable
    (`unavailable`), nothing more is asked; `requests` is every request sent, exact once the
    pool is closed. Use as a context manager."""

    def __init__(self, drive: DriveClient, threads: int) -> None:
        self.clients = ThreadClients(drive)
        self.threads = max(1, threads)
        self.unavailable: DriveUnavailableError | None = None
        self._stop = threading.Event()
        self._pool: ThreadPoolExecutor | None = None

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Stop the pool (work still queued does nothing; on an exception, KeyboardInterrupt
        …, too), wait for its threads, close the sessions."""
        self._stop.set()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self.clients.close()

    @property
    def requests(self) -> int:
        return self.clients.requests

    def describe(self, file_ids: Sequence[str]) -> dict[str, DriveFile | DriveFileError]:
        """Drive's description of each file, or why it has none; files left out were not
        asked, because Drive became unavailable."""
        batches = [list(file_ids[i:i + BATCH_SIZE]) for i in range(0, len(file_ids), BATCH_SIZE)]
        found: dict[str, DriveFile | DriveFileError] = {}
        for answered in self._each(self._batch, [b for b in batches if len(b) > 1]):
            found.update(answered or {})
        alone = [fid for fid in file_ids if fid not in found]
        for fid, got in zip(alone, self._each(self._metadata, alone), strict=True):
            if got is not None:
                found[fid] = got
        return found

    def start(self, jobs: Sequence[Job]) -> list[Future[Outcome | None]]:
        """Start downloading `jobs` on the pool and return at once; `outcomes` waits for
        them. The caller's thread is free meanwhile (the pass writes the archive)."""
        return self._submit(self._fetch, jobs)

    @staticmethod
    def outcomes(started: list[Future[Outcome | None]]) -> list[Outcome | None]:
        """The outcomes of `start`, in job order, once every one is done (None: not tried,
        Drive became unavailable)."""
        return [f.result() for f in started]

    def _batch(self, file_ids: list[str]) -> dict[str, DriveFile | DriveFileError]:
        return dict(self.clients.client().metadata_batch(file_ids))

    def _metadata(self, file_id: str) -> DriveFile | DriveFileError:
        try:
            return self.clients.client().metadata(file_id)
        except DriveFileError as e:
            return e
        except DriveUnavailableError:
            raise
        except Exception as e:  # a bug, or an answer we cannot read: this file's problem only
            return _internal(file_id, e)

    def _each(self, work: Callable[[T], R], items: Sequence[T]) -> list[R | None]:
        """`work(item)` for every item on the pool; results in item order."""
        return [f.result() for f in self._submit(work, items)]

    def _submit(self, work: Callable[[T], R], items: Sequence[T]) -> list[Future[R | None]]:
        if not items:
            return []
        if self._pool is None:  # its threads start as work comes, up to `threads`
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="lampiran")
        return [self._pool.submit(self._guarded, work, item) for item in items]

    def _guarded(self, work: Callable[[T], R], item: T) -> R | None:
        if self._stop.is_set():
            return None
        try:
            return work(item)
        except DriveUnavailableError as e:
            if not self._stop.is_set():
                self._stop.set()
                self.unavailable = e
            return None

    def _fetch(self, job: Job) -> Outcome:
        """One file's bytes and checks. A failure of this file, whatever it is, becomes its
        outcome's `error`; only Drive being unavailable as a whole escapes."""
        return _fetch(self.clients.client(), job)


def _fetch(drive: DriveClient, job: Job) -> Outcome:
    out = Outcome(job)
    try:
        out.path, out.sha256 = _bytes_of(drive, job)
    except DriveFileError as e:
        out.error = e
    except DriveUnavailableError:
        raise  # not this file's failure: the pool stops
    except OSError as e:  # our disk: full, read-only, a folder we may not write
        out.error = DriveFileError("storage", f"{type(e).__name__}: {e}", counts=False)
    except Exception as e:  # a bug must not take the other files down with it
        out.error = _internal(job.attachment.file_id, e)
    return out


def _bytes_of(drive: DriveClient, job: Job) -> tuple[Path, str]:
    """The verified bytes of the job's file (path, SHA-256): already in place, or in `.part`."""
    if job.final.is_file():
        try:
            return job.final, verified(job.final, job.meta)  # a killed pass renamed it
        except DriveFileError:
            job.final.unlink()
    ensure_private_dir(job.folder)
    try:
        drive.download(job.meta, job.part)
        return job.part, verified(job.part, job.meta)
    except DriveFileError as e:
        if e.kind == "broken":
            job.part.unlink(missing_ok=True)  # wrong bytes: never resume from them
        raise


def _internal(file_id: str, e: Exception) -> DriveFileError:
    log.error("Lampiran %s: kesalahan tak terduga", file_id, exc_info=e,
              extra={"event": "attachment_internal_error"})
    return DriveFileError("internal", f"{type(e).__name__}: {e}")


def verified(path: Path, f: DriveFile) -> str:
    """The SHA-256 of `path` once its size and Drive's checksum match; else DriveFileError."""
    sha = hashlib.sha256()
    md5 = None if f.sha256 else hashlib.md5(usedforsecurity=False)  # Drive's older checksum
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        for block in iter(lambda: fh.read(1 << 20), b""):
            sha.update(block)
            if md5 is not None:
                md5.update(block)
    if size != f.size or (f.sha256 and sha.hexdigest() != f.sha256) or (
            md5 is not None and f.md5 and md5.hexdigest() != f.md5):
        raise DriveFileError("broken", f"{size} byte, sha256 {sha.hexdigest()}")
    return sha.hexdigest()
