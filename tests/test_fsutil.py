"""Private folders made while another thread renames a complaint's folder into place.

A download thread makes `<complaint>/lampiran/` while the archive renames the complaint's new
folder over the (empty) one the thread has just made: a folder created in the replaced
directory fails with ENOENT. Seen once in a full test run as a download's item error
("No such file or directory: '…/lampiran'"); `ensure_private_dir` looks the path up again.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

from aduan_sync.archive import _write_new_folder
from aduan_sync.fsutil import ensure_private_dir


def test_a_parent_replaced_under_a_new_folder_is_looked_up_again(tmp_path, monkeypatch):
    """Deterministic: the first `lampiran` mkdir meets a removed parent, as the kernel
    answers then; the second lookup finds the folder the archive put in its place."""
    target = tmp_path / "2026" / "001-ADUAN-XI-2026" / "lampiran"
    real_mkdir = Path.mkdir
    calls: list[Path] = []

    def mkdir(self: Path, *args: object, **kwargs: object) -> None:
        calls.append(self)
        if self == target and calls.count(target) == 1:
            _write_new_folder(self.parent, b"page", b"record")  # too late: already looked up
            raise FileNotFoundError(2, "No such file or directory", str(self))
        real_mkdir(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "mkdir", mkdir)
    ensure_private_dir(target)
    assert target.is_dir() and (target.stat().st_mode & 0o777) == 0o700
    assert (target.parent / "aduan.json").read_bytes() == b"record"
    assert calls.count(target) == 2


def test_a_parent_that_keeps_vanishing_still_fails_loudly(tmp_path, monkeypatch):
    target = tmp_path / "a" / "lampiran"

    def mkdir(self: Path, *args: object, **kwargs: object) -> None:
        raise FileNotFoundError(2, "No such file or directory", str(self))

    monkeypatch.setattr(Path, "mkdir", mkdir)
    with pytest.raises(FileNotFoundError):
        ensure_private_dir(target)


def test_downloads_and_the_archive_racing_for_a_complaint_folder_lose_nothing(tmp_path):
    """The real race, on threads switching every microsecond: three downloads make
    `lampiran/` while the archive writes the folder. Before the fix one in ~400–700 such
    races failed; here 600 run (about 1.5 s)."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    failures: list[str] = []
    try:
        for i in range(600):
            folder = tmp_path / "2026" / f"{i:03d}-ADUAN-XI-2026"
            start = threading.Barrier(4)

            def download(folder: Path = folder, start: threading.Barrier = start) -> None:
                start.wait()
                try:
                    ensure_private_dir(folder / "lampiran")
                except OSError as e:
                    failures.append(repr(e))

            def archive(folder: Path = folder, start: threading.Barrier = start) -> None:
                start.wait()
                _write_new_folder(folder, b"page", b"record")

            threads = [threading.Thread(target=download) for _ in range(3)]
            threads.append(threading.Thread(target=archive))
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert (folder / "lampiran").is_dir() and (folder / "aduan.json").is_file()
    finally:
        sys.setswitchinterval(old)
    assert failures == []
