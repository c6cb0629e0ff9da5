"""The wire format's encodings for `compose`: RFC 2047 encoded words, header folding within
78 columns, UTF-8 quoted-printable bodies with CRLF, and the RFC 5322 date.

Written here rather than taken from `email`: the stdlib's modern policy spent most of a
message's 3-4 ms parsing its own headers back and refolding them, and `binascii.b2a_qp`
alone took longer than the rest of composing. `tests/test_compose_equivalence.py` checks the
result against that stdlib composer. Nothing here sanitises text: callers pass header text
already cleaned (`compose.clean_header_text`) and addresses already checked.
"""

from __future__ import annotations

import base64
import codecs
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from email.utils import format_datetime

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
# Quoted-printable: bytes that need no escape once "=" and non-ASCII are escaped.
_QP_LITERAL = bytes([9, 10, *range(0x20, 0x7F)])
_QP_CONTROL = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]")
_QP_ERRORS = "aduan_sync.quoted-printable"


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


def fold(name: str, tokens: Sequence[str]) -> str:
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


def text_tokens(text: str, plain: Callable[[str], bool]) -> list[str]:
    """Words of one-line `text` for `fold`: those `plain` accepts as they are, each run of
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


def plain_text(word: str) -> bool:
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
    return text_tokens(name, _plain_atom)


def address_tokens(pairs: Sequence[tuple[str, str]]) -> list[str]:
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


def qp(text: str) -> bytes:
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


def format_date(date: datetime) -> str:
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


