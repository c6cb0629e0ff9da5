"""The Buku Register Aduan exported from a real ledger as XLSX (openpyxl), CSV (bytes) and PDF
(pypdf): each complaint once, in register order, laid out to print, and never a live formula."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta
from pathlib import Path

import openpyxl
import pypdf
import pytest
from click.testing import CliRunner

from aduan_sync.cli import cli
from aduan_sync.config import Config
from aduan_sync.reports import REGISTER_COLUMNS, export_register, neutralize
from tests.books_data import CAMAT, PAYLOADS, TRIGGERS, Spec, fill_ledger, make_config
from tests.conftest import at

HEADER_ROW = 5


@pytest.fixture
def cfg(tmp_path: Path) -> Config:
    return make_config(tmp_path)


def mixed_years(n_2026: int = 5) -> list[Spec]:
    """Complaints of 2025 and 2026 registered interleaved, the way a slow office catches up."""
    specs = [Spec(submitted=at(2025, 12, 30, 9, 0), name="Warga Lama")]
    for i in range(n_2026):
        specs.append(Spec(submitted=at(2026, 1, 5, 8, 0) + timedelta(days=3 * i),
                          name=f"Pelapor {i + 1}", text=f"Aduan nomor {i + 1} tentang jalan."))
    specs.append(Spec(submitted=at(2025, 12, 31, 10, 0), name="Warga Lama Kedua"))
    return specs


def data_rows(path: Path) -> list[tuple]:
    ws = openpyxl.load_workbook(path).active
    return [r for r in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True) if any(r)]


def test_xlsx_lists_each_complaint_of_the_year_once_in_register_order(cfg: Config,
                                                                     tmp_path: Path):
    numbers = fill_ledger(cfg.storage.ledger_path, mixed_years())
    result = export_register(cfg, 2026, "xlsx", tmp_path / "reg.xlsx")
    rows = data_rows(result.path)
    want = [n for n in numbers if n.endswith("/2026")]
    assert [r[1] for r in rows] == want == [f"{i:03d}/ADUAN/I/2026" for i in range(1, 6)]
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5]
    assert [r[3] for r in rows] == [f"Pelapor {i}" for i in range(1, 6)]
    assert result.count == 5
    assert [r[1] for r in data_rows(export_register(cfg, 2025, "xlsx",
                                                    tmp_path / "r25.xlsx").path)] == [
        "001/ADUAN/XII/2025", "002/ADUAN/XII/2025"]


def test_xlsx_row_carries_every_column_from_the_ledger(cfg: Config, tmp_path: Path):
    fill_ledger(cfg.storage.ledger_path, [Spec(
        submitted=at(2026, 11, 2, 8, 5), name="Siti Nur'aini", desa="Gumeng",
        address="Dusun Ngeblak RT 02", channel="WhatsApp", category="Kesejahteraan Sosial",
        unit="Seksi Kesejahteraan Sosial", status="Ditanggapi",
        answer_date=at(2026, 11, 3, 10, 15), completeness="Perlu Klarifikasi: NIK",
        note="Data NIK diminta ulang.")])
    path = export_register(cfg, 2026, "xlsx", tmp_path / "reg.xlsx").path
    ws = openpyxl.load_workbook(path).active
    assert [c.value for c in ws[HEADER_ROW]] == list(REGISTER_COLUMNS)
    row = [c.value for c in ws[HEADER_ROW + 1]]
    assert row[1:] == [
        "001/ADUAN/XI/2026", at(2026, 11, 2, 8, 5).replace(tzinfo=None), "Siti Nur'aini",
        "Dusun Ngeblak RT 02, Desa Gumeng", "WhatsApp",
        "Jalan desa di Dusun Tlogo rusak parah dan berlubang.", "Kesejahteraan Sosial",
        "Seksi Kesejahteraan Sosial", "Ditanggapi", at(2026, 11, 3, 10, 15).replace(tzinfo=None),
        "Perlu Klarifikasi: NIK; Data NIK diminta ulang.",
    ]
    assert ws.cell(HEADER_ROW + 1, 3).number_format == "dd/mm/yyyy hh:mm"


def test_xlsx_is_laid_out_for_printing_on_a4_landscape(cfg: Config, tmp_path: Path):
    fill_ledger(cfg.storage.ledger_path, mixed_years(3))
    path = export_register(cfg, 2026, "xlsx", tmp_path / "reg.xlsx").path
    ws = openpyxl.load_workbook(path).active
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9  # A4 in the OOXML paper-size table
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert (int(ws.page_setup.fitToWidth), int(ws.page_setup.fitToHeight)) == (1, 0)
    assert ws.print_title_rows == "$5:$5"  # the heading row repeats on every printed page
    assert ws.freeze_panes == "A6"
    assert "&P" in ws.oddFooter.right.text and "&N" in ws.oddFooter.right.text
    assert ws["A1"].value == "BUKU REGISTER ADUAN MASYARAKAT"
    assert ws["A2"].value == "KECAMATAN JENAWI, KABUPATEN KARANGANYAR"
    assert ws["A3"].value == "TAHUN 2026"
    assert "A1:L1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws.column_dimensions["G"].width > ws.column_dimensions["A"].width * 5
    for row in ws.iter_rows(min_row=HEADER_ROW, max_row=ws.max_row):
        assert all(c.alignment.wrap_text for c in row)


def test_csv_is_utf8_with_bom_and_reads_back_in_register_order(cfg: Config, tmp_path: Path):
    specs = mixed_years(3)
    specs[1].name = "Ni Putu Ayu Désirée"
    specs[2].text = 'Kata "kunci", baris\nkedua'
    fill_ledger(cfg.storage.ledger_path, specs)
    raw = export_register(cfg, 2026, "csv", tmp_path / "reg.csv").path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw[3:].startswith(b"No,Nomor Register,Tanggal Masuk")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0] == list(REGISTER_COLUMNS)
    assert [r[1] for r in rows[1:]] == ["001/ADUAN/I/2026", "002/ADUAN/I/2026",
                                        "003/ADUAN/I/2026"]
    assert rows[1][3] == "Ni Putu Ayu Désirée"
    assert rows[2][6] == 'Kata "kunci", baris kedua'  # the summary is one line
    assert rows[1][2] == "05/01/2026 08:00"


def pdf_text(path: Path) -> tuple[int, list[str]]:
    reader = pypdf.PdfReader(path)
    return len(reader.pages), [p.extract_text() for p in reader.pages]


def test_pdf_is_ready_to_print_and_sign(cfg: Config, tmp_path: Path):
    numbers = fill_ledger(cfg.storage.ledger_path, mixed_years(45))
    result = export_register(cfg, 2026, "pdf", tmp_path / "reg.pdf",
                             now=at(2027, 1, 4, 9, 0))
    pages, texts = pdf_text(result.path)
    assert pages >= 2
    assert "PEMERINTAH KABUPATEN KARANGANYAR" in texts[0]
    assert "KECAMATAN JENAWI" in texts[0]
    assert "BUKU REGISTER ADUAN MASYARAKAT" in texts[0]
    for i, text in enumerate(texts, start=1):
        assert f"Halaman {i} dari {pages}" in text
        assert "Nomor Register" in text  # heading row repeated on every page
    everything = "\n".join(texts)
    positions = [everything.index(n) for n in numbers if n.endswith("/2026")]
    assert positions == sorted(positions) and len(positions) == 45
    assert all(everything.count(n) == 1 for n in numbers if n.endswith("/2026"))
    assert "/2025" not in everything
    last = texts[-1]
    for words in ("Mengetahui,", "Camat Jenawi,", CAMAT, "Jenawi, 4 Januari 2027",
                  "Petugas Pengelola Pengaduan,", "Jumlah aduan terdaftar: 45"):
        assert words in last


def test_empty_year_gives_an_empty_book_and_creates_no_ledger(cfg: Config, tmp_path: Path):
    result = export_register(cfg, 2026, "pdf", tmp_path / "reg.pdf")
    assert result.count == 0
    assert not cfg.storage.ledger_path.exists()
    _, texts = pdf_text(result.path)
    assert "Tidak ada aduan yang terdaftar pada tahun ini." in texts[0]


# -- formula injection ---------------------------------------------------------------------

def hostile(payload: str) -> Spec:
    """Every text field of the register holds `payload`."""
    return Spec(submitted=at(2026, 11, 2, 8, 0), text=payload, name=payload, desa="",
                address=payload, channel=payload, category=payload, unit=payload,
                status=payload, completeness="Lengkap", note=payload)


@pytest.mark.parametrize("payload", PAYLOADS, ids=repr)
def test_neutralize_prefixes_an_apostrophe_to_every_formula_start(payload: str):
    assert neutralize(payload) == "'" + payload


@pytest.mark.parametrize("text", ["Jalan rusak", "", "Rp 5.000", "warga@example.com", "1-2",
                                  "100%", "(=) tanda sama dengan"])
def test_neutralize_leaves_ordinary_text_alone(text: str):
    assert neutralize(text) == text


def test_no_exported_cell_starts_a_formula_in_xlsx(cfg: Config, tmp_path: Path):
    fill_ledger(cfg.storage.ledger_path, [hostile(p) for p in PAYLOADS])
    path = export_register(cfg, 2026, "xlsx", tmp_path / "reg.xlsx").path
    ws = openpyxl.load_workbook(path).active
    texts = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert len(texts) >= 6 * 7
    for cell in texts:
        assert not cell.value.startswith(TRIGGERS), cell.coordinate
        assert cell.data_type == "s"
    for row, payload in zip(data_rows(path), PAYLOADS, strict=True):
        for value in row[3:]:  # every text column after the number and the date
            if value is not None and not hasattr(value, "year"):
                assert value.startswith("'") and value[1:].strip() == payload.strip()
    sheet_xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml and b"<f " not in sheet_xml  # no formula stored at all


def test_no_exported_cell_starts_a_formula_in_csv(cfg: Config, tmp_path: Path):
    fill_ledger(cfg.storage.ledger_path, [hostile(p) for p in PAYLOADS])
    raw = export_register(cfg, 2026, "csv", tmp_path / "reg.csv").path.read_bytes()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    cells = [c for row in rows[1:] for c in row]
    assert not [c for c in cells if c.startswith(TRIGGERS)]
    for row, payload in zip(rows[1:], PAYLOADS, strict=True):
        # The text is kept (names are trimmed, the summary is one line), an apostrophe first.
        for i in (3, 4, 5, 6, 7, 8, 9, 11):
            assert row[i].startswith("'") and row[i][1:].strip() == payload.strip(), i
        assert row[7] == "'" + payload  # staff's category: exactly as typed


def test_no_payload_starts_a_cell_in_the_pdf(cfg: Config, tmp_path: Path):
    fill_ledger(cfg.storage.ledger_path, [hostile(p) for p in PAYLOADS])
    _, texts = pdf_text(export_register(cfg, 2026, "pdf", tmp_path / "reg.pdf").path)
    text = "\n".join(texts)
    for needle in ("=cmd|'", "+1", "-1", "@SUM(A1)", "=1"):
        hits = [i for i in range(len(text)) if text.startswith(needle, i)]
        assert hits, needle
        assert all(text[i - 1] == "'" for i in hits), needle


# -- command line ----------------------------------------------------------------------------

def test_cli_register_export_writes_the_file_and_says_how_many(cfg: Config, tmp_path: Path):
    fill_ledger(cfg.storage.ledger_path, mixed_years(2))
    out = tmp_path / "buku.csv"
    result = CliRunner().invoke(cli, ["--config", str(cfg.path), "register", "export",
                                      "--year", "2026", "--format", "csv", "--out", str(out)],
                                obj={})
    assert result.exit_code == 0, result.output
    assert result.output == f"Buku Register Aduan tahun 2026: 2 aduan ditulis ke {out}\n"
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    assert out.stat().st_mode & 0o777 == 0o600


def test_cli_register_export_reports_an_unwritable_file_as_one_error(cfg: Config,
                                                                    tmp_path: Path):
    blocker = tmp_path / "berkas"
    blocker.write_text("bukan folder")
    result = CliRunner().invoke(cli, ["--config", str(cfg.path), "register", "export",
                                      "--year", "2026", "--out", str(blocker / "buku.xlsx")],
                                obj={})
    assert result.exit_code == 1
    assert result.output.startswith("Error: Berkas keluaran tidak dapat ditulis: ")
