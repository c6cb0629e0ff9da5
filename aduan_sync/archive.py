"""SOP step 2's archive on the office's own disk: one folder per complaint.

`<archive_dir>/<year>/<register number made filename-safe>/` holds `aduan.json` (every answer,
the register data, where the row came from, a SHA-256 of the answers) and `formulir.html`, a
readable "Formulir Aduan" with the office's letterhead. Files uploaded through the form go
in its `lampiran/` sub-folder (attachments.py) and are listed in `aduan.json` under
`lampiran`. Folders 0700, files 0600, atomic writes; writing the same complaint again changes
no file.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from aduan_sync.errors import ArchiveError
from aduan_sync.fsutil import ensure_private_dir, write_atomic
from aduan_sync.records import Complaint
from aduan_sync.register import filename_safe

ARCHIVE_VERSION = 1
#: Sub-folder of a complaint's folder for its attachments: an uploaded file named `aduan.json`
#: can never replace the archive record.
ATTACHMENTS_DIR = "lampiran"
#: Ending of a complaint folder being built (see `_write_new_folder`).
TEMP_SUFFIX = ".tmpdir"


def folder_for(archive_dir: Path, c: Complaint) -> Path:
    return archive_dir / str(c.year) / filename_safe(c.register_no)


def archive_record(c: Complaint,
                   attachments: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """The content of `aduan.json`: what was received and how it was registered (and, when
    the complaint has attachments, each file: name, size, MIME type, SHA-256, Drive link)."""
    record: dict[str, Any] = {
        "versi": ARCHIVE_VERSION,
        "nomor_register": c.register_no,
        "tahun": c.year,
        "urutan": c.seq,
        "tanggal_register": c.registered_at.isoformat(),
        "cap_waktu_formulir": c.submitted_at.isoformat(),
        "jawaban": c.answers,
        "jawaban_lain": [list(p) for p in c.extra],
        "sha256_jawaban": c.answers_sha256,
        "asal": c.origin,
        "klasifikasi_awal": {
            "kategori": c.category,
            "unit_tujuan": c.unit,
            "kelengkapan": c.completeness,
        },
    }
    if attachments:
        # Only when there are some: the record of a complaint without files keeps its bytes.
        record["lampiran"] = [dict(a) for a in attachments]
    return record


def record_bytes(c: Complaint, attachments: Sequence[Mapping[str, Any]] = ()) -> bytes:
    """`aduan.json` exactly as written (its SHA-256 is what the ledger keeps)."""
    data = json.dumps(archive_record(c, attachments), ensure_ascii=False, indent=2,
                      sort_keys=True)
    return (data + "\n").encode("utf-8")


def write_complaint(
    archive_dir: Path, c: Complaint, render_formulir: Callable[[Complaint], str],
    attachments: Sequence[Mapping[str, Any]] = (),
) -> tuple[str, bool]:
    """Write the complaint's folder. Returns (SHA-256 of aduan.json, whether any file changed)."""
    folder = folder_for(archive_dir, c)
    blob = record_bytes(c, attachments)
    try:
        page = render_formulir(c).encode("utf-8")
        if not folder.exists():
            _write_new_folder(folder, page, blob)
            changed = True
        else:
            changed = write_atomic(folder / "formulir.html", page, durable=False)
            # aduan.json last: its presence with the right hash means the folder is complete.
            changed = write_atomic(folder / "aduan.json", blob, durable=False) or changed
    except OSError as e:
        raise ArchiveError(
            f"Arsip aduan {c.register_no} tidak dapat ditulis di {folder}. Periksa ruang disk "
            "dan izin folder arsip; data tetap aman di buku register dan akan diarsipkan pada "
            "proses berikutnya.",
            detail=f"{type(e).__name__}: {e}",
        ) from e
    return hashlib.sha256(blob).hexdigest(), changed


def _write_new_folder(folder: Path, page: bytes, blob: bytes) -> None:
    """A new complaint's folder, built under a temporary name and renamed into place whole:
    half the file operations of two atomic writes (a first import writes thousands), and a
    kill leaves either no folder or a complete one (plus a temporary one that
    `remove_stale_folders` clears). Not synced: the caller syncs once for the batch."""
    ensure_private_dir(folder.parent)
    tmp = folder.parent / f".{folder.name}.{os.getpid()}{TEMP_SUFFIX}"
    if tmp.exists():  # left by a killed process that had our pid
        shutil.rmtree(tmp)
    tmp.mkdir(mode=0o700)
    for name, data in (("formulir.html", page), ("aduan.json", blob)):
        fd = os.open(tmp / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    os.chmod(tmp, 0o700)  # mkdir's mode went through the umask
    try:
        os.rename(tmp, folder)
    except OSError:
        if not folder.is_dir():
            raise
        # Written meanwhile by another writer: keep that one, with atomic rewrites.
        shutil.rmtree(tmp, ignore_errors=True)
        write_atomic(folder / "formulir.html", page, durable=False)
        write_atomic(folder / "aduan.json", blob, durable=False)


def remove_stale_folders(archive_dir: Path) -> int:
    """Remove the temporary folders a killed pass left (`_write_new_folder`). Call it while
    holding the pass lock and before writing, never while workers write."""
    removed = 0
    for stale in archive_dir.glob(f"*/.*{TEMP_SUFFIX}"):
        shutil.rmtree(stale, ignore_errors=True)
        removed += 1
    return removed


def verify_folder(archive_dir: Path, c: Complaint) -> list[str]:
    """Problems with a complaint's archive folder (empty list: complete and valid)."""
    folder = folder_for(archive_dir, c)
    problems = []
    for name in ("aduan.json", "formulir.html"):
        p = folder / name
        if not p.is_file():
            problems.append(f"{name} tidak ada")
        elif p.stat().st_mode & 0o077:
            problems.append(f"{name} dapat dibaca pengguna lain")
    if not problems:
        try:
            record = json.loads((folder / "aduan.json").read_text(encoding="utf-8"))
        except (ValueError, OSError) as e:
            return [f"aduan.json rusak: {e}"]
        if record.get("nomor_register") != c.register_no:
            problems.append("nomor register di aduan.json tidak cocok")
        if record.get("sha256_jawaban") != c.answers_sha256:
            problems.append("sha256 jawaban di aduan.json tidak cocok")
    return problems
