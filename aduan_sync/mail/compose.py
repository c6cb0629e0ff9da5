"""Compose a rendered message into a MIME email, safe against header injection.

A citizen's name lands in `To` and parts of their complaint may land in the subject. Nothing
they typed may add a header or a recipient: header text is stripped of CR/LF/NUL and every
other control, line-separator and bidi-override character, collapsed to one line, cut to a
sane length, and RFC 2047 "encoded words" are broken up so a parser never decodes them into
something else. Addresses are checked strictly and refused with `MailPermanentError`.

`compose_bytes` writes the wire format directly (7-bit, CRLF, header lines within 78 columns,
UTF-8 quoted-printable bodies): the stdlib's `EmailMessage` with a modern policy took 3-4 ms
a message, mostly in parsing its own headers back and refolding them, where a pass has
about 1.5 ms a complaint for everything. `tests/test_compose_equivalence.py` holds that
composer as the reference and checks that both write the same message for hostile input.
`build_email` parses the bytes back into an `EmailMessage`, for callers that want one.
"""

from __future__ import annotations

import base64
import codecs
import email
import functools
import hashlib
import re
import unicodedata
from collections.abc import Callable, Sequence
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

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
_NOT_PRINTABLE_ASCII = re.compile(r"[^\x20-\x7e]")
_MESSAGE_ID = re.compile(r"^<[A-Za-z0-9._+=-]{1,200}@[A-Za-z0-9.-]{1,253}>$")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9]+")
# Header text kept as it is typed in a phrase (RFC 5322 atext): any other word of a display
# name is quoted or encoded. Longer words are encoded too, so every line stays within 78.
_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_ATEXT = frozenset(_ALNUM + "!#$%&'*+-/=?^_`{|}~")
_SPECIALS = frozenset('()<>@,:;."[]\\')
#: Longest header line (RFC 5322's "should"); the longest word written as it is must fit on
#: the first line after "Subject: ".
_LINE_MAX = 78
_PLAIN_MAX = _LINE_MAX - len("Subject: ")
_EW_MAX = 75  # longest encoded word (RFC 2047)
_EW_OVERHEAD = len("=?utf-8?q??=")
# Q encoding restricted to what RFC 2047 allows inside a phrase, so one table serves all.
_Q_SAFE = frozenset((_ALNUM + "!*+-/").encode())
_Q_BYTE = [chr(b) if b in _Q_SAFE else "_" if b == 0x20 else f"={b:02X}" for b in range(256)]
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_X_MAILER = f"X-Mailer: aduan-sync {__version__}"
# `build_email` parses the composed bytes with this: CRLF kept, nothing refolded, so the
# message object flattens back to exactly those bytes.
_PARSE_POLICY = policy.SMTP.clone(refold_source="none")
# Quoted-printable: bytes that need no escape once "=" and non-ASCII are escaped.
_QP_LITERAL = bytes([9, 10, *range(0x20, 0x7F)])
_QP_CONTROL = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]")
_QP_ERRORS = "aduan_sync.quoted-printable"
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


class _Encoded(str):
    """Header text written as RFC 2047 encoded words (non-ASCII, specials or too long)."""


def _encoded_words(text: str, room: int) -> list[str]:
    """`text` as UTF-8 encoded words, the first at most `room` long and the others at most
    `_EW_MAX`; never splitting a character, whose bytes must stay in one word. Q when that is
    not longer than base64 (mostly-ASCII Indonesian reads better), else B."""
    sizes = [len(ch.encode()) for ch in text]
    q_costs = [3 * n if n > 1 else len(_Q_BYTE[ord(ch)]) for ch, n in zip(text, sizes, strict=True)]
    use_q = sum(q_costs) <= 4 * -(-sum(sizes) // 3)
    words: list[str] = []
    i = 0
    while i < len(text):
        limit = min(room, _EW_MAX) - _EW_OVERHEAD
        j, used = i, 0
        while j < len(text):
            more = used + (q_costs[j] if use_q else sizes[j])
            if (more if use_q else 4 * -(-more // 3)) > limit and j > i:
                break
            used, j = more, j + 1
        chunk = text[i:j].encode()
        if use_q:
            words.append("=?utf-8?q?" + "".join([_Q_BYTE[b] for b in chunk]) + "?=")
        else:
            words.append("=?utf-8?b?" + base64.b64encode(chunk).decode("ascii") + "?=")
        i, room = j, _LINE_MAX - 1
    return words


def _fold(name: str, tokens: Sequence[str]) -> str:
    """`Name: token token ...` folded before a token that would pass 78 columns.

    Tokens are separated by one space whether folded or not, so unfolding gives back the
    same text; `_Encoded` tokens become encoded words that fill the line they start on.
    """
    lines: list[str] = []
    line = name + ":"
    for token in tokens:
        if "\r" in token or "\n" in token:  # unreachable: every token is cleaned or checked
            raise ValueError(f"line break in {name} header: {token!r}")
        if isinstance(token, _Encoded):
            room = _LINE_MAX - len(line) - 1
            if room < _EW_OVERHEAD + 12:  # not even one character would fit
                lines.append(line)
                line, room = "", _LINE_MAX - 1
            first, *rest = _encoded_words(token, room)
            line += " " + first
            for word in rest:
                lines.append(line)
                line = " " + word
        else:
            if len(line) + 1 + len(token) > _LINE_MAX and line != name + ":":
                lines.append(line)
                line = ""
            line += " " + token
    lines.append(line)
    return "\r\n".join(lines)


def _text_tokens(text: str, plain: Callable[[str], bool]) -> list[str]:
    """Words of one-line `text` for `_fold`: those `plain` accepts as they are, each run of
    the others as one `_Encoded` (the spaces inside a run are encoded with it, since the
    space between two encoded words is not part of the text)."""
    tokens: list[str] = []
    run: list[str] = []
    for word in text.split(" ") if text else ():
        if plain(word):
            if run:
                tokens.append(_Encoded(" ".join(run)))
                run = []
            tokens.append(word)
        else:
            run.append(word)
    if run:
        tokens.append(_Encoded(" ".join(run)))
    return tokens


def _plain_text(word: str) -> bool:
    return len(word) <= _PLAIN_MAX and word.isascii()


def _plain_atom(word: str) -> bool:
    return len(word) <= _PLAIN_MAX and _ATEXT.issuperset(word)


def _phrase_tokens(name: str) -> list[str]:
    """A display name: atoms as they are; an ASCII name with specials as one quoted string
    (like `"Bambang Sutejo, S.Pd."`) if that fits a line; anything else encoded."""
    if name.isascii() and not _SPECIALS.isdisjoint(name):
        quoted = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if len(quoted) <= _PLAIN_MAX:
            return [quoted]
    return _text_tokens(name, _plain_atom)


def _address_tokens(pairs: Sequence[tuple[str, str]]) -> list[str]:
    """(clean display name, checked address) pairs as the tokens of an address list."""
    tokens: list[str] = []
    last = len(pairs) - 1
    for i, (name, addr) in enumerate(pairs):
        comma = "," if i < last else ""
        if name:
            tokens += _phrase_tokens(name)
            tokens.append(f"<{addr}>{comma}")
        else:
            tokens.append(addr + comma)
    return tokens


def _qp_escape(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: a run of non-ASCII characters as the =XX of their UTF-8 bytes (a
    lone surrogate raises `UnicodeEncodeError`, as `str.encode("utf-8")` would)."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    raw = error.object[error.start : error.end].encode("utf-8")
    return "=" + raw.hex("=").upper(), error.end


codecs.register_error(_QP_ERRORS, _qp_escape)


def _qp_line(line: bytes) -> bytes:
    """One encoded line that is longer than 76 or ends in a space: its last space escaped (a
    relay may strip it), then cut into lines of at most 75 plus a soft break "=", never inside
    an =XX escape."""
    if line.endswith(b" "):
        line = line[:-1] + b"=20"
        if len(line) <= 76:
            return line
    # The common case: no "=" in the last two columns of any piece, so no escape is cut.
    if 61 not in line[73::75] and 61 not in line[74::75]:
        return b"=\r\n".join([line[i : i + 75] for i in range(0, len(line), 75)])
    pieces = []
    start, end = 0, len(line)
    while end - start > 76:
        cut = start + 75
        if line[cut - 1] == 61:
            cut -= 1
        elif line[cut - 2] == 61:
            cut -= 2
        pieces.append(line[start:cut])
        start = cut
    pieces.append(line[start:])
    return b"=\r\n".join(pieces)


def _qp(text: str) -> bytes:
    """`text` as UTF-8 quoted-printable with CRLF line ends: every line at most 76 long, none
    ending in a space or tab; it decodes to `text` with its line ends made CRLF.

    Lines end where `EmailMessage.set_content` ends them (LF, CR or CRLF; VT, FF, NEL and
    U+2028 are escaped like other controls), so no bare CR or LF reaches the wire.
    `binascii.b2a_qp` takes longer than all the rest of composing, and writes a 77-character
    line when a line's last space falls in its 76th column.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.endswith("\n"):
        text += "\n"
    if "=" in text:
        text = text.replace("=", "=3D")
    data = text.encode("ascii", _QP_ERRORS)
    if data.translate(None, _QP_LITERAL):  # ASCII controls other than tab (rare)
        data = _QP_CONTROL.sub(lambda m: b"=%02X" % m[0][0], data)
    if b"\t" in data:
        data = data.replace(b"\t\n", b"=09\n")
    return b"\r\n".join(
        [
            _qp_line(line) if len(line) > 76 or line.endswith(b" ") else line
            for line in data.split(b"\n")
        ]
    )


def _pairs(pairs: Sequence[tuple[object, object]]) -> tuple[tuple[str, str], ...]:
    """(name, address) pairs as the strings `clean_header_text` and `check_address` see."""
    return tuple(("" if n is None else str(n), str(a or "")) for n, a in pairs)


@functools.lru_cache(maxsize=256)
def _address_header(name: str, role: str, pairs: tuple[tuple[str, str], ...]) -> str:
    """An address header, every address checked (`MailPermanentError` names `role`). Cached:
    the sender and the staff recipients are the same in every message of a pass."""
    checked = [(clean_header_text(n, NAME_MAX), check_address(a, role)) for n, a in pairs]
    return _fold(name, _address_tokens(checked))


def _format_date(date: datetime) -> str:
    """`email.utils.format_datetime(date)` for an aware `date`, in a fifth of its time."""
    delta = date.utcoffset()
    assert delta is not None  # aware: checked first thing in `_prepare`
    offset = int(delta.total_seconds())
    if offset % 60:  # a historic offset with seconds: as the stdlib writes it
        return format_datetime(date)
    hours, minutes = divmod(abs(offset) // 60, 60)
    return (
        f"{_DAYS[date.weekday()]}, {date.day:02d} {_MONTHS[date.month - 1]} {date.year:04d} "
        f"{date.hour:02d}:{date.minute:02d}:{date.second:02d} "
        f"{'-' if offset < 0 else '+'}{hours:02d}{minutes:02d}"
    )


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
        _fold("Subject", _text_tokens(subject, _plain_text)),
        _address_header("From", "pengirim", _pairs([(sender_name, sender)])),
        _address_header("To", "penerima", _pairs(to)),
    ]
    if cc:
        head.append(_address_header("Cc", "tembusan", _pairs(cc)))
    if reply_to:
        head.append(f"Reply-To: {check_address(reply_to, 'balasan (Reply-To)')}")
    head.append(f"Date: {_format_date(date)}")
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
    text = _qp(rendered.text)
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
    return b"".join(["\r\n".join(head).encode("ascii"), text, delimiter, _qp(rendered.html), end])


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
