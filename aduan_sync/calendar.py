"""The office's working-time calendar: office hours, Indonesian holidays, cuti bersama.

Pure and I/O-free: the calendar is built from typed values (see `config.CalendarConfig`) and
answers questions about time. Every datetime it takes must be timezone-aware (naive input is
rejected with `ValueError`, because a naive time from a server in UTC would silently shift every
deadline by seven hours); every datetime it returns is in the office's zone.

A *working day* is a day whose weekday has office hours and that is neither an Indonesian
national holiday, nor *cuti bersama* (the government's collective leave days, unless disabled),
nor one of the office's extra days off. Holidays come from the `holidays` package
(`country_holidays("ID", categories=("public", "government"))`: "public" are the national
holidays, "government" the cuti bersama); names are in Indonesian. Office hours are half-open:
the office is open from the opening time up to, not including, the closing time.

Meaning of "N working days" from a moment `start` (`add_working_days`):

* `start` inside office hours: the same clock time on the N-th following working day, clamped
  into that day's office hours (Thursday 14:00 + 1 -> Friday 11:00, because Friday closes at
  11:00).
* `start` outside office hours (evening, weekend, holiday): the clock starts at the next
  opening, and the deadline is the closing time of the N-th working day, counting the opening
  day as day 1 (Friday 15:00 + 1 -> Monday 16:00, or Tuesday 16:00 if Monday is a holiday).
* N = 0 gives `start` itself.

`working_days_overdue` counts with the same rule: a deadline is k working days overdue once
`add_working_days(deadline, k)` has passed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, time, timedelta, tzinfo

import holidays

#: Office hours per weekday (0 = Monday): Monday-Thursday 07:30-16:00, Friday 07:30-11:00 WIB,
#: weekend closed (the office's schedule as given in issue 5).
DEFAULT_OFFICE_HOURS: Mapping[int, tuple[time, time] | None] = {
    0: (time(7, 30), time(16, 0)),
    1: (time(7, 30), time(16, 0)),
    2: (time(7, 30), time(16, 0)),
    3: (time(7, 30), time(16, 0)),
    4: (time(7, 30), time(11, 0)),
    5: None,
    6: None,
}

#: Indonesian weekday names (config keys), index = `date.weekday()`.
WEEKDAY_NAMES: tuple[str, ...] = ("senin", "selasa", "rabu", "kamis", "jumat", "sabtu", "minggu")
#: Other spellings operators write for the same days.
_WEEKDAY_ALIASES = {"jum'at": 4, "ahad": 6}

#: Name shown for a day off that comes from the config rather than the holidays package.
EXTRA_DAY_OFF_NAME = "Libur kantor (ditetapkan kecamatan)"

#: Give up looking for a working day after this many consecutive days without one; only a
#: config that closes the office for a year can hit it, and it must not hang the worker.
_MAX_DAYS_WITHOUT_WORK = 400

_CLOSED_WORDS = ("libur", "tutup", "")


def weekday_number(name: str) -> int:
    """Weekday number (0 = Monday) of an Indonesian weekday name; `ValueError` if unknown."""
    key = name.strip().lower()
    if key in WEEKDAY_NAMES:
        return WEEKDAY_NAMES.index(key)
    if key in _WEEKDAY_ALIASES:
        return _WEEKDAY_ALIASES[key]
    raise ValueError(f"nama hari tidak dikenal: {name!r}; pilihan: {', '.join(WEEKDAY_NAMES)}")


def parse_hours(text: str) -> tuple[time, time] | None:
    """Parse office hours written as "07:30-16:00"; "libur" (or empty) means closed.

    Raises `ValueError` with an Indonesian message for the operator.
    """
    value = text.strip().lower()
    if value in _CLOSED_WORDS:
        return None
    parts = value.replace("\u2013", "-").split("-")
    if len(parts) != 2:
        raise ValueError(f"jam kantor harus ditulis seperti \"07:30-16:00\" atau \"libur\", "
                         f"bukan {text!r}")
    try:
        opening, closing = (time.fromisoformat(p.strip()) for p in parts)
    except ValueError as e:
        raise ValueError(f"jam tidak valid dalam {text!r} (format JJ:MM)") from e
    if opening >= closing:
        raise ValueError(f"jam buka harus sebelum jam tutup: {text!r}")
    return opening, closing


class WorkingCalendar:
    """Office hours and days off of one office, in its time zone."""

    def __init__(
        self,
        tz: tzinfo,
        hours: Mapping[int, tuple[time, time] | None] = DEFAULT_OFFICE_HOURS,
        extra_days_off: Iterable[date] = (),
        cuti_bersama: bool = True,
    ) -> None:
        self.tz = tz
        self.hours: dict[int, tuple[time, time] | None] = {d: None for d in range(7)}
        for day, span in hours.items():
            if day not in self.hours:
                raise ValueError(f"weekday must be 0..6 (0 = Monday), not {day!r}")
            if span is not None and not (span[0] < span[1]):
                raise ValueError(f"opening must be before closing on weekday {day}: {span}")
            self.hours[day] = span
        if all(span is None for span in self.hours.values()):
            raise ValueError("the office must be open on at least one weekday")
        self.extra_days_off = frozenset(extra_days_off)
        self.cuti_bersama = cuti_bersama
        self._categories = ("public", "government") if cuti_bersama else ("public",)
        self._years: dict[int, dict[date, str]] = {}

    def __repr__(self) -> str:
        return (f"WorkingCalendar(tz={self.tz!r}, cuti_bersama={self.cuti_bersama}, "
                f"extra_days_off={len(self.extra_days_off)})")

    # -- days -----------------------------------------------------------------------------

    def holiday_name(self, d: date) -> str | None:
        """Indonesian name of the holiday, cuti bersama or extra day off on `d`, else None."""
        d = self._day(d)
        name = self._holidays(d.year).get(d)
        if name is None and d in self.extra_days_off:
            return EXTRA_DAY_OFF_NAME
        return name

    def is_working_day(self, d: date) -> bool:
        """True if the office opens on `d` (an aware datetime counts by its local date)."""
        return self._hours_on(self._day(d)) is not None

    # -- moments --------------------------------------------------------------------------

    def is_open(self, t: datetime) -> bool:
        """True if the office is open at `t` (opening time included, closing time not)."""
        local = self._local(t)
        span = self._hours_on(local.date())
        return span is not None and span[0] <= local.time() < span[1]

    def next_opening(self, t: datetime) -> datetime:
        """The earliest moment at or after `t` when the office is open (`t` itself if open)."""
        local = self._local(t)
        span = self._hours_on(local.date())
        if span is not None:
            if local.time() < span[0]:
                return self._at(local.date(), span[0])
            if local.time() < span[1]:
                return local
        day = next(self._working_days(local.date() + timedelta(days=1)))
        return self._at(day, self._span(day)[0])

    def add_working_days(self, start: datetime, n: int) -> datetime:
        """The deadline N working days after `start` (rules in the module docstring)."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"n must be a whole number >= 0, not {n!r}")
        if n == 0:
            return self._local(start)
        for i, deadline in enumerate(self._day_deadlines(start), start=1):
            if i == n:
                return deadline
        raise AssertionError("unreachable: _day_deadlines never ends")

    def add_working_minutes(self, start: datetime, minutes: float) -> datetime:
        """The moment when `minutes` of office time have passed since `start`.

        Counting starts at the next opening; time that ends exactly at closing stays on that
        day (15:50 + 10 minutes on a day closing at 16:00 is 16:00, not the next morning).
        """
        remaining = timedelta(minutes=minutes)
        if remaining < timedelta(0):
            raise ValueError(f"minutes must be >= 0, not {minutes!r}")
        current = self._local(start)
        if not remaining:
            return current
        current = self.next_opening(current)
        while True:
            closing = self._at(current.date(), self._span(current.date())[1])
            available = closing - current
            if remaining <= available:
                return current + remaining
            remaining -= available
            current = self.next_opening(closing)

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Office time between `a` and `b` (negative if `b` is before `a`), for reports."""
        start, end = self._local(a), self._local(b)
        if end < start:
            return -self.working_time_between(b, a)
        total = timedelta(0)
        day = start.date()
        while day <= end.date():
            span = self._hours_on(day)
            if span is not None:
                opened = max(self._at(day, span[0]), start)
                closed = min(self._at(day, span[1]), end)
                if closed > opened:
                    total += closed - opened
            day += timedelta(days=1)
        return total

    def working_days_overdue(self, deadline: datetime, now: datetime) -> int:
        """Whole working days by which `now` is past `deadline` (0 if not yet a full day).

        Day k is complete once `add_working_days(deadline, k)` has passed, so a reminder rule
        "one per working day" and an escalation rule "after k working days" both read this.
        """
        current = self._local(now)
        if current <= self._local(deadline):
            return 0
        for count, threshold in enumerate(self._day_deadlines(deadline)):
            if threshold > current:
                return count
        raise AssertionError("unreachable: _day_deadlines never ends")

    # -- internals ------------------------------------------------------------------------

    def _local(self, t: datetime) -> datetime:
        if not isinstance(t, datetime):
            raise TypeError(f"expected a datetime, not {type(t).__name__}")
        if t.tzinfo is None or t.utcoffset() is None:
            raise ValueError(f"naive datetime {t.isoformat()}: give a timezone-aware datetime")
        return t.astimezone(self.tz)

    def _day(self, d: date) -> date:
        # An aware datetime stands for its date in the office's zone, never the machine's.
        return self._local(d).date() if isinstance(d, datetime) else d

    def _at(self, d: date, clock: time) -> datetime:
        return datetime.combine(d, clock, tzinfo=self.tz)

    def _holidays(self, year: int) -> dict[date, str]:
        cached = self._years.get(year)
        if cached is None:
            days = holidays.country_holidays(
                "ID", years=year, categories=self._categories, language="id"
            )
            cached = self._years[year] = dict(days.items())
        return cached

    def _hours_on(self, d: date) -> tuple[time, time] | None:
        span = self.hours[d.weekday()]
        if span is None or d in self.extra_days_off or d in self._holidays(d.year):
            return None
        return span

    def _span(self, d: date) -> tuple[time, time]:
        span = self._hours_on(d)
        if span is None:
            raise AssertionError(f"{d} is not a working day")
        return span

    def _working_days(self, first: date) -> Iterator[date]:
        """Working days from `first` (included) onwards, without end."""
        day, idle = first, 0
        while True:
            if self._hours_on(day) is not None:
                idle = 0
                yield day
            else:
                idle += 1
                if idle > _MAX_DAYS_WITHOUT_WORK:
                    raise ValueError(f"no working day within {_MAX_DAYS_WITHOUT_WORK} days "
                                     f"after {first}: check the office hours and days off")
            day += timedelta(days=1)

    def _day_deadlines(self, start: datetime) -> Iterator[datetime]:
        """`add_working_days(start, n)` for n = 1, 2, 3, ... in one walk over the days."""
        local = self._local(start)
        if self.is_open(local):
            clock = local.time()
            for day in self._working_days(local.date() + timedelta(days=1)):
                opening, closing = self._span(day)
                yield self._at(day, min(max(clock, opening), closing))
        else:
            for day in self._working_days(self.next_opening(local).date()):
                yield self._at(day, self._span(day)[1])
