"""Read each table of the TOML config into its typed object, validating every key.

One builder per table, each taking the parsed TOML and the (resolved) config path, so an error
names `table.key` and the file, in Indonesian, for the operator. `aduan_sync.config` calls the
builders in a fixed order and assembles the `Config`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from datetime import date, datetime, time
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aduan_sync import defaults
from aduan_sync.calendar import parse_hours, weekday_number
from aduan_sync.config_types import (
    MAX_PARALLEL_DOWNLOADS,
    AttachmentsConfig,
    CalendarConfig,
    ClassificationConfig,
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
from aduan_sync.deadlines import ComplaintKind, SlaConfig
from aduan_sync.errors import ConfigError
from aduan_sync.model import FORM_FIELDS, WORKER_COLUMNS

T = TypeVar("T")

_EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


def is_valid_email(text: str) -> bool:
    """A plausible single address, with no CR/LF or other header-breaking characters."""
    return bool(_EMAIL.match(text)) and len(text) <= 254


class Section:
    """Typed reads from one TOML table, with errors that name `section.key` and the file."""

    def __init__(self, data: Mapping[str, Any], name: str, path: Path) -> None:
        self.data = data.get(name, {}) if name else data
        self.name = name
        self.path = path
        self.read: set[str] = set()  # the keys a builder asked for (`done`)
        if not isinstance(self.data, Mapping):
            raise ConfigError("harus berupa tabel [..]", key=name, path=path)

    def done(self, value: T) -> T:
        """`value`, once every key of the table was one the builder asked for: a misspelt
        key (`smtp_prot`) would silently leave the default in force."""
        _only_known_keys(self, tuple(sorted(self.read)))
        return value

    def key(self, k: str) -> str:
        return f"{self.name}.{k}" if self.name else k

    def fail(self, k: str, msg: str) -> ConfigError:
        return ConfigError(msg, key=self.key(k), path=self.path)

    def text(self, k: str, default: str = "") -> str:
        self.read.add(k)
        v = self.data.get(k, default)
        if not isinstance(v, str):
            raise self.fail(k, "harus berupa teks")
        return v.strip()

    def num(self, k: str, default: float, *, minimum: float = 0) -> float:
        self.read.add(k)
        v = self.data.get(k, default)
        if isinstance(v, bool) or not isinstance(v, int | float) or v < minimum:
            raise self.fail(k, f"harus berupa angka >= {minimum:g}")
        return float(v)

    def integer(self, k: str, default: int, *, minimum: int = 0) -> int:
        self.read.add(k)
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
        self.read.add(k)
        v = self.data.get(k, {})
        if not isinstance(v, Mapping):
            raise self.fail(k, "harus berupa tabel")
        return v


def office_config(raw: Mapping[str, Any], path: Path) -> OfficeConfig:
    """`[office]`: the office's name, regency, time zone, address and Camat."""
    o = Section(raw, "office", path)
    office = o.done(OfficeConfig(
        name=o.text("name", defaults.OFFICE_NAME),
        regency=o.text("regency", defaults.OFFICE_REGENCY),
        timezone=o.text("timezone", defaults.TIMEZONE),
        address=o.text("address", OfficeConfig.address),
        camat_name=o.text("camat_name"),
    ))
    try:
        ZoneInfo(office.timezone)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise o.fail("timezone", f"zona waktu tidak dikenal: {office.timezone!r}") from e
    return office


def source_config(raw: Mapping[str, Any], path: Path) -> SourceConfig:
    """`[source]`: a Google sheet (ID or URL, credentials) or an `.xlsx` file."""
    base = path.parent
    s = Section(raw, "source", path)
    backend = s.choice("backend", "xlsx", ("google", "xlsx"))
    source = s.done(SourceConfig(
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
    ))
    if backend == "xlsx" and source.path is None:
        raise s.fail("path", "wajib diisi untuk backend xlsx (lokasi berkas .xlsx)")
    if backend == "google":
        if not source.spreadsheet_id:
            raise s.fail("spreadsheet_id", "wajib diisi untuk backend google (ID atau URL sheet)")
        if source.credentials_file is None:
            raise s.fail("credentials_file", "wajib diisi untuk backend google")
    return source


def storage_config(raw: Mapping[str, Any], path: Path) -> StorageConfig:
    """`[storage]`: the data and archive folders (default `data` and `arsip`)."""
    st = Section(raw, "storage", path)

    def folder(k: str, default: str) -> Path:
        p = st.path_(k, path.parent, default)
        if p is None:  # written as "": no folder at all, never the config's own folder
            raise st.fail(k, f'tidak boleh kosong; hapus baris ini untuk memakai folder '
                             f'bawaan "{default}"')
        return p

    return st.done(StorageConfig(data_dir=folder("data_dir", "data"),
                                 archive_dir=folder("archive_dir", "arsip")))


def register_config(raw: Mapping[str, Any], path: Path) -> RegisterConfig:
    """`[register]`: the register number format, tried on a sample number."""
    r = Section(raw, "register", path)
    register = r.done(RegisterConfig(format=r.text("format", defaults.REGISTER_FORMAT)))
    _check_register_format(register.format, r)
    return register


def mail_config(raw: Mapping[str, Any], path: Path) -> MailConfig:
    """`[mail]`: the backend (SMTP, Gmail API, outbox folder), sender, templates, attempts."""
    base = path.parent
    m = Section(raw, "mail", path)
    return m.done(MailConfig(
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
    ))


def ppid_config(raw: Mapping[str, Any], path: Path) -> PersonConfig:
    """`[ppid]`: the information officer's name and (required) address."""
    p = Section(raw, "ppid", path)
    return p.done(PersonConfig(name=p.text("name", "PPID Pelaksana Kecamatan Jenawi"),
                               email=p.email("email", required=True)))


def recipients_config(raw: Mapping[str, Any], path: Path) -> RecipientsConfig:
    """`[recipients]`: the Camat, the administrator, and `[recipients.units]` addresses."""
    rc = Section(raw, "recipients", path)
    units_raw = rc.table("units")
    units: dict[str, str] = {}
    for unit, addr in units_raw.items():
        if not isinstance(addr, str) or not is_valid_email(addr.strip()):
            raise rc.fail(f"units.{unit}", f"bukan alamat email yang valid: {addr!r}")
        units[str(unit)] = addr.strip()
    return rc.done(RecipientsConfig(
        camat=PersonConfig(name=rc.text("camat_name"), email=rc.email("camat_email")),
        admin=PersonConfig(name=rc.text("admin_name"), email=rc.email("admin_email")),
        units=units,
    ))


def schedule_config(raw: Mapping[str, Any], path: Path) -> ScheduleConfig:
    """`[schedule]`: the interval between passes, in minutes (or seconds, for trials)."""
    sc = Section(raw, "schedule", path)
    return sc.done(ScheduleConfig(
        interval_minutes=sc.num("interval_minutes", defaults.INTERVAL_MINUTES, minimum=0.1),
        interval_seconds=sc.num("interval_seconds", 0),
    ))


def classification_config(raw: Mapping[str, Any], path: Path) -> ClassificationConfig:
    """`[classification]`: the rules file and `[classification.units]` by known category."""
    c = Section(raw, "classification", path)
    cat_units = {str(k): str(v) for k, v in c.table("units").items()}
    classification = c.done(ClassificationConfig(
        rules_file=c.path_("rules_file", path.parent), units=cat_units))
    for cat in cat_units:
        if cat not in classification.categories:
            raise c.fail(f"units.{cat}", f"kategori tidak dikenal: {cat!r}")
    return classification


def field_aliases(raw: Mapping[str, Any], path: Path) -> dict[str, tuple[str, ...]]:
    """`[fields]`: the column headers each form field may have in the sheet."""
    f = Section(raw, "fields", path)
    aliases: dict[str, tuple[str, ...]] = {}
    for key, val in f.data.items():
        if key not in FORM_FIELDS:
            raise f.fail(key, f"isian formulir tidak dikenal; pilihan: {', '.join(FORM_FIELDS)}")
        vals = [val] if isinstance(val, str) else val
        if not isinstance(vals, list) or not all(isinstance(x, str) for x in vals):
            raise f.fail(key, "harus berupa teks atau daftar teks (judul kolom)")
        aliases[key] = tuple(vals)
    return aliases


def worker_headers(raw: Mapping[str, Any], path: Path) -> dict[str, str]:
    """`[columns]`: the sheet header of each worker column the office renamed."""
    col = Section(raw, "columns", path)
    headers: dict[str, str] = {}
    for key in col.data:
        if key not in WORKER_COLUMNS:
            raise col.fail(key, f"kolom tidak dikenal; pilihan: {', '.join(WORKER_COLUMNS)}")
        headers[key] = col.text(key)
    return headers


_SHEET_URL = re.compile(r"/spreadsheets/d/([A-Za-z0-9_-]+)")


def _spreadsheet_id(text: str) -> str:
    """Accept the bare ID or the full URL of the sheet."""
    m = _SHEET_URL.search(text)
    return m.group(1) if m else text


def _check_register_format(fmt: str, section: Section) -> None:
    """Try `fmt` on a sample number: a typo must stop the start, not the first register."""
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


def _only_known_keys(section: Section, known: tuple[str, ...]) -> None:
    # A misspelt key would silently leave the default in force; the operator must hear of it.
    for k in section.data:
        if k not in known:
            raise section.fail(k, unknown_key(k, known, "kunci"))


def unknown_key(k: str, known: tuple[str, ...], what: str) -> str:
    """The message for a key (`what`: "kunci", "bagian") not among `known`, with the nearest
    known one when it looks like a typo of it."""
    near = difflib.get_close_matches(str(k), known, n=1, cutoff=0.6)
    hint = f" (mungkin maksudnya `{near[0]}`?)" if near else ""
    return f"{what} tidak dikenal{hint}; pilihan: {', '.join(known)}"


def calendar_config(raw: Mapping[str, Any], path: Path) -> CalendarConfig:
    """`[calendar]`: office hours by Indonesian weekday name, extra days off, cuti bersama."""
    c = Section(raw, "calendar", path)
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


def sla_config(raw: Mapping[str, Any], path: Path) -> SlaConfig:
    """`[sla]`: SOP step times and the optional cap (working days) per kind of complaint."""
    s = Section(raw, "sla", path)
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


def attachments_config(raw: Mapping[str, Any], path: Path) -> AttachmentsConfig:
    """`[attachments]`: size cap per file (MB), download attempts, files per complaint,
    downloads at once."""
    a = Section(raw, "attachments", path)
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


def reminders_config(raw: Mapping[str, Any], path: Path) -> RemindersConfig:
    """`[reminders]`: escalation after N working days overdue, digest time, duplicates."""
    r = Section(raw, "reminders", path)
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
    return r.done(RemindersConfig(
        escalate_after_working_days=r.integer("escalate_after_working_days",
                                          default.escalate_after_working_days, minimum=1),
        digest_time=digest,
        duplicate_window_days=r.integer("duplicate_window_days", default.duplicate_window_days),
        duplicate_similarity=similarity,
    ))
