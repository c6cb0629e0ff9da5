"""Faults between the worker and Google: storms retried within the bound, permanent errors
explained to the office at once, a proxy with a private CA, and nothing left half-done."""

from __future__ import annotations

import dataclasses

import pytest

from aduan_sync import config
from aduan_sync.errors import EXIT_SHEET, SourcePermanentError, SourceTransientError
from aduan_sync.google_http import GoogleTransientError
from tests.fakegoogle.fake import FakeGoogle
from tests.fakegoogle.forms import FORM_HEADERS, form_rows
from tests.fakegoogle.passes import REGISTER, make_source, number_for, register_all, run_pass
from tests.fakegoogle.proxy import MitmProxy
from tests.fakegoogle.support import SA_EMAIL, FakeClock, write_google_config, write_key

pytest_plugins = ["tests.fakegoogle.fixtures"]


def all_registered(fake: FakeGoogle, sid: str) -> bool:
    return all(r.get(REGISTER) == number_for(r["Nama Lengkap"]) for r in fake.records(sid))


@pytest.mark.parametrize("status", [429, 500, 503])
def test_a_storm_on_the_read_is_retried_and_the_pass_succeeds(
    fake_google, google_config, fake_clock, status
):
    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(3))
    fake_google.fail("sheets.values.get", nth=1, times=4, status=status)
    snap = make_source(google_config(sid), fake_clock).read()
    assert len(snap.rows) == 3
    assert snap.requests == 6  # metadata + 4 refused + 1 answered
    assert len(fake_clock.sleeps) == 4
    # Exponential backoff with jitter: each wait within [0.5, 1] x 1, 2, 4, 8 s.
    for i, slept in enumerate(fake_clock.sleeps):
        assert 0.5 * 2**i <= slept <= 2**i


def test_retry_after_from_google_is_honoured(fake_google, google_config, fake_clock):
    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(1))
    fake_google.fail("sheets.get", nth=1, times=2, status=429, retry_after="17")
    make_source(google_config(sid), fake_clock).read()
    assert fake_clock.sleeps == [17.0, 17.0]


def test_a_storm_on_the_write_is_retried_and_everything_lands(
    fake_google, google_config, fake_clock
):
    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(5))
    fake_google.fail("sheets.batchUpdate", nth=1, times=3, status=503)
    requests, result = run_pass(google_config(sid), fake_clock)
    assert result.written == 15 and requests == 8  # 5, and 3 retries
    assert all_registered(fake_google, sid)


def test_a_storm_longer_than_the_bound_ends_with_exit_3(fake_google, google_config, fake_clock):
    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(1))
    fault = fake_google.fail("sheets.values.get", times=0, status=503)
    cfg = google_config(sid, retry_max_seconds=120)
    with pytest.raises(SourceTransientError) as err:
        make_source(cfg, fake_clock).read()
    assert err.value.exit_code == EXIT_SHEET
    assert isinstance(err.value, GoogleTransientError) and err.value.status == 503
    assert "Pass berikutnya" in err.value.message
    assert sum(fake_clock.sleeps) <= 120
    assert fault.fired == len(fake_clock.sleeps) + 1 >= 5


def test_a_retry_after_beyond_the_bound_gives_up_without_waiting(
    fake_google, google_config, fake_clock
):
    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(1))
    fake_google.fail("sheets.get", status=429, retry_after="3600")
    with pytest.raises(SourceTransientError):
        make_source(google_config(sid, retry_max_seconds=120), fake_clock).read()
    assert fake_clock.sleeps == []


def test_a_dropped_connection_is_retried(fake_google, google_config, fake_clock):
    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(2))
    fake_google.fail("sheets.values.get", nth=1, times=2, status=None, drop=True)
    assert len(make_source(google_config(sid), fake_clock).read().rows) == 2
    assert len(fake_clock.sleeps) == 2


def test_an_answer_cut_off_midway_is_read_again_whole(fake_google, google_config, fake_clock):
    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(300))
    # The connection closes after 2,000 bytes of the values answer (Content-Length says more).
    fake_google.fail("sheets.values.get", nth=1, times=1, status=None, truncate=2000)
    snap = make_source(google_config(sid), fake_clock).read()
    assert len(snap.rows) == 300 and snap.rows[299][2] == "Warga Jenawi 299"
    assert len(fake_clock.sleeps) == 1
    assert [r.fault for r in fake_google.requests("sheets.values.get")][:1] != [None]


def test_a_request_that_hangs_times_out_and_is_retried(fake_google, google_config, fake_clock):
    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(2))
    cfg = google_config(sid)
    # Below the config's 1 s minimum, so the test waits a fraction of a second only.
    cfg = dataclasses.replace(cfg, source=dataclasses.replace(cfg.source, timeout_seconds=0.2))
    fake_google.fail("sheets.values.get", nth=1, status=None, delay=2.0)
    snap = make_source(cfg, fake_clock).read()
    assert len(snap.rows) == 2 and len(fake_clock.sleeps) == 1


def test_a_pass_cut_off_at_the_write_is_finished_by_the_next_pass(
    fake_google, google_config, fake_clock
):
    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(4))
    cfg = google_config(sid, retry_max_seconds=30)
    fault = fake_google.fail("sheets.batchUpdate", times=0, status=500)
    with pytest.raises(SourceTransientError):
        run_pass(cfg, fake_clock)
    assert not any(r.get(REGISTER) for r in fake_google.records(sid))
    fake_google.faults.remove(fault)
    _, result = run_pass(cfg, FakeClock())
    assert result.written == 12 and all_registered(fake_google, sid)
    _, again = run_pass(cfg, FakeClock())
    assert again.written == 0 and again.requests == 0


def test_403_says_to_share_the_sheet_with_the_service_account_as_editor(
    fake_google, google_config, fake_clock
):
    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(1))
    fake_google.share(sid, "camat.jenawi@example.go.id")
    with pytest.raises(SourcePermanentError) as err:
        make_source(google_config(sid), fake_clock).read()
    assert f"Bagikan spreadsheet kepada {SA_EMAIL} sebagai Editor" in err.value.message
    assert err.value.exit_code == EXIT_SHEET
    assert fake_google.count() == 1 and fake_clock.sleeps == []


def test_a_reader_only_share_fails_the_write_with_the_same_advice(
    fake_google, google_config, fake_clock
):
    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(1))
    fake_google.share(sid, SA_EMAIL, role="reader")
    with pytest.raises(SourcePermanentError, match="sebagai Editor"):
        run_pass(google_config(sid), fake_clock)


def test_a_403_rate_limit_is_retried_like_a_429(fake_google, google_config, fake_clock):
    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(1))
    fake_google.fail("sheets.get", status=403, reason="userRateLimitExceeded")
    assert len(make_source(google_config(sid), fake_clock).read().rows) == 1
    assert len(fake_clock.sleeps) == 1


def test_a_disabled_sheets_api_says_to_enable_it(fake_google, google_config, fake_clock):
    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(1))
    fake_google.fail("sheets.get", status=403, reason="accessNotConfigured",
                     message="Google Sheets API has not been used in project 123 before")
    with pytest.raises(SourcePermanentError, match="Aktifkan Google Sheets API"):
        make_source(google_config(sid), fake_clock).read()


def test_404_says_the_id_is_wrong_or_the_sheet_deleted(fake_google, google_config, fake_clock):
    fake_google.add_spreadsheet(FORM_HEADERS, form_rows(1))
    with pytest.raises(SourcePermanentError) as err:
        make_source(google_config("1TidakAdaSpreadsheetSeperti1niSamaSekali0000"),
                    fake_clock).read()
    assert "tidak ditemukan" in err.value.message and "spreadsheet_id" in err.value.message
    assert "404" in str(err.value) and fake_clock.sleeps == []


def test_a_revoked_key_fails_at_once_saying_to_make_a_new_one(
    fake_google, google_config, fake_clock
):
    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(1))
    fake_google.revoke(SA_EMAIL)
    with pytest.raises(SourcePermanentError) as err:
        make_source(google_config(sid), fake_clock).read()
    assert "dicabut" in err.value.message and "credentials_file" in err.value.message
    assert fake_google.count() == 0 and fake_clock.sleeps == []


def test_an_expired_access_token_is_refreshed_transparently(fake_google, google_config):
    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(2))
    src = make_source(google_config(sid))
    snap = src.read()
    fake_google.oauth.expire_tokens()  # server side: the next call gets 401
    assert src.write(register_all(snap, src.cfg)).written == 6
    assert fake_google.counts()["oauth.token"] == 2


def test_an_untrusted_certificate_is_a_permanent_error_naming_the_ca_setting(
    fake_google, tmp_path, monkeypatch, fake_clock
):
    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(1))
    with MitmProxy(fake_google.port, tmp_path) as proxy:
        cfg = _proxied_config(fake_google, tmp_path, sid)
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
        with pytest.raises(SourcePermanentError, match="REQUESTS_CA_BUNDLE"):
            make_source(cfg, fake_clock).read()
    assert fake_google.count("*") == 0


def _proxied_config(fake: FakeGoogle, tmp_path, sid: str) -> config.Config:
    """A config with Google's real endpoints: no api_endpoint, the key's default token_uri."""
    info = fake.new_service_account_key(SA_EMAIL, token_uri="https://oauth2.googleapis.com/token")
    key = write_key(tmp_path / "secrets" / "proxied.json", info)
    return config.load(write_google_config(tmp_path / "proxied", None, key, sid))


def test_works_unchanged_behind_an_https_proxy_with_a_private_ca(
    fake_google, tmp_path, monkeypatch
):
    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(3))
    with MitmProxy(fake_google.port, tmp_path) as proxy:
        cfg = _proxied_config(fake_google, tmp_path, sid)
        assert cfg.source.api_endpoint == "" and cfg.source.token_uri == ""
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(proxy.ca_file))
        requests, result = run_pass(cfg)
    assert requests == 5 and result.written == 9
    assert all_registered(fake_google, sid)
    assert set(proxy.connects) == {"sheets.googleapis.com:443", "oauth2.googleapis.com:443"}
    assert fake_google.requests("oauth.token")[0].headers["host"] == "oauth2.googleapis.com"
    assert {r.headers["host"] for r in fake_google.requests("sheets.*")} == {
        "sheets.googleapis.com"}
    assert proxy.tls_errors == []


def test_the_retry_layer_serves_drive_downloads_too(fake_google, service_account_key, fake_clock):
    """google_http is shared: a streamed Drive download retried after a 503, and a 404 that
    carries its status for the caller to word (a missing attachment is not a dead sheet)."""
    from google.auth.transport.requests import AuthorizedSession

    from aduan_sync.google_auth import load_credentials
    from aduan_sync.google_http import GoogleHttp, GooglePermanentError

    creds = load_credentials(service_account_key, token_uri=fake_google.token_uri)
    http = GoogleHttp(AuthorizedSession(creds.credentials), timeout=5, retry_max_seconds=60,
                      explain=lambda status, _r, _m: f"Lampiran tidak dapat diunduh ({status})",
                      service="Google Drive", sleep=fake_clock.sleep,
                      monotonic=fake_clock.monotonic)
    fid = fake_google.add_file(b"foto" * 1000, "foto.jpg")
    fake_google.fail("drive.files.download", status=503)
    url = f"{fake_google.base_url}/drive/v3/files/{fid}"
    resp = http.call("GET", url, params={"alt": "media"}, stream=True)
    assert b"".join(resp.iter_content(1024)) == b"foto" * 1000
    assert http.requests == 2 and len(fake_clock.sleeps) == 1
    with pytest.raises(GooglePermanentError) as err:
        http.call("GET", f"{fake_google.base_url}/drive/v3/files/1hilang", params={"alt": "media"})
    assert err.value.status == 404 and err.value.message == "Lampiran tidak dapat diunduh (404)"
    assert err.value.reason == "notFound"
