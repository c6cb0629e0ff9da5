"""Pure parts of the Google source: values as read, compare-and-set decisions, request bodies."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from aduan_sync.headers import map_headers
from aduan_sync.identity import row_anchors
from aduan_sync.sources import gsheets_json as gj
from aduan_sync.sources import gsheets_plan as gp
from aduan_sync.sources.base import CellUpdate, RowAnchor, WriteBatch

HEADERS = ["Cap waktu", "Nama Lengkap", "Isi Aduan", "Nomor Register", "Status"]


@pytest.mark.parametrize("serial,expected", [
    (46027.0, datetime(2026, 1, 5)),
    (46027.416666666664, datetime(2026, 1, 5, 10, 0, 0)),  # not 09:59:59.999
    (46056.99999, datetime(2026, 2, 3, 23, 59, 59, 136000)),
    (61.0, datetime(1900, 3, 1)),
])
def test_serial_numbers_become_wall_clock_datetimes(serial, expected):
    assert gp.from_serial(serial) == expected


@pytest.mark.parametrize("value,expected", [
    (3313000000000001.0, 3313000000000001),
    (812345678.0, 812345678),
    (2.5, 2.5),
    ("0812", "0812"),
    ("", None),
    (True, True),
])
def test_whole_numbers_become_int_and_empty_strings_none(value, expected):
    out = gp.normalize_value(value)
    assert out == expected and type(out) is type(expected)


def test_decoding_turns_whole_doubles_in_any_notation_into_int():
    content = (b'{"range": "A1:C2", "values": [["NIK", "HP", "Nilai"], '
               b'[3.313064501800001E15, 81234567890.0, 2.5, 7, true, ""]]}')
    row = gj.decode_values(content)[1]
    assert row == [3313064501800001, 81234567890, 2.5, 7, True, ""]
    assert [type(v) for v in row[:4]] == [int, int, float, int]
    assert gj.decode_values(b'{"range": "A1:Z1000", "majorDimension": "ROWS"}') == []


def _loaded(content: bytes) -> list:
    """The reference: the whole answer through `json.loads`, as decoding once did."""
    data = json.loads(content, parse_float=gj._number)
    values = data.get("values", []) if isinstance(data, dict) else []
    return values if isinstance(values, list) else []


ANSWERS = [
    b'{"values": [["a", 1, 2.5, true, null, ""], [], ["\\\\\\"values\\\\\\": [1]", "]}"]]}',
    json.dumps({"range": "S!A1:C3", "majorDimension": "ROWS",
                "values": [["Isi \u00e9 \U0001f642 \u200f", 3.313064501800001e15, 123456789],
                           ["line\nbreak", "tab\t"]]}, indent=2).encode(),
    json.dumps({"values": [["\U0001f642" * 5, 12345678901234], [-0.5e-3, "\u00e9" * 9]]},
               ensure_ascii=False).encode(),
    b'\xef\xbb\xbf {"values" : [ [ "x" ] , [ 1 ] ] , "range" : "A1" } \n',
    b'{"values": "not a list"}',
    b'{"values": [["first"]], "values": [["last"]]}',
    b'[["not", "an", "object"]]',
    b'{}',
    b'{"values": []}',
]
NOT_JSON = [
    b'{"values": [["a"], ["b"]', b'{"values": [["a"] ["b"]]}', b'{"values": [["a"]]} x',
    b'{"values": [["a"],]}', b'{values: []}', b'', b'{"valueRanges": [{"values": [[1,]]}]}',
    b'{"values": [[12 34]]}', b'{"values": [["\xff"]]}',
]


@pytest.fixture(params=[None, 1, 3, 7], ids=["window-1MiB", "window-1", "window-3", "window-7"])
def window(request, monkeypatch):
    """Answers are turned into text a window at a time: tiny windows cut every token and
    every multi-byte character somewhere."""
    if request.param:
        monkeypatch.setattr(gj, "_WINDOW", request.param)


@pytest.mark.parametrize("content", ANSWERS)
def test_decoding_row_by_row_gives_what_json_loads_gives(content, window):
    assert gj.decode_values(content) == _loaded(content)
    wrapped = b'{"spreadsheetId": "x", "valueRanges": [' + content + b', {"range": "R"}]}'
    if content.startswith(b"{"):
        expected = [_loaded(content), []]
        assert gj.decode_value_ranges(wrapped) == expected


@pytest.mark.parametrize("content", NOT_JSON)
def test_an_answer_that_is_not_json_is_refused_as_json_loads_refuses_it(content, window):
    with pytest.raises(ValueError):
        json.loads(content)
    with pytest.raises(ValueError):
        gj.decode_values(content)
    with pytest.raises(ValueError):
        gj.decode_value_ranges(content)


def test_rows_are_handed_over_one_at_a_time_as_they_are_parsed():
    seen: list = []

    def keep(rows):
        for row in rows:
            seen.append(row)
        return seen

    # The second row is broken: the first must have been handed over before it was parsed
    # (a whole-answer parse refuses the text before giving anything).
    with pytest.raises(json.JSONDecodeError):
        gj.decode_values(b'{"values": [["one", 1], ["two", }]}', keep)
    assert seen == [["one", 1]]
    # A `keep` that takes less than every row still leaves the walk at the array's end.
    assert gj.decode_values(b'{"values": [[1], [2], [3]], "range": "A1"}',
                            lambda rows: [next(rows)]) == [[1]]


def test_convert_values_turns_only_timestamps_into_datetimes_and_keeps_rows_ragged():
    headers, rows = gp.convert_values(
        gj.decode_values(b'{"values": [["Stempel waktu", "Jumlah", "Catatan"], '
                         b'[46027.5, 46027.0, ""], [], ["teks"], [46027]]}'), None, None)
    assert headers == ["Stempel waktu", "Jumlah", "Catatan"]
    assert rows == [[datetime(2026, 1, 5, 12), 46027, None], [], ["teks"],
                    [datetime(2026, 1, 5)]]
    assert type(rows[0][1]) is int


@pytest.mark.parametrize("title,row,col,h,w,expected", [
    ("Form Responses 1", 1, 11, 1, 1, "'Form Responses 1'!L2"),
    ("It's", 0, 0, 2, 28, "'It''s'!A1:AB2"),
])
def test_a1_boxes_are_always_quoted(title, row, col, h, w, expected):
    assert gp.a1_box(title, row, col, h, w) == expected


def _rows():
    return [[datetime(2026, 1, 5, 8), "Ani", "Jalan rusak"],
            [datetime(2026, 1, 5, 9), "Budi", "Lampu mati", "001/ADUAN/I/2026", "Terdaftar"]]


def test_plan_adds_only_missing_headers_at_the_right_of_the_header_row():
    plan = gp.plan_write(HEADERS[:4], _rows(), WriteBatch(add_headers=["nomor register",
                                                                       "Status", "Catatan"]))
    assert [(c.row, c.col, c.value) for c in plan.cells] == [(0, 4, "Status"), (0, 5, "Catatan")]
    assert plan.width == 6


def test_plan_finds_rows_by_register_number_and_fingerprint_and_compares_before_setting():
    rows = _rows()
    anchors = row_anchors(map_headers(HEADERS), rows)
    batch = WriteBatch(updates=[
        CellUpdate(anchors[0], "Nomor Register", "002/ADUAN/I/2026", expected=""),
        CellUpdate(anchors[1], "Status", "Diteruskan ke PPID", expected="Terdaftar"),
        CellUpdate(anchors[1], "Kategori", "Lainnya", expected=""),
        CellUpdate(RowAnchor(None, "0" * 64), "Status", "Terdaftar", expected=""),
    ])
    moved = [rows[1], rows[0]]  # staff sorted the sheet
    plan = gp.plan_write(HEADERS, moved, batch)
    assert sorted((c.row, c.col, c.value) for c in plan.cells) == [
        (1, 4, "Diteruskan ke PPID"), (2, 3, "002/ADUAN/I/2026")]
    assert [(s.update.column, s.reason) for s in plan.skipped] == [
        ("Kategori", "column-not-found"), ("Status", "row-not-found")]
    assert plan.written == 2


def test_plan_skips_a_cell_a_staff_member_changed_and_keeps_the_last_of_duplicate_updates():
    rows = _rows()
    anchor = row_anchors(map_headers(HEADERS), rows)[1]
    batch = WriteBatch(updates=[
        CellUpdate(anchor, "Status", "Diteruskan ke PPID", expected="Perlu Klarifikasi"),
        CellUpdate(anchor, "Nama Lengkap", "X", expected=None),
        CellUpdate(anchor, "Nama Lengkap", "Y", expected=None),
    ])
    plan = gp.plan_write(HEADERS, rows, batch)
    assert [s.reason for s in plan.skipped] == ["changed-by-staff"]
    assert [(c.row, c.col, c.value) for c in plan.cells] == [(2, 1, "Y")]


def test_blocks_pad_rows_of_different_widths_and_small_gaps_into_one_range():
    cells = [gp.CellWrite(r, c, f"{r}{c}") for r in (5, 6, 7, 9) for c in (3, 4)]
    cells.append(gp.CellWrite(6, 8, "gap"))
    [block] = gp.blocks(gp.group_by_row(cells))
    assert (block.row, block.col) == (5, 3)
    assert block.values == [
        ["53", "54"],
        ["63", "64", None, None, None, "gap"],
        ["73", "74"],
        [None],  # row 8: nothing to write there
        ["93", "94"],
    ]
    assert gp.value_ranges("S", [block]).__next__()["range"] == "'S'!D6:I10"


def test_a_first_import_whose_rows_alternate_widths_is_one_range_per_block_of_rows():
    # Six worker cells on odd rows, seven (with a deadline) on even rows.
    cells = [gp.CellWrite(r, c, "x") for r in range(1, 1001) for c in range(11, 17 + r % 2)]
    parts = list(gp.blocks(gp.group_by_row(cells)))
    assert [(b.row, len(b.values)) for b in parts] == [(1, 500), (501, 500)]
    assert [len(v) for v in parts[0].values[:3]] == [7, 6, 7]


def test_blocks_split_where_padding_would_cost_more_than_a_new_range():
    far_column = [gp.CellWrite(1, 0, "a"), gp.CellWrite(2, 40, "b")]
    parts = list(gp.blocks(gp.group_by_row(far_column)))
    assert [(b.row, b.col, b.values) for b in parts] == [(1, 0, [["a"]]), (2, 40, [["b"]])]
    far_row = [gp.CellWrite(1, 0, "a"), gp.CellWrite(30, 0, "b")]
    parts = list(gp.blocks(gp.group_by_row(far_row)))
    assert [(b.row, b.values) for b in parts] == [(1, [["a"]]), (30, [["b"]])]
    # A long block is not widened to the left for one row: that row starts its own block.
    narrow = [gp.CellWrite(r, 5, "n") for r in range(1, 101)] + [gp.CellWrite(101, 0, "w")]
    assert [(b.row, len(b.values), b.col) for b in gp.blocks(gp.group_by_row(narrow))] == [
        (1, 100, 5), (101, 1, 0)]


def test_blocks_never_exceed_the_row_limit():
    cells = [gp.CellWrite(r, 0, "x") for r in range(1, 1202)]
    assert [len(b.values) for b in gp.blocks(gp.group_by_row(cells))] == [500, 500, 201]


def test_chunks_stay_under_the_byte_limit_as_requests_encodes_them():
    parts = [{"range": f"A{i}", "values": [["é" * 100]]} for i in range(100)]
    groups = gp.chunk(parts, 10_000)
    assert sum(len(g) for g in groups) == 100 and len(groups) > 1
    for g in groups:
        assert len(json.dumps({"valueInputOption": "RAW", "data": g})) <= 10_000
    assert gp.chunk([], 10_000) == []


def test_request_bodies_are_built_from_parts_encoded_once_and_stay_under_the_limit():
    parts = ({"range": f"A{i}", "values": [["é🙂" * 60, "=1+1"]]} for i in range(200))
    fields = {"valueInputOption": "RAW", "includeValuesInResponse": False}
    bodies = [gp.json_body(fields, "data", g) for g in gp.encoded_groups(parts, 20_000)]
    assert len(bodies) > 1 and all(len(b) <= 20_000 for b in bodies)
    decoded = [json.loads(b) for b in bodies]
    assert all(d["valueInputOption"] == "RAW" and d["includeValuesInResponse"] is False
               for d in decoded)
    data = [part for d in decoded for part in d["data"]]
    assert [part["range"] for part in data] == [f"A{i}" for i in range(200)]
    assert data[0]["values"] == [["é🙂" * 60, "=1+1"]]
    assert json.loads(gp.json_body({}, "requests", [])) == {"requests": []}


def test_grid_requests_grow_only_what_is_short_and_remember_it():
    tab = gp.Tab(3, "Rekap", 10, 6)
    assert gp.grid_requests(tab, 12, 4) == [
        {"appendDimension": {"sheetId": 3, "dimension": "ROWS", "length": 2}}]
    assert (tab.row_count, tab.col_count) == (12, 6)
    assert gp.grid_requests(tab, 12, 6) == []


def test_the_digest_ignores_trailing_empties_as_google_drops_them_and_nothing_else():
    base = [["Cap waktu", "Nama"], [46000.5, "Budi", ""], [], ["", None]]
    same = [["Cap waktu", "Nama", ""], [46000.5, "Budi"]]
    digest = gp.values_digest("Form", "Asia/Jakarta", base, None)
    assert digest == gp.values_digest("Form", "Asia/Jakarta", same, None)
    assert digest != gp.values_digest("Form", "Asia/Jakarta", same, [])
    assert digest != gp.values_digest("Form", "Asia/Jakarta", [*same, [], ["x"]], None)
    assert digest != gp.values_digest("Form", "Asia/Jakarta", [same[0], [46000.5, "budi"]],
                                      None)
    assert digest != gp.values_digest("Form", "UTC", same, None)
    # An empty row inside counts (rows keep their place), only trailing ones do not.
    assert (gp.values_digest("F", "", [["a"], [], ["b"]], None)
            != gp.values_digest("F", "", [["a"], ["b"]], None))


def test_the_predicted_digest_after_a_write_is_the_digest_of_the_written_sheet():
    values = [["Cap waktu", "Nama"], [46000.5, "Budi"], [46001.5, "Siti", "", ""]]
    cells = [gp.CellWrite(0, 3, "Status"), gp.CellWrite(2, 3, "Terdaftar"),
             gp.CellWrite(4, 1, "baris baru"), gp.CellWrite(1, 1, "")]
    written = [["Cap waktu", "Nama", "", "Status"], [46000.5, ""],
               [46001.5, "Siti", "", "Terdaftar"], [], ["", "baris baru"]]
    assert [list(r) for r in gp.applied(values, gp.group_by_row(cells))] == [
        ["Cap waktu", "Nama", "", "Status"], [46000.5, ""],
        [46001.5, "Siti", "", "Terdaftar"], [], ["", "baris baru"]]
    assert (gp.values_digest("F", "", gp.applied(values, gp.group_by_row(cells)), None)
            == gp.values_digest("F", "", written, None))
    assert values[1] == [46000.5, "Budi"]  # the rows read are left as they were


def test_packed_rows_give_back_the_rows_as_read_and_hash_alike():
    from aduan_sync.sources.gsheets_read import PackedRows

    rows = [["Stempel waktu", "NIK", "Isi"], [46027.5, 3313064501800001, "jalan 🚧"], [],
            ["", True, "a\u200bb"], [46027, 1.5]]
    kept = [list(r) for r in rows]
    packed = PackedRows(rows)
    assert rows == [[]] * 5  # each row let go as it was packed
    assert len(packed) == 5 and list(packed) == kept
    assert packed[1] == kept[1] and packed[-1] == kept[-1] and packed[1:3] == kept[1:3]
    assert packed[1] is not packed[1]  # a new list each time: nobody edits the packed row
    assert (gp.values_digest("F", "Asia/Jakarta", packed, None)
            == gp.values_digest("F", "Asia/Jakarta", kept, None))
    headers, converted = gp.convert_values(packed, None, None)
    assert headers == ["Stempel waktu", "NIK", "Isi"]
    assert converted == [[datetime(2026, 1, 5, 12), 3313064501800001, "jalan 🚧"], [],
                         [None, True, "a\u200bb"], [datetime(2026, 1, 5), 1.5]]
    assert len(converted) == 4 and converted[-1] == [datetime(2026, 1, 5), 1.5]
    assert converted[0:2] == [converted[0], converted[1]]
    with pytest.raises(IndexError):
        converted[4]
    assert gp.convert_values(PackedRows([]), None, None) == ([], [])
