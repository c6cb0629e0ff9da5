"""What is wrong in a templates folder, found before a pass renders with it.

An office may point `[mail] templates_dir` at its own copy of the templates and edit it. A typo
there (`{% if %}`, `{{ complaint.nmae }}`, a filter that does not exist, an include of a file
that is not there) would otherwise surface in the middle of a pass as Jinja2's English message,
naming neither the file nor the line. `template_problems` compiles every template the
environment can load and renders every kind of message, the archived form page and every
reply draft with sample complaints that take the templates' branches (complete and
incomplete, with and without email and files, reminder and escalation, the digest's lists),
and returns each failure with its file and line, in Indonesian. `aduan-sync check` reports
them; a pass that finds any renders with the packaged templates instead (`messages`).

`template_error` turns a template failure met while rendering real data (a branch the samples
did not take) into a `TemplateError` that names the file and line the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import jinja2

from aduan_sync.errors import TemplateError
from aduan_sync.mail.render import KINDS, normalize_context, render_formulir, render_message

#: The technical detail is cut here: a message about a 40,000-character template line is no
#: more helpful for being whole.
_DETAIL_MAX = 300

_FILE = {
    "name": "foto-jalan.jpg", "size": 245_760, "size_text": "240 KB", "mime": "image/jpeg",
    "link": "https://drive.google.com/file/d/contoh/view", "status": "done",
    "status_text": "tersimpan di arsip", "sha256": "0" * 64,
}  # fmt: skip


def _complaint(**changes: Any) -> dict[str, Any]:
    """A sample complaint shaped as `Messenger.complaint_ctx` shapes a real one."""
    sample: dict[str, Any] = {
        "register_no": "001/ADUAN/XI/2026", "register_date": "28/11/2026 09:15",
        "submitted_at": "28/11/2026 09:10", "deadline": "30/11/2026 09:15",
        "category": "Infrastruktur dan Pembangunan",
        "unit": "Seksi Pemberdayaan Masyarakat Desa", "completeness": "Lengkap",
        "missing": [], "status": "Diteruskan ke PPID", "note": "Contoh catatan.",
        "name": "Contoh Pelapor", "nik": "3313010101900001", "phone": "081200000000",
        "email": "pelapor@contoh.example", "desa": "Balong", "address": "RT 01 RW 02",
        "channel": "Website", "text": "Contoh isi aduan.\nBaris kedua.", "location": "Balong",
        "attachments": [_FILE["link"]], "attachment_files": [dict(_FILE)],
        "extra": [["Pertanyaan tambahan", "Jawaban tambahan"]],
        "sheet_url": "https://docs.google.com/spreadsheets/d/contoh/edit#gid=0&range=A2",
        "answer": "Contoh tanggapan.", "answer_date": "29/11/2026 10:00", "sha256": "0" * 64,
    }  # fmt: skip
    sample.update(changes)
    return sample


def _samples() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The contexts of a message about each sample complaint, and the digest's context."""
    office = {"name": "Kecamatan Contoh", "regency": "Kabupaten Contoh",
              "address": "Jalan Contoh 1", "camat_name": "Contoh Camat"}
    ppid = {"name": "PPID Pelaksana Kecamatan Contoh", "email": "ppid@contoh.example"}
    complete = _complaint()
    social = _complaint(
        register_no="002/ADUAN/XI/2026", completeness="Perlu Klarifikasi",
        missing=["NIK", "alamat"], email="", channel="Instagram", attachments=[],
        attachment_files=[], extra=[], answer="", answer_date="", note="", deadline="",
        days_overdue=3, escalation=True)
    asking = _complaint(register_no="003/ADUAN/XI/2026", completeness="Perlu Klarifikasi",
                        missing=["nomor HP"], attachment_files=[], days_overdue=1)
    each = [{"office": office, "ppid": ppid, "complaint": c, "now": "29/11/2026 10:00"}
            for c in (complete, social, asking)]
    lists = {"new": [complete, social], "waiting": [asking], "overdue": [social],
             "to_post": [social]}
    digest = {
        "office": office, "ppid": ppid, "now": "29/11/2026 07:00", "date": date(2026, 11, 29),
        "totals": {k: len(v) + 150 for k, v in lists.items()}, **lists,
        "failed_messages": [{"register_no": complete["register_no"], "kind": "receipt",
                             "error": "550 alamat tidak dikenal"}],
    }
    return each, digest


@dataclass(frozen=True)
class TemplateProblem:
    """One failure: the template's name in the folder, its file, the line (when known), what
    went wrong in Indonesian, and Jinja2's own message."""

    name: str
    path: str
    line: int | None
    what: str
    detail: str

    @property
    def full(self) -> str:
        """`message` with Jinja2's message after it, as operator output shows technical
        details."""
        return f"{self.message} (Rincian teknis: {self.detail})" if self.detail else self.message

    @property
    def message(self) -> str:
        if not self.name:
            return f"Folder templat {self.path} {self.what}."
        where = f"Templat {self.path}" + (f" baris {self.line}" if self.line else "")
        return f"{where}: {self.what}."


def _what(e: BaseException) -> str:
    if isinstance(e, jinja2.TemplateAssertionError):  # before its base, the syntax error
        return "memakai filter atau pengujian yang tidak dikenal"
    if isinstance(e, jinja2.TemplateSyntaxError):
        return "penulisan perintah templat salah"
    if isinstance(e, jinja2.UndefinedError):
        return "memakai nama data yang tidak ada"
    if isinstance(e, jinja2.TemplateNotFound | jinja2.TemplatesNotFound):
        return "memanggil templat lain yang tidak ada"
    return "gagal dibuat"


def _located(e: BaseException, env: jinja2.Environment, fallback: str) -> TemplateProblem:
    """Where `e` happened: a syntax error knows its file and line; any other failure is
    found in the traceback, whose template frames Jinja2 rewrites to the template's file
    and line (the innermost one is where it happened)."""
    name, path, line = fallback, "", None
    if isinstance(e, jinja2.TemplateSyntaxError):
        name, path, line = e.name or fallback, e.filename or "", e.lineno
    else:
        tb = e.__traceback__
        while tb is not None:
            filename = tb.tb_frame.f_code.co_filename
            if filename.endswith(".j2"):
                path, line = filename, tb.tb_lineno
            tb = tb.tb_next
    if not path:
        path = _path_of(env, name)
    detail = f"{type(e).__name__}: {e}"
    if len(detail) > _DETAIL_MAX:
        detail = detail[: _DETAIL_MAX - 1] + "…"
    return TemplateProblem(name=name, path=path, line=line, what=_what(e), detail=detail)


def _path_of(env: jinja2.Environment, name: str) -> str:
    try:
        source = env.loader.get_source(env, name) if env.loader else None
    except jinja2.TemplateNotFound:
        return name
    return source[1] or name if source else name


def template_error(e: jinja2.TemplateError, env: jinja2.Environment, name: str
                   ) -> TemplateError:
    """The domain error for template failure `e` met while rendering `name`."""
    p = _located(e, env, name)
    return TemplateError(
        f"{p.message} Perbaiki templat itu, lalu jalankan `aduan-sync check`; pekerjaan "
        "yang tertunda diselesaikan oleh proses berikutnya.", p.detail)


def folder_problems(folder: Path, env: jinja2.Environment) -> list[TemplateProblem]:
    """`template_problems(env)` for the environment over the office's `folder`; a folder
    that is not there is the one problem (the loader would quietly use the packaged
    templates, and the office would wonder where its letterhead went)."""
    if not folder.is_dir():
        return [TemplateProblem(name="", path=str(folder), line=None,
                                what="tidak ditemukan", detail="")]
    return template_problems(env)


def template_problems(env: jinja2.Environment) -> list[TemplateProblem]:
    """Everything wrong in `env`'s templates, one problem per file and line, in the order
    found. Compiling and rendering leave the compiled templates in `env`'s cache, so a pass
    that renders with `env` afterwards does not compile them again."""
    found: dict[tuple[str, int | None, str], TemplateProblem] = {}
    for label, attempt in _attempts(env):
        try:
            attempt()
        except Exception as e:  # noqa: BLE001 - any failure of a template is reported
            p = _located(e, env, label)
            found.setdefault((p.path, p.line, p.what), p)
    return list(found.values())


def _attempts(env: jinja2.Environment) -> Iterator[tuple[str, Callable[[], object]]]:
    """(template, a call that uses it): compile each file, then render with the samples."""
    # Not hidden files: an editor's lock or swap file beside the template being edited
    # (`.#receipt.txt.j2`, often a dangling link) is no template.
    names = env.list_templates(
        filter_func=lambda n: n.endswith(".j2") and not n.rpartition("/")[2].startswith("."))
    for name in names:
        yield name, partial(env.get_template, name)
    each, digest = _samples()
    for ctx in each:
        for kind in KINDS:
            if kind != "digest":
                yield f"mail/{kind}", partial(render_message, env, kind, ctx)
        yield "archive/formulir.html.j2", partial(render_formulir, env, ctx)
        for name in names:
            if name.startswith("drafts/"):  # every draft, whatever category it serves
                yield name, partial(_render_file, env, name, ctx)
    yield "mail/digest", partial(render_message, env, "digest", digest)


def _render_file(env: jinja2.Environment, name: str, ctx: dict[str, Any]) -> str:
    return env.get_template(name).render(normalize_context(ctx))
