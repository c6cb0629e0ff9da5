"""Sessions for worker threads on shared Google credentials.

`requests.Session` is not documented as thread-safe, so each thread of a download pool gets
a session of its own, made like the sheet's (`session_like`: proxies, CA bundle, client
certificate, default headers). They share one credentials object, refreshed by one thread at a
time (`SerializedRefresh`): when the token expires mid-pass, one thread asks the token
endpoint and the others wait for its answer instead of each asking.
"""

from __future__ import annotations

import threading
from typing import Any

import requests


class SerializedRefresh:
    """Shared google-auth credentials as one thread's `AuthorizedSession` sees them: an
    expired token is refreshed by one thread at a time, and a thread that waited for another's
    refresh uses its token instead of asking again."""

    def __init__(self, credentials: Any, lock: threading.Lock) -> None:
        self._credentials = credentials
        self._lock = lock

    def before_request(self, request: Any, method: str, url: str, headers: Any) -> None:
        if not self._credentials.valid:
            with self._lock:
                if not self._credentials.valid:
                    self._credentials.refresh(request)
        self._credentials.before_request(request, method, url, headers)

    def refresh(self, request: Any) -> None:
        # A 401 on a request: the token was revoked or is otherwise stale.
        with self._lock:
            self._credentials.refresh(request)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._credentials, name)


def session_like(template: requests.Session, lock: threading.Lock) -> requests.Session:
    """A new session with `template`'s credentials and settings (proxies, CA bundle, client
    certificate, default headers); environment proxies and `REQUESTS_CA_BUNDLE` apply alike
    (`trust_env`)."""
    credentials = getattr(template, "credentials", None)
    session: requests.Session
    if credentials is not None:
        from google.auth.transport.requests import AuthorizedSession

        session = AuthorizedSession(SerializedRefresh(credentials, lock))
    else:
        session = requests.Session()  # tests' clients without credentials
    session.proxies = dict(template.proxies)
    session.verify = template.verify
    session.cert = template.cert
    session.trust_env = template.trust_env
    session.headers = requests.structures.CaseInsensitiveDict(template.headers)
    return session
