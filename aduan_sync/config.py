"""Parse and validate the TOML config once, at the edge, into typed objects.

Nothing deeper reads files or environment variables on its own. Relative paths are relative to
the config file's folder. Errors name the key and the file (in Indonesian, for the operator).

This module finds and reads the file and makes one `Config` per source; the objects are in
`aduan_sync.config_types` and the reading of each table in `aduan_sync.config_sections`. Code
elsewhere imports all of it from here.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from aduan_sync import config_sections as sections
from aduan_sync import defaults
from aduan_sync.config_sections import is_valid_email
from aduan_sync.config_types import (
    DEFAULT_UNITS,
    MAX_PARALLEL_DOWNLOADS,
    PACKAGE_DIR,
    PACKAGED_CONFIG,
    PACKAGED_TEMPLATES,
    AttachmentsConfig,
    CalendarConfig,
    ClassificationConfig,
    Config,
    MailConfig,
    OfficeConfig,
    PersonConfig,
    RecipientsConfig,
    RegisterConfig,
    RemindersConfig,
    ScheduleConfig,
    SourceConfig,
    StorageConfig,
)
from aduan_sync.errors import ConfigError

__all__ = [
    "DEFAULT_UNITS",
    "MAX_PARALLEL_DOWNLOADS",
    "PACKAGE_DIR",
    "PACKAGED_CONFIG",
    "PACKAGED_TEMPLATES",
    "AttachmentsConfig",
    "CalendarConfig",
    "ClassificationConfig",
    "Config",
    "ConfigError",
    "MailConfig",
    "OfficeConfig",
    "PersonConfig",
    "RecipientsConfig",
    "RegisterConfig",
    "RemindersConfig",
    "ScheduleConfig",
    "SourceConfig",
    "StorageConfig",
    "from_mapping",
    "is_valid_email",
    "load",
    "load_all",
    "resolve_config_path",
    "sources_from_mapping",
]


def resolve_config_path(flag: str | os.PathLike[str] | None, env: Mapping[str, str]) -> Path:
    """`--config`, else `$ADUAN_SYNC_CONFIG`, else `config/aduan.toml`."""
    raw = flag or env.get(defaults.CONFIG_ENV) or defaults.CONFIG_PATH
    return Path(raw).expanduser().resolve()


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(
            "berkas konfigurasi tidak ditemukan. Buat dengan `aduan-sync init`.", path=path
        )
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"format TOML rusak: {e}", path=path) from e


def load(path: Path) -> Config:
    """Read and validate the config file at `path` (one `[source]`; see `load_all`)."""
    raw = _read_toml(path)
    if "sources" in raw:
        raise ConfigError("berkas ini memuat beberapa sumber ([[sources]]); perintah ini hanya "
                          "menangani satu sumber", key="sources", path=path)
    return from_mapping(raw, path)


def load_all(path: Path) -> list[Config]:
    """One `Config` per source: each `[[sources]]` table, or the single `[source]` as is."""
    raw = _read_toml(path)
    return sources_from_mapping(raw, path) if "sources" in raw else [from_mapping(raw, path)]


#: A source's name becomes a folder name under data_dir and archive_dir.
_SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def sources_from_mapping(raw: Mapping[str, Any], path: Path) -> list[Config]:
    """`[[sources]]`: the keys of `[source]` plus `name` (and an optional `register_format`).

    Each source gets its own ledger, numbering, lock and archive: sub-folders named after it in
    `data_dir` and `archive_dir`. Register numbers must not read alike across sources (they
    also make the Message-IDs of the mail), so two sources need two register formats.
    """
    tables = raw.get("sources")
    if "source" in raw:
        raise ConfigError("gunakan [source] untuk satu sumber atau [[sources]] untuk beberapa "
                          "sumber, tidak keduanya", key="sources", path=path)
    if not isinstance(tables, list) or not tables or not all(
            isinstance(t, Mapping) for t in tables):
        raise ConfigError("harus berupa satu atau lebih tabel [[sources]]", key="sources",
                          path=path)
    configs: list[Config] = []
    samples: dict[str, str] = {}
    for i, table in enumerate(tables, start=1):
        where = f"sources[{i}]"
        name = table.get("name")
        if not isinstance(name, str) or not _SOURCE_NAME.match(name):
            raise ConfigError('wajib diisi dengan nama pendek (huruf kecil, angka, "-" atau '
                              '"_"; menjadi nama folder), misalnya "web" atau "loket"',
                              key=f"{where}.name", path=path)
        if any(c.source.name == name for c in configs):
            raise ConfigError(f"nama sumber {name!r} dipakai lebih dari sekali",
                              key=f"{where}.name", path=path)
        register = dict(sections.Section(raw, "register", path).data)  # a table, or refused
        if "register_format" in table:
            register["format"] = table["register_format"]
        sub = {**raw, "source": {k: v for k, v in table.items() if k != "register_format"},
               "register": register}
        del sub["sources"]
        try:
            cfg = from_mapping(sub, path)
        except ConfigError as e:
            raise _in_source(e, where, name, path) from e
        sample = cfg.register.format.format(seq=7, month_roman="XI", month=11, year=2026,
                                            yy="26")
        if sample in samples:
            raise ConfigError(
                f"sumber {name!r} dan {samples[sample]!r} akan memberi nomor register yang sama; "
                'beri setiap sumber format sendiri, misalnya register_format = '
                '"{seq:03d}/ADUAN-LOKET/{month_roman}/{year}"',
                key=f"{where}.register_format", path=path)
        samples[sample] = name
        storage = StorageConfig(data_dir=cfg.storage.data_dir / name,
                                archive_dir=cfg.storage.archive_dir / name)
        configs.append(replace(cfg, storage=storage))
    return configs


def _in_source(e: ConfigError, where: str, name: str, path: Path) -> ConfigError:
    """The same error, naming `sources[i].key` instead of `source.key`."""
    reason = e.message.removeprefix("Konfigurasi tidak valid: ").rpartition(" [")[0] or e.message
    key = e.key or ""
    key = f"{where}.{key.removeprefix('source.')}" if key.startswith("source.") else key
    return ConfigError(f"{reason} (sumber {name!r})", key=key or None, path=path)



#: The config's tables (`[[sources]]` is unpacked into `[source]` before `from_mapping`).
TABLES = ("office", "source", "storage", "register", "mail", "ppid", "recipients", "schedule",
          "classification", "fields", "columns", "calendar", "sla", "reminders", "attachments")


def from_mapping(raw: Mapping[str, Any], path: Path) -> Config:
    """Build a `Config` from parsed TOML, as if read from `path`."""
    path = path.resolve()
    for name in raw:  # first: a misspelt `[mial]` would otherwise surface as "sender missing"
        if name not in TABLES:
            raise ConfigError(sections.unknown_key(name, TABLES, "bagian"), key=name, path=path)
    # Tables are read in this order and the first bad key stops the load, so the order decides
    # which error an operator with several mistakes sees first: keep it.
    office = sections.office_config(raw, path)
    source = sections.source_config(raw, path)
    storage = sections.storage_config(raw, path)
    register = sections.register_config(raw, path)
    mail = sections.mail_config(raw, path)
    ppid = sections.ppid_config(raw, path)
    recipients = sections.recipients_config(raw, path)
    schedule = sections.schedule_config(raw, path)
    classification = sections.classification_config(raw, path)
    aliases = sections.field_aliases(raw, path)
    worker_headers = sections.worker_headers(raw, path)
    return Config(
        path=path,
        office=office,
        source=source,
        storage=storage,
        register=register,
        mail=mail,
        ppid=ppid,
        recipients=recipients,
        schedule=schedule,
        classification=classification,
        field_aliases=aliases,
        worker_headers=worker_headers,
        raw=raw,
        calendar=sections.calendar_config(raw, path),
        sla=sections.sla_config(raw, path),
        reminders=sections.reminders_config(raw, path),
        attachments=sections.attachments_config(raw, path),
    )
