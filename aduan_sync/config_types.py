"""The typed config objects: what a valid config looks like, and each key's default.

`aduan_sync.config_sections` builds them from TOML and `aduan_sync.config` re-exports them;
code elsewhere imports them from `aduan_sync.config`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aduan_sync import defaults
from aduan_sync.calendar import DEFAULT_OFFICE_HOURS, WorkingCalendar
from aduan_sync.deadlines import SlaConfig
from aduan_sync.model import DEFAULT_CATEGORIES, WORKER_COLUMNS

PACKAGE_DIR = Path(__file__).resolve().parent
#: Default templates and rules shipped inside the package (also copied by `init`).
PACKAGED_TEMPLATES = PACKAGE_DIR / "defaults" / "templates"
PACKAGED_CONFIG = PACKAGE_DIR / "defaults" / "config"


@dataclass(frozen=True)
class OfficeConfig:
    """`[office]`: the office named in letters and reports, and its time zone."""

    name: str = defaults.OFFICE_NAME
    regency: str = defaults.OFFICE_REGENCY
    timezone: str = defaults.TIMEZONE
    address: str = "Jl. Raya Jenawi, Kecamatan Jenawi, Kabupaten Karanganyar, Jawa Tengah"
    camat_name: str = ""

    @property
    def tz(self) -> ZoneInfo:
        """The office's time zone; every deadline and report date is in it."""
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class SourceConfig:
    """`[source]` (or one `[[sources]]` table): where the complaints are read from."""

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
    """`[storage]`: the worker's own files (ledger, lock) and the archive."""

    data_dir: Path
    archive_dir: Path

    @property
    def ledger_path(self) -> Path:
        """The SQLite ledger in `data_dir`."""
        return self.data_dir / "ledger.sqlite3"

    @property
    def lock_path(self) -> Path:
        """The lock file that keeps two passes of one source from running at once."""
        return self.data_dir / "aduan-sync.lock"


@dataclass(frozen=True)
class RegisterConfig:
    """`[register]`: the format of register numbers."""

    format: str = defaults.REGISTER_FORMAT


@dataclass(frozen=True)
class MailConfig:
    """`[mail]`: how mail is sent (SMTP, Gmail API, or an outbox folder) and from whom."""

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
        """`smtp_port`, else the usual port for `smtp_security`."""
        if self.smtp_port:
            return self.smtp_port
        return {"ssl": 465, "starttls": 587}.get(self.smtp_security, 25)


@dataclass(frozen=True)
class PersonConfig:
    """A name and an email address."""

    name: str = ""
    email: str = ""


@dataclass(frozen=True)
class RecipientsConfig:
    """`[recipients]`: the Camat, the administrator, and each unit's address."""

    camat: PersonConfig = PersonConfig()
    admin: PersonConfig = PersonConfig()
    units: dict[str, str] = field(default_factory=dict)  # unit name -> email


@dataclass(frozen=True)
class ScheduleConfig:
    """`[schedule]`: how often `aduan-sync run` makes a pass."""

    interval_minutes: float = defaults.INTERVAL_MINUTES
    interval_seconds: float = 0  # overrides interval_minutes when > 0 (tests, trials)

    @property
    def seconds(self) -> float:
        """Seconds between two scheduled passes of `aduan-sync run`."""
        return self.interval_seconds or self.interval_minutes * 60


@dataclass(frozen=True)
class ClassificationConfig:
    """`[classification]`: the rules file and the unit responsible for each category."""

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
        """`max_mb` in bytes."""
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
    """The whole validated config of one source."""

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
        """The config file's folder, which relative paths are relative to."""
        return self.path.parent

    @property
    def templates_dir(self) -> Path:
        """`[mail] templates_dir`, else the packaged templates."""
        return self.mail.templates_dir or PACKAGED_TEMPLATES

    @property
    def rules_file(self) -> Path:
        """`[classification] rules_file`, else the packaged rules."""
        return self.classification.rules_file or (PACKAGED_CONFIG / "kategori.toml")

    def unit_for(self, category: str) -> str:
        """The unit responsible for `category`: the config's, else the default, else ""."""
        return self.classification.units.get(category, DEFAULT_UNITS.get(category, ""))

    def worker_header(self, key: str) -> str:
        """The sheet header of the worker column `key`, as renamed in `[columns]`."""
        return self.worker_headers.get(key, WORKER_COLUMNS[key])

