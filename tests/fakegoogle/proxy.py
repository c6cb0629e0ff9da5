"""An HTTPS proxy with a private CA, as government networks run them (TLS interception).

Clients send `CONNECT sheets.googleapis.com:443`; the proxy answers 200, terminates TLS with a
certificate for that name issued by its own `trustme` CA, and pipes the decrypted HTTP to the
fake Google server. A client trusts it only when told to (`REQUESTS_CA_BUNDLE`), exactly as an
office machine must be configured behind such a proxy.
"""

from __future__ import annotations

import contextlib
import select
import socket
import socketserver
import ssl
import threading
from pathlib import Path

import trustme

GOOGLE_HOSTS = (
    "sheets.googleapis.com",
    "oauth2.googleapis.com",
    "www.googleapis.com",
    "gmail.googleapis.com",
)


class _ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    proxy: MitmProxy


class _Tunnel(socketserver.StreamRequestHandler):
    server: _ProxyServer

    def handle(self) -> None:
        proxy = self.server.proxy
        request_line = self.rfile.readline(65537).decode("latin-1").strip()
        while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
            pass  # headers (Proxy-Authorization etc.) are not needed
        method, _, rest = request_line.partition(" ")
        target = rest.split(" ")[0]
        host, _, port = target.rpartition(":")
        if method != "CONNECT":
            self.wfile.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        if host not in proxy.hosts or port != "443":
            proxy.refused.append(target)
            self.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        proxy.connects.append(target)
        self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self.wfile.flush()
        try:
            tls = proxy.server_context.wrap_socket(self.connection, server_side=True)
        except (ssl.SSLError, OSError) as e:
            proxy.tls_errors.append(f"{target}: {e}")
            return
        with tls, socket.create_connection(proxy.upstream, timeout=30) as up:
            _pipe(tls, up)


def _pipe(tls: ssl.SSLSocket, up: socket.socket) -> None:
    """Copy bytes both ways until either side closes (one thread; TLS is not thread-safe)."""
    while True:
        ready = [tls] if tls.pending() else select.select([tls, up], [], [], 30)[0]
        if not ready:
            return
        for src in ready:
            dst = up if src is tls else tls
            try:
                data = src.recv(65536)
            except ssl.SSLWantReadError:
                continue
            except OSError:
                return
            if not data:
                return
            try:
                dst.sendall(data)
            except OSError:
                return


class MitmProxy:
    """Start with `with MitmProxy(fake.port, tmp_path) as proxy:`; `proxy.url` for HTTPS_PROXY,
    `proxy.ca_file` for REQUESTS_CA_BUNDLE; `connects` lists the tunnels it opened."""

    def __init__(self, upstream_port: int, workdir: Path,
                 hosts: tuple[str, ...] = GOOGLE_HOSTS) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.hosts = hosts
        self.ca = trustme.CA(organization_name="Dinas Kominfo Karanganyar (proxy uji)")
        self.ca_file = workdir / "proxy-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        self.server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert(*hosts).configure_cert(self.server_context)
        self.connects: list[str] = []
        self.refused: list[str] = []
        self.tls_errors: list[str] = []
        self._server: _ProxyServer | None = None

    def start(self) -> MitmProxy:
        server = _ProxyServer(("127.0.0.1", 0), _Tunnel)
        server.proxy = self
        self._server = server
        threading.Thread(target=server.serve_forever, args=(0.05,), name="mitm-proxy",
                         daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            with contextlib.suppress(OSError):
                self._server.server_close()
            self._server = None

    def __enter__(self) -> MitmProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"
