"""The pass's attachment step: files uploaded through the form, found in the answers, downloaded
from Google Drive into the complaint's archive folder, listed in `aduan.json` and in the staff's
mail (issue 8). Finding the links, naming the files and listing them is `uploads.py`'s job.

Each Drive file link in the answers (`uploads.find_file_ids`) becomes a ledger row
(`attachments`, migration 0003) in state `pending`; with the Google source the pass then reads
the files' metadata (`files.get`, up to 100 in one Drive batch request), and downloads each
(`alt=media`) into `<complaint folder>/lampiran/<safe name>`, `[attachments]
parallel_downloads` at a time:

- the name is made safe once and kept (`uploads.safe_name`);
- a file above `[attachments] max_mb` is refused from its metadata, before any byte of it is
  requested; the download asks for exactly the bytes the metadata announced (`Range`) and stops
  reading if the server sends more;
- bytes go to `lampiran/.<file id>.part` (hidden, so it can never collide with a safe name)
  and are checked against the size and Drive's SHA-256 (or MD5); once every thread is done,
  the verified files are renamed into place, synced to disk once, and only then recorded as
  saved, all in one ledger transaction. A download cut off half-way keeps its `.part`; it
  resumes from there (`Range: bytes=<have>-`) at once, up to `drive.RESUMES_PER_PASS` times,
  and otherwise on a later pass, as does a pass killed before its renames.

Failures of one file (403: not shared with the worker's account; 404: deleted, or the form's
upload folder was never shared; a broken or changed file) add a note to the complaint's
`Catatan`, count as an item error of the pass (exit code 1), and are tried again on later passes
until `[attachments] max_attempts` have failed; the row is then `failed`. Failures of Drive
itself (unreachable after retries, credentials refused, Drive API disabled) stop the downloads
of this pass without counting against any file. On the `.xlsx` source there are no credentials:
links are recorded and listed, never fetched.

Drive is reached through authorized `requests` sessions on the sheet's credentials (one per
thread), not google-api-python-client's `MediaIoBaseDownload`: a `Range` request from the
`.part` file's length resumes across passes without private state, the size limit holds per
64 KiB read, and retries, request counts and proxy settings are the sheet's (why, in full:
`drive.py`). The threads never touch the ledger: `downloads.py` does the network and file
part, this module records the outcomes, in the ledger's order whichever finished first.

The pass runs the step in two halves around its archive step (`begin_attachments`, then
`finish`): the downloads, bound by Drive's latency, go on while the archive's worker
processes write the folders; a download makes its `lampiran/` folder itself.
"""

from __future__ import annotations

import dataclasses
import os
import re
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from aduan_sync import archive, lifecycle
from aduan_sync.config import Config
from aduan_sync.downloads import Fetcher, Job, Outcome
from aduan_sync.drive import DriveClient, DriveFile, DriveFileError
from aduan_sync.fsutil import flush_to_disk
from aduan_sync.ledger import Ledger
from aduan_sync.records import Attachment, Complaint
from aduan_sync.uploads import drive_link, find_file_ids, safe_name, size_text

if TYPE_CHECKING:
    import sqlite3

    from aduan_sync.messages import Messenger
    from aduan_sync.sources.base import Source

_NOTES = {
    "forbidden": "Lampiran {label} tidak dapat diunduh dari Google Drive karena akses ditolak. "
                 "Bagikan berkas atau folder unggahan formulir kepada {who} (Pelihat).",
    "not_found": "Lampiran {label} tidak ditemukan di Google Drive: berkas sudah dihapus, atau "
                 "folder unggahan formulir belum dibagikan kepada {who}.",
    "not_a_file": "Lampiran {label} bukan berkas unggahan yang dapat diunduh.",
    "broken": "Lampiran {label} tidak utuh saat diunduh (ukuran atau checksum tidak cocok).",
}
#: Failures that are the office's to fix, not the file's: told to the operator, not in Catatan.
_OPERATOR_ONLY = {
    "storage": "Lampiran {label} tidak dapat disimpan di folder arsip; periksa ruang disk dan "
               "izin folder arsip. Lampiran akan diunduh lagi pada proses berikutnya.",
    "internal": "Lampiran {label} tidak dapat diproses karena kesalahan program; lihat log.",
}
_GAVE_UP = ("Pengunduhan lampiran {label} dihentikan setelah {n} kali gagal; buka berkas melalui "
            "tautan Google Drive.")
_TOO_LARGE = ("Lampiran {label} ({size}) tidak diunduh karena melebihi batas {cap} per berkas; "
              "berkas tetap dapat dibuka melalui tautan Google Drive.")
_TOO_MANY = "Aduan memuat lebih dari {n} tautan lampiran; hanya {n} yang pertama diarsipkan."


@dataclass
class AttachmentReport:
    """What the attachment step of a pass did."""

    recorded: int = 0  # links seen for the first time
    downloaded: int = 0
    pending: int = 0  # still to fetch on a later pass
    requests: int = 0  # Drive API (HTTP) requests sent; a batch of metadata reads is one
    notes: dict[int, str] = field(default_factory=dict)  # complaint id -> its new `Catatan`
    errors: list[str] = field(default_factory=list)  # item errors, for the operator


def begin_attachments(cfg: Config, ledger: Ledger, source: Source, messenger: Messenger,
                      now: datetime) -> AttachmentStep:
    """The pass's attachment step, in two halves so that the downloads run while the pass writes
    the archive. This records the links of new and edited complaints, reads the files' metadata
    (Google source only) and records their names, then starts the downloads on the pool's
    threads and returns. `finish()` waits for them, records what became of each, and refreshes
    staff mail queued but never tried so that it names the files; a complaint whose files
    changed is marked unarchived, and the pass's archive step then rewrites its aduan.json.
    Only the complaints it touches are read from the ledger (the pass has let go of its
    citizens' answers by then). Files of complaints not archived yet are fetched too: the
    archive step writes their folders meanwhile (a download creates `lampiran/` itself, and the
    archive step writes into a folder that exists; on a full or read-only disk both fail, the
    downloads as `storage` errors, which do not count against the file). Use as a context
    manager: leaving it stops downloads `finish` did not wait for."""
    step = AttachmentStep(cfg, ledger, messenger, now, DriveClient.for_source(cfg, source))
    try:
        step.begin()
    except BaseException:
        step.close()
        raise
    return step


class AttachmentStep:
    """One pass's attachment step (`begin_attachments`)."""

    def __init__(self, cfg: Config, ledger: Ledger, messenger: Messenger, now: datetime,
                 drive: DriveClient | None) -> None:
        self.cfg, self.ledger, self.messenger, self.now, self.drive = (
            cfg, ledger, messenger, now, drive)
        self.limits = cfg.attachments
        self.report = AttachmentReport()
        # Loaded when needed (passes stay cheap); notes changed here.
        self._complaints: dict[int, Complaint] = {}
        self.touched: set[int] = set()  # complaints whose files changed: mail to refresh
        self._names: dict[int, dict[int, str]] = {}  # complaint -> attachment -> name on disk
        self._fetch: _Fetching | None = None

    def __enter__(self) -> AttachmentStep:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the downloads (queued ones do nothing) and close the Drive sessions."""
        if self._fetch is not None:
            self._fetch.fetcher.close()

    def begin(self) -> None:
        self._record_links()
        if self.drive is not None:
            self._start_fetch(self.drive)

    def finish(self) -> AttachmentReport:
        if self._fetch is not None:
            self._finish_fetch(self._fetch)
        touched = [self.complaint(cid) for cid in sorted(self.touched)]
        for msgs in self.messenger.for_new_complaints(touched, self.now, staff_only=True):
            for msg in msgs:
                self.ledger.refresh_queued(msg)
        self.report.pending = len(self._due()) if self.drive is not None else 0
        return self.report

    def complaint(self, cid: int) -> Complaint:
        if cid not in self._complaints:
            self._complaints[cid] = self.ledger.complaint_in(self.ledger.db, cid)
        return self._complaints[cid]

    def _record_links(self) -> None:
        """Search the answers of new and edited complaints (only those) for Drive links."""
        scans = self.ledger.unscanned_answers()
        if not scans:
            return  # an idle pass opens no transaction
        known = self.ledger.attachment_keys()
        counts: dict[int, int] = {}
        for cid, _ in known:
            counts[cid] = counts.get(cid, 0) + 1
        rows: list[tuple[int, int, str, str]] = []
        capped: list[int] = []
        for cid, _, fields, extra in scans:
            new = [fid for fid in find_file_ids(fields, extra) if (cid, fid) not in known]
            room = max(self.limits.max_files - counts.get(cid, 0), 0)
            if len(new) > room:
                new = new[:room]
                capped.append(cid)
            rows += [(cid, counts.get(cid, 0) + i, fid, drive_link(fid))
                     for i, fid in enumerate(new, start=1)]
        with self.ledger.transaction() as db:
            self.ledger.add_attachments(db, rows, self.now)
            self.ledger.mark_scanned(db, [(cid, sha) for cid, sha, _, _ in scans])
            for cid in capped:
                self._note(db, cid, add=_TOO_MANY.format(n=self.limits.max_files))
            for cid in {r[0] for r in rows}:
                self._changed(db, cid)
        self.report.recorded = len(rows)

    def _due(self) -> list[Attachment]:
        """Rows to fetch now: pending, or failed/too large before a limit was raised."""
        most, cap = self.limits.max_attempts, self.limits.max_bytes
        due = []
        for a in self.ledger.attachments(statuses=("pending", "failed", "too_large")):
            retry = (a.size or 0) <= cap if a.status == "too_large" else a.attempts < most
            if retry:
                due.append(a)
        return due

    def _start_fetch(self, drive: DriveClient) -> None:
        """Fetch the due files with a pool of threads (downloads.py) in two rounds, deciding
        and recording everything here, in the ledger's order whatever order the threads
        finished in: Drive's descriptions, then names (one transaction, before any byte is
        fetched), then the bytes (started here, waited for in `_finish_fetch`)."""
        due = self._due()
        if not due:
            return
        fetcher = Fetcher(drive, self.limits.parallel_downloads)
        try:
            described = fetcher.describe([a.file_id for a in due])
            verdicts = [self._judge(a, described[a.file_id]) for a in due
                        if a.file_id in described]
            self._record_names(verdicts)
            jobs = [v for v in verdicts if v.job is not None]
            started = fetcher.start([v.job for v in jobs if v.job is not None])
        except BaseException:
            fetcher.close()
            raise
        self._fetch = _Fetching(fetcher, verdicts, jobs, started)

    def _finish_fetch(self, f: _Fetching) -> None:
        """The bytes, renamed into place and synced to disk once, and only then recorded as
        saved (one transaction). A pass killed before that leaves `.part` files or named
        files that the next pass completes or adopts."""
        with f.fetcher:
            for v, outcome in zip(f.jobs, f.fetcher.outcomes(f.started), strict=True):
                v.outcome = outcome
        self._fetch = None
        self.report.requests = f.fetcher.requests
        placed = [self._place(v) for v in f.verdicts]  # every one: no short cut
        if any(placed):
            flush_to_disk()  # before the ledger says "saved"
        self._record_outcomes(f.verdicts)
        if f.fetcher.unavailable is not None:
            self.report.errors.append(f.fetcher.unavailable.message)

    def _judge(self, a: Attachment, described: DriveFile | DriveFileError) -> _Verdict:
        """What to do with a due file, from Drive's description of it."""
        if isinstance(described, DriveFileError):
            return _Verdict(a, a, error=described)
        f = described
        if f.trashed:
            return _Verdict(a, a, error=DriveFileError("not_found", "trashed"))
        if f.size is None or f.mime_type.startswith("application/vnd.google-apps."):
            return _Verdict(a, a, error=DriveFileError("not_a_file", f.mime_type))
        named = self._named(a, f)
        if f.size > self.limits.max_bytes:
            return _Verdict(a, named, too_large=True)
        folder = (archive.folder_for(self.cfg.storage.archive_dir, self.complaint(a.complaint_id))
                  / archive.ATTACHMENTS_DIR)
        return _Verdict(a, named, job=Job(named, f, folder))

    def _named(self, a: Attachment, f: DriveFile) -> Attachment:
        """The row with what Drive said, and a safe name on disk chosen once: unique among
        the complaint's files, in link order (the same whichever thread finished first)."""
        local = a.local_name
        if not local:
            siblings = self._names.setdefault(a.complaint_id, {
                x.id: x.local_name for x in self.ledger.attachments(a.complaint_id)})
            local = safe_name(f.name, [n for i, n in siblings.items() if i != a.id and n])
            siblings[a.id] = local
        return dataclasses.replace(a, name=f.name, size=f.size, mime_type=f.mime_type,
                                   local_name=local)

    def _record_names(self, verdicts: list[_Verdict]) -> None:
        """Drive's name, size and type, and the name on disk, before any byte is fetched: a
        pass killed after renaming a file into place leaves it where the next one looks."""
        new = [v.row for v in verdicts if v.row != v.asked]
        if not new:
            return
        with self.ledger.transaction() as db:
            for a in new:
                self.ledger.update_attachment(db, a.id, self.now, name=a.name, size=a.size,
                                              mime_type=a.mime_type, local_name=a.local_name)
            for cid in sorted({a.complaint_id for a in new}):
                self._changed(db, cid)

    def _place(self, v: _Verdict) -> bool:
        """Rename verified bytes to the file's name; True when a file is now in place."""
        o = v.outcome
        if o is None or o.path is None or o.error is not None:
            return False
        if o.path != o.job.final:
            try:
                os.replace(o.path, o.job.final)
            except OSError as e:
                o.error = DriveFileError("storage", f"{type(e).__name__}: {e}", counts=False)
                return False
        return True

    def _record_outcomes(self, verdicts: list[_Verdict]) -> None:
        """One transaction for every file tried, in due order."""
        tried = [v for v in verdicts if v.job is None or v.outcome is not None]
        if not tried:
            return
        changed: set[int] = set()
        with self.ledger.transaction() as db:
            for v in tried:
                a, c = v.row, self.complaint(v.row.complaint_id)
                error = v.error or (v.outcome.error if v.outcome else None)
                if v.too_large:
                    self._refuse(db, c, a)
                    changed.add(c.id)
                elif error is not None:
                    if self._failed(db, c, a, error):
                        changed.add(c.id)
                else:
                    assert v.outcome is not None
                    self._done(db, c, a, v.outcome.sha256)
                    changed.add(c.id)
            for cid in sorted(changed):
                self._changed(db, cid)

    def _done(self, db: sqlite3.Connection, c: Complaint, a: Attachment, sha: str) -> None:
        self.ledger.update_attachment(db, a.id, self.now, status="done", sha256=sha,
                                      last_error="", note="")
        for part in filter(None, a.note.split("\n")):
            self._note(db, c.id, remove=part)  # the problem is solved: its note goes
        self.ledger.add_event(db, self.now, "attachment_downloaded", complaint_id=c.id,
                              register_no=c.register_no, file_id=a.file_id,
                              name=a.local_name, size=a.size, sha256=sha)
        self.report.downloaded += 1

    def _refuse(self, db: sqlite3.Connection, c: Complaint, a: Attachment) -> None:
        note = _TOO_LARGE.format(label=_label(a), size=size_text(a.size),
                                 cap=size_text(self.limits.max_bytes))
        self.ledger.update_attachment(db, a.id, self.now, status="too_large",
                                      last_error="too_large", note=note)
        self._note(db, c.id, add=note)
        self.report.errors.append(f"Aduan {c.register_no}: {note}")

    def _failed(self, db: sqlite3.Connection, c: Complaint, a: Attachment,
                e: DriveFileError) -> bool:
        """Record a failed try; True when the complaint's list of files changed with it."""
        attempts = a.attempts + (1 if e.counts else 0)
        gave_up = attempts >= self.limits.max_attempts
        label = _label(a)
        who = self.drive.share_with if self.drive else ""
        texts = [_NOTES[e.kind].format(label=label, who=who)] if e.kind in _NOTES else []
        texts += [_GAVE_UP.format(label=label, n=attempts)] if gave_up else []
        notes = [n for n in a.note.split("\n") if n]
        notes += [t for t in texts if t not in notes]
        self.ledger.update_attachment(
            db, a.id, self.now, status="failed" if gave_up else "pending", attempts=attempts,
            last_error=f"{e.kind}: {e.detail}"[:500], note="\n".join(notes))
        for text in texts:
            self._note(db, c.id, add=text)
        if e.kind in _OPERATOR_ONLY:
            own = _OPERATOR_ONLY[e.kind].format(label=label)
            self.report.errors.append(f"Aduan {c.register_no}: {' '.join([own, *texts])} "
                                      f"(Rincian teknis: {e.detail})")
        elif e.counts:
            self.report.errors.append(
                f"Aduan {c.register_no}: {' '.join(texts) or f'lampiran {label} terputus.'}")
        return gave_up or a.status != "pending"

    def _changed(self, db: sqlite3.Connection, cid: int) -> None:
        """The complaint's list of files changed: its aduan.json is due again. Recorded in the
        same transaction: the pass's archive step, run again after this step, rewrites it (or,
        when the pass dies first, the next pass's)."""
        self.ledger.update_complaint(db, cid, archived_sha256=None)
        self.touched.add(cid)

    def _note(self, db: sqlite3.Connection, cid: int, *, add: str = "", remove: str = "") -> None:
        c = self.complaint(cid)
        note = lifecycle.add_note(c.note, add) if add else c.note
        if remove and remove in note:
            note = re.sub(r" {2,}", " ", note.replace(remove, "")).strip()
        if note != c.note:
            self.ledger.update_complaint(db, cid, note=note)
            self._complaints[cid] = dataclasses.replace(c, note=note)
            self.report.notes[cid] = note


@dataclass
class _Verdict:
    """A due file between the rounds: the row as asked (`asked`) and with Drive's description
    and its name (`row`); then a download `job`, or why none (`error`, `too_large`)."""

    asked: Attachment
    row: Attachment
    error: DriveFileError | None = None
    too_large: bool = False
    job: Job | None = None
    outcome: Outcome | None = None


@dataclass
class _Fetching:
    """Downloads started by `_start_fetch`: the pool, every due file's verdict, those with a
    job (in the order of `started`), and the downloads' futures."""

    fetcher: Fetcher
    verdicts: list[_Verdict]
    jobs: list[_Verdict]
    started: list[Future[Outcome | None]]


def _label(a: Attachment) -> str:
    return f'"{a.local_name}"' if a.local_name else a.link
