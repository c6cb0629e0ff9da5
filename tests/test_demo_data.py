"""The demo's sample complaints: shaped like a Google Form response sheet, varied, deterministic."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from aduan_sync import classify, config
from aduan_sync.demo_data import DEMO_EXPECTED_CATEGORIES, DEMO_HEADERS, demo_rows
from aduan_sync.model import CHANNELS, DEFAULT_CATEGORIES, DESA_JENAWI, FORM_FIELDS

NOW = datetime(2026, 11, 28, 9, 0)
NOWS = [
    NOW,
    datetime(2026, 11, 28, 0, 0, 0),
    datetime(2026, 11, 28, 6, 30),
    datetime(2026, 12, 31, 23, 59, 59),
    datetime(2027, 1, 1, 0, 5),
    datetime(2026, 11, 28, 2, 0, tzinfo=UTC),  # aware: 09:00 in Jakarta
]
COLUMN = {header: i for i, header in enumerate(DEMO_HEADERS)}


def column(rows: list[list[Any]], header: str) -> list[Any]:
    return [row[COLUMN[header]] for row in rows]


@pytest.fixture(scope="module")
def rows() -> list[list[Any]]:
    return demo_rows(NOW)


def test_headers_are_those_of_an_indonesian_google_form() -> None:
    assert DEMO_HEADERS == [
        "Cap waktu", "Alamat email", "Nama Lengkap", "NIK", "Nomor HP/WhatsApp", "Desa",
        "Alamat Lengkap", "Kanal Aduan", "Isi Aduan", "Lokasi Kejadian", "Lampiran",
    ]  # fmt: skip
    defaults = {aliases[0] for aliases in FORM_FIELDS.values()}
    assert set(DEMO_HEADERS) == defaults


def test_at_least_34_complete_rows(rows: list[list[Any]]) -> None:
    assert len(rows) >= 34
    assert all(len(row) == len(DEMO_HEADERS) for row in rows)
    assert all(str(text).strip() for text in column(rows, "Isi Aduan"))


@pytest.mark.parametrize("now", NOWS, ids=str)
def test_timestamps_are_naive_jakarta_times_in_the_ten_days_before_now_oldest_first(
    now: datetime,
) -> None:
    local = now.astimezone(config.OfficeConfig().tz).replace(tzinfo=None) if now.tzinfo else now
    stamps = column(demo_rows(now), "Cap waktu")
    assert all(isinstance(ts, datetime) and ts.tzinfo is None for ts in stamps)
    assert all(local - timedelta(days=10) < ts <= local for ts in stamps)
    assert stamps == sorted(stamps)
    assert all(ts.microsecond == 0 for ts in stamps)
    days = {(local - ts).days for ts in stamps}
    assert len(days) >= 8  # spread over the period, not bunched on one day


def test_rows_are_deterministic_for_a_given_now() -> None:
    assert demo_rows(NOW) == demo_rows(NOW)
    assert demo_rows(NOW) != demo_rows(NOW + timedelta(days=1))


@pytest.mark.parametrize("now", NOWS, ids=str)
def test_row_order_and_contents_do_not_depend_on_now(now: datetime) -> None:
    def without_time(rows: list[list[Any]]) -> list[list[Any]]:
        return [row[1:] for row in rows]

    assert without_time(demo_rows(now)) == without_time(demo_rows(NOW))


def test_every_desa_and_every_channel_appears(rows: list[list[Any]]) -> None:
    desa = [d for d in column(rows, "Desa") if d]
    assert set(desa) == set(DESA_JENAWI)
    assert min(Counter(desa).values()) >= 2
    assert set(column(rows, "Kanal Aduan")) == set(CHANNELS)


def test_every_category_is_intended_for_some_rows(rows: list[list[Any]]) -> None:
    assert len(DEMO_EXPECTED_CATEGORIES) == len(rows)
    counts = Counter(DEMO_EXPECTED_CATEGORIES)
    assert set(counts) == set(DEFAULT_CATEGORIES)
    assert min(counts.values()) >= 3


def test_the_packaged_rules_put_each_row_in_its_intended_category(
    rows: list[list[Any]],
) -> None:
    rules = classify.load_rules(config.PACKAGED_CONFIG / "kategori.toml", DEFAULT_CATEGORIES)
    got = []
    for row in rows:
        answers = {"text": row[COLUMN["Isi Aduan"]], "location": row[COLUMN["Lokasi Kejadian"]]}
        got.append(classify.classify(answers, rules, lambda category: "").category)
    wrong = [
        (row[COLUMN["Isi Aduan"]][:60], want, have)
        for row, want, have in zip(rows, DEMO_EXPECTED_CATEGORIES, got, strict=True)
        if want != have
    ]
    assert wrong == []


def test_values_come_as_google_forms_delivers_them(rows: list[list[Any]]) -> None:
    phones = column(rows, "Nomor HP/WhatsApp")
    numeric_phones = [p for p in phones if isinstance(p, int)]
    assert len(numeric_phones) >= 5
    assert all(str(p).startswith("8") for p in numeric_phones)  # leading zero dropped
    assert any(isinstance(p, str) and p.startswith("0") for p in phones)
    niks = column(rows, "NIK")
    numeric_niks = [n for n in niks if isinstance(n, int)]
    assert len(numeric_niks) >= 5
    assert all(len(str(n)) == 16 and str(n).startswith("3313") for n in numeric_niks)
    assert "" in niks


def test_emails_use_example_domains_only(rows: list[list[Any]]) -> None:
    emails = [e for e in column(rows, "Alamat email") if e]
    assert len(emails) >= 10
    for address in emails:
        domain = address.rpartition("@")[2].replace(",", ".")  # one has a typo, on purpose
        assert domain in {"example.com", "example.net"}, address
    assert any(not config.is_valid_email(e) for e in emails)  # a typo the worker must catch


def test_some_reporters_leave_data_missing(rows: list[list[Any]]) -> None:
    def blank(value: Any) -> bool:
        return not str(value).strip()

    no_name = [r for r in rows if blank(r[COLUMN["Nama Lengkap"]])]
    no_contact = [
        r
        for r in rows
        if blank(r[COLUMN["Alamat email"]]) and blank(r[COLUMN["Nomor HP/WhatsApp"]])
    ]
    vague = [r for r in rows if len(str(r[COLUMN["Isi Aduan"]]).split()) <= 5]
    no_place = [r for r in rows if blank(r[COLUMN["Desa"]]) and blank(r[COLUMN["Alamat Lengkap"]])]
    assert no_name and len(no_contact) >= 3 and vague and no_place


def test_a_double_submission_gives_two_identical_rows_seconds_apart(
    rows: list[list[Any]],
) -> None:
    pairs = [(a, b) for a, b in zip(rows, rows[1:], strict=False) if a[1:] == b[1:]]
    assert len(pairs) == 1
    first, second = pairs[0]
    assert timedelta(0) < second[0] - first[0] < timedelta(minutes=1)


def test_attachments_look_like_google_drive_uploads(rows: list[list[Any]]) -> None:
    attachments = [a for a in column(rows, "Lampiran") if a]
    assert len(attachments) >= 4
    for cell in attachments:
        for url in cell.split(", "):
            assert url.startswith("https://drive.google.com/open?id=")
