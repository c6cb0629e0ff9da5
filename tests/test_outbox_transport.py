"""The "outbox" backend: each message an .eml file, private, atomic, named by Message-ID."""

from __future__ import annotations

import email.policy
import stat
from email.message import EmailMessage
from pathlib import Path

import pytest

from aduan_sync.config import Config
from aduan_sync.errors import MailConnectionError, MailPermanentError
from aduan_sync.mail.outbox import OutboxTransport, eml_filename
from aduan_sync.mail.transport import open_transport

PPID = "ppid@kecamatan-jenawi.example"


def message(message_id: str | None = "<aduan.007-ADUAN-XI-2026.ppid@jenawi.test>",
            body: str = "Aduan baru telah diterima.\n") -> EmailMessage:
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = PPID
    msg["To"] = PPID
    msg["Subject"] = "[Aduan 007/ADUAN/XI/2026] Aduan baru — Dusun Ngrambe 🚧"
    if message_id:
        msg["Message-ID"] = message_id
    msg.set_content(body)
    return msg


def parse(path: Path) -> EmailMessage:
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.SMTP)
    assert isinstance(msg, EmailMessage)
    return msg


def test_message_becomes_a_private_eml_file_named_by_its_message_id(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    body = "Yth. Bapak Sugiyanto,\nAduan Anda kami terima 🙏.\n"
    with OutboxTransport(outbox) as t:
        assert t.send(message(body=body), [PPID]) == {}
    files = list(outbox.iterdir())
    assert [f.name for f in files] == ["aduan.007-ADUAN-XI-2026.ppid@jenawi.test.eml"]
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(outbox.stat().st_mode) == 0o700
    got = parse(files[0])
    assert got["Subject"] == "[Aduan 007/ADUAN/XI/2026] Aduan baru — Dusun Ngrambe 🚧"
    assert got.get_content().replace("\r\n", "\n") == body


def test_existing_outbox_folder_is_made_private(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    outbox.mkdir(mode=0o755)
    outbox.chmod(0o755)
    with OutboxTransport(outbox) as t:
        t.send(message(), [PPID])
    assert stat.S_IMODE(outbox.stat().st_mode) == 0o700


def test_sending_the_same_message_again_rewrites_one_file(tmp_path: Path) -> None:
    with OutboxTransport(tmp_path) as t:
        t.send(message(), [PPID])
        first = (tmp_path / "aduan.007-ADUAN-XI-2026.ppid@jenawi.test.eml").read_bytes()
        t.send(message(), [PPID])  # e.g. resent after a crash in the send window
    files = list(tmp_path.iterdir())
    assert len(files) == 1  # no duplicate, and no temporary file left behind
    assert files[0].read_bytes() == first


def test_unsafe_message_ids_stay_inside_the_folder_and_stay_distinct(tmp_path: Path) -> None:
    ids = ["<007/ADUAN/XI/2026@jenawi>", "<007_ADUAN_XI_2026@jenawi>", "<../../etc/passwd>",
           "<" + "x" * 400 + "@jenawi>"]
    with OutboxTransport(tmp_path / "outbox") as t:
        for mid in ids:
            t.send(message(mid), [PPID])
    names = sorted(p.name for p in (tmp_path / "outbox").iterdir())
    assert len(names) == 4
    assert all("/" not in n and not n.startswith(".") and len(n) < 200 for n in names)
    assert list(tmp_path.iterdir()) == [tmp_path / "outbox"]
    assert eml_filename("<007_ADUAN_XI_2026@jenawi>") == "007_ADUAN_XI_2026@jenawi.eml"
    assert eml_filename("<007/ADUAN/XI/2026@jenawi>").startswith("007_ADUAN_XI_2026@jenawi-")


def test_message_without_message_id_is_refused(tmp_path: Path) -> None:
    with OutboxTransport(tmp_path) as t, pytest.raises(MailPermanentError):
        t.send(message(None), [PPID])
    assert list(tmp_path.iterdir()) == []


def test_bcc_is_not_written_and_invalid_recipients_are_refused(tmp_path: Path) -> None:
    msg = message()
    msg["Bcc"] = "arsip@kecamatan-jenawi.example"
    with OutboxTransport(tmp_path) as t:
        t.send(msg, [PPID, "arsip@kecamatan-jenawi.example"])
        with pytest.raises(MailPermanentError):
            t.send(message("<lain@jenawi>"), ["warga@example.com\nBcc: x@evil.test"])
    (only,) = tmp_path.iterdir()
    assert b"arsip@" not in only.read_bytes()


def test_unwritable_outbox_is_a_connection_error_so_the_message_stays_queued(
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with OutboxTransport(blocker / "outbox") as t, pytest.raises(MailConnectionError) as e:
        t.send(message(), [PPID])
    assert "outbox" in e.value.message


def test_config_backend_outbox_writes_into_the_configured_folder(cfg: Config) -> None:
    with open_transport(cfg, {}) as t:
        t.send(message(), [PPID])
    assert cfg.mail.outbox_dir == cfg.base_dir / "outbox"
    assert [p.suffix for p in cfg.mail.outbox_dir.iterdir()] == [".eml"]


def test_stored_bytes_are_written_as_queued_without_reparsing(tmp_path):
    from aduan_sync.mail.outbox import OutboxTransport, eml_filename

    eml = (b"Message-ID: <a.1@kecamatan-jenawi.example>\r\nSubject: x\r\n"
           b"To: a@example.com\r\n\r\nisi\r\n")
    with OutboxTransport(tmp_path / "outbox") as t:
        assert t.send_raw(eml, "<a.1@kecamatan-jenawi.example>", ["a@example.com"]) == {}
    path = tmp_path / "outbox" / eml_filename("<a.1@kecamatan-jenawi.example>")
    assert path.read_bytes() == eml


def test_stored_bytes_with_a_bcc_header_are_refused(tmp_path):
    import pytest

    from aduan_sync.errors import MailPermanentError
    from aduan_sync.mail.outbox import OutboxTransport

    eml = b"Subject: x\r\nBcc: spy@example.net\r\n\r\nisi\r\n"
    with pytest.raises(MailPermanentError), OutboxTransport(tmp_path / "o") as t:
        t.send_raw(eml, "<a.2@x.example>", ["a@example.com"])
