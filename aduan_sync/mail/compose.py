"""Compose a rendered message into a MIME email, safe against header injection.

A citizen's name lands in `To` and parts of their complaint may land in the subject. Nothing
they typed may add a header or a recipient: header text is stripped of CR/LF/NUL and every
other control, line-separator and bidi-override character, collapsed to one line, cut to a
sane length, and RFC 2047 "encoded words" are broken up so a parser never decodes them into
something else. Addresses are checked strictly and refused with `MailPermanentError`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from email import policy
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage
from email.utils import format_datetime

from aduan_sync import __version__
from aduan_sync.config import is_valid_email
from aduan_sync.errors import MailPermanentError
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
_MESSAGE_ID = re.compile(r"^<[A-Za-z0-9._+=-]{1,200}@[A-Za-z0-9.-]{1,253}>$")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9]+")
# SMTP line ends; headers stored raw (only the ids we built and checked) are never refolded,
# because a folded Message-ID parses back with a leading space and no longer compares equal.
class _HeaderRegistry(HeaderRegistry):
    """The standard registry, with each header class built once: the stock one creates a new
    class with `type()` for every header of every message, a third of composing time."""

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        cls = self._classes.get(key)
        if cls is None:
            cls = self._classes[key] = super().__getitem__(name)
        return cls


_POLICY = policy.SMTP.clone(refold_source="none", header_factory=_HeaderRegistry())


def clean_header_text(value: object, max_len: int) -> str:
    """One line of header-safe text: no controls or bidi overrides, no encoded-word openers."""
    text = "" if value is None else str(value)
    kept = [
        " " if ch.isspace() else ch
        for ch in text
        if ch.isspace() or ch in _CF_KEPT or unicodedata.category(ch) not in _STRIPPED_CATEGORIES
    ]
    text = " ".join("".join(kept).split())
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


def _address(name: object, address: object, role: str) -> Address:
    addr = check_address(address, role)
    local, _, domain = addr.rpartition("@")
    return Address(display_name=clean_header_text(name, NAME_MAX), username=local, domain=domain)


def _check_message_id(value: str, what: str) -> str:
    if not _MESSAGE_ID.match(value):
        raise ValueError(f"{what} must look like <local@domain> with safe characters: {value!r}")
    return value


def build_email(
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
) -> EmailMessage:
    """A `multipart/alternative` (text + HTML, UTF-8) message ready for SMTP or the Gmail API.

    `to`/`cc` are (display name, address) pairs. An invalid address raises
    `MailPermanentError`; a naive `date` or a malformed Message-ID raises `ValueError`
    (programming errors). `auto_submitted` marks mail the worker generated (RFC 3834), so
    auto-responders stay quiet; staff answers sent on their behalf may pass False.
    """
    if not to:
        raise MailPermanentError("Pesan tidak memiliki penerima.", detail="empty To")
    if date.tzinfo is None or date.utcoffset() is None:
        raise ValueError("date must be timezone-aware")
    msg = EmailMessage(policy=_POLICY)
    msg["Subject"] = clean_header_text(rendered.subject, SUBJECT_MAX)
    msg["From"] = _address(sender_name, sender, "pengirim")
    msg["To"] = [_address(name, addr, "penerima") for name, addr in to]
    if cc:
        msg["Cc"] = [_address(name, addr, "tembusan") for name, addr in cc]
    if reply_to:
        msg["Reply-To"] = check_address(reply_to, "balasan (Reply-To)")
    msg["Date"] = format_datetime(date)
    # Raw, so the id stays on its header's line (see _POLICY); it was checked to be safe.
    msg.set_raw("Message-ID", _check_message_id(message_id, "message_id"))
    if in_reply_to:
        _check_message_id(in_reply_to, "in_reply_to")
        msg.set_raw("In-Reply-To", in_reply_to)
        msg.set_raw("References", in_reply_to)
    if auto_submitted:
        msg["Auto-Submitted"] = "auto-generated"
        msg["X-Auto-Response-Suppress"] = "All"
    msg["X-Mailer"] = f"aduan-sync {__version__}"
    # Quoted-printable keeps every line short and 7-bit: no server needs 8BITMIME, and a
    # citizen's 5,000-character paragraph never breaks the 998-octet line limit.
    msg.set_content(rendered.text, charset="utf-8", cte="quoted-printable")
    if rendered.html:
        msg.add_alternative(rendered.html, subtype="html", charset="utf-8", cte="quoted-printable")
        # Derived from the Message-ID so the same message always has the same bytes; "=_"
        # can never occur in quoted-printable text, so the boundary cannot clash with a body.
        boundary = hashlib.sha256(message_id.encode()).hexdigest()[:32]
        msg.set_boundary(f"=_aduan_{boundary}")
    # After set_content, which clears Content-* headers; describes the whole message.
    msg["Content-Language"] = "id"
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
