"""`FakeGoogle`: the state of the fake Google (sheets, Drive files, sent mail, principals),
the helpers tests use to build and inspect it, and the start/stop of its HTTP server.

Helpers take the state lock, so a hook (which runs inside the server while a request waits)
may call them to sort, insert or delete rows exactly between a client's read and its write.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any

from tests.fakegoogle.control import Fault, Hook, LoggedRequest, Quota, RequestLog
from tests.fakegoogle.oauth import OAuthState, new_service_account_key
from tests.fakegoogle.sheets import Sheet, Spreadsheet

DEFAULT_TITLE = "Aduan Masyarakat Kecamatan Jenawi (Jawaban)"
DEFAULT_WORKSHEET = "Form Responses 1"


@dataclass
class DriveFile:
    """A Drive file; `readers` None means every principal may read it."""

    file_id: str
    name: str
    mime_type: str
    content: bytes
    readers: set[str] | None = None

    def metadata(self) -> dict[str, Any]:
        return {
            "kind": "drive#file",
            "id": self.file_id,
            "name": self.name,
            "mimeType": self.mime_type,
            "size": str(len(self.content)),  # Drive sends int64 as a JSON string
            "md5Checksum": hashlib.md5(self.content).hexdigest(),
            "sha256Checksum": hashlib.sha256(self.content).hexdigest(),
            "trashed": False,
        }


@dataclass
class SentMail:
    """A message accepted by `users.messages.send`."""

    user_id: str
    raw: bytes
    principal: str
    subject: str | None
    message_id: str
    thread_id: str = ""


@dataclass
class FakeGoogle:
    """The fake's whole state. Use as a context manager or call `start()` / `stop()`."""

    spreadsheets: dict[str, Spreadsheet] = field(default_factory=dict)
    files: dict[str, DriveFile] = field(default_factory=dict)
    sent_mail: list[SentMail] = field(default_factory=list)
    oauth: OAuthState = field(default_factory=OAuthState)
    log: RequestLog = field(default_factory=RequestLog)
    faults: list[Fault] = field(default_factory=list)
    hooks: list[Hook] = field(default_factory=list)
    quota: Quota = field(default_factory=Quota)
    latency: float = 0.0  # seconds added to every request (benchmarks)
    keep_bodies: bool = True  # False keeps only sizes in the log (large benchmarks)
    lock: threading.RLock = field(default_factory=threading.RLock)
    stopping: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> FakeGoogle:
        from tests.fakegoogle.server import Handler

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,),
                                        name="fakegoogle", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()  # releases requests waiting in a scripted delay
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeGoogle:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the fake first"
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """Root of every API the fake serves (Sheets, Drive, Gmail, OAuth)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def token_uri(self) -> str:
        return f"{self.base_url}/token"

    # -- principals -----------------------------------------------------------------------

    def new_service_account_key(
        self, email: str = "aduan-sync@kecamatan-jenawi.iam.gserviceaccount.com",
        token_uri: str | None = None,
    ) -> dict[str, str]:
        """A service-account key JSON whose public half the token endpoint trusts."""
        info, public_pem = new_service_account_key(email, token_uri or self.token_uri)
        self.oauth.register_service_account(email, public_pem, info["private_key_id"])
        return info

    def add_user(self, email: str, client_id: str, client_secret: str) -> str:
        """An OAuth client and a user who authorized it; returns the user's refresh token."""
        refresh = "1//fake-" + secrets.token_urlsafe(24)
        with self.oauth.lock:
            self.oauth.clients[client_id] = client_secret
            self.oauth.refresh_tokens[refresh] = email
        return refresh

    def access_token(self, principal: str) -> str:
        """A valid bearer token, for tests that call the API with plain HTTP."""
        return str(self.oauth.issue(principal)["access_token"])

    def revoke(self, principal: str) -> None:
        """The key was deleted in the Cloud Console / the user revoked access."""
        self.oauth.revoke(principal)

    # -- spreadsheets ---------------------------------------------------------------------

    def add_spreadsheet(
        self,
        headers: Sequence[Any] = (),
        rows: Iterable[Sequence[Any]] = (),
        *,
        title: str = DEFAULT_TITLE,
        worksheet: str = DEFAULT_WORKSHEET,
        time_zone: str = "Asia/Jakarta",
        locale: str = "id_ID",
        spreadsheet_id: str | None = None,
        row_count: int | None = None,
        col_count: int | None = None,
        extra_sheets: dict[str, list[list[Any]]] | None = None,
    ) -> str:
        """A spreadsheet whose first sheet holds `headers` then `rows` (values as stored:
        str, float/int, bool, naive datetime). Like a Forms response sheet, the grid is
        exactly as wide as the headers unless `col_count` says otherwise."""
        sid = spreadsheet_id or "1" + secrets.token_urlsafe(32).replace("-", "x")[:43]
        grid = [list(headers), *[list(r) for r in rows]] if headers else [list(r) for r in rows]
        sheets = [_sheet(0, worksheet, 0, grid, row_count, col_count)]
        for i, (name, data) in enumerate((extra_sheets or {}).items(), start=1):
            sheets.append(_sheet(i * 1000 + 7, name, i, data, None, None))
        with self.lock:
            self.spreadsheets[sid] = Spreadsheet(sid, title, locale, time_zone, sheets)
        return sid

    def spreadsheet(self, sid: str) -> Spreadsheet:
        return self.spreadsheets[sid]

    def sheet(self, sid: str, title: str | None = None) -> Sheet:
        ss = self.spreadsheets[sid]
        return ss.sheet(title) if title else ss.sheets[0]

    def values(self, sid: str, title: str | None = None) -> list[list[Any]]:
        """The stored grid (header row first), each row trimmed of trailing empty cells."""
        with self.lock:
            sh = self.sheet(sid, title)
            return sh.read(0, 0, sh.row_count, sh.col_count)

    def records(self, sid: str, title: str | None = None) -> list[dict[str, Any]]:
        """Data rows as {header: value}, for assertions that must not depend on positions."""
        grid = self.values(sid, title)
        if not grid:
            return []
        head = [str(h) for h in grid[0]]
        return [{h: (r[i] if i < len(r) else None) for i, h in enumerate(head)} for r in grid[1:]]

    def set_cell(self, sid: str, row: int, col: int, value: Any, title: str | None = None) -> None:
        """Write one stored value at 0-based sheet coordinates (a staff member typing).

        This helper and the ones below bump the spreadsheet's Drive `version`, as any edit
        does."""
        with self.lock:
            self.sheet(sid, title).set_cell(row, col, value)
            self.spreadsheets[sid].touch()

    def append_rows(self, sid: str, rows: Iterable[Sequence[Any]],
                    title: str | None = None) -> None:
        """New form submissions: rows after the last one, growing the grid like Forms does."""
        with self.lock:
            sh = self.sheet(sid, title)
            at = len(sh.read(0, 0, sh.row_count, sh.col_count))
            for i, row in enumerate(rows):
                if at + i >= sh.row_count:
                    sh.row_count = at + i + 1
                for c, v in enumerate(row):
                    sh.set_cell(at + i, c, v)
            self.spreadsheets[sid].touch()

    def insert_rows(self, sid: str, at: int, rows: Sequence[Sequence[Any]],
                    title: str | None = None) -> None:
        """Insert rows before 0-based sheet row `at` (a staff member inserting above)."""
        with self.lock:
            sh = self.sheet(sid, title)
            sh.insert("ROWS", at, at + len(rows))
            for i, row in enumerate(rows):
                for c, v in enumerate(row):
                    sh.set_cell(at + i, c, v)
            self.spreadsheets[sid].touch()

    def delete_rows(self, sid: str, at: int, count: int = 1, title: str | None = None) -> None:
        """Delete `count` rows from 0-based sheet row `at`."""
        with self.lock:
            self.sheet(sid, title).delete("ROWS", at, at + count)
            self.spreadsheets[sid].touch()

    def sort_rows(self, sid: str, key: Callable[[list[Any]], Any], *, reverse: bool = False,
                  title: str | None = None) -> None:
        """Sort the data rows (the header row stays), like Data > Sort range."""
        with self.lock:
            sh = self.sheet(sid, title)
            data = sh.read(1, 0, sh.row_count, sh.col_count)
            data.sort(key=key, reverse=reverse)
            sh.rows[1:] = data
            self.spreadsheets[sid].touch()

    def share(self, sid: str, email: str, role: str = "writer") -> None:
        """Restrict access to listed principals (the first call makes the sheet private)."""
        with self.lock:
            ss = self.spreadsheets[sid]
            ss.access = {**(ss.access or {}), email: role}

    def make_private(self, sid: str) -> None:
        with self.lock:
            self.spreadsheets[sid].access = {}

    # -- Drive and Gmail ------------------------------------------------------------------

    def add_file(self, content: bytes, name: str = "foto.jpg", mime_type: str = "image/jpeg",
                 *, file_id: str | None = None, readers: set[str] | None = None) -> str:
        fid = file_id or "1" + secrets.token_urlsafe(24).replace("-", "x")
        with self.lock:
            self.files[fid] = DriveFile(fid, name, mime_type, content, readers)
        return fid

    # -- scripting ------------------------------------------------------------------------

    def fail(self, endpoint: str = "sheets.*", nth: int = 1, times: int = 1,
             status: int | None = 503, **kw: Any) -> Fault:
        """Script a fault; see `control.Fault` for `retry_after`, `delay`, `drop`, `truncate`."""
        fault = Fault(endpoint, nth, times, status, **kw)
        with self.lock:
            self.faults.append(fault)
        return fault

    def before(self, endpoint: str, nth: int, callback: Callable[[FakeGoogle], None]) -> Hook:
        """Run `callback(fake)` just before the n-th request matching `endpoint`."""
        hook = Hook(endpoint, nth, callback)
        with self.lock:
            self.hooks.append(hook)
        return hook

    def count(self, pattern: str = "sheets.*") -> int:
        """Requests received whose endpoint matches `pattern` (default: the Sheets API)."""
        return self.log.count(pattern)

    def counts(self) -> Counter[str]:
        return self.log.counts()

    def requests(self, pattern: str = "*") -> list[LoggedRequest]:
        return self.log.of(pattern)


def _sheet(sheet_id: int, title: str, index: int, grid: list[list[Any]],
           row_count: int | None, col_count: int | None) -> Sheet:
    width = max((len(r) for r in grid), default=0)
    sh = Sheet(sheet_id, title, index, row_count or max(1000, len(grid)),
               col_count or max(width, 1))
    for r, row in enumerate(grid):
        for c, v in enumerate(row):
            sh.set_cell(r, c, v)
    return sh

