"""MIME composition: headers, both parts, encodings, and header injection by citizens."""

from __future__ import annotations

import email
import email.policy
import smtplib
import socket
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage, MIMEPart
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from aduan_sync.config import PACKAGED_TEMPLATES
from aduan_sync.errors import MailPermanentError
from aduan_sync.mail import (
    Rendered,
    build_email,
    clean_header_text,
    make_environment,
    message_id_for,
    render_message,
)

WIB = timezone(timedelta(hours=7))
WHEN = datetime(2026, 11, 28, 9, 21, tzinfo=WIB)
SENDER = "ppid.jenawi@example.go.id"
MSGID = "<aduan.007-ADUAN-XI-2026.receipt.0123456789ab@example.go.id>"
RENDERED = Rendered(
    subject="[Aduan 007/ADUAN/XI/2026] Tanda terima aduan 🙏",
    text="Yth. Bapak/Ibu Sutrisno\n\nAduan Bapak/Ibu telah kami terima. Terima kasih 🙏\n",
    html="<!DOCTYPE html><html><body><p>Aduan Bapak/Ibu telah kami terima.</p></body></html>\n",
)
ALLOWED_HEADERS = {
    "subject", "from", "to", "cc", "reply-to", "date", "message-id", "in-reply-to",
    "references", "auto-submitted", "x-auto-response-suppress", "content-language",
    "x-mailer", "mime-version", "content-type", "content-transfer-encoding",
}  # fmt: skip


def build(
    to: Sequence[tuple[str, str]] = (("Sutrisno", "sutrisno@example.com"),),
    rendered: Rendered = RENDERED,
    **kw: Any,
) -> EmailMessage:
    args: dict[str, Any] = {
        "sender": SENDER,
        "sender_name": "PPID Kecamatan Jenawi",
        "to": to,
        "message_id": MSGID,
        "date": WHEN,
    }
    args.update(kw)
    return build_email(rendered, **args)


def content(part: MIMEPart | None) -> str:
    """A part's decoded text with the wire's CRLF line ends turned back into LF."""
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def parse(msg: EmailMessage) -> EmailMessage:
    """Parse the bytes the way a receiving mail system would."""
    parsed = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def all_recipients(parsed: EmailMessage) -> list[str]:
    out: list[str] = []
    for name in ("To", "Cc", "Bcc"):
        for value in parsed.get_all(name) or []:
            out.extend(a.addr_spec for a in value.addresses)
    return out


# --- structure --------------------------------------------------------------------------


def test_message_is_multipart_alternative_with_text_then_html() -> None:
    parsed = parse(build())
    assert parsed.get_content_type() == "multipart/alternative"
    parts = list(parsed.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    for part in parts:
        assert part.get_content_charset() == "utf-8"
        assert part["Content-Transfer-Encoding"] == "quoted-printable"
    text = parsed.get_body(preferencelist=("plain",))
    html = parsed.get_body(preferencelist=("html",))
    assert content(text) == RENDERED.text
    assert content(html) == RENDERED.html


def test_headers_carry_sender_recipient_date_and_message_id() -> None:
    parsed = parse(build(reply_to="ppid.jenawi@example.go.id"))
    assert parsed["Subject"] == RENDERED.subject
    assert parsed["From"].addresses[0].display_name == "PPID Kecamatan Jenawi"
    assert parsed["From"].addresses[0].addr_spec == SENDER
    assert parsed["To"].addresses[0].addr_spec == "sutrisno@example.com"
    assert parsed["Reply-To"] == "ppid.jenawi@example.go.id"
    assert parsed["Message-ID"] == MSGID
    assert parsed["Date"].datetime == WHEN
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["Content-Language"] == "id"
    assert parsed["MIME-Version"] == "1.0"


def test_cc_and_in_reply_to_are_set() -> None:
    parent = "<aduan.007-ADUAN-XI-2026.receipt.aaaaaaaaaaaa@example.go.id>"
    parsed = parse(build(cc=[("Camat Jenawi", "camat@example.go.id")], in_reply_to=parent))
    assert [a.addr_spec for a in parsed["Cc"].addresses] == ["camat@example.go.id"]
    assert parsed["In-Reply-To"] == parent
    assert parsed["References"] == parent


def test_staff_written_answer_can_go_without_auto_submitted() -> None:
    parsed = parse(build(auto_submitted=False))
    assert parsed["Auto-Submitted"] is None
    assert parsed["X-Auto-Response-Suppress"] is None


def test_text_only_message_when_there_is_no_html() -> None:
    parsed = parse(build(rendered=Rendered(subject="S", text="Halo\n", html="")))
    assert parsed.get_content_type() == "text/plain"
    assert content(parsed) == "Halo\n"


def test_same_inputs_give_the_same_bytes() -> None:
    assert build().as_bytes() == build().as_bytes()


def test_lines_stay_short_and_seven_bit_even_for_a_long_paragraph() -> None:
    text = ("Jalan di Dusun Ngrayudan rusak berat dan licin saat hujan, é " * 120).strip() + "\n"
    raw = build(rendered=Rendered("S", text, "<p>" + text + "</p>")).as_bytes()
    assert raw.isascii()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78
    assert content(parse(build(rendered=Rendered("S", text, "")))) == text


# --- Indonesian names and emoji ---------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Sri Rahayu Ningsih",
        "Siti Nur'aini",
        "Bambang Sutejo, S.Pd.",
        "Ṣūryā Dewi 🙏",
        "Mbah Karto (Dusun Gondang)",
        'R. Ngt. "Tien" Sumarsih',
    ],
)
def test_indonesian_names_and_emoji_survive_the_round_trip(name: str) -> None:
    parsed = parse(build(to=[(name, "warga@example.com")]))
    (address,) = parsed["To"].addresses
    assert address.display_name == name
    assert address.addr_spec == "warga@example.com"


def test_subject_with_emoji_and_accents_is_encoded_and_decodes_back() -> None:
    subject = "[Aduan 007/ADUAN/XI/2026] Tanggapan 🙏 untuk Bu Sūryā"
    msg = build(rendered=Rendered(subject, "x\n", ""))
    raw = msg.as_bytes()
    assert raw.isascii() and b"=?utf-8?" in raw
    assert parse(msg)["Subject"] == subject


# --- injection --------------------------------------------------------------------------


INJECTIONS = [
    "Budi\r\nBcc: x@evil.com",
    "Budi\nBcc: x@evil.com",
    "Budi\rBcc: x@evil.com",
    "Budi\r\n\r\nBcc: x@evil.com",
    "Budi\x00\r\nBcc: x@evil.com",
    "Budi\u2028Bcc: x@evil.com",
    "Budi\x85Bcc: x@evil.com",
    "Budi\x0bBcc: x@evil.com",
    "=?utf-8?q?Budi=0D=0ABcc:_x@evil.com?=",
    "=?utf-8?b?QnVkaQ0KQmNjOiB4QGV2aWwuY29t?=",
    "Budi =?iso-8859-1?q?=0D=0ABcc=3A_x=40evil=2Ecom?= Santoso",
    "Budi, Eve <x@evil.com>",
    "Budi <x@evil.com>, Eve",
    'Budi" <x@evil.com>, "Eve',
    "Budi; x@evil.com",
    "x@evil.com",
    "Budi\t<x@evil.com>",
    "B" * 5000,
    "Budi " + "🙏" * 400,
]


@pytest.mark.parametrize("name", INJECTIONS)
def test_a_citizen_name_can_add_no_header_and_no_recipient(name: str) -> None:
    msg = build(to=[(name, "budi@example.com")])
    raw = msg.as_bytes()
    parsed = parse(msg)
    assert all_recipients(parsed) == ["budi@example.com"]
    assert parsed["Bcc"] is None
    assert {k.lower() for k in parsed} <= ALLOWED_HEADERS
    assert len(parsed.get_all("To") or []) == 1
    (address,) = parsed["To"].addresses
    assert "\r" not in address.display_name and "\n" not in address.display_name
    # Cut to 80 characters. (Python's parser puts a space between the encoded words of a
    # folded name, which RFC 2047 says to drop; mail clients do, so spaces are not counted.)
    assert len(address.display_name.replace(" ", "")) <= 80
    assert not any(line.lower().startswith(b"bcc:") for line in raw.split(b"\r\n"))


@pytest.mark.parametrize("subject_tail", INJECTIONS)
def test_a_citizen_text_in_the_subject_can_add_no_header(subject_tail: str) -> None:
    rendered = Rendered(f"[Aduan 007/ADUAN/XI/2026] Aduan baru: {subject_tail}", "x\n", "")
    parsed = parse(build(rendered=rendered))
    assert parsed["Bcc"] is None
    assert {k.lower() for k in parsed} <= ALLOWED_HEADERS
    assert all_recipients(parsed) == ["sutrisno@example.com"]
    # A long header may be folded right after "Subject:"; unfolding leaves a leading space.
    subject = parsed["Subject"].strip()
    assert subject.startswith("[Aduan 007/ADUAN/XI/2026] Aduan baru:")
    assert "\r" not in subject and "\n" not in subject and "\x00" not in subject
    assert len(subject) <= 200


def test_bidi_overrides_and_invisible_controls_are_stripped_but_emoji_joiners_kept() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    name = "Bud\u202ei moc.live\u202c\u2066x\u2069\ufeff\u200b Santoso " + family
    cleaned = clean_header_text(name, 80)
    assert cleaned == "Budi moc.livex Santoso " + family
    (address,) = parse(build(to=[(name, "budi@example.com")]))["To"].addresses
    assert address.display_name == cleaned


def test_encoded_word_typed_by_a_citizen_stays_text() -> None:
    typed = "=?utf-8?q?Budi=0D=0ABcc:_x@evil.com?="
    (address,) = parse(build(to=[(typed, "budi@example.com")]))["To"].addresses
    assert address.display_name == "= ?utf-8?q?Budi=0D=0ABcc:_x@evil.com?="


@pytest.mark.parametrize(
    "address",
    [
        "budi@example.com\r\nBcc: x@evil.com",
        "budi@example.com\nx@evil.com",
        "budi@example.com, x@evil.com",
        "Budi <budi@example.com>",
        "budi",
        "budi@",
        "@example.com",
        "budi@example",
        "büdi@example.com",
        "budi@exämple.com",
        "",
        " ",
        "budi@@example.com",
        "budi@example.com\x00",
    ],
)
def test_an_invalid_recipient_address_is_refused_permanently(address: str) -> None:
    with pytest.raises(MailPermanentError) as info:
        build(to=[("Budi", address)])
    assert "tidak valid" in info.value.message
    assert "\n" not in info.value.message


def test_invalid_cc_sender_or_reply_to_is_refused() -> None:
    with pytest.raises(MailPermanentError, match="tembusan"):
        build(cc=[("Camat", "camat@example.go.id\r\nBcc: x@evil.com")])
    with pytest.raises(MailPermanentError, match="pengirim"):
        build(sender="ppid jenawi@example.go.id")
    with pytest.raises(MailPermanentError, match="Reply-To"):
        build(reply_to="a@example.com, b@evil.com")


def test_a_message_without_recipients_is_refused() -> None:
    with pytest.raises(MailPermanentError):
        build(to=[])


def test_naive_date_and_malformed_message_ids_are_programming_errors() -> None:
    with pytest.raises(ValueError, match="timezone"):
        build(date=datetime(2026, 11, 28, 9, 0))
    for bad in ("aduan@example.go.id", "<a b@example.go.id>", "<x@y>\r\nBcc: x@evil.com", "<>"):
        with pytest.raises(ValueError):
            build(message_id=bad)
    with pytest.raises(ValueError):
        build(in_reply_to="<x@y>\nBcc: x@evil.com")


def test_utc_dates_are_written_with_their_offset() -> None:
    parsed = parse(build(date=datetime(2026, 11, 28, 2, 21, tzinfo=UTC)))
    assert parsed["Date"].datetime == WHEN


# --- Message-ID -------------------------------------------------------------------------


def test_message_id_is_deterministic_and_safe() -> None:
    first = message_id_for("007/ADUAN/XI/2026", "receipt", "example.go.id")
    assert first == message_id_for("007/ADUAN/XI/2026", "receipt", "example.go.id")
    assert first.startswith("<aduan.007-ADUAN-XI-2026.receipt.")
    assert first.endswith("@example.go.id>")
    assert all(c.isalnum() or c in "<>.-@" for c in first)


def test_message_ids_differ_by_register_kind_serial_and_domain() -> None:
    ids = {
        message_id_for("007/ADUAN/XI/2026", "receipt", "example.go.id"),
        message_id_for("007/ADUAN/XI/2026", "answer", "example.go.id"),
        message_id_for("007/ADUAN/XI/2026", "reminder", "example.go.id", serial=1),
        message_id_for("007/ADUAN/XI/2026", "reminder", "example.go.id", serial=2),
        message_id_for("008/ADUAN/XI/2026", "receipt", "example.go.id"),
        message_id_for("007-ADUAN-XI-2026", "receipt", "example.go.id"),  # same once made safe
        message_id_for("007/ADUAN/XI/2026", "receipt", "example.net"),
    }
    assert len(ids) == 7


def test_message_id_accepts_an_address_for_its_domain_and_rejects_junk() -> None:
    assert message_id_for("1", "digest", "PPID@Example.go.id").endswith("@example.go.id>")
    assert message_id_for("", "digest", "example.go.id").startswith("<aduan.tanpa-nomor.digest.")
    for bad in ("", "exa mple.com", "example.com\r\nBcc: x", "-bad-.com", "a..b"):
        with pytest.raises(ValueError):
            message_id_for("007/ADUAN/XI/2026", "receipt", bad)


def test_message_id_for_odd_register_and_kind_is_still_valid_in_a_message() -> None:
    mid = message_id_for("007/ADUAN/XI/2026 <x>\r\nBcc: y", "Re:\nminder", "example.go.id", 3)
    assert parse(build(message_id=mid))["Message-ID"] == mid


# --- through a real SMTP server -----------------------------------------------------------


class _Collect:
    def __init__(self) -> None:
        self.envelopes: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, _Collect]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = _Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, handler
    finally:
        controller.stop()


def test_rendered_mail_with_injection_attempts_reaches_only_its_recipient_over_smtp(
    smtp_server: tuple[int, _Collect],
) -> None:
    port, handler = smtp_server
    ctx = {
        "complaint": {
            "register_no": "007/ADUAN/XI/2026",
            "name": "Budi\r\nBcc: x@evil.com",
            "desa": "Balong\nCc: y@evil.com",
            "text": "Aduan 🙏 dengan {{ 7*7 }}",
        }
    }
    env = make_environment(PACKAGED_TEMPLATES)
    msg = build(to=[(ctx["complaint"]["name"], "budi@example.com")])
    for kind in ("receipt", "ppid_notification"):
        rendered = render_message(env, kind, ctx)
        msg = build(to=[(ctx["complaint"]["name"], "budi@example.com")], rendered=rendered)
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.send_message(msg)
    assert [rcpts for _, rcpts, _ in handler.envelopes] == [["budi@example.com"]] * 2
    for _, _, data in handler.envelopes:
        received = email.message_from_bytes(data, policy=email.policy.default)
        assert received["Bcc"] is None and received["Cc"] is None
        assert received["Subject"].startswith("[Aduan 007/ADUAN/XI/2026] ")
        text = received.get_body(preferencelist=("plain",))
        assert "Aduan 🙏 dengan {{ 7*7 }}" in content(text)
