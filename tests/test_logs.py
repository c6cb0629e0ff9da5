"""What reaches a terminal or a journal: masked log lines in two formats, and progress bars
that appear only on a terminal."""

from __future__ import annotations

import io
import json
import logging
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aduan_sync import config as config_mod
from aduan_sync import logs, progress
from aduan_sync.logs import mask, register_config_secrets, register_secret, setup_logging
from aduan_sync.scheduler import run_sources
from tests.conftest import CONFIG_TEMPLATE, FORM_HEADERS, ROAD, at, form_row, write_book

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(REPO)}

NIK = "3313064501800001"
PHONE = "081234567890"
EMAIL = "sri.lestari@example.com"


class Tty(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    for h in list(root.handlers):
        if h not in handlers:
            root.removeHandler(h)
    root.setLevel(level)
    logs._secrets.clear()


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# -- the mask itself ------------------------------------------------------------------------

@pytest.mark.parametrize("raw", [
    "3313064501800001", "3313 0645 0180 0001", "33.13.06.450180.0001", "NIK3313064501800001",
    "3.313064501800001e+15",  # a NIK a spreadsheet turned into a float
])
def test_nik_in_any_common_spelling_is_masked(raw):
    out = mask(f"NIK pelapor: {raw}.")
    assert "[NIK]" in out and "0001" not in out and "313064" not in out


@pytest.mark.parametrize("raw", [
    "081234567890", "0812-3456-7890", "0812 3456 789", "+62 812-3456-7890", "+6281234567890",
    "6281234567890", "0062 81234567890", "81234567890",  # the last: leading zero eaten by Excel
])
def test_indonesian_mobile_numbers_are_masked(raw):
    out = mask(f"hubungi {raw} segera")
    assert out == "hubungi [NOMOR-HP] segera"


def test_email_keeps_only_its_domain():
    assert mask(f"dikirim ke {EMAIL}, tembusan ppid@kecamatan-jenawi.example") == (
        "dikirim ke ***@example.com, tembusan ***@kecamatan-jenawi.example")


@pytest.mark.parametrize("text", [
    "Sumber utama: proses selesai: 34 baris, 3 aduan baru, 0.42 detik.",
    "Nomor register 001/ADUAN/XI/2026, batas 24/11/2026 08:00",
    "2026-11-24T09:00:00.123+07:00 started",
    "sha256 9f81234567890123abcdef, 120 permintaan API, port 587, pid 123456",
])
def test_ordinary_operational_text_is_left_alone(text):
    assert mask(text) == text


@pytest.mark.parametrize("raw, leaked", [
    ("password=hunter2-rahasia", "hunter2-rahasia"),
    ('{"smtp_password": "s3cr3t-value"}', "s3cr3t-value"),
    ("Authorization: Bearer ya29.a0AfH6SMBx-token", "a0AfH6SMBx"),
    ("smtp://ppid:KataSandi99@mail.jenawi.go.id:587", "KataSandi99"),
    ("AUTH PLAIN AHBwaWQAS2F0YVNhbmRpOTk=", "AHBwaWQAS2F0YVNhbmRpOTk="),
    ('"private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADAN\\n-----END PRIVATE KEY-----\\n"',
     "MIIEvQIBADAN"),
    ("refresh_token=1//0gLx-abcdef", "0gLx-abcdef"),
])
def test_credentials_never_appear(raw, leaked):
    assert leaked not in mask(raw)


# -- through the real logging setup -----------------------------------------------------------

def test_json_lines_mask_message_args_extras_and_traceback(restore_logging):
    out = io.StringIO()
    setup_logging("json", "info", stream=out)
    log = logging.getLogger("aduan_sync.test")
    try:
        raise ValueError(f"baris rusak: {NIK} {EMAIL}")
    except ValueError:
        log.exception("Pelapor %s (%s) NIK %s", EMAIL, PHONE, NIK,
                      extra={"row": {"nik": NIK, "hp": 81234567890, "emails": [EMAIL]}})
    text = out.getvalue()
    for raw in (NIK, PHONE, EMAIL, "81234567890", "sri.lestari"):
        assert raw not in text
    (line,) = json_lines(text)
    assert line["message"] == "Pelapor ***@example.com ([NOMOR-HP]) NIK [NIK]"
    assert line["level"] == "ERROR" and line["logger"] == "aduan_sync.test"
    assert line["row"] == {"nik": "[NIK]", "hp": "[NOMOR-HP]", "emails": ["***@example.com"]}
    assert "ValueError: baris rusak: [NIK] ***@example.com" in line["exception"]


def test_records_from_other_libraries_are_masked_too(restore_logging):
    out = io.StringIO()
    setup_logging("json", "debug", stream=out)
    logging.getLogger("urllib3.connectionpool").debug("POST /send?to=%s&hp=%s", EMAIL, PHONE)
    logging.getLogger("apscheduler.scheduler").warning("job for %s failed", NIK)
    text = out.getvalue()
    assert EMAIL not in text and PHONE not in text and NIK not in text
    assert len(json_lines(text)) == 2


def test_terminal_gets_human_lines_and_other_streams_get_json(restore_logging):
    tty, pipe = Tty(), io.StringIO()
    setup_logging("auto", "info", stream=tty)
    logging.getLogger("aduan_sync.x").info("Aduan dari %s diterima.", EMAIL)
    setup_logging("auto", "info", stream=pipe)
    logging.getLogger("aduan_sync.x").info("Aduan dari %s diterima.", EMAIL)
    human = tty.getvalue()
    assert " INFO    Aduan dari ***@example.com diterima." in human
    assert not human.lstrip().startswith("{")
    assert json_lines(pipe.getvalue())[0]["message"] == "Aduan dari ***@example.com diterima."


def test_log_format_json_forces_json_even_on_a_terminal(restore_logging):
    tty = Tty()
    setup_logging("json", "info", stream=tty)
    logging.getLogger("aduan_sync.x").warning("x")
    assert json_lines(tty.getvalue())[0]["level"] == "WARNING"


def test_smtp_password_from_the_config_never_reaches_the_log(restore_logging, tmp_path):
    (tmp_path / "pw").write_text("isi-berkas-rahasia\n", encoding="utf-8")
    raw = CONFIG_TEMPLATE.replace('backend = "outbox"', 'backend = "smtp"\n'
                                  'smtp_password_env = "ADUAN_SMTP_PASSWORD"')
    (tmp_path / "a.toml").write_text(raw, encoding="utf-8")
    (tmp_path / "b.toml").write_text(raw.replace('smtp_password_env = "ADUAN_SMTP_PASSWORD"',
                                                 'smtp_password_file = "pw"'), encoding="utf-8")
    cfgs = [config_mod.load(tmp_path / "a.toml"), config_mod.load(tmp_path / "b.toml")]
    register_config_secrets(cfgs, {"ADUAN_SMTP_PASSWORD": "Jenawi#2026!"})
    out = io.StringIO()
    setup_logging("human", "info", stream=out)
    logging.getLogger("smtplib").info("login ppid Jenawi#2026! / isi-berkas-rahasia ditolak")
    assert "Jenawi#2026!" not in out.getvalue() and "isi-berkas-rahasia" not in out.getvalue()
    assert "login ppid *** / *** ditolak" in out.getvalue()


def test_registering_a_tiny_secret_does_not_mask_everything(restore_logging):
    register_secret("a")
    assert mask("aduan baru") == "aduan baru"


def test_uncaught_exception_is_logged_masked_not_printed_raw(tmp_path):
    code = ("from aduan_sync.logs import setup_logging, install_excepthooks\n"
            "setup_logging('json'); install_excepthooks()\n"
            f"raise RuntimeError('gagal untuk NIK {NIK} email {EMAIL}')\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV,
                         timeout=60)
    assert res.returncode == 1
    assert NIK not in res.stderr and EMAIL not in res.stderr
    (line,) = json_lines(res.stderr)
    assert line["level"] == "CRITICAL"
    assert "RuntimeError: gagal untuk NIK [NIK]" in line["exception"]


def test_pass_summary_is_one_json_line_with_counts_and_row_problems_are_masked(
        restore_logging, workspace):
    rows = [form_row(at(2026, 11, 23, 8, i), ROAD, name=f"Warga {i}") for i in range(3)]
    for r in rows:
        r[0] = r[0].replace(tzinfo=None)
    headers = [*FORM_HEADERS, "Nomor Register"]
    # Staff pasted a contact into the register column: the pass reports it, quoting the cell.
    rows[1].append(f"hubungi {PHONE} / {EMAIL}")
    write_book(workspace / "form.xlsx", headers, rows)
    out = io.StringIO()
    setup_logging("json", "info", stream=out)
    (outcome,) = run_sources([config_mod.load(workspace / "aduan.toml")])
    assert outcome.result is not None and len(outcome.result.problems) == 1
    lines = json_lines(out.getvalue())
    summary = [x for x in lines if x.get("event") == "pass"]
    assert len(summary) == 1
    s = summary[0]
    assert (s["rows"], s["registered"], s["problems"], s["source"]) == (3, 2, 1, "utama")
    assert s["api_requests"] == 0 and 0 <= s["duration_seconds"] < 60
    problem = next(x for x in lines if x.get("event") == "row_problem")
    assert "[NOMOR-HP]" in problem["message"] and "***@example.com" in problem["message"]
    assert PHONE not in out.getvalue() and EMAIL not in out.getvalue()


# -- progress ---------------------------------------------------------------------------------

def test_track_draws_nothing_when_stdout_is_not_a_terminal():
    sink = io.StringIO()
    with progress.interactive(sink) as on:
        items = list(progress.track(range(100), "Menulis arsip"))
    assert on is False and items == list(range(100)) and sink.getvalue() == ""


def test_track_draws_nothing_outside_an_interactive_block_even_on_a_terminal():
    assert list(progress.track(range(50), "x")) == list(range(50))
    tty = Tty()
    with progress.interactive(tty, enabled=False):
        list(progress.track(range(50), "x"))
    assert tty.getvalue() == ""


def big_workspace(workspace: Path, n: int) -> Path:
    rows = [form_row(at(2026, 11, 2, 8, 0).replace(minute=i % 60, hour=8 + i // 60), ROAD,
                     name=f"Warga {i}") for i in range(n)]
    for r in rows:
        r[0] = r[0].replace(tzinfo=None)
    write_book(workspace / "form.xlsx", FORM_HEADERS, rows)
    return workspace / "aduan.toml"


def read_pty(fd: int, proc: subprocess.Popen, deadline: float) -> bytes:
    chunks = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    return b"".join(chunks)


def test_first_import_of_a_big_sheet_shows_progress_on_a_terminal(workspace):
    cfg = big_workspace(workspace, 40)
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "aduan_sync", "--config", str(cfg), "sync"],
                            stdout=slave, stderr=subprocess.DEVNULL, env=ENV)
    os.close(slave)
    try:
        out = read_pty(master, proc, time.monotonic() + 90).decode("utf-8", "replace")
    finally:
        os.close(master)
    assert proc.wait(timeout=30) == 0
    assert "Mendaftarkan aduan baru" in out and "/40" in out
    assert "Aduan baru terdaftar: 40" in out


def test_the_same_import_piped_prints_only_the_summary(workspace):
    cfg = big_workspace(workspace, 40)
    res = subprocess.run([sys.executable, "-m", "aduan_sync", "--config", str(cfg), "sync"],
                         capture_output=True, text=True, env=ENV, timeout=90)
    assert res.returncode == 0, res.stderr
    assert "Mendaftarkan" not in res.stdout and "\x1b[" not in res.stdout
    assert res.stdout.startswith("Aduan baru terdaftar: 40")
