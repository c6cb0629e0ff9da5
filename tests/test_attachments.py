"""Attachments (issue 8): files uploaded through the form, found in the answers, downloaded
from the fake Google's Drive endpoints over HTTP into the complaint's archive folder, safely
(names, size limit, checksums, `.part` files) and resumably; a second pass fetches nothing."""

from __future__ import annotations

import email
import email.policy
import hashlib
import json
import random
import stat
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from aduan_sync import archive, config
from aduan_sync.drive import (
    RESUMES_PER_PASS,
    DriveClient,
    DriveFile,
    DriveFileError,
    DriveUnavailableError,
    explain_failure,
)
from aduan_sync.errors import ConfigError
from aduan_sync.google_http import GoogleHttp
from aduan_sync.ledger import Ledger
from aduan_sync.pass_result import PassResult
from aduan_sync.passrun import run_pass
from aduan_sync.records import Attachment, Complaint, QueuedMessage
from aduan_sync.uploads import (
    MAX_NAME_BYTES,
    file_id_of,
    find_file_ids,
    safe_name,
    size_text,
)
from tests.conftest import FORM_HEADERS as XLSX_HEADERS
from tests.conftest import form_row as xlsx_row
from tests.conftest import write_book
from tests.fakegoogle.control import LoggedRequest
from tests.fakegoogle.fake import FakeGoogle
from tests.fakegoogle.forms import FORM_HEADERS, form_row
from tests.fakegoogle.passes import NOTE, make_source
from tests.fakegoogle.proxy import MitmProxy
from tests.fakegoogle.support import SA_EMAIL, FakeClock, write_google_config, write_key

pytest_plugins = ["tests.fakegoogle.fixtures"]

JAKARTA = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=JAKARTA)  # a Monday, an hour after the form row
LINK = "https://drive.google.com/open?id={}"


# -- helpers --------------------------------------------------------------------------------

def photo(size: int, seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(size)


def setup_office(fake: FakeGoogle, key: Path, tmp_path: Path, file_ids: list[str],
                 **attachments: Any) -> tuple[config.Config, str]:
    """A response sheet with one complaint whose `Lampiran` links `file_ids`, and a config
    pointed at the fake (plus an `[attachments]` section from `attachments`)."""
    row = form_row(0)
    row[FORM_HEADERS.index("Lampiran")] = ", ".join(LINK.format(f) for f in file_ids)
    sid = fake.add_spreadsheet(FORM_HEADERS, [row])
    path = write_google_config(tmp_path / "kantor", fake, key, sid)
    if attachments:
        with path.open("a", encoding="utf-8") as fh:
            fh.write("\n[attachments]\n" + "".join(f"{k} = {v}\n" for k, v in attachments.items()))
    return config.load(path), sid


def sync(cfg: config.Config, now: datetime = NOW, clock: FakeClock | None = None) -> PassResult:
    """One cron-style pass through a fresh Google source on a fake clock."""
    return run_pass(cfg, now=now, source=make_source(cfg, clock), env={})


def complaint(cfg: config.Config) -> Complaint:
    with Ledger(cfg.storage.ledger_path) as ledger:
        return ledger.complaints()[0]


def rows_of(cfg: config.Config) -> list[Attachment]:
    with Ledger(cfg.storage.ledger_path) as ledger:
        return ledger.attachments()


def folder(cfg: config.Config) -> Path:
    return archive.folder_for(cfg.storage.archive_dir, complaint(cfg))


def record(cfg: config.Config) -> dict[str, Any]:
    return json.loads((folder(cfg) / "aduan.json").read_text(encoding="utf-8"))


def tree(root: Path) -> dict[str, tuple[str, int]]:
    return {str(p.relative_to(root)): (hashlib.sha256(p.read_bytes()).hexdigest(),
                                       p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


def drive_asked(fake: FakeGoogle, pattern: str = "drive.*") -> list[LoggedRequest]:
    """Drive requests about attachments (a pass may also ask Drive its sheet's version)."""
    return [r for r in fake.requests(pattern)
            if r.path.rsplit("/", 1)[-1] not in fake.spreadsheets]


def note_cell(fake: FakeGoogle, sid: str) -> str:
    return str(fake.records(sid)[0][NOTE] or "")


def ppid_mail(cfg: config.Config) -> email.message.EmailMessage:
    [path] = cfg.mail.outbox_dir.glob("*.ppid-notification.*.eml")
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(msg, email.message.EmailMessage)
    return msg


# -- links and names (pure) -----------------------------------------------------------------

def test_drive_links_are_found_in_any_answer_lampiran_first_each_once():
    a, b, c, d = ("1AAAAAAAAAAAAAAAAAAAAAA", "1BBBBBBBBBBBBBBBBBBBBBB",
                  "1CCCCCCCCCCCCCCCCCCCCCC", "1DDDDDDDDDDDDDDDDDDDDDD")
    answers = {
        "text": f"Foto lain: https://drive.google.com/file/d/{c}/view?usp=sharing ya",
        "attachment": f"{LINK.format(a)}, {LINK.format(b)}, {LINK.format(a)}",
    }
    extra = [("Bukti Tambahan", f"https://drive.google.com/uc?id={d}&export=download")]
    assert find_file_ids(answers, extra) == [a, b, c, d]


@pytest.mark.parametrize("url", [
    "https://drive.google.com.evil.example/open?id=1AAAAAAAAAAAAAAAAAAAAAA",
    "https://evil.example/open?id=1AAAAAAAAAAAAAAAAAAAAAA",
    "https://drive.google.com/drive/folders/1AAAAAAAAAAAAAAAAAAAAAA",
    "https://drive.google.com/open?id=../../etc/passwd",
    "https://drive.google.com/open?id=short",
    "javascript:alert(1)//drive.google.com/open?id=1AAAAAAAAAAAAAAAAAAAAAA",
    "ftp://drive.google.com/open?id=1AAAAAAAAAAAAAAAAAAAAAA",
])
def test_links_that_are_not_drive_files_are_not_attachments(url):
    assert file_id_of(url) is None


@pytest.mark.parametrize("name,expected", [
    ("../../etc/passwd", "etc_passwd"),
    ("..\\..\\Windows\\win.ini", "Windows_win.ini"),
    ("CON.jpg", "_CON.jpg"),
    ("nul", "_nul"),
    ("com1.tar.gz", "_com1.tar.gz"),
    ("LPT9 .png", "_LPT9.png"),
    (".bashrc", "bashrc"),
    ("...", "lampiran"),
    ("", "lampiran"),
    ("foto\x00jalan.jpg", "foto_jalan.jpg"),
    ("foto\r\njalan\t2.jpg", "foto_jalan_2.jpg"),
    ("laporan\u202egpj.exe", "laporan_gpj.exe"),  # a right-to-left override hides ".exe"
    ("longsor 🌧️ di jalan 👨‍👩‍👧.jpg", "longsor 🌧️ di jalan 👨‍👩‍👧.jpg"),
    ("jalan  rusak   parah.JPG", "jalan rusak parah.JPG"),
    ("foto:jalan?*.jpg", "foto_jalan.jpg"),
    ("trailing dot. ", "trailing dot"),
])
def test_hostile_names_become_safe_file_names(name, expected):
    assert safe_name(name) == expected


@pytest.mark.parametrize("name,ext", [("a" * 300 + ".jpg", ".jpg"), ("😀" * 300 + ".png", ".png"),
                                      ("é" * 299 + ".pdf", ".pdf"), ("é" * 300, "é")])
def test_long_names_are_cut_to_the_byte_limit_keeping_the_extension(name, ext):
    short = safe_name(name)
    assert MAX_NAME_BYTES - 4 <= len(short.encode("utf-8")) <= MAX_NAME_BYTES
    assert short.endswith(ext) and short[0] == name[0]  # whole characters only


def test_names_are_deduplicated_without_regard_to_case():
    assert safe_name("foto.jpg", ["FOTO.JPG"]) == "foto (2).jpg"
    assert safe_name("Foto.jpg", ["foto.jpg", "foto (2).jpg"]) == "Foto (3).jpg"
    long = "b" * 300 + ".jpg"
    first = safe_name(long)
    second = safe_name(long, [first])
    assert second != first and second.endswith(" (2).jpg")
    assert len(second.encode()) <= MAX_NAME_BYTES


def test_sizes_read_the_indonesian_way():
    assert [size_text(n) for n in (None, 512, 1536, 25 * 1024 * 1024, 3 * 1024 ** 3)] == [
        "", "512 byte", "1,5 KB", "25,0 MB", "3,0 GB"]


# -- config ---------------------------------------------------------------------------------

def test_attachments_config_defaults_and_validation(workspace):
    path = workspace / "aduan.toml"
    base = path.read_text(encoding="utf-8")
    cfg = config.load(path)
    assert (cfg.attachments.max_mb, cfg.attachments.max_attempts,
            cfg.attachments.max_files) == (25.0, 5, 20)
    assert cfg.attachments.max_bytes == 25 * 1024 * 1024
    for bad, key in (("max_mb = 0", "attachments.max_mb"),
                     ("max_attempts = 0", "attachments.max_attempts"),
                     ("max_mbs = 10", "attachments.max_mbs")):
        path.write_text(base + f"\n[attachments]\n{bad}\n", encoding="utf-8")
        with pytest.raises(ConfigError) as e:
            config.load(path)
        assert e.value.key == key


# -- whole passes against the fake Drive ----------------------------------------------------

def test_two_photos_are_archived_byte_identical_with_checksums_and_a_second_pass_fetches_nothing(
    fake_google, service_account_key, tmp_path
):
    road, slide = photo(300_000, 1), photo(70_001, 2)
    ids = [fake_google.add_file(road, "jalan rusak.jpg"),
           fake_google.add_file(slide, "longsor.png", "image/png")]
    cfg, sid = setup_office(fake_google, service_account_key, tmp_path, ids)

    first = sync(cfg)
    assert first.exit_code == 0, first.to_json()
    assert first.attachments_downloaded == 2 and first.attachments_pending == 0
    asked = [r.endpoint for r in drive_asked(fake_google)]
    assert asked.count("drive.batch") == 1 and asked.count("drive.files.get") == 2  # batched
    assert asked.count("drive.files.download") == 2
    assert first.drive_requests == 3  # HTTP requests: one batch, two downloads

    files = folder(cfg) / "lampiran"
    assert (files / "jalan rusak.jpg").read_bytes() == road
    assert (files / "longsor.png").read_bytes() == slide
    assert sorted(p.name for p in files.iterdir()) == ["jalan rusak.jpg", "longsor.png"]
    assert stat.S_IMODE(files.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in files.iterdir()} == {0o600}
    listed = record(cfg)["lampiran"]
    assert [(e["berkas"], e["ukuran_byte"], e["jenis_mime"], e["sha256"], e["tautan"],
             e["status"]) for e in listed] == [
        ("lampiran/jalan rusak.jpg", 300_000, "image/jpeg", hashlib.sha256(road).hexdigest(),
         LINK.format(ids[0]), "tersimpan"),
        ("lampiran/longsor.png", 70_001, "image/png", hashlib.sha256(slide).hexdigest(),
         LINK.format(ids[1]), "tersimpan")]
    blob = (folder(cfg) / "aduan.json").read_bytes()
    assert complaint(cfg).archived_sha256 == hashlib.sha256(blob).hexdigest()

    before = tree(tmp_path / "kantor")
    fake_google.log.clear()
    second = sync(cfg, NOW + timedelta(minutes=5))
    assert drive_asked(fake_google) == [] and second.drive_requests == 0
    assert second.exit_code == 0 and not second.changed
    # The first pass confirmed its own write-back (idle.py): no pass after it changes a file.
    assert tree(tmp_path / "kantor") == before
    sync(cfg, NOW + timedelta(minutes=10))
    assert tree(tmp_path / "kantor") == before


def test_ppid_notification_lists_each_file_with_name_size_and_link(
    fake_google, service_account_key, tmp_path
):
    road = photo(300_000)
    ids = [fake_google.add_file(road, "jalan rusak.jpg"), "1GoneGoneGoneGoneGoneGone"]
    cfg, _ = setup_office(fake_google, service_account_key, tmp_path, ids)
    sync(cfg)
    msg = ppid_mail(cfg)
    text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")  # type: ignore[union-attr]
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert (f"  - jalan rusak.jpg ({size_text(300_000)}), tersimpan di arsip\n"
            f"    {LINK.format(ids[0])}\n") in text
    assert (f"  - Berkas ke-2, belum dapat diunduh (lihat Catatan)\n"
            f"    {LINK.format(ids[1])}\n") in text
    assert "tidak ditemukan di Google Drive" in text  # the Catatan, as of this pass
    assert f'<a href="{LINK.format(ids[0])}" style="color:#1d4ed8;">jalan rusak.jpg</a>' in html
    assert "293,0 KB" in html


def test_a_file_not_shared_is_noted_in_catatan_retried_and_the_note_goes_once_it_downloads(
    fake_google, service_account_key, tmp_path
):
    secret = photo(10_000, 3)
    ok = fake_google.add_file(photo(5_000, 4), "ok.jpg")
    locked = fake_google.add_file(secret, "ktp.jpg", readers={"pemilik@example.com"})
    cfg, sid = setup_office(fake_google, service_account_key, tmp_path, [locked, ok])

    first = sync(cfg)
    assert first.exit_code == 1
    assert first.attachments_downloaded == 1  # the pass went on with the other file
    assert (folder(cfg) / "lampiran" / "ok.jpg").is_file()
    assert not (folder(cfg) / "lampiran" / "ktp.jpg").exists()
    note = note_cell(fake_google, sid)
    assert "akses ditolak" in note and SA_EMAIL in note
    assert any("akses ditolak" in e for e in first.errors)
    row = next(a for a in rows_of(cfg) if a.file_id == locked)
    assert (row.status, row.attempts) == ("pending", 1)

    assert sync(cfg, NOW + timedelta(minutes=5)).exit_code == 1
    assert next(a for a in rows_of(cfg) if a.file_id == locked).attempts == 2

    fake_google.files[locked].readers = None  # staff shared the upload folder
    third = sync(cfg, NOW + timedelta(minutes=10))
    assert third.exit_code == 0 and third.attachments_downloaded == 1
    assert (folder(cfg) / "lampiran" / "ktp.jpg").read_bytes() == secret
    assert "akses ditolak" not in note_cell(fake_google, sid)
    assert "akses ditolak" not in complaint(cfg).note


def test_a_deleted_file_is_tried_max_attempts_times_then_given_up(
    fake_google, service_account_key, tmp_path
):
    gone = "1DeletedDeletedDeleted00"
    cfg, sid = setup_office(fake_google, service_account_key, tmp_path, [gone], max_attempts=3)
    for i in range(3):
        result = sync(cfg, NOW + timedelta(minutes=5 * i))
        assert result.exit_code == 1
    assert len(drive_asked(fake_google, "drive.files.get")) == 3
    row = rows_of(cfg)[0]
    assert (row.status, row.attempts) == ("failed", 3)
    note = note_cell(fake_google, sid)
    assert "tidak ditemukan di Google Drive" in note and "dihentikan setelah 3 kali" in note
    assert record(cfg)["lampiran"][0]["status"] == "gagal diunduh"

    fake_google.log.clear()
    fourth = sync(cfg, NOW + timedelta(minutes=20))
    assert drive_asked(fake_google) == []
    assert fourth.exit_code == 0


def test_an_oversize_file_is_refused_from_its_metadata_without_any_download_request(
    fake_google, service_account_key, tmp_path
):
    video = fake_google.add_file(photo(200_000), "video.mp4", "video/mp4")
    cfg, sid = setup_office(fake_google, service_account_key, tmp_path, [video], max_mb=0.125)
    first = sync(cfg)
    assert first.exit_code == 1
    assert len(drive_asked(fake_google, "drive.files.get")) == 1
    assert fake_google.count("drive.files.download") == 0
    assert not (folder(cfg) / "lampiran" / "video.mp4").exists()
    assert "melebihi batas 128,0 KB" in note_cell(fake_google, sid)
    entry = record(cfg)["lampiran"][0]
    assert (entry["status"], entry["ukuran_byte"], entry["nama_asli"]) == (
        "terlalu besar", 200_000, "video.mp4")

    fake_google.log.clear()
    assert sync(cfg, NOW + timedelta(minutes=5)).exit_code == 0
    assert drive_asked(fake_google) == []  # not asked again until the limit is raised


def test_a_file_that_grew_after_its_metadata_is_never_streamed_past_its_announced_size(
    fake_google, service_account_key, tmp_path
):
    fid = fake_google.add_file(photo(50_000), "foto.jpg")
    cfg, _ = setup_office(fake_google, service_account_key, tmp_path, [fid])

    def grow(fake: FakeGoogle) -> None:
        fake.files[fid].content = photo(5_000_000, 9)

    fake_google.before("drive.files.download", 1, grow)
    result = sync(cfg)
    assert result.exit_code == 1 and any("tidak utuh" in e for e in result.errors)
    [download] = fake_google.requests("drive.files.download")
    assert download.headers["range"] == "bytes=0-49999"  # never more than announced
    files = folder(cfg) / "lampiran"
    assert list(files.iterdir()) == []  # neither a final file nor a .part


def test_a_file_whose_bytes_do_not_match_drives_checksum_is_discarded_and_fetched_again(
    fake_google, service_account_key, tmp_path
):
    good = photo(40_000, 5)
    fid = fake_google.add_file(good, "foto.jpg")
    cfg, sid = setup_office(fake_google, service_account_key, tmp_path, [fid])
    # The bytes change between the metadata and the download (same size, other content).
    fake_google.before("drive.files.download", 1,
                       lambda fake: setattr(fake.files[fid], "content", photo(40_000, 6)))
    first = sync(cfg)
    assert first.exit_code == 1
    assert "tidak utuh" in note_cell(fake_google, sid)
    assert list((folder(cfg) / "lampiran").iterdir()) == []
    fake_google.files[fid].content = good
    second = sync(cfg, NOW + timedelta(minutes=5))
    assert second.exit_code == 0
    assert (folder(cfg) / "lampiran" / "foto.jpg").read_bytes() == good
    assert "tidak utuh" not in note_cell(fake_google, sid)


def test_a_download_cut_off_half_way_leaves_no_final_file_and_resumes_on_the_next_pass(
    fake_google, service_account_key, tmp_path
):
    data = photo(1_000_000, 7)
    fid = fake_google.add_file(data, "banjir.jpg")
    cfg, _ = setup_office(fake_google, service_account_key, tmp_path, [fid])
    cut = fake_google.fail("drive.files.download", status=None, truncate=100_000, times=0)

    first = sync(cfg)
    files = folder(cfg) / "lampiran"
    part = files / f".{fid}.part"
    assert not (files / "banjir.jpg").exists()
    assert 0 < part.stat().st_size < len(data)
    assert part.read_bytes() == data[:part.stat().st_size]
    assert fake_google.count("drive.files.download") == 1 + RESUMES_PER_PASS
    assert (rows_of(cfg)[0].status, rows_of(cfg)[0].attempts) == ("pending", 0)
    assert first.attachments_pending == 1
    [listed] = record(cfg)["lampiran"]
    assert listed["status"] == "belum diunduh" and "berkas" not in listed

    fake_google.faults.remove(cut)
    have = part.stat().st_size
    fake_google.log.clear()
    second = sync(cfg, NOW + timedelta(minutes=5))
    [resumed] = fake_google.requests("drive.files.download")
    assert resumed.headers["range"] == f"bytes={have}-{len(data) - 1}"
    assert second.attachments_downloaded == 1
    assert (files / "banjir.jpg").read_bytes() == data
    assert not part.exists()


def test_a_download_cut_once_resumes_within_the_same_pass(
    fake_google, service_account_key, tmp_path
):
    data = photo(400_000, 8)
    fid = fake_google.add_file(data, "foto.jpg")
    cfg, _ = setup_office(fake_google, service_account_key, tmp_path, [fid])
    fake_google.fail("drive.files.download", status=None, truncate=200_000, times=1)
    result = sync(cfg)
    assert result.exit_code == 0 and result.attachments_downloaded == 1
    first, second = fake_google.requests("drive.files.download")
    assert first.headers["range"] == "bytes=0-399999"
    assert second.headers["range"].startswith("bytes=") and not second.headers[
        "range"].startswith("bytes=0-")
    assert (folder(cfg) / "lampiran" / "foto.jpg").read_bytes() == data


def test_hostile_file_names_land_inside_the_folder_under_safe_unique_names(
    fake_google, service_account_key, tmp_path
):
    names = ["../../etc/passwd", "CON.jpg", ".bashrc", "x" * 300 + ".jpg",
             "foto\x00\njalan.jpg", "longsor 🌧️.jpg", "Foto.JPG", "foto.jpg"]
    contents = {n: photo(1000 + i, i) for i, n in enumerate(names)}
    ids = [fake_google.add_file(contents[n], n) for n in names]
    cfg, _ = setup_office(fake_google, service_account_key, tmp_path, ids)
    assert sync(cfg).exit_code == 0
    files = folder(cfg) / "lampiran"
    on_disk = sorted(p.name for p in files.iterdir())
    assert on_disk == sorted(["etc_passwd", "_CON.jpg", "bashrc", "x" * 116 + ".jpg",
                              "foto_jalan.jpg", "longsor 🌧️.jpg", "Foto.JPG", "foto (2).jpg"])
    by_original = {e["nama_asli"]: e for e in record(cfg)["lampiran"]}
    for n in names:
        stored = tmp_path / "kantor" / "arsip" / "2026" / folder(cfg).name / by_original[n][
            "berkas"]
        assert stored.resolve().parent == files.resolve()
        assert stored.read_bytes() == contents[n]
    assert not any(p.name == "passwd" for p in tmp_path.rglob("*"))


def test_drive_unreachable_stops_the_downloads_without_using_up_attempts(
    fake_google, service_account_key, tmp_path
):
    fid = fake_google.add_file(photo(1000), "foto.jpg")
    cfg, _ = setup_office(fake_google, service_account_key, tmp_path, [fid])
    outage = fake_google.fail("drive.*", status=503, times=0)
    clock = FakeClock()
    first = sync(cfg, clock=clock)
    assert first.exit_code == 1
    assert any("Google Drive tidak dapat dihubungi" in e for e in first.errors)
    assert clock.sleeps and sum(clock.sleeps) <= cfg.source.retry_max_seconds
    assert rows_of(cfg)[0].attempts == 0
    fake_google.faults.remove(outage)
    assert sync(cfg, NOW + timedelta(minutes=5)).attachments_downloaded == 1


def test_a_file_renamed_into_place_by_a_pass_that_died_is_adopted_without_downloading_again(
    fake_google, service_account_key, tmp_path
):
    data = photo(20_000)
    fid = fake_google.add_file(data, "foto.jpg")
    cfg, _ = setup_office(fake_google, service_account_key, tmp_path, [fid])
    sync(cfg)
    with Ledger(cfg.storage.ledger_path) as ledger, ledger.transaction() as db:
        ledger.update_attachment(db, rows_of(cfg)[0].id, NOW, status="pending", sha256="")
    fake_google.log.clear()
    result = sync(cfg, NOW + timedelta(minutes=5))
    assert len(drive_asked(fake_google, "drive.files.get")) == 1
    assert fake_google.count("drive.files.download") == 0
    assert result.attachments_downloaded == 1 and rows_of(cfg)[0].status == "done"


def test_a_pass_that_died_before_listing_a_download_in_aduan_json_is_repaired_by_the_next(
    fake_google, service_account_key, tmp_path
):
    data = photo(20_000)
    fid = fake_google.add_file(data, "foto.jpg")
    cfg, _ = setup_office(fake_google, service_account_key, tmp_path, [fid])
    sync(cfg)
    listed = (folder(cfg) / "aduan.json").read_bytes()
    # As the ledger and disk are when a pass dies between the download and the rewrite.
    stale = dict(record(cfg))
    del stale["lampiran"]
    (folder(cfg) / "aduan.json").write_text(json.dumps(stale), encoding="utf-8")
    with Ledger(cfg.storage.ledger_path) as ledger, ledger.transaction() as db:
        ledger.update_complaint(db, complaint(cfg).id, archived_sha256=None)
    fake_google.log.clear()
    result = sync(cfg, NOW + timedelta(minutes=5))
    assert drive_asked(fake_google) == [] and result.archived == 1
    assert (folder(cfg) / "aduan.json").read_bytes() == listed


def test_more_links_than_max_files_are_capped_with_a_note(
    fake_google, service_account_key, tmp_path
):
    ids = [fake_google.add_file(photo(100, i), f"f{i}.jpg") for i in range(3)]
    cfg, sid = setup_office(fake_google, service_account_key, tmp_path, ids, max_files=2)
    assert sync(cfg).attachments_downloaded == 2
    assert [a.file_id for a in rows_of(cfg)] == ids[:2]
    assert "hanya 2 yang pertama" in note_cell(fake_google, sid)


def test_downloads_go_through_an_https_proxy_with_only_the_sheets_proxy_settings(
    fake_google, tmp_path, monkeypatch
):
    data = photo(50_000)
    fid = fake_google.add_file(data, "foto.jpg")
    row = form_row(0)
    row[FORM_HEADERS.index("Lampiran")] = LINK.format(fid)
    sid = fake_google.add_spreadsheet(FORM_HEADERS, [row])
    info = fake_google.new_service_account_key(SA_EMAIL,
                                               token_uri="https://oauth2.googleapis.com/token")
    key = write_key(tmp_path / "secrets" / "proxied.json", info)
    cfg = config.load(write_google_config(tmp_path / "kantor", None, key, sid))
    assert cfg.source.drive_endpoint == ""  # Google's real host name, through the proxy
    with MitmProxy(fake_google.port, tmp_path) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(proxy.ca_file))
        monkeypatch.delenv("HTTPLIB2_CA_CERTS", raising=False)
        result = sync(cfg)
    assert result.exit_code == 0 and result.attachments_downloaded == 1
    assert "www.googleapis.com:443" in proxy.connects and proxy.tls_errors == []
    assert {r.headers["host"] for r in fake_google.requests("drive.*")} == {"www.googleapis.com"}
    assert (folder(cfg) / "lampiran" / "foto.jpg").read_bytes() == data


def test_on_the_xlsx_source_links_are_recorded_and_listed_but_never_fetched(workspace, cfg):
    fid = "1XlsxXlsxXlsxXlsxXlsx0000"
    row = xlsx_row(datetime(2026, 11, 23, 8, 0),
                   "Jalan desa rusak parah dan berlubang, mohon segera diperbaiki.")
    row[XLSX_HEADERS.index("Lampiran")] = LINK.format(fid)
    write_book(workspace / "form.xlsx", XLSX_HEADERS, [row])
    now = datetime(2026, 11, 24, 9, 0, tzinfo=JAKARTA)
    result = run_pass(cfg, now=now, env={})
    assert result.exit_code == 0 and result.drive_requests == 0
    [entry] = record(cfg)["lampiran"]
    assert entry == {"urutan": 1, "id_berkas": fid, "tautan": LINK.format(fid),
                     "status": "belum diunduh"}
    assert not (folder(cfg) / "lampiran").exists()
    before = tree(workspace)
    again = run_pass(cfg, now=now + timedelta(minutes=5), env={})
    assert not again.changed and tree(workspace) == before


def test_a_message_already_tried_is_never_refreshed(tmp_path):
    with Ledger(tmp_path / "l.db") as ledger:
        msg = QueuedMessage("<a@x>", "ppid_notification", ["p@x.id"], "S", b"v1")
        with ledger.transaction() as db:
            ledger.queue_message(db, msg, complaint_id=None, register_no="", now=NOW)
        assert ledger.refresh_queued(QueuedMessage("<a@x>", "k", [], "S", b"v2"))
        [stored] = ledger.messages()
        ledger.mark_sending(stored.id, NOW)
        assert not ledger.refresh_queued(QueuedMessage("<a@x>", "k", [], "S", b"v3"))
        assert ledger.messages()[0].eml == b"v2"


# -- the Drive client against a server that ignores Range -----------------------------------

class _Flood(BaseHTTPRequestHandler):
    """Answers any GET with 200 and an endless body (a server that ignores `Range`)."""

    protocol_version = "HTTP/1.1"
    sent = 0

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self.send_response(200)
        self.send_header("Content-Length", str(64 * 1024 * 1024))
        self.end_headers()
        block = b"\0" * 65536
        try:
            for _ in range(1024):
                self.wfile.write(block)
                type(self).sent += len(block)
        except OSError:
            pass


@pytest.fixture
def flood(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flood)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _Disabled(BaseHTTPRequestHandler):
    """Answers like Google when the Drive API is not enabled for the project."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        body = json.dumps({"error": {"code": 403, "status": "PERMISSION_DENIED",
                                     "message": "Google Drive API has not been used",
                                     "details": [{"reason": "SERVICE_DISABLED"}]}}).encode()
        self.send_response(403)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def drive_on(handler: type[BaseHTTPRequestHandler]) -> tuple[DriveClient, ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    clock = FakeClock()
    http = GoogleHttp(requests.Session(), timeout=5, retry_max_seconds=1, explain=explain_failure,
                      sleep=clock.sleep, monotonic=clock.monotonic)
    return DriveClient(http, f"http://127.0.0.1:{server.server_address[1]}"), server


def test_a_disabled_drive_api_stops_all_downloads_instead_of_failing_one_file(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    drive, server = drive_on(_Disabled)
    try:
        with pytest.raises(DriveUnavailableError, match="Google Drive API belum diaktifkan"):
            drive.metadata("1SomeFileSomeFileSome00")
    finally:
        server.shutdown()
        server.server_close()


def test_an_empty_upload_is_a_complete_file_without_a_download_request(tmp_path):
    drive = DriveClient(GoogleHttp(requests.Session(), timeout=1, retry_max_seconds=0,
                                   explain=explain_failure), "http://127.0.0.1:9")
    empty = hashlib.sha256(b"").hexdigest()
    part = tmp_path / ".e.part"
    drive.download(DriveFile("1EmptyEmptyEmptyEmpty00", "kosong.txt", "text/plain", 0, empty,
                             "", False), part)
    assert part.read_bytes() == b"" and drive.http.requests == 0


def test_streaming_stops_as_soon_as_a_server_sends_more_than_announced(flood, tmp_path):
    clock = FakeClock()
    http = GoogleHttp(requests.Session(), timeout=5, retry_max_seconds=1,
                      explain=lambda *a: "x", sleep=clock.sleep, monotonic=clock.monotonic)
    drive = DriveClient(http, flood)
    f = DriveFile("1FloodFloodFloodFlood00", "x.bin", "application/octet-stream", 100_000,
                  "", "", False)
    part = tmp_path / ".x.part"
    with pytest.raises(DriveFileError) as e:
        drive.download(f, part)
    assert e.value.kind == "broken"
    assert part.stat().st_size == 0  # nothing kept of a body that was not the file
    assert _Flood.sent < 32 * 1024 * 1024  # gave up long before the 64 MB body ended
