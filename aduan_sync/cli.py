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
    return Console(stderr=err, highlight=False, soft_wrap=True)


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


@click.group(help="aduan-sync: menjalankan SOP penanganan aduan masyarakat Kecamatan Jenawi "
                  "atas lembar tanggapan Google Form.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="Berkas konfigurasi (bawaan: $ADUAN_SYNC_CONFIG, lalu config/aduan.toml).")
@click.version_option(__version__, prog_name="aduan-sync")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None) -> None:
    ctx.ensure_object(dict)
    ctx.obj["config"] = config_path


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


@cli.command(help="Memeriksa konfigurasi dan lembar kerja: pemetaan judul kolom dan apa yang "
                  "kurang. Kode keluar: 0 baik, 1 ada masalah, 2 konfigurasi tidak valid.")
@click.pass_context
@domain_errors
def check(ctx: click.Context) -> None:
    from aduan_sync.checks import run_check

    cfg = load_config(ctx)
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
    sys.exit(EXIT_OK if report.ok else 1)


@cli.command(help="Menjalankan satu kali proses (untuk cron / systemd timer). Kode keluar: 0 "
                  "baik, 1 selesai dengan kesalahan butir, 2 konfigurasi tidak valid, 3 lembar "
                  "kerja tidak terjangkau, 75 proses lain sedang berjalan.")
@click.option("--json", "as_json", is_flag=True, help="Cetak satu objek JSON ke stdout.")
@click.pass_context
def sync(ctx: click.Context, as_json: bool) -> None:
    from aduan_sync.passrun import run_pass

    try:
        cfg = load_config(ctx)
        result = run_pass(cfg)
    except AduanSyncError as e:
        if as_json:
            click.echo(json.dumps({"ok": False, "exit_code": e.exit_code, "error": e.message,
                                   "detail": e.detail}, ensure_ascii=False))
        fail(e)
        return
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        print_pass(result)
    sys.exit(result.exit_code)


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


@cli.command(help="Menampilkan buku register sebagaimana tercatat di ledger.")
@click.option("--json", "as_json", is_flag=True, help="Cetak satu objek JSON ke stdout.")
@click.pass_context
@domain_errors
def status(ctx: click.Context, as_json: bool) -> None:
    from aduan_sync.status import status_report

    report = status_report(load_config(ctx))
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
        return
    out = _console()
    out.print(f"Jumlah aduan: {report['complaints']}")
    for st, n in sorted(report["by_status"].items()):
        out.print(f"  {st}: {n}")
    out.print(f"Melewati batas waktu: {len(report['overdue'])}")
    for o in report["overdue"]:
        out.print(f"  {o['register_no']} (batas {o['deadline']}, {o['status']})")
    backlog = report["outbox"].get("queued", 0) + report["outbox"].get("sending", 0)
    out.print(f"Email menunggu dikirim: {backlog}; gagal: {report['outbox'].get('failed', 0)}")
    last = report["last_pass"]
    out.print("Proses terakhir yang mengubah data: "
              + (f"{last['finished_at']} ({last['result']})" if last else "belum ada"))


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
        for col in ("Nomor Register", "Kategori", "Unit Tujuan", "Status", "Batas Waktu"):
            table.add_column(col)
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


def main() -> None:
    """Console-script entry point."""
    try:
        cli(obj={})
    except AduanSyncError as e:  # pragma: no cover - commands catch their own
        fail(e)
    except KeyboardInterrupt:
        sys.exit(130)


