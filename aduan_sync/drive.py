"""Google Drive API v3 for attachments: `files.get` for a file's metadata (many at once in a
batch request), and `alt=media` with `Range` for its bytes, resumable from a `.part` file (used
by attachments.py, from a pool of threads).

Transport. Drive is called through an authorized `requests` session on the sheet's
credentials (google-auth's `AuthorizedSession`, wrapped in `google_http.GoogleHttp`), not
through google-api-python-client's `MediaIoBaseDownload`:
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

Threads. `requests.Session` is not documented as thread-safe, so each worker thread gets its
own client (`ThreadClients`): its own session on the same credentials object
(`thread_sessions.session_like`: refreshed by one thread at a time), the sheet's proxy and
CA settings, the same retry policy and clock, and its own request count (the counts are
summed, so the total is exact).

Batches. Drive answers up to `BATCH_SIZE` `files.get` calls sent as one `multipart/mixed`
request to `/batch/drive/v3` (Google's documented batch format; media cannot be batched, so
downloads stay one request each). Google counts each call in a batch against the quota; our
request count counts the HTTP request. A file the batch does not answer with 200 is asked
again on its own (`metadata`), so every failure goes through the one classification above.
"""

from __future__ import annotations

import email.message
import email.parser
import json
import os
import re
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

import requests

from aduan_sync.config import Config
from aduan_sync.errors import AduanSyncError
from aduan_sync.thread_sessions import session_like

if TYPE_CHECKING:
    from aduan_sync.google_http import GoogleHttp, GooglePermanentError
    from aduan_sync.sources.base import Source

DRIVE_ENDPOINT = "https://www.googleapis.com"
_META_FIELDS = "id,name,mimeType,size,md5Checksum,sha256Checksum,trashed"
#: `prettyPrint=false` for the calls inside a batch, whose URLs `GoogleHttp` does not see
#: (it asks it of every GET it sends itself): Google indents JSON answers otherwise.
_META_PARAMS = {"fields": _META_FIELDS, "supportsAllDrives": "true", "prettyPrint": "false"}
#: Read size while streaming a download (also the granularity of the size check).
CHUNK_BYTES = 64 * 1024
#: Requests that continue a cut-off download in the same pass, while each one makes progress.
RESUMES_PER_PASS = 3
#: Calls per Drive batch request: Google's documented maximum (more "may result in an error").
BATCH_SIZE = 100
#: 403 reasons that concern the whole account or project, not one file.
_SETUP_REASONS = frozenset({"SERVICE_DISABLED", "accessNotConfigured", "insufficientPermissions",
                            "ACCESS_TOKEN_SCOPE_INSUFFICIENT"})
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")


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

    @classmethod
    def from_json(cls, file_id: str, data: dict[str, Any]) -> DriveFile:
        size = data.get("size")
        return cls(file_id, str(data.get("name") or ""), str(data.get("mimeType") or ""),
                   int(size) if size is not None else None,
                   str(data.get("sha256Checksum") or ""), str(data.get("md5Checksum") or ""),
                   bool(data.get("trashed")))


class DriveFileError(AduanSyncError):
    """Raised by `DriveClient` when one file cannot be fetched (kind: "forbidden", "not_found",
    "not_a_file", "broken", "interrupted", "storage"); `counts` False: no fault of the file
    (progress was made, or our disk failed), so it uses up no attempt."""

    def __init__(self, kind: str, detail: str, *, counts: bool = True) -> None:
        self.kind = kind
        self.counts = counts
        super().__init__(f"Lampiran tidak dapat diunduh ({kind}).", detail)


class DriveUnavailableError(AduanSyncError):
    """Raised by `DriveClient` when no file can be fetched now (Drive unreachable, credentials
    refused, Drive API disabled): downloads stop until the next pass."""


def files_url(endpoint: str = "") -> str:
    """Drive v3 `files/` under `endpoint` (`[source] drive_endpoint`, else Google's)."""
    return f"{(endpoint or DRIVE_ENDPOINT).rstrip('/')}/drive/v3/files/"


class DriveClient:
    """Drive API v3 `files.get` (metadata, alone or batched, and `alt=media` with `Range`)
    over `http`. One client per thread: see `ThreadClients`."""

    def __init__(self, http: GoogleHttp, endpoint: str = "", share_with: str = "",
                 refresh_lock: threading.Lock | None = None) -> None:
        self.http = http
        self.root = (endpoint or DRIVE_ENDPOINT).rstrip("/")
        self.base = files_url(endpoint)
        self.share_with = share_with
        self.refresh_lock = refresh_lock or threading.Lock()

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

    def sibling(self) -> DriveClient:
        """A client for another thread: its own session on the same credentials (refreshed
        under this client's lock) and proxy/CA settings, the same retry policy and clock, and
        its own request count."""
        from aduan_sync.google_http import GoogleHttp

        h = self.http
        http = GoogleHttp(session_like(h.session, self.refresh_lock), timeout=h.timeout,
                          retry_max_seconds=h.retry_max_seconds, explain=h.explain,
                          service=h.service, sleep=h.sleep, monotonic=h.monotonic, rng=h.rng)
        return DriveClient(http, self.root, self.share_with, self.refresh_lock)

    def metadata(self, file_id: str) -> DriveFile:
        return DriveFile.from_json(file_id, self._call(self.base + file_id, _META_PARAMS).json())

    def metadata_batch(self, file_ids: Sequence[str]) -> dict[str, DriveFile]:
        """The metadata of up to `BATCH_SIZE` files in one batch request, by file ID. A file
        missing from the answer (any inner status but 200, or no batch endpoint at all: an
        emulator, a gateway) is for `metadata` to ask, classify and retry on its own."""
        if not 0 < len(file_ids) <= BATCH_SIZE:
            raise ValueError(f"a Drive batch holds 1 to {BATCH_SIZE} calls, not {len(file_ids)}")
        from aduan_sync.google_http import GooglePermanentError, GoogleTransientError

        boundary = f"batch_{secrets.token_hex(12)}"
        path = urlsplit(self.base).path
        query = urlencode(_META_PARAMS)
        body = "".join(f"--{boundary}\r\nContent-Type: application/http\r\n"
                       f"Content-ID: <item-{i}>\r\n\r\n"
                       f"GET {path}{quote(fid)}?{query} HTTP/1.1\r\n\r\n"
                       for i, fid in enumerate(file_ids)) + f"--{boundary}--\r\n"
        try:
            resp = self.http.call("POST", f"{self.root}/batch/drive/v3", data=body.encode(),
                                  headers={"Content-Type": f"multipart/mixed; boundary={boundary}"})
        except GooglePermanentError as e:
            if e.status == 401 or e.reason in _SETUP_REASONS:
                raise _unavailable(e) from e
            return {}  # 400/404/405: no batches here; 403: let each file say why alone
        except GoogleTransientError as e:
            raise _unavailable(e) from e
        found: dict[str, DriveFile] = {}
        for key, status, data in _batch_answers(resp):
            index = int(key[5:]) if key.startswith("item-") and key[5:].isdigit() else -1
            if status != 200 or not isinstance(data, dict) or not 0 <= index < len(file_ids):
                continue
            fid = file_ids[index]
            if data.get("id", fid) == fid:
                try:
                    found[fid] = DriveFile.from_json(fid, data)
                except ValueError:
                    continue  # a size that is not a number: `metadata` will report it
        return found

    def download(self, f: DriveFile, part: Path) -> None:
        """Complete `part` with `f`'s bytes, continuing from what it holds. The bytes are
        written, not synced: the caller syncs once for a whole batch of files before it
        records any of them as saved (a kill loses nothing written; a power cut may, and
        the size and checksum check after it catches that)."""
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
            raise _unavailable(e) from e
        except GoogleTransientError as e:
            raise _unavailable(e) from e


class ThreadClients:
    """A `DriveClient` for each thread of a pool, made from `base` on the thread's first call
    (`client()`); `requests` sums what they all sent."""

    def __init__(self, base: DriveClient) -> None:
        self.base = base
        self._local = threading.local()
        self._made: list[DriveClient] = []
        self._lock = threading.Lock()

    def client(self) -> DriveClient:
        """This thread's client."""
        mine: DriveClient | None = getattr(self._local, "client", None)
        if mine is None:
            mine = self.base.sibling()
            self._local.client = mine
            with self._lock:
                self._made.append(mine)
        return mine

    @property
    def requests(self) -> int:
        """Requests sent by every thread's client (exact once the pool has finished)."""
        with self._lock:
            return sum(c.http.requests for c in self._made)

    def close(self) -> None:
        with self._lock:
            for c in self._made:
                c.http.session.close()


def _unavailable(e: GooglePermanentError | Exception) -> DriveUnavailableError:
    from aduan_sync.google_http import GooglePermanentError

    if isinstance(e, GooglePermanentError):
        return DriveUnavailableError(e.message, e.detail)
    return DriveUnavailableError(
        "Google Drive tidak dapat dihubungi atau sedang sibuk; lampiran akan diunduh pada "
        "proses berikutnya.", getattr(e, "detail", "") or str(e))


def _batch_answers(resp: requests.Response) -> list[tuple[str, int, Any]]:
    """(request Content-ID without `<>`/`response-`, status, JSON body) of each part of a
    batch's `multipart/mixed` answer; [] when it is not one."""
    ctype = resp.headers.get("Content-Type", "")
    if not ctype.lower().startswith("multipart/"):
        return []
    msg = email.parser.BytesParser().parsebytes(
        b"Content-Type: " + ctype.encode("latin-1") + b"\r\n\r\n" + resp.content)
    answers = []
    for part in msg.get_payload() if msg.is_multipart() else []:
        if not isinstance(part, email.message.Message):
            continue
        key = str(part.get("Content-ID", "")).strip().strip("<>").removeprefix("response-")
        raw = part.get_payload(decode=True)
        if not isinstance(raw, bytes):
            continue
        # The part is an HTTP response: status line, headers, a blank line, the body.
        head, *rest = _BLANK_LINE.split(raw.lstrip(b"\r\n"), maxsplit=1)
        body = rest[0] if rest else b""
        status_line = head.split(b"\n", 1)[0].split()
        if len(status_line) < 2 or not status_line[1].isdigit():
            continue
        try:
            data = json.loads(body) if body.strip() else None
        except ValueError:
            data = None
        answers.append((key, int(status_line[1]), data))
    return answers


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
