"""A misspelt key or table in the config stops the load and names itself, with the key it
probably meant: left alone it would silently keep the default in force (`smtp_prot = 25`
leaves the port at its default, `[recipient]` leaves the Camat without escalations)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from aduan_sync import config
from aduan_sync.cli import cli
from aduan_sync.errors import EXIT_CONFIG, ConfigError

MINIMAL = """
[source]
path = "aduan.xlsx"
[ppid]
email = "ppid@example.go.id"
"""


def load(tmp_path: Path, text: str) -> list[config.Config]:
    path = tmp_path / "aduan.toml"
    path.write_text(text, encoding="utf-8")
    return config.load_all(path)


TYPOS = [
    # (table, the misspelt line, the key named, the key suggested)
    ("office", 'timzone = "Asia/Jakarta"', "office.timzone", "timezone"),
    ("source", 'worksheets = "Form"', "source.worksheets", "worksheet"),
    ("storage", 'archive = "arsip"', "storage.archive", "archive_dir"),
    ("register", 'formt = "{seq}"', "register.formt", "format"),
    ("mail", "smtp_prot = 25", "mail.smtp_prot", "smtp_port"),
    ("mail", 'smtp_pasword_env = "SANDI"', "mail.smtp_pasword_env", "smtp_password_env"),
    ("ppid", 'nama = "PPID"', "ppid.nama", "name"),
    ("recipients", 'camat_mail = "camat@example.go.id"', "recipients.camat_mail",
     "camat_email"),
    ("schedule", "interval_minute = 5", "schedule.interval_minute", "interval_minutes"),
    ("classification", 'rule_file = "kategori.toml"', "classification.rule_file",
     "rules_file"),
    ("reminders", 'digest_tme = "07:30"', "reminders.digest_tme", "digest_time"),
    ("attachments", "max_mbs = 5", "attachments.max_mbs", "max_mb"),
]


@pytest.mark.parametrize(("table", "line", "key", "meant"), TYPOS, ids=[t[2] for t in TYPOS])
def test_a_misspelt_key_is_named_with_the_key_it_probably_meant(tmp_path, table, line, key,
                                                                 meant):
    raw = tomllib.loads(MINIMAL)
    body = "".join(f"[{t}]\n" + "".join(f"{k} = {v!r}\n".replace("'", '"')
                                         for k, v in raw[t].items()) for t in raw
                   if t != table)
    section = "".join(f"{k} = {v!r}\n".replace("'", '"') for k, v in raw.get(table, {}).items())
    with pytest.raises(ConfigError) as info:
        load(tmp_path, f"{body}[{table}]\n{section}{line}\n")
    assert info.value.key == key
    assert f"kunci tidak dikenal (mungkin maksudnya `{meant}`?); pilihan: " in str(info.value)
    assert str(tmp_path / "aduan.toml") in str(info.value)


def test_a_key_like_no_other_lists_the_known_ones_without_a_guess(tmp_path):
    with pytest.raises(ConfigError) as info:
        load(tmp_path, MINIMAL + "[mail]\nwarna_kop = \"biru\"\n")
    message = str(info.value)
    assert info.value.key == "mail.warna_kop" and "mungkin" not in message
    known = re.search(r"pilihan: ([^\[]+) \[", message)
    assert known is not None
    assert {"backend", "sender", "smtp_port", "templates_dir"} <= set(known[1].split(", "))


def test_a_misspelt_table_is_named_first_with_the_table_it_probably_meant(tmp_path):
    # Its keys never reach [recipients]; and a [mial] would otherwise surface as some other
    # key missing.
    with pytest.raises(ConfigError) as info:
        load(tmp_path, MINIMAL + '[recipient]\ncamat_email = "camat@example.go.id"\n')
    assert info.value.key == "recipient"
    assert "bagian tidak dikenal (mungkin maksudnya `recipients`?)" in str(info.value)
    with pytest.raises(ConfigError) as info:
        load(tmp_path, '[mial]\nsender = "x@example.go.id"\n[source]\nbackend = "google"\n')
    assert info.value.key == "mial"


def test_a_misspelt_key_in_one_of_several_sources_names_that_source(tmp_path):
    text = MINIMAL.replace("[source]\npath = \"aduan.xlsx\"\n", "") + """
[[sources]]
name = "web"
path = "web.xlsx"
register_format = "{seq:03d}/ADUAN-WEB/{month_roman}/{year}"
[[sources]]
name = "loket"
pth = "loket.xlsx"
"""
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text)
    assert info.value.key == "sources[2].pth"
    assert "mungkin maksudnya `path`?" in str(info.value)


def test_every_key_the_example_config_documents_is_accepted(tmp_path):
    """The commented reference shows keys as `# key = value` lines: each, uncommented in its
    own table, loads (a documented key the loader refused would be a broken promise)."""
    example = (Path(config.__file__).parent.parent / "config" / "aduan.example.toml")
    lines = example.read_text(encoding="utf-8").splitlines()
    table, tried = "", []
    for line in lines:
        if m := re.match(r"^\[([a-z_.]+)\]$", line):
            table = m[1]
        elif line.startswith("# [[sources]]"):
            table = ""  # the commented multi-source example: tested with [[sources]]
        m = re.match(r"^# ?([a-z_]+) = (.+)$", line)
        if not (m and table and "." not in table):
            continue
        text = f'{MINIMAL}[{table}]\n{m[1]} = {m[2]}\n' if table not in ("ppid", "source") \
            else MINIMAL.replace(f"[{table}]\n", f"[{table}]\n{m[1]} = {m[2]}\n")
        try:
            load(tmp_path, text)
        except ConfigError as e:  # a value may be refused (a sample ID): never the key
            assert "tidak dikenal" not in str(e), (table, line)
        tried.append(f"{table}.{m[1]}")
    assert {"source.timeout_seconds", "mail.smtp_port", "mail.templates_dir",
            "recipients.camat_email", "schedule.interval_seconds",
            "classification.rules_file"} <= set(tried)


def test_check_and_sync_exit_2_on_a_misspelt_key(tmp_path):
    (tmp_path / "aduan.toml").write_text(MINIMAL + "[mail]\nsmtp_prot = 25\n",
                                         encoding="utf-8")
    for command in ("check", "sync"):
        res = CliRunner().invoke(cli, ["--config", str(tmp_path / "aduan.toml"), command],
                                 obj={}, catch_exceptions=False)
        assert res.exit_code == EXIT_CONFIG
        assert "mail.smtp_prot" in res.output and "smtp_port" in res.output
