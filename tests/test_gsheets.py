"""The Google Sheet source against the fake Google server: values as Google means them, the
request budget of a pass, and writes that stay on their complaint while staff edit."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from aduan_sync.headers import map_headers
from aduan_sync.identity import row_anchors
from aduan_sync.sources.base import CellUpdate, Source, WriteBatch
from aduan_sync.sources.gsheets import MAX_WRITE_BYTES
from tests.fakegoogle.fake import FakeGoogle
from tests.fakegoogle.forms import FORM_HEADERS, form_row, form_rows
from tests.fakegoogle.passes import (
    ANSWER,
    CATEGORY,
    NOTE,
    REGISTER,
    STATUS,
    make_source,
    number_for,
    register_all,
    run_pass,
)
from tests.fakegoogle.server import MAX_BODY_BYTES
from tests.fakegoogle.support import SA_EMAIL
from tests.fakegoogle.values import Formula

pytest_plugins = ["tests.fakegoogle.fixtures"]


def by_name(fake: FakeGoogle, sid: str) -> dict[str, dict]:
    return {r["Nama Lengkap"]: r for r in fake.records(sid)}


def test_google_source_fulfils_the_source_protocol(fake_google, google_config):
    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(1))
    assert isinstance(make_source(google_config(sid)), Source)


def test_read_returns_title_worksheet_timezone_and_rows_in_two_requests(
    fake_google, google_config
):
    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(3), title="Aduan Jenawi 2026")
    snap = make_source(google_config(sid)).read()
    assert (snap.title, snap.worksheet, snap.timezone) == (
        "Aduan Jenawi 2026", "Form Responses 1", "Asia/Jakarta")
    assert snap.headers == FORM_HEADERS
    assert len(snap.rows) == 3
    assert snap.rows[2][2] == "Warga Jenawi 2"
    assert snap.requests == 2
    assert fake_google.counts()["sheets.get"] == 1
    assert fake_google.counts()["sheets.values.get"] == 1
    reads = fake_google.requests("sheets.values.get")
    assert reads[0].query["valueRenderOption"] == ["UNFORMATTED_VALUE"]
    assert reads[0].query["prettyPrint"] == ["false"]  # Google indents answers otherwise
    assert reads[0].query["dateTimeRenderOption"] == ["SERIAL_NUMBER"]


def test_nik_and_phone_numbers_come_back_as_integers_never_floats(fake_google, google_config):
    sid = fake_google.add_spreadsheet(FORM_HEADERS, [form_row(0)])
    row = make_source(google_config(sid)).read().rows[0]
    nik, phone = row[FORM_HEADERS.index("NIK")], row[FORM_HEADERS.index("Nomor HP/WhatsApp")]
    assert nik == 3313000000000000 and type(nik) is int
    assert phone == 81200000000 and type(phone) is int


@pytest.mark.parametrize("zone,locale", [("Europe/London", "en_US"), ("Asia/Makassar", "id_ID"),
                                         ("America/New_York", "en_US")])
def test_timestamps_keep_the_spreadsheets_wall_clock_and_zone(
    fake_google, google_config, zone, locale
):
    # 3 February: a day/month guess from the locale would read it as 2 March.
    stamp = datetime(2026, 2, 3, 23, 59, 58)
    row = form_row(0)
    row[0] = stamp
    sid = fake_google.add_spreadsheet(FORM_HEADERS, [row], time_zone=zone, locale=locale)
    snap = make_source(google_config(sid)).read()
    assert snap.timezone == zone
    assert snap.rows[0][0] == stamp
    assert snap.rows[0][0].tzinfo is None


def test_only_the_timestamp_column_becomes_datetime(fake_google, google_config):
    headers = [*FORM_HEADERS, "Jumlah Warga Terdampak"]
    sid = fake_google.add_spreadsheet(headers, [[*form_row(0), 46000]])
    row = make_source(google_config(sid)).read().rows[0]
    assert isinstance(row[0], datetime)
    assert row[-1] == 46000 and type(row[-1]) is int


@pytest.mark.parametrize("n", [1, 100, 2000])
def test_a_busy_pass_costs_a_few_requests_whatever_the_rows(
    fake_google, google_config, n
):
    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(n))
    cfg = google_config(sid)
    # First pass: worker columns are added and the grid (as narrow as the form) widened
    # first, in its own request.
    requests, result = run_pass(cfg)
    assert requests == 5 and fake_google.count() == requests
    assert result.written == 3 * n and not result.skipped
    # Second pass: n more responses arrive; written with values.batchUpdate, RAW.
    fake_google.append_rows(sid, form_rows(n, first=n))
    fake_google.log.clear()
    requests, result = run_pass(cfg)
    assert requests <= 4 and fake_google.count() == requests
    assert result.written == 3 * n
    writes = fake_google.requests("sheets.values.batchUpdate")
    assert len(writes) == 1 and json.loads(writes[0].body)["valueInputOption"] == "RAW"
    records = fake_google.records(sid)
    assert len(records) == 2 * n
    assert all(r[REGISTER] == number_for(r["Nama Lengkap"]) for r in records)


def test_widening_the_grid_is_one_small_request_before_the_values(fake_google, google_config):
    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(2))
    assert fake_google.sheet(sid).col_count == len(FORM_HEADERS)
    run_pass(google_config(sid))
    writes = fake_google.requests("sheets.*Update")
    assert [w.endpoint for w in writes] == ["sheets.batchUpdate", "sheets.values.batchUpdate"]
    kinds = [next(iter(r)) for r in json.loads(writes[0].body)["requests"]]
    assert set(kinds) == {"appendDimension"}
    assert json.loads(writes[1].body)["valueInputOption"] == "RAW"
    assert fake_google.values(sid)[0][len(FORM_HEADERS):][:1] == [REGISTER]


def test_an_idle_pass_costs_at_most_two_requests_and_writes_nothing(fake_google, google_config):
    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(50))
    cfg = google_config(sid)
    run_pass(cfg)
    fake_google.log.clear()
    src = make_source(cfg)
    snap = src.read()
    result = src.write(WriteBatch())
    assert snap.requests == 2 and result.requests == 0 and result.written == 0
    assert fake_google.count() == 2


def test_updates_that_change_nothing_send_no_write(fake_google, google_config):
    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(3))
    cfg = google_config(sid)
    run_pass(cfg)
    src = make_source(cfg)
    snap = src.read()
    hmap = map_headers(snap.headers)
    anchor = row_anchors(hmap, snap.rows)[0]
    fake_google.log.clear()
    result = src.write(WriteBatch(updates=[CellUpdate(anchor, STATUS, "Terdaftar", "Terdaftar")]))
    assert result.written == 1 and result.requests == 1  # the re-read only
    assert fake_google.count("sheets.*Update") == 0


@pytest.mark.parametrize("widen", [True, False])
def test_a_citizens_formula_is_written_as_text_never_as_a_formula(
    fake_google, google_config, widen
):
    headers = FORM_HEADERS if widen else [*FORM_HEADERS, REGISTER, NOTE]
    sid = fake_google.add_spreadsheet(headers, form_rows(1))
    src = make_source(google_config(sid))
    snap = src.read()
    anchor = row_anchors(map_headers(snap.headers), snap.rows)[0]
    evil = '=HYPERLINK("http://contoh.invalid/curi","Klik di sini")'
    src.write(WriteBatch(add_headers=[REGISTER, NOTE] if widen else [],
                         updates=[CellUpdate(anchor, NOTE, evil, expected="")]))
    stored = fake_google.records(sid)[0][NOTE]
    assert stored == evil and not isinstance(stored, Formula)


def test_rows_sorted_between_read_and_write_get_their_own_values(fake_google, google_config):
    sid = fake_google.add_spreadsheet([*FORM_HEADERS, ANSWER], form_rows(6))
    fake_google.set_cell(sid, 3, len(FORM_HEADERS), "Sudah kami tindak lanjuti.")  # staff
    cfg = google_config(sid)
    # Staff sort newest first exactly between the worker's read and its re-read.
    fake_google.before("sheets.values.get", 2,
                       lambda f: f.sort_rows(sid, key=lambda r: r[0], reverse=True))
    _, result = run_pass(cfg)
    assert result.written == 18 and not result.skipped
    rows = by_name(fake_google, sid)
    assert [r["Nama Lengkap"] for r in fake_google.records(sid)][0] == "Warga Jenawi 5"
    for name, r in rows.items():
        assert r[REGISTER] == number_for(name)
    assert rows["Warga Jenawi 2"][ANSWER] == "Sudah kami tindak lanjuti."
    assert sum(1 for r in rows.values() if r[ANSWER]) == 1


STAFF_NOTE_ROW = ["", "", "Catatan rapat staf (bukan aduan)"]


def test_a_row_inserted_above_during_the_pass_shifts_nothing_onto_it(fake_google, google_config):
    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(4))
    staff_row = STAFF_NOTE_ROW
    fake_google.before("sheets.values.get", 2, lambda f: f.insert_rows(sid, 1, [staff_row]))
    _, result = run_pass(google_config(sid))
    assert result.written == 12 and not result.skipped
    records = fake_google.records(sid)
    assert records[0]["Nama Lengkap"] == staff_row[2] and not records[0].get(REGISTER)
    for r in records[1:]:
        assert r[REGISTER] == number_for(r["Nama Lengkap"])


def test_a_row_deleted_during_the_pass_is_skipped_and_no_other_row_takes_its_values(
    fake_google, google_config
):
    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(4))
    fake_google.before("sheets.values.get", 2, lambda f: f.delete_rows(sid, 2))  # Warga 1
    _, result = run_pass(google_config(sid))
    assert result.written == 9
    assert {s.reason for s in result.skipped} == {"row-not-found"}
    assert len(result.skipped) == 3
    records = fake_google.records(sid)
    assert [r["Nama Lengkap"] for r in records] == ["Warga Jenawi 0", "Warga Jenawi 2",
                                                    "Warga Jenawi 3"]
    for r in records:
        assert r[REGISTER] == number_for(r["Nama Lengkap"])


def test_a_cell_staff_typed_between_read_and_write_is_not_overwritten(fake_google, google_config):
    headers = [*FORM_HEADERS, REGISTER, STATUS, CATEGORY]
    sid = fake_google.add_spreadsheet(headers, form_rows(2))
    cat_col = headers.index(CATEGORY)
    fake_google.before("sheets.values.get", 2,
                       lambda f: f.set_cell(sid, 2, cat_col, "Kesejahteraan Sosial"))
    _, result = run_pass(google_config(sid))
    assert [(s.update.column, s.reason) for s in result.skipped] == [(CATEGORY,
                                                                      "changed-by-staff")]
    rows = by_name(fake_google, sid)
    assert rows["Warga Jenawi 1"][CATEGORY] == "Kesejahteraan Sosial"
    assert rows["Warga Jenawi 1"][REGISTER] == number_for("Warga Jenawi 1")
    assert rows["Warga Jenawi 0"][CATEGORY] == "Lainnya"


def test_cells_between_the_written_ones_keep_what_staff_typed(fake_google, google_config):
    # One range covers rows 2-7 and Status..Kategori; the cells and the row the worker does
    # not write travel as null and must stay as staff left them.
    headers = [*FORM_HEADERS, REGISTER, STATUS, CATEGORY]
    rows = form_rows(6)
    for i, row in enumerate(rows):
        row += ["", f"staff status {i}", f"staff kategori {i}"]
    sid = fake_google.add_spreadsheet(headers, rows)
    src = make_source(google_config(sid))
    snap = src.read()
    anchors = row_anchors(map_headers(snap.headers), snap.rows)
    updates = [CellUpdate(anchors[i], col, text, None) for i, col, text in
               [(0, STATUS, "A"), (1, CATEGORY, "B"), (2, STATUS, "C"), (4, CATEGORY, "D")]]
    fake_google.log.clear()
    assert src.write(WriteBatch(updates=updates)).written == 4
    [write] = fake_google.requests("sheets.values.batchUpdate")
    assert len(json.loads(write.body)["data"]) == 1
    got = [(r[STATUS], r[CATEGORY]) for r in fake_google.records(sid)]
    assert got == [("A", "staff kategori 0"), ("staff status 1", "B"),
                   ("C", "staff kategori 2"), ("staff status 3", "staff kategori 3"),
                   ("staff status 4", "D"), ("staff status 5", "staff kategori 5")]


def test_registered_rows_are_found_by_number_after_a_resort(fake_google, google_config):
    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(5))
    cfg = google_config(sid)
    run_pass(cfg)
    src = make_source(cfg)
    snap = src.read()
    hmap = map_headers(snap.headers)
    updates = [CellUpdate(a, STATUS, "Diteruskan ke PPID", "Terdaftar")
               for a in row_anchors(hmap, snap.rows)]
    fake_google.before("sheets.values.get", 4,
                       lambda f: f.sort_rows(sid, key=lambda r: str(r[2]), reverse=True))
    assert src.write(WriteBatch(updates=updates)).written == 5
    assert all(r[STATUS] == "Diteruskan ke PPID" for r in fake_google.records(sid))


def test_headers_already_in_the_sheet_are_not_added_again(fake_google, google_config):
    sid = fake_google.add_spreadsheet([*FORM_HEADERS, " nomor  register "], form_rows(1))
    src = make_source(google_config(sid))
    src.read()
    src.write(WriteBatch(add_headers=[REGISTER, STATUS]))
    assert fake_google.values(sid)[0][len(FORM_HEADERS):] == [" nomor  register ", STATUS]


@pytest.mark.parametrize("limit", [2_000_000, None])
def test_a_large_write_is_split_only_beyond_the_size_limit(fake_google, google_config, limit):
    n = 5000
    sid = fake_google.add_spreadsheet([*FORM_HEADERS, NOTE], form_rows(n))
    src = make_source(google_config(sid), **({"max_write_bytes": limit} if limit else {}))
    snap = src.read()
    hmap = map_headers(snap.headers)
    notes = {a: f"Catatan {i}: " + "lengkap dan jelas; " * 25 for i, a in
             enumerate(row_anchors(hmap, snap.rows))}
    result = src.write(WriteBatch(updates=[CellUpdate(a, NOTE, t, "") for a, t in notes.items()]))
    writes = fake_google.requests("sheets.values.batchUpdate")
    total = sum(w.body_size for w in writes)
    assert result.written == n and 2_000_000 < total < MAX_WRITE_BYTES
    # Split at the given limit; by default (9 MB, under Google's 10 MiB) one request.
    assert len(writes) == (1 if limit is None else -(-total // limit))
    assert all(w.body_size <= (limit or MAX_WRITE_BYTES) for w in writes)
    stored = [r[NOTE] for r in fake_google.records(sid)]
    assert stored == list(notes.values())


def test_a_body_over_google_s_limit_is_refused_as_google_does(fake_google, google_config):
    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(1))
    src = make_source(google_config(sid))
    body = json.dumps({"valueInputOption": "RAW", "data": [
        {"range": "A2", "values": [["x" * (MAX_BODY_BYTES + 1)]]}]}).encode()
    answer = src.http.session.post(f"{src.base}{sid}/values:batchUpdate", data=body,
                                   headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert "Request payload size exceeds the limit: 10485760" in answer.json()["error"]["message"]


def test_the_full_sheet_url_is_accepted_as_spreadsheet_id(fake_google, google_config):
    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(2))
    url = f"https://docs.google.com/spreadsheets/d/{sid}/edit#gid=0"
    cfg = google_config(url)
    assert cfg.source.spreadsheet_id == sid
    assert len(make_source(cfg).read().rows) == 2


def test_the_indonesian_response_sheet_is_chosen_among_others(fake_google, google_config):
    sid = fake_google.add_spreadsheet(
        [["Rekap"], ["Jumlah", 3]], worksheet="Rekap Bulanan",
        extra_sheets={"Tanggapan Formulir 1": [FORM_HEADERS, *form_rows(3)]},
    )
    snap = make_source(google_config(sid)).read()
    assert snap.worksheet == "Tanggapan Formulir 1" and len(snap.rows) == 3
    assert snap.requests == 2


def test_without_a_known_name_the_first_sheet_with_a_timestamp_column_is_used(
    fake_google, google_config
):
    headers = ["Timestamp", *FORM_HEADERS[1:]]
    sid = fake_google.add_spreadsheet(
        [["Catatan"]], worksheet="Catatan Petugas",
        extra_sheets={"Data 'Aduan' 2026": [headers, *form_rows(2)], "Lain": [headers]},
    )
    src = make_source(google_config(sid))
    snap = src.read()
    assert snap.worksheet == "Data 'Aduan' 2026" and len(snap.rows) == 2
    assert snap.requests == 3 and fake_google.counts()["sheets.values.batchGet"] == 1
    # The choice is remembered: writing costs no further look-up (re-read, widen, write).
    result = src.write(register_all(snap, src.cfg))
    assert result.requests == 3 and result.written == 6
    assert fake_google.counts()["sheets.values.batchGet"] == 1


def test_a_configured_worksheet_that_does_not_exist_names_the_ones_that_do(
    fake_google, google_config
):
    from aduan_sync.errors import SourcePermanentError

    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(1))
    with pytest.raises(SourcePermanentError, match="'Form Responses 1'") as err:
        make_source(google_config(sid, worksheet="Jawaban")).read()
    assert "worksheet" in err.value.message and err.value.exit_code == 3


def test_a_spreadsheet_without_any_timestamp_column_is_reported(fake_google, google_config):
    from aduan_sync.errors import SourcePermanentError

    sid = fake_google.add_spreadsheet([["Nama", "Alamat"]], worksheet="Data")
    with pytest.raises(SourcePermanentError, match="stempel waktu"):
        make_source(google_config(sid)).read()


def test_details_name_the_sheet_and_who_to_share_it_with(fake_google, google_config):
    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(4), time_zone="Asia/Jayapura")
    src = make_source(google_config(sid))
    details = dict(src.details())
    assert details["Lembar kerja"] == "Form Responses 1"
    assert details["Zona waktu spreadsheet"] == "Asia/Jayapura"
    assert details["Jumlah baris data"] == "4"
    assert details["Bagikan sebagai Editor kepada"] == SA_EMAIL
    assert sid in src.describe()


def test_the_sheet_link_opens_the_response_tab_once_read(fake_google, google_config):
    sid = fake_google.add_spreadsheet([["Rekap"]], worksheet="Rekap",
                                      extra_sheets={"Form Responses 1": [FORM_HEADERS]})
    src = make_source(google_config(sid))
    assert src.sheet_url == f"https://docs.google.com/spreadsheets/d/{sid}/edit#gid=0"
    src.read()
    gid = fake_google.sheet(sid, "Form Responses 1").sheet_id
    assert gid != 0 and src.sheet_url.endswith(f"/edit#gid={gid}")


REKAP = [["REKAP ADUAN MASYARAKAT", "", ""], ["Status", "Bulan Ini", "Tahun Ini"],
         ["Terdaftar", "3", "12"], ["=SUM(A1)", "", ""]]


def test_the_rekap_tab_is_read_in_the_same_request_as_the_responses(fake_google, google_config):
    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(2),
                                      extra_sheets={"Rekap": [["REKAP"], ["Terdaftar", 3]]})
    snap = make_source(google_config(sid)).read()
    assert snap.rekap == [["REKAP"], ["Terdaftar", "3"]]
    assert snap.requests == 2 and fake_google.counts()["sheets.values.batchGet"] == 1
    assert len(snap.rows) == 2
    no_tab = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(1))
    assert make_source(google_config(no_tab)).read().rekap is None


@pytest.mark.parametrize("widen", [True, False])
def test_a_missing_rekap_tab_is_created_in_the_request_that_widens_the_grid(
    fake_google, google_config, widen
):
    headers = FORM_HEADERS if widen else [*FORM_HEADERS, REGISTER, STATUS, CATEGORY]
    sid = fake_google.add_spreadsheet(headers, form_rows(3))
    src = make_source(google_config(sid))
    snap = src.read()
    batch = register_all(snap, src.cfg)
    result = src.write(WriteBatch(batch.add_headers, batch.updates, rekap=REKAP))
    assert snap.requests + result.requests == 5
    assert [w.endpoint for w in fake_google.requests("sheets.*Update")] == [
        "sheets.batchUpdate", "sheets.values.batchUpdate"]
    grow = [next(iter(r)) for r in json.loads(fake_google.requests("sheets.batchUpdate")[0].body)[
        "requests"]]
    assert grow[-1] == "addSheet" and set(grow[:-1]) <= {"appendDimension"}
    assert fake_google.values(sid, "Rekap") == [["REKAP ADUAN MASYARAKAT"], *REKAP[1:3],
                                                ["=SUM(A1)"]]
    assert not isinstance(fake_google.values(sid, "Rekap")[3][0], Formula)
    assert all(r[REGISTER] == number_for(r["Nama Lengkap"]) for r in fake_google.records(sid))


def test_a_shorter_rekap_clears_the_rows_left_below_and_grows_the_tab_when_longer(
    fake_google, google_config
):
    old = [["lama"]] * 5
    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(1), extra_sheets={"Rekap": old})
    fake_google.sheet(sid, "Rekap").row_count = 5
    src = make_source(google_config(sid))
    src.read()
    shorter = [["baru", "", ""], ["", "", ""], ["", "", ""], ["", "", ""], ["", "", ""]]
    assert src.write(WriteBatch(rekap=shorter)).requests == 3  # re-read, widen, values
    assert fake_google.values(sid, "Rekap") == [["baru"]]
    longer = [[f"baris {i}", "x", "y"] for i in range(8)]
    src.read()
    src.write(WriteBatch(rekap=longer))
    assert fake_google.values(sid, "Rekap") == longer
    assert fake_google.sheet(sid, "Rekap").row_count == 8


@pytest.mark.parametrize("edit", ["sort", "insert", "delete"])
def test_a_full_pass_writes_each_value_on_its_own_row_when_rows_move_after_its_read(
    fake_google, google_config, edit
):
    """The whole pass, version asks included: staff move rows after the pass read the sheet,
    so Drive's version has moved when the pass asks again before writing, and it re-reads and
    locates every row by its anchor."""
    from aduan_sync.ledger import Ledger
    from aduan_sync.passrun import run_pass as full_pass

    sid = fake_google.add_spreadsheet(FORM_HEADERS, form_rows(6))
    cfg = google_config(sid)
    change = {"sort": lambda f: f.sort_rows(sid, key=lambda r: r[0], reverse=True),
              "insert": lambda f: f.insert_rows(sid, 1, [STAFF_NOTE_ROW]),
              "delete": lambda f: f.delete_rows(sid, 2)}[edit]  # Warga Jenawi 1
    fake_google.before("drive.files.get", 2, change)  # after its read, before its write
    result = full_pass(cfg, env={})
    assert len(result.registered) == 6
    assert fake_google.count("sheets.values.get") == 2  # the read, and the re-read
    with Ledger(cfg.storage.ledger_path) as ledger:
        number = {c.answers["name"]: c.register_no for c in ledger.complaints()}
    records = fake_google.records(sid)
    complaints = [r for r in records if r["Nama Lengkap"].startswith("Warga Jenawi")]
    assert len(complaints) == (5 if edit == "delete" else 6)
    for r in complaints:
        assert r[REGISTER] == number[r["Nama Lengkap"]]
    assert all(not r.get(REGISTER) for r in records if r not in complaints)
