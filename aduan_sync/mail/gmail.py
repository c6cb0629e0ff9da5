"""The Gmail API mail backend: `users.messages.send` with the sheet's Google credentials.

Credentials come from `[source] credentials_file` (see `google_auth.py`): a service-account key
with domain-wide delegation, impersonating `[mail] gmail_subject` (the office's Workspace
mailbox), or an authorized-user token from `aduan-sync auth login` that includes the
`gmail.send` scope. `[mail] gmail_endpoint` and `[source] token_uri` point at another server
(emulators, tests).

Gmail takes its recipients from the message's headers, not from an envelope; so before sending,
every address in `To`/`Cc` must be one of the envelope recipients (otherwise the message is
refused), and envelope recipients the headers do not name are put in `Bcc`, which Gmail strips
from the copies it delivers. A header smuggled into a message therefore cannot add a recipient.

Networking is `google-api-python-client` on httplib2, which differs from the sheet's
`requests`: httplib2 goes through an `HTTPS_PROXY` only when PySocks is installed (it is a
dependency for that reason), and it does not read `REQUESTS_CA_BUNDLE`: the CA bundle of a
TLS-intercepting proxy is given to it with `HTTPLIB2_CA_CERTS`. Both are taken from the
environment mapping handed to `open_transport`.
"""

from __future__ import annotations

import base64
import copy
import email.message
import ssl
from collections.abc import Mapping, Sequence
from email.utils import getaddresses
from typing import Any

import google.auth.exceptions
import google_auth_httplib2
import httplib2
from google.auth.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import Error as GoogleApiClientError
from googleapiclient.errors import HttpError

from aduan_sync.config import Config
from aduan_sync.errors import (
    ConfigError,
    MailConnectionError,
    MailError,
    MailPermanentError,
    MailSetupError,
)
from aduan_sync.google_auth import GMAIL_SEND_SCOPE, load_credentials
from aduan_sync.mail.transport import Refused, check_headers, check_recipients, flatten

#: Statuses after which Gmail should be left alone until the next pass.
_BUSY = frozenset({429, 500, 502, 503, 504})
_RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
_SETUP_HINT = (
    "periksa izin gmail.send: untuk akun layanan, delegasi domain (domain-wide delegation) di "
    "Google Workspace dan mail.gmail_subject; untuk token `auth login`, login ulang dengan "
    "backend gmail"
)


class GmailTransport:
    """Sends through `users.messages.send`; the HTTP connection is opened by the first send."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        endpoint: str = "",
        timeout: float = 30.0,
        ca_certs: str | None = None,
        proxy_info: httplib2.ProxyInfo | None = None,
        user_id: str = "me",
    ) -> None:
        self.credentials = credentials
        self.endpoint = endpoint
        self.timeout = timeout
        self.ca_certs = ca_certs
        self.proxy_info = proxy_info
        self.user_id = user_id
        self._service: Any = None

    @classmethod
    def from_config(cls, cfg: Config, env: Mapping[str, str]) -> GmailTransport:
        """Build from `[source]` credentials and `[mail]`; proxy and CA from `env`."""
        path = cfg.source.credentials_file
        if path is None:
            raise ConfigError("wajib diisi untuk backend email gmail (kredensial Google)",
                              key="source.credentials_file", path=cfg.path)
        creds = load_credentials(path, [GMAIL_SEND_SCOPE], token_uri=cfg.source.token_uri,
                                 subject=cfg.mail.gmail_subject)
        if creds.kind == "service_account" and not cfg.mail.gmail_subject:
            raise ConfigError(
                "wajib diisi bila memakai akun layanan: alamat kotak surat Workspace yang "
                "dipakai untuk mengirim (delegasi domain)",
                key="mail.gmail_subject", path=cfg.path,
            )
        return cls(
            creds.credentials, endpoint=cfg.mail.gmail_endpoint,
            timeout=cfg.source.timeout_seconds, ca_certs=env.get("HTTPLIB2_CA_CERTS") or None,
            proxy_info=proxy_from_env(env),
        )

    def __enter__(self) -> GmailTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        service, self._service = self._service, None
        if service is not None:
            service.close()

    def send(self, msg: email.message.EmailMessage, recipients: Sequence[str]) -> Refused:
        """Deliver `msg` to exactly `recipients` (see module docstring); Gmail refuses none."""
        rcpts = check_recipients(recipients)
        data = flatten(envelope_in_headers(msg, rcpts), keep_bcc=True)
        body = {"raw": base64.urlsafe_b64encode(data).decode("ascii")}
        try:
            self._connect().users().messages().send(userId=self.user_id, body=body).execute()
        except HttpError as e:
            raise _http_error(e) from e
        except google.auth.exceptions.RefreshError as e:
            if getattr(e, "retryable", False):
                raise MailConnectionError("Layanan token Google sedang sibuk.", str(e)) from e
            raise MailSetupError(f"Google menolak kredensial; {_SETUP_HINT}.", str(e)) from e
        except (google.auth.exceptions.TransportError, httplib2.HttpLib2Error, OSError) as e:
            raise _network_error(e) from e
        except GoogleApiClientError as e:
            raise MailPermanentError("Gmail API menolak permintaan.", str(e)) from e
        return {}

    def _connect(self) -> Any:
        if self._service is None:
            http = httplib2.Http(timeout=self.timeout, ca_certs=self.ca_certs,
                                 proxy_info=self.proxy_info)
            authed = google_auth_httplib2.AuthorizedHttp(self.credentials, http=http)
            options = {"api_endpoint": self.endpoint.rstrip("/") + "/"} if self.endpoint else None
            self._service = build("gmail", "v1", http=authed, static_discovery=True,
                                  client_options=options, cache_discovery=False)
        return self._service


def envelope_in_headers(
    msg: email.message.EmailMessage, recipients: Sequence[str]
) -> email.message.EmailMessage:
    """A copy whose `To`/`Cc`/`Bcc` name exactly `recipients`, for an API without envelope.

    Raises `MailPermanentError` when `To` or `Cc` names an address outside `recipients`.
    """
    check_headers(msg)
    wanted = {r.lower() for r in recipients}
    shown = [addr for _, addr in getaddresses(
        [str(v) for name in ("To", "Cc") for v in msg.get_all(name, [])]
    ) if addr]
    stray = [a for a in shown if a.lower() not in wanted]
    if stray:
        raise MailPermanentError(
            "Kepala pesan menyebut penerima yang tidak tercatat di antrean; pesan tidak dikirim.",
            detail=repr(stray),
        )
    out = copy.deepcopy(msg)
    del out["Bcc"]
    del out["Resent-Bcc"]
    seen = {a.lower() for a in shown}
    hidden = [r for r in recipients if r.lower() not in seen]
    if hidden:
        out["Bcc"] = ", ".join(hidden)
    return out


def proxy_from_env(env: Mapping[str, str]) -> httplib2.ProxyInfo | None:
    """httplib2 proxy settings from `HTTPS_PROXY` / `NO_PROXY` in `env` (needs PySocks)."""
    url = env.get("HTTPS_PROXY") or env.get("https_proxy")
    if not url:
        return None
    noproxy = env.get("NO_PROXY", env.get("no_proxy", ""))
    return httplib2.proxy_info_from_url(url, method="https", noproxy=noproxy)


def _http_error(e: HttpError) -> MailError:
    status = int(getattr(e.resp, "status", 0) or 0)
    reason = e.error_details[0].get("reason", "") if (
        isinstance(e.error_details, list) and e.error_details
        and isinstance(e.error_details[0], dict)) else ""
    detail = f"HTTP {status} {reason}: {e.reason}".replace("  ", " ")
    if status in _BUSY or (status == 403 and reason in _RATE_LIMIT_REASONS):
        return MailConnectionError("Gmail API sedang sibuk atau membatasi kiriman.", detail)
    if status in (401, 403, 404):
        return MailSetupError(f"Gmail API menolak pengiriman; {_SETUP_HINT}.", detail)
    return MailPermanentError("Gmail API menolak pesan.", detail)


def _network_error(e: Exception) -> MailError:
    cause = e.__cause__ if isinstance(e, google.auth.exceptions.TransportError) else e
    if isinstance(cause, ssl.SSLCertVerificationError):
        return MailSetupError(
            "Sertifikat TLS saat menghubungi Google tidak dipercaya; di balik proxy HTTPS "
            "kantor, arahkan HTTPLIB2_CA_CERTS ke sertifikat CA proxy.", str(e),
        )
    return MailConnectionError("Gmail API tidak dapat dihubungi.", f"{type(e).__name__}: {e}")
