"""The world a crash trial runs in: a workspace (config, ledger, archive), the response sheet
(`.xlsx` or the fake Google server, in this process, so it survives every killed pass), a real
SMTP server (aiosmtpd, in this process) that records every message it accepts, and the staff
and citizens who keep working between passes. It also remembers every cell they wrote, so the
invariants can prove the worker never changed one."""

from __future__ import annotations

import asyncio
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aduan_sync.model import DEFAULT_CATEGORIES, DESA_JENAWI
from tests.crash.sheets import NAME, OTHER_CONTENT, GoogleSheet, StaffSheet, XlsxSheet
from tests.fakegoogle.fake import FakeGoogle
from tests.fakegoogle.support import SA_EMAIL, write_key
from tests.smtpserver import Recorder, SmtpServer

JAKARTA = ZoneInfo("Asia/Jakarta")
#: How Google Forms writes an uploaded file's link in the answer.
UPLOAD_LINK = "https://drive.google.com/open?id={}"
FORM_HEADERS = [
    "Cap waktu", "Alamat email", "Nama Lengkap", "NIK", "Nomor HP/WhatsApp", "Desa",
    "Alamat Lengkap", "Kanal Aduan", "Isi Aduan", "Lokasi Kejadian", "Lampiran",
]
TEXTS = (
    "Jalan desa di dusun kami rusak parah dan berlubang, mohon segera diperbaiki.",
    "Lampu penerangan jalan umum di depan balai desa mati sejak seminggu.",
    "Bantuan sosial BLT untuk keluarga kami belum cair padahal sudah terdaftar di DTKS.",
    "Pelayanan pembuatan KTP elektronik di kecamatan lambat, mohon informasi jadwalnya.",
    "Saluran air tersumbat dan meluap ke rumah warga setiap hujan deras.",
    "Ada keributan pemuda mabuk setiap malam Minggu di pos ronda.",
)
ANSWERS = (
    "Terima kasih atas laporan Bapak/Ibu. Perbaikan dijadwalkan minggu depan.",
    "Laporan sudah kami teruskan kepada Pemerintah Desa untuk ditindaklanjuti.",
    "Mohon datang ke kantor kecamatan pada jam kerja dengan membawa KK asli.",
)
SENDER = "ppid.jenawi@example.go.id"
PPID = "ppid@kecamatan-jenawi.example"
WORKSHEET = {"xlsx": "Tanggapan Formulir 1", "google": "Form Responses 1"}


@dataclass
class TrapRecorder(Recorder):
    """The SMTP recorder, plus a trap the harness arms: `trap(n)` runs in the server after the
    n-th message is recorded as accepted and before the client hears "250"."""

    trap: Callable[[int], None] | None = None
    delay: float = 0.0  # seconds before each DATA reply: a slow server

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        reply = await super().handle_DATA(server, session, envelope)
        trap = self.trap
        if trap is not None and reply.startswith("250"):
            trap(len(self.received))
        return reply


@dataclass
class World:
    """Everything one series of trials shares; build with `World.build`, end with `close`."""

    root: Path
    backend: str  # "xlsx" | "google"
    config: Path
    sheet: StaffSheet
    smtp: SmtpServer
    fake: FakeGoogle | None = None
    #: name -> {header: value} for every cell a citizen or staff member wrote.
    expected: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Message-IDs the ledger showed in `sending` right after a kill (the send window).
    window_ids: set[str] = field(default_factory=set)
    #: Google only: about one new row in three links a file uploaded to the fake Drive, so
    #: that kills also land while the pass downloads beside its archive step.
    uploads: bool = False

    @property
    def ledger_path(self) -> Path:
        return self.root / "data" / "ledger.sqlite3"

    @property
    def archive_dir(self) -> Path:
        return self.root / "arsip"

    @property
    def recorder(self) -> TrapRecorder:
        assert isinstance(self.smtp.recorder, TrapRecorder)
        return self.smtp.recorder

    @property
    def other_expected(self) -> list[list[Any]]:
        return OTHER_CONTENT

    @classmethod
    def build(cls, root: Path, backend: str, *, google_latency: float = 0.005,
              retry_max_seconds: float = 5, timeout_seconds: float = 10,
              smtp_timeout: float = 10, uploads: bool = False) -> World:
        """Create the workspace, start the SMTP server (and the fake Google), write the config.

        The Google source's retry bound and request timeout, and the SMTP timeout, are small
        so that a fault test never waits long."""
        root.mkdir(parents=True, exist_ok=True)
        smtp = SmtpServer("plain", recorder=TrapRecorder()).start()
        fake: FakeGoogle | None = None
        sheet: StaffSheet
        if backend == "xlsx":
            sheet = XlsxSheet(root / "form.xlsx", FORM_HEADERS, WORKSHEET["xlsx"])
            source = f'backend = "xlsx"\npath = "form.xlsx"\nworksheet = "{WORKSHEET["xlsx"]}"\n'
        elif backend == "google":
            fake = FakeGoogle(latency=google_latency).start()
            _quiet_resets(fake)
            key = write_key(root / "secrets" / "sa.json", fake.new_service_account_key(SA_EMAIL))
            gsheet = GoogleSheet(fake, FORM_HEADERS)
            sheet = gsheet
            source = (f'backend = "google"\nspreadsheet_id = "{gsheet.sid}"\n'
                      f'credentials_file = "{key}"\napi_endpoint = "{fake.base_url}"\n'
                      f'token_uri = "{fake.token_uri}"\ndrive_endpoint = "{fake.base_url}"\n'
                      f"retry_max_seconds = {retry_max_seconds}\n"
                      f"timeout_seconds = {timeout_seconds}\n")
        else:
            raise ValueError(f"unknown backend {backend!r}")
        config = root / "aduan.toml"
        config.write_text(config_text(source, smtp.port, smtp_timeout), encoding="utf-8")
        return cls(root=root, backend=backend, config=config, sheet=sheet, smtp=smtp, fake=fake,
                   uploads=uploads and fake is not None)

    def close(self) -> None:
        self.smtp.stop()
        if self.fake is not None:
            self.fake.stop()


def _quiet_resets(fake: FakeGoogle) -> None:
    """A killed pass resets its keep-alive connections; the fake's server would print a
    traceback for each. Those resets are the experiment, not an error."""
    server = fake._server
    assert server is not None
    report = server.handle_error

    def handle_error(request: Any, address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            report(request, address)

    server.handle_error = handle_error  # type: ignore[method-assign, assignment]


def config_text(source: str, smtp_port: int, smtp_timeout: float = 10) -> str:
    """A complete config: the given `[source]` body, SMTP on loopback without TLS."""
    return (
        '[office]\ntimezone = "Asia/Jakarta"\n\n'
        f"[source]\n{source}\n"
        '[storage]\ndata_dir = "data"\narchive_dir = "arsip"\n\n'
        f'[mail]\nbackend = "smtp"\nsender = "{SENDER}"\nsmtp_host = "127.0.0.1"\n'
        f'smtp_port = {smtp_port}\nsmtp_security = "none"\nsmtp_timeout = {smtp_timeout}\n\n'
        f'[ppid]\nemail = "{PPID}"\n'
    )


class Staff:
    """Citizens submitting the form and staff working in the sheet, driven by a seeded RNG."""

    def __init__(self, world: World, rng: random.Random) -> None:
        self.world = world
        self.rng = rng
        self.serial = 0

    def submit(self, trial: int, count: int) -> list[str]:
        """`count` new form responses (unique names); returns their names."""
        now = datetime.now(JAKARTA).replace(tzinfo=None, microsecond=0)
        rows, names = [], []
        for _ in range(count):
            self.serial += 1
            name = f"Warga Uji {trial:02d}-{self.serial:04d}"
            row = self._row(name, now - timedelta(minutes=self.rng.randint(1, 30)))
            rows.append(row)
            names.append(name)
            self.world.expected[name] = dict(zip(FORM_HEADERS, row, strict=True))
        self.world.sheet.append(rows)
        return names

    def _row(self, name: str, ts: datetime) -> list[Any]:
        rng, n = self.rng, self.serial
        google = self.world.backend == "google"
        incomplete = rng.random() < 0.2  # no NIK, no phone: SOP asks for clarification
        social = rng.random() < 0.25  # came in through Instagram, no email address
        nik: Any = None if incomplete else 3313_0645_0180_0000 + n
        phone: Any = None if incomplete else 812_3400_0000 + n
        if google:  # Forms types numbers into number cells: Sheets keeps them as doubles
            nik = float(nik) if nik is not None else ""
            phone = float(phone) if phone is not None else ""
        desa = rng.choice(DESA_JENAWI)
        upload = ""
        if self.world.uploads and self.world.fake is not None and rng.random() < 0.35:
            data = rng.randbytes(rng.randint(2_000, 60_000))
            upload = UPLOAD_LINK.format(self.world.fake.add_file(data, f"foto laporan {n}.jpg"))
        return [
            ts, "" if social else f"warga{n}@example.com", name, nik, phone, desa,
            f"Dusun Krajan RT 0{n % 9 + 1}, Desa {desa}", "Instagram" if social else "Website",
            f"{rng.choice(TEXTS)} (laporan {n})", f"Dusun {n % 12 + 1}", upload,
        ]

    def work(self) -> list[str]:
        """A round of staff work on registered rows; returns what was done (for the log)."""
        done = []
        records = self.world.sheet.records()
        registered = [r for r in records if r.get("Nomor Register")]
        rng = self.rng
        unanswered = [r for r in registered if not r.get("Tanggapan")]
        if unanswered and rng.random() < 0.6:
            name = rng.choice(unanswered)[NAME]
            done.append(self.type_in(name, "Tanggapan", rng.choice(ANSWERS)))
        if registered and rng.random() < 0.5:
            row = rng.choice(registered)
            choices = [c for c in DEFAULT_CATEGORIES if c != row.get("Kategori")]
            done.append(self.type_in(row[NAME], "Kategori", rng.choice(choices)))
        if records and rng.random() < 0.15:
            column = rng.choice(("Desa", "Isi Aduan", "Alamat Lengkap"))
            self.world.sheet.sort(lambda r: (str(r.get(column) or ""), str(r.get(NAME))))
            done.append(f"sort by {column}")
        return done

    def type_in(self, name: str, header: str, value: str) -> str:
        """Staff type `value` into `header` of the row of `name` (remembered as theirs)."""
        self.world.sheet.set(name, header, value)
        self.world.expected[name][header] = value
        return f"{header}@{name}"
