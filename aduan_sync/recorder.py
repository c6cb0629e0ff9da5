"""Record a pass's decisions in the ledger, inside its one transaction.

Every change of a complaint is an audit event (time, kind, actor: worker or staff), and every
message it causes is queued in the same transaction, so a crash leaves either both or neither.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from aduan_sync import decide, fanout
from aduan_sync.answers import Answers
from aduan_sync.calendar import WorkingCalendar
from aduan_sync.completeness import check_completeness
from aduan_sync.config import Config, is_valid_email
from aduan_sync.deadlines import ComplaintKind, final_deadline, ppid_deadline
from aduan_sync.duplicates import DuplicateFinder
from aduan_sync.ledger import Ledger
from aduan_sync.lifecycle import Review, add_note, can_move
from aduan_sync.mail.render import KIND_LABELS
from aduan_sync.messages import Messenger, WithFiles
from aduan_sync.model import CATEGORY_LAINNYA, Status
from aduan_sync.records import Complaint, QueuedMessage
from aduan_sync.register import format_register
from aduan_sync.reminders import Overdue, digest_lists

#: (category, unit, completeness, missing, note) of one new row (`decide.new_complaint`).
Verdict = tuple[str, str, str, list[str], str]
Classifier = Callable[[Answers, str | None], Verdict]
#: A worker's task (`Recorder.rendering`): a new row's index, to classify, or a registered
#: complaint with its files, to render its mail.
WorkItem = int | WithFiles

#: New complaints handed to the renderers at a time while registering.
RENDER_BATCH = 200
#: New rows handed to the workers to classify at a time, and how far ahead of registering.
CLASSIFY_BATCH = 200
CLASSIFY_AHEAD = 600

#: The kind of complaint for the overall cap ([sla] caps), by category.
KIND_BY_CATEGORY = {"Informasi Publik": ComplaintKind.INFORMATION_REQUEST}


class Recorder:
    """Applies one pass's effects through `db` (an open ledger transaction)."""

    def __init__(self, cfg: Config, ledger: Ledger, db: sqlite3.Connection,
                 messenger: Messenger, cal: WorkingCalendar, now: datetime) -> None:
        self.cfg, self.ledger, self.db = cfg, ledger, db
        self.messenger, self.cal, self.now = messenger, cal, now
        self.queued = 0
        self._new: list[Complaint] = []
        self._pipe: fanout.Pipeline[WorkItem, Any] | None = None
        self._views: Sequence[decide.RowView] = ()
        self._classifier: Classifier | None = None
        self._verdicts: deque[Verdict] = deque()

    # -- helpers ------------------------------------------------------------------------------

    def event(self, c: Complaint, kind: str, actor: str = "worker", **detail: Any) -> None:
        self.ledger.add_event(self.db, self.now, kind, complaint_id=c.id,
                              register_no=c.register_no, actor=actor, **detail)

    def queue(self, msg: QueuedMessage, c: Complaint | None) -> None:
        if self.ledger.queue_message(self.db, msg, complaint_id=c.id if c else None,
                                     register_no=c.register_no if c else "", now=self.now):
            self.queued += 1

    def update(self, c: Complaint, **values: Any) -> Complaint:
        """Update the ledger and return the complaint as it now is."""
        self.ledger.update_complaint(self.db, c.id, **values)
        return dataclasses.replace(c, **values)

    def known(self, key: str, kind: str, serial: int | None = None) -> bool:
        """Whether the message (key, kind, serial) is already in the outbox."""
        return self.ledger.has_message(self.db, self.messenger.message_id(key, kind, serial))

    def set_status(self, c: Complaint, target: Status, cause: str) -> Complaint:
        if not can_move(c.status, target):
            return c
        self.event(c, "status_changed", old=c.status, new=target.value, cause=cause)
        return self.update(c, status=target.value)

    def final_deadline(self, category: str, submitted: datetime) -> datetime | None:
        kind = KIND_BY_CATEGORY.get(category, ComplaintKind.NORMAL)
        return final_deadline(self.cal, submitted, kind, self.cfg.sla)

    # -- new complaints (SOP steps 2–4) ----------------------------------------------------------

    def register(self, view: decide.RowView, verdict: Verdict,
                 origin: dict[str, object], dupes: DuplicateFinder) -> Complaint:
        """Number and record the complaint of a new row, classified beforehand (`verdict`,
        from `rendering`); its messages are rendered aside and queued by `queue_new`."""
        new = decide.new_complaint(
            view, classify=lambda _answers, _staff: verdict, now=self.now, origin=origin,
            deadline=lambda t: ppid_deadline(self.cal, t, self.cfg.sla),
        )
        probe = dupes.probe(new.answers, new.submitted_at)
        dup = dupes.check(probe)
        new = dataclasses.replace(
            new, final_deadline=self.final_deadline(new.category, new.submitted_at),
            duplicate_of=dup or "",
            note=add_note(new.note, f"Kemungkinan duplikat dari {dup}." if dup else ""),
        )
        local = new.submitted_at.astimezone(self.cfg.office.tz)
        seq = self.ledger.next_seq(self.db, local.year)
        reg = format_register(self.cfg.register.format, seq, local)
        c = self.ledger.register_complaint(self.db, new, register_no=reg, year=local.year,
                                           seq=seq, registered_at=self.now)
        self.event(c, "registered", status=Status.TERDAFTAR.value, sheet_row=view.index + 2)
        self.event(c, "classified", category=c.category, unit=c.unit,
                   completeness=c.completeness)
        self.event(c, "status_changed", old=Status.TERDAFTAR.value, new=c.status,
                   cause="klasifikasi")
        assert self._pipe is not None, "register and queue_new run inside rendering()"
        self._new.append(c)  # its messages: rendered aside (`rendering`), queued in order
        if len(self._new) >= RENDER_BATCH:
            self._submit_new(self._pipe)
        dupes.record(reg, probe)
        return c

    @contextmanager
    def rendering(self, views: Sequence[decide.RowView], classifier: Classifier | None
                  ) -> Iterator[Iterator[tuple[decide.RowView, Verdict]]]:
        """While registering the new rows `views`: yields them in order, each with its
        classification (`classifier`'s verdict; None only when there is no new row), worked
        out ahead by worker processes (`fanout.Pipeline`), which also render the messages of
        the complaints `register` took. Both cores work while this process numbers and
        records. Classifying and rendering are most of a first import's work. `queue_new`
        queues what is left, in register order."""
        self._views, self._classifier = views, classifier  # inherited by the workers
        with fanout.Pipeline(self._in_worker, expected=len(views)) as pipe:
            self._pipe = pipe
            try:
                yield self._classified(pipe, len(views))
            finally:
                self._pipe = None
                self._views, self._classifier = (), None

    def _classified(self, pipe: fanout.Pipeline[WorkItem, Any], count: int
                    ) -> Iterator[tuple[decide.RowView, Verdict]]:
        """The rows and their verdicts in order; the workers classify `CLASSIFY_AHEAD` rows
        ahead (batches of row indexes: the rows themselves were inherited at fork)."""
        sent = 0
        for i in range(count):
            while sent < count and sent - i < CLASSIFY_AHEAD:
                end = min(count, sent + CLASSIFY_BATCH)
                pipe.submit(range(sent, end))
                sent = end
            while not self._verdicts:
                self._dispatch(pipe.take())
            yield self._views[i], self._verdicts.popleft()

    def _in_worker(self, item: WorkItem) -> Any:
        """A worker's task: classify the new row at an index, or render a complaint's mail."""
        if isinstance(item, int):
            assert self._classifier is not None
            view = self._views[item]
            return self._classifier(view.answers, view.worker.get("category") or None)
        return self._render_new(item)

    def _dispatch(self, done: Iterable[tuple[WorkItem, Any]]) -> None:
        """Results taken from the workers, in submission order: verdicts wait for
        `_classified`, rendered messages are queued."""
        for item, result in done:
            if isinstance(item, int):
                self._verdicts.append(result)
            else:
                for msg in result:
                    self.queue(msg, item[0])

    def queue_new(self) -> None:
        """SOP steps 3–4 for the complaints `register` took: render (what `rendering` has
        not yet) and queue their messages, in register order."""
        assert self._pipe is not None, "register and queue_new run inside rendering()"
        self._submit_new(self._pipe)
        self._dispatch(self._pipe.drain())

    def _submit_new(self, pipe: fanout.Pipeline[WorkItem, Any]) -> None:
        """Hand the complaints registered since the last batch to the renderers, and queue
        what is already rendered."""
        batch, self._new = self._new, []
        pipe.submit(self.messenger.with_files(batch))
        self._dispatch(pipe.ready())

    def _render_new(self, item: WithFiles) -> list[QueuedMessage]:
        return self.messenger.for_new_with_files(item, self.now)

    # -- staff edits ------------------------------------------------------------------------

    def adopt(self, e: decide.StaffEdit, c: Complaint) -> Complaint:
        """Take over a value staff typed in `Kategori`, `Unit Tujuan` or `Status`."""
        self.event(c, f"staff_edit_{e.column}", actor="staff", old=e.old, new=e.new)
        values: dict[str, Any] = {e.column: e.new}
        if e.column == "category":
            values["category_source"] = "staff"
            if c.written.get("unit") in ("", None, c.unit):
                values["unit"] = self.cfg.unit_for(e.new) or c.unit
        if e.column == "status":
            self.event(c, "status_changed", actor="staff", old=e.old, new=e.new,
                       cause="diubah petugas")
            if e.new in {s.value for s in (Status.SELESAI, Status.DITOLAK, Status.DUPLIKAT)}:
                values["closed_at"] = self.now
                if c.answer_route == "social" and e.new == Status.SELESAI and not c.answer_date:
                    values["answer_date"] = self.now  # the admin posted the answer
                    self.event(c, "answer_posted", actor="staff")
        return self.update(c, **values)

    def apply_review(self, r: Review, c: Complaint, classifier: Classifier | None) -> Complaint:
        if r.answers is not None:
            c = self._answers_edited(r.view, r.answers, c, classifier)
        if r.answer is not None:
            c = self._answer_typed(r.answer, c)
        return c

    def _answers_edited(self, view: decide.RowView, answers: Answers, c: Complaint,
                        classifier: Classifier | None) -> Complaint:
        """Staff corrected or completed the reporter's data: keep it and classify again."""
        completeness, missing = check_completeness(answers.fields)
        self.event(c, "answers_edited", actor="staff", old_sha256=c.answers_sha256,
                   new_sha256=decide.answers_sha256(answers), completeness=completeness)
        values: dict[str, Any] = dict(
            answers=answers.fields, extra=answers.extra,
            answers_sha256=decide.answers_sha256(answers), fingerprint=view.anchor.fingerprint,
            completeness=completeness, missing=missing, archived_sha256=None,
        )
        if classifier and c.category_source == "worker" and c.category == CATEGORY_LAINNYA:
            category, unit, *_ = classifier(answers, None)
            values.update(category=category, unit=unit)
        c = self.update(c, **values)
        if not missing and c.status == Status.PERLU_KLARIFIKASI:
            # Clarified: the PPID's working day starts now, not at the original submission.
            c = self.update(c, completed_at=self.now,
                            deadline=ppid_deadline(self.cal, self.now, self.cfg.sla))
            c = self.set_status(c, Status.DITERUSKAN, "data pelapor dilengkapi")
            for msg in self.messenger.for_new_complaint(c, self.now, staff_only=True):
                self.queue(msg, c)
        return c

    def _answer_typed(self, text: str, c: Complaint) -> Complaint:
        """SOP step 5: deliver the staff's answer, or mark it for the admin to post."""
        if c.answer_sent_at is not None:
            version = self.ledger.record_answer(self.db, c.id, text, self.now, delivered=False)
            self.event(c, "answer_edited_after_sent", actor="staff", version=version)
            sent = self.messenger.fmt(c.answer_sent_at)
            return self.update(c, answer=text, note=add_note(c.note, (
                f"Tanggapan diubah setelah dikirim ({sent}); perubahan tidak dikirim ulang "
                "otomatis, versi sebelumnya tersimpan di buku register.")))
        email = c.answers.get("email", "")
        if is_valid_email(email):
            version = self.ledger.record_answer(self.db, c.id, text, self.now, delivered=True)
            c = self.update(c, answer=text, answer_date=self.now, answer_sent_at=self.now,
                            answer_route="email")
            self.queue(self.messenger.message(c, "answer", [(c.answers.get("name", ""), email)],
                                              self.now, serial=version), c)
            self.event(c, "answer_sent", version=version)
            return self.set_status(c, Status.DITANGGAPI, "tanggapan dikirim ke pelapor")
        version = self.ledger.record_answer(self.db, c.id, text, self.now, delivered=False)
        channel = c.answers.get("channel") or "media sosial"
        self.event(c, "answer_ready_to_post", version=version, channel=channel)
        return self.update(c, answer=text, answer_sent_at=self.now, answer_route="social",
                           note=add_note(c.note, (
                               f"Tanggapan siap diunggah admin melalui {channel}; setelah "
                               "diunggah, ubah Status menjadi Selesai.")))

    # -- the clock ----------------------------------------------------------------------------

    def remind(self, o: Overdue) -> None:
        c, rc = o.complaint, self.cfg.recipients
        to = [(self.cfg.ppid.name, self.cfg.ppid.email)]
        unit_addr = rc.units.get(c.unit)
        if unit_addr and unit_addr != self.cfg.ppid.email:
            to.append((c.unit, unit_addr))
        before = self.queued
        # Most passes find the day's reminder already queued: look before rendering.
        if not self.known(c.register_no, "reminder", o.days_overdue):
            self.queue(self.messenger.message(c, "reminder", to, self.now,
                                              serial=o.days_overdue,
                                              days_overdue=o.days_overdue), c)
        if o.escalate and rc.camat.email and not self.known(c.register_no, "escalation"):
            self.queue(self.messenger.message(
                c, "reminder", [(rc.camat.name or "Camat", rc.camat.email)], self.now,
                id_kind="escalation", days_overdue=o.days_overdue, escalation=True), c)
        if self.queued > before:
            self.event(c, "reminder_queued", days_overdue=o.days_overdue,
                       escalation=o.escalate and bool(rc.camat.email))

    def digest(self, complaints: list[Complaint], failed: list[dict[str, str]]) -> None:
        to: list[tuple[str, str]] = []
        for person in (self.cfg.recipients.admin, self.cfg.ppid):
            if person.email and person.email not in {a for _, a in to}:
                to.append((person.name, person.email))
        if self.known(self.messenger.digest_key(self.now), "digest"):
            return
        lists = digest_lists(complaints, self.now)
        msg = self.messenger.digest(lists, failed, to, self.now)
        self.queue(msg, None)


def failed_labels(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)
