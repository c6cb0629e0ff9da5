"""The SMTP transport against a real aiosmtpd server on 127.0.0.1, TLS from a trustme CA."""

from __future__ import annotations

import email.policy
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from aduan_sync.config import from_mapping
from aduan_sync.errors import (
    ConfigError,
    MailConnectionError,
    MailPermanentError,
    MailSetupError,
    MailTransientError,
)
from aduan_sync.mail.smtp import SmtpTransport
from aduan_sync.mail.transport import open_transport
from tests.smtpserver import HOST, Recorder, SmtpServer, Tls, dead_port, make_tls, silent_server

SENDER = "ppid.jenawi@example.go.id"
PPID = "ppid@example.go.id"
UNIT = "trantib@example.go.id"


def message(
    n: int = 1, *, subject: str | None = None, body: str | None = None, cte: str | None = None
) -> EmailMessage:
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = f"PPID Kecamatan Jenawi <{SENDER}>"
    msg["To"] = PPID
    msg["Subject"] = subject or f"[Aduan 00{n}/ADUAN/XI/2026] Aduan baru"
    msg["Message-ID"] = f"<aduan.00{n}-ADUAN-XI-2026.ppid@jenawi.test>"
    msg.set_content(body or f"Aduan nomor {n} telah diterima.\n", cte=cte)
    return msg


def transport(server: SmtpServer, tls: Tls | None = None, **kw: Any) -> SmtpTransport:
    security = {"plain": "none", "starttls": "starttls", "ssl": "ssl"}[server.mode]
    kw.setdefault("security", security)
    kw.setdefault("ca_file", tls.ca_file if tls else None)
    return SmtpTransport(
        HOST, server.port, sender=SENDER, timeout=5, local_hostname="worker.jenawi.test", **kw
    )


@pytest.fixture
def tls(tmp_path: Path) -> Tls:
    return make_tls(tmp_path)


@pytest.fixture
def starttls_server(tls: Tls) -> Iterator[SmtpServer]:
    with SmtpServer("starttls", tls=tls) as server:
        yield server


@pytest.fixture
def plain_server() -> Iterator[SmtpServer]:
    with SmtpServer("plain") as server:
        yield server


def test_starttls_delivers_every_message_of_a_pass_over_one_connection(
    starttls_server: SmtpServer, tls: Tls
) -> None:
    with transport(starttls_server, tls) as t:
        assert t.send(message(1), [PPID]) == {}
        assert t.send(message(2), [PPID, UNIT]) == {}
        assert t.send(message(3), [UNIT]) == {}
    got = starttls_server.received
    assert [r.message["Message-ID"] for r in got] == [
        f"<aduan.00{n}-ADUAN-XI-2026.ppid@jenawi.test>" for n in (1, 2, 3)
    ]
    assert [r.rcpt_tos for r in got] == [[PPID], [PPID, UNIT], [UNIT]]
    assert {r.mail_from for r in got} == {SENDER}
    assert {r.session for r in got} == {1}
    assert starttls_server.recorder.sessions == 1


def test_implicit_tls_delivers_with_the_private_ca(tls: Tls) -> None:
    with SmtpServer("ssl", tls=tls) as server, transport(server, tls) as t:
        t.send(message(), [PPID])
    assert server.received[0].message["Subject"] == "[Aduan 001/ADUAN/XI/2026] Aduan baru"


def test_a_pass_with_nothing_to_send_opens_no_connection(plain_server: SmtpServer) -> None:
    with transport(plain_server):
        pass
    with SmtpTransport(HOST, dead_port(), security="none", sender=SENDER):
        pass  # would raise MailConnectionError if it tried to connect
    assert plain_server.recorder.sessions == 0


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_certificate_from_an_unknown_ca_is_refused(mode: str, tls: Tls, tmp_path: Path) -> None:
    other = make_tls(tmp_path, label="other-ca")
    with SmtpServer(mode, tls=tls) as server:
        with transport(server, ca_file=other.ca_file) as t, pytest.raises(MailSetupError) as e:
            t.send(message(), [PPID])
        assert server.received == []
    assert "Sertifikat server SMTP ditolak" in e.value.message


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_certificate_for_another_host_name_is_refused(mode: str, tmp_path: Path) -> None:
    wrong_name = make_tls(tmp_path, "mail.elsewhere.test")
    with SmtpServer(mode, tls=wrong_name) as server:
        with transport(server, wrong_name) as t, pytest.raises(MailSetupError):
            t.send(message(), [PPID])
        assert server.received == []


def test_starttls_is_never_skipped_when_the_server_does_not_offer_it(
    plain_server: SmtpServer,
) -> None:
    with transport(plain_server, security="starttls") as t, pytest.raises(MailSetupError) as e:
        t.send(message(), [PPID])
    assert "STARTTLS" in e.value.message
    assert plain_server.received == []


def smtp_config(tmp_path: Path, **mail: Any) -> Any:
    raw = {
        "source": {"backend": "xlsx", "path": "aduan.xlsx"},
        "ppid": {"email": PPID},
        "mail": {"backend": "smtp", "sender": SENDER, "smtp_host": HOST, **mail},
    }
    return from_mapping(raw, tmp_path / "aduan.toml")


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_login_uses_the_password_from_the_named_environment_variable(
    mechanism: str, tls: Tls, tmp_path: Path
) -> None:
    recorder = Recorder(accounts={"ppid.jenawi": "Rahasia-Jenawi 2026"})
    with SmtpServer("starttls", tls=tls, recorder=recorder, auth_mechanisms=(mechanism,)) as s:
        cfg = smtp_config(
            tmp_path, smtp_port=s.port, smtp_security="starttls", smtp_username="ppid.jenawi",
            smtp_password_env="ADUAN_SMTP_PASSWORD", smtp_ca_file=str(tls.ca_file),
        )
        with open_transport(cfg, {"ADUAN_SMTP_PASSWORD": "Rahasia-Jenawi 2026"}) as t:
            t.send(message(), [PPID])
    assert recorder.auth_mechanisms == [mechanism]
    assert [r.login for r in s.received] == ["ppid.jenawi"]


def test_password_file_loses_exactly_one_trailing_newline(tls: Tls, tmp_path: Path) -> None:
    secret = tmp_path / "smtp-password"
    secret.write_text("sandi dengan spasi \n", encoding="utf-8")
    recorder = Recorder(accounts={"ppid.jenawi": "sandi dengan spasi "})
    with SmtpServer("ssl", tls=tls, recorder=recorder) as s:
        cfg = smtp_config(
            tmp_path, smtp_port=s.port, smtp_security="ssl", smtp_username="ppid.jenawi",
            smtp_password_file=str(secret), smtp_ca_file=str(tls.ca_file),
        )
        with open_transport(cfg, {}) as t:
            t.send(message(), [PPID])
    assert len(s.received) == 1


def test_wrong_password_is_a_setup_error_and_sends_nothing(tls: Tls, tmp_path: Path) -> None:
    recorder = Recorder(accounts={"ppid.jenawi": "benar"})
    with SmtpServer("starttls", tls=tls, recorder=recorder) as s, \
            transport(s, tls, username="ppid.jenawi", password="salah") as t, \
            pytest.raises(MailSetupError) as e:
        t.send(message(), [PPID])
    assert "Login ke server SMTP ditolak" in e.value.message
    assert s.received == []


def test_server_demanding_a_login_the_config_lacks_is_a_setup_error(
    tls: Tls,
) -> None:
    recorder = Recorder(accounts={"ppid.jenawi": "benar"})
    with SmtpServer("ssl", tls=tls, recorder=recorder) as s, transport(s, tls) as t, \
            pytest.raises(MailSetupError) as e:
        t.send(message(), [PPID])
    assert "530" in str(e.value)


def test_missing_password_variable_is_a_config_error_naming_the_key(tmp_path: Path) -> None:
    cfg = smtp_config(tmp_path, smtp_username="ppid", smtp_password_env="ADUAN_SMTP_PASSWORD")
    with pytest.raises(ConfigError) as e:
        open_transport(cfg, {})
    assert e.value.key == "mail.smtp_password_env"
    assert "ADUAN_SMTP_PASSWORD" in str(e.value)


def test_password_is_never_configured_for_plain_text_to_another_machine(tmp_path: Path) -> None:
    cfg = smtp_config(
        tmp_path, smtp_host="smtp.example.go.id", smtp_security="none", smtp_username="ppid",
        smtp_password_env="P",
    )
    with pytest.raises(ConfigError) as e:
        open_transport(cfg, {"P": "x"})
    assert e.value.key == "mail.smtp_security"


def test_server_down_is_a_connection_error() -> None:
    with SmtpTransport(HOST, dead_port(), security="none", sender=SENDER, timeout=5) as t, \
            pytest.raises(MailConnectionError) as e:
        t.send(message(), [PPID])
    assert "tidak dapat dihubungi" in e.value.message


def test_server_that_never_greets_times_out_as_a_connection_error() -> None:
    with silent_server() as silent:
        t = SmtpTransport(HOST, silent.port, security="none", sender=SENDER, timeout=0.2)
        with t, pytest.raises(MailConnectionError):
            t.send(message(), [PPID])


@pytest.mark.parametrize(
    ("stage", "reply", "error"),
    [
        ("mail", "421 4.3.2 Service shutting down", MailConnectionError),
        ("mail", "451 4.3.0 Try again later", MailTransientError),
        ("data", "450 4.2.0 Mailbox busy", MailTransientError),
        ("mail", "550 5.7.1 Sender rejected", MailPermanentError),
        ("data", "550 5.7.1 Rejected by policy", MailPermanentError),
        ("data", "554 5.6.0 Message content rejected", MailPermanentError),
    ],
)
def test_replies_are_classified_by_code(
    plain_server: SmtpServer, stage: str, reply: str, error: type[Exception]
) -> None:
    script = plain_server.recorder.mail_replies if stage == "mail" else \
        plain_server.recorder.data_replies
    script.append(reply)
    with transport(plain_server) as t:
        with pytest.raises(error) as e:
            t.send(message(1), [PPID])
        assert reply.split()[0] in str(e.value)
        assert not isinstance(e.value, MailSetupError)
        t.send(message(2), [PPID])  # the connection (or a new one after 421) still works
    assert [r.message["Message-ID"] for r in plain_server.received] == [
        "<aduan.002-ADUAN-XI-2026.ppid@jenawi.test>"
    ]
    expected_sessions = 2 if reply.startswith("421") else 1
    assert plain_server.recorder.sessions == expected_sessions


def test_one_refused_recipient_is_reported_and_the_others_receive_it(
    plain_server: SmtpServer,
) -> None:
    plain_server.recorder.refuse_rcpt["hilang@example.go.id"] = "550 5.1.1 No such user"
    with transport(plain_server) as t:
        refused = t.send(message(), [PPID, "hilang@example.go.id", UNIT])
    assert refused == {"hilang@example.go.id": "550 5.1.1 No such user"}
    assert plain_server.received[0].rcpt_tos == [PPID, UNIT]


@pytest.mark.parametrize(
    ("reply", "error"),
    [("550 5.1.1 No such user", MailPermanentError), ("450 4.2.1 Try later", MailTransientError)],
)
def test_every_recipient_refused_is_an_error_classified_by_code(
    plain_server: SmtpServer, reply: str, error: type[Exception]
) -> None:
    plain_server.recorder.refuse_rcpt.update({PPID: reply, UNIT: reply})
    with transport(plain_server) as t, pytest.raises(error):
        t.send(message(), [PPID, UNIT])
    assert plain_server.received == []


def test_recipient_with_a_line_break_is_refused_before_connecting(
    plain_server: SmtpServer,
) -> None:
    with transport(plain_server) as t, pytest.raises(MailPermanentError):
        t.send(message(), [PPID, "warga@example.com\r\nRCPT TO:<penyusup@evil.test>"])
    assert plain_server.recorder.sessions == 0


def test_bcc_header_in_the_message_adds_no_recipient_and_is_not_transmitted(
    plain_server: SmtpServer,
) -> None:
    raw = message().as_bytes().replace(
        b"To: ppid@example.go.id\r\n", b"To: ppid@example.go.id\r\nBcc: penyusup@evil.test\r\n"
    )
    smuggled = email.message_from_bytes(raw, policy=email.policy.SMTP)
    assert isinstance(smuggled, EmailMessage) and smuggled["Bcc"] == "penyusup@evil.test"
    with transport(plain_server) as t:
        t.send(smuggled, [PPID])
    got = plain_server.received[0]
    assert got.rcpt_tos == [PPID]
    assert b"penyusup" not in got.data


def test_header_value_with_a_bare_line_break_is_refused(plain_server: SmtpServer) -> None:
    crafted = EmailMessage(policy=email.policy.compat32)  # a policy that does not check
    crafted["From"] = SENDER
    crafted["To"] = PPID
    crafted["Subject"] = "Aduan\r\nBcc: penyusup@evil.test"
    crafted.set_payload("isi")
    with transport(plain_server) as t, pytest.raises(MailPermanentError) as e:
        t.send(crafted, [PPID])
    assert "sisipan header" in e.value.message
    assert plain_server.recorder.sessions == 0


BODY = (
    "Yth. Bapak/Ibu Sri Rahayu Ngadiyem,\n\n"
    "Aduan Anda tentang jalan berlubang di Dusun Ngrambe telah kami terima 🙏📮.\n"
    "Salam hormat — PPID Kecamatan Jenawi\n"
)
SUBJECT = "[Aduan 007/ADUAN/XI/2026] Tanda terima — Sri Rahayu Ngadiyem ✅"


def test_utf8_body_and_emoji_arrive_intact_over_8bitmime(plain_server: SmtpServer) -> None:
    with transport(plain_server) as t:
        t.send(message(subject=SUBJECT, body=BODY, cte="8bit"), [PPID])
    got = plain_server.received[0]
    assert "BODY=8BITMIME" in got.mail_options
    assert got.message["Subject"] == SUBJECT
    assert got.message.get_content().replace("\r\n", "\n") == BODY


def test_utf8_body_is_reencoded_for_a_server_without_8bitmime(plain_server: SmtpServer) -> None:
    plain_server.recorder.advertise_8bitmime = False
    with transport(plain_server) as t:
        t.send(message(subject=SUBJECT, body=BODY, cte="8bit"), [PPID])
    got = plain_server.received[0]
    assert got.data.isascii()
    assert got.message["Content-Transfer-Encoding"] == "base64"
    assert got.message["Subject"] == SUBJECT
    assert got.message.get_content().replace("\r\n", "\n") == BODY
