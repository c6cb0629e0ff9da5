"""Google credentials: service-account keys, authorized-user tokens from `auth login` (the
installed-app OAuth flow, run against the fake's token endpoint), and key-file hygiene."""

from __future__ import annotations

import json
import stat
import threading
import urllib.request
import webbrowser
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from aduan_sync import google_auth
from aduan_sync.errors import ConfigError
from tests.fakegoogle.fake import FakeGoogle
from tests.fakegoogle.forms import FORM_HEADERS, form_rows
from tests.fakegoogle.passes import make_source, run_pass
from tests.fakegoogle.support import SA_EMAIL, write_google_config, write_key

CLIENT_ID = "1234567890-jenawi.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-rahasia-uji"
USER = "admin.kecamatan.jenawi@gmail.com"

pytest_plugins = ["tests.fakegoogle.fixtures"]


def test_a_service_account_key_gives_its_email_to_share_with(service_account_key):
    creds = google_auth.load_credentials(service_account_key)
    assert creds.kind == "service_account"
    assert creds.email == SA_EMAIL and creds.share_with == SA_EMAIL
    assert set(creds.credentials.scopes) == set(google_auth.DEFAULT_SCOPES)


def test_gmail_scope_is_requested_only_when_mail_goes_through_gmail(fake_google, google_config):
    import dataclasses

    cfg = google_config("x")
    assert google_auth.GMAIL_SEND_SCOPE not in google_auth.scopes_for(cfg)
    gmail = dataclasses.replace(cfg, mail=dataclasses.replace(cfg.mail, backend="gmail"))
    assert google_auth.GMAIL_SEND_SCOPE in google_auth.scopes_for(gmail)


@pytest.mark.parametrize("content,expected", [
    (None, "tidak ditemukan"),
    ("{not json", "bukan JSON"),
    ('{"type": "external_account"}', "tidak didukung"),
    ('{"type": "service_account", "client_email": "a@b.c"}', "rusak"),
    ('["a list"]', "objek JSON"),
])
def test_a_bad_credentials_file_is_a_config_error_naming_the_key(tmp_path, content, expected):
    path = tmp_path / "kunci.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=expected) as err:
        google_auth.load_credentials(path)
    assert err.value.key == "source.credentials_file" and err.value.exit_code == 2


def test_a_key_file_readable_by_others_is_warned_about(tmp_path):
    path = write_key(tmp_path / "secrets" / "kunci.json", {"type": "service_account"})
    assert google_auth.key_file_warning(path) is None
    path.chmod(0o644)
    warning = google_auth.key_file_warning(path)
    assert warning is not None and "chmod 600" in warning and "644" in warning


def test_write_private_creates_the_file_with_mode_0600(tmp_path):
    path = tmp_path / "secrets" / "token.json"
    google_auth.write_private(path, '{"a": 1}')
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == {"a": 1}
    assert [p.name for p in path.parent.iterdir()] == ["token.json"]


def _authorized_user_file(fake: FakeGoogle, path: Path) -> Path:
    refresh = fake.add_user(USER, CLIENT_ID, CLIENT_SECRET)
    return write_key(path, {
        "type": "authorized_user", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
        "refresh_token": refresh, "token_uri": fake.token_uri,
    })


def test_an_authorized_user_token_reads_and_writes_the_sheet(fake_google, tmp_path):
    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(2))
    fake_google.share(sid, USER)
    token = _authorized_user_file(fake_google, tmp_path / "secrets" / "token.json")
    cfg = google_auth_config(fake_google, tmp_path, token, sid)
    requests, result = run_pass(cfg)
    assert result.written == 6 and requests == 5
    assert {r.principal for r in fake_google.requests("sheets.*")} == {USER}
    assert "auth login" in dict(make_source(cfg).details())["Bagikan sebagai Editor kepada"]


def google_auth_config(fake: FakeGoogle, tmp_path: Path, key: Path, sid: str):
    from aduan_sync import config

    return config.load(write_google_config(tmp_path / "config", fake, key, sid))


class _Browser(webbrowser.BaseBrowser):
    """Stands in for the office worker: opens the consent URL and approves it."""

    def __init__(self, fake: FakeGoogle) -> None:
        super().__init__("uji")
        self.fake = fake
        self.opened: list[str] = []

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        self.opened.append(url)
        q = parse_qs(urlsplit(url).query)
        self.fake.oauth.approve("4/kode-uji", USER, q["scope"][0].split())  # consent given
        back = q["redirect_uri"][0] + "?" + urlencode(
            {"code": "4/kode-uji", "state": q["state"][0], "scope": " ".join(q["scope"])})
        threading.Thread(target=lambda: urllib.request.urlopen(back, timeout=10).read(),
                         daemon=True).start()
        return True


def test_auth_login_saves_a_0600_token_that_then_works(fake_google, tmp_path, monkeypatch):
    # oauthlib insists on https for the token endpoint; the fake is plain http on loopback.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    fake_google.add_user("someone-else@example.com", CLIENT_ID, CLIENT_SECRET)  # the client
    secrets = tmp_path / "client_secret.json"
    secrets.write_text(json.dumps({"installed": {
        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": fake_google.token_uri, "redirect_uris": ["http://localhost"],
    }}), encoding="utf-8")
    browser = _Browser(fake_google)
    webbrowser.register("aduan-uji", None, browser)
    out = tmp_path / "secrets" / "token.json"

    creds = google_auth.login(secrets, out, host="127.0.0.1", browser="aduan-uji",
                              timeout_seconds=10)

    assert creds.kind == "authorized_user"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert json.loads(out.read_text())["refresh_token"].startswith("1//fake-")
    assert "spreadsheets" in parse_qs(urlsplit(browser.opened[0]).query)["scope"][0]
    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(1))
    fake_google.share(sid, USER)
    snap = make_source(google_auth_config(fake_google, tmp_path, out, sid)).read()
    assert len(snap.rows) == 1


def test_login_without_a_client_file_says_which_file_is_missing(tmp_path):
    with pytest.raises(ConfigError, match="OAuth client"):
        google_auth.login(tmp_path / "client_secret.json", tmp_path / "token.json")
