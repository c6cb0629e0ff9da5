"""The contract every mail backend fulfils, and the factory that picks one from the config.

A transport is used for one delivery pass::

    with open_transport(cfg, os.environ) as transport:
        refused = transport.send(msg, ["ppid@example.go.id"])

`__enter__` opens nothing: the one connection of the pass is opened by the first `send()` and
reused by the next ones, so a pass with nothing to send never touches the network. `__exit__`
closes it.

`send()` delivers one message to exactly the `recipients` given (the envelope, from the
ledger), never to addresses found in the message's headers: a `Bcc:` or `To:` line smuggled
into a message cannot add a recipient. It returns the recipients the server refused while
accepting the others, as ``{address: server reply}`` (empty when all were accepted); the message
counts as sent, because retrying it would deliver it twice to the accepted ones. It raises:

- `MailConnectionError` (a `MailTransientError`): the server cannot be reached or dropped the
  connection (refused, reset, timeout, 421). Stop the pass; try again next pass.
- `MailTransientError`: the server refused this message for now (450, 451, 452; every recipient
  refused with a 4xx). Retry it later; the next message may go.
- `MailSetupError` (a `MailPermanentError`): nothing can be sent until the operator acts
  (certificate refused, login refused, STARTTLS not offered). Stop the pass.
- `MailPermanentError`: this message will never be accepted as it is (550, 554, a recipient
  refused with a 5xx while no other was accepted, an invalid address).
"""

from __future__ import annotations

import copy
import email.encoders
import email.errors
import email.generator
import email.message
import io
import re
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Protocol, runtime_checkable

from aduan_sync.config import Config, is_valid_email
from aduan_sync.errors import ConfigError, MailPermanentError

# A line break that does not continue the header on the next line (a fold starts with a space
# or tab): it would start a new header, which is how a crafted value adds a `Bcc:`.
_BARE_LINE_BREAK = re.compile(r"(?:\r\n|\r(?!\n)|\n)(?![ \t])")
#: Headers that name hidden recipients; never transmitted (the envelope carries them).
_HIDDEN_RECIPIENT_HEADERS = ("Bcc", "Resent-Bcc")

#: What `send()` returns: refused recipient -> the server's reply (e.g. "550 5.1.1 unknown").
Refused = dict[str, str]


@runtime_checkable
class Transport(Protocol):
    """A mail backend for one delivery pass (see the module docstring for the error contract)."""

    def __enter__(self) -> Transport: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def send(self, msg: email.message.EmailMessage, recipients: Sequence[str]) -> Refused:
        """Deliver `msg` to `recipients`; return the refused ones (see module docstring)."""
        ...


def check_recipients(recipients: Sequence[str]) -> list[str]:
    """The envelope recipients, validated: each a single plain address without CR/LF.

    Raises `MailPermanentError` on an empty list or an invalid address, before any network
    traffic, so a crafted address can never become an extra SMTP command or header.
    """
    if isinstance(recipients, str):  # a bare string would be iterated character by character
        recipients = [recipients]
    if not recipients:
        raise MailPermanentError("Pesan tidak memiliki penerima.")
    bad = [r for r in recipients if not is_valid_email(r)]
    if bad:
        raise MailPermanentError(
            "Alamat penerima tidak valid; pesan tidak dikirim.", detail=repr(bad)
        )
    return list(recipients)


def open_transport(cfg: Config, env: Mapping[str, str]) -> Transport:
    """The transport named by `[mail] backend`, ready to enter (no connection opened yet).

    Secrets are read here, once: the SMTP password from the environment variable named by
    `smtp_password_env` or from `smtp_password_file`. Raises `ConfigError` when they are
    missing, so a misconfigured pass fails at its start, not in the middle of delivery.
    """
    backend = cfg.mail.backend
    if backend == "outbox":
        from aduan_sync.mail.outbox import OutboxTransport

        return OutboxTransport(cfg.mail.outbox_dir)
    if backend == "smtp":
        from aduan_sync.mail.smtp import SmtpTransport

        return SmtpTransport.from_config(cfg, env)
    if backend == "gmail":
        from aduan_sync.mail.gmail import GmailTransport

        return GmailTransport.from_config(cfg, env)
    raise ConfigError(
        f"backend email tidak dikenal: {backend!r}", key="mail.backend", path=cfg.path
    )


def check_headers(msg: email.message.Message) -> None:
    """Refuse a message whose header values hold a line break that would start a new header.

    Messages built with the `SMTP` policy cannot hold one (the policy refuses it); this guards
    messages built another way or parsed from stored bytes with a mangled value.
    """
    for part in msg.walk():  # the message itself first, then every MIME part
        for name, value in part.raw_items():
            if _BARE_LINE_BREAK.search(str(value)):
                raise MailPermanentError(
                    "Pesan ditolak: ada baris baru di dalam kepala pesan "
                    "(percobaan sisipan header).",
                    detail=f"{name}: {str(value)!r}",
                )


def flatten(
    msg: email.message.Message, *, seven_bit: bool = False, keep_bcc: bool = False
) -> bytes:
    """The message as transmitted: CRLF line ends, `Bcc` removed, headers checked.

    With `seven_bit`, 8-bit body parts are re-encoded as base64 first (for a server that does
    not offer 8BITMIME); the content is unchanged, only its transfer encoding. `keep_bcc` is for
    an API that reads recipients from the headers and strips `Bcc` itself (Gmail).
    """
    check_headers(msg)
    out = copy.deepcopy(msg)
    if not keep_bcc:
        for name in _HIDDEN_RECIPIENT_HEADERS:
            del out[name]
    if seven_bit:
        _to_7bit(out)
    buf = io.BytesIO()
    try:
        gen = email.generator.BytesGenerator(
            buf, mangle_from_=False, policy=out.policy.clone(linesep="\r\n")
        )
        gen.flatten(out)
    except (ValueError, UnicodeError, email.errors.MessageError) as e:
        raise MailPermanentError("Pesan tidak dapat disusun untuk dikirim.", detail=str(e)) from e
    return buf.getvalue()


def _to_7bit(msg: email.message.Message) -> None:
    for part in msg.walk():
        if part.is_multipart():
            continue
        cte = str(part.get("Content-Transfer-Encoding", "7bit")).strip().lower()
        raw = part.get_payload(decode=False)
        if cte in ("8bit", "binary") or (isinstance(raw, str) and not raw.isascii()):
            data = part.get_payload(decode=True)
            del part["Content-Transfer-Encoding"]
            part.set_payload(data)
            email.encoders.encode_base64(part)
