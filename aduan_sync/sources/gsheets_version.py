"""The spreadsheet's version, asked of Google Drive: what lets an idle pass stop at one
request, without downloading the sheet.

Drive's `files.get` with `fields=version,modifiedTime` answers in one small request, and does
not count against the Sheets quota. Any failure (Drive API disabled, no drive.readonly scope,
404, Drive unreachable after a short retry) gives no version: the pass then reads the sheet
as always, and says why in the log once per process.
"""

from __future__ import annotations

import logging

from aduan_sync.defaults import SHEET_VERSION_RETRY_SECONDS
from aduan_sync.google_http import GoogleHttp, GooglePermanentError, GoogleTransientError

log = logging.getLogger(__name__)

#: Drive's `version` "reflects every change made to the file on the server"; `modifiedTime`
#: rides along so that a change of either one means a full read.
_VERSION_FIELDS = "version,modifiedTime"
#: Why the version could not be asked, already logged at INFO by this process (then DEBUG):
#: a daemon without Drive access says so once, not every five minutes.
_failures_logged: set[str] = set()


def drive_http(sheet: GoogleHttp) -> GoogleHttp:
    """A client for the version ask on the sheet's own session (one token) and clock, with a
    shorter retry: a slow Drive only costs the pass its shortcut."""
    return GoogleHttp(
        sheet.session, timeout=sheet.timeout, explain=explain_version,
        retry_max_seconds=min(sheet.retry_max_seconds, SHEET_VERSION_RETRY_SECONDS),
        service="Google Drive", sleep=sheet.sleep, monotonic=sheet.monotonic, rng=sheet.rng)


def ask_version(http: GoogleHttp, file_url: str) -> str:
    """`<version>@<modifiedTime>` of the file at `file_url`, or "" when Drive cannot say."""
    try:
        data = http.call("GET", file_url, params={"fields": _VERSION_FIELDS,
                                                  "supportsAllDrives": "true"}).json()
    except (GooglePermanentError, GoogleTransientError) as e:
        kind = f"HTTP {e.status} {getattr(e, 'reason', '')}" if e.status else "network"
        _version_unknown(kind, e.message, e.detail or "")
        return ""
    except ValueError as e:  # not JSON: a proxy's error page, say
        _version_unknown("json", "Jawaban Google Drive bukan JSON.", str(e)[:200])
        return ""
    version = data.get("version") if isinstance(data, dict) else None
    if not version:
        _version_unknown("no-version", "Google Drive tidak menyebut versi berkas.",
                         str(data)[:200])
        return ""
    return f"{version}@{data.get('modifiedTime', '')}"


def explain_version(status: int, reason: str, message: str) -> str:
    """Why the version ask failed, for the log (the pass goes on with a full read)."""
    if status == 403 and reason in ("SERVICE_DISABLED", "accessNotConfigured"):
        return ("Google Drive API belum diaktifkan untuk proyek Google Cloud akun ini; aktifkan "
                "agar proses tanpa perubahan cukup satu permintaan.")
    if status == 403:
        return ("Kredensial tidak memiliki izin membaca Google Drive (drive.readonly); untuk "
                "token login, jalankan ulang `aduan-sync auth login`.")
    return f"Google Drive menolak permintaan (HTTP {status}): {message}."


def _version_unknown(kind: str, message: str, detail: str) -> None:
    level = logging.DEBUG if kind in _failures_logged else logging.INFO
    _failures_logged.add(kind)
    log.log(level, "Versi spreadsheet tidak dapat ditanyakan ke Google Drive; lembar kerja "
            "dibaca seluruhnya. %s (Rincian teknis: %s)", message, detail,
            extra={"event": "sheet_version_unknown"})
