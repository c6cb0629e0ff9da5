"""Google credentials: a service-account key, or an authorized-user token from `auth login`.

Offices with a Google Cloud project use a service-account key (the sheet is shared with the
account's email). Offices without one run `aduan-sync auth login` once: the installed-app
OAuth flow of google-auth-oauthlib, which writes an authorized-user token file (mode 0600)
that the worker then uses like a key. Both are read from `[source] credentials_file`.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import google.oauth2.credentials
from google.auth.credentials import Credentials
from google.oauth2 import service_account

from aduan_sync.config import Config
from aduan_sync.errors import ConfigError
from aduan_sync.fsutil import write_atomic

SHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets"
DRIVE_READONLY_SCOPE = "https://www.googleapis.com/auth/drive.readonly"
GMAIL_SEND_SCOPE = "https://www.googleapis.com/auth/gmail.send"

#: What the worker needs: edit the sheet, read the files uploaded through the form.
DEFAULT_SCOPES: tuple[str, ...] = (SHEETS_SCOPE, DRIVE_READONLY_SCOPE)

_KEY = "source.credentials_file"


@dataclass(frozen=True)
class GoogleCredentials:
    """Loaded credentials and what the operator needs to know about them."""

    credentials: Credentials
    kind: str  # "service_account" | "authorized_user"
    email: str | None  # the service account's email; None for an authorized user
    path: Path

    @property
    def share_with(self) -> str:
        """Who the spreadsheet must be shared with, in words for the operator."""
        if self.email:
            return self.email
        return "akun Google yang dipakai saat `aduan-sync auth login`"


def scopes_for(cfg: Config) -> tuple[str, ...]:
    """The scopes this office's config needs (Gmail only when mail goes through Gmail)."""
    if cfg.mail.backend == "gmail":
        return (*DEFAULT_SCOPES, GMAIL_SEND_SCOPE)
    return DEFAULT_SCOPES


def load_credentials(
    path: Path,
    scopes: Sequence[str] = DEFAULT_SCOPES,
    *,
    token_uri: str = "",
    subject: str = "",
) -> GoogleCredentials:
    """Read a service-account key or authorized-user token file.

    `token_uri` overrides the OAuth endpoint written in the file (emulators, tests);
    `subject` impersonates a Workspace user (domain-wide delegation, for Gmail).
    """
    info = _read_json(path)
    kind = info.get("type")
    if kind is None and "refresh_token" in info:
        kind = "authorized_user"  # `Credentials.to_json()` (gspread, older logins) omits it
    try:
        if kind == "service_account":
            sa = service_account.Credentials.from_service_account_info(info, scopes=list(scopes))
            if subject:
                sa = sa.with_subject(subject)
            if token_uri:
                sa = sa.with_token_uri(token_uri)
            return GoogleCredentials(sa, "service_account", sa.service_account_email, path)
        if kind == "authorized_user":
            # google-auth ignores a token_uri written in a user token file (a stolen file
            # must not redirect the refresh token), so the override is applied explicitly.
            user = google.oauth2.credentials.Credentials.from_authorized_user_info(info)
            if token_uri:
                user = user.with_token_uri(token_uri)
            return GoogleCredentials(user, "authorized_user", None, path)
    except (ValueError, KeyError) as e:
        raise ConfigError(f"berkas kredensial Google tidak lengkap atau rusak: {e}",
                          key=_KEY, path=path) from e
    raise ConfigError(
        f"jenis kredensial {kind!r} tidak didukung; gunakan kunci akun layanan (service "
        "account, JSON) atau token dari `aduan-sync auth login`",
        key=_KEY, path=path,
    )


def _read_json(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise ConfigError("berkas kredensial Google tidak ditemukan", key=_KEY, path=path) from e
    except OSError as e:
        raise ConfigError(f"berkas kredensial Google tidak dapat dibaca: {e.strerror}",
                          key=_KEY, path=path) from e
    try:
        info = json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(f"berkas kredensial Google bukan JSON yang valid: {e}",
                          key=_KEY, path=path) from e
    if not isinstance(info, dict):
        raise ConfigError("berkas kredensial Google harus berisi objek JSON", key=_KEY, path=path)
    return info


def key_file_warning(path: Path) -> str | None:
    """A warning (Indonesian) when a key file can be read by other users, else None."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        return (f"Berkas kredensial {path} dapat dibaca pengguna lain (mode {mode & 0o777:o}). "
                f"Jalankan: chmod 600 {path}")
    return None


def write_private(path: Path, text: str) -> None:
    """Write a secret atomically with mode 0600 (never readable by others, not even briefly:
    the temporary file is created 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text.encode("utf-8"), 0o600)


def login(
    client_secrets: Path,
    out: Path,
    scopes: Sequence[str] = DEFAULT_SCOPES,
    *,
    open_browser: bool = True,
    host: str = "localhost",
    port: int = 0,
    browser: str | None = None,
    timeout_seconds: int | None = 300,
) -> GoogleCredentials:
    """Run the installed-app OAuth flow and save the authorized-user token to `out` (0600).

    `client_secrets` is the "Desktop app" OAuth client JSON from the Cloud Console. The user
    signs in in the browser; the token (with a refresh token) is what `credentials_file`
    then points at.
    """
    from google_auth_oauthlib.flow import InstalledAppFlow

    if not client_secrets.is_file():
        raise ConfigError("berkas OAuth client (client_secret*.json) tidak ditemukan",
                          path=client_secrets)
    try:
        flow = InstalledAppFlow.from_client_secrets_file(str(client_secrets), list(scopes))
    except ValueError as e:
        raise ConfigError(f"berkas OAuth client tidak valid: {e}", path=client_secrets) from e
    creds = flow.run_local_server(
        host=host,
        port=port,
        open_browser=open_browser,
        browser=browser,
        timeout_seconds=timeout_seconds,
        authorization_prompt_message=(
            "Buka alamat berikut di peramban untuk memberi izin akses Google:\n{url}"
        ),
        success_message="Izin diterima. Jendela ini boleh ditutup.",
    )
    token = json.loads(creds.to_json())
    token["type"] = "authorized_user"  # what Google's own tools write; to_json() omits it
    write_private(out, json.dumps(token, indent=2))
    return GoogleCredentials(creds, "authorized_user", None, out)
