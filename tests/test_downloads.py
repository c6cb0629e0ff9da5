"""Attachments fetched by a pool of threads (issue 9): metadata in Drive batch requests, bytes
by `[attachments] parallel_downloads` threads on their own sessions; the ledger and the
archive folder come out the same whichever thread finishes first, a failure stays with its
file, request counts stay exact, and a pass killed between the rounds loses nothing."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from aduan_sync import archive, attachments, config, fanout
from aduan_sync.config import MAX_PARALLEL_DOWNLOADS
from aduan_sync.downloads import Fetcher
from aduan_sync.drive import DriveClient, DriveFile
from aduan_sync.errors import ConfigError
from aduan_sync.ledger import Ledger
from aduan_sync.pass_result import PassResult
from aduan_sync.records import Attachment
from aduan_sync.thread_sessions import SerializedRefresh
from tests.fakegoogle.fake import FakeGoogle
from tests.fakegoogle.forms import FORM_HEADERS, form_row
from tests.fakegoogle.passes import NOTE
from tests.fakegoogle.support import FakeClock, write_google_config
from tests.test_attachments import LINK, NOW, drive_asked, note_cell, photo, sync

pytest_plugins = ["tests.fakegoogle.fixtures"]


# -- helpers --------------------------------------------------------------------------------

def office(fake: FakeGoogle, key: Path, root: Path, rows: list[list[str]],
           **attachments_keys: Any) -> tuple[config.Config, str]:
    """A response sheet with one complaint per entry of `rows`, each linking those file IDs,
    and a config pointed at the fake (plus `[attachments]` keys)."""
    sheet = []
    for i, ids in enumerate(rows):
        row = form_row(i)
        row[FORM_HEADERS.index("Lampiran")] = ", ".join(LINK.format(f) for f in ids)
        sheet.append(row)
    sid = fake.add_spreadsheet(FORM_HEADERS, sheet)
    path = write_google_config(root, fake, key, sid)
    if attachments_keys:
        with path.open("a", encoding="utf-8") as fh:
            fh.write("\n[attachments]\n" + "".join(
                f"{k} = {v}\n" for k, v in attachments_keys.items()))
    return config.load(path), sid


def add_files(fake: FakeGoogle, n: int, name: str = "foto {}.jpg", seed: int = 0
              ) -> dict[str, bytes]:
    """`n` files on the fake Drive: file ID -> content."""
    files = {}
    for i in range(n):
        data = photo(500 + 37 * i, seed + i)
        files[fake.add_file(data, name.format(i))] = data
    return files


def chunks(ids: list[str], size: int) -> list[list[str]]:
    return [ids[i:i + size] for i in range(0, len(ids), size)]


def ledger_rows(cfg: config.Config) -> list[Attachment]:
    with Ledger(cfg.storage.ledger_path) as ledger:
        return ledger.attachments()


def stored(cfg: config.Config) -> dict[str, bytes]:
    """File ID -> the bytes archived under the name the ledger recorded for it."""
    with Ledger(cfg.storage.ledger_path) as ledger:
        by_id = {c.id: c for c in ledger.complaints()}
        return {a.file_id: (archive.folder_for(cfg.storage.archive_dir, by_id[a.complaint_id])
                            / archive.ATTACHMENTS_DIR / a.local_name).read_bytes()
                for a in ledger.attachments() if a.status == "done"}


def outer_requests(fake: FakeGoogle) -> int:
    """HTTP requests sent about attachments; a batch's inner calls, which the fake logs
    without headers of their own, are part of their batch's request."""
    return sum(1 for r in drive_asked(fake) if r.headers)


def _nothing(f: DriveFile) -> None:
    pass


def wrap_download(m: pytest.MonkeyPatch, before: Callable[[DriveFile], None] = _nothing,
                  after: Callable[[DriveFile], None] = _nothing) -> None:
    """Run `before(file)` and `after(file)` around each download, in its worker thread."""
    original = DriveClient.download

    def download(self: DriveClient, f: DriveFile, part: Path) -> None:
        before(f)
        original(self, f, part)
        after(f)

    m.setattr(DriveClient, "download", download)


def catatan(fake: FakeGoogle, sid: str) -> list[str]:
    return [str(r[NOTE] or "") for r in fake.records(sid)]


# -- concurrency ----------------------------------------------------------------------------

def test_many_files_are_fetched_by_bounded_threads_byte_identical_with_an_exact_request_count(
    fake_google, service_account_key, tmp_path
):
    files = add_files(fake_google, 132)
    cfg, _ = office(fake_google, service_account_key, tmp_path / "kantor",
                    chunks(list(files), 11), parallel_downloads=8)
    lock, running, most, threads = threading.Lock(), [0], [0], set()

    def count_in_flight(f: DriveFile) -> None:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
            threads.add(threading.current_thread().name)
        time.sleep(0.01)  # long enough for the others to start
        with lock:
            running[0] -= 1

    with pytest.MonkeyPatch.context() as m:
        wrap_download(m, before=count_in_flight)
        result = sync(cfg)

    assert result.exit_code == 0, result.to_json()
    assert result.attachments_downloaded == 132 and result.attachments_pending == 0
    assert stored(cfg) == files
    assert 1 < most[0] <= 8 and len(threads) <= 8
    assert all(name.startswith("lampiran") for name in threads)
    asked = [r.endpoint for r in drive_asked(fake_google)]
    assert asked.count("drive.batch") == 2  # 100 + 32 descriptions
    assert asked.count("drive.files.get") == 132 and asked.count("drive.files.download") == 132
    # Exact under concurrency: every HTTP request sent, counted once (a batch is one).
    assert result.drive_requests == 2 + 132 == outer_requests(fake_google)

    fake_google.log.clear()
    again = sync(cfg, NOW + timedelta(minutes=5))
    assert drive_asked(fake_google) == [] and again.drive_requests == 0


def test_one_file_failing_among_many_does_not_stop_the_others(
    fake_google, service_account_key, tmp_path
):
    files = add_files(fake_google, 30)
    locked = fake_google.add_file(photo(900, 99), "ktp.jpg", readers={"pemilik@example.com"})
    gone = "1GoneGoneGoneGoneGoneGone0"
    ids = list(files)
    ids[10:10] = [locked]
    ids[20:20] = [gone]
    cfg, sid = office(fake_google, service_account_key, tmp_path / "kantor", chunks(ids, 8),
                      parallel_downloads=6)
    result = sync(cfg)

    assert result.exit_code == 1
    assert result.attachments_downloaded == 30 and stored(cfg) == files
    assert len(result.errors) == 2
    assert "akses ditolak" in result.errors[0] and "tidak ditemukan" in result.errors[1]
    rows = {a.file_id: a for a in ledger_rows(cfg)}
    assert (rows[locked].status, rows[locked].attempts) == ("pending", 1)
    assert (rows[gone].status, rows[gone].attempts) == ("pending", 1)
    assert {a.status for fid, a in rows.items() if fid in files} == {"done"}


def test_a_failure_in_one_worker_thread_is_reported_for_its_file_only(
    fake_google, service_account_key, tmp_path
):
    files = add_files(fake_google, 12)
    ids = list(files)
    full_disk, bug = ids[3], ids[7]
    cfg, sid = office(fake_google, service_account_key, tmp_path / "kantor", chunks(ids, 4),
                      parallel_downloads=4)

    def fail_some(f: DriveFile) -> None:
        if f.file_id == full_disk:
            raise OSError(errno.ENOSPC, "No space left on device")
        if f.file_id == bug:
            raise RuntimeError("boom")

    with pytest.MonkeyPatch.context() as m:
        wrap_download(m, before=fail_some)
        first = sync(cfg)

    assert first.exit_code == 1 and first.attachments_downloaded == 10
    assert len(first.errors) == 2
    disk_error, bug_error = first.errors
    assert "tidak dapat disimpan di folder arsip" in disk_error
    assert "No space left on device" in disk_error
    assert "kesalahan program" in bug_error and "RuntimeError: boom" in bug_error
    rows = {a.file_id: a for a in ledger_rows(cfg)}
    assert (rows[full_disk].status, rows[full_disk].attempts) == ("pending", 0)  # our disk
    assert (rows[bug].status, rows[bug].attempts) == ("pending", 1)
    assert {a.status for fid, a in rows.items() if fid not in (full_disk, bug)} == {"done"}
    assert not any("Lampiran" in n for n in catatan(fake_google, sid))  # nothing for staff
    # The files that failed left no final name; the others are all in place.
    assert set(stored(cfg)) == set(ids) - {full_disk, bug}

    second = sync(cfg, NOW + timedelta(minutes=5))
    assert second.exit_code == 0 and second.attachments_downloaded == 2
    assert stored(cfg) == files


@pytest.mark.parametrize("first_done", ["last link first", "first link first"])
def test_names_ledger_and_archive_do_not_depend_on_which_thread_finishes_first(
    fake_google, service_account_key, tmp_path, first_done
):
    # Eight uploads that all want the same name: who gets "foto.jpg" is decided by link
    # order, never by which download finished first.
    ids = [fake_google.add_file(photo(700 + i, i), "Foto.jpg" if i % 2 else "foto.jpg",
                                file_id=f"1SameNameSameName{i:08d}") for i in range(8)]
    order = ids[::-1] if first_done == "last link first" else ids
    finished: list[str] = []
    turn = threading.Condition()

    def in_turn(f: DriveFile) -> None:
        # Eight threads, eight files: each download ends only once those before it in
        # `order` have ended, so the threads finish in exactly that order.
        with turn:
            assert turn.wait_for(lambda: len(finished) == order.index(f.file_id), timeout=10)
            finished.append(f.file_id)
            turn.notify_all()

    cfg, _ = office(fake_google, service_account_key, tmp_path / "kantor", [ids],
                    parallel_downloads=8)
    with pytest.MonkeyPatch.context() as m:
        wrap_download(m, after=in_turn)
        assert sync(cfg).exit_code == 0
    assert finished == order

    rows = ledger_rows(cfg)
    assert [(a.position, a.file_id, a.local_name) for a in rows] == [
        (i + 1, fid, name) for i, (fid, name) in enumerate(zip(ids, [
            "foto.jpg", "Foto (2).jpg", "foto (3).jpg", "Foto (4).jpg", "foto (5).jpg",
            "Foto (6).jpg", "foto (7).jpg", "Foto (8).jpg"], strict=True))]
    with Ledger(cfg.storage.ledger_path) as ledger:
        events = [e["detail"]["file_id"] for e in ledger.events()
                  if e["kind"] == "attachment_downloaded"]
        [c] = ledger.complaints()
    assert events == ids  # recorded in link order
    folder = archive.folder_for(cfg.storage.archive_dir, c)
    listed = json.loads((folder / "aduan.json").read_text(encoding="utf-8"))["lampiran"]
    assert [(e["id_berkas"], e["berkas"]) for e in listed] == [
        (a.file_id, f"lampiran/{a.local_name}") for a in rows]
    for a in rows:
        assert hashlib.sha256((folder / "lampiran" / a.local_name).read_bytes()).hexdigest() \
            == a.sha256 == hashlib.sha256(fake_google.files[a.file_id].content).hexdigest()


def test_drive_unavailable_mid_pass_stops_every_thread_without_using_up_attempts(
    fake_google, service_account_key, tmp_path
):
    files = add_files(fake_google, 20)
    cfg, _ = office(fake_google, service_account_key, tmp_path / "kantor",
                    chunks(list(files), 5), parallel_downloads=4)
    outage = fake_google.fail("drive.files.download", status=503, times=0)
    first = sync(cfg, clock=FakeClock())

    assert first.exit_code == 1 and first.attachments_downloaded == 0
    assert sum("Google Drive tidak dapat dihubungi" in e for e in first.errors) == 1  # once
    assert {(a.status, a.attempts) for a in ledger_rows(cfg)} == {("pending", 0)}
    assert first.drive_requests == outer_requests(fake_google)  # retries included, exactly
    fake_google.faults.remove(outage)
    second = sync(cfg, NOW + timedelta(minutes=5))
    assert second.exit_code == 0 and stored(cfg) == files


# -- batches of metadata --------------------------------------------------------------------

def test_a_file_a_batch_does_not_describe_is_asked_alone_and_classified_as_usual(
    fake_google, service_account_key, tmp_path
):
    files = add_files(fake_google, 3)
    locked = fake_google.add_file(photo(900, 9), "ktp.jpg", readers={"pemilik@example.com"})
    # The first description in the batch is refused for the rate (429): asked again alone.
    fake_google.before("drive.batch", 1, lambda fake: fake.fail("drive.files.get", status=429))
    cfg, sid = office(fake_google, service_account_key, tmp_path / "kantor",
                      [[*files, locked]])
    result = sync(cfg, clock=FakeClock())

    assert result.attachments_downloaded == 3 and stored(cfg) == files
    assert "akses ditolak" in note_cell(fake_google, sid)
    asked = drive_asked(fake_google, "drive.files.get")
    assert len(asked) == 4 + 2  # four in the batch, then the 429'd one and the 403'd alone
    assert result.drive_requests == outer_requests(fake_google) == 1 + 2 + 3


def test_without_a_batch_endpoint_each_file_is_described_alone(
    fake_google, service_account_key, tmp_path
):
    files = add_files(fake_google, 5)
    fake_google.fail("drive.batch", status=404, times=0)  # a gateway that has none
    cfg, _ = office(fake_google, service_account_key, tmp_path / "kantor", [list(files)])
    result = sync(cfg)
    assert result.exit_code == 0 and stored(cfg) == files
    asked = drive_asked(fake_google, "drive.files.get")
    assert len(asked) == 5
    assert result.drive_requests == 1 + 5 + 5
    # Google indents JSON answers unless asked not to.
    assert all(r.query.get("prettyPrint") == ["false"]
               for r in fake_google.requests("drive.files.get"))  # the sheet's version too


def test_the_fake_answers_a_batch_in_googles_format(fake_google, service_account_key):
    fid = fake_google.add_file(b"abc", "a.txt", "text/plain")
    session = _authorized(fake_google, service_account_key)
    body = ("--b1\r\nContent-Type: application/http\r\nContent-ID: <item-a>\r\n\r\n"
            f"GET /drive/v3/files/{fid}?fields=id,name,size HTTP/1.1\r\n\r\n"
            "--b1\r\nContent-Type: application/http\r\nContent-ID: <item-b>\r\n\r\n"
            "GET /drive/v3/files/1MissingMissingMissing0?fields=id HTTP/1.1\r\n\r\n"
            "--b1\r\nContent-Type: application/http\r\nContent-ID: <item-c>\r\n\r\n"
            f"GET /drive/v3/files/{fid}?alt=media HTTP/1.1\r\n\r\n--b1--\r\n")
    resp = session.post(f"{fake_google.base_url}/batch/drive/v3", data=body.encode(),
                        headers={"Content-Type": "multipart/mixed; boundary=b1"})
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("multipart/mixed; boundary=batch_")
    text = resp.text
    a, b, c = (text.index(f"Content-ID: <response-item-{k}>") for k in "abc")
    assert a < b < c
    assert "HTTP/1.1 200 OK" in text[a:b] and '"name": "a.txt"' in text[a:b]
    assert '"size": "3"' in text[a:b] and "mimeType" not in text[a:b]  # the field mask
    assert "HTTP/1.1 404 Not Found" in text[b:c]
    assert "HTTP/1.1 400 Bad Request" in text[c:]  # media is not batched
    assert [r.endpoint for r in fake_google.requests() if r.endpoint != "oauth.token"] == [
        "drive.files.get", "drive.files.get", "unknown", "drive.batch"]


def _authorized(fake: FakeGoogle, key: Path) -> requests.Session:
    from google.auth.transport.requests import AuthorizedSession

    from aduan_sync.google_auth import load_credentials

    creds = load_credentials(key, token_uri=fake.token_uri)
    return AuthorizedSession(creds.credentials)


# -- sessions and credentials ---------------------------------------------------------------

class _SlowToRefresh:
    """Credentials whose refresh takes a while and is counted."""

    def __init__(self) -> None:
        self.valid = False
        self.refreshes = 0
        self.applied = 0

    def refresh(self, request: object) -> None:
        self.refreshes += 1
        time.sleep(0.05)
        self.valid = True

    def before_request(self, request: object, method: str, url: str, headers: dict) -> None:
        assert self.valid
        self.applied += 1


def test_an_expired_token_is_refreshed_by_one_thread_while_the_others_wait():
    creds, lock = _SlowToRefresh(), threading.Lock()
    shared = [SerializedRefresh(creds, lock) for _ in range(16)]  # one per session
    threads = [threading.Thread(target=s.before_request, args=(None, "GET", "u", {}))
               for s in shared]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert creds.refreshes == 1 and creds.applied == 16


def test_a_token_expiring_mid_pass_is_asked_for_once_and_every_thread_uses_it(
    fake_google, service_account_key, tmp_path, monkeypatch
):
    files = add_files(fake_google, 24)
    cfg, _ = office(fake_google, service_account_key, tmp_path / "kantor",
                    chunks(list(files), 6), parallel_downloads=8)
    original = Fetcher.start

    def expire_then_download(self: Fetcher, jobs: Any) -> Any:
        session = self.clients.base.http.session
        creds = session.credentials  # type: ignore[attr-defined]  # shared by every thread
        creds.expiry = creds.expiry - timedelta(days=1)
        fake_google.log.clear()
        return original(self, jobs)

    monkeypatch.setattr(Fetcher, "start", expire_then_download)
    result = sync(cfg)
    assert result.exit_code == 0 and stored(cfg) == files
    assert fake_google.count("oauth.token") == 1
    assert len({r.headers["authorization"] for r in drive_asked(fake_google)}) == 1


def test_each_thread_has_its_own_session_with_the_sheets_proxy_and_ca_settings():
    from aduan_sync.google_http import GoogleHttp

    base = requests.Session()
    base.proxies = {"https": "http://proxy.kantor:3128"}
    base.verify = "/etc/ssl/kantor-ca.pem"
    http = GoogleHttp(base, timeout=7, retry_max_seconds=9, explain=lambda *a: "x")
    drive = DriveClient(http, "http://drive.example")
    twin = drive.sibling()
    assert twin.http.session is not base
    assert twin.http.session.proxies == base.proxies and twin.http.session.verify == base.verify
    assert (twin.http.timeout, twin.http.retry_max_seconds) == (7, 9)
    assert twin.base == drive.base and twin.http.requests == 0



def test_no_thread_of_the_pass_runs_when_it_asks_whether_it_may_fork(
    fake_google, service_account_key, tmp_path, monkeypatch
):
    """`fanout` forks only while no other thread runs: the pass stops the archive's worker
    pool (whose handler threads live in this process) and the download threads before the
    mail refresh after the downloads asks, so that the refresh renders on every core."""
    files = add_files(fake_google, 12)
    cfg, _ = office(fake_google, service_account_key, tmp_path / "kantor",
                    chunks(list(files), 4), parallel_downloads=4)
    seen: list[list[str]] = []
    real = fanout.workers_available

    def spy(force: bool = False) -> int:
        seen.append([t.name for t in threading.enumerate()
                     if t.name.startswith("lampiran") or "_handle_" in t.name])
        return real(True)  # this test's fake server runs threads of its own: fork anyway

    monkeypatch.setattr(fanout, "workers_available", spy)
    monkeypatch.setattr(fanout, "MIN_ITEMS", 1)  # a handful of complaints: fork all the same
    result = sync(cfg)
    assert result.exit_code == 0 and stored(cfg) == files
    assert len(seen) >= 3  # renderers, archive writers, the refresh of the staff mail
    assert all(names == [] for names in seen), seen


def test_no_worker_process_reads_the_ledger(fake_google, service_account_key, tmp_path,
                                           monkeypatch):
    """A forked worker shares the pass's SQLite connection, which only the pass may use: the
    files a formulir page or a mail lists are looked up by the pass and handed over."""
    files = add_files(fake_google, 12)
    cfg, _ = office(fake_google, service_account_key, tmp_path / "kantor",
                    chunks(list(files), 4), parallel_downloads=4)
    parent, log = os.getpid(), tmp_path / "sql-in-workers.txt"
    real_init = Ledger.__init__

    def traced(self: Ledger, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)

        def trace(sql: str) -> None:
            if os.getpid() != parent:  # a worker: it leaves through os._exit, so write now
                with open(log, "a", encoding="utf-8") as fh:
                    fh.write(f"{os.getpid()}: {sql}\n")

        self.db.set_trace_callback(trace)

    monkeypatch.setattr(Ledger, "__init__", traced)
    monkeypatch.setattr(fanout, "workers_available", lambda force=False: 2)
    monkeypatch.setattr(fanout, "MIN_ITEMS", 1)  # a handful of complaints: fork all the same
    forks = []
    real_pool = fanout._fork_pool
    monkeypatch.setattr(fanout, "_fork_pool",
                        lambda *a, **k: forks.append(real_pool(*a, **k)) or forks[-1])
    result = sync(cfg)
    assert result.exit_code == 0 and stored(cfg) == files
    assert sum(pool is not None for pool in forks) >= 3  # renderers, archive, mail refresh
    assert not log.exists(), log.read_text()[:2000]


def test_an_archive_that_cannot_be_written_keeps_the_files_pending_without_using_a_try(
    fake_google, service_account_key, tmp_path
):
    """The downloads run while the archive step writes the folders: when the archive cannot
    be written (here a file where the year's folder belongs), the downloads into those
    folders fail too, as the operator's storage problem. No try of the files is used up,
    and the pass after the operator's fix archives and downloads everything."""
    files = add_files(fake_google, 6)
    cfg, _ = office(fake_google, service_account_key, tmp_path / "kantor",
                    chunks(list(files), 2), parallel_downloads=4)
    year = cfg.storage.archive_dir / str(NOW.year)
    year.parent.mkdir(parents=True, exist_ok=True)
    year.write_text("bukan folder\n", encoding="utf-8")  # e.g. a backup tool's stray file
    result = sync(cfg)
    assert result.exit_code == 1 and result.archived == 0
    assert result.attachments_downloaded == 0 and result.attachments_pending == 6
    assert any(e.startswith("Arsip aduan") for e in result.errors), result.errors
    storage = [e for e in result.errors if "tidak dapat disimpan di folder arsip" in e]
    assert len(storage) == 6, result.errors
    assert {(a.status, a.attempts) for a in ledger_rows(cfg)} == {("pending", 0)}

    year.unlink()  # the operator takes the stray file away
    nxt = sync(cfg, NOW + timedelta(minutes=5))
    assert nxt.exit_code == 0, nxt.errors
    assert nxt.attachments_downloaded == 6 and stored(cfg) == files
    with Ledger(cfg.storage.ledger_path) as ledger:
        complaints = ledger.complaints()
    assert len(complaints) == 3 and all(c.archived_sha256 for c in complaints)
    assert [archive.verify_folder(cfg.storage.archive_dir, c) for c in complaints] == [[]] * 3

# -- a pass killed between the rounds --------------------------------------------------------

class _Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs (not even `except Exception`)."""


@pytest.mark.parametrize("where", ["after the downloads", "before the sync"])
def test_a_pass_killed_before_recording_its_downloads_loses_nothing_and_fetches_no_byte_again(
    fake_google, service_account_key, tmp_path, where
):
    files = add_files(fake_google, 10)
    cfg, _ = office(fake_google, service_account_key, tmp_path / "kantor",
                    chunks(list(files), 5), parallel_downloads=4)
    original = Fetcher.outcomes

    def die(*args: Any) -> None:
        if where == "after the downloads":  # every file complete in its `.part`, none renamed
            original(*args)
        raise _Killed  # else: renamed into place, not yet synced nor recorded

    with pytest.MonkeyPatch.context() as m, pytest.raises(_Killed):
        if where == "after the downloads":
            m.setattr(Fetcher, "outcomes", staticmethod(die))
        else:
            m.setattr(attachments, "flush_to_disk", die)
        sync(cfg)
    assert {a.status for a in ledger_rows(cfg)} == {"pending"}
    assert all(a.local_name for a in ledger_rows(cfg))  # named before any byte was fetched

    fake_google.log.clear()
    result: PassResult = sync(cfg, NOW + timedelta(minutes=5))
    assert result.exit_code == 0 and result.attachments_downloaded == 10
    assert fake_google.count("drive.files.download") == 0  # every byte was already here
    assert stored(cfg) == files
    leftovers = [p for p in (tmp_path / "kantor").rglob("*.part")]
    assert leftovers == []


# -- config ---------------------------------------------------------------------------------

def test_parallel_downloads_defaults_and_bounds(workspace):
    path = workspace / "aduan.toml"
    base = path.read_text(encoding="utf-8")
    assert config.load(path).attachments.parallel_downloads == 32
    path.write_text(base + "\n[attachments]\nparallel_downloads = 4\n", encoding="utf-8")
    assert config.load(path).attachments.parallel_downloads == 4
    for bad in (0, MAX_PARALLEL_DOWNLOADS + 1, '"8"'):
        path.write_text(base + f"\n[attachments]\nparallel_downloads = {bad}\n",
                        encoding="utf-8")
        with pytest.raises(ConfigError) as e:
            config.load(path)
        assert e.value.key == "attachments.parallel_downloads"
