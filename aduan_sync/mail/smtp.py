"""The SMTP mail backend: one connection per pass, TLS verified, errors classified.

`smtp_security`: `ssl` (implicit TLS, port 465), `starttls` (port 587; refuses to continue if
the server does not offer STARTTLS, so a man in the middle cannot strip it) or `none` (a relay
on this machine, port 25). Certificates and host names are always verified, against the
system's CAs plus `smtp_ca_file` for an office's private CA. A password is never sent over an
unencrypted connection to another machine.

Replies are classified by code: 421 and connection failures stop the pass
(`MailConnectionError`); other 4xx are `MailTransientError`; 5xx are `MailPermanentError`;
a refused login or certificate is `MailSetupError`. See `transport.py` for the contract.
"""

from __future__ import annotations

import email.message
import ipaddress
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from pathlib import Path

from aduan_sync.config import Config
from aduan_sync.errors import (
    ConfigError,
    MailConnectionError,
    MailError,
    MailPermanentError,
    MailSetupError,
    MailTransientError,
)
from aduan_sync.mail.transport import Refused, check_recipients, flatten

SECURITIES = ("ssl", "starttls", "none")
#: Replies that mean "fix the configuration", whichever command they answer.
_SETUP_CODES = {530, 534, 535, 538}


class SmtpTransport:
    """Sends through one SMTP connection, opened by the first `send()` and reused."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        security: str = "starttls",
        sender: str,
        username: str = "",
        password: str = "",
        ca_file: Path | None = None,
        timeout: float = 30.0,
        local_hostname: str | None = None,
    ) -> None:
        if security not in SECURITIES:
            raise ValueError(f"security must be one of {SECURITIES}, not {security!r}")
        self.host = host
        self.port = port
        self.security = security
        self.sender = sender
        self.username = username
        self.password = password
        self.ca_file = ca_file
        self.timeout = timeout
        self.local_hostname = local_hostname
        self._smtp: smtplib.SMTP | None = None

    @classmethod
    def from_config(cls, cfg: Config, env: Mapping[str, str]) -> SmtpTransport:
        """Build from `[mail]`, reading the password from the env var or the file named there."""
        m = cfg.mail
        password = _password(cfg, env)
        if m.smtp_username and not password:
            raise ConfigError(
                "smtp_username diisi tetapi kata sandi tidak ada; isi smtp_password_env "
                "(nama variabel lingkungan) atau smtp_password_file",
                key="mail.smtp_password_env", path=cfg.path,
            )
        if m.smtp_username and m.smtp_security == "none" and not _is_loopback(m.smtp_host):
            raise ConfigError(
                "kata sandi SMTP tidak boleh dikirim tanpa enkripsi ke server lain; "
                "gunakan smtp_security = \"starttls\" atau \"ssl\"",
                key="mail.smtp_security", path=cfg.path,
            )
        return cls(
            m.smtp_host, m.port, security=m.smtp_security, sender=m.sender,
            username=m.smtp_username, password=password, ca_file=m.smtp_ca_file,
            timeout=m.smtp_timeout,
        )

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def connected(self) -> bool:
        """Whether a connection is open (smtplib drops its socket after a 421)."""
        return self._smtp is not None and self._smtp.sock is not None

    def close(self) -> None:
        """Say QUIT and close; a server that already went away is not an error here."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def send(self, msg: email.message.EmailMessage, recipients: Sequence[str]) -> Refused:
        """Deliver `msg` to `recipients` (the envelope); see `transport.py` for the contract."""
        rcpts = check_recipients(recipients)
        data = flatten(msg)  # before connecting: a malformed message costs no connection
        smtp = self._connection()
        options: list[str] = []
        if not data.isascii():
            if smtp.has_extn("8bitmime"):
                options.append("BODY=8BITMIME")
            else:
                data = flatten(msg, seven_bit=True)
        try:
            refused = smtp.sendmail(self.sender, rcpts, data, options)
        except smtplib.SMTPRecipientsRefused as e:
            raise _all_refused(e.recipients) from e
        except smtplib.SMTPResponseException as e:
            raise self._classified(e.smtp_code, e.smtp_error, "kirim") from e
        except (smtplib.SMTPServerDisconnected, OSError) as e:
            self._drop()
            raise MailConnectionError(
                "Sambungan ke server SMTP terputus saat mengirim.", detail=f"{self._where}: {e}"
            ) from e
        except smtplib.SMTPException as e:  # e.g. SMTPUTF8 needed but not offered
            raise MailPermanentError(
                "Server SMTP tidak dapat menerima pesan ini.", detail=f"{self._where}: {e}"
            ) from e
        return {addr: _reply(code, text) for addr, (code, text) in refused.items()}

    @property
    def _where(self) -> str:
        return f"{self.host}:{self.port} ({self.security})"

    def _connection(self) -> smtplib.SMTP:
        if self.connected:
            assert self._smtp is not None
            return self._smtp
        self._drop()
        try:
            self._smtp = self._open()
        except MailError:
            self._drop()
            raise
        return self._smtp

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()

    def _open(self) -> smtplib.SMTP:
        """Connect, secure and log in; every failure mapped to a domain error."""
        smtp: smtplib.SMTP
        try:
            if self.security == "ssl":
                smtp = smtplib.SMTP_SSL(
                    self.host, self.port, local_hostname=self.local_hostname,
                    timeout=self.timeout, context=self._tls_context(),
                )
            else:
                smtp = smtplib.SMTP(
                    self.host, self.port, local_hostname=self.local_hostname,
                    timeout=self.timeout,
                )
            self._smtp = smtp  # so a failure below still closes the socket
            smtp.ehlo()
            if self.security == "starttls":
                self._starttls(smtp)
            if self.username:
                smtp.login(self.username, self.password)
            return smtp
        except ssl.SSLCertVerificationError as e:
            raise MailSetupError(
                "Sertifikat server SMTP ditolak (CA tidak dipercaya atau nama host tidak "
                "cocok); periksa smtp_host dan smtp_ca_file.", detail=f"{self._where}: {e}",
            ) from e
        except ssl.SSLError as e:
            raise MailSetupError(
                "Jabat tangan TLS dengan server SMTP gagal; periksa smtp_port dan "
                "smtp_security.", detail=f"{self._where}: {e}",
            ) from e
        except smtplib.SMTPAuthenticationError as e:
            raise MailSetupError(
                "Login ke server SMTP ditolak; periksa smtp_username dan kata sandinya.",
                detail=f"{self._where}: {_reply(e.smtp_code, e.smtp_error)}",
            ) from e
        except smtplib.SMTPNotSupportedError as e:
            raise MailSetupError(
                "Server SMTP tidak menawarkan fitur yang diperlukan (STARTTLS atau AUTH).",
                detail=f"{self._where}: {e}",
            ) from e
        except smtplib.SMTPResponseException as e:  # includes SMTPConnectError (greeting)
            raise self._classified(e.smtp_code, e.smtp_error, "sambung") from e
        except (smtplib.SMTPServerDisconnected, OSError) as e:  # refused, reset, timeout, DNS
            raise MailConnectionError(
                "Server SMTP tidak dapat dihubungi.", detail=f"{self._where}: {e}"
            ) from e
        except smtplib.SMTPException as e:  # e.g. no AUTH mechanism both sides support
            raise MailSetupError(
                "Sambungan SMTP tidak dapat disiapkan.", detail=f"{self._where}: {e}"
            ) from e

    def _starttls(self, smtp: smtplib.SMTP) -> None:
        if not smtp.has_extn("starttls"):
            # Never fall back to plain text: that is exactly what a downgrade attack wants.
            raise MailSetupError(
                "Server SMTP tidak menawarkan STARTTLS; pesan tidak dikirim tanpa enkripsi.",
                detail=self._where,
            )
        smtp.starttls(context=self._tls_context())
        smtp.ehlo()

    def _tls_context(self) -> ssl.SSLContext:
        # create_default_context: CERT_REQUIRED and check_hostname, always.
        ctx = ssl.create_default_context()
        if self.ca_file is not None:
            ctx.load_verify_locations(cafile=str(self.ca_file))
        return ctx

    def _classified(self, code: int, text: bytes | str, stage: str) -> MailError:
        reply = _reply(code, text)
        detail = f"{self._where}, {stage}: {reply}"
        if code == 421:  # the server is closing the connection: nothing more this pass
            self._drop()
            return MailConnectionError("Server SMTP menutup sambungan (421).", detail=detail)
        if code in _SETUP_CODES:
            return MailSetupError("Server SMTP meminta login yang benar.", detail=detail)
        if stage == "sambung":  # no connection, no message can go: stop the pass either way
            if 400 <= code < 500:
                return MailConnectionError(
                    "Server SMTP menolak sambungan untuk sementara.", detail=detail
                )
            return MailSetupError("Server SMTP menolak sambungan.", detail=detail)
        if 400 <= code < 500:
            return MailTransientError("Server SMTP menolak pesan untuk sementara.", detail=detail)
        return MailPermanentError("Server SMTP menolak pesan.", detail=detail)


def _all_refused(recipients: Mapping[str, tuple[int, bytes]]) -> MailError:
    """Every recipient refused: transient only if every refusal was a 4xx."""
    detail = "; ".join(f"{a}: {_reply(c, t)}" for a, (c, t) in recipients.items())
    if any(code == 421 for code, _ in recipients.values()):
        return MailConnectionError("Server SMTP menutup sambungan (421).", detail=detail)
    if all(400 <= code < 500 for code, _ in recipients.values()):
        return MailTransientError("Semua penerima ditolak sementara.", detail=detail)
    return MailPermanentError("Semua penerima ditolak server SMTP.", detail=detail)


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()


def _password(cfg: Config, env: Mapping[str, str]) -> str:
    """The SMTP password from `smtp_password_env`, else `smtp_password_file`, else ""."""
    m = cfg.mail
    if m.smtp_password_env:
        value = env.get(m.smtp_password_env, "")
        if not value:
            raise ConfigError(
                f"variabel lingkungan {m.smtp_password_env} kosong atau tidak ada",
                key="mail.smtp_password_env", path=cfg.path,
            )
        return value
    if m.smtp_password_file is not None:
        try:
            text = m.smtp_password_file.read_text(encoding="utf-8")
        except OSError as e:
            raise ConfigError(
                f"berkas kata sandi tidak dapat dibaca: {e}",
                key="mail.smtp_password_file", path=cfg.path,
            ) from e
        # Editors add one newline at the end; a password may legitimately end in spaces.
        return text.removesuffix("\n").removesuffix("\r")
    return ""


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
