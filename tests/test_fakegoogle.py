"""The fake Google server behaves like Google where the worker depends on it: A1 ranges,
grid limits, value rendering, error shapes, auth, faults, hooks, quota, Drive and Gmail."""

from __future__ import annotations

import base64
import io
import json
import socket
import time
from datetime import datetime

import pytest
import requests

from tests.fakegoogle import a1
from tests.fakegoogle.fake import FakeGoogle
from tests.fakegoogle.oauth import new_service_account_key
from tests.fakegoogle.proxy import MitmProxy
from tests.fakegoogle.support import SA_EMAIL
from tests.fakegoogle.values import Formula

pytest_plugins = ["tests.fakegoogle.fixtures"]


class Api:
    """Plain HTTP against the fake, with a valid token: checks wire shapes, not our client."""

    def __init__(self, fake: FakeGoogle, sid: str = "") -> None:
        self.fake = fake
        self.sid = sid
        self.s = requests.Session()
        self.s.headers["Authorization"] = "Bearer " + fake.access_token(SA_EMAIL)

    def url(self, suffix: str) -> str:
        return f"{self.fake.base_url}/v4/spreadsheets/{self.sid}{suffix}"

    def get(self, rng: str, **params: str) -> requests.Response:
        return self.s.get(self.url("/values/" + requests.utils.quote(rng, safe="")),
                          params=params)

    def batch_update_values(self, data: list[dict], option: str = "RAW") -> requests.Response:
        return self.s.post(self.url("/values:batchUpdate"),
                           json={"valueInputOption": option, "data": data})

    def batch_update(self, *reqs: dict) -> requests.Response:
        return self.s.post(self.url(":batchUpdate"), json={"requests": list(reqs)})


@pytest.mark.parametrize("text,expected", [
    ("'Form Responses 1'!A1:C5", a1.A1Range("Form Responses 1", 0, 0, 5, 3)),
    ("'It''s here'!B2", a1.A1Range("It's here", 1, 1, 2, 2, single_cell=True)),
    ("Sheet1!A:C", a1.A1Range("Sheet1", 0, 0, None, 3)),
    ("'Data'!2:2", a1.A1Range("Data", 1, 0, 2, None)),
    ("A2:Z", a1.A1Range(None, 1, 0, None, 26)),
    ("Tanggapan", a1.A1Range("Tanggapan")),
    ("'Tanggapan Formulir 1'", a1.A1Range("Tanggapan Formulir 1")),
    ("AA10", a1.A1Range(None, 9, 26, 10, 27, single_cell=True)),
])
def test_a1_ranges_parse_like_google_reads_them(text, expected):
    assert a1.parse(text) == expected


def test_a1_formatting_quotes_only_where_google_does():
    assert a1.format_range("Sheet1", 0, 0, 1000, 26) == "Sheet1!A1:Z1000"
    assert a1.format_range("Form Responses 1", 1, 11, 2, 12) == "'Form Responses 1'!L2"
    assert a1.col_letters(27) == "AB" and a1.col_index("AB") == 27


def test_values_render_per_option_and_locale(fake_google):
    stamp = datetime(2026, 2, 3, 9, 5, 7)
    sid = fake_google.add_spreadsheet(["Cap waktu", "NIK", "Setuju"],
                                      [[stamp, 3313000000000001, True]], locale="id_ID")
    api = Api(fake_google, sid)
    formatted = api.get("'Form Responses 1'").json()
    assert formatted["range"] == "'Form Responses 1'!A1:C1000"
    assert formatted["values"][1] == ["03/02/2026 9.05.07", "3313000000000001", "TRUE"]
    raw = api.get("'Form Responses 1'!A2:C2", valueRenderOption="UNFORMATTED_VALUE",
                  dateTimeRenderOption="SERIAL_NUMBER").json()["values"][0]
    assert raw[0] == pytest.approx(46056.378553, abs=1e-6)
    assert raw[1] == 3313000000000001 and raw[2] is True
    fake_google.spreadsheet(sid).locale = "en_US"
    assert api.get("A2").json()["values"] == [["2/3/2026 9:05:07"]]


def test_trailing_empty_cells_and_rows_are_trimmed_like_google(fake_google):
    sid = fake_google.add_spreadsheet(["A", "B", "C"], [["x", "", ""], ["", "", ""], ["", "y"]],
                                      col_count=5)
    values = Api(fake_google, sid).get("Form Responses 1").json()["values"]
    assert values == [["A", "B", "C"], ["x"], [], ["", "y"]]


def test_writing_outside_the_grid_is_googles_400_and_changes_nothing(fake_google):
    sid = fake_google.add_spreadsheet(["A", "B"], [["1", "2"]])
    api = Api(fake_google, sid)
    resp = api.batch_update_values([
        {"range": "'Form Responses 1'!A2", "values": [["ok"]]},
        {"range": "'Form Responses 1'!C1", "values": [["Nomor Register"]]},
    ])
    assert resp.status_code == 400
    err = resp.json()["error"]
    assert err["status"] == "INVALID_ARGUMENT" and "exceeds grid limits" in err["message"]
    assert "Max rows: 1000, max columns: 2" in err["message"]
    assert fake_google.values(sid) == [["A", "B"], ["1", "2"]]


def test_values_longer_than_their_range_are_refused(fake_google):
    sid = fake_google.add_spreadsheet(["A", "B", "C"], [])
    resp = Api(fake_google, sid).batch_update_values(
        [{"range": "'Form Responses 1'!A2:B2", "values": [["1", "2", "3"]]}])
    assert resp.status_code == 400 and "tried writing to" in resp.json()["error"]["message"]


def test_raw_keeps_text_and_user_entered_parses_it_as_a_person_typing(fake_google):
    sid = fake_google.add_spreadsheet(["HP", "Rumus", "Kosong", "Tetap"],
                                      [["", "", "isi", "lama"]])
    api = Api(fake_google, sid)
    row = [["0812345", "=HYPERLINK(\"http://x.invalid\",\"klik\")", "", None]]
    api.batch_update_values([{"range": "A2:D2", "values": row}], "RAW")
    assert fake_google.values(sid)[1] == ["0812345", row[0][1], None, "lama"]
    api.batch_update_values([{"range": "A2:B2", "values": [row[0][:2]]}], "USER_ENTERED")
    stored = fake_google.values(sid)[1]
    assert stored[0] == 812345.0 and isinstance(stored[1], Formula)
    assert api.get("B2").json()["values"] == [["klik"]]


def test_batch_update_requests_reshape_the_grid_atomically(fake_google):
    sid = fake_google.add_spreadsheet(["A"], [["r1"], ["r2"], ["r3"]])
    api = Api(fake_google, sid)
    ok = api.batch_update(
        {"appendDimension": {"sheetId": 0, "dimension": "COLUMNS", "length": 2}},
        {"insertDimension": {"range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 1,
                                       "endIndex": 2}}},
        {"deleteDimension": {"range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 3,
                                       "endIndex": 4}}},
        {"updateCells": {"start": {"sheetId": 0, "rowIndex": 0, "columnIndex": 1},
                         "rows": [{"values": [{"userEnteredValue": {"stringValue": "=1+1"}},
                                              {"userEnteredValue": {"numberValue": 7}}]}],
                         "fields": "userEnteredValue"}},
        {"addSheet": {"properties": {"title": "Rekap"}}},
        {"updateSheetProperties": {"properties": {"sheetId": 0, "title": "Jawaban"},
                                   "fields": "title"}},
    )
    assert ok.status_code == 200 and len(ok.json()["replies"]) == 6
    assert ok.json()["replies"][4]["addSheet"]["properties"]["title"] == "Rekap"
    assert fake_google.values(sid, "Jawaban") == [["A", "=1+1", 7.0], [], ["r1"], ["r3"]]
    assert fake_google.sheet(sid, "Jawaban").col_count == 3
    bad = api.batch_update(
        {"appendDimension": {"sheetId": 0, "dimension": "ROWS", "length": 5}},
        {"updateCells": {"start": {"sheetId": 0, "rowIndex": 0, "columnIndex": 9},
                         "rows": [{"values": [{"userEnteredValue": {"stringValue": "x"}}]}],
                         "fields": "userEnteredValue"}},
    )
    assert bad.status_code == 400
    assert fake_google.sheet(sid, "Jawaban").row_count == 1000  # rolled back


def test_metadata_honours_the_fields_mask(fake_google):
    sid = fake_google.add_spreadsheet(["A"], [], time_zone="Asia/Makassar",
                                      extra_sheets={"Rekap": [["x"]]})
    api = Api(fake_google, sid)
    body = api.s.get(api.url(""), params={
        "fields": "properties(title,timeZone),sheets.properties(title,gridProperties(rowCount))"
    }).json()
    assert body == {
        "properties": {"title": fake_google.spreadsheet(sid).title, "timeZone": "Asia/Makassar"},
        "sheets": [{"properties": {"title": "Form Responses 1",
                                   "gridProperties": {"rowCount": 1000}}},
                   {"properties": {"title": "Rekap", "gridProperties": {"rowCount": 1000}}}],
    }


def test_requests_without_a_valid_token_get_googles_401(fake_google):
    sid = fake_google.add_spreadsheet(["A"], [])
    resp = requests.get(f"{fake_google.base_url}/v4/spreadsheets/{sid}",
                        headers={"Authorization": "Bearer ya29.palsu"})
    assert resp.status_code == 401 and resp.json()["error"]["status"] == "UNAUTHENTICATED"


def test_the_token_endpoint_checks_the_jwt_signature(fake_google):
    import google.auth.transport.requests as gtr
    from google.auth.exceptions import RefreshError
    from google.oauth2 import service_account

    info = fake_google.new_service_account_key("lain@proyek.iam.gserviceaccount.com")
    other, _ = new_service_account_key("lain@proyek.iam.gserviceaccount.com",
                                       fake_google.token_uri, fresh=True)
    good = service_account.Credentials.from_service_account_info(info, scopes=["s"])
    forged = service_account.Credentials.from_service_account_info(
        {**other, "private_key_id": info["private_key_id"]}, scopes=["s"])
    good.refresh(gtr.Request())
    assert good.token.startswith("ya29.fake-")
    with pytest.raises(RefreshError, match="Invalid JWT Signature"):
        forged.refresh(gtr.Request())


def test_faults_answer_the_nth_matching_request_with_retry_after(fake_google):
    sid = fake_google.add_spreadsheet(["A"], [["1"]])
    api = Api(fake_google, sid)
    fault = fake_google.fail("sheets.values.get", nth=2, times=2, status=429, retry_after="9")
    statuses = [api.get("A1") for _ in range(4)]
    assert [r.status_code for r in statuses] == [200, 429, 429, 200]
    assert statuses[1].headers["Retry-After"] == "9"
    assert statuses[1].json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert fault.fired == 2
    assert [e.status for e in fake_google.requests("sheets.values.get")] == [200, 429, 429, 200]


def test_a_dropped_connection_reaches_the_client_as_a_connection_error(fake_google):
    sid = fake_google.add_spreadsheet(["A"], [])
    fake_google.fail("sheets.get", status=None, drop=True)
    with pytest.raises(requests.ConnectionError):
        Api(fake_google, sid).s.get(f"{fake_google.base_url}/v4/spreadsheets/{sid}")


def test_answers_are_indented_as_google_s_unless_prettyprint_is_false(fake_google):
    sid = fake_google.add_spreadsheet(["Nama"], [["Budi"]])
    url = f"{fake_google.base_url}/v4/spreadsheets/{sid}/values/A1:A2"
    session = Api(fake_google, sid).s
    pretty, compact = (session.get(url, params=p) for p in ({}, {"prettyPrint": "false"}))
    assert pretty.json() == compact.json()
    assert b'\n  "values": [\n' in pretty.content
    assert b"\n" not in compact.content and b'"values":[["Nama"],["Budi"]]' in compact.content


def test_a_hook_runs_just_before_the_nth_matching_request(fake_google):
    sid = fake_google.add_spreadsheet(["Nama"], [["Budi"], ["Ani"]])
    api = Api(fake_google, sid)
    hook = fake_google.before("sheets.values.get", 2, lambda f: f.sort_rows(sid, key=str))
    first, second = api.get("A2:A3").json(), api.get("A2:A3").json()
    assert first["values"] == [["Budi"], ["Ani"]] and second["values"] == [["Ani"], ["Budi"]]
    assert hook.ran


def test_the_write_quota_refuses_the_61st_write_in_a_minute(fake_google):
    now = [0.0]
    fake_google.quota.clock = lambda: now[0]
    fake_google.quota.writes_per_minute = 60
    sid = fake_google.add_spreadsheet(["A"], [])
    api = Api(fake_google, sid)
    codes = [api.batch_update_values([{"range": "A2", "values": [[str(i)]]}]).status_code
             for i in range(61)]
    assert codes[:60] == [200] * 60 and codes[60] == 429
    assert api.get("A2").status_code == 200  # reads have their own quota
    now[0] = 61.0
    assert api.batch_update_values([{"range": "A2", "values": [["x"]]}]).status_code == 200


def test_latency_is_added_to_every_request(fake_google):
    sid = fake_google.add_spreadsheet(["A"], [])
    api = Api(fake_google, sid)
    fake_google.latency = 0.05
    t0 = time.perf_counter()
    api.get("A1")
    assert time.perf_counter() - t0 >= 0.05


def test_the_log_counts_requests_per_endpoint(fake_google):
    sid = fake_google.add_spreadsheet(["A"], [])
    api = Api(fake_google, sid)
    api.get("A1")
    api.get("A1")
    api.batch_update_values([{"range": "A2", "values": [["x"]]}])
    assert fake_google.counts() == {"sheets.values.get": 2, "sheets.values.batchUpdate": 1}
    assert fake_google.count("sheets.*") == 3 and fake_google.count("drive.*") == 0
    assert fake_google.requests("sheets.values.batchUpdate")[0].principal == SA_EMAIL


def _drive(fake: FakeGoogle, creds_info: dict):
    from google.oauth2 import service_account
    from googleapiclient.discovery import build

    creds = service_account.Credentials.from_service_account_info(
        creds_info, scopes=["https://www.googleapis.com/auth/drive.readonly"])
    return build("drive", "v3", credentials=creds, static_discovery=True, cache_discovery=False,
                 client_options={"api_endpoint": f"{fake.base_url}/drive/v3/"})


def test_drive_metadata_and_chunked_download_through_the_real_client(fake_google):
    from googleapiclient.http import MediaIoBaseDownload

    content = bytes(range(256)) * 40  # 10,240 bytes
    fid = fake_google.add_file(content, "jalan rusak.jpg", "image/jpeg")
    drive = _drive(fake_google, fake_google.new_service_account_key(SA_EMAIL))
    meta = drive.files().get(fileId=fid, fields="id,name,mimeType,size,sha256Checksum",
                             supportsAllDrives=True).execute()
    assert meta["name"] == "jalan rusak.jpg" and meta["size"] == "10240"
    buf = io.BytesIO()
    download = MediaIoBaseDownload(buf, drive.files().get_media(fileId=fid), chunksize=4096)
    done = False
    while not done:
        _, done = download.next_chunk()
    assert buf.getvalue() == content
    ranges = [r.headers.get("range") for r in fake_google.requests("drive.files.download")]
    assert ranges == ["bytes=0-4095", "bytes=4096-8191", "bytes=8192-12287"]


def test_drive_answers_403_and_404_with_reasons(fake_google):
    fid = fake_google.add_file(b"x", readers={"orang.lain@example.com"})
    s = requests.Session()
    s.headers["Authorization"] = "Bearer " + fake_google.access_token(SA_EMAIL)
    forbidden = s.get(f"{fake_google.base_url}/drive/v3/files/{fid}", params={"alt": "media"})
    missing = s.get(f"{fake_google.base_url}/drive/v3/files/1hilang")
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["errors"][0]["reason"] == "insufficientFilePermissions"
    assert missing.status_code == 404 and "File not found" in missing.json()["error"]["message"]


def test_a_spreadsheets_drive_version_moves_with_every_change_and_only_then(fake_google):
    sid = fake_google.add_spreadsheet(["A"], [["x"]])
    drive = _drive(fake_google, fake_google.new_service_account_key(SA_EMAIL))
    api = Api(fake_google, sid)

    def version() -> int:
        meta = drive.files().get(fileId=sid, fields="version,modifiedTime").execute()
        assert set(meta) == {"version", "modifiedTime"}
        return int(meta["version"])

    seen = [version()]
    api.get("A1")
    assert api.batch_update_values([{"range": "Tidak ada!A1", "values": [["y"]]}]).status_code \
        == 400
    seen.append(version())  # neither a read nor a refused write changes the file
    for change in (lambda: api.batch_update_values([{"range": "A2", "values": [["y"]]}]),
                   lambda: api.batch_update({"appendDimension": {
                       "sheetId": 0, "dimension": "ROWS", "length": 5}}),
                   lambda: fake_google.set_cell(sid, 1, 0, "z"),
                   lambda: fake_google.append_rows(sid, [["baru"]]),
                   lambda: fake_google.insert_rows(sid, 1, [["sisip"]]),
                   lambda: fake_google.sort_rows(sid, key=str),
                   lambda: fake_google.delete_rows(sid, 1)):
        change()
        seen.append(version())
    assert seen[0] == seen[1] and seen[1:] == sorted(set(seen[1:]))
    meta = drive.files().get(fileId=sid).execute()
    assert meta["mimeType"] == "application/vnd.google-apps.spreadsheet"
    fake_google.make_private(sid)
    with pytest.raises(Exception, match="404"):
        version()


def test_an_interrupted_download_is_cut_short_after_its_headers(fake_google):
    fid = fake_google.add_file(b"a" * 5000)
    fake_google.fail("drive.files.download", status=None, truncate=1000)
    s = requests.Session()
    s.headers["Authorization"] = "Bearer " + fake_google.access_token(SA_EMAIL)
    url = f"{fake_google.base_url}/drive/v3/files/{fid}"
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        s.get(url, params={"alt": "media"}).content  # noqa: B018 - reading is the point
    resumed = s.get(url, params={"alt": "media"}, headers={"Range": "bytes=1000-"})
    assert resumed.status_code == 206 and len(resumed.content) == 4000
    assert resumed.headers["Content-Range"] == "bytes 1000-4999/5000"
    beyond = s.get(url, params={"alt": "media"}, headers={"Range": "bytes=6000-"})
    assert beyond.status_code == 416


def test_gmail_send_through_the_real_client_stores_the_raw_message(fake_google):
    from google.oauth2 import service_account
    from googleapiclient.discovery import build

    info = fake_google.new_service_account_key(SA_EMAIL)
    creds = service_account.Credentials.from_service_account_info(
        info, scopes=["https://www.googleapis.com/auth/gmail.send"],
        subject="ppid@kecamatan-jenawi.go.id")
    gmail = build("gmail", "v1", credentials=creds, static_discovery=True,
                  cache_discovery=False, client_options={"api_endpoint": fake_google.base_url})
    raw = b"Subject: [Aduan 001/ADUAN/I/2026] Uji\r\n\r\nIsi pesan.\r\n"
    sent = gmail.users().messages().send(
        userId="me", body={"raw": base64.urlsafe_b64encode(raw).decode()}).execute()
    assert sent["labelIds"] == ["SENT"]
    (mail,) = fake_google.sent_mail
    assert mail.raw == raw and mail.subject == "ppid@kecamatan-jenawi.go.id"
    assert mail.principal == SA_EMAIL and mail.message_id == sent["id"]


def test_the_proxy_tunnels_only_google_hosts(fake_google, tmp_path):
    with MitmProxy(fake_google.port, tmp_path) as proxy:
        port = int(proxy.url.rsplit(":", 1)[1])
        for target, expected in [("example.com:443", b"403"), ("sheets.googleapis.com:80", b"403"),
                                 ("sheets.googleapis.com:443", b"200")]:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                sock.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
                assert sock.recv(100).split(b" ")[1] == expected
    assert proxy.refused == ["example.com:443", "sheets.googleapis.com:80"]
    assert proxy.connects == ["sheets.googleapis.com:443"]


def test_the_request_log_keeps_the_json_body_for_assertions(fake_google):
    sid = fake_google.add_spreadsheet(["A"], [])
    Api(fake_google, sid).batch_update_values([{"range": "A2", "values": [["x"]]}])
    (entry,) = fake_google.requests("sheets.values.batchUpdate")
    assert json.loads(entry.body)["valueInputOption"] == "RAW" and entry.body_size > 0


def test_plain_gspread_works_against_the_fake_through_the_proxy(fake_google, tmp_path,
                                                                 monkeypatch):
    """What a naive script (and the benchmark's baseline) does: convenience calls, one
    request per cell. It needs no endpoint override: the proxy carries Google's own names."""
    import gspread

    from tests.fakegoogle.support import write_key

    sid = fake_google.add_spreadsheet(["Nama", "Status"], [["Ani"], ["Budi"]])
    info = fake_google.new_service_account_key(SA_EMAIL,
                                               token_uri="https://oauth2.googleapis.com/token")
    key = write_key(tmp_path / "secrets" / "sa.json", info)
    with MitmProxy(fake_google.port, tmp_path) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(proxy.ca_file))
        ws = gspread.service_account(filename=str(key)).open_by_key(sid).worksheet(
            "Form Responses 1")
        ws.update_cell(2, 2, "Terdaftar")
        ws.update_cell(3, 2, "Terdaftar")
        assert ws.get_all_values() == [["Nama", "Status"], ["Ani", "Terdaftar"],
                                       ["Budi", "Terdaftar"]]
    counts = fake_google.counts()
    assert counts["sheets.get"] == 2  # open_by_key, then worksheet(): metadata twice
    assert counts["sheets.values.update"] == 2  # one request per cell
