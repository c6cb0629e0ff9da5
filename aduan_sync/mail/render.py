"""Render the office's mail and the archived "Formulir Aduan" from Jinja2 templates.

Templates live in `templates/` (shipped in the package as `config.PACKAGED_TEMPLATES`); an office
may point `[mail] templates_dir` at its own copy, and any template missing there falls back to
the packaged one. For each kind of message there are three templates:
`mail/<kind>.subject.j2`, `mail/<kind>.txt.j2` and `mail/<kind>.html.j2` (HTML autoescaped and
built on `mail/_layout.html.j2`, the office's letterhead). Reply drafts for the PPID are
`drafts/<category slug>.txt.j2`, falling back to `drafts/lainnya.txt.j2`.

Everything a citizen typed is *data*: it is only ever passed as a value, never compiled as a
template, so `{{ ... }}` in a complaint comes out literally (and escaped in HTML).

The context is plain dicts (missing keys and `None` values get empty defaults, so the templates
only meet empty strings, never undefined names; a typo in a template still fails loudly)::

    {"office": {"name", "regency", "address", "camat_name"},
     "ppid": {"name", "email"},
     "complaint": {"register_no", "register_date", "submitted_at", "deadline", "category",
                   "unit", "completeness", "missing": [Indonesian labels], "status", "note",
                   "name", "nik", "phone", "email", "desa", "address", "channel", "text",
                   "location", "attachments": [str], "extra": [[header, value], ...],
                   "sheet_url", "answer", "answer_date", "days_overdue": int,
                   "escalation": bool, "sha256"},
     "now": "dd/mm/yyyy HH:MM"}

`ppid.person` is derived: the PPID's name unless it is the role itself ("PPID Pelaksana …").
Dates may be `datetime`/`date` objects or text in the sheet's `dd/mm/yyyy HH:MM` form. The
`reminder` kind becomes the escalation to the Camat when `complaint.escalation` (or a top-level
`escalation`) is true. The `digest` kind takes instead::

    {"office", "ppid", "now", "date", "new": [complaint, ...], "waiting": [...],
     "overdue": [...], "to_post": [...],
     "failed_messages": [{"register_no", "kind", "error"}, ...]}

Staff mails (`ppid_notification`, `unit_notification`, `reminder`, `digest`) mask nothing;
citizen mails (`receipt`, `clarification_request`, `answer`) never show the NIK.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from aduan_sync import defaults
from aduan_sync.config import PACKAGED_TEMPLATES, is_valid_email
from aduan_sync.model import CATEGORY_LAINNYA

#: Kinds of message, each with a subject, text and HTML template under `mail/`.
KINDS: tuple[str, ...] = (
    "ppid_notification",
    "unit_notification",
    "receipt",
    "clarification_request",
    "answer",
    "reminder",
    "digest",
)
#: Kinds read by the office's staff (nothing masked, links to the sheet).
STAFF_KINDS = frozenset({"ppid_notification", "unit_notification", "reminder", "digest"})
#: Kinds read by the citizen (formal address, never the NIK).
CITIZEN_KINDS = frozenset({"receipt", "clarification_request", "answer"})

#: Indonesian labels of the kinds, for the digest's list of failed messages.
KIND_LABELS: dict[str, str] = {
    "ppid_notification": "Notifikasi PPID",
    "unit_notification": "Notifikasi unit",
    "receipt": "Tanda terima",
    "clarification_request": "Permintaan kelengkapan data",
    "answer": "Tanggapan kepada pelapor",
    "reminder": "Pengingat batas waktu",
    "escalation": "Eskalasi kepada Camat",
    "digest": "Ringkasan harian",
}

MONTHS = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip
DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")

#: Text forms of dates the filters understand, besides `datetime`/`date` objects.
_DATE_FORMATS = (
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d",
)
_SLUG_UNSAFE = re.compile(r"[^a-z0-9]+")

COMPLAINT_DEFAULTS: dict[str, Any] = {
    "register_no": "", "register_date": "", "submitted_at": "", "deadline": "",
    "category": "", "unit": "", "completeness": "", "missing": [], "status": "", "note": "",
    "name": "", "nik": "", "phone": "", "email": "", "desa": "", "address": "",
    "channel": "", "text": "", "location": "", "attachments": [], "extra": [],
    "sheet_url": "", "answer": "", "answer_date": "", "days_overdue": 0,
    "escalation": False, "sha256": "",
}  # fmt: skip
OFFICE_DEFAULTS: dict[str, Any] = {
    "name": defaults.OFFICE_NAME,
    "regency": defaults.OFFICE_REGENCY,
    "address": "",
    "camat_name": "",
}
PERSON_DEFAULTS: dict[str, Any] = {"name": "", "email": ""}
FAILED_DEFAULTS: dict[str, Any] = {"register_no": "", "kind": "", "error": ""}
DIGEST_LISTS = ("new", "waiting", "overdue", "to_post")


@dataclass(frozen=True)
class Rendered:
    """One rendered message: a one-line subject, the plain text and the HTML alternative."""

    subject: str
    text: str
    html: str


class _Environment(jinja2.Environment):
    """`x.key` looks a dict's key up first. The context is plain dicts, and Jinja's own order
    (the attribute, then the key) raises and catches an AttributeError for every
    `complaint.name` a template prints: a tenth of rendering a message. A dict's methods
    (`x.items()`) are still found when no key has their name."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


def make_environment(templates_dir: Path | None = None, *,
                     auto_reload: bool = True) -> jinja2.Environment:
    """A Jinja2 environment over the office's templates, falling back to the packaged ones.

    Undefined names fail (StrictUndefined); `.html.j2` templates are autoescaped, `.txt.j2` and
    `.subject.j2` are not. `auto_reload=False`: a template, once loaded, is never checked
    against its file again (`messages.environment` checks the files once a pass instead).
    """
    paths = [PACKAGED_TEMPLATES]
    if templates_dir is not None and Path(templates_dir).resolve() != PACKAGED_TEMPLATES.resolve():
        paths.insert(0, Path(templates_dir))
    env = _Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in paths], encoding="utf-8"),
        undefined=jinja2.StrictUndefined,
        autoescape=_autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=auto_reload,
        # `None` from a sheet cell prints as nothing, never as the word "None".
        finalize=lambda value: "" if value is None else value,
    )
    env.filters.update(
        tanggal=tanggal,
        waktu=waktu,
        nl2br=nl2br,
        isi=isi,
        kapital=kapital,
        slug=slug,
        ringkas=ringkas,
        jenis_pesan=jenis_pesan,
        url_aman=url_aman,
    )
    env.tests["email"] = lambda value: isinstance(value, str) and is_valid_email(value)
    return env


def _autoescape(name: str | None) -> bool:
    return name is not None and name.endswith((".html.j2", ".html"))


def _parse_date(value: Any) -> datetime | date | None:
    if isinstance(value, datetime | date):
        return value
    return _parse_date_text(str(value).strip())


@functools.lru_cache(maxsize=4096)
def _parse_date_text(text: str) -> datetime | None:
    """Cached: a pass renders the same few dates (its own clock, today's deadlines) thousands
    of times, and `strptime` is the slowest step of a filter."""
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def tanggal(value: Any, hari: bool = False) -> str:
    """Indonesian long date: "28 November 2026" (with `hari=True`: "Sabtu, 28 November 2026").

    Empty values give ""; text that is not a date is returned unchanged.
    """
    if value is None or value == "":
        return ""
    when = _parse_date(value)
    if when is None:
        return str(value)
    text = f"{when.day} {MONTHS[when.month - 1]} {when.year}"
    return f"{DAYS[when.weekday()]}, {text}" if hari else text


def waktu(value: Any, hari: bool = False, zona: str = "WIB") -> str:
    """Indonesian date and time: "28 November 2026 pukul 09.15 WIB" (time only if known)."""
    if value is None or value == "":
        return ""
    when = _parse_date(value)
    if when is None:
        return str(value)
    text = tanggal(when, hari=hari)
    if isinstance(when, datetime) and not (isinstance(value, str) and ":" not in value):
        text += f" pukul {when.hour:02d}.{when.minute:02d}"
        if zona:
            text += f" {zona}"
    return text


def nl2br(value: Any) -> Markup:
    """Escape text for HTML and keep its line breaks as `<br>` (safe in autoescaped templates)."""
    text = "" if value is None else str(value)
    lines = escape(text.replace("\r\n", "\n").replace("\r", "\n")).split("\n")
    return Markup("<br>\n").join(lines)


def isi(value: Any, placeholder: str = "(tidak diisi)") -> Any:
    """The value, or a placeholder when it is empty (so a blank answer still reads as a fact)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return placeholder
    if isinstance(value, list | tuple) and not value:
        return placeholder
    return value


def kapital(value: Any) -> str:
    """First letter upper case, the rest untouched ("nomor HP" -> "Nomor HP")."""
    text = str(value or "")
    return text[:1].upper() + text[1:]


def slug(value: Any) -> str:
    """Category to file name: "Infrastruktur dan Pembangunan" -> "infrastruktur-dan-pembangunan"."""
    return _SLUG_UNSAFE.sub("-", str(value or "").lower()).strip("-")


def ringkas(value: Any, length: int = 120) -> str:
    """One line of at most `length` characters, for lists in the digest."""
    text = " ".join(str(value or "").split())
    if len(text) <= length:
        return text
    return text[: length - 1].rstrip() + "…"


def jenis_pesan(kind: Any) -> str:
    """The Indonesian label of a kind of message ("receipt" -> "Tanda terima")."""
    return KIND_LABELS.get(str(kind), str(kind))


def url_aman(value: Any) -> str:
    """The URL when it is plain http(s), else "" (never a `javascript:` link in staff mail)."""
    text = str(value or "").strip()
    if re.match(r"^https?://[^\s\"'<>]+$", text):
        return text
    return ""


def collapse_whitespace(text: str) -> str:
    """All whitespace, newlines included, collapsed to single spaces; ends stripped."""
    return " ".join(text.split())


def _filled(data: Any, template: Mapping[str, Any]) -> dict[str, Any]:
    """`data` over `template`'s keys and defaults; `None` becomes the default."""
    out = dict(template)
    if isinstance(data, Mapping):
        for key, value in data.items():
            out[key] = template.get(key, "") if value is None else value
    for key, value in template.items():
        if isinstance(value, list):
            out[key] = list(out[key] or [])
    return out


def complaint_context(complaint: Any) -> dict[str, Any]:
    """A complaint dict with every documented key present (empty defaults)."""
    return _filled(complaint, COMPLAINT_DEFAULTS)


def normalize_context(ctx: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `ctx` in the documented shape, every documented key present."""
    out = dict(ctx)
    out["office"] = _filled(ctx.get("office"), OFFICE_DEFAULTS)
    out["ppid"] = _filled(ctx.get("ppid"), PERSON_DEFAULTS)
    # Offices often configure the role ("PPID Pelaksana ...") as the name; letters then
    # address and sign with the role once instead of repeating it.
    name = str(out["ppid"]["name"]).strip()
    out["ppid"]["person"] = "" if "PPID" in name.upper() else name
    out["complaint"] = complaint_context(ctx.get("complaint"))
    out["now"] = ctx.get("now") or ""
    out["date"] = ctx.get("date") or ""
    out["escalation"] = bool(ctx.get("escalation") or out["complaint"]["escalation"])
    for key in DIGEST_LISTS:
        out[key] = [complaint_context(c) for c in ctx.get(key) or []]
    out["failed_messages"] = [_filled(m, FAILED_DEFAULTS) for m in ctx.get("failed_messages") or []]
    return out


def draft_template(env: jinja2.Environment, category: str) -> str:
    """The draft template for `category`: `drafts/<slug>.txt.j2`, else `drafts/lainnya.txt.j2`."""
    fallback = f"drafts/{slug(CATEGORY_LAINNYA)}.txt.j2"
    names = [f"drafts/{slug(category)}.txt.j2", fallback] if slug(category) else [fallback]
    return env.select_template(names).name or fallback


def render_draft(env: jinja2.Environment, ctx: Mapping[str, Any]) -> str:
    """The reply draft suited to the complaint's category, as plain text."""
    full = normalize_context(ctx)
    template = env.get_template(draft_template(env, full["complaint"]["category"]))
    return template.render(full).strip()


def render_message(env: jinja2.Environment, kind: str, ctx: Mapping[str, Any]) -> Rendered:
    """Render the subject, plain text and HTML of one message of `kind` (see `KINDS`)."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of message: {kind!r} (known: {', '.join(KINDS)})")
    full = normalize_context(ctx)
    full["kind"] = kind
    # The draft is rendered on its own and handed to the HTML as *text*, so that the HTML
    # template escapes it like any other value (an included .txt template would not be).
    full["draft"] = render_draft(env, full) if kind == "ppid_notification" else ""
    subject = env.get_template(f"mail/{kind}.subject.j2").render(full)
    text = env.get_template(f"mail/{kind}.txt.j2").render(full)
    html = env.get_template(f"mail/{kind}.html.j2").render(full)
    return Rendered(subject=collapse_whitespace(subject), text=_tidy_text(text), html=html)


def render_formulir(env: jinja2.Environment, ctx: Mapping[str, Any]) -> str:
    """The archived, printable "Formulir Aduan" page (self-contained HTML, autoescaped)."""
    return env.get_template("archive/formulir.html.j2").render(normalize_context(ctx))


def _tidy_text(text: str) -> str:
    """Strip trailing spaces and runs of blank lines left by optional template sections."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    out: list[str] = []
    for line in lines:
        if not line and out and not out[-1]:
            continue
        out.append(line)
    return "\n".join(out).strip("\n") + "\n"
