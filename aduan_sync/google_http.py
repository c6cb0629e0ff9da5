"""One HTTP request to a Google API, retried and classified the way the office needs.

Transient failures (429, 5xx, timeouts, dropped connections, the token endpoint unreachable)
are retried with exponential backoff and jitter, honouring `Retry-After`, for at most
`retry_max_seconds` in all; then `GoogleTransientError` (exit 3: the next pass finishes the
job). Permanent failures (400, 401, 403, 404, an untrusted TLS certificate) raise
`GooglePermanentError` at once, with a message the caller words for the office worker.

Requests go through gspread's low-level `HTTPClient.request` (one call, one API request) on a
google-auth `AuthorizedSession`, which also honours `HTTPS_PROXY` and `REQUESTS_CA_BUNDLE`.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import google.auth.exceptions
import gspread.exceptions
import requests
from gspread.http_client import HTTPClient

from aduan_sync.errors import SourcePermanentError, SourceTransientError

#: Statuses worth retrying: rate limits, server errors, gateway timeouts.
TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
#: Older APIs signal rate limits as 403 with one of these reasons.
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded",
                                "RATE_LIMIT_EXCEEDED"})
BACKOFF_BASE_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 32.0


class GooglePermanentError(SourcePermanentError):
    """Raised by `GoogleHttp.call` on a failure retrying cannot fix; `status` 0: not HTTP."""

    def __init__(self, message: str, detail: str, status: int = 0, reason: str = "") -> None:
        self.status = status
        self.reason = reason
        super().__init__(message, detail)


class GoogleTransientError(SourceTransientError):
    """Raised by `GoogleHttp.call` when transient failures outlast `retry_max_seconds`."""

    def __init__(self, message: str, detail: str, status: int = 0) -> None:
        self.status = status
        super().__init__(message, detail)


@dataclass(frozen=True)
class Failure:
    """What went wrong with one attempt."""

    transient: bool
    status: int  # 0 when there was no HTTP answer
    reason: str  # Google's machine-readable reason, or the exception's class name
    message: str  # Google's message, or the exception text
    retry_after: float | None = None


#: Read size of `GoogleHttp.collect`.
COLLECT_CHUNK_BYTES = 1 << 20
#: Asked of every GET: Google indents its JSON answers unless told not to (a 50,000-row read
#: is several MB larger). Media downloads ignore it; POST answers here are small, and the
#: Drive batch's answer is multipart (each call in it says so in its own URL, `drive.py`).
_COMPACT_ANSWER = {"prettyPrint": "false"}

#: (status, reason, Google's message) -> the operator's message (Indonesian).
Explain = Callable[[int, str, str], str]


class GoogleHttp:
    """Sends API requests with retries; `requests` counts every attempt sent."""

    def __init__(
        self,
        session: requests.Session,
        *,
        timeout: float,
        retry_max_seconds: float,
        explain: Explain,
        service: str = "Google",
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.session = session
        self.client = HTTPClient(auth=None, session=session)  # type: ignore[arg-type]
        self.client.set_timeout(timeout)
        self.timeout = timeout
        self.retry_max_seconds = retry_max_seconds
        self.explain = explain
        self.service = service
        self.sleep = sleep
        self.monotonic = monotonic
        self.rng = rng or random.Random()
        self.requests = 0

    def call(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Mapping[str, Any] | None = None,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
    ) -> requests.Response:
        """One API request, retried while transient; returns the successful response. `data`
        is a raw body (a Drive batch); `json` a JSON one."""
        answer = self._retried(method, url, params, json, data, headers, stream, collect=False)
        assert isinstance(answer, requests.Response)
        return answer

    def collect(self, method: str, url: str, *,
                params: Mapping[str, Any] | None = None) -> bytearray:
        """`call`, returning the answer's body, read into one buffer as it arrives (a body
        cut off midway is retried as a failed request is). A 50,000-row read is ~17 MB,
        which `Response.content` would hold twice while joining its 10 KB chunks."""
        answer = self._retried(method, url, params, None, None, None, True, collect=True)
        assert isinstance(answer, bytearray)
        return answer

    def _retried(self, method: str, url: str, params: Mapping[str, Any] | None,
                 json: Mapping[str, Any] | None, data: bytes | None,
                 headers: Mapping[str, str] | None, stream: bool, *, collect: bool
                 ) -> requests.Response | bytearray:
        if method == "GET":
            params = {**(params or {}), **_COMPACT_ANSWER}
        start = self.monotonic()
        attempt = 0
        while True:
            self.requests += 1
            failure = self._attempt(method, url, params, json, data, headers, stream, collect)
            if not isinstance(failure, Failure):
                return failure
            if not failure.transient:
                message = (self.explain(failure.status, failure.reason, failure.message)
                           if failure.status else _SSL_MESSAGE)
                raise GooglePermanentError(message, _detail(failure), failure.status,
                                           failure.reason)
            delay = self.backoff(attempt)
            if failure.retry_after is not None:
                delay = max(delay, failure.retry_after)
            if self.monotonic() - start + delay > self.retry_max_seconds:
                raise GoogleTransientError(
                    f"{self.service} tidak dapat dihubungi atau sedang sibuk; sudah dicoba ulang "
                    f"selama {self.retry_max_seconds:g} detik. Pass berikutnya akan "
                    "melanjutkan pekerjaan yang belum selesai.",
                    _detail(failure), failure.status,
                )
            self.sleep(delay)
            attempt += 1

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter: 1, 2, 4 ... 32 s, each scaled by 0.5-1.0."""
        ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt)
        return ceiling * (0.5 + self.rng.random() / 2)

    def _attempt(self, method: str, url: str, params: Mapping[str, Any] | None,
                 json: Mapping[str, Any] | None, data: bytes | None,
                 headers: Mapping[str, str] | None, stream: bool, collect: bool = False
                 ) -> requests.Response | bytearray | Failure:
        try:
            if stream:
                # gspread's client cannot stream; downloads use the session directly.
                resp = self.session.request(method, url, params=params, json=json, data=data,
                                            headers=headers, timeout=self.timeout, stream=True)
                if not resp.ok:
                    return classify_response(resp)
                if not collect:
                    return resp
                with resp:  # read here: a cut-off body is a transient failure like any other
                    body = bytearray()
                    for chunk in resp.iter_content(COLLECT_CHUNK_BYTES):
                        body += chunk
                return body
            return self.client.request(method, url, params=dict(params or {}),  # type: ignore[arg-type]
                                       json=json, data=data, headers=dict(headers or {}))
        except gspread.exceptions.APIError as e:
            return classify_response(e.response)
        except requests.exceptions.SSLError as e:
            return Failure(False, 0, "SSLError", str(e))
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                requests.exceptions.ChunkedEncodingError) as e:
            return Failure(True, 0, type(e).__name__, str(e))
        except google.auth.exceptions.RefreshError as e:
            # The token endpoint refused the key/token (401-like) unless it says "retry".
            retryable = bool(getattr(e, "retryable", False))
            return Failure(retryable, 0 if retryable else 401, "RefreshError", str(e))
        except google.auth.exceptions.TransportError as e:
            # The token endpoint was unreachable; an untrusted certificate will not heal.
            if isinstance(e.__cause__, requests.exceptions.SSLError):
                return Failure(False, 0, "SSLError", str(e.__cause__))
            return Failure(True, 0, "TransportError", str(e))


def classify_response(resp: requests.Response) -> Failure:
    """Read Google's error JSON (`{"error": {"code", "message", "status", ...}}`)."""
    status = resp.status_code
    message, reason = resp.reason or "", ""
    try:
        err = resp.json().get("error", {})
    except ValueError:
        err = {}
    if isinstance(err, dict):
        message = str(err.get("message") or message)
        # The most specific reason wins: google.rpc.ErrorInfo (SERVICE_DISABLED), then the
        # v3-style errors[].reason (insufficientFilePermissions), then the status name.
        reasons = [d.get("reason") for d in err.get("details") or [] if isinstance(d, dict)]
        reasons += [e.get("reason") for e in err.get("errors") or [] if isinstance(e, dict)]
        reasons.append(err.get("status"))
        reason = str(next((r for r in reasons if r), ""))
    elif isinstance(err, str):
        message = err  # OAuth-style {"error": "invalid_grant"}
    transient = status in TRANSIENT_STATUSES or (status == 403 and reason in RATE_LIMIT_REASONS)
    return Failure(transient, status, reason, message, parse_retry_after(resp.headers))


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """`Retry-After` in seconds, from delta-seconds or an HTTP date; None if absent."""
    value = headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _detail(f: Failure) -> str:
    where = f"HTTP {f.status}" if f.status else f.reason
    return f"{where} {f.reason if f.status else ''}: {f.message}".replace("  ", " ")[:500]


_SSL_MESSAGE = (
    "Sertifikat TLS yang diterima saat menghubungi Google tidak dipercaya. Jika kantor memakai "
    "proxy HTTPS dengan sertifikat sendiri, arahkan REQUESTS_CA_BUNDLE ke berkas sertifikat CA "
    "proxy tersebut (dan HTTPS_PROXY ke alamat proxy)."
)
