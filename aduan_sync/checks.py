"""`aduan-sync check`: is the config valid, is the sheet reachable, are its columns right?"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field

from aduan_sync.config import Config
from aduan_sync.decide import renamed_register_column, renamed_register_message
from aduan_sync.errors import AduanSyncError
from aduan_sync.headers import map_headers
from aduan_sync.ledger import Ledger
from aduan_sync.mail.render import make_environment
from aduan_sync.mail.template_check import folder_problems
from aduan_sync.model import FORM_FIELDS, REQUIRED_FORM_FIELDS
from aduan_sync.sources import open_source


@dataclass
class CheckReport:
    lines: list[tuple[str, str]] = field(default_factory=list)  # (label, value) to print
    mapping: list[tuple[str, str]] = field(default_factory=list)  # (field, header or "-")
    problems: list[str] = field(default_factory=list)  # Indonesian; any -> exit 1
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _secret_file_warnings(cfg: Config) -> list[str]:
    out = []
    for label, path in (("Berkas kredensial Google", cfg.source.credentials_file),
                        ("Berkas kata sandi SMTP", cfg.mail.smtp_password_file)):
        if path is None or not path.exists():
            continue
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            out.append(f"{label} {path} dapat dibaca pengguna lain (mode {mode:o}); "
                       f"jalankan: chmod 600 {path}")
    return out


def _template_problems(cfg: Config) -> list[str]:
    """Every broken template in the office's folder (the packaged ones when none is set),
    each with its file and line (`template_check`)."""
    problems = folder_problems(cfg.templates_dir, make_environment(cfg.templates_dir))
    return [p.full for p in problems]


def run_check(cfg: Config) -> CheckReport:
    """Validate what can be validated without changing anything."""
    report = CheckReport()
    report.lines.append(("Konfigurasi", str(cfg.path)))
    report.warnings += _secret_file_warnings(cfg)
    report.problems += _template_problems(cfg)
    if cfg.source.backend == "google" and cfg.source.credentials_file is not None \
            and not cfg.source.credentials_file.exists():
        report.problems.append(f"Berkas kredensial tidak ditemukan: {cfg.source.credentials_file}")
        return report
    if cfg.mail.backend == "smtp" and cfg.mail.smtp_password_env \
            and cfg.mail.smtp_password_env not in os.environ:
        report.warnings.append(
            f"Variabel lingkungan {cfg.mail.smtp_password_env} (kata sandi SMTP) belum diisi.")
    try:
        source = open_source(cfg)
        snapshot = source.read()  # first: details() then describes the same read, no new request
        details = getattr(source, "details", None)
        if callable(details):
            report.lines += details()
        save_losses = getattr(source, "save_losses", None)  # the .xlsx source's
        if callable(save_losses):
            report.problems += save_losses()
    except AduanSyncError as e:
        report.problems.append(f"Lembar kerja tidak dapat dibaca: {e.message}")
        return report
    hmap = map_headers(snapshot.headers, cfg.field_aliases, cfg.worker_headers)
    for key in FORM_FIELDS:
        idx = hmap.fields.get(key)
        report.mapping.append((key, hmap.headers[idx] if idx is not None else "-"))
    for key in hmap.missing_fields:
        label = FORM_FIELDS[key][0]
        if key in REQUIRED_FORM_FIELDS:
            report.problems.append(f"Kolom wajib `{label}` tidak ditemukan.")
        else:
            report.warnings.append(f"Kolom `{label}` tidak ditemukan (isian ini dianggap kosong).")
    for header in hmap.duplicates:
        report.problems.append(f"Judul kolom `{header}` muncul lebih dari sekali.")
    if "register_no" not in hmap.worker and cfg.storage.ledger_path.is_file():
        with Ledger(cfg.storage.ledger_path) as ledger:
            known = {c.register_no for c in ledger.complaints()}
        renamed = renamed_register_column(hmap, snapshot.rows, known)
        if renamed:
            report.problems.append(renamed_register_message(hmap, renamed))
    present = [hmap.header_of(k) for k in hmap.worker]
    missing = [hmap.header_of(k) for k in hmap.missing_worker]
    report.lines.append(("Kolom petugas yang ada", ", ".join(present) or "-"))
    report.lines.append(("Kolom petugas yang akan ditambahkan", ", ".join(missing) or "-"))
    return report
