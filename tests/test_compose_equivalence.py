"""The fast composer against the one it replaced: same message, same safety, for hostile input.

`old_compose` below is the previous `build_email` (an `EmailMessage` with the stdlib's modern
policy, then `bytes()`), kept here as the reference and nowhere else. Every case goes through
both; both results are parsed the way a receiving system would, and must agree on every header
(decoded), every recipient, and both decoded bodies. The new bytes must also be well formed on
their own: one Message-ID, CRLF only, 7-bit, short lines, no defects.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import random
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from email import _header_value_parser as hvp
from email import policy
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from aduan_sync import __version__
from aduan_sync.config import PACKAGED_TEMPLATES
from aduan_sync.errors import MailPermanentError
from aduan_sync.mail import Rendered, make_environment, render_message
from aduan_sync.mail.compose import (
    NAME_MAX,
    SUBJECT_MAX,
    _check_message_id,
    build_email,
    check_address,
    clean_header_text,
    compose_bytes,
)
from aduan_sync.mail.render import KINDS
from aduan_sync.mail.wire import format_date
from tests.test_compose import INJECTIONS
from tests.test_hostile import HOSTILE_NAMES, HOSTILE_TEXTS, LONG

# --- the reference: the composer as it was before compose_bytes ---------------------------


class _HeaderRegistry(HeaderRegistry):
    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        cls = self._classes.get(key)
        if cls is None:
            cls = self._classes[key] = super().__getitem__(name)
        return cls


_OLD_POLICY = policy.SMTP.clone(refold_source="none", header_factory=_HeaderRegistry())


def _old_address(name: object, address: object, role: str) -> Address:
    addr = check_address(address, role)
    local, _, domain = addr.rpartition("@")
    return Address(display_name=clean_header_text(name, NAME_MAX), username=local, domain=domain)


def old_compose(
    rendered: Rendered,
    *,
    sender: str,
    sender_name: str,
    to: Sequence[tuple[str, str]],
    cc: Sequence[tuple[str, str]] = (),
    reply_to: str | None = None,
    message_id: str,
    date: datetime,
    in_reply_to: str | None = None,
    auto_submitted: bool = True,
) -> bytes:
    """`bytes(build_email(...))` as of commit e53c600."""
    if not to:
        raise MailPermanentError("Pesan tidak memiliki penerima.", detail="empty To")
    if date.tzinfo is None or date.utcoffset() is None:
        raise ValueError("date must be timezone-aware")
    msg = EmailMessage(policy=_OLD_POLICY)
    msg["Subject"] = clean_header_text(rendered.subject, SUBJECT_MAX)
    msg["From"] = _old_address(sender_name, sender, "pengirim")
    msg["To"] = [_old_address(name, addr, "penerima") for name, addr in to]
    if cc:
        msg["Cc"] = [_old_address(name, addr, "tembusan") for name, addr in cc]
    if reply_to:
        msg["Reply-To"] = check_address(reply_to, "balasan (Reply-To)")
    msg["Date"] = format_datetime(date)
    msg.set_raw("Message-ID", _check_message_id(message_id, "message_id"))
    if in_reply_to:
        _check_message_id(in_reply_to, "in_reply_to")
        msg.set_raw("In-Reply-To", in_reply_to)
        msg.set_raw("References", in_reply_to)
    if auto_submitted:
        msg["Auto-Submitted"] = "auto-generated"
        msg["X-Auto-Response-Suppress"] = "All"
    msg["X-Mailer"] = f"aduan-sync {__version__}"
    msg.set_content(rendered.text, charset="utf-8", cte="quoted-printable")
    if rendered.html:
        msg.add_alternative(rendered.html, subtype="html", charset="utf-8", cte="quoted-printable")
        boundary = hashlib.sha256(message_id.encode()).hexdigest()[:32]
        msg.set_boundary(f"=_aduan_{boundary}")
    msg["Content-Language"] = "id"
    return bytes(msg)


# --- the corpus -------------------------------------------------------------------------

WIB = timezone(timedelta(hours=7))
WHEN = datetime(2026, 11, 28, 9, 21, tzinfo=WIB)
MSGID = "<aduan.007-ADUAN-XI-2026.receipt.0123456789ab@example.go.id>"
PARENT = "<aduan.007-ADUAN-XI-2026.receipt.aaaaaaaaaaaa@example.go.id>"
SIMPLE = Rendered(
    subject="[Aduan 007/ADUAN/XI/2026] Tanda terima aduan 🙏",
    text="Yth. Bapak/Ibu\n\nAduan Bapak/Ibu telah kami terima. Terima kasih 🙏\n",
    html="<!DOCTYPE html><html><body><p>Aduan telah kami terima.</p></body></html>\n",
)
ORDINARY_NAMES = [
    "Sri Rahayu Ningsih", "Siti Nur'aini", "Bambang Sutejo, S.Pd.", "Ṣūryā Dewi 🙏",
    "Mbah Karto (Dusun Gondang)", 'R. Ngt. "Tien" Sumarsih', "", "Budi", "O'Neil",
    "Dr. H. Muhammad Abdurrahman Wahid Hasyim Asy'ari, M.Si., M.Pd., S.H., LL.M. (Ketua)",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467 Keluarga Budi", "\u0644\u0627 jalan rusak",
    "Nguyễn Thị Minh Khai", "李小龍", "a\\b \"c\" d", "x" * 69, "x" * 70, "y" * 80, "é" * 80,
    "Budi " + "é" * 30 + " Santoso " + "ü" * 30, "= ?", "?=", "=", "_", "Budi_Santoso",
    "Budi?Santoso", "Budi=Santoso", "Budi !#$%&*+-/=?^_`{|}~ Santoso", "  spaced   out  ",
]  # fmt: skip
BODY_EDGES = [
    "", "\n", "x", "tanpa baris baru di akhir", "baris\r\nCRLF\r\n", "hanya\rCR\r", "a\n\n\n",
    "spasi di akhir   \nlalu tab\t\n", " \n\t\n", "=" * 200, "=\n=3D\n=20\n", ".\n..\n. \n",
    "From sini\nFrom: x\n", "x" * 75 + " \n" + "x" * 76 + " \n" + "x" * 74 + "\t\n",
    "é" * 100 + "\n" + "🙏" * 60, "a\u2028b\u2029c\x0bd\x0ce\x85f\x1cg", "nul\x00 esc\x1b del\x7f",
    "".join(chr(c) for c in range(1, 0x250)), ("kata " * 3000).strip(), LONG,
    "<script>alert('x')</script>\n{{ config }} {% raw %}",
]  # fmt: skip


def kwargs(**kw: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "rendered": SIMPLE,
        "sender": "ppid.jenawi@example.go.id",
        "sender_name": "PPID Kecamatan Jenawi",
        "to": [("Sutrisno", "sutrisno@example.com")],
        "reply_to": "ppid.jenawi@example.go.id",
        "message_id": MSGID,
        "date": WHEN,
    }
    args.update(kw)
    return args


def _html(text: str) -> str:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (
        f'<!DOCTYPE html>\n<html lang="id"><body style="margin:0">\n<p>{escaped}</p>\n'
        "</body></html>\n"
    )


def _rendered_cases() -> list[tuple[str, dict[str, Any]]]:
    """Every packaged template, rendered for complaints whose fields are hostile."""
    env = make_environment(PACKAGED_TEMPLATES)
    cases = []
    for i, text in enumerate([*HOSTILE_TEXTS, *INJECTIONS[:4]]):
        name = (HOSTILE_NAMES + INJECTIONS)[i % (len(HOSTILE_NAMES) + len(INJECTIONS))]
        complaint = {
            "register_no": "007/ADUAN/XI/2026", "name": name, "text": text,
            "desa": "Balong\nCc: y@evil.com", "address": text[:300], "location": name,
            "answer": text, "category": "Infrastruktur", "missing": ["Alamat"],
            "extra": [["Kolom\r\nBcc: z@evil.com", text[:100]]], "attachments": [name],
        }  # fmt: skip
        for kind in KINDS:
            if kind == "digest":
                ctx: dict[str, Any] = {
                    "new": [complaint], "overdue": [complaint],
                    "failed_messages": [{"register_no": name, "kind": "receipt", "error": text}],
                }  # fmt: skip
            else:
                ctx = {"complaint": complaint, "escalation": i % 2 == 0}
            rendered = render_message(env, kind, ctx)
            to = [(name, "warga@example.com")]
            cases.append((f"{kind}-{i}", kwargs(rendered=rendered, to=to)))
    return cases


def _fuzz_cases(n: int) -> list[tuple[str, dict[str, Any]]]:
    """Seeded random names, subjects and bodies from an alphabet of troublemakers."""
    rng = random.Random(9)
    alphabet = list("aB9 .,;:\"'<>()@=?_\\\t\r\n-") + [
        "\x00", "\x0b", "\x85", "\u2028", "\u202e", "\u200b", "\u200d", "\ufeff", "é", "ṣ",
        "🙏", "\U0001f468", "لا", "李", "=?", "?=", "=?utf-8?q?", "\r\nBcc: x@evil.com",
    ]  # fmt: skip

    def junk(size: int) -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, size)))

    cases = []
    for i in range(n):
        rendered = Rendered(junk(120), junk(600), _html(junk(600)) if i % 3 else "")
        to = [(junk(100), f"warga{j}@example.com") for j in range(rng.randint(1, 3))]
        cc = [(junk(40), "camat@example.go.id")] if i % 4 == 0 else []
        cases.append(
            (f"fuzz-{i}", kwargs(rendered=rendered, to=to, cc=cc, sender_name=junk(90)))
        )
    return cases


def _cases() -> list[tuple[str, dict[str, Any]]]:
    cases: list[tuple[str, dict[str, Any]]] = [("simple", kwargs())]
    for i, name in enumerate([*INJECTIONS, *HOSTILE_NAMES, *ORDINARY_NAMES]):
        cases.append((f"name-{i}", kwargs(to=[(name, "budi@example.com")])))
        cases.append((f"sender-name-{i}", kwargs(sender_name=name)))
    for i, tail in enumerate([*INJECTIONS, *HOSTILE_TEXTS, *ORDINARY_NAMES]):
        subject = f"[Aduan 007/ADUAN/XI/2026] Aduan baru: {tail}"
        cases.append((f"subject-{i}", kwargs(rendered=Rendered(subject, "x\n", ""))))
    for i, text in enumerate([*HOSTILE_TEXTS, *BODY_EDGES]):
        cases.append((f"body-{i}", kwargs(rendered=Rendered("S", text, _html(text)))))
        cases.append((f"text-only-{i}", kwargs(rendered=Rendered("S", text, ""))))
        cases.append((f"html-raw-{i}", kwargs(rendered=Rendered("S", "x", text or "<p></p>"))))
    cases += [
        ("empty-subject", kwargs(rendered=Rendered("", "x\n", "<p>x</p>"))),
        ("subject-only-emoji", kwargs(rendered=Rendered("🙏", "x\n", ""))),
        ("cc", kwargs(cc=[("Camat Jenawi", "camat@example.go.id"), ("", "sekcam@example.go.id"),
                          ("Kasi Pemerintahan, Trantib", "trantib@example.go.id")])),
        ("in-reply-to", kwargs(in_reply_to=PARENT)),
        ("no-auto-submitted", kwargs(auto_submitted=False, reply_to=None)),
        ("many-recipients", kwargs(to=[(n or f"Warga {i}", f"warga{i}@example.com")
                                       for i, n in enumerate(ORDINARY_NAMES)])),
        ("long-address", kwargs(to=[("Budi", "b" * 64 + "@" + "d" * 60 + ".example.go.id")])),
        ("odd-address-chars", kwargs(to=[("Budi", "budi.o'neil+aduan%x@sub-domain.example.id")])),
        ("utc", kwargs(date=datetime(2026, 11, 28, 2, 21, tzinfo=UTC))),
        ("negative-offset", kwargs(date=datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(
            -timedelta(hours=3, minutes=30))))),
        ("jakarta", kwargs(date=datetime(2026, 6, 30, 23, 59, 59, 999999,
                                         tzinfo=ZoneInfo("Asia/Jakarta")))),
        ("long-message-id", kwargs(message_id="<" + "a" * 200 + "@" + "b" * 253 + ">")),
        ("sender-quoted", kwargs(sender_name='PPID "Jenawi", Karanganyar')),
    ]  # fmt: skip
    return cases + _rendered_cases() + _fuzz_cases(150)


CASES = _cases()


# --- comparing -----------------------------------------------------------------------------

ADDRESS_HEADERS = ("from", "to", "cc", "reply-to")


def parse(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def unfold(value: str) -> str:
    return re.sub(r"\r?\n(?=[ \t])", "", value)


def _display_name(token: Any) -> str:
    """A parsed display name decoded strictly by RFC 2047: the space between two encoded words
    is not part of the text. (Python's own `display_name` keeps one there, so a name folded
    in a different place would read differently.)"""
    items: list[tuple[str, str]] = []

    def walk(t: Any) -> None:
        if isinstance(t, hvp.EncodedWord):
            items.append(("ew", str(t)))
        elif isinstance(t, hvp.BareQuotedString):
            items.append(("text", t.value))
        elif isinstance(t, hvp.WhiteSpaceTerminal):
            items.append(("ws", str(t)))
        elif isinstance(t, hvp.Terminal):
            items.append(("text", str(t)))
        else:
            for child in t:
                walk(child)

    walk(token)
    words = [(i, kind) for i, (kind, _) in enumerate(items) if kind != "ws"]
    between_ews: set[int] = set()
    for (i, kind), (j, next_kind) in zip(words, words[1:], strict=False):
        if kind == next_kind == "ew":
            between_ews.update(range(i + 1, j))
    return "".join(text for i, (_, text) in enumerate(items) if i not in between_ews).strip()


def addresses(msg: EmailMessage, name: str) -> list[tuple[str, str]]:
    """(display name decoded strictly, address) of every address in header `name`."""
    out = []
    for key, raw in msg.raw_items():
        if key.lower() != name:
            continue
        parsed, rest = hvp.get_address_list(unfold(raw))
        if rest.strip() or parsed.all_defects:  # an old composer's slip (see same_message)
            out.append(("(unparsable)", raw))
        for mailbox in parsed.all_mailboxes:
            names = [t for t in mailbox[0] if isinstance(t, hvp.DisplayName)]
            shown = _display_name(names[0]) if names else ""
            out.append((shown, mailbox.addr_spec))
    return out


def headers_of(msg: EmailMessage) -> dict[str, Any]:
    """Every header but the subject and the addresses (compared with the input instead)."""
    return {
        k.lower(): [str(v) for v in msg.get_all(k, [])]
        for k in msg
        if k.lower() not in ("subject", *ADDRESS_HEADERS)
    }


def bodies_of(msg: EmailMessage) -> list[tuple[str, str | None, str, str]]:
    parts = list(msg.iter_parts()) if msg.is_multipart() else [msg]
    return [
        (p.get_content_type(), p.get_content_charset(), str(p["Content-Transfer-Encoding"]),
         p.get_content())
        for p in parts
    ]  # fmt: skip


def check_wire(raw: bytes, long_tokens: bool = False) -> EmailMessage:
    """What any receiving system needs, whatever the input was. Returns the parsed message."""
    assert raw.isascii()
    assert b"\r" not in raw.replace(b"\r\n", b"") and b"\n" not in raw.replace(b"\r\n", b"")
    assert raw.endswith(b"\r\n")
    head, sep, body = raw.partition(b"\r\n\r\n")
    assert sep
    head_lines = head.split(b"\r\n")
    assert max(map(len, head_lines)) <= (998 if long_tokens else 78)
    assert not any(line.endswith((b" ", b"\t")) for line in head_lines)
    starts = [line.split(b":")[0].lower() for line in head_lines if line[:1] not in b" \t"]
    assert starts.count(b"message-id") == 1
    assert len(starts) == len(set(starts))  # no header twice
    body_lines = body.split(b"\r\n")
    assert max(map(len, body_lines)) <= 76
    assert not any(line.endswith((b" ", b"\t")) for line in body_lines)
    msg = parse(raw)
    for part in msg.walk():
        assert part.defects == []
        for _, value in part.items():
            assert not value.defects, value
    assert msg["Bcc"] is None
    return msg


def same_message(args: dict[str, Any], long_tokens: bool = False, case: str = "") -> bytes:
    """Compose with both; compare what a receiving system reads. Returns the new bytes.

    The subject and the addresses must read back exactly as given (cleaned). So must the old
    composer's, but for fuzzed junk, where it slips: it drops or doubles a space at a fold,
    writes an encoded word against other text (left undecoded), or encodes the comma between
    two addresses into an encoded word (the To header no longer parses). There the new one
    must still be exact.
    """
    old, new = old_compose(**args), compose_bytes(**args)
    new_msg, old_msg = check_wire(new, long_tokens), parse(old)
    assert list(new_msg.keys()) == list(old_msg.keys())
    assert headers_of(new_msg) == headers_of(old_msg)
    assert bodies_of(new_msg) == bodies_of(old_msg)
    # Subject and addresses: exactly what was given, cleaned (decoded strictly: what a mail
    # client shows), and what the old composer wrote unless it slipped.
    given: dict[str, Any] = {
        "subject": clean_header_text(args["rendered"].subject, SUBJECT_MAX),
        "from": [(clean_header_text(args["sender_name"], NAME_MAX), args["sender"])],
        "to": [(clean_header_text(n, NAME_MAX), a) for n, a in args["to"]],
        "cc": [(clean_header_text(n, NAME_MAX), a) for n, a in args.get("cc") or []],
        "reply-to": [("", args["reply_to"])] if args.get("reply_to") else [],
    }
    expected: Any
    new_value: Any
    old_value: Any
    for key, given_value in given.items():
        if key == "subject":
            expected = given_value
            new_value, old_value = str(new_msg["Subject"]), str(old_msg["Subject"]).lstrip(" ")
        else:
            # Python's own decoding too, but for the spaces it adds between encoded words.
            expected = (given_value, [n.replace(" ", "") for n, _ in given_value])
            new_value, old_value = (
                (addresses(m, key), [a.display_name.replace(" ", "") for a in _all(m, key)])
                for m in (new_msg, old_msg)
            )
        assert new_value == expected
        if old_value != new_value:
            assert case.startswith("fuzz-"), (key, old_value)
    return new


def _all(msg: EmailMessage, key: str) -> list[Any]:
    return [a for v in msg.get_all(key, []) for a in v.addresses]


@pytest.mark.parametrize(("case", "args"), CASES, ids=[i for i, _ in CASES])
def test_fast_composer_writes_the_same_message_as_the_stdlib_one(
    case: str, args: dict[str, Any]
) -> None:
    long_tokens = any(len(a) > 60 for _, a in args["to"]) or len(args["message_id"]) > 60
    new = same_message(args, long_tokens, case)
    # The EmailMessage wrapper changes nothing (but for the space the stdlib writes after an
    # empty header's colon).
    assert bytes(build_email(**args)) == new.replace(b"Subject:\r\n", b"Subject: \r\n", 1)


ERRORS: list[dict[str, Any]] = [
    kwargs(to=[]),
    kwargs(date=datetime(2026, 11, 28, 9, 0)),
    kwargs(to=[("Budi", "budi@example.com\r\nBcc: x@evil.com")]),
    kwargs(to=[("Budi", "Budi <budi@example.com>")]),
    kwargs(to=[("Budi", "büdi@example.com")]),
    kwargs(to=[("Budi", None)]),
    kwargs(to=[("Budi", "budi@example.com"), ("Eve", "eve@@example.com")]),
    kwargs(cc=[("Camat", "camat@example.go.id\r\nBcc: x@evil.com")]),
    kwargs(sender="ppid jenawi@example.go.id"),
    kwargs(reply_to="a@example.com, b@evil.com"),
    kwargs(message_id="aduan@example.go.id"),
    kwargs(message_id="<x@y>\r\nBcc: x@evil.com"),
    kwargs(in_reply_to="<x@y>\nBcc: x@evil.com"),
    kwargs(sender="bad", to=[("B", "bad")], message_id="bad"),  # the first check wins
    kwargs(rendered=Rendered("S", "lone surrogate \ud800", "")),
    kwargs(rendered=Rendered("S", "x", "lone surrogate \udfff")),
]


@pytest.mark.parametrize("args", ERRORS)
def test_fast_composer_refuses_what_the_stdlib_one_refused(args: dict[str, Any]) -> None:
    with pytest.raises(Exception) as old:
        old_compose(**args)
    with pytest.raises(Exception) as new:
        compose_bytes(**args)
    assert type(new.value) is type(old.value)
    if isinstance(old.value, MailPermanentError):
        assert isinstance(new.value, MailPermanentError)
        assert (new.value.message, new.value.detail) == (old.value.message, old.value.detail)
    elif isinstance(old.value, ValueError) and not isinstance(old.value, UnicodeError):
        assert str(new.value) == str(old.value)


def test_same_inputs_give_the_same_bytes_and_the_boundary_follows_the_message_id() -> None:
    first = compose_bytes(**kwargs())
    assert first == compose_bytes(**kwargs())
    boundary = "=_aduan_" + hashlib.sha256(MSGID.encode()).hexdigest()[:32]
    assert f'boundary="{boundary}"'.encode() in first
    other = compose_bytes(**kwargs(message_id=PARENT))
    assert boundary.encode() not in other


@pytest.mark.parametrize(
    "zone", [UTC, WIB, timezone(-timedelta(hours=9, minutes=30)), ZoneInfo("Asia/Jayapura"),
             ZoneInfo("America/St_Johns"), ZoneInfo("Asia/Jakarta")],
)  # fmt: skip
def test_date_header_is_written_like_the_stdlib_writes_it(zone: Any) -> None:
    start = datetime(1899, 12, 31, 23, 59, 59, tzinfo=UTC)
    for days in range(0, 60_000, 997):
        when = (start + timedelta(days=days, seconds=days * 37)).astimezone(zone)
        assert format_date(when) == format_datetime(when)


def test_a_40000_character_complaint_in_both_parts_stays_equal_and_short_lined() -> None:
    text = "Yth. Bapak/Ibu\n\n" + LONG + " 🙏\n\n" + "é" * 5000 + "\n"
    same_message(kwargs(rendered=Rendered("S", text, _html(text))), case="long")

