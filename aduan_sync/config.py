"""Parse and validate the TOML config once, at the edge, into typed objects.

Nothing deeper reads files or environment variables on its own. Relative paths are relative to
the config file's folder. Errors name the key and the file (in Indonesian, for the operator).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aduan_sync import defaults
from aduan_sync.calendar import DEFAULT_OFFICE_HOURS, WorkingCalendar, parse_hours, weekday_number
from aduan_sync.deadlines import ComplaintKind, SlaConfig
from aduan_sync.errors import ConfigError
from aduan_sync.model import DEFAULT_CATEGORIES, FORM_FIELDS, WORKER_COLUMNS

_EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")

PACKAGE_DIR = Path(__file__).resolve().parent
#: Default templates and rules shipped inside the package (also copied by `init`).
PACKAGED_TEMPLATES = PACKAGE_DIR / "defaults" / "templates"
PACKAGED_CONFIG = PACKAGE_DIR / "defaults" / "config"


def is_valid_email(text: str) -> bool:
    """A plausible single address, with no CR/LF or other header-breaking characters."""
    return bool(_EMAIL.match(text)) and len(text) <= 254


@dataclass(frozen=True)
class OfficeConfig:
    name: str = defaults.OFFICE_NAME
    regency: str = defaults.OFFICE_REGENCY
    timezone: str = defaults.TIMEZONE
    address: str = "Jl. Raya Jenawi, Kecamatan Jenawi, Kabupaten Karanganyar, Jawa Tengah"
    camat_name: str = ""

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class SourceConfig:
    backend: str = "xlsx"  # "google" | "xlsx"
    name: str = "utama"
    # google
    spreadsheet_id: str = ""
    worksheet: str = ""
    credentials_file: Path | None = None
    api_endpoint: str = ""  # override of https://sheets.googleapis.com (emulators, proxies)
    token_uri: str = ""  # override of the OAuth token endpoint
    drive_endpoint: str = ""  # override of https://www.googleapis.com (Drive API)
    retry_max_seconds: float = defaults.GOOGLE_RETRY_SECONDS
    timeout_seconds: float = defaults.GOOGLE_TIMEOUT_SECONDS
    # xlsx
    path: Path | None = None


@dataclass(frozen=True)
class StorageConfig:
    data_dir: Path
    archive_dir: Path

    @property
    def ledger_path(self) -> Path:
        return self.data_dir / "ledger.sqlite3"

    @property
    def lock_path(self) -> Path:
        return self.data_dir / "aduan-sync.lock"


@dataclass(frozen=True)
class RegisterConfig:
    format: str = defaults.REGISTER_FORMAT


@dataclass(frozen=True)
class MailConfig:
    backend: str = "outbox"  # "smtp" | "gmail" | "outbox"
    sender: str = "ppid.jenawi@example.go.id"
    sender_name: str = "PPID Kecamatan Jenawi"
    smtp_host: str = "localhost"
    smtp_port: int = 0  # 0: by security (465 ssl, 587 starttls, 25 none)
    smtp_security: str = "starttls"  # "ssl" | "starttls" | "none"
    smtp_username: str = ""
    smtp_password_env: str = ""
    smtp_password_file: Path | None = None
    smtp_ca_file: Path | None = None  # extra CA bundle for a private mail server
    smtp_timeout: float = defaults.SMTP_TIMEOUT_SECONDS
    gmail_subject: str = ""  # user to impersonate with domain-wide delegation
    gmail_endpoint: str = ""  # override of https://gmail.googleapis.com (emulators, proxies)
    outbox_dir: Path = Path("outbox")
    templates_dir: Path | None = None  # None: the packaged templates
    max_attempts: int = defaults.MAIL_MAX_ATTEMPTS

    @property
    def port(self) -> int:
        if self.smtp_port:
            return self.smtp_port
        return {"ssl": 465, "starttls": 587}.get(self.smtp_security, 25)


@dataclass(frozen=True)
class PersonConfig:
    name: str = ""
    email: str = ""


@dataclass(frozen=True)
class RecipientsConfig:
    camat: PersonConfig = PersonConfig()
    admin: PersonConfig = PersonConfig()
    units: dict[str, str] = field(default_factory=dict)  # unit name -> email


@dataclass(frozen=True)
class ScheduleConfig:
    interval_minutes: float = defaults.INTERVAL_MINUTES
    interval_seconds: float = 0  # overrides interval_minutes when > 0 (tests, trials)

    @property
    def seconds(self) -> float:
        """Seconds between two scheduled passes of `aduan-sync run`."""
        return self.interval_seconds or self.interval_minutes * 60


@dataclass(frozen=True)
class ClassificationConfig:
    rules_file: Path | None = None  # None: the packaged rules
    units: dict[str, str] = field(default_factory=dict)  # category -> responsible unit
    categories: tuple[str, ...] = DEFAULT_CATEGORIES


@dataclass(frozen=True)
class CalendarConfig:
    """Office hours (index 0 = Monday; None = closed) and days off, from `[calendar]`."""

    office_hours: tuple[tuple[time, time] | None, ...] = tuple(
        DEFAULT_OFFICE_HOURS[d] for d in range(7)
    )
    extra_days_off: tuple[date, ...] = ()
    cuti_bersama: bool = True

    def working_calendar(self, tz: ZoneInfo) -> WorkingCalendar:
        """Build the calendar; build it once per process, it caches holiday years."""
        return WorkingCalendar(
            tz, dict(enumerate(self.office_hours)), self.extra_days_off, self.cuti_bersama
        )


@dataclass(frozen=True)
class RemindersConfig:
    """`[reminders]`: overdue reminders, escalation, the daily digest, duplicate detection."""

    escalate_after_working_days: int = 3  # overdue this long: the Camat is told
    digest_time: time = time(7, 30)  # office time; the digest goes out on working days
    duplicate_window_days: int = 14  # same contact, nearly the same text, within this window
    duplicate_similarity: float = 0.8  # 0..1, text similarity counted as "nearly the same"


#: Upper bound of `[attachments] parallel_downloads`.
MAX_PARALLEL_DOWNLOADS = 64


@dataclass(frozen=True)
class AttachmentsConfig:
    """`[attachments]`: files uploaded through the form, downloaded from Google Drive."""

    max_mb: float = 25.0  # per file; a larger one is listed with its link, not downloaded
    max_attempts: int = 5  # failed downloads (403, 404, broken file) before giving up
    max_files: int = 20  # per complaint: links beyond this many are not followed
    # Files downloaded at once, each thread on its own connection: Drive answers each in
    # ~100 ms or more, so one at a time would spend a big first import waiting. Drive's
    # quota is per minute (12,000 requests per user), which a burst of 32 stays far below.
    parallel_downloads: int = 32

    @property
    def max_bytes(self) -> int:
        return int(self.max_mb * 1024 * 1024)


DEFAULT_UNITS: dict[str, str] = {
    "Informasi Publik": "PPID Pelaksana Kecamatan",
    "Pelayanan Administrasi": "Seksi Pelayanan Umum",
    "Infrastruktur dan Pembangunan": "Seksi Pemberdayaan Masyarakat Desa",
    "Ketentraman dan Ketertiban": "Seksi Ketentraman dan Ketertiban Umum",
    "Kesejahteraan Sosial": "Seksi Kesejahteraan Sosial",
    "Pemerintahan Desa": "Seksi Tata Pemerintahan",
    "Lingkungan dan Kebencanaan": "Seksi Ketentraman dan Ketertiban Umum",
    "Kepegawaian dan Perilaku Aparatur": "Sekretariat Kecamatan",
    "Lainnya": "Sekretariat Kecamatan",
}


@dataclass(frozen=True)
class Config:
    path: Path  # the config file (absolute)
    office: OfficeConfig
    source: SourceConfig
    storage: StorageConfig
    register: RegisterConfig
    mail: MailConfig
    ppid: PersonConfig
    recipients: RecipientsConfig
    schedule: ScheduleConfig
    classification: ClassificationConfig
    field_aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    worker_headers: dict[str, str] = field(default_factory=dict)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)
    calendar: CalendarConfig = CalendarConfig()
    sla: SlaConfig = SlaConfig()
    reminders: RemindersConfig = field(default_factory=lambda: RemindersConfig())
    attachments: AttachmentsConfig = AttachmentsConfig()

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    @property
    def templates_dir(self) -> Path:
        return self.mail.templates_dir or PACKAGED_TEMPLATES

    @property
    def rules_file(self) -> Path:
        return self.classification.rules_file or (PACKAGED_CONFIG / "kategori.toml")

    def unit_for(self, category: str) -> str:
        return self.classification.units.get(category, DEFAULT_UNITS.get(category, ""))

    def worker_header(self, key: str) -> str:
        return self.worker_headers.get(key, WORKER_COLUMNS[key])


def resolve_config_path(flag: str | os.PathLike[str] | None, env: Mapping[str, str]) -> Path:
    """`--config`, else `$ADUAN_SYNC_CONFIG`, else `config/aduan.toml`."""
    raw = flag or env.get(defaults.CONFIG_ENV) or defaults.CONFIG_PATH
    return Path(raw).expanduser().resolve()


class _Section:
    """Typed reads from one TOML table, with errors that name `section.key` and the file."""

    def __init__(self, data: Mapping[str, Any], name: str, path: Path) -> None:
        self.data = data.get(name, {}) if name else data
        self.name = name
        self.path = path
        if not isinstance(self.data, Mapping):
            raise ConfigError("harus berupa tabel [..]", key=name, path=path)

    def key(self, k: str) -> str:
        return f"{self.name}.{k}" if self.name else k

    def fail(self, k: str, msg: str) -> ConfigError:
        return ConfigError(msg, key=self.key(k), path=self.path)

    def text(self, k: str, default: str = "") -> str:
        v = self.data.get(k, default)
        if not isinstance(v, str):
            raise self.fail(k, "harus berupa teks")
        return v.strip()

    def num(self, k: str, default: float, *, minimum: float = 0) -> float:
        v = self.data.get(k, default)
        if isinstance(v, bool) or not isinstance(v, int | float) or v < minimum:
            raise self.fail(k, f"harus berupa angka >= {minimum:g}")
        return float(v)

    def integer(self, k: str, default: int, *, minimum: int = 0) -> int:
        v = self.data.get(k, default)
        if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
            raise self.fail(k, f"harus berupa bilangan bulat >= {minimum}")
        return v

    def choice(self, k: str, default: str, choices: tuple[str, ...]) -> str:
        v = self.text(k, default)
        if v not in choices:
            raise self.fail(k, f"harus salah satu dari: {', '.join(choices)} (bukan {v!r})")
        return v

    def path_(self, k: str, base: Path, default: str | None = None) -> Path | None:
        v = self.text(k, default or "")
        if not v:
            return None
        p = Path(v).expanduser()
        return p if p.is_absolute() else (base / p).resolve()

    def email(self, k: str, default: str = "", *, required: bool = False) -> str:
        v = self.text(k, default)
        if not v and required:
            raise self.fail(k, "wajib diisi dengan alamat email")
        if v and not is_valid_email(v):
            raise self.fail(k, f"bukan alamat email yang valid: {v!r}")
        return v

    def table(self, k: str) -> Mapping[str, Any]:
        v = self.data.get(k, {})
        if not isinstance(v, Mapping):
            raise self.fail(k, "harus berupa tabel")
        return v


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
        register = dict(raw.get("register") or {})
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


def from_mapping(raw: Mapping[str, Any], path: Path) -> Config:
    """Build a `Config` from parsed TOML, as if read from `path`."""
    path = path.resolve()
    base = path.parent

    o = _Section(raw, "office", path)
    office = OfficeConfig(
        name=o.text("name", defaults.OFFICE_NAME),
        regency=o.text("regency", defaults.OFFICE_REGENCY),
        timezone=o.text("timezone", defaults.TIMEZONE),
        address=o.text("address", OfficeConfig.address),
        camat_name=o.text("camat_name"),
    )
    try:
        ZoneInfo(office.timezone)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise o.fail("timezone", f"zona waktu tidak dikenal: {office.timezone!r}") from e

    s = _Section(raw, "source", path)
    backend = s.choice("backend", "xlsx", ("google", "xlsx"))
    source = SourceConfig(
        backend=backend,
        name=s.text("name", "utama"),
        spreadsheet_id=_spreadsheet_id(s.text("spreadsheet_id")),
        worksheet=s.text("worksheet"),
        credentials_file=s.path_("credentials_file", base),
        api_endpoint=s.text("api_endpoint").rstrip("/"),
        token_uri=s.text("token_uri"),
        drive_endpoint=s.text("drive_endpoint").rstrip("/"),
        retry_max_seconds=s.num("retry_max_seconds", defaults.GOOGLE_RETRY_SECONDS),
        timeout_seconds=s.num("timeout_seconds", defaults.GOOGLE_TIMEOUT_SECONDS, minimum=1),
        path=s.path_("path", base),
    )
    if backend == "xlsx" and source.path is None:
        raise s.fail("path", "wajib diisi untuk backend xlsx (lokasi berkas .xlsx)")
    if backend == "google":
        if not source.spreadsheet_id:
            raise s.fail("spreadsheet_id", "wajib diisi untuk backend google (ID atau URL sheet)")
        if source.credentials_file is None:
            raise s.fail("credentials_file", "wajib diisi untuk backend google")

    st = _Section(raw, "storage", path)
    data_dir = st.path_("data_dir", base, "data")
    archive_dir = st.path_("archive_dir", base, "arsip")
    assert data_dir is not None and archive_dir is not None
    storage = StorageConfig(data_dir=data_dir, archive_dir=archive_dir)

    r = _Section(raw, "register", path)
    register = RegisterConfig(format=r.text("format", defaults.REGISTER_FORMAT))
    _check_register_format(register.format, r)

    m = _Section(raw, "mail", path)
    mail = MailConfig(
        backend=m.choice("backend", "outbox", ("smtp", "gmail", "outbox")),
        sender=m.email("sender", MailConfig.sender, required=True),
        sender_name=m.text("sender_name", MailConfig.sender_name),
        smtp_host=m.text("smtp_host", "localhost"),
        smtp_port=m.integer("smtp_port", 0),
        smtp_security=m.choice("smtp_security", "starttls", ("ssl", "starttls", "none")),
        smtp_username=m.text("smtp_username"),
        smtp_password_env=m.text("smtp_password_env"),
        smtp_password_file=m.path_("smtp_password_file", base),
        smtp_ca_file=m.path_("smtp_ca_file", base),
        smtp_timeout=m.num("smtp_timeout", defaults.SMTP_TIMEOUT_SECONDS, minimum=1),
        gmail_subject=m.email("gmail_subject"),
        gmail_endpoint=m.text("gmail_endpoint").rstrip("/"),
        outbox_dir=m.path_("outbox_dir", base, "outbox") or base / "outbox",
        templates_dir=m.path_("templates_dir", base),
        max_attempts=m.integer("max_attempts", defaults.MAIL_MAX_ATTEMPTS, minimum=1),
    )

    p = _Section(raw, "ppid", path)
    ppid = PersonConfig(name=p.text("name", "PPID Pelaksana Kecamatan Jenawi"),
                        email=p.email("email", required=True))

    rc = _Section(raw, "recipients", path)
    units_raw = rc.table("units")
    units: dict[str, str] = {}
    for unit, addr in units_raw.items():
        if not isinstance(addr, str) or not is_valid_email(addr.strip()):
            raise rc.fail(f"units.{unit}", f"bukan alamat email yang valid: {addr!r}")
        units[str(unit)] = addr.strip()
    recipients = RecipientsConfig(
        camat=PersonConfig(name=rc.text("camat_name"), email=rc.email("camat_email")),
        admin=PersonConfig(name=rc.text("admin_name"), email=rc.email("admin_email")),
        units=units,
    )

    sc = _Section(raw, "schedule", path)
    schedule = ScheduleConfig(
        interval_minutes=sc.num("interval_minutes", defaults.INTERVAL_MINUTES, minimum=0.1),
        interval_seconds=sc.num("interval_seconds", 0),
    )

    c = _Section(raw, "classification", path)
    cat_units = {str(k): str(v) for k, v in c.table("units").items()}
    classification = ClassificationConfig(rules_file=c.path_("rules_file", base), units=cat_units)
    for cat in cat_units:
        if cat not in classification.categories:
            raise c.fail(f"units.{cat}", f"kategori tidak dikenal: {cat!r}")

    f = _Section(raw, "fields", path)
    aliases: dict[str, tuple[str, ...]] = {}
    for key, val in f.data.items():
        if key not in FORM_FIELDS:
            raise f.fail(key, f"isian formulir tidak dikenal; pilihan: {', '.join(FORM_FIELDS)}")
        vals = [val] if isinstance(val, str) else val
        if not isinstance(vals, list) or not all(isinstance(x, str) for x in vals):
            raise f.fail(key, "harus berupa teks atau daftar teks (judul kolom)")
        aliases[key] = tuple(vals)

    col = _Section(raw, "columns", path)
    worker_headers: dict[str, str] = {}
    for key in col.data:
        if key not in WORKER_COLUMNS:
            raise col.fail(key, f"kolom tidak dikenal; pilihan: {', '.join(WORKER_COLUMNS)}")
        worker_headers[key] = col.text(key)

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
        calendar=_calendar_config(raw, path),
        sla=_sla_config(raw, path),
        reminders=_reminders_config(raw, path),
        attachments=_attachments_config(raw, path),
    )


_SHEET_URL = re.compile(r"/spreadsheets/d/([A-Za-z0-9_-]+)")


def _spreadsheet_id(text: str) -> str:
    """Accept the bare ID or the full URL of the sheet."""
    m = _SHEET_URL.search(text)
    return m.group(1) if m else text


def _check_register_format(fmt: str, section: _Section) -> None:
    try:
        sample = fmt.format(seq=7, month_roman="XI", month=11, year=2026, yy="26")
    except (KeyError, IndexError, ValueError) as e:
        raise section.fail(
            "format", f"format nomor register salah ({e}); gunakan {{seq}}, {{month_roman}}, "
            "{month}, {year}, {yy}"
        ) from e
    if "{seq" not in fmt:
        raise section.fail("format", "format nomor register wajib memuat {seq}")
    if not sample.strip():
        raise section.fail("format", "format nomor register menghasilkan teks kosong")


_CALENDAR_KEYS = ("office_hours", "extra_days_off", "cuti_bersama")
_SLA_KEYS = ("register_minutes", "classify_minutes", "ppid_working_days", "answer_minutes",
             "caps", "information_extension_days")


def _only_known_keys(section: _Section, known: tuple[str, ...]) -> None:
    # A misspelt key would silently leave the default in force; the operator must hear of it.
    for k in section.data:
        if k not in known:
            raise section.fail(k, f"kunci tidak dikenal; pilihan: {', '.join(known)}")


def _calendar_config(raw: Mapping[str, Any], path: Path) -> CalendarConfig:
    """`[calendar]`: office hours by Indonesian weekday name, extra days off, cuti bersama."""
    c = _Section(raw, "calendar", path)
    _only_known_keys(c, _CALENDAR_KEYS)
    hours = CalendarConfig.office_hours
    if "office_hours" in c.data:
        week: list[tuple[time, time] | None] = [None] * 7  # a day left out is closed
        seen: set[int] = set()
        for name, text in c.table("office_hours").items():
            try:
                day = weekday_number(str(name))
                if day in seen:
                    raise ValueError("hari ini disebut dua kali")
                if not isinstance(text, str):
                    raise ValueError('harus berupa teks seperti "07:30-16:00" atau "libur"')
                week[day] = parse_hours(text)
            except ValueError as e:
                raise c.fail(f"office_hours.{name}", str(e)) from e
            seen.add(day)
        if all(span is None for span in week):
            raise c.fail("office_hours", "kantor harus buka setidaknya satu hari dalam seminggu")
        hours = tuple(week)
    days = c.data.get("extra_days_off", [])
    if not isinstance(days, list):
        raise c.fail("extra_days_off", 'harus berupa daftar tanggal, misalnya ["2026-12-31"]')
    days_off: list[date] = []
    for value in days:
        try:
            if isinstance(value, datetime) or not isinstance(value, date | str):
                raise ValueError
            days_off.append(value if isinstance(value, date) else date.fromisoformat(value))
        except ValueError as e:
            raise c.fail("extra_days_off", f"tanggal tidak valid: {value!r} (format "
                         "TTTT-BB-HH, misalnya 2026-12-31)") from e
    cuti = c.data.get("cuti_bersama", True)
    if not isinstance(cuti, bool):
        raise c.fail("cuti_bersama", "harus true atau false")
    return CalendarConfig(office_hours=hours, extra_days_off=tuple(days_off), cuti_bersama=cuti)


def _sla_config(raw: Mapping[str, Any], path: Path) -> SlaConfig:
    """`[sla]`: SOP step times and the optional cap (working days) per kind of complaint."""
    s = _Section(raw, "sla", path)
    _only_known_keys(s, _SLA_KEYS)
    default = SlaConfig()
    caps = default.caps
    if "caps" in s.data:
        parsed: dict[ComplaintKind, int] = {}  # a kind left out has no cap
        for name, days in s.table("caps").items():
            if name not in {k.value for k in ComplaintKind}:
                raise s.fail(f"caps.{name}", "jenis aduan tidak dikenal; pilihan: "
                             + ", ".join(k.value for k in ComplaintKind))
            if isinstance(days, bool) or not isinstance(days, int) or days < 1:
                raise s.fail(f"caps.{name}", "harus berupa bilangan bulat >= 1 (hari kerja)")
            parsed[ComplaintKind(name)] = days
        caps = MappingProxyType(parsed)
    return SlaConfig(
        register_minutes=s.integer("register_minutes", default.register_minutes, minimum=1),
        classify_minutes=s.integer("classify_minutes", default.classify_minutes, minimum=1),
        ppid_working_days=s.integer("ppid_working_days", default.ppid_working_days, minimum=1),
        answer_minutes=s.integer("answer_minutes", default.answer_minutes, minimum=1),
        caps=caps,
        information_extension_days=s.integer(
            "information_extension_days", default.information_extension_days
        ),
    )


def _attachments_config(raw: Mapping[str, Any], path: Path) -> AttachmentsConfig:
    """`[attachments]`: size cap per file (MB), download attempts, files per complaint,
    downloads at once."""
    a = _Section(raw, "attachments", path)
    _only_known_keys(a, ("max_mb", "max_attempts", "max_files", "parallel_downloads"))
    d = AttachmentsConfig()
    max_mb = a.num("max_mb", d.max_mb, minimum=0)
    if max_mb <= 0:
        raise a.fail("max_mb", "harus berupa angka lebih dari 0 (megabyte per berkas)")
    parallel = a.integer("parallel_downloads", d.parallel_downloads, minimum=1)
    if parallel > MAX_PARALLEL_DOWNLOADS:
        # More would only meet Drive's per-user rate limit (429) sooner.
        raise a.fail("parallel_downloads",
                     f"harus berupa bilangan bulat 1 sampai {MAX_PARALLEL_DOWNLOADS}")
    return AttachmentsConfig(
        max_mb=max_mb,
        max_attempts=a.integer("max_attempts", d.max_attempts, minimum=1),
        max_files=a.integer("max_files", d.max_files, minimum=1),
        parallel_downloads=parallel,
    )


def _reminders_config(raw: Mapping[str, Any], path: Path) -> RemindersConfig:
    """`[reminders]`: escalation after N working days overdue, digest time, duplicates."""
    r = _Section(raw, "reminders", path)
    default = RemindersConfig()
    text = r.text("digest_time", default.digest_time.strftime("%H:%M"))
    try:
        digest = datetime.strptime(text, "%H:%M").time()
    except ValueError as e:
        raise r.fail("digest_time",
                     f"jam tidak valid: {text!r} (format JJ:MM, misalnya 07:30)") from e
    similarity = r.num("duplicate_similarity", default.duplicate_similarity)
    if similarity > 1:
        raise r.fail("duplicate_similarity", "harus di antara 0 dan 1")
    return RemindersConfig(
        escalate_after_working_days=r.integer("escalate_after_working_days",
                                          default.escalate_after_working_days, minimum=1),
        digest_time=digest,
        duplicate_window_days=r.integer("duplicate_window_days", default.duplicate_window_days),
        duplicate_similarity=similarity,
    )
