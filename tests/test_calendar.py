"""The working-time calendar: office hours, Indonesian holidays and cuti bersama (2025-2027).

Expected dates come from the `holidays` package's Indonesian calendar (public + government),
e.g. Idul Fitri 2026: cuti bersama Wed 18 (Nyepi), Nyepi Thu 19, cuti Fri 20, Idul Fitri
Sat 21-Sun 22, cuti Mon 23-Tue 24 March; Ascension Thu 14 + cuti Fri 15 May 2026.
"""

from __future__ import annotations

import os
import random
import time as systime
import tomllib
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import pytest

from aduan_sync import calendar as calendar_module
from aduan_sync import config
from aduan_sync.calendar import (
    EXTRA_DAY_OFF_NAME,
    WorkingCalendar,
    parse_hours,
    weekday_number,
)
from aduan_sync.errors import ConfigError

WIB = ZoneInfo("Asia/Jakarta")


def wib(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=WIB)


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar(WIB)


# -- N working days ---------------------------------------------------------------------------

ADD_WORKING_DAYS = [
    # (case, start, n, expected)
    ("inside hours: same clock time next day", wib(2026, 5, 11, 10), 1, wib(2026, 5, 12, 10)),
    ("inside hours: two days", wib(2026, 5, 11, 10), 2, wib(2026, 5, 13, 10)),
    ("opening minute counts as inside", wib(2026, 5, 11, 7, 30), 1, wib(2026, 5, 12, 7, 30)),
    ("Thursday 14:00 clamps to Friday closing", wib(2026, 5, 7, 14), 1, wib(2026, 5, 8, 11)),
    ("Friday morning to Monday same time", wib(2026, 5, 8, 9), 1, wib(2026, 5, 11, 9)),
    ("Friday 15:00 to Monday closing", wib(2026, 5, 8, 15), 1, wib(2026, 5, 11, 16)),
    ("Friday 15:00, Monday Independence Day", wib(2026, 8, 14, 15), 1, wib(2026, 8, 18, 16)),
    ("Friday 15:00, Sunday Waisak + Monday Pancasila", wib(2026, 5, 29, 15), 1,
     wib(2026, 6, 2, 16)),
    ("Friday 15:00, Monday cuti Imlek + Tuesday Imlek", wib(2026, 2, 13, 15), 1,
     wib(2026, 2, 18, 16)),
    ("Saturday: opening day Monday is day 1", wib(2026, 5, 9, 10), 1, wib(2026, 5, 11, 16)),
    ("before opening: today is day 1", wib(2026, 5, 11, 6), 1, wib(2026, 5, 11, 16)),
    ("at closing time: tomorrow is day 1", wib(2026, 5, 11, 16), 1, wib(2026, 5, 12, 16)),
    ("evening: two days", wib(2026, 5, 11, 19), 2, wib(2026, 5, 13, 16)),
    ("before Ascension Thursday + cuti Friday", wib(2026, 5, 13, 10), 1, wib(2026, 5, 18, 10)),
    ("Wednesday 15:00 before Ascension", wib(2026, 5, 13, 15), 1, wib(2026, 5, 18, 15)),
    ("Tuesday before Ascension, two days", wib(2026, 5, 12, 14), 2, wib(2026, 5, 18, 14)),
    ("Idul Fitri: Tuesday 17 March to Wednesday 25", wib(2026, 3, 17, 10), 1,
     wib(2026, 3, 25, 10)),
    ("Idul Fitri: Monday 16 March, two days", wib(2026, 3, 16, 14), 2, wib(2026, 3, 25, 14)),
    ("Idul Fitri: Friday 13 March 15:00, three days", wib(2026, 3, 13, 15), 3,
     wib(2026, 3, 25, 16)),
    ("Idul Fitri: submitted on the feast day", wib(2026, 3, 21, 9), 1, wib(2026, 3, 25, 16)),
    ("Idul Fitri: submitted on cuti bersama", wib(2026, 3, 23, 10), 1, wib(2026, 3, 25, 16)),
    ("year boundary: 31 Dec 2025 to Friday 2 Jan, clamped", wib(2025, 12, 31, 14), 1,
     wib(2026, 1, 2, 11)),
    ("year boundary: 31 Dec 2026 to Monday 4 Jan 2027", wib(2026, 12, 31, 15), 1,
     wib(2027, 1, 4, 15)),
    ("Christmas cuti Thursday + Christmas Friday", wib(2026, 12, 23, 10), 1,
     wib(2026, 12, 28, 10)),
    ("zero days is the start itself", wib(2026, 5, 9, 10), 0, wib(2026, 5, 9, 10)),
    # Asia/Jakarta has no DST; UTC input must land on the same instants.
    ("UTC input: Friday 08:00 UTC is 15:00 WIB", datetime(2026, 5, 8, 8, tzinfo=UTC), 1,
     wib(2026, 5, 11, 16)),
    ("UTC input: Thursday 23:30 UTC is Friday 06:30 WIB", datetime(2026, 5, 7, 23, 30, tzinfo=UTC),
     1, wib(2026, 5, 8, 11)),
    ("UTC input: Thursday 03:00 UTC is 10:00 WIB", datetime(2026, 5, 7, 3, tzinfo=UTC), 1,
     wib(2026, 5, 8, 10)),
]


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [c[1:] for c in ADD_WORKING_DAYS],
    ids=[c[0] for c in ADD_WORKING_DAYS],
)
def test_add_working_days_follows_the_documented_rules(
    cal: WorkingCalendar, start: datetime, n: int, expected: datetime
) -> None:
    result = cal.add_working_days(start, n)
    assert result == expected
    # Shown in the office's zone, whatever zone the input had.
    assert result.utcoffset() == timedelta(hours=7)
    assert result.tzinfo == WIB


def test_add_working_days_rejects_negative_or_fractional_counts(cal: WorkingCalendar) -> None:
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError):
            cal.add_working_days(wib(2026, 5, 11, 10), bad)  # type: ignore[arg-type]


def test_friday_afternoon_before_each_2026_long_weekend_lands_on_next_working_day_closing(
    cal: WorkingCalendar,
) -> None:
    # Independent oracle: every Friday of 2026 followed by a holiday Monday, per the package.
    ids = holidays.country_holidays("ID", years=2026, categories=("public", "government"))
    fridays = [wib(2026, 1, 2) + timedelta(days=7 * k) for k in range(52)]
    long_weekends = [f for f in fridays if (f + timedelta(days=3)).date() in ids]
    assert len(long_weekends) >= 2  # 14 Aug (Independence Day), 29 May (Pancasila), ...
    for friday in long_weekends:
        expected_day = (friday + timedelta(days=3)).date()
        while expected_day.weekday() >= 5 or expected_day in ids:
            expected_day += timedelta(days=1)
        deadline = cal.add_working_days(friday.replace(hour=15), 1)
        assert deadline == datetime.combine(expected_day, time(16), tzinfo=WIB), friday


# -- days, holidays, cuti bersama -------------------------------------------------------------

def test_idul_fitri_2026_and_its_cuti_bersama_are_days_off(cal: WorkingCalendar) -> None:
    closed = [date(2026, 3, d) for d in range(18, 25)]
    assert not any(cal.is_working_day(d) for d in closed)
    assert cal.is_working_day(date(2026, 3, 17))
    assert cal.is_working_day(date(2026, 3, 25))
    assert cal.holiday_name(date(2026, 3, 20)) == "Cuti Bersama Hari Raya Idul Fitri"
    assert cal.holiday_name(date(2026, 3, 21)) == "Hari Raya Idul Fitri"
    assert cal.holiday_name(date(2026, 3, 19)) == "Hari Suci Nyepi"


def test_holiday_name_is_none_on_ordinary_days_and_weekends(cal: WorkingCalendar) -> None:
    assert cal.holiday_name(date(2026, 5, 12)) is None
    assert cal.holiday_name(date(2026, 5, 9)) is None  # a Saturday is closed, not a holiday
    assert not cal.is_working_day(date(2026, 5, 9))


def test_aware_datetime_counts_by_its_date_in_the_office_zone(cal: WorkingCalendar) -> None:
    # 17:30 UTC on Thursday 13 May is already Ascension Day (14 May) in Jenawi.
    evening_utc = datetime(2026, 5, 13, 17, 30, tzinfo=UTC)
    assert cal.holiday_name(evening_utc) == "Kenaikan Yesus Kristus"
    assert not cal.is_working_day(evening_utc)


def test_without_cuti_bersama_only_national_holidays_close_the_office() -> None:
    cal = WorkingCalendar(WIB, cuti_bersama=False)
    assert cal.is_working_day(date(2026, 3, 20))  # cuti bersama Idul Fitri
    assert cal.is_working_day(date(2026, 5, 15))  # cuti bersama Ascension
    assert not cal.is_working_day(date(2026, 5, 14))  # Ascension itself
    assert cal.holiday_name(date(2026, 3, 23)) is None
    assert cal.add_working_days(wib(2026, 5, 13, 10), 1) == wib(2026, 5, 15, 10)


def test_extra_days_off_close_the_office_and_have_a_name() -> None:
    cal = WorkingCalendar(WIB, extra_days_off=[date(2026, 12, 31)])
    assert not cal.is_working_day(date(2026, 12, 31))
    assert cal.holiday_name(date(2026, 12, 31)) == EXTRA_DAY_OFF_NAME
    # Wednesday 30 Dec: Thursday is off, Friday is New Year's Day.
    assert cal.add_working_days(wib(2026, 12, 30, 15), 1) == wib(2027, 1, 4, 15)


def test_holiday_years_are_computed_once_per_year(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    real = holidays.country_holidays

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(kwargs.get("years"))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(calendar_module.holidays, "country_holidays", counting)
    cal = WorkingCalendar(WIB)
    for day in range(1, 29):
        cal.is_working_day(date(2026, 2, day))
    cal.add_working_days(wib(2026, 3, 2, 10), 60)
    assert calls == [2026]
    cal.add_working_days(wib(2026, 12, 31, 10), 1)
    assert calls == [2026, 2027]


# -- moments ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (wib(2026, 5, 11, 7, 29), False),
        (wib(2026, 5, 11, 7, 30), True),
        (wib(2026, 5, 11, 15, 59), True),
        (wib(2026, 5, 11, 16, 0), False),
        (wib(2026, 5, 8, 10, 59), True),
        (wib(2026, 5, 8, 11, 0), False),
        (wib(2026, 5, 9, 10, 0), False),  # Saturday
        (wib(2026, 5, 14, 10, 0), False),  # Ascension Day
        (datetime(2026, 5, 11, 1, 0, tzinfo=UTC), True),  # 08:00 WIB
    ],
)
def test_is_open_uses_half_open_office_hours(
    cal: WorkingCalendar, moment: datetime, is_open: bool
) -> None:
    assert cal.is_open(moment) is is_open


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (wib(2026, 5, 11, 10), wib(2026, 5, 11, 10)),  # open: itself
        (wib(2026, 5, 11, 5), wib(2026, 5, 11, 7, 30)),  # early: today's opening
        (wib(2026, 5, 8, 11), wib(2026, 5, 11, 7, 30)),  # Friday closing: Monday
        (wib(2026, 5, 13, 16), wib(2026, 5, 18, 7, 30)),  # before the Ascension weekend
        (wib(2026, 3, 17, 16, 30), wib(2026, 3, 25, 7, 30)),  # before Idul Fitri leave
    ],
)
def test_next_opening(cal: WorkingCalendar, moment: datetime, expected: datetime) -> None:
    assert cal.next_opening(moment) == expected


@pytest.mark.parametrize(
    ("start", "minutes", "expected"),
    [
        (wib(2026, 5, 11, 10), 5, wib(2026, 5, 11, 10, 5)),
        (wib(2026, 5, 11, 15, 50), 10, wib(2026, 5, 11, 16)),  # ends exactly at closing
        (wib(2026, 5, 11, 15, 55), 10, wib(2026, 5, 12, 7, 35)),
        (wib(2026, 5, 8, 10, 55), 10, wib(2026, 5, 11, 7, 35)),  # Friday closes at 11:00
        (wib(2026, 5, 9, 12), 5, wib(2026, 5, 11, 7, 35)),  # Saturday
        (wib(2026, 5, 11, 15), 600, wib(2026, 5, 13, 8)),  # 1 h + 8.5 h + 0.5 h
        (wib(2026, 5, 13, 15, 55), 10, wib(2026, 5, 18, 7, 35)),  # Ascension weekend
        (wib(2026, 5, 9, 12), 0, wib(2026, 5, 9, 12)),
    ],
)
def test_add_working_minutes_counts_only_office_time(
    cal: WorkingCalendar, start: datetime, minutes: int, expected: datetime
) -> None:
    assert cal.add_working_minutes(start, minutes) == expected


def test_add_working_minutes_rejects_negative_minutes(cal: WorkingCalendar) -> None:
    with pytest.raises(ValueError):
        cal.add_working_minutes(wib(2026, 5, 11, 10), -1)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (wib(2026, 5, 8, 10), wib(2026, 5, 11, 8, 30), timedelta(hours=2)),
        (wib(2026, 5, 9, 0), wib(2026, 5, 10, 23, 59), timedelta(0)),
        (wib(2026, 5, 4), wib(2026, 5, 11), timedelta(hours=4 * 8.5 + 3.5)),  # ordinary week
        (wib(2026, 5, 11), wib(2026, 5, 18), timedelta(hours=3 * 8.5)),  # Ascension week
        (wib(2026, 3, 17, 15), wib(2026, 3, 25, 8), timedelta(hours=1.5)),  # Idul Fitri
        (wib(2026, 5, 11, 8, 30), wib(2026, 5, 8, 10), -timedelta(hours=2)),  # reversed
    ],
)
def test_working_time_between_counts_office_time_only(
    cal: WorkingCalendar, a: datetime, b: datetime, expected: timedelta
) -> None:
    assert cal.working_time_between(a, b) == expected


def test_minutes_added_are_the_minutes_measured_back_for_random_starts(
    cal: WorkingCalendar,
) -> None:
    rng = random.Random(20260320)
    base = wib(2025, 12, 1)
    for _ in range(300):
        start = base + timedelta(minutes=rng.randrange(0, 400 * 24 * 60))
        minutes = rng.choice([1, 5, 10, 15, 90, 510, 600, 3000])
        end = cal.add_working_minutes(start, minutes)
        assert cal.working_time_between(start, end) == timedelta(minutes=minutes), start
        days = rng.randrange(1, 12)
        deadline = cal.add_working_days(start, days)
        assert deadline > start
        # A deadline is inside office hours or exactly at a closing time.
        assert cal.is_open(deadline) or cal.is_open(deadline - timedelta(minutes=1)), start
        assert cal.working_days_overdue(start, deadline) == days
        assert cal.working_days_overdue(start, deadline - timedelta(seconds=1)) == days - 1


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (wib(2026, 5, 12, 9), 0),  # before the deadline
        (wib(2026, 5, 12, 10, 1), 0),  # late, but not a whole working day yet
        (wib(2026, 5, 13, 9, 59), 0),
        (wib(2026, 5, 13, 10), 1),
        (wib(2026, 5, 17, 10), 1),  # Ascension + weekend do not count
        (wib(2026, 5, 18, 10), 2),
        (wib(2026, 5, 22, 10), 6),
    ],
)
def test_working_days_overdue_counts_whole_working_days(
    cal: WorkingCalendar, now: datetime, expected: int
) -> None:
    assert cal.working_days_overdue(wib(2026, 5, 12, 10), now) == expected


def test_deadline_at_friday_closing_is_one_day_overdue_at_monday_closing(
    cal: WorkingCalendar,
) -> None:
    deadline = wib(2026, 5, 8, 11)
    assert cal.working_days_overdue(deadline, wib(2026, 5, 11, 15, 59)) == 0
    assert cal.working_days_overdue(deadline, wib(2026, 5, 11, 16)) == 1


# -- input checks -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    "call",
    [
        lambda c, t: c.is_open(t),
        lambda c, t: c.next_opening(t),
        lambda c, t: c.add_working_days(t, 1),
        lambda c, t: c.add_working_minutes(t, 5),
        lambda c, t: c.working_time_between(t, wib(2026, 5, 12)),
        lambda c, t: c.working_time_between(wib(2026, 5, 12), t),
        lambda c, t: c.working_days_overdue(t, wib(2026, 5, 12)),
        lambda c, t: c.working_days_overdue(wib(2026, 5, 12), t),
        lambda c, t: c.is_working_day(t),
        lambda c, t: c.holiday_name(t),
    ],
)
def test_naive_datetimes_are_rejected(cal: WorkingCalendar, call: object) -> None:
    with pytest.raises(ValueError, match="naive"):
        call(cal, datetime(2026, 5, 11, 10))  # type: ignore[operator]


def test_calendar_rejects_hours_that_never_open_or_close_before_opening() -> None:
    with pytest.raises(ValueError):
        WorkingCalendar(WIB, {d: None for d in range(7)})
    with pytest.raises(ValueError):
        WorkingCalendar(WIB, {0: (time(16), time(7, 30))})
    with pytest.raises(ValueError):
        WorkingCalendar(WIB, {7: (time(7, 30), time(16))})


def test_results_do_not_depend_on_the_machine_time_zone() -> None:
    start = datetime(2026, 5, 8, 8, tzinfo=UTC)  # Friday 15:00 WIB
    before = WorkingCalendar(WIB).add_working_days(start, 1)
    old = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    systime.tzset()
    try:
        during = WorkingCalendar(WIB).add_working_days(start, 1)
    finally:
        if old is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = old
        systime.tzset()
    assert before == during == wib(2026, 5, 11, 16)


def test_parse_hours_and_weekday_names() -> None:
    assert parse_hours("07:30-16:00") == (time(7, 30), time(16))
    assert parse_hours(" 08:00 \u2013 12:00 ") == (time(8), time(12))
    assert parse_hours("Libur") is None
    assert weekday_number("Senin") == 0
    assert weekday_number("Jum'at") == weekday_number("jumat") == 4
    for bad in ("07:30", "7.30-16.00", "16:00-07:30", "25:00-26:00"):
        with pytest.raises(ValueError):
            parse_hours(bad)
    with pytest.raises(ValueError, match="nama hari"):
        weekday_number("monday")


# -- [calendar] config ------------------------------------------------------------------------

MINIMAL = """
[source]
path = "aduan.xlsx"
[ppid]
email = "ppid@example.go.id"
"""


def load(tmp_path: Path, extra: str) -> config.Config:
    path = tmp_path / "aduan.toml"
    path.write_text(MINIMAL + extra, encoding="utf-8")
    return config.load(path)


def test_calendar_section_is_optional_and_defaults_to_the_office_week(tmp_path: Path) -> None:
    cfg = load(tmp_path, "")
    assert cfg.calendar.cuti_bersama is True
    assert cfg.calendar.extra_days_off == ()
    cal = cfg.calendar.working_calendar(cfg.office.tz)
    assert cal.add_working_days(wib(2026, 5, 7, 14), 1) == wib(2026, 5, 8, 11)


def test_calendar_section_sets_hours_days_off_and_cuti_bersama(tmp_path: Path) -> None:
    cfg = load(tmp_path, """
[calendar]
extra_days_off = ["2026-12-31", 2026-11-18]
cuti_bersama = false

[calendar.office_hours]
Senin = "08:00-15:00"
selasa = "08:00-15:00"
rabu = "08:00-15:00"
kamis = "08:00-15:00"
"jum'at" = "08:00-11:30"
sabtu = "08:00-12:00"
minggu = "libur"
""")
    assert cfg.calendar.extra_days_off == (date(2026, 12, 31), date(2026, 11, 18))
    cal = cfg.calendar.working_calendar(cfg.office.tz)
    assert cal.is_open(wib(2026, 5, 9, 9))  # Saturday is open now
    assert cal.add_working_days(wib(2026, 5, 8, 15), 1) == wib(2026, 5, 9, 12)
    assert cal.is_working_day(date(2026, 5, 15))  # cuti bersama switched off
    assert not cal.is_working_day(date(2026, 11, 18))


def test_a_weekday_left_out_of_office_hours_is_closed(tmp_path: Path) -> None:
    cfg = load(tmp_path, '[calendar]\noffice_hours = { senin = "07:30-16:00" }\n')
    cal = cfg.calendar.working_calendar(cfg.office.tz)
    assert cal.add_working_days(wib(2026, 5, 11, 10), 1) == wib(2026, 5, 18, 10)


@pytest.mark.parametrize(
    ("toml", "key", "words"),
    [
        ('office_hours = { senin = "07:30" }', "calendar.office_hours.senin", "07:30-16:00"),
        ('office_hours = { senin = "16:00-07:30" }', "calendar.office_hours.senin", "sebelum"),
        ('office_hours = { monday = "07:30-16:00" }', "calendar.office_hours.monday", "nama hari"),
        ("office_hours = { senin = 8 }", "calendar.office_hours.senin", "teks"),
        ('office_hours = { senin = "libur" }', "calendar.office_hours", "setidaknya satu hari"),
        ('office_hours = { senin = "08:00-12:00", Senin = "08:00-13:00" }',
         "calendar.office_hours.Senin", "dua kali"),
        ('office_hours = "07:30-16:00"', "calendar.office_hours", "tabel"),
        ('extra_days_off = ["31-12-2026"]', "calendar.extra_days_off", "TTTT-BB-HH"),
        ("extra_days_off = [2026-12-31T08:00:00]", "calendar.extra_days_off", "tanggal"),
        ('extra_days_off = "2026-12-31"', "calendar.extra_days_off", "daftar"),
        ('cuti_bersama = "ya"', "calendar.cuti_bersama", "true atau false"),
        ("office_hour = {}", "calendar.office_hour", "tidak dikenal"),
    ],
)
def test_invalid_calendar_values_name_the_key_and_the_file(
    tmp_path: Path, toml: str, key: str, words: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, "[calendar]\n" + toml + "\n")
    assert info.value.key == key
    assert words in str(info.value)
    assert str(tmp_path / "aduan.toml") in str(info.value)


def test_calendar_config_from_mapping_accepts_toml_dates() -> None:
    raw = tomllib.loads(MINIMAL + "[calendar]\nextra_days_off = [2026-12-31]\n")
    cfg = config.from_mapping(raw, Path("/tmp/aduan.toml"))
    assert cfg.calendar.extra_days_off == (date(2026, 12, 31),)
