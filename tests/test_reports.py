"""The "Laporan Penanganan Pengaduan Masyarakat" from a known ledger: every number equals the
one computed independently here (hours to answer worked out by hand on the office calendar),
and the HTML and PDF print exactly those numbers, with charts, letterhead and signature."""

from __future__ import annotations

import base64
import statistics
from collections import Counter
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import pypdf
import pytest
from click.testing import CliRunner

from aduan_sync.cli import cli
from aduan_sync.config import Config
from aduan_sync.reports import Period, compute_report, percentile, write_report
from aduan_sync.reports.report import build_view, render_html
from tests.books_data import CAMAT, PAYLOADS, TRIGGERS, Spec, fill_ledger, make_config
from tests.conftest import at

NOW = at(2026, 11, 30, 10, 0)  # a Monday; no holiday in November 2026
LATE = "Diteruskan ke PPID"


def november() -> list[Spec]:
    """Registered after October's one complaint (001), so these are 002-012/ADUAN/XI/2026.

    November 2026 (1 Nov is a Sunday; Mon-Thu 07:30-16:00, Fri 07:30-11:00)."""
    return [
        # answered 2.5 h after, deadline next day 08:00: on time
        Spec(at(2026, 11, 2, 8, 0), desa="Balong", channel="Website",
             category="Infrastruktur dan Pembangunan", status="Ditanggapi",
             deadline=at(2026, 11, 3, 8, 0), answer_date=at(2026, 11, 2, 10, 30)),
        # Mon 14:00 -> Tue 10:00 = 2 h + 2.5 h = 4.5 h; deadline Tue 14:00: on time
        Spec(at(2026, 11, 2, 14, 0), desa="Gumeng", channel="WhatsApp",
             category="Kesejahteraan Sosial", status="Selesai",
             deadline=at(2026, 11, 3, 14, 0), answer_date=at(2026, 11, 3, 10, 0)),
        # Thu 15:00 -> Mon 08:30 = 1 h + 3.5 h (Friday) + 1 h = 5.5 h; deadline Fri 11:00: late
        Spec(at(2026, 11, 5, 15, 0), desa="Balong", channel="Instagram",
             category="Infrastruktur dan Pembangunan", status="Ditanggapi",
             deadline=at(2026, 11, 6, 11, 0), answer_date=at(2026, 11, 9, 8, 30)),
        # Saturday 10:00 -> Tue 12:00 = 8.5 h (Mon) + 4.5 h = 13 h; deadline Mon 16:00: late
        Spec(at(2026, 11, 7, 10, 0), desa="Jenawi", channel="Website",
             category="Pelayanan Administrasi", status="Ditanggapi",
             deadline=at(2026, 11, 9, 16, 0), answer_date=at(2026, 11, 10, 12, 0)),
        # 45 minutes: on time
        Spec(at(2026, 11, 11, 9, 0), desa="Balong", channel="Facebook",
             category="Informasi Publik", status="Ditanggapi",
             deadline=at(2026, 11, 12, 9, 0), answer_date=at(2026, 11, 11, 9, 45)),
        # open, deadline Tue 17 09:00 passed: overdue 9 working days at Mon 30 10:00
        Spec(at(2026, 11, 16, 9, 0), desa="Menjing", channel="WhatsApp",
             category="Infrastruktur dan Pembangunan", status=LATE,
             deadline=at(2026, 11, 17, 9, 0)),
        # waiting for the reporter, deadline Fri 13 09:00 passed: overdue 11 working days
        Spec(at(2026, 11, 12, 9, 0), desa="", channel="Website",
             category="Pemerintahan Desa", status="Perlu Klarifikasi",
             deadline=at(2026, 11, 13, 9, 0)),
        # open, deadline tomorrow: neither late nor counted in the share yet
        Spec(at(2026, 11, 30, 8, 0), desa="Balong", channel="X",
             category="Lainnya", status=LATE, deadline=at(2026, 12, 1, 8, 0)),
        # rejected and duplicate: out of the share and of the times
        Spec(at(2026, 11, 3, 9, 0), desa="Gumeng", channel="Website",
             category="Lainnya", status="Ditolak", deadline=at(2026, 11, 4, 9, 0)),
        Spec(at(2026, 11, 4, 9, 0), desa="Gumeng", channel="Website",
             category="Infrastruktur dan Pembangunan", status="Duplikat",
             deadline=at(2026, 11, 5, 9, 0), answer_date=at(2026, 11, 20, 9, 0)),
        # closed by staff without an answer through the worker: no outcome known
        Spec(at(2026, 11, 18, 9, 0), desa="Sidomukti", channel="Website",
             category="Informasi Publik", status="Selesai", deadline=at(2026, 11, 19, 9, 0)),
    ]


def october() -> list[Spec]:
    return [Spec(at(2026, 10, 1, 8, 0), desa="Trengguli", category="Informasi Publik",
                 status="Ditanggapi", deadline=at(2026, 10, 2, 8, 0),
                 answer_date=at(2026, 10, 1, 9, 0))]


#: Hours to answer worked out by hand above, for the complaints counted in the times.
NOVEMBER_HOURS = [2.5, 4.5, 5.5, 13.0, 0.75]


@pytest.fixture
def cfg(tmp_path: Path) -> Config:
    cfg = make_config(tmp_path)
    # the October complaint first: registered earlier, it must not count in November
    fill_ledger(cfg.storage.ledger_path, october() + november())
    return cfg


def data_for(cfg: Config, period: Period):
    from aduan_sync.reports.common import load_complaints

    cal = cfg.calendar.working_calendar(cfg.office.tz)
    return compute_report(load_complaints(cfg), period, cal, NOW)


def test_counts_equal_those_computed_independently(cfg: Config):
    data = data_for(cfg, Period(2026, 11))
    specs = november()
    assert data.total == len(specs) == 11
    for got, field in ((data.by_category, "category"), (data.by_channel, "channel"),
                       (data.by_status, "status")):
        want = Counter(getattr(s, field) for s in specs)
        assert {k: v for k, v in got if v} == dict(want)
    assert dict(data.by_desa) == dict(Counter(s.desa or "(tidak diisi)" for s in specs))
    assert data.by_desa[0] == ("Balong", 4)  # largest first
    assert [label for label, _ in data.by_status][:3] == ["Terdaftar", "Perlu Klarifikasi",
                                                          "Diteruskan ke PPID"]
    assert data.by_month == []


def test_sla_share_median_and_p90_equal_independent_values(cfg: Config):
    data = data_for(cfg, Period(2026, 11))
    assert data.hours_to_answer == pytest.approx(sorted(NOVEMBER_HOURS))
    assert data.median_hours == pytest.approx(statistics.median(NOVEMBER_HOURS)) == 4.5
    p90 = statistics.quantiles(NOVEMBER_HOURS, n=10, method="inclusive")[8]
    assert data.p90_hours == pytest.approx(p90) == pytest.approx(10.0)
    # known outcomes: 5 answered + 2 open past their deadline; on time: 3 of them
    assert (data.sla_on_time, data.sla_eligible) == (3, 7)
    assert data.sla_share == pytest.approx(3 / 7)
    assert data.answered == 5


def test_overdue_list_holds_open_complaints_past_deadline_in_register_order(cfg: Config):
    data = data_for(cfg, Period(2026, 11))
    assert [(o.register_no, o.status, o.working_days_late) for o in data.overdue] == [
        ("007/ADUAN/XI/2026", LATE, 9),
        ("008/ADUAN/XI/2026", "Perlu Klarifikasi", 11),
    ]


def test_yearly_report_counts_every_month(cfg: Config):
    data = data_for(cfg, Period(2026))
    assert data.total == 12
    assert dict(data.by_month) == {**{m: 0 for m, _ in data.by_month}, "Oktober": 1,
                                   "November": 11}
    assert len(data.by_month) == 12
    assert data.hours_to_answer == pytest.approx(sorted([*NOVEMBER_HOURS, 1.0]))


@pytest.mark.parametrize("values", [[1.0], [3.0, 1.0], [5, 1, 4, 2, 3], [0.5] * 7,
                                    [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 7.25]])
def test_percentile_matches_statistics_inclusive_method(values: list[float]):
    for q in (0.1, 0.5, 0.9):
        want = (values[0] if len(values) == 1 else
                statistics.quantiles(values, n=10, method="inclusive")[round(q * 10) - 1])
        assert percentile(values, q) == pytest.approx(want)
    assert percentile([], 0.5) is None


def test_month_must_be_written_yyyy_mm():
    assert Period.parse_month("2026-11") == Period(2026, 11)
    for bad in ("2026-13", "11-2026", "2026/11", "2026-1"):
        with pytest.raises(ValueError, match="TTTT-BB"):
            Period.parse_month(bad)


# -- HTML and PDF ------------------------------------------------------------------------------

class Tables(HTMLParser):
    """Rows of text of every <table>, and the <img> sources."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.images: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "img":
            self.images.append(dict(attrs)["src"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def parse(html: str) -> Tables:
    p = Tables()
    p.feed(html)
    return p


def test_html_report_prints_the_numbers_charts_letterhead_and_signature(cfg: Config,
                                                                       tmp_path: Path):
    path = write_report(cfg, Period(2026, 11), "html", tmp_path / "lap.html", now=NOW)
    html = path.read_text(encoding="utf-8")
    page = parse(html)
    summary = dict(page.tables[0][1:])
    assert summary == {
        "Jumlah aduan masuk": "11",
        "Aduan yang sudah ditanggapi": "5",
        "Ditanggapi dalam batas waktu": "3 dari 7 (42,9%)",
        "Median waktu menanggapi": "4,5 jam kerja",
        "Persentil ke-90 waktu menanggapi": "10,0 jam kerja",
        "Aduan melewati batas waktu (belum ditanggapi)": "2",
    }
    category = {row[0]: row[1] for row in page.tables[1][1:]}
    assert category["Infrastruktur dan Pembangunan"] == "4"
    assert category["Kepegawaian dan Perilaku Aparatur"] == "0"  # every category listed
    overdue = page.tables[-1]
    assert [row[1] for row in overdue[1:]] == ["007/ADUAN/XI/2026", "008/ADUAN/XI/2026"]
    assert len(page.images) == 4  # category, channel, desa, status
    for src in page.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]).startswith(b"\x89PNG\r\n\x1a\n")
    for words in ("PEMERINTAH KABUPATEN KARANGANYAR", "KECAMATAN JENAWI",
                  "LAPORAN PENANGANAN PENGADUAN MASYARAKAT", "Bulan November 2026",
                  "Jenawi, 30 November 2026", "Camat Jenawi,", CAMAT):
        assert words in html


def test_pdf_report_prints_the_same_numbers_with_charts_and_page_numbers(cfg: Config,
                                                                        tmp_path: Path):
    path = write_report(cfg, Period(2026), "pdf", tmp_path / "lap.pdf", now=NOW)
    reader = pypdf.PdfReader(path)
    texts = [p.extract_text() for p in reader.pages]
    text = "\n".join(texts)
    for words in ("PEMERINTAH KABUPATEN KARANGANYAR", "LAPORAN PENANGANAN PENGADUAN MASYARAKAT",
                  "Tahun 2026", "Jumlah aduan masuk 12", "4 dari 8 (50,0%)", "Aduan Menurut Bulan",
                  "007/ADUAN/XI/2026", "008/ADUAN/XI/2026", "9 hari kerja", "11 hari kerja"):
        assert words in text, words
    hours = sorted([*NOVEMBER_HOURS, 1.0])
    assert f"{statistics.median(hours):.1f} jam kerja".replace(".", ",") in text
    p90 = statistics.quantiles(hours, n=10, method="inclusive")[8]
    assert f"{p90:.1f} jam kerja".replace(".", ",") in text
    assert sum(len(p.images) for p in reader.pages) == 5  # month, category, channel, desa, status
    for i, page_text in enumerate(texts, start=1):
        assert f"Halaman {i} dari {len(texts)}" in page_text
    assert "Camat Jenawi," in texts[-1] and CAMAT in texts[-1]


def test_report_cells_are_neutralised_against_formula_injection(tmp_path: Path):
    cfg = make_config(tmp_path)
    fill_ledger(cfg.storage.ledger_path, [
        Spec(at(2026, 11, 2, 8, 0), desa=p, channel=p, category=p, unit=p, status=LATE,
             deadline=at(2026, 11, 3, 8, 0))
        for p in PAYLOADS
    ])
    cal = cfg.calendar.working_calendar(cfg.office.tz)
    from aduan_sync.reports.common import load_complaints

    data = compute_report(load_complaints(cfg), Period(2026, 11), cal, NOW)
    page = parse(render_html(build_view(data, cfg.office)))
    cells = [c for table in page.tables for row in table for c in row]
    assert not [c for c in cells if c.startswith(TRIGGERS)]
    assert sum(c.startswith("'") for c in cells) >= 3 * len(PAYLOADS)
    pdf_path = write_report(cfg, Period(2026, 11), "pdf", tmp_path / "lap.pdf", now=NOW)
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(pdf_path).pages)
    for needle in ("=cmd|'", "@SUM(A1)", "+1"):
        hits = [i for i in range(len(text)) if text.startswith(needle, i)]
        assert hits and all(text[i - 1] == "'" for i in hits), needle


def test_cli_report_writes_html_and_refuses_a_missing_period(cfg: Config, tmp_path: Path):
    out = tmp_path / "lap.html"
    runner = CliRunner()
    result = runner.invoke(cli, ["--config", str(cfg.path), "report", "--month", "2026-11",
                                 "--format", "html", "--out", str(out)], obj={})
    assert result.exit_code == 0, result.output
    assert result.output == ("Laporan Penanganan Pengaduan Masyarakat Bulan November 2026: "
                             f"ditulis ke {out}\n")
    assert "Bulan November 2026" in out.read_text(encoding="utf-8")
    result = runner.invoke(cli, ["--config", str(cfg.path), "report"], obj={})
    assert result.exit_code == 2
    assert "Pilih salah satu: --month TTTT-BB atau --year TTTT." in result.output
    result = runner.invoke(cli, ["--config", str(cfg.path), "report", "--month", "2026-13"],
                           obj={})
    assert result.exit_code == 2 and "TTTT-BB" in result.output


def test_generated_at_is_in_the_office_zone(cfg: Config):
    utc_now = NOW.astimezone(datetime.now().astimezone().tzinfo)
    data = data_for(cfg, Period(2026, 11))
    assert data.generated_at.utcoffset() == NOW.utcoffset()
    assert data.generated_at == utc_now
