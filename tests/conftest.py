"""Shared fixtures: a config on a real .xlsx workbook in tmp_path, and helpers to read it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from click.testing import CliRunner, Result

from aduan_sync import config as config_mod
from aduan_sync.cli import cli
from aduan_sync.demo_data import DEMO_HEADERS

pytest_plugins = ["tests.fakegoogle.fixtures"]

JAKARTA = ZoneInfo("Asia/Jakarta")

FORM_HEADERS = list(DEMO_HEADERS)


def form_row(ts: datetime, text: str, *, name: str = "Sri Lestari",
             email: str = "sri@example.com", phone: Any = 81234567890,
             desa: str = "Balong", nik: Any = 3313064501800001,
             channel: str = "Website", location: str = "") -> list[Any]:
    return [ts, email, name, nik, phone, desa, f"Dusun Krajan RT 01, {desa}", channel, text,
            location, ""]


ROAD = "Jalan desa di Dusun Tlogo rusak parah dan berlubang, mohon segera diperbaiki."
LIGHT = "Lampu penerangan jalan umum di depan balai desa mati sejak seminggu."
AID = "Bantuan sosial BLT untuk keluarga kami belum cair padahal sudah terdaftar di DTKS."


def naive_rows(n: int) -> list[list[Any]]:
    """`n` form rows a minute apart, road and street-light complaints in turn, their
    timestamps naive (openpyxl stores the sheet's wall clock)."""
    rows = []
    for i in range(n):
        r = form_row(at(2026, 11, 23, 8, i), ROAD if i % 2 else LIGHT, name=f"Warga {i}")
        r[0] = r[0].replace(tzinfo=None)
        rows.append(r)
    return rows


def write_book(path: Path, headers: list[str], rows: list[list[Any]],
               sheet: str = "Tanggapan Formulir 1") -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(headers)
    for r in rows:
        ws.append(r)
    other = wb.create_sheet("Catatan Petugas")
    other["A1"] = "milik petugas"
    wb.save(path)


def read_book(path: Path, sheet: str = "Tanggapan Formulir 1") -> list[dict[str, Any]]:
    """Data rows as dicts keyed by header."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    rows = list(ws.iter_rows(values_only=True))
    headers = [h for h in rows[0]]
    return [dict(zip(headers, r, strict=False)) for r in rows[1:] if any(v is not None for v in r)]


def edit_book(path: Path, fn: Callable[[Any], None], sheet: str = "Tanggapan Formulir 1") -> None:
    wb = openpyxl.load_workbook(path)
    fn(wb[sheet])
    wb.save(path)


CONFIG_TEMPLATE = """
[office]
timezone = "Asia/Jakarta"
[source]
backend = "xlsx"
path = "form.xlsx"
[storage]
data_dir = "data"
archive_dir = "arsip"
[mail]
backend = "outbox"
sender = "ppid@kecamatan-jenawi.example"
outbox_dir = "outbox"
[ppid]
email = "ppid@kecamatan-jenawi.example"
"""


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "aduan.toml").write_text(CONFIG_TEMPLATE, encoding="utf-8")
    return tmp_path


@pytest.fixture
def cfg(workspace: Path) -> config_mod.Config:
    return config_mod.load(workspace / "aduan.toml")


def at(*args: int) -> datetime:
    """An office-local aware datetime."""
    return datetime(*args, tzinfo=JAKARTA)


def invoke(workspace: Path, *args: str) -> Result:
    """`aduan-sync --config <workspace>/aduan.toml ARGS`, in this process."""
    return CliRunner().invoke(cli, ["--config", str(workspace / "aduan.toml"), *args],
                              obj={}, catch_exceptions=False)
