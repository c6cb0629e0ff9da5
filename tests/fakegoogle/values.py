"""Cell values as Sheets stores, parses and renders them.

The fake stores what Google stores: text, numbers (always doubles), booleans, formulas, and
date-times (numbers with a date format, kept here as naive `datetime` in the sheet's wall-clock
time). Reading renders them per `valueRenderOption` / `dateTimeRenderOption` and locale.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from tests.fakegoogle.errors import ApiError

#: Day 0 of Sheets' serial numbers (the Lotus 1-2-3 convention).
EPOCH = datetime(1899, 12, 30)
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_HYPERLINK = re.compile(r'^=HYPERLINK\(\s*"([^"]*)"\s*(?:[,;]\s*"([^"]*)"\s*)?\)$', re.I)

VALUE_RENDER = ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA")
DATETIME_RENDER = ("SERIAL_NUMBER", "FORMATTED_STRING")
VALUE_INPUT = ("RAW", "USER_ENTERED")


class Formula(str):
    """A cell holding a formula (only ever created by USER_ENTERED input or formulaValue)."""


def to_serial(dt: datetime) -> float:
    """Naive wall-clock datetime -> Sheets serial number."""
    return (dt - EPOCH) / timedelta(days=1)


def from_serial(serial: float) -> datetime:
    return EPOCH + timedelta(milliseconds=round(serial * 86_400_000))


def parse_user_entered(text: str) -> Any:
    """What Sheets makes of typed text: numbers lose leading zeros, `=` starts a formula."""
    if text.startswith("'"):
        return text[1:]
    if text.startswith("="):
        return Formula(text)
    if _NUMBER.match(text.strip()):
        return float(text)
    if text.upper() in ("TRUE", "FALSE"):
        return text.upper() == "TRUE"
    return text


def input_value(value: Any, option: str) -> tuple[bool, Any]:
    """(skip, stored value) for one value of a write. JSON null skips the cell."""
    if value is None:
        return True, None
    if isinstance(value, bool):
        return False, value
    if isinstance(value, int | float):
        return False, float(value)
    if not isinstance(value, str):
        raise ApiError(400, f"Invalid value at 'data.values' ({type(value).__name__})")
    if value == "":
        return False, None
    return False, parse_user_entered(value) if option == "USER_ENTERED" else value


def json_number(x: float) -> int | float:
    """Google sends whole doubles below 1e15 as integers, larger ones as doubles."""
    if x.is_integer() and abs(x) < 1e15:
        return int(x)
    return x


def format_datetime(dt: datetime, locale: str) -> str:
    """The default date-time format Google Forms timestamps get in a few locales."""
    if locale.startswith("id"):
        return f"{dt.day:02d}/{dt.month:02d}/{dt.year} {dt.hour}.{dt.minute:02d}.{dt.second:02d}"
    if locale in ("en_US", "en"):
        return f"{dt.month}/{dt.day}/{dt.year} {dt.hour}:{dt.minute:02d}:{dt.second:02d}"
    return f"{dt.day:02d}/{dt.month:02d}/{dt.year} {dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}"


def _formula_result(f: Formula) -> str:
    m = _HYPERLINK.match(f)
    if m:
        return m.group(2) if m.group(2) is not None else m.group(1)
    return "#NAME?"


def render(value: Any, value_render: str, dt_render: str, locale: str) -> Any:
    """One stored value as `values.get` returns it."""
    if isinstance(value, Formula):
        return str(value) if value_render == "FORMULA" else _formula_result(value)
    if isinstance(value, datetime):
        if value_render != "FORMATTED_VALUE" and dt_render == "SERIAL_NUMBER":
            return json_number(to_serial(value))
        return format_datetime(value, locale)
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE") if value_render == "FORMATTED_VALUE" else value
    if isinstance(value, float):
        if value_render == "FORMATTED_VALUE":
            return str(int(value)) if value.is_integer() else repr(value)
        return json_number(value)
    return value


def cell_data_value(cell: dict[str, Any]) -> Any:
    """The stored value of an `updateCells` CellData (`userEnteredValue`); None clears."""
    uev = cell.get("userEnteredValue")
    if not uev:
        return None
    if "stringValue" in uev:
        return uev["stringValue"] or None
    if "numberValue" in uev:
        return float(uev["numberValue"])
    if "boolValue" in uev:
        return bool(uev["boolValue"])
    if "formulaValue" in uev:
        return Formula(uev["formulaValue"])
    raise ApiError(400, f"Invalid userEnteredValue: {sorted(uev)}")
