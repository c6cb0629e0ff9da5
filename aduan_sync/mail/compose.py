"""Compose a rendered message into a MIME email, safe against header injection.

A citizen's name lands in `To` and parts of their complaint may land in the subject. Nothing
they typed may add a header or a recipient: header text is stripped of CR/LF/NUL and every
other control, line-separator and bidi-override character, collapsed to one line, cut to a
sane length, and RFC 2047 "encoded words" are broken up so a parser never decodes them into
something else. Addresses are checked strictly and refused with `MailPermanentError`.

`compose_bytes` writes the wire format directly (7-bit, CRLF, header lines within 78 columns,
UTF-8 quoted-printable bodies; the encodings are in `wire`): the stdlib's `EmailMessage` with
a modern policy took 3-4 ms a message, mostly in parsing its own headers back and refolding
them, where a pass has about 1.5 ms a complaint for everything.
`tests/test_compose_equivalence.py` holds that composer as the reference and checks that
both write the same message for hostile input.
`build_email` parses the bytes back into an `EmailMessage`, for callers that want one.
"""

from __future__ import annotations

import email
import functools
import hashlib
import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from email import policy
from email.message import EmailMessage
from typing import Any

from aduan_sync import __version__
from aduan_sync.config import is_valid_email
from aduan_sync.errors import MailPermanentError
from aduan_sync.mail import wire
from aduan_sync.mail.render import Rendered

#: Longest display name kept in From/To/Cc (longer ones are cut, never refused).
NAME_MAX = 80
#: Longest subject kept; the register number is at its start, so cutting the end is harmless.
SUBJECT_MAX = 200

# Format characters (Cf) that are part of ordinary text: zero-width (non-)joiner, which builds
# emoji sequences and some scripts, and the emoji tag characters (subdivision flags).
_CF_KEPT = {"\u200c", "\u200d"} | {chr(c) for c in range(0xE0020, 0xE0080)}
# Cc: C0/C1 controls (CR, LF, NUL, TAB...); Cf: bidi overrides, BOM, invisible marks;
# Zl/Zp: U+2028/2029, line breaks to some parsers; Cs: lone surrogates, not encodable.
_STRIPPED_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs"}
_NOT_PRINTABLE_ASCII = re.compile(r"[^\x20-\x7e]")
_MESSAGE_ID = re.compile(r"^<[A-Za-z0-9._+=-]{1,200}@[A-Za-z0-9.-]{1,253}>$")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9]+")
_X_MAILER = f"X-Mailer: aduan-sync {__version__}"
# `build_email` parses the composed bytes with this: CRLF kept, nothing refolded, so the
# message object flattens back to exactly those bytes.
_PARSE_POLICY = policy.SMTP.clone(refold_source="none")
_MIME_HEAD = {
    subtype: f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
    "Content-Transfer-Encoding: quoted-printable"
    for subtype in ("plain", "html")
}


def _header_char(match: re.Match[str]) -> str:
    ch = match[0]
    if ch.isspace():
        return " "
    if ch in _CF_KEPT or unicodedata.category(ch) not in _STRIPPED_CATEGORIES:
        return ch
    return ""


def clean_header_text(value: object, max_len: int) -> str:
    """One line of header-safe text: no controls or bidi overrides, no encoded-word openers."""
    text = "" if value is None else str(value)
    if not (text.isascii() and text.isprintable()):  # printable ASCII: nothing to strip
        text = _NOT_PRINTABLE_ASCII.sub(_header_char, text)
    text = " ".join(text.split())
    # "=?utf-8?q?...?=" typed by a citizen must stay text; a space breaks the encoded word.
    while "=?" in text:
        text = text.replace("=?", "= ?")
    if len(text) > max_len:
        text = text[: max_len - 1].rstrip() + "…"
    return text


def check_address(address: object, role: str = "penerima") -> str:
    """The address, stripped, if it is one plain valid address; else `MailPermanentError`."""
    text = str(address or "").strip()
    if not text.isascii() or not is_valid_email(text):
        shown = clean_header_text(text, 80) or "(kosong)"
        raise MailPermanentError(
            f"Alamat surel {role} tidak valid: {shown}",
            detail=f"invalid {role} address {text!r}",
        )
    return text


def _check_message_id(value: str, what: str) -> str:
    if not _MESSAGE_ID.match(value):
        raise ValueError(f"{what} must look like <local@domain> with safe characters: {value!r}")
    return value


def _pairs(pairs: Sequence[tuple[object, object]]) -> tuple[tuple[str, str], ...]:
    """(name, address) pairs as the strings `clean_header_text` and `check_address` see."""
    return tuple(("" if n is None else str(n), str(a or "")) for n, a in pairs)


@functools.lru_cache(maxsize=256)
def _address_header(name: str, role: str, pairs: tuple[tuple[str, str], ...]) -> str:
    """An address header, every address checked (`MailPermanentError` names `role`). Cached:
    the sender and the staff recipients are the same in every message of a pass."""
    checked = [(clean_header_text(n, NAME_MAX), check_address(a, role)) for n, a in pairs]
    return wire.fold(name, wire.address_tokens(checked))


def _prepare(
    rendered: Rendered,
    *,
    sender: str,
    sender_name: str,
    to: Sequence[tuple[str, str]],
    cc: Sequence[tuple[str, str]],
    reply_to: str | None,
    message_id: str,
    date: datetime,
    in_reply_to: str | None,
    auto_submitted: bool,
) -> list[str]:
    """The message's header lines, every value checked (in the order the old composer did)."""
    if not to:
        raise MailPermanentError("Pesan tidak memiliki penerima.", detail="empty To")
    if date.tzinfo is None or date.utcoffset() is None:
        raise ValueError("date must be timezone-aware")
    subject = clean_header_text(rendered.subject, SUBJECT_MAX)
    head = [
        wire.fold("Subject", wire.text_tokens(subject, wire.plain_text)),
        _address_header("From", "pengirim", _pairs([(sender_name, sender)])),
        _address_header("To", "penerima", _pairs(to)),
    ]
    if cc:
        head.append(_address_header("Cc", "tembusan", _pairs(cc)))
    if reply_to:
        head.append(f"Reply-To: {check_address(reply_to, 'balasan (Reply-To)')}")
    head.append(f"Date: {wire.format_date(date)}")
    # Never folded: a folded Message-ID parses back with a leading space and no longer
    # compares equal. At most 456 characters, well within a line's 998.
    head.append(f"Message-ID: {_check_message_id(message_id, 'message_id')}")
    if in_reply_to:
        _check_message_id(in_reply_to, "in_reply_to")
        head += [f"In-Reply-To: {in_reply_to}", f"References: {in_reply_to}"]
    if auto_submitted:
        head += ["Auto-Submitted: auto-generated", "X-Auto-Response-Suppress: All"]
    head.append(_X_MAILER)
    return head


def compose_bytes(
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
    """The message as it goes on the wire: 7-bit, CRLF, `multipart/alternative` (text +
    HTML, UTF-8 quoted-printable), or `text/plain` alone when there is no HTML.

    `to`/`cc` are (display name, address) pairs. An invalid address raises
    `MailPermanentError`; a naive `date` or a malformed Message-ID raises `ValueError`
    (programming errors). `auto_submitted` marks mail the worker generated (RFC 3834), so
    auto-responders stay quiet; staff answers sent on their behalf may pass False.
    """
    head = _prepare(
        rendered, sender=sender, sender_name=sender_name, to=to, cc=cc, reply_to=reply_to,
        message_id=message_id, date=date, in_reply_to=in_reply_to,
        auto_submitted=auto_submitted,
    )
    # Quoted-printable keeps every line short and 7-bit: no server needs 8BITMIME, and a
    # citizen's 5,000-character paragraph never breaks the 998-octet line limit.
    text = wire.qp(rendered.text)
    if not rendered.html:
        head += [_MIME_HEAD["plain"], "MIME-Version: 1.0", "Content-Language: id", "", ""]
        return b"".join(["\r\n".join(head).encode("ascii"), text])
    # Derived from the Message-ID so the same message always has the same bytes; "=_" can
    # never occur in quoted-printable text, so the boundary cannot clash with a body.
    boundary = "=_aduan_" + hashlib.sha256(message_id.encode()).hexdigest()[:32]
    head += [
        "MIME-Version: 1.0",
        f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"',
        "Content-Language: id",
        "",
        f"--{boundary}",
        _MIME_HEAD["plain"],
        "",
        "",
    ]
    delimiter = f"\r\n--{boundary}\r\n{_MIME_HEAD['html']}\r\n\r\n".encode("ascii")
    end = f"\r\n--{boundary}--\r\n".encode("ascii")
    html = wire.qp(rendered.html)
    return b"".join(["\r\n".join(head).encode("ascii"), text, delimiter, html, end])


def build_email(rendered: Rendered, **options: Any) -> EmailMessage:
    """`compose_bytes(rendered, **options)` parsed back into an `EmailMessage`, for callers
    that want to inspect or hand over a message object; `bytes()` of it gives the same bytes
    back. Takes exactly `compose_bytes`'s keyword arguments."""
    msg = email.message_from_bytes(compose_bytes(rendered, **options), policy=_PARSE_POLICY)
    assert isinstance(msg, EmailMessage)  # the policy's message factory
    return msg


def message_id_for(register_no: str, kind: str, domain: str, serial: int | None = None) -> str:
    """Deterministic Message-ID for one (register number, kind[, serial]) message.

    Same inputs, same `<aduan.007-ADUAN-XI-2026.receipt.<hash>@domain>`; the short hash of the
    exact inputs keeps ids apart when two register numbers read alike once made safe. `domain`
    may also be given as an address (its part after `@` is used).
    """
    dom = str(domain).strip().rpartition("@")[2].strip(".").lower()
    if not _DOMAIN.match(dom) or len(dom) > 253:
        raise ValueError(f"not a usable Message-ID domain: {domain!r}")
    reg = _ID_UNSAFE.sub("-", register_no).strip("-")[:60] or "tanpa-nomor"
    kind_part = _ID_UNSAFE.sub("-", kind.lower()).strip("-")[:40] or "pesan"
    digest = hashlib.sha256(
        "\x00".join([register_no, kind, "" if serial is None else str(serial), dom]).encode()
    ).hexdigest()[:12]
    parts = ["aduan", reg, kind_part]
    if serial is not None:
        parts.append(str(int(serial)))
    parts.append(digest)
    return f"<{'.'.join(parts)}@{dom}>"
