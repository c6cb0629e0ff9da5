"""SOP deadlines: the PPID's working day, step times, caps by kind, and their `[sla]` config."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays
import pytest
import time_machine

from aduan_sync import config
from aduan_sync.calendar import WorkingCalendar
from aduan_sync.deadlines import (
    ComplaintKind,
    SlaConfig,
    final_deadline,
    format_deadline,
    ppid_deadline,
    step_deadlines,
)
from aduan_sync.errors import ConfigError

WIB = ZoneInfo("Asia/Jakarta")
SLA = SlaConfig()


def wib(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=WIB)


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar(WIB)


# -- the PPID's working day (the sheet's Batas Waktu) -----------------------------------------

@pytest.mark.parametrize(
    ("submitted", "shown"),
    [
        # Friday 15:00 before Pancasila Day (Mon 1 June; Waisak on Sunday 31 May).
        (wib(2026, 5, 29, 15), "02/06/2026 16:00"),
        # Friday 15:00 before Independence Day (Mon 17 August).
        (wib(2026, 8, 14, 15), "18/08/2026 16:00"),
        # Wednesday 15:00 before Ascension (Thu 14) and its cuti bersama (Fri 15 May).
        (wib(2026, 5, 13, 15), "18/05/2026 15:00"),
        # Tuesday before the Nyepi + Idul Fitri leave (18-24 March).
        (wib(2026, 3, 17, 9, 45), "25/03/2026 09:45"),
        # Same Friday afternoon, submitted from a phone whose clock says UTC.
        (datetime(2026, 5, 29, 8, tzinfo=UTC), "02/06/2026 16:00"),
    ],
)
def test_ppid_deadline_skips_weekends_holidays_and_cuti_bersama(
    cal: WorkingCalendar, submitted: datetime, shown: str
) -> None:
    assert format_deadline(ppid_deadline(cal, submitted, SLA), WIB) == shown


def test_ppid_working_days_come_from_the_sla(cal: WorkingCalendar) -> None:
    two_days = SlaConfig(ppid_working_days=2)
    assert ppid_deadline(cal, wib(2026, 5, 12, 10), two_days) == wib(2026, 5, 18, 10)


def test_overdue_days_follow_a_moving_clock_across_the_long_weekend(cal: WorkingCalendar) -> None:
    deadline = ppid_deadline(cal, wib(2026, 5, 13, 10), SLA)  # Monday 18 May 10:00
    expected = [
        (wib(2026, 5, 13, 12), 0),
        (wib(2026, 5, 18, 10, 30), 0),  # late, not a whole working day yet
        (wib(2026, 5, 19, 10), 1),
        (wib(2026, 5, 23, 9), 4),  # Saturday: Tuesday..Friday counted
        (wib(2026, 5, 26, 10), 6),
        (wib(2026, 5, 28, 10), 6),  # Idul Adha (Wed 27) and its cuti (Thu 28) do not count
        (wib(2026, 5, 29, 10), 7),
    ]
    for moment, days in expected:
        with time_machine.travel(moment, tick=False):
            now = datetime.now(UTC)  # the worker's clock, in whatever zone
            assert now == moment
            assert cal.working_days_overdue(deadline, now) == days, moment


# -- SOP step times ---------------------------------------------------------------------------

def test_step_deadlines_inside_office_hours(cal: WorkingCalendar) -> None:
    steps = step_deadlines(cal, wib(2026, 5, 11, 10), SLA)
    assert steps.register == wib(2026, 5, 11, 10, 5)
    assert steps.classify == wib(2026, 5, 11, 10, 15)
    assert steps.ppid == wib(2026, 5, 12, 10)
    assert steps.answer == wib(2026, 5, 12, 10, 10)


def test_step_deadlines_of_a_weekend_complaint_start_at_monday_opening(
    cal: WorkingCalendar,
) -> None:
    steps = step_deadlines(cal, wib(2026, 5, 9, 21), SLA)
    assert steps.register == wib(2026, 5, 11, 7, 35)
    assert steps.classify == wib(2026, 5, 11, 7, 45)
    assert steps.ppid == wib(2026, 5, 11, 16)
    assert steps.answer == wib(2026, 5, 12, 7, 40)  # closing + 10 office minutes


def test_step_minutes_come_from_the_sla(cal: WorkingCalendar) -> None:
    sla = SlaConfig(register_minutes=15, classify_minutes=30, answer_minutes=60)
    steps = step_deadlines(cal, wib(2026, 5, 11, 10), sla)
    assert (steps.register, steps.classify, steps.answer) == (
        wib(2026, 5, 11, 10, 15), wib(2026, 5, 11, 10, 45), wib(2026, 5, 12, 11)
    )


# -- caps by kind -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("kind", "submitted", "extended", "expected"),
    [
        (ComplaintKind.SIMPLE, wib(2026, 5, 11, 10), False, wib(2026, 5, 13, 10)),
        (ComplaintKind.NORMAL, wib(2026, 5, 11, 10), False, wib(2026, 5, 20, 10)),
        # Information request on Monday 16 March: 17 Mar, then Idul Fitri leave, 25 Mar...,
        # Good Friday 3 April skipped; 10th working day Tuesday 7 April.
        (ComplaintKind.INFORMATION_REQUEST, wib(2026, 3, 16, 10), False, wib(2026, 4, 7, 10)),
        # Extended by 7: the 17th working day, Thursday 16 April.
        (ComplaintKind.INFORMATION_REQUEST, wib(2026, 3, 16, 10), True, wib(2026, 4, 16, 10)),
        ("simple", wib(2026, 5, 8, 15), False, wib(2026, 5, 12, 16)),  # starts Monday
    ],
)
def test_final_deadline_caps_by_kind(
    cal: WorkingCalendar,
    kind: ComplaintKind | str,
    submitted: datetime,
    extended: bool,
    expected: datetime,
) -> None:
    assert final_deadline(cal, submitted, kind, SLA, extended=extended) == expected


def test_investigation_cap_is_the_sixtieth_working_day(cal: WorkingCalendar) -> None:
    # Independent count straight from the holidays package: Mon-Fri, not a holiday.
    days_off = holidays.country_holidays("ID", years=2026, categories=("public", "government"))
    day, counted = date(2026, 1, 5), 0
    while counted < 60:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in days_off:
            counted += 1
    result = final_deadline(cal, wib(2026, 1, 5, 10), ComplaintKind.INVESTIGATION, SLA)
    assert result == datetime.combine(day, wib(2026, 1, 5, 10).timetz())


def test_a_kind_left_out_of_the_caps_has_no_final_deadline(cal: WorkingCalendar) -> None:
    sla = SlaConfig(caps=MappingProxyType({ComplaintKind.SIMPLE: 3}))
    assert final_deadline(cal, wib(2026, 5, 11, 10), "normal", sla) is None
    assert final_deadline(cal, wib(2026, 5, 11, 10), "simple", sla) == wib(2026, 5, 18, 10)


def test_only_information_requests_can_be_extended(cal: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="information"):
        final_deadline(cal, wib(2026, 5, 11, 10), ComplaintKind.NORMAL, SLA, extended=True)


def test_unknown_kind_is_rejected(cal: WorkingCalendar) -> None:
    with pytest.raises(ValueError):
        final_deadline(cal, wib(2026, 5, 11, 10), "urgent", SLA)


# -- formatting -------------------------------------------------------------------------------

def test_format_deadline_shows_office_time_without_seconds() -> None:
    assert format_deadline(datetime(2026, 1, 2, 4, 0, 59, tzinfo=UTC), WIB) == "02/01/2026 11:00"


def test_format_deadline_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_deadline(datetime(2026, 1, 2, 11), WIB)


# -- [sla] config -----------------------------------------------------------------------------

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


def test_sla_defaults_are_the_sop_times(tmp_path: Path) -> None:
    sla = load(tmp_path, "").sla
    assert (sla.register_minutes, sla.classify_minutes, sla.ppid_working_days,
            sla.answer_minutes, sla.information_extension_days) == (5, 10, 1, 10, 7)
    assert dict(sla.caps) == {
        ComplaintKind.SIMPLE: 2,
        ComplaintKind.NORMAL: 5,
        ComplaintKind.INVESTIGATION: 60,
        ComplaintKind.INFORMATION_REQUEST: 10,
    }


def test_sla_section_overrides_times_and_replaces_the_caps(tmp_path: Path) -> None:
    sla = load(tmp_path, """
[sla]
ppid_working_days = 2
answer_minutes = 30
information_extension_days = 0
caps = { simple = 3, information_request = 10 }
""").sla
    assert sla.ppid_working_days == 2
    assert sla.answer_minutes == 30
    assert sla.register_minutes == 5
    assert dict(sla.caps) == {ComplaintKind.SIMPLE: 3, ComplaintKind.INFORMATION_REQUEST: 10}
    cal = WorkingCalendar(WIB)
    assert final_deadline(cal, wib(2026, 5, 11, 10), "normal", sla) is None
    assert final_deadline(cal, wib(2026, 5, 11, 10), "information_request", sla,
                          extended=True) == wib(2026, 5, 29, 10)  # Idul Adha skipped


def test_empty_caps_table_switches_every_cap_off(tmp_path: Path) -> None:
    sla = load(tmp_path, "[sla]\ncaps = {}\n").sla
    assert final_deadline(WorkingCalendar(WIB), wib(2026, 5, 11, 10), "simple", sla) is None


@pytest.mark.parametrize(
    ("toml", "key", "words"),
    [
        ("ppid_working_days = 0", "sla.ppid_working_days", ">= 1"),
        ('ppid_working_days = "1"', "sla.ppid_working_days", "bilangan bulat"),
        ("register_minutes = 2.5", "sla.register_minutes", "bilangan bulat"),
        ("information_extension_days = -1", "sla.information_extension_days", ">= 0"),
        ("caps = { urgent = 1 }", "sla.caps.urgent", "jenis aduan tidak dikenal"),
        ("caps = { simple = 0 }", "sla.caps.simple", "hari kerja"),
        ("caps = { simple = true }", "sla.caps.simple", "hari kerja"),
        ("caps = 5", "sla.caps", "tabel"),
        ("ppid_days = 1", "sla.ppid_days", "tidak dikenal"),
    ],
)
def test_invalid_sla_values_name_the_key_and_the_file(
    tmp_path: Path, toml: str, key: str, words: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, "[sla]\n" + toml + "\n")
    assert info.value.key == key
    assert words in str(info.value)
    assert str(tmp_path / "aduan.toml") in str(info.value)
