"""Turn ledger complaints into rendered, queued messages (and the archived form page).

The context shape is documented in `mail/render.py`. Every message gets a deterministic
Message-ID per (register number, kind), so queueing the same message twice is a no-op in the
ledger's outbox.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import jinja2

from aduan_sync import fanout
from aduan_sync.completeness import MISSING_LABELS
from aduan_sync.config import Config, is_valid_email
from aduan_sync.mail.compose import compose_bytes, message_id_for
from aduan_sync.mail.render import (
    PACKAGED_TEMPLATES,
    make_environment,
    render_formulir,
    render_message,
)
from aduan_sync.mail.template_check import TemplateProblem, folder_problems, template_error
from aduan_sync.model import format_sheet_datetime
from aduan_sync.records import Complaint, QueuedMessage

T = TypeVar("T")

#: templates folder -> (what its files were when the environment was made, the environment)
_ENVIRONMENTS: dict[Path, tuple[tuple[tuple[str, int, int], ...], jinja2.Environment]] = {}

#: templates folder -> (the environment last checked, what was wrong in it)
_CHECKED: dict[Path, tuple[jinja2.Environment, list[TemplateProblem]]] = {}
#: At most this many of a folder's problems are reported by a pass (`check` lists them all).
PROBLEMS_REPORTED = 5

#: A complaint with its recorded files (`Messenger.with_files`).
WithFiles = tuple[Complaint, list[dict[str, Any]]]

#: Complaints listed per section of the daily digest (answers to post are always all listed).
DIGEST_MAX = 100


def environment(templates_dir: Path) -> jinja2.Environment:
    """One Jinja2 environment per templates folder and process: compiling the templates costs
    more than rendering them, and the daemon renders with the same templates all day.

    A template whose file changed is taken up by the next pass: each call (one per pass, by
    `Messenger`) compares every template file's name, size and time with those the
    environment was made from (~40 files, under a millisecond) and makes a new one when any
    differs. Within the environment Jinja2 then never looks at the files again
    (`auto_reload` off): it would otherwise check each template's file before every use,
    three to six times a message, 60,000 times in a first import of 10,000 rows."""
    seen = _template_files(templates_dir)
    made = _ENVIRONMENTS.get(templates_dir)
    if made is None or made[0] != seen:
        made = _ENVIRONMENTS[templates_dir] = (seen, make_environment(templates_dir,
                                                                      auto_reload=False))
    return made[1]


def checked_environment(templates_dir: Path
                        ) -> tuple[jinja2.Environment, list[TemplateProblem]]:
    """`environment(templates_dir)` once its templates are known to work (`template_check`,
    once per change of the files: ~0.3 s, most of it compiling, which rendering would do
    anyway). When something in them is wrong: the packaged templates' environment, and what
    is wrong. The packaged folder itself is not checked here (the tests do)."""
    env = environment(templates_dir)
    if Path(templates_dir).resolve() == PACKAGED_TEMPLATES.resolve():
        return env, []
    done = _CHECKED.get(templates_dir)
    if done is None or done[0] is not env:
        done = _CHECKED[templates_dir] = (env, folder_problems(Path(templates_dir), env))
    if done[1]:
        return environment(PACKAGED_TEMPLATES), done[1]
    return env, []


def _template_files(templates_dir: Path) -> tuple[tuple[str, int, int], ...]:
    """(path, size, mtime in ns) of every file under the folders the environment loads from."""
    found = []
    # The office's folder may be the packaged one itself (`make_environment` then loads it
    # once): each folder is looked through once.
    for folder in dict.fromkeys(p.resolve() for p in (Path(templates_dir), PACKAGED_TEMPLATES)):
        for root, _dirs, names in os.walk(folder):
            for name in names:
                path = os.path.join(root, name)
                try:
                    st = os.stat(path)
                except OSError:
                    continue  # removed while looking: the next pass sees it gone
                found.append((path, st.st_size, st.st_mtime_ns))
    return tuple(sorted(found))


@dataclass
class Messenger:
    """Renders and composes messages for one config (one Jinja2 environment per pass)."""

    cfg: Config
    sheet_url: str = ""
    env: jinja2.Environment | None = None
    #: complaint ids -> their recorded attachments (`uploads.context_lookup(ledger)`; a
    #: complaint without files is absent): staff mails then list each file's name, size and
    #: link, not just the links.
    attachments_of: Callable[[Sequence[int]], dict[int, list[dict[str, Any]]]] | None = None

    def __post_init__(self) -> None:
        if self.env is None:
            self.env = environment(self.cfg.templates_dir)

    def check_templates(self) -> list[str]:
        """Before a pass renders anything (in the process that forks the rendering workers,
        so they inherit the result): the office's templates checked; when any is broken,
        this messenger renders with the packaged templates and the operator messages say
        what to fix (at most `PROBLEMS_REPORTED`, then how many more)."""
        self.env, problems = checked_environment(self.cfg.templates_dir)
        out = [f"Templat kantor tidak dapat dipakai, email dan formulir arsip dibuat dengan "
               f"templat bawaan sampai diperbaiki. {p.full}"
               for p in problems[:PROBLEMS_REPORTED]]
        if len(problems) > PROBLEMS_REPORTED:
            out.append(f"Templat kantor: {len(problems) - PROBLEMS_REPORTED} masalah lain; "
                       "jalankan `aduan-sync check` untuk melihat semuanya.")
        return out

    def _render(self, render: Callable[..., T], name: str, *args: Any) -> T:
        """`render(env, *args)`; a template failure becomes a `TemplateError` naming the
        template's file and line (`name`: the template, when the failure does not say)."""
        assert self.env is not None
        try:
            return render(self.env, *args)
        except jinja2.TemplateError as e:
            raise template_error(e, self.env, name) from e

    @property
    def domain(self) -> str:
        return self.cfg.mail.sender.rsplit("@", 1)[-1]

    def fmt(self, dt: datetime | None) -> str:
        return format_sheet_datetime(dt, self.cfg.office.tz)

    def files_of(self, complaints: Sequence[Complaint]) -> list[list[dict[str, Any]]]:
        """Each complaint's recorded files (`attachments_of`), in one lookup for all."""
        if self.attachments_of is None or not complaints:
            return [[] for _ in complaints]
        found = self.attachments_of([c.id for c in complaints])
        return [found.get(c.id, []) for c in complaints]

    def complaint_ctx(self, c: Complaint, files: list[dict[str, Any]] | None = None
                      ) -> dict[str, Any]:
        """The complaint as templates see it. `files`: its recorded attachments, when the
        caller has them (a rendering worker must not read the ledger); else looked up."""
        a = c.answers
        row = c.origin.get("sheet_row")
        url = f"{self.sheet_url}&range=A{row}" if self.sheet_url and row else self.sheet_url
        return {
            "register_no": c.register_no,
            "register_date": self.fmt(c.registered_at),
            "submitted_at": self.fmt(c.submitted_at),
            "deadline": self.fmt(c.deadline),
            "category": c.category,
            "unit": c.unit,
            "completeness": c.completeness,
            "missing": [MISSING_LABELS.get(m, m) for m in c.missing],
            "status": c.status,
            "note": c.note,
            **{k: a.get(k, "") for k in ("name", "nik", "phone", "email", "desa", "address",
                                         "channel", "text", "location")},
            "attachments": [s.strip() for s in a.get("attachment", "").split(",") if s.strip()],
            "attachment_files": self.files_of([c])[0] if files is None else files,
            "extra": [list(p) for p in c.extra],
            "sheet_url": url,
            "answer": c.answer,
            "answer_date": self.fmt(c.answer_date),
            "sha256": c.answers_sha256,
        }

    def context(self, c: Complaint, now: datetime, files: list[dict[str, Any]] | None = None,
                **extra: Any) -> dict[str, Any]:
        return self._around(self.complaint_ctx(c, files), now, extra)

    def _around(self, complaint: dict[str, Any], now: datetime,
                extra: dict[str, Any]) -> dict[str, Any]:
        """A message's whole context around a complaint's (`complaint_ctx`), which it shares
        with the complaint's other messages: rendering copies, never changes, it."""
        o = self.cfg.office
        return {
            "office": {"name": o.name, "regency": o.regency, "address": o.address,
                       "camat_name": o.camat_name},
            "ppid": {"name": self.cfg.ppid.name, "email": self.cfg.ppid.email},
            "complaint": {**complaint, **extra} if extra else complaint,
            "now": self.fmt(now),
        }

    def formulir(self, c: Complaint, files: list[dict[str, Any]] | None = None) -> str:
        """The archived "Formulir Aduan" page. `files` as for `complaint_ctx`."""
        return self._render(render_formulir, "archive/formulir.html.j2",
                            self.context(c, c.registered_at, files))

    def message(
        self, c: Complaint, kind: str, to: list[tuple[str, str]], now: datetime,
        *, serial: int | None = None, id_kind: str | None = None, **extra: Any,
    ) -> QueuedMessage:
        """Render and compose one message about complaint `c`. Its Message-ID is fixed by
        (register number, `id_kind` or `kind`, `serial`)."""
        return self._message(c.register_no, self.context(c, now, **extra), kind, to, now,
                             serial=serial, id_kind=id_kind)

    def _message(self, register_no: str, ctx: dict[str, Any], kind: str,
                 to: list[tuple[str, str]], now: datetime, *, serial: int | None = None,
                 id_kind: str | None = None) -> QueuedMessage:
        rendered = self._render(render_message, f"mail/{kind}", kind, ctx)
        mid = self.message_id(register_no, id_kind or kind, serial)
        return self._compose(rendered, mid, id_kind or kind, to, now)

    def _compose(self, rendered: Any, mid: str, kind: str, to: list[tuple[str, str]],
                 now: datetime) -> QueuedMessage:
        eml = compose_bytes(
            rendered, sender=self.cfg.mail.sender, sender_name=self.cfg.mail.sender_name,
            to=to, message_id=mid, date=now, reply_to=self.cfg.ppid.email,
        )
        return QueuedMessage(
            message_id=mid, kind=kind, recipients=[addr for _, addr in to],
            subject=rendered.subject, eml=eml,
        )

    def message_id(self, key: str, kind: str, serial: int | None = None) -> str:
        """The Message-ID of message `kind` about `key` (a register number, or a digest key)."""
        return message_id_for(key, kind, self.domain, serial)

    def digest_key(self, now: datetime) -> str:
        return f"RINGKASAN-{now.astimezone(self.cfg.office.tz):%Y%m%d}"

    def digest(self, lists: Any, failed: list[dict[str, str]], to: list[tuple[str, str]],
               now: datetime) -> QueuedMessage:
        """The daily digest; one Message-ID per office-local date."""
        o = self.cfg.office
        local = now.astimezone(o.tz)
        ctx = {
            "office": {"name": o.name, "regency": o.regency, "address": o.address,
                       "camat_name": o.camat_name},
            "ppid": {"name": self.cfg.ppid.name, "email": self.cfg.ppid.email},
            "now": self.fmt(now), "date": local.date(),
            # A first import can make thousands "new": the mail lists the first ones and says
            # how many more there are (the counts are always complete).
            "totals": {k: len(getattr(lists, k)) for k in ("new", "waiting", "overdue",
                                                           "to_post")},
            "new": self._listed(lists.new[:DIGEST_MAX]),
            "waiting": self._listed(lists.waiting[:DIGEST_MAX]),
            "overdue": self._listed(lists.overdue[:DIGEST_MAX]),
            "to_post": self._listed(lists.to_post),
            "failed_messages": failed,
        }
        rendered = self._render(render_message, "mail/digest", "digest", ctx)
        mid = self.message_id(self.digest_key(now), "digest")
        return self._compose(rendered, mid, "digest", to, now)

    def _listed(self, complaints: Sequence[Complaint]) -> list[dict[str, Any]]:
        return [self.complaint_ctx(c, files)
                for c, files in zip(complaints, self.files_of(complaints), strict=True)]

    def for_new_complaint(self, c: Complaint, now: datetime, *, staff_only: bool = False,
                          files: list[dict[str, Any]] | None = None) -> list[QueuedMessage]:
        """SOP steps 3–4 for a just-registered complaint: PPID (and unit) notification when it
        is complete; a receipt, or a request for the missing data, to a reporter with email.
        `files` as for `complaint_ctx`."""
        out: list[QueuedMessage] = []
        complete = not c.missing
        email = c.answers.get("email", "")
        to_reporter = is_valid_email(email) and not staff_only
        if not (complete or to_reporter):
            return out
        ctx = self._around(self.complaint_ctx(c, files), now, {})
        if complete:
            out.append(self._message(c.register_no, ctx, "ppid_notification",
                                     [(self.cfg.ppid.name, self.cfg.ppid.email)], now))
            unit_addr = self.cfg.recipients.units.get(c.unit)
            if unit_addr:
                out.append(self._message(c.register_no, ctx, "unit_notification",
                                         [(c.unit, unit_addr)], now))
        if to_reporter:
            kind = "receipt" if complete else "clarification_request"
            out.append(self._message(c.register_no, ctx, kind,
                                     [(c.answers.get("name", ""), email)], now))
        return out

    def with_files(self, complaints: Sequence[Complaint]) -> list[WithFiles]:
        """Each complaint with its files as its mail lists them, looked up now: rendering
        workers (`fanout`) may not read the ledger themselves."""
        return list(zip(complaints, self.files_of(complaints), strict=True))

    def for_new_with_files(self, item: WithFiles, now: datetime,
                           *, staff_only: bool = False) -> list[QueuedMessage]:
        """`for_new_complaint` for a complaint from `with_files`, without the ledger."""
        c, files = item
        return self.for_new_complaint(c, now, staff_only=staff_only, files=files)

    def for_new_complaints(self, complaints: Sequence[Complaint], now: datetime,
                           *, staff_only: bool = False) -> Iterator[list[QueuedMessage]]:
        """`for_new_complaint` for each complaint, in order; a large batch is rendered on
        every core (`fanout`)."""
        return fanout.map_ordered(
            lambda item: self.for_new_with_files(item, now, staff_only=staff_only),
            self.with_files(complaints))
