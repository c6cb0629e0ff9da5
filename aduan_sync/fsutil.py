"""Atomic, private file writes: folders 0700, files 0600, temp file + fsync + rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

#: Attempts of `ensure_private_dir` when a parent is replaced while it creates a folder.
_DIR_ATTEMPTS = 5


def ensure_private_dir(path: Path) -> None:
    """Create `path` and any missing parents with mode 0700 (parents that already exist are
    left as they are); tighten `path` itself to 0700 if it is wider.

    A parent may be replaced meanwhile: the archive renames a complaint's new folder over the
    empty one a download thread has just made for its `lampiran/` (`archive`), and a folder
    created in the replaced, now removed, directory fails with ENOENT. The lookup is then
    made again."""
    for attempt in range(_DIR_ATTEMPTS):
        missing = []
        p = path
        while not p.exists():
            missing.append(p)
            p = p.parent
        try:
            for folder in reversed(missing):
                folder.mkdir(mode=0o700, exist_ok=True)
            mode = path.stat().st_mode
        except FileNotFoundError:
            if attempt == _DIR_ATTEMPTS - 1:
                raise
            continue
        if mode & 0o077:
            os.chmod(path, 0o700)
        return


def write_atomic(path: Path, data: bytes, mode: int = 0o600, *, durable: bool = True) -> bool:
    """Write `data` to `path` atomically. Returns False (and writes nothing) if it already holds
    exactly `data`, so a repeated pass changes no file.

    The rename makes the write atomic for a process that dies at any moment. `durable=False`
    skips the per-file fsync (against power loss) for callers that write many files and then
    call `flush_to_disk()` once: thousands of fsyncs would dominate a large first import.
    """
    _sweep_once(path.parent)
    try:
        if path.read_bytes() == data:
            if path.stat().st_mode & 0o777 != mode:
                os.chmod(path, mode)
            return False
    except FileNotFoundError:
        pass
    ensure_private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if durable:
        _fsync_dir(path.parent)  # the rename itself survives a power cut
    return True


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_SWEPT: set[Path] = set()


def start_sweep() -> None:
    """Begin a pass: each folder written to is swept once more (see `_sweep_once`)."""
    _SWEPT.clear()


def _sweep_once(folder: Path) -> None:
    """Remove temporaries a killed pass left in `folder`, once per pass and folder (listing a
    folder of thousands of outbox files before every write would be quadratic). Runs under
    the pass lock, so no such file belongs to a live writer."""
    if folder in _SWEPT or not folder.is_dir():
        return
    for stale in folder.glob(".*.tmp"):
        stale.unlink(missing_ok=True)
    _SWEPT.add(folder)


def remove_stale_temporaries(folder: Path, prefix: str) -> int:
    """Remove `<prefix>*.tmp` left in `folder` by a write a kill cut short. Only call it while
    holding the pass lock: then no other writer of ours can own such a file."""
    removed = 0
    for stale in folder.glob(f"{glob_escape(prefix)}*.tmp"):
        stale.unlink(missing_ok=True)
        removed += 1
    return removed


def glob_escape(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def flush_to_disk() -> None:
    """One sync of everything written so far (after many `durable=False` writes)."""
    os.sync()
