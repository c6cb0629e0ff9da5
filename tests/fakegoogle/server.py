"""The fake's HTTP side: routing, auth, scripted faults, quota, and Google's answer shapes.

One handler serves every API on one loopback port (the client points `api_endpoint`,
`token_uri`, Drive and Gmail roots at it; through the MITM proxy the real host names reach it).
"""

from __future__ import annotations

import contextlib
import re
import socket
import time
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakegoogle import fieldmask
from tests.fakegoogle.control import Fault, LoggedRequest
from tests.fakegoogle.errors import ApiError
from tests.fakegoogle.oauth import OAuthError, Token
from tests.fakegoogle.services import IMPLS, ROUTES, Answer, Call, json_answer

if TYPE_CHECKING:
    from tests.fakegoogle.fake import FakeGoogle

#: Google's front end refuses larger request bodies with this 400 (seen for Sheets and Drive).
MAX_BODY_BYTES = 10_485_760


def route(method: str, path: str, query: dict[str, list[str]]) -> tuple[str, dict[str, str]]:
    """(endpoint name, path parameters) of a request; ("unknown", {}) when nothing matches."""
    for verb, pattern, endpoint in ROUTES:
        m = re.fullmatch(pattern, path)
        if verb == method and m:
            params = {k: unquote(v) for k, v in m.groupdict().items()}
            if endpoint == "drive.files.get" and query.get("alt") == ["media"]:
                endpoint = "drive.files.download"
            return endpoint, params
    return "unknown", {}


class Handler(BaseHTTPRequestHandler):
    """Serves one connection (keep-alive, like Google's front ends)."""

    protocol_version = "HTTP/1.1"
    server_version = "ESF"  # what Google's front end calls itself
    # Headers and body go out in separate writes; with Nagle on, each answer would wait for
    # the client's delayed ACK (~40 ms), which would dominate every test and benchmark.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Silence the default stderr access log; the fake keeps its own `RequestLog`."""

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = lambda self: self._handle()  # noqa: E731

    @property
    def fake(self) -> FakeGoogle:
        return self.server.fake  # type: ignore[attr-defined, no-any-return]

    def _handle(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        # From here on the time is the fake's: its latency, then its own work on the answer.
        self._started = time.perf_counter()
        endpoint, params = route(self.command, url.path, query)
        entry = LoggedRequest(0, endpoint, self.command, url.path, query,
                              body if self.fake.keep_bodies else b"",
                              headers={k.lower(): v for k, v in self.headers.items()},
                              started=self._started)
        fault = self._prepare(endpoint)
        try:
            if fault is not None and self._answer_fault(fault, entry):
                return
            answer = self._answer(endpoint, params, query, body, entry)
            self._send(answer, entry, fault.truncate if fault else None)
        finally:
            if not entry.seq:  # not logged yet (an exception escaped): log it anyway
                self.fake.log.add(entry)

    def _prepare(self, endpoint: str) -> Fault | None:
        """Run due hooks, add latency, and pick the scripted fault for this request, if any."""
        fake = self.fake
        with fake.lock:
            for hook in fake.hooks:
                if hook.due(endpoint):
                    hook.callback(fake)
            fault = next((f for f in fake.faults if f.matches(endpoint)), None)
        if fake.latency:
            fake.stopping.wait(fake.latency)
        return fault

    def _answer_fault(self, fault: Fault, entry: LoggedRequest) -> bool:
        """Act out a fault; True when it fully answered (or dropped) the request."""
        entry.fault = f"{fault.status or ''}{' drop' if fault.drop else ''}".strip()
        if fault.delay:
            self.fake.stopping.wait(fault.delay)
        if fault.drop:
            self.fake.log.add(entry)
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return True
        if fault.status is None:
            return False
        headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
        err = ApiError(fault.status, fault.message, reason=fault.reason, headers=headers)
        self._send(Answer(err.code, err.payload(), err.headers), entry, fault.truncate)
        return True

    def _answer(self, endpoint: str, params: dict[str, str], query: dict[str, list[str]],
                body: bytes, entry: LoggedRequest) -> Answer:
        fake = self.fake
        try:
            impl = IMPLS.get(endpoint)
            if impl is None:
                raise ApiError(404, f"The requested URL {self.path} was not found on this server.")
            if len(body) > MAX_BODY_BYTES and not endpoint.startswith("oauth"):
                raise ApiError(400, f"Request payload size exceeds the limit: {MAX_BODY_BYTES} "
                                    "bytes.", reason="badRequest")
            token: Token | None = None
            if endpoint != "oauth.token":
                token = fake.oauth.principal_of(self.headers.get("Authorization"))
                if token is None:
                    raise ApiError(401, None, headers={"WWW-Authenticate": 'Bearer realm="google"'})
                entry.principal = token.principal
                if not fake.quota.admit(token.principal, endpoint):
                    raise ApiError(429, _quota_message(endpoint))
            call = Call(fake, params, {k: v[-1] for k, v in query.items()}, query, body,
                        self.headers.get("Content-Type", ""), self.headers.get("Range"), token,
                        self.headers.get("Authorization"))
            with fake.lock:
                answer = impl(call)
            mask = call.args.get("fields")
            if (mask and answer.status == 200 and isinstance(answer.payload, dict)
                    and not endpoint.startswith("drive")):
                answer.payload = fieldmask.apply(answer.payload, fieldmask.parse(mask))
            return answer
        except ApiError as e:
            return Answer(e.code, e.payload(), e.headers)
        except OAuthError as e:
            return Answer(e.code, e.payload())
        except (ValueError, KeyError, TypeError) as e:
            return Answer(400, ApiError(400, f"Invalid JSON payload received. {e}").payload())

    def _send(self, answer: Answer, entry: LoggedRequest, truncate: int | None) -> None:
        entry.status = answer.status
        if isinstance(answer.payload, bytes):
            data = answer.payload
            ctype = answer.content_type or "application/octet-stream"
        else:
            data = json_answer(answer.payload, entry.query)
            ctype = "application/json; charset=UTF-8"
        entry.server_seconds = time.perf_counter() - self._started
        # Logged before the answer leaves: a client that got its answer finds it counted.
        self.fake.log.add(entry)
        self.send_response(answer.status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in answer.headers.items():
            self.send_header(k, v)
        self.end_headers()
        try:
            if truncate is not None:
                # An interrupted transfer: promised Content-Length, then the line goes dead.
                self.wfile.write(data[:truncate])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
            else:
                self.wfile.write(data)
        except OSError:
            self.close_connection = True  # the client gave up (its timeout fired)


def _quota_message(endpoint: str) -> str:
    kind = "Write" if "update" in endpoint.lower() or "append" in endpoint else "Read"
    return (f"Quota exceeded for quota metric '{kind} requests' and limit '{kind} requests per "
            "minute per user' of service 'sheets.googleapis.com' for consumer "
            "'project_number:000000000000'.")

