"""The Gmail backend: the real google-api-python-client against the fake Google on loopback."""

from __future__ import annotations

import base64
import email.policy
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from aduan_sync.config import Config, from_mapping
from aduan_sync.errors import (
    ConfigError,
    MailConnectionError,
    MailPermanentError,
    MailSetupError,
)
from aduan_sync.ledger import Ledger
from aduan_sync.mail.deliver import deliver_pending
from aduan_sync.mail.gmail import GmailTransport
from aduan_sync.mail.transport import open_transport
from aduan_sync.records import QueuedMessage
from tests.fakegoogle import FakeGoogle, MitmProxy
from tests.smtpserver import dead_port

# fake_google (started on 127.0.0.1, proxies off) and service_account_key (trusted by it).
pytest_plugins = ["tests.fakegoogle.fixtures"]

MAILBOX = "ppid.jenawi@example.go.id"
PPID = "ppid@example.go.id"
UNIT = "trantib@example.go.id"
GMAIL_SEND = "https://www.googleapis.com/auth/gmail.send"
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


def message(n: int = 1, *, to: str = PPID, body: str = "Aduan baru menunggu PPID.\n"
            ) -> EmailMessage:
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = f"PPID Kecamatan Jenawi <{MAILBOX}>"
    msg["To"] = to
    msg["Subject"] = f"[Aduan {n:03d}/ADUAN/XI/2026] Aduan baru — Ngrambe 🚧"
    msg["Message-ID"] = f"<aduan.{n:03d}-ADUAN-XI-2026.ppid@jenawi.test>"
    msg.set_content(body)
    return msg


def raw_of(fake: FakeGoogle, i: int = 0) -> EmailMessage:
    msg = email.message_from_bytes(fake.sent_mail[i].raw, policy=email.policy.SMTP)
    assert isinstance(msg, EmailMessage)
    return msg


MakeConfig = Callable[..., Config]


@pytest.fixture
def sa_email(service_account_key: Path) -> str:
    return str(json.loads(service_account_key.read_text())["client_email"])


@pytest.fixture
def gmail_config(tmp_path: Path, fake_google: FakeGoogle, service_account_key: Path
                 ) -> MakeConfig:
    def make(key: Path = service_account_key, source: dict[str, Any] | None = None,
             **mail: Any) -> Config:
        raw = {
            "source": {"backend": "google", "spreadsheet_id": "1AbC", "credentials_file":
                       str(key), "token_uri": fake_google.token_uri, **(source or {})},
            "ppid": {"email": PPID},
            "mail": {"backend": "gmail", "sender": MAILBOX, "gmail_subject": MAILBOX,
                     "gmail_endpoint": fake_google.base_url, **mail},
        }
        return from_mapping(raw, tmp_path / "aduan.toml")

    return make


def test_service_account_sends_as_the_delegated_office_mailbox(
    fake_google: FakeGoogle, gmail_config: MakeConfig, sa_email: str
) -> None:
    body = "Yth. PPID,\nAduan dari Sri Rahayu Ngadiyem 🙏 tentang jalan berlubang.\n"
    with open_transport(gmail_config(), {}) as t:
        assert isinstance(t, GmailTransport)
        assert t.send(message(1, body=body), [PPID]) == {}
        assert t.send(message(2), [PPID]) == {}
    assert [(m.user_id, m.principal, m.subject) for m in fake_google.sent_mail] == [
        ("me", sa_email, MAILBOX), ("me", sa_email, MAILBOX)
    ]
    got = raw_of(fake_google)
    assert got["Subject"] == "[Aduan 001/ADUAN/XI/2026] Aduan baru — Ngrambe 🚧"
    assert got.get_content().replace("\r\n", "\n") == body
    assert fake_google.count("oauth.token") == 1  # one token for the whole pass
    (token,) = fake_google.oauth.tokens.values()
    assert token.scopes == (GMAIL_SEND,)


def test_authorized_user_token_sends_as_that_user(
    fake_google: FakeGoogle, gmail_config: MakeConfig, tmp_path: Path
) -> None:
    refresh = fake_google.add_user(MAILBOX, "client-123.apps.googleusercontent.com", "rahasia")
    token_file = tmp_path / "token.json"
    token_file.write_text(json.dumps({
        "type": "authorized_user", "client_id": "client-123.apps.googleusercontent.com",
        "client_secret": "rahasia", "refresh_token": refresh, "scopes": [GMAIL_SEND],
    }))
    with open_transport(gmail_config(key=token_file, gmail_subject=""), {}) as t:
        t.send(message(), [PPID])
    assert [(m.principal, m.subject) for m in fake_google.sent_mail] == [(MAILBOX, None)]


def test_service_account_without_a_mailbox_to_impersonate_is_a_config_error(
    gmail_config: MakeConfig,
) -> None:
    with pytest.raises(ConfigError) as e:
        open_transport(gmail_config(gmail_subject=""), {})
    assert e.value.key == "mail.gmail_subject"


def test_envelope_recipients_become_bcc_and_a_smuggled_bcc_is_dropped(
    fake_google: FakeGoogle, gmail_config: MakeConfig
) -> None:
    raw = message().as_bytes().replace(b"To: ppid@example.go.id\r\n",
                                       b"To: ppid@example.go.id\r\nBcc: penyusup@evil.test\r\n")
    smuggled = email.message_from_bytes(raw, policy=email.policy.SMTP)
    assert isinstance(smuggled, EmailMessage)
    with open_transport(gmail_config(), {}) as t:
        t.send(smuggled, [PPID, UNIT])
    got = raw_of(fake_google)
    assert got["To"] == PPID
    assert got["Bcc"] == UNIT
    assert b"penyusup" not in fake_google.sent_mail[0].raw


def test_header_naming_a_recipient_outside_the_queue_is_refused_before_sending(
    fake_google: FakeGoogle, gmail_config: MakeConfig
) -> None:
    with open_transport(gmail_config(), {}) as t, pytest.raises(MailPermanentError):
        t.send(message(to=f"{PPID}, penyusup@evil.test"), [PPID])
    assert fake_google.count("*") == 0  # not even a token was requested


@pytest.mark.parametrize(
    ("status", "error"),
    [(503, MailConnectionError), (429, MailConnectionError), (400, MailPermanentError),
     (403, MailSetupError), (401, MailSetupError)],
)
def test_gmail_replies_are_classified_by_status(
    fake_google: FakeGoogle, gmail_config: MakeConfig, status: int, error: type[Exception]
) -> None:
    fake_google.fail("gmail.messages.send", status=status, times=0)  # every request
    with open_transport(gmail_config(), {}) as t, pytest.raises(error) as e:
        t.send(message(), [PPID])
    assert str(status) in str(e.value)
    assert type(e.value) is error
    assert fake_google.sent_mail == []


def test_a_401_once_refreshes_the_token_and_sends(
    fake_google: FakeGoogle, gmail_config: MakeConfig
) -> None:
    fake_google.fail("gmail.messages.send", status=401)  # e.g. the token expired meanwhile
    with open_transport(gmail_config(), {}) as t:
        t.send(message(), [PPID])
    assert len(fake_google.sent_mail) == 1
    assert fake_google.count("oauth.token") == 2


def test_revoked_key_is_a_setup_error(
    fake_google: FakeGoogle, gmail_config: MakeConfig, sa_email: str
) -> None:
    fake_google.oauth.revoke(sa_email)
    with open_transport(gmail_config(), {}) as t, pytest.raises(MailSetupError) as e:
        t.send(message(), [PPID])
    assert "delegasi domain" in e.value.message


def test_google_unreachable_is_a_connection_error(gmail_config: MakeConfig) -> None:
    down = f"http://127.0.0.1:{dead_port()}"
    cfg = gmail_config(source={"token_uri": f"{down}/token"}, gmail_endpoint=down)
    with open_transport(cfg, {}) as t, pytest.raises(MailConnectionError):
        t.send(message(), [PPID])


def test_gmail_down_for_a_pass_then_delivered_once_by_the_next(
    fake_google: FakeGoogle, gmail_config: MakeConfig, tmp_path: Path
) -> None:
    fake_google.fail("gmail.messages.send", status=503)
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        for n in (1, 2):
            msg = message(n)
            queued = QueuedMessage(str(msg["Message-ID"]), "ppid", [PPID],
                                   str(msg["Subject"]), msg.as_bytes())
            with ledger.transaction() as db:
                ledger.queue_message(db, queued, complaint_id=None, register_no="", now=NOW)
        cfg = gmail_config()
        with open_transport(cfg, {}) as t:
            first = deliver_pending(ledger, t, now=NOW, max_attempts=3)
        with open_transport(cfg, {}) as t:
            second = deliver_pending(ledger, t, now=NOW + timedelta(minutes=5), max_attempts=3)
        assert (first.retried, first.deferred, second.sent) == (1, 1, 2)
        assert ledger.outbox_counts() == {"sent": 2}
    ids = sorted(str(raw_of(fake_google, i)["Message-ID"]) for i in range(2))
    assert ids == [f"<aduan.00{n}-ADUAN-XI-2026.ppid@jenawi.test>" for n in (1, 2)]


def test_through_an_intercepting_https_proxy_with_its_ca_in_httplib2_ca_certs(
    fake_google: FakeGoogle, gmail_config: MakeConfig, tmp_path: Path
) -> None:
    cfg = gmail_config(source={"token_uri": "https://oauth2.googleapis.com/token"},
                       gmail_endpoint="")  # Google's real host names, reached via the proxy
    with MitmProxy(fake_google.port, tmp_path) as proxy:
        env = {"HTTPS_PROXY": proxy.url, "HTTPLIB2_CA_CERTS": str(proxy.ca_file)}
        with open_transport(cfg, env) as t:
            t.send(message(), [PPID])
        with open_transport(cfg, {"HTTPS_PROXY": proxy.url}) as t, \
                pytest.raises(MailSetupError) as e:
            t.send(message(2), [PPID])  # the proxy's CA not given: its certificate is refused
    assert "HTTPLIB2_CA_CERTS" in e.value.message
    assert "gmail.googleapis.com:443" in proxy.connects
    assert "oauth2.googleapis.com:443" in proxy.connects
    assert len(fake_google.sent_mail) == 1


def test_gmail_raw_is_base64url_of_the_message_without_line_feeds_only(
    fake_google: FakeGoogle, gmail_config: MakeConfig
) -> None:
    with open_transport(gmail_config(), {}) as t:
        t.send(message(), [PPID])
    (req,) = fake_google.requests("gmail.messages.send")
    raw = json.loads(req.body)["raw"]
    assert base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)) == fake_google.sent_mail[0].raw
    assert b"\r\n" in fake_google.sent_mail[0].raw
