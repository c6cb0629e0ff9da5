"""Files citizens uploaded through the form (the attachments): where their links are, what they
are called on disk, and how the archive and the staff's mail list them. Pure, but for reading a
complaint's rows from the ledger.

A Drive file link (`https://drive.google.com/open?id=…`, also `/file/d/<id>/view` and
`/uc?id=`) in *any* answer is an attachment; Google Forms writes one per uploaded file, several
separated by commas (`find_file_ids`). Its name on disk is made safe once and kept
(`safe_name`): no path separators or `..`, no control, bidi or NUL characters, no hidden names,
no Windows device names (`CON.jpg`), at most `MAX_NAME_BYTES` bytes of UTF-8, de-duplicated
without regard to case, in link order.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from aduan_sync import archive

if TYPE_CHECKING:
    from aduan_sync.ledger import Ledger
from aduan_sync.records import Attachment

#: Longest file name written, in UTF-8 bytes: fits ext4 (255) and eCryptfs (143) with room
#: for a " (12)" de-duplication suffix.
MAX_NAME_BYTES = 120

_URL = re.compile(r"https?://drive\.google\.com/[^\s,;\"'<>]+", re.IGNORECASE)
_FILE_ID = re.compile(r"^[A-Za-z0-9_-]{10,200}$")
_FORBIDDEN = frozenset('<>:"/\\|?*')
_KEEP_FORMAT = frozenset("\u200c\u200d")  # ZWNJ/ZWJ: needed by some scripts and emoji
_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
    f"{dev}{n}" for dev in ("COM", "LPT") for n in "0123456789¹²³"})

STATUS_TEXT = {  # for staff mail
    "done": "tersimpan di arsip", "pending": "belum diunduh",
    "too_large": "tidak diunduh (melebihi batas ukuran)", "failed": "gagal diunduh",
}
_ARCHIVE_STATUS = {  # for aduan.json
    "done": "tersimpan", "pending": "belum diunduh", "too_large": "terlalu besar",
    "failed": "gagal diunduh",
}


# -- links and names ---------------------------------------------------------------------

def file_id_of(url: str) -> str | None:
    """The Drive file ID of a file link, else None (folders, other hosts, malformed IDs)."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or parts.hostname != "drive.google.com":
        return None
    segments = [s for s in parts.path.split("/") if s]
    fid = ""
    if segments in (["open"], ["uc"]):
        fid = (parse_qs(parts.query).get("id") or [""])[0]
    elif len(segments) >= 3 and segments[:2] == ["file", "d"]:
        fid = segments[2]
    return fid if _FILE_ID.match(fid) else None


def drive_link(file_id: str) -> str:
    """The canonical link, as Google Forms writes it (never the text the citizen typed)."""
    return f"https://drive.google.com/open?id={file_id}"


def find_file_ids(answers: Mapping[str, Any], extra: Sequence[tuple[str, Any]] = ()) -> list[str]:
    """Drive file IDs in every answer, the `Lampiran` answer first, in order, each once."""
    texts = [answers.get("attachment", "")]
    texts += [v for k, v in answers.items() if k != "attachment"] + [v for _, v in extra]
    ids: list[str] = []
    for text in texts:
        for m in _URL.finditer(str(text or "")):
            fid = file_id_of(m.group(0))
            if fid and fid not in ids:
                ids.append(fid)
    return ids


def safe_name(name: str, taken: Iterable[str] = (), max_bytes: int = MAX_NAME_BYTES) -> str:
    """A file name safe to create in the archive on any system, unique among `taken`."""
    chars = []
    for ch in unicodedata.normalize("NFC", str(name or "")):
        cat = unicodedata.category(ch)
        if ch in _FORBIDDEN or cat in ("Cc", "Cs", "Zl", "Zp") or (
                cat == "Cf" and ch not in _KEEP_FORMAT):
            chars.append("_")  # separators, NUL, newlines, bidi overrides
        else:
            chars.append(" " if ch.isspace() else ch)
    text = re.sub(r"_{2,}", "_", " ".join("".join(chars).split()))
    text = text.strip(" ._")  # no hidden file, no `..`, no trailing dot/space (Windows)
    stem, dot, ext = text.rpartition(".")
    if not (dot and stem and len(ext) <= 16 and ext.isalnum()):
        stem, ext = text, ""
    ext = f".{ext}" if ext else ""
    if stem.split(".")[0].rstrip(" ").upper() in _RESERVED:
        stem = f"_{stem}"  # Windows reserves CON, NUL, COM1 ... whatever the extension
    stem = stem or "lampiran"
    used = {unicodedata.normalize("NFC", t).casefold() for t in taken}
    n = 1
    while True:
        tail = (f" ({n})" if n > 1 else "") + ext
        budget = max_bytes - len(tail.encode("utf-8"))
        short = stem.encode("utf-8")[:budget].decode("utf-8", "ignore").rstrip(" ._")
        candidate = (short or "lampiran") + tail
        if candidate.casefold() not in used:
            return candidate
        n += 1


def size_text(size: int | None) -> str:
    """`2,4 MB` (Indonesian decimal comma); "" when unknown."""
    if size is None:
        return ""
    if size < 1024:
        return f"{size} byte"
    value, unit = size / 1024, "KB"
    for bigger in ("MB", "GB"):
        if value < 1024:
            break
        value, unit = value / 1024, bigger
    return f"{value:.1f} {unit}".replace(".", ",")


# -- listings in aduan.json and in staff mail --------------------------------------------

def archive_entry(a: Attachment) -> dict[str, Any]:
    """One file in `aduan.json`: stable facts only (no attempt counts), so it changes once."""
    entry: dict[str, Any] = {"urutan": a.position, "id_berkas": a.file_id, "tautan": a.link,
                             "status": _ARCHIVE_STATUS[a.status]}
    if a.name:
        entry.update(nama_asli=a.name, ukuran_byte=a.size, jenis_mime=a.mime_type)
    if a.status == "done":
        entry.update(berkas=f"{archive.ATTACHMENTS_DIR}/{a.local_name}", sha256=a.sha256)
    return entry


def context_entry(a: Attachment) -> dict[str, Any]:
    """One file in a staff mail's context (`complaint.attachment_files`)."""
    status = STATUS_TEXT[a.status]
    if a.status == "pending" and a.attempts:
        status = "belum dapat diunduh (lihat Catatan)"
    return {"name": a.local_name or f"Berkas ke-{a.position}", "size": a.size,
            "size_text": size_text(a.size), "mime": a.mime_type, "link": a.link,
            "status": a.status, "status_text": status, "sha256": a.sha256}


def context_entries(rows: Sequence[Attachment]) -> list[dict[str, Any]]:
    """A complaint's files as its mail and its formulir page list them."""
    return [context_entry(a) for a in rows]


def entries(rows: Sequence[Attachment]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A complaint's files as `aduan.json` lists them (empty: no `lampiran` key at all), and
    as its mail and page do."""
    return [archive_entry(a) for a in rows], context_entries(rows)


def context_lookup(ledger: Ledger) -> Callable[[Sequence[int]], dict[int, list[dict[str, Any]]]]:
    """For `Messenger.attachments_of`: each complaint's files as its mail lists them (a
    complaint without files is absent), one ledger query for many complaints."""
    return lambda ids: {cid: context_entries(rows)
                        for cid, rows in ledger.attachments_by_complaint(ids).items()}
