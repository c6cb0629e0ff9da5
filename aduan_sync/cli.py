"""The command line: parse arguments, call one library function, print, exit with the code of
DESIGN.md. Domain errors become one `Error: …` line (Indonesian, technical detail after)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from aduan_sync import __version__
from aduan_sync import config as config_mod
from aduan_sync.errors import EXIT_OK, AduanSyncError

F = TypeVar("F", bound=Callable[..., Any])


def _console(err: bool = False) -> Console:
    # Not a terminal (a log, a pipe, CI): wide enough that tables do not wrap register numbers.
    width = None if (sys.stderr if err else sys.stdout).isatty() else 140
    # No markup: what is printed carries text from the sheet, the config and mail servers,
    # where "[columns]" would vanish and a "[/selesai]" typed in a cell would crash the print.
    return Console(stderr=err, highlight=False, soft_wrap=True, width=width, markup=False)


def fail(e: AduanSyncError) -> None:
    """Print a domain error as one clean message and exit with its code."""
    text = f"Error: {e.message}"
    if e.detail:
        text += f"\n  Rincian teknis: {e.detail}"
    click.echo(text, err=True)
    sys.exit(e.exit_code)


def domain_errors(fn: F) -> F:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except AduanSyncError as e:
            fail(e)

    return wrapper  # type: ignore[return-value]


def load_config(ctx: click.Context) -> config_mod.Config:
    path = config_mod.resolve_config_path(ctx.obj.get("config"), os.environ)
    return config_mod.load(path)


def load_configs(ctx: click.Context) -> list[config_mod.Config]:
    """One config per source (`[[sources]]`, or the single `[source]`); secrets kept off logs."""
    from aduan_sync.logs import register_config_secrets

    path = config_mod.resolve_config_path(ctx.obj.get("config"), os.environ)
    cfgs = config_mod.load_all(path)
    register_config_secrets(cfgs, os.environ)
    return cfgs


def echo_error(message: str, detail: str | None) -> None:
    """`Error: …` (and the technical detail) on stderr, as `fail` prints it."""
    click.echo(f"Error: {message}" + (f"\n  Rincian teknis: {detail}" if detail else ""),
               err=True)


@click.group(help="aduan-sync: menjalankan SOP penanganan aduan masyarakat Kecamatan Jenawi "
                  "atas lembar tanggapan Google Form.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="Berkas konfigurasi (bawaan: $ADUAN_SYNC_CONFIG, lalu config/aduan.toml).")
@click.option("--log-format", type=click.Choice(["auto", "human", "json"]), default="auto",
              show_default=True,
              help="Format log di stderr: human (terminal), json (journald/berkas); auto memilih "
                   "human di terminal dan json di tempat lain.")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]),
              default="info", show_default=True, help="Tingkat log terendah yang dicetak.")
@click.version_option(__version__, prog_name="aduan-sync")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, log_format: str, log_level: str) -> None:
    from aduan_sync.logs import remove_logging, setup_logging

    ctx.ensure_object(dict)
    ctx.obj["config"] = config_path
    handler = setup_logging(log_format, log_level)
    if not ctx.obj.get("process"):
        # Called in-process (tests, embedding): leave the caller's logging as it was.
        ctx.call_on_close(lambda: remove_logging(handler))


@cli.command(help="Membuat config/ dan templates/ awal di DIR (bawaan: folder ini). "
                  "Berkas yang sudah ada tidak ditimpa.")
@click.argument("directory", required=False, default=".",
                type=click.Path(file_okay=False, path_type=Path))
@domain_errors
def init(directory: Path) -> None:
    from aduan_sync.workspace import init_office

    written = init_office(directory)
    for p in written:
        click.echo(f"dibuat: {p}")
    if not written:
        click.echo("Semua berkas awal sudah ada; tidak ada yang ditimpa.")
    click.echo("Langkah berikutnya: sunting config/aduan.toml, lalu jalankan `aduan-sync check`.")


@cli.command(help="Memeriksa konfigurasi, templat email kantor dan lembar kerja: pemetaan "
                  "judul kolom, apa yang kurang, templat yang salah (berkas dan barisnya), "
                  "dan (berkas .xlsx) isi buku kerja yang akan hilang bila disimpan. "
                  "Kode keluar: 0 baik, 1 ada masalah, 2 konfigurasi tidak valid.")
@click.pass_context
@domain_errors
def check(ctx: click.Context) -> None:
    cfgs = load_configs(ctx)
    ok = True
    for cfg in cfgs:
        if len(cfgs) > 1:
            _console().print(f"== Sumber: {cfg.source.name} ==")
        ok = print_check(cfg) and ok
    sys.exit(EXIT_OK if ok else 1)


def print_check(cfg: config_mod.Config) -> bool:
    """Check one source and print the report; True when no problem was found."""
    from aduan_sync.checks import run_check

    report = run_check(cfg)
    out = _console()
    for label, value in report.lines:
        out.print(f"{label}: {value}")
    if report.mapping:
        table = Table(title="Pemetaan isian formulir → judul kolom")
        table.add_column("Isian")
        table.add_column("Judul kolom di lembar kerja")
        for key, header in report.mapping:
            table.add_row(key, header)
        out.print(table)
    for w in report.warnings:
        out.print(f"Peringatan: {w}")
    for p in report.problems:
        out.print(f"Masalah: {p}")
    out.print("Hasil: baik." if report.ok else f"Hasil: {len(report.problems)} masalah ditemukan.")
    return bool(report.ok)


@cli.command(help="Menjalankan satu kali proses (untuk cron / systemd timer). Kode keluar: 0 "
                  "baik, 1 selesai dengan kesalahan butir, 2 konfigurasi tidak valid, 3 lembar "
                  "kerja tidak terjangkau, 75 proses lain sedang berjalan.")
@click.option("--json", "as_json", is_flag=True, help="Cetak satu objek JSON ke stdout.")
@click.pass_context
def sync(ctx: click.Context, as_json: bool) -> None:
    from aduan_sync.progress import interactive
    from aduan_sync.scheduler import run_sources, worst_exit_code

    try:
        cfgs = load_configs(ctx)
    except AduanSyncError as e:
        if as_json:
            click.echo(json.dumps({"ok": False, "exit_code": e.exit_code, "error": e.message,
                                   "detail": e.detail}, ensure_ascii=False))
        fail(e)
        return
    with interactive(enabled=not as_json):
        outcomes = run_sources(cfgs)  # one failing source never stops the others
    code = worst_exit_code(o.exit_code for o in outcomes)
    if as_json:
        data = (outcomes[0].to_json() if len(cfgs) == 1 else
                {"ok": code == EXIT_OK, "exit_code": code,
                 "sources": [o.to_json() for o in outcomes]})
        if len(cfgs) == 1:
            data.pop("name")  # one source: the object `sync --json` has always printed
        click.echo(json.dumps(data, ensure_ascii=False))
    for o in outcomes:
        if len(cfgs) > 1 and not as_json:
            click.echo(f"== Sumber: {o.name} ==")
        if o.result is None:
            echo_error(o.error or "", o.detail)
        elif not as_json:
            print_pass(o.result)
    sys.exit(code)


@cli.command(help="Menjalankan daemon: satu proses untuk setiap sumber setiap [schedule] "
                  "interval_minutes (bawaan 5 menit), di zona waktu kantor. Log ke stderr. "
                  "SIGTERM/SIGINT: proses yang sedang berjalan diselesaikan, lalu keluar dengan "
                  "kode 0.")
@click.pass_context
@domain_errors
def run(ctx: click.Context) -> None:
    from aduan_sync.scheduler import Daemon

    sys.exit(Daemon.with_hooks(load_configs(ctx)).run())


def print_pass(result: Any) -> None:
    out = _console()
    if not result.changed and not result.problems and not result.errors:
        out.print(f"Tidak ada perubahan: {result.rows} aduan di lembar kerja sudah tercatat.")
        return
    out.print(f"Aduan baru terdaftar: {len(result.registered)}"
              + (f" ({result.registered[0]} … {result.registered[-1]})"
                 if result.registered else ""))
    out.print(f"Sel diperbarui di lembar kerja: {result.cells_written}; "
              f"arsip ditulis: {result.archived}; email antre: {result.queued}, "
              f"terkirim: {result.sent}, gagal: {result.mail_failed}")
    for p in result.problems:
        out.print(f"Masalah baris {p['baris']}: {p['pesan']}")
    for e in result.errors:
        out.print(f"Kesalahan: {e}")


@cli.command(help="Menampilkan buku register sebagaimana tercatat di ledger: jumlah per "
                  "status, aduan yang melewati batas waktu, email yang menunggu atau gagal "
                  "dikirim, dan proses terakhir.")
@click.option("--json", "as_json", is_flag=True, help="Cetak satu objek JSON ke stdout.")
@click.pass_context
@domain_errors
def status(ctx: click.Context, as_json: bool) -> None:
    from aduan_sync.status import status_report

    cfgs = load_configs(ctx)
    reports = [(cfg, status_report(cfg)) for cfg in cfgs]
    if as_json:
        data = reports[0][1] if len(cfgs) == 1 else {
            "sources": [{"name": c.source.name, **r} for c, r in reports]}
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    for cfg, report in reports:
        if len(cfgs) > 1:
            _console().print(f"== Sumber: {cfg.source.name} ==")
        print_status(report, cfg)


def print_status(report: dict[str, Any], cfg: config_mod.Config) -> None:
    """The status report as an operator reads it."""
    from aduan_sync.status import format_pass_time

    out = _console()
    out.print(f"Jumlah aduan: {report['complaints']}")
    for st, n in sorted(report["by_status"].items()):
        out.print(f"  {st}: {n}")
    out.print(f"Melewati batas waktu: {len(report['overdue'])}")
    for o in report["overdue"]:
        out.print(f"  {o['register_no']} (batas {o['deadline']}, terlambat "
                  f"{o['days_overdue']} hari kerja, {o['status']}, {o['unit']})")
    b = report["backlog"]
    out.print(f"Email menunggu dikirim: {b['pending']}"
              + (f" (tertua {b['oldest']}, {b['retrying']} dicoba ulang)" if b["pending"] else "")
              + f"; gagal: {report['outbox'].get('failed', 0)}")
    if b["last_error"]:
        out.print(f"  Kesalahan kirim terakhir: {b['last_error']}")
    for m in report["failed_messages"]:
        out.print(f"  Gagal: {m['register_no']} ({m['kind']}): {m['error']}")
    last = report["last_pass"]
    if not last:
        out.print("Proses terakhir yang mengubah data: belum ada")
        return
    s = last["summary"]
    out.print(f"Proses terakhir yang mengubah data: {format_pass_time(last['finished_at'], cfg)} "
              f"({last['result']}): {s['registered']} aduan baru, {s['cells_written']} sel "
              f"ditulis, {s['mail_sent']} email terkirim, {s['mail_failed']} gagal, "
              f"{s['problems']} masalah")
    for err in s["errors"]:
        out.print(f"  Kesalahan: {err}")


@cli.command(help="Menjalankan seluruh SOP pada contoh bawaan (buku kerja .xlsx lokal, email ke "
                  "folder outbox) dengan data contoh.")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
              default=Path("demo-workspace"), show_default=True,
              help="Folder kerja demo.")
@domain_errors
def demo(directory: Path) -> None:
    from aduan_sync.demo import run_demo

    outcome = run_demo(directory)
    out = _console()
    for p in outcome.created:
        out.print(f"dibuat: {p}")
    r = outcome.result
    if r.changed:
        table = Table(title=f"Buku Register Aduan ({len(outcome.register)} aduan)")
        table.add_column("Nomor Register", no_wrap=True)
        for col in ("Kategori", "Unit Tujuan", "Status"):
            table.add_column(col)
        table.add_column("Batas Waktu", no_wrap=True)
        for row in outcome.register:
            table.add_row(row["register_no"], row["category"], row["unit"], row["status"],
                          row["deadline"] or "-")
        out.print(table)
        print_pass(r)
    else:
        out.print(f"Tidak ada aduan baru: {r.rows} aduan sudah terdaftar; tidak ada berkas "
                  "yang diubah.")
    out.print(f"Buku kerja : {outcome.workbook}")
    out.print(f"Arsip      : {outcome.archive_dir}")
    out.print(f"Outbox     : {outcome.outbox_dir}")
    sys.exit(r.exit_code)


@cli.group("register", help="Buku Register Aduan sebagaimana tercatat di ledger.")
def register_group() -> None:
    pass


@register_group.command("export", help="Mengekspor Buku Register Aduan satu tahun: XLSX siap "
                                       "cetak (A4 mendatar), CSV (UTF-8) atau PDF siap "
                                       "ditandatangani.")
@click.option("--year", type=click.IntRange(2000, 2999), required=True, metavar="TTTT",
              help="Tahun register.")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv", "pdf"]), default="xlsx",
              show_default=True, help="Format berkas.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Berkas keluaran (bawaan: buku-register-aduan-TTTT.<format> di folder ini).")
@click.pass_context
@domain_errors
def register_export(ctx: click.Context, year: int, fmt: str, out: Path | None) -> None:
    from aduan_sync.reports import export_register

    result = export_register(load_config(ctx), year, fmt, out)
    click.echo(f"Buku Register Aduan tahun {year}: {result.count} aduan ditulis ke "
               f"{result.path}")


@cli.command(help="Menyusun Laporan Penanganan Pengaduan Masyarakat untuk satu bulan atau satu "
                  "tahun (PDF atau HTML), lengkap dengan grafik dan blok tanda tangan Camat.")
@click.option("--month", metavar="TTTT-BB", default=None, help="Bulan laporan, mis. 2026-11.")
@click.option("--year", type=click.IntRange(2000, 2999), default=None, metavar="TTTT",
              help="Tahun laporan.")
@click.option("--format", "fmt", type=click.Choice(["pdf", "html"]), default="pdf",
              show_default=True, help="Format berkas.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Berkas keluaran (bawaan: laporan-aduan-<periode>.<format> di folder ini).")
@click.pass_context
@domain_errors
def report(ctx: click.Context, month: str | None, year: int | None, fmt: str,
           out: Path | None) -> None:
    from aduan_sync.reports import parse_period, write_report

    try:
        period = parse_period(month, year)
    except ValueError as e:
        raise click.UsageError(str(e)) from e
    path = write_report(load_config(ctx), period, fmt, out)
    click.echo(f"Laporan Penanganan Pengaduan Masyarakat {period.label}: ditulis ke {path}")


@cli.group("auth", help="Izin akses Google untuk kantor tanpa akun layanan (service account).")
def auth_group() -> None:
    pass


@auth_group.command("login", help="Masuk dengan akun Google kantor (OAuth, aplikasi terpasang) "
                                  "dan simpan tokennya ke `[source] credentials_file` (izin "
                                  "0600). Perlu berkas client secret dari Google Cloud Console.")
@click.option("--client-secrets", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              required=True, help="Berkas JSON OAuth client (jenis: Desktop app).")
@click.option("--no-browser", is_flag=True, help="Jangan membuka peramban otomatis; "
                                                 "tampilkan tautannya saja.")
@click.pass_context
@domain_errors
def auth_login(ctx: click.Context, client_secrets: Path, no_browser: bool) -> None:
    from aduan_sync.google_auth import login, scopes_for

    cfg = load_config(ctx)
    out = cfg.source.credentials_file
    if out is None:
        raise config_mod.ConfigError("wajib diisi: lokasi penyimpanan token",
                                     key="source.credentials_file", path=cfg.path)
    creds = login(client_secrets, out, scopes_for(cfg), open_browser=not no_browser)
    click.echo(f"Token tersimpan di {out} (izin 0600) untuk {creds.email or 'akun ini'}.")
    click.echo("Langkah berikutnya: `aduan-sync check`.")


def main() -> None:
    """Console-script entry point."""
    from aduan_sync.logs import install_excepthooks

    install_excepthooks()
    try:
        cli(obj={"process": True})  # the whole process: logging stays set up until exit
    except AduanSyncError as e:  # pragma: no cover - commands catch their own
        fail(e)
    except KeyboardInterrupt:
        sys.exit(130)


