"""Google Drive API v3 for attachments: `files.get` for a file's metadata, and `alt=media`
with `Range` for its bytes, resumable from a `.part` file (used by attachments.py).

Transport. Drive is called through the sheet's own authorized `requests` session
(google-auth's `AuthorizedSession`, wrapped in `google_http.GoogleHttp`), not through
google-api-python-client's `MediaIoBaseDownload`:
- resuming a download cut off in an earlier pass is one `Range` request from the `.part`
  file's length; `MediaIoBaseDownload` keeps its progress in a private attribute of one
  object, so resuming across passes would mean reaching into it;
- the size limit is enforced while the body streams, per 64 KiB read, instead of per chunk
  held whole in memory; and the request asks for exactly the bytes the metadata announced;
- one retry and error policy (429/5xx retried with backoff and jitter, 401/403/404
  classified), one request count, the same injected clock in tests, and the same proxy
  settings as the sheet (`HTTPS_PROXY`, `REQUESTS_CA_BUNDLE`). httplib2, under
  google-api-python-client, needs PySocks and `HTTPLIB2_CA_CERTS` on top (the Gmail backend
  does; see the README).
The endpoints, parameters and answers are those the client library would use
(`[source] drive_endpoint` replaces `https://www.googleapis.com`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import requests

from aduan_sync.config import Config
from aduan_sync.errors import AduanSyncError

if TYPE_CHECKING:
    from aduan_sync.google_http import GoogleHttp
    from aduan_sync.sources.base import Source

DRIVE_ENDPOINT = "https://www.googleapis.com"
_META_FIELDS = "id,name,mimeType,size,md5Checksum,sha256Checksum,trashed"
#: Read size while streaming a download (also the granularity of the size check).
CHUNK_BYTES = 64 * 1024
#: Requests that continue a cut-off download in the same pass, while each one makes progress.
RESUMES_PER_PASS = 3
#: 403 reasons that concern the whole account or project, not one file.
_SETUP_REASONS = frozenset({"SERVICE_DISABLED", "accessNotConfigured", "insufficientPermissions",
                            "ACCESS_TOKEN_SCOPE_INSUFFICIENT"})


@dataclass(frozen=True)
class DriveFile:
    """What `files.get` says about a file."""

    file_id: str
    name: str
    mime_type: str
    size: int | None  # None: a Google Docs file, which has no bytes of its own
    sha256: str
    md5: str
    trashed: bool


class DriveFileError(AduanSyncError):
    """Raised by `DriveClient` when one file cannot be fetched (kind: "forbidden", "not_found",
    "not_a_file", "broken", "interrupted"); `counts` False: progress was made, resume freely."""

    def __init__(self, kind: str, detail: str, *, counts: bool = True) -> None:
        self.kind = kind
        self.counts = counts
        super().__init__(f"Lampiran tidak dapat diunduh ({kind}).", detail)


class DriveUnavailableError(AduanSyncError):
    """Raised by `DriveClient` when no file can be fetched now (Drive unreachable, credentials
    refused, Drive API disabled): downloads stop until the next pass."""


class DriveClient:
    """Drive API v3 `files.get` (metadata, and `alt=media` with `Range`) over `http`."""

    def __init__(self, http: GoogleHttp, endpoint: str = "", share_with: str = "") -> None:
        self.http = http
        self.base = f"{(endpoint or DRIVE_ENDPOINT).rstrip('/')}/drive/v3/files/"
        self.share_with = share_with

    @classmethod
    def for_source(cls, cfg: Config, source: Source) -> DriveClient | None:
        """A client on the Google source's session, retry policy and clock; None otherwise."""
        if cfg.source.backend != "google":
            return None
        from aduan_sync.google_http import GoogleHttp
        from aduan_sync.sources.gsheets import GoogleSheetSource

        if not isinstance(source, GoogleSheetSource):
            return None
        sheet = source.http
        http = GoogleHttp(sheet.session, timeout=sheet.timeout, explain=explain_failure,
                          retry_max_seconds=sheet.retry_max_seconds, service="Google Drive",
                          sleep=sheet.sleep, monotonic=sheet.monotonic, rng=sheet.rng)
        return cls(http, cfg.source.drive_endpoint, source.credentials.share_with)

    def metadata(self, file_id: str) -> DriveFile:
        data = self._call(self.base + file_id, {"fields": _META_FIELDS,
                                                "supportsAllDrives": "true"}).json()
        size = data.get("size")
        return DriveFile(file_id, str(data.get("name") or ""), str(data.get("mimeType") or ""),
                         int(size) if size is not None else None,
                         str(data.get("sha256Checksum") or ""), str(data.get("md5Checksum") or ""),
                         bool(data.get("trashed")))

    def download(self, f: DriveFile, part: Path) -> None:
        """Complete `part` with `f`'s bytes, continuing from what it holds."""
        assert f.size is not None
        os.close(os.open(part, os.O_WRONLY | os.O_CREAT, 0o600))  # an empty file is complete
        start = _size_of(part)
        for _ in range(RESUMES_PER_PASS + 1):
            have = _size_of(part)
            if have > f.size:
                part.unlink()
                have = 0
            if have == f.size:
                return
            try:
                self._fetch(f, part, have)
            except _Cut as cut:
                if _size_of(part) > have:
                    continue  # progress: ask for the rest at once
                raise DriveFileError("interrupted", str(cut),
                                     counts=_size_of(part) == start) from cut
        if _size_of(part) != f.size:
            raise DriveFileError("interrupted", f"{_size_of(part)} dari {f.size} byte",
                                 counts=False)

    def _fetch(self, f: DriveFile, part: Path, have: int) -> None:
        assert f.size is not None
        # Exactly the bytes the metadata announced: a file that grew is never streamed in.
        resp = self._call(self.base + f.file_id, {"alt": "media", "supportsAllDrives": "true"},
                          {"Range": f"bytes={have}-{f.size - 1}"}, stream=True)
        with resp, open(os.open(part, os.O_WRONLY | os.O_CREAT, 0o600), "r+b") as out:
            at = _range_start(resp, have, f.size)
            out.seek(at)
            out.truncate()
            try:
                for chunk in resp.iter_content(CHUNK_BYTES):
                    if at + len(chunk) > f.size:
                        out.truncate(0)
                        raise DriveFileError("broken", f"lebih dari {f.size} byte dikirim")
                    out.write(chunk)
                    at += len(chunk)
            except (requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ConnectionError, requests.exceptions.Timeout) as e:
                raise _Cut(f"{type(e).__name__}: {e}") from e
            finally:
                out.flush()
                os.fsync(out.fileno())
        if at < f.size:
            raise _Cut(f"sambungan ditutup pada byte {at} dari {f.size}")

    def _call(self, url: str, params: dict[str, str], headers: dict[str, str] | None = None,
              stream: bool = False) -> requests.Response:
        from aduan_sync.google_http import GooglePermanentError, GoogleTransientError

        try:
            return self.http.call("GET", url, params=params, headers=headers, stream=stream)
        except GooglePermanentError as e:
            if e.status in (400, 404):
                raise DriveFileError("not_found", e.detail or "") from e
            if e.status == 403 and e.reason not in _SETUP_REASONS:
                raise DriveFileError("forbidden", e.detail or "") from e
            raise DriveUnavailableError(e.message, e.detail) from e
        except GoogleTransientError as e:
            raise DriveUnavailableError(
                "Google Drive tidak dapat dihubungi atau sedang sibuk; lampiran akan diunduh "
                "pada proses berikutnya.", e.detail) from e


class _Cut(Exception):
    """The body stopped before its end (connection reset, timeout, short read)."""


def _size_of(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _range_start(resp: requests.Response, have: int, size: int) -> int:
    """Where the body starts: `have` for the 206 asked for, 0 if the Range was ignored (200)."""
    if resp.status_code == 200:
        return 0
    m = re.match(r"bytes (\d+)-(\d+)/(\d+)", resp.headers.get("Content-Range", ""))
    if not m or int(m.group(1)) != have or int(m.group(3)) != size:
        raise DriveFileError("broken", f"Content-Range {resp.headers.get('Content-Range')!r}")
    return have


def explain_failure(status: int, reason: str, message: str) -> str:
    """The operator's message for a failure that stops every download (Indonesian)."""
    if status == 401:
        return ("Kredensial Google ditolak (401) saat mengunduh lampiran dari Google Drive. "
                "Perbarui kunci akun layanan atau jalankan `aduan-sync auth login`.")
    if reason in ("SERVICE_DISABLED", "accessNotConfigured"):
        return ("Google Drive API belum diaktifkan untuk proyek Google Cloud akun ini. Aktifkan "
                "Google Drive API di Google Cloud Console agar lampiran dapat diunduh.")
    if status == 403:
        return ("Kredensial Google tidak memiliki izin membaca Google Drive (drive.readonly). "
                "Untuk token login, jalankan ulang `aduan-sync auth login`.")
    return f"Google Drive menolak permintaan (HTTP {status}): {message}."
