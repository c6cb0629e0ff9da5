"""Workbook content openpyxl would drop on saving: counted, named, and never saved away.

Real packages: openpyxl builds the workbook (chart, picture, note, table, validation,
conditional format), and what Excel adds that openpyxl cannot keep (text boxes, sparklines,
threaded comments...) is put into it the way Excel writes it (`tests/xlsx_extras.py`).
"""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.drawing.image import Image
from openpyxl.formatting.rule import CellIsRule
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table
from PIL import Image as PILImage

from aduan_sync.errors import EXIT_SHEET, SourceContentError
from aduan_sync.ledger import Ledger
from aduan_sync.passrun import run_pass
from aduan_sync.sources import xlsx_parts
from aduan_sync.sources.xlsx_parts import SHAPES, describe, inventory, lost
from tests.conftest import FORM_HEADERS, at, invoke, naive_rows, read_book, write_book
from tests.xlsx_extras import (
    DATA_BAR,
    GROUP,
    MAC_VIEW,
    SPARKLINES,
    TEXT_BOX,
    before_end,
    drawing_of,
    part,
    resaved,
    rewrite,
    rewrite_file,
)

# The tests' own saves (`resaved`) drop what the cases put in; openpyxl warns about it.
pytestmark = pytest.mark.filterwarnings("ignore:.* is not supported and will be removed")

NOW = at(2026, 11, 24, 9, 0)
SHEET = "xl/worksheets/sheet1.xml"


def picture(tmp_path: Path) -> Image:
    path = tmp_path / "denah.png"
    PILImage.new("RGB", (12, 8), "red").save(path)
    return Image(str(path))


@pytest.fixture
def rich(tmp_path: Path) -> bytes:
    """A workbook with everything openpyxl does keep."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Tanggapan Formulir 1"
    ws.append(["Desa", "Jumlah"])
    for i, desa in enumerate(["Balong", "Gumeng", "Menjing"], start=1):
        ws.append([desa, i])
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=4), titles_from_data=True)
    ws.add_chart(chart, "D2")
    ws.add_image(picture(tmp_path), "D20")
    ws["A2"].comment = Comment("cek ulang", "staf")
    validation = DataValidation(type="list", formula1='"Ya,Tidak"')
    ws.add_data_validation(validation)
    validation.add("C2:C4")
    ws.conditional_formatting.add("B2:B4", CellIsRule(operator="greaterThan", formula=["2"]))
    ws.add_table(Table(displayName="Rekap", ref="A1:B4"))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_what_openpyxl_keeps_is_counted_and_not_lost(rich):
    assert inventory(rich) == {
        "lembar kerja": 1, "grafik": 1, "gambar": 1, "catatan sel": 1, "tabel": 1,
        "aturan validasi data": 1, "aturan format bersyarat": 1,
    }
    assert lost(rich, resaved(rich)) == {}


def test_parts_without_staff_content_are_not_counted(rich):
    """What Excel writes beside the content and openpyxl does not: a chart's style and
    colours, printer settings, the calculation chain, document properties and sensitivity
    labels, Excel for Mac's page view. Refusing every workbook Excel saved would help no one."""
    excel = rewrite(rich, {
        "xl/charts/style1.xml": part(b"<cs:chartStyle/>"),
        "xl/charts/colors1.xml": part(b"<cs:colorStyle/>"),
        "xl/printerSettings/printerSettings1.bin": part(b"\0" * 64),
        "xl/calcChain.xml": part(b"<calcChain/>"),
        "docProps/custom.xml": part(b"<Properties/>"),
        "docMetadata/LabelInfo.xml": part(b"<clbl:labelList/>"),
        SHEET: before_end("worksheet", MAC_VIEW),
    })
    assert inventory(excel) == inventory(rich)
    assert lost(excel, resaved(excel)) == {}


LOSSY = {
    "a text box": (lambda b: {drawing_of(b): before_end("wsDr", TEXT_BOX)}, {SHAPES: (1, 0)}),
    "a group of two shapes": (lambda b: {drawing_of(b): before_end("wsDr", GROUP)},
                              {SHAPES: (3, 0)}),
    "sparklines": (lambda b: {SHEET: before_end("worksheet", SPARKLINES)},
                   {"grup sparkline": (1, 0)}),
    "a data bar (Excel 2010 conditional format)": (
        lambda b: {SHEET: before_end("worksheet", DATA_BAR)},
        {"aturan format bersyarat": (2, 1)}),
    "threaded comments": (lambda b: {"xl/threadedComments/threadedComment1.xml": part(b"<x/>")},
                          {"komentar berutas": (1, 0)}),
    "a slicer": (lambda b: {"xl/slicers/slicer1.xml": part(b"<x/>")}, {"slicer": (1, 0)}),
    "an embedded object": (lambda b: {"xl/embeddings/oleObject1.bin": part(b"\0")},
                           {"objek tersemat": (1, 0)}),
    "a form control": (lambda b: {"xl/ctrlProps/ctrlProp1.xml": part(b"<x/>")},
                       {"kontrol formulir": (1, 0)}),
    "dynamic array formulas": (lambda b: {"xl/metadata.xml": part(b"<metadata/>")},
                               {"rumus larik dinamis": (1, 0)}),
    "a part nobody told us about": (
        lambda b: {"xl/webextensions/webextension1.xml": part(b"<x/>")},
        {"bagian xl/webextensions/webextension": (1, 0)}),
}


@pytest.mark.parametrize("case", LOSSY)
def test_content_openpyxl_drops_is_named_as_lost(rich, case):
    edits, expected = LOSSY[case]
    book = rewrite(rich, edits(rich))
    losses = lost(book, resaved(book))
    assert losses == expected
    kind, (n, m) = next(iter(expected.items()))
    assert describe(losses) == f"{n - m} {kind}"


def test_a_tag_cut_by_a_chunk_end_is_counted_once(rich, monkeypatch):
    book = rewrite(rich, {SHEET: before_end("worksheet", SPARKLINES + DATA_BAR)})
    whole = inventory(book)
    assert whole["grup sparkline"] == 1 and whole["aturan format bersyarat"] == 2
    for size in (1, 2, 3, 5, 8, 13, 21, 34):
        monkeypatch.setattr(xlsx_parts, "_READ_CHUNK", size)
        assert inventory(book) == whole, size


# -- the xlsx source and the pass -----------------------------------------------------------

def form_book(path: Path, tmp_path: Path) -> None:
    """The response sheet of three complaints, with a picture on the staff's own sheet."""
    write_book(path, FORM_HEADERS, naive_rows(3))
    wb = openpyxl.load_workbook(path)
    staff = wb["Catatan Petugas"]
    staff.add_image(picture(tmp_path), "C3")
    wb.save(path)


def test_a_text_box_stops_the_write_loses_nothing_and_the_next_pass_completes(cfg, tmp_path):
    book = cfg.source.path
    assert book is not None
    form_book(book, tmp_path)
    drawing = drawing_of(book.read_bytes())
    rewrite_file(book, {drawing: before_end("wsDr", TEXT_BOX)})
    before = book.read_bytes()

    with pytest.raises(SourceContentError) as e:
        run_pass(cfg, now=NOW, env={})
    assert e.value.exit_code == EXIT_SHEET
    assert "berisi 1 bentuk atau kotak teks yang akan hilang" in e.value.message
    assert "Berkas tidak diubah" in e.value.message
    assert book.read_bytes() == before  # the staff's text box is still there
    with Ledger(cfg.storage.ledger_path) as ledger:  # registered all the same
        assert [c.register_no for c in ledger.complaints()] == [
            "001/ADUAN/XI/2026", "002/ADUAN/XI/2026", "003/ADUAN/XI/2026"]
    outbox = cfg.mail.outbox_dir
    assert not outbox.exists() or not any(outbox.iterdir())  # mail waits for the write

    # The staff move the text box elsewhere: the next pass finishes the work, once.
    rewrite_file(book, {drawing: lambda d: d.replace(TEXT_BOX, b"")})
    result = run_pass(cfg, now=NOW + timedelta(minutes=5), env={})
    assert result.exit_code == 0, result.to_json()
    assert result.registered == []
    assert sorted(r["Nomor Register"] for r in read_book(book)) == [
        "001/ADUAN/XI/2026", "002/ADUAN/XI/2026", "003/ADUAN/XI/2026"]
    assert result.sent > 0 and len(list(outbox.iterdir())) == result.sent
    assert inventory(book.read_bytes())["gambar"] == 1  # the staff's picture is kept



def test_check_names_what_a_save_would_lose_and_sync_exits_3(workspace, tmp_path):
    book = workspace / "form.xlsx"
    form_book(book, tmp_path)
    rewrite_file(book, {"xl/worksheets/sheet1.xml": before_end("worksheet", SPARKLINES)})

    res = invoke(workspace, "check")
    assert res.exit_code == 1, res.output
    assert "Masalah: Buku kerja form.xlsx berisi 1 grup sparkline yang akan hilang" in \
        " ".join(res.stdout.split())
    assert "UserWarning" not in res.output  # openpyxl's English warning is not shown

    res = invoke(workspace, "sync", "--json")
    assert res.exit_code == EXIT_SHEET
    assert json.loads(res.stdout)["ok"] is False
    assert "1 grup sparkline" in res.stderr
