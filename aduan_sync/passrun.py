"""One pass of the SOP over the sheet: read, identify, decide, record, archive, write, deliver.

Order of effects: the ledger first (numbers, messages and audit events in one transaction),
then the archive, then the sheet, then mail. Each later step is idempotent and re-derived from
the ledger, so a pass killed between any two steps is finished by the next one.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from aduan_sync import archive, attachments, decide, fanout, idle, lifecycle, reminders, uploads
from aduan_sync.answers import Answers
from aduan_sync.classify import classify, load_rules
from aduan_sync.config import Config
from aduan_sync.duplicates import DuplicateFinder
from aduan_sync.errors import EXIT_OK, AduanSyncError, ArchiveError
from aduan_sync.fsutil import flush_to_disk, start_sweep
from aduan_sync.headers import HeaderMap, map_headers
from aduan_sync.ledger import Ledger
from aduan_sync.lock import pass_lock
from aduan_sync.mail.deliver import deliver_pending
from aduan_sync.mail.transport import Transport, open_transport
from aduan_sync.memory import limit_arenas, release_freed
from aduan_sync.messages import Messenger
from aduan_sync.model import FORM_FIELDS
from aduan_sync.pass_result import PassResult
from aduan_sync.progress import track
from aduan_sync.recorder import Classifier, Recorder, Verdict, failed_labels
from aduan_sync.records import Complaint
from aduan_sync.rekap import pad_grid, rekap_grid
from aduan_sync.sheet_watch import SheetWatch
from aduan_sync.sources import open_source
from aduan_sync.sources.base import SheetSnapshot, Source

T = TypeVar("T")

#: Complaints archived per batch (each batch loaded from the ledger, then written by workers;
#: ~3 KB a complaint with its answers, while the pass holds every other row's record). With
#: workers, two batches are in memory at a time (`_archive`): as many complaints as one
#: batch of 2,000 before, which the 50,000-row peak RSS has no room to exceed.
ARCHIVE_BATCH = 1000
#: What an archive worker is given: a complaint, with its files as `aduan.json` lists them
#: and as its formulir page does (looked up by the pass: the workers may not read the ledger).
_ArchiveItem = tuple[Complaint, list[dict[str, Any]], list[dict[str, Any]]]


class SheetLayoutError(AduanSyncError):
    """Raised by `run_pass` when the sheet lacks a column the worker cannot do without."""


def make_classifier(cfg: Config) -> Classifier:
    rules = load_rules(cfg.rules_file, cfg.classification.categories)

    def run(answers: Answers, staff_category: str | None) -> Verdict:
        c = classify(answers.fields, rules, cfg.unit_for, staff_category)
        return c.category, c.unit, c.completeness, list(c.missing), c.note

    return run


def check_layout(hmap: HeaderMap) -> None:
    """Refuse a sheet without the columns the worker cannot do without."""
    if hmap.missing_required:
        names = ", ".join(f"`{FORM_FIELDS[k][0]}`" for k in hmap.missing_required)
        raise SheetLayoutError(
            f"Kolom wajib tidak ditemukan di lembar kerja: {names}. Periksa judul kolom atau "
            "tambahkan alias di bagian [fields] konfigurasi; tidak ada yang diubah.",
            detail=f"judul kolom: {hmap.headers}",
        )


def run_pass(
    cfg: Config,
    *,
    now: datetime | None = None,
    source: Source | None = None,
    transport: Transport | None = None,
    env: Mapping[str, str] | None = None,
) -> PassResult:
    """Run one pass under the pass lock. Raises `PassLockedError`, `SourceError`, ..."""
    now = now or datetime.now(cfg.office.tz)
    limit_arenas()  # before the download threads: each would keep a heap of its own
    with pass_lock(cfg.storage.lock_path), Ledger(cfg.storage.ledger_path) as ledger:
        source = source or open_source(cfg)
        transport = transport or open_transport(cfg, env if env is not None else os.environ)
        return _Pass(cfg, ledger, source, transport, now).run()


class _Pass:
    def __init__(self, cfg: Config, ledger: Ledger, source: Source, transport: Transport,
                 now: datetime) -> None:
        self.cfg = cfg
        self.ledger = ledger
        self.source = source
        self.transport = transport
        self.now = now
        self.tz = cfg.office.tz
        self.cal = cfg.calendar.working_calendar(self.tz)
        self.result = PassResult(started_at=now, source=source.describe())
        self.watch = SheetWatch(cfg, ledger, source, self.result)
        self.messenger = Messenger(cfg, sheet_url=getattr(source, "sheet_url", ""),
                                   attachments_of=uploads.context_lookup(ledger))

    def run(self) -> PassResult:
        t0 = time.monotonic()
        start_sweep()
        outcome = "error"
        try:
            self._run()
            outcome = "ok" if self.result.exit_code == EXIT_OK else "item-errors"
        except AduanSyncError as e:
            self.result.errors.append(e.message)
            raise
        finally:
            self.result.duration_seconds = time.monotonic() - t0
            # An idle, clean pass writes nothing at all, not even its own log line in the
            # ledger: the same input run twice changes no file.
            if self.result.changed or outcome != "ok":
                self.ledger.record_pass(self.now, datetime.now(self.tz), outcome,
                                        self.result.to_json())
        return self.result

    def _run(self) -> None:
        r, watch = self.result, self.watch
        state = idle.load(self.ledger)
        version = watch.version()
        if idle.is_idle(state, self.ledger, self.now, version=version):
            watch.report_idle(state)  # the sheet is not even read
            return
        snapshot = self.source.read()
        r.api_requests += snapshot.requests
        # Known only after the read: the link to the response tab itself (its gid).
        self.messenger.sheet_url = getattr(self.source, "sheet_url", "")
        answer = watch.answer(snapshot)
        digest = watch.digest(snapshot, answer, state)
        if idle.is_idle(state, self.ledger, self.now, digest=digest):
            watch.report_idle(state, version, answer)
            return
        written, until = self._work(snapshot)
        del snapshot  # a confirming read (`SheetWatch.remember`) must not hold two sheets
        release_freed()  # nor sit on top of the pages the pass's records left free
        if written is None:
            watch.remember(digest, until, version, answer)
        else:
            watch.remember(written, until, version, wrote=True)

    def _work(self, snapshot: SheetSnapshot) -> tuple[str | None, datetime]:
        """The pass proper, on a sheet that changed. Returns the digest of the sheet after the
        write-back (None: nothing written, the sheet is as read; "": unknown) and the moment
        time alone could next change something."""
        cfg, r = self.cfg, self.result
        hmap = map_headers(snapshot.headers, cfg.field_aliases, cfg.worker_headers)
        check_layout(hmap)
        r.errors += self.messenger.check_templates()  # before any worker is forked
        views = decide.build_views(snapshot, hmap, self.tz)
        r.rows = len(views)
        complaints = self.ledger.complaints()
        renamed = decide.renamed_register_column(hmap, snapshot.rows,
                                                 {c.register_no for c in complaints})
        if renamed:
            raise SheetLayoutError(decide.renamed_register_message(hmap, renamed),
                                   detail=f"judul kolom: {hmap.headers}")
        matching = decide.match_rows(views, complaints)
        del views  # `matching` holds them
        r.restored_rows = sum(1 for v, _ in matching.matched if not v.anchor.register_no)
        edits, edit_problems = decide.staff_edits(matching.matched, cfg.classification.categories)
        problems = matching.problems + edit_problems
        r.problems = [{"baris": p.sheet_row, "nomor_register": p.register_no,
                       "pesan": p.message} for p in problems]
        origin: dict[str, object] = {"sumber": self.source.describe(),
                                     "spreadsheet": snapshot.title,
                                     "lembar_kerja": snapshot.worksheet}
        try:
            pairs = self._record(matching, edits, complaints, origin)
        except BaseException:
            r.registered.clear()  # the transaction rolled back: none of them is registered
            raise
        del matching
        # The citizens' answers are not read again by this pass: the archive and attachment
        # steps load what they need from the ledger, a batch at a time. Letting them go here
        # (~1.3 KB a row) leaves that room to the steps below.
        pairs = [(v.without_answers(), c.without_answers()) for v, c in pairs]
        complaints = [c.without_answers() for c in complaints]
        # The archive's workers are forked first; then the attachment step starts its
        # downloads on threads, and they fetch while the workers write the folders. The
        # workers are stopped before the step finishes: its mail refresh forks its own, which
        # it does only once no other thread runs (`fanout`).
        with ExitStack() as stack:
            with self._archive_workers() as workers:
                step = stack.enter_context(attachments.begin_attachments(
                    cfg, self.ledger, self.source, self.messenger, self.now))
                archived = self._archive(workers)
            pairs = self._attachments(pairs, step.finish())
        if archived and self.ledger.has_unarchived():
            self._archive()  # aduan.json of the complaints whose files the step above changed
        current = list(({c.id: c for c in complaints} | {c.id: c for _, c in pairs}).values())
        rekap = self._rekap(current, snapshot.rekap)
        until = idle.next_event(current, self.cal, self.cfg.reminders, self.now, ())
        del current, complaints  # `_write_back` lets `pairs` go as it plans: room for its request
        written = self._write_back(pairs, hmap, rekap)
        self._deliver()
        retries = [m.next_attempt_at for m in self.ledger.pending_messages(
            datetime.max.replace(tzinfo=self.tz), bodies=False)]
        until = min([until, *(t for t in retries if t > self.now)])
        return (None if written is None else self.watch.bind(written)), until

    def _record(self, matching: decide.Matching, edits: list[decide.StaffEdit],
                complaints: list[Complaint], origin: dict[str, object]
                ) -> list[tuple[decide.RowView, Complaint]]:
        """Everything the pass decided, in the ledger, in one transaction."""
        reviews = {c.id: rv for v, c in matching.matched if (rv := lifecycle.review(v, c))}
        needs_classifier = matching.new_rows or reviews
        classifier = make_classifier(self.cfg) if needs_classifier else None
        edits_by_id: dict[int, list[decide.StaffEdit]] = {}
        for e in edits:
            edits_by_id.setdefault(e.complaint_id, []).append(e)
        pairs: list[tuple[decide.RowView, Complaint]] = []
        with self.ledger.transaction() as db:
            rec = Recorder(self.cfg, self.ledger, db, self.messenger, self.cal, self.now)
            for v, c in matching.matched:
                for e in edits_by_id.get(c.id, []):
                    c = rec.adopt(e, c)
                if c.id in reviews:
                    c = rec.apply_review(reviews[c.id], c, classifier)
                pairs.append((v, c))
            dupes = self._duplicate_finder(matching.new_rows, complaints)
            with rec.rendering(matching.new_rows, classifier) as classified:
                for view, verdict in track(classified, "Mendaftarkan aduan baru",
                                           total=len(matching.new_rows)):
                    c = rec.register(view, verdict, origin, dupes)
                    pairs.append((view, c))
                    self.result.registered.append(c.register_no)
                rec.queue_new()
            self._clock(rec, [c for _, c in pairs])
        self.result.staff_edits = len(edits) + len(reviews)
        self.result.queued = rec.queued
        return pairs

    def _duplicate_finder(self, new_rows: list[decide.RowView],
                          complaints: list[Complaint]) -> DuplicateFinder:
        """An index of the complaints new rows could duplicate: only those inside the window
        (normalising every text of a large register on every pass would dominate it)."""
        rc = self.cfg.reminders
        dupes = DuplicateFinder(rc.duplicate_window_days, rc.duplicate_similarity)
        times = [v.answers.submitted_at or self.now for v in new_rows]
        if times:
            since = min(times) - dupes.window
            dupes.add_all((c.register_no, c.answers, c.submitted_at) for c in complaints
                          if c.submitted_at >= since)
        return dupes

    def _clock(self, rec: Recorder, current: list[Complaint]) -> None:
        """Reminders within office hours, and the daily digest (IDs keep each to once)."""
        rc = self.cfg.reminders
        if self.cal.is_open(self.now):
            for o in reminders.overdue(current, self.cal, self.now, rc):
                rec.remind(o)
        if reminders.digest_due(self.cal, self.now, rc):
            failed = [{"register_no": m.register_no, "kind": m.kind, "error": m.last_error}
                      for m in self.ledger.messages("failed")]
            rec.digest(current, failed)

    def _write_folder(self, item: _ArchiveItem) -> str:
        """One complaint's archive folder (in a worker process): the SHA-256 of aduan.json."""
        c, entries, files = item
        return archive.write_complaint(self.cfg.storage.archive_dir, c,
                                       lambda c: self.messenger.formulir(c, files), entries)[0]

    def _archive_workers(self) -> fanout.Pipeline[_ArchiveItem, str]:
        """Worker processes for `_archive`, forked now: before the attachment step starts
        the threads of its downloads, since a process is not forked while other threads
        run (`fanout`). Not forked when there is little to archive."""
        return fanout.Pipeline(self._write_folder, expected=self.ledger.count_unarchived())

    def _archive(self, workers: fanout.Pipeline[_ArchiveItem, str] | None = None) -> bool:
        """SOP step 2's local archive. A folder counts as archived only once it is on disk
        (one sync for the whole pass), so a crash before that re-archives it next pass. The
        complaints are loaded `ARCHIVE_BATCH` at a time: the pass already holds every new
        one, and a first import of 50,000 rows must not hold them twice. False when a
        folder could not be written (disk full, read-only): the next pass writes the rest.
        `workers`: processes forked for it beforehand (`_archive_workers`); otherwise each
        batch forks its own when that is safe and pays."""
        done: list[tuple[int, str]] = []
        total = self.ledger.count_unarchived()
        folder = self.cfg.storage.archive_dir
        if total and folder.is_dir():
            archive.remove_stale_folders(folder)  # before any worker writes

        def loaded() -> Iterator[list[_ArchiveItem]]:
            for batch in self.ledger.unarchived_batches(ARCHIVE_BATCH):
                found = self.ledger.attachments_by_complaint([c.id for c in batch])
                todo = [(c, *uploads.entries(found.get(c.id, []))) for c in batch]
                del batch
                yield todo

        def ids(written: Iterable[tuple[_ArchiveItem, str]]) -> Iterator[tuple[int, str]]:
            return ((c.id, sha) for (c, _, _), sha in written)

        def written() -> Iterator[tuple[int, str]]:
            # Rendering the pages and writing the folders runs on every core (`fanout`).
            if workers is None or not workers.forked:
                for todo in loaded():
                    yield from ids(zip(todo, fanout.map_ordered(self._write_folder, todo),
                                       strict=True))
                    del todo  # before the next batch is read: one batch in memory at a time
                return
            # The workers write one batch while the next is loaded: loading shares this
            # process with the attachment step's download threads, and took 0.1-1.5 s a
            # batch of 2,000 (0.1-0.3 s of it CPU) while the workers, handed one batch at a
            # time, had nothing to do. Two batches in memory at a time.
            for todo in loaded():
                workers.submit(todo)
                del todo
                if workers.batches > 1:
                    yield from ids(workers.take())
            yield from ids(workers.drain())

        try:
            for item in track(written(), "Menulis arsip aduan", total=total):
                done.append(item)
        except ArchiveError as e:  # disk full or read-only: next pass retries
            # The detail (ENOSPC, EROFS …) tells the operator which of the two it is.
            self.result.errors.append(f"{e.message} (Rincian teknis: {e.detail})"
                                      if e.detail else e.message)
            failed = True
        else:
            failed = False
        if done:
            flush_to_disk()
            self.ledger.set_archived(done)
            self.result.archived += len(done)
        return not failed

    def _attachments(self, pairs: list[tuple[decide.RowView, Complaint]],
                     report: attachments.AttachmentReport
                     ) -> list[tuple[decide.RowView, Complaint]]:
        """Files uploaded through the form: links recorded on every source, files fetched
        from Drive on the Google source only. A file that cannot be fetched (403, 404, too
        large) is an item error (exit 1) and a note in `Catatan`, written by this same pass."""
        r = self.result
        r.attachments_downloaded = report.downloaded
        r.attachments_pending = report.pending
        r.drive_requests = report.requests
        r.errors.extend(report.errors)
        notes = report.notes
        return [(v, replace(c, note=notes[c.id]) if c.id in notes else c) for v, c in pairs]

    def _rekap(self, complaints: list[Complaint], existing: list[list[str]] | None
               ) -> list[list[str]] | None:
        """The `Rekap` worksheet's new values, or None when the sheet already shows them."""
        complaints.sort(key=lambda c: (c.year, c.seq))
        grid = pad_grid(rekap_grid(complaints, self.now, self.tz,
                                   self.cfg.classification.categories))
        old = pad_grid(existing or [])
        while old and not any(old[-1]):
            old.pop()
        if existing is not None and old == grid:
            return None
        return pad_grid(grid, height=len(old))

    def _write_back(self, pairs: list[tuple[decide.RowView, Complaint]], hmap: HeaderMap,
                    rekap: list[list[str]] | None) -> str | None:
        """Write what changed. Returns None when nothing was written, else the sheet's digest
        after the write ("" when the source cannot tell without reading again). Empties
        `pairs` as their cells are planned: a first import's views and complaints (~50 MB
        at 50,000 rows) make room for the cells, and are not held while the request is
        built and sent."""
        plan = decide.plan_writes(_drained(pairs), hmap, self.tz)
        batch = dataclasses.replace(plan.batch, rekap=rekap)
        plan.batch = batch
        if not batch:
            self.ledger.record_written(plan.in_sync)
            return None
        # The request (and its answer) is built in one piece, ~10 MB at 50,000 rows. With the
        # pages the records left free given back first, it no longer lands on top of them:
        # at 50,000 rows the pass's peak went from 294 MB here and 299 MB at the confirming
        # read to 288-290 and 290-291 MB (3 ms).
        release_freed()
        result = self.source.write(batch)
        r = self.result
        r.api_requests += result.requests
        r.rekap_written = rekap is not None
        r.cells_written = result.written
        r.cells_skipped = len(result.skipped)
        r.headers_added = list(plan.batch.add_headers)
        skipped = {(s.update.anchor, s.update.column) for s in result.skipped}
        self.ledger.record_written(plan.in_sync + plan.pending(skipped))
        return result.digest

    def _deliver(self) -> None:
        # One connection for the whole pass, closed politely (QUIT) when it ends.
        with self.transport as transport:
            report = deliver_pending(self.ledger, transport, now=self.now,
                                     max_attempts=self.cfg.mail.max_attempts)
        r = self.result
        r.sent, r.mail_retry, r.mail_failed = report.sent, report.retried, report.failed
        r.mail_detail = {"resent_after_crash": report.resent_after_crash,
                         "deferred": report.deferred, "stopped": report.stopped,
                         "refused": report.refused}
        if report.stopped:
            r.errors.append(f"Pengiriman email dihentikan untuk proses ini: {report.stopped}")
        # A message refused on its own (4xx: tried again later; 5xx: given up; some recipients
        # refused) is an item error too; without this it left no trace in the pass's output.
        r.errors += [f"Email {mid}: {err}" for mid, err in report.errors.items()
                     if err != report.stopped]
        if report.failed:
            self._note_failed_mail()

    def _note_failed_mail(self) -> None:
        """A message given up on shows in its row's `Catatan` (written by the next pass)."""
        failed = [m for m in self.ledger.messages("failed") if m.register_no]
        with self.ledger.transaction() as db:
            for m in failed:
                c = self.ledger.complaint(m.register_no)
                if c is None:
                    continue
                note = lifecycle.add_note(c.note, f"Email {failed_labels(m.kind).lower()} "
                                                  "gagal dikirim; periksa alamat/server email.")
                if note != c.note:
                    self.ledger.update_complaint(db, c.id, note=note)


def _drained(items: list[T]) -> Iterator[T]:
    """The items of `items` in order, each let go (removed from the list) as it is taken."""
    items.reverse()
    while items:
        yield items.pop()
