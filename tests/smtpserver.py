"""A real SMTP server (aiosmtpd) on 127.0.0.1 for the mail tests.

`SmtpServer` runs aiosmtpd in a thread on a free port, in one of three modes: `plain`,
`starttls` (STARTTLS offered and required) or `ssl` (implicit TLS), with a certificate from a
`trustme` test CA. Its `Recorder` handler keeps every accepted message and can be scripted:
replies to MAIL / RCPT / DATA (421, 450, 550, 554 …), refused recipients, AUTH accounts, and
not advertising 8BITMIME. `dead_port()` gives a port where nothing listens (server down) and
`SilentServer` accepts connections but never greets (timeouts).

Plain helpers, not fixtures: each test module wraps them in the fixtures it needs.
"""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


dead_port = free_port  # a port where the "server is down": connections are refused


@dataclass
class Tls:
    """A test CA and a server certificate issued by it."""

    ca: trustme.CA
    cert: trustme.LeafCert
    ca_file: Path

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.cert.configure_cert(ctx)
        return ctx


def make_tls(folder: Path, *names: str, label: str = "ca") -> Tls:
    """A fresh CA (its PEM written to `folder/<label>.pem`) and a certificate for `names`."""
    ca = trustme.CA()
    cert = ca.issue_cert(*(names or (HOST, "localhost")))
    ca_file = folder / f"{label}.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return Tls(ca=ca, cert=cert, ca_file=ca_file)


@dataclass
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    mail_options: list[str]
    session: int  # which connection carried it (1, 2, …)
    login: str  # who was logged in ("" if nobody)

    @property
    def message(self) -> EmailMessage:
        msg = email.message_from_bytes(self.data, policy=email.policy.SMTP)
        assert isinstance(msg, EmailMessage)
        return msg


@dataclass
class Recorder:
    """aiosmtpd handler: records accepted messages and plays scripted replies."""

    accounts: dict[str, str] = field(default_factory=dict)  # AUTH user -> password
    refuse_rcpt: dict[str, str] = field(default_factory=dict)  # address -> reply
    mail_replies: list[str] = field(default_factory=list)  # next MAIL FROM replies, in order
    data_replies: list[str] = field(default_factory=list)  # next DATA replies, in order
    advertise_8bitmime: bool = True
    received: list[Received] = field(default_factory=list)
    peers: list[Any] = field(default_factory=list)  # clients that said EHLO, in order

    @property
    def sessions(self) -> int:
        """Connections that said EHLO (the controller's start-up probe never does)."""
        return len(self.peers)
    auth_mechanisms: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_EHLO(
        self, server: Any, session: Session, envelope: Envelope, hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname
        # A connection is its client address: STARTTLS gives it a new Session, same peer.
        with self.lock:
            if session.peer not in self.peers:
                self.peers.append(session.peer)
        if not self.advertise_8bitmime:
            responses = [r for r in responses if "8BITMIME" not in r]
        return responses

    async def handle_MAIL(
        self, server: Any, session: Session, envelope: Envelope, address: str,
        options: list[str],
    ) -> str:
        if self.accounts and not session.authenticated:
            return "530 5.7.0 Authentication required"
        if self.mail_replies:
            reply = self.mail_replies.pop(0)
            if reply:
                return reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str,
        options: list[str],
    ) -> str:
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        if self.data_replies:
            reply = self.data_replies.pop(0)
            if reply:
                return reply
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)
        auth = session.auth_data
        login = auth.login.decode() if isinstance(auth, LoginPassword) else ""
        with self.lock:
            self.received.append(Received(
                mail_from=envelope.mail_from or "", rcpt_tos=list(envelope.rcpt_tos),
                data=content, mail_options=list(envelope.mail_options),
                session=self.peers.index(session.peer) + 1, login=login,
            ))
        return "250 2.0.0 Message accepted"

    def authenticate(
        self, server: Any, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        self.auth_mechanisms.append(mechanism)
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, password = data.login.decode(), data.password.decode()
        ok = self.accounts.get(user) == password
        return AuthResult(success=ok, handled=False, auth_data=data if ok else None)


class SmtpServer:
    """aiosmtpd on 127.0.0.1:`port` in mode `plain`, `starttls` or `ssl` (see module doc)."""

    def __init__(
        self,
        mode: str = "plain",
        *,
        tls: Tls | None = None,
        recorder: Recorder | None = None,
        port: int | None = None,
        auth_mechanisms: tuple[str, ...] | None = None,
    ) -> None:
        assert mode in ("plain", "starttls", "ssl")
        assert mode == "plain" or tls is not None, "TLS modes need a certificate"
        self.mode = mode
        self.tls = tls
        self.recorder = recorder or Recorder()
        self.port = port or free_port()
        kwargs: dict[str, Any] = {"server_hostname": "mail.jenawi.test"}
        if self.recorder.accounts:
            kwargs["authenticator"] = self.recorder.authenticate
            if auth_mechanisms is not None:
                every = {"LOGIN", "PLAIN"}
                kwargs["auth_exclude_mechanism"] = sorted(every - set(auth_mechanisms))
        if mode == "starttls":
            assert tls is not None
            kwargs.update(tls_context=tls.server_context(), require_starttls=True)
        if mode == "ssl":
            assert tls is not None
            # aiosmtpd only counts STARTTLS as TLS for AUTH; implicit TLS is encrypted too.
            kwargs.update(ssl_context=tls.server_context(), auth_require_tls=False)
        self.controller = Controller(self.recorder, hostname=HOST, port=self.port, **kwargs)

    @property
    def received(self) -> list[Received]:
        return self.recorder.received

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class SilentServer:
    """Accepts TCP connections on 127.0.0.1 and never says a word: the client times out."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind((HOST, 0))
        self.sock.listen(8)  # the kernel completes the handshake; nobody ever reads
        self.port = int(self.sock.getsockname()[1])

    def close(self) -> None:
        self.sock.close()


@contextmanager
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    try:
        yield server
    finally:
        server.close()
