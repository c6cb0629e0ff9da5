"""The delivery loop: send the ledger's due outbox messages through one transport.

Exactly-once, as far as SMTP allows: each message is marked `sending` (attempts + 1, committed)
before the network send and `sent` (committed) right after the server accepted it. A crash
between the two leaves exactly one message in `sending`; the next pass sends it again and counts
it as `resent_after_crash`. That one message is the only possible duplicate.

A message the server refuses for now is retried on a later pass after `backoff(attempts)`; after
`max_attempts` attempts, or at once on a permanent refusal, it is marked `failed` (the ledger
records an event, which shows in `status`, the digest and the row's `Catatan`). When the
connection itself fails or the setup is wrong (server down, login or certificate refused) the
pass stops after that message: the others were not attempted and stay due, untouched.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Protocol, runtime_checkable

from aduan_sync import defaults
from aduan_sync.errors import (
    MailConnectionError,
    MailError,
    MailPermanentError,
    MailSetupError,
)
from aduan_sync.mail.transport import Refused, Transport

Backoff = Callable[[int], timedelta]
#: Messages written per sync and per commit by a `BatchTransport`.
BATCH = 500


class OutboxEntry(Protocol):
    """What the loop reads from one of the ledger's outbox messages (`records.OutboxMessage`)."""

    @property
    def id(self) -> int: ...
    @property
    def message_id(self) -> str: ...
    @property
    def recipients(self) -> list[str]: ...
    @property
    def eml(self) -> bytes: ...
    @property
    def status(self) -> str: ...  # "queued" or "sending"
    @property
    def attempts(self) -> int: ...


class OutboxLedger(Protocol):
    """The part of `ledger.Ledger` the loop uses; each `mark_*` commits before returning."""

    def pending_messages(self, now: datetime) -> Sequence[OutboxEntry]: ...
    def mark_sending(self, msg_id: int, now: datetime) -> None: ...
    def mark_sent(self, msg_id: int, now: datetime) -> None: ...
    def mark_retry(self, msg_id: int, error: str, next_attempt_at: datetime) -> None: ...
    def mark_failed(self, msg_id: int, error: str, now: datetime) -> None: ...


@dataclass
class DeliveryReport:
    """What one delivery pass did. Dicts are keyed by Message-ID."""

    sent: int = 0
    retried: int = 0  # refused for now; due again after the backoff
    failed: int = 0  # given up: permanent refusal or attempts exhausted
    resent_after_crash: int = 0  # found in `sending`: the previous pass died in the send window
    deferred: int = 0  # not attempted because the pass stopped early
    stopped: str = ""  # why the pass stopped early (connection or setup error), else ""
    errors: dict[str, str] = field(default_factory=dict)
    refused: dict[str, dict[str, str]] = field(default_factory=dict)  # sent, but not to these

    @property
    def ok(self) -> bool:
        """True when nothing was retried, failed, refused or left for later."""
        return not (self.retried or self.failed or self.deferred or self.refused)

    def as_dict(self) -> dict[str, object]:
        """For `sync --json` and the pass summary."""
        return {
            "sent": self.sent, "retried": self.retried, "failed": self.failed,
            "resent_after_crash": self.resent_after_crash, "deferred": self.deferred,
            "stopped": self.stopped, "errors": dict(self.errors),
            "refused": {k: dict(v) for k, v in self.refused.items()},
        }


def default_backoff(attempts: int) -> timedelta:
    """Delay before the next try after `attempts` failed ones: 5, 10, 20 … min, at most 6 h.

    No jitter: one worker retries one outbox, passes are already minutes apart, and there is no
    crowd of clients to spread out; a predictable schedule is easier to explain to staff.
    """
    minutes = defaults.MAIL_BACKOFF_FIRST_MINUTES * 2 ** max(attempts - 1, 0)
    return timedelta(minutes=min(minutes, defaults.MAIL_BACKOFF_MAX_MINUTES))


def deliver_pending(
    ledger: OutboxLedger,
    transport: Transport,
    *,
    now: datetime,
    max_attempts: int,
    backoff: Backoff = default_backoff,
) -> DeliveryReport:
    """Send every due outbox message through `transport` (already entered), in ledger order.

    `now` is the pass's clock (timezone-aware): it decides what is due and stamps the marks.
    Errors other than `MailError` (bugs) propagate, leaving at most the current message in
    `sending`, which the next pass resends.
    """
    report = DeliveryReport()
    if isinstance(transport, BatchTransport) and isinstance(ledger, BatchLedger):
        pending = ledger.pending_messages(now, bodies=False)
        _deliver_batches(ledger, transport, pending, now, max_attempts, backoff, report)
        return report
    pending = ledger.pending_messages(now)
    for index, entry in enumerate(pending):
        if not _deliver_one(ledger, transport, entry, now, max_attempts, backoff, report):
            report.deferred = len(pending) - index - 1
            break
    return report


@runtime_checkable
class BatchTransport(Protocol):
    """A transport whose writes can be made durable together (the outbox folder): each
    `send_raw(..., durable=False)` is atomic but may be lost to a power cut until `flush()`."""

    def send_raw(self, eml: bytes, message_id: str, recipients: Sequence[str], *,
                 durable: bool = True) -> Refused: ...
    def flush(self) -> None: ...


@runtime_checkable
class BatchLedger(OutboxLedger, Protocol):
    """The ledger's outbox, with the batch marks (`ledger.Ledger` has them)."""

    def pending_messages(self, now: datetime, *,
                         bodies: bool = True) -> Sequence[OutboxEntry]: ...
    def message_bodies(self, msg_ids: Sequence[int]) -> dict[int, bytes]: ...
    def mark_sending_many(self, msg_ids: Sequence[int], now: datetime) -> None: ...
    def mark_sent_many(self, msg_ids: Sequence[int], now: datetime) -> None: ...
    def unmark_sending(self, msg_ids: Sequence[int]) -> None: ...


def _deliver_batches(
    ledger: BatchLedger, transport: BatchTransport, pending: Sequence[OutboxEntry],
    now: datetime, max_attempts: int, backoff: Backoff, report: DeliveryReport,
) -> None:
    """The same contract as `_deliver_one`, `BATCH` messages at a time: the batch is marked
    `sending` (one commit), written without a sync each, synced once, then marked `sent` (one
    commit). A crash in between leaves the batch in `sending`; the next pass writes the same
    files again (same names, same bytes), so nothing is lost and nothing is doubled. Thousands
    of per-message fsyncs and commits were most of the cost of a large first import."""
    for start in range(0, len(pending), BATCH):
        chunk = list(pending[start:start + BATCH])
        ok = [e for e in chunk if not _exhausted(ledger, e, now, max_attempts, report)]
        ledger.mark_sending_many([e.id for e in ok], now)
        report.resent_after_crash += sum(1 for e in ok if e.status == "sending")
        # The entries came without their bytes: a batch's worth in memory at a time.
        bodies = ledger.message_bodies([e.id for e in ok])
        written: list[int] = []
        done = 0  # entries of `ok` attempted (written, or their error recorded)
        stopped = False
        try:
            for entry in ok:
                try:
                    refused = dict(transport.send_raw(bodies[entry.id], entry.message_id,
                                                      entry.recipients, durable=False))
                except MailError as e:
                    done += 1
                    if not _record_error(ledger, entry, e, entry.attempts + 1, now,
                                         max_attempts, backoff, report):
                        stopped = True
                        break
                    continue
                done += 1
                written.append(entry.id)
                _note_refused(entry, refused, report)
        finally:
            # Also on a bug in the transport: what was written counts as sent, what was not
            # tried is queued again, and only the message that raised stays in `sending`.
            if written:
                transport.flush()
                ledger.mark_sent_many(written, now)
                report.sent += len(written)
            raised = not stopped and done < len(ok)  # ok[done] raised: it stays `sending`
            untried = ok[done + 1:] if raised else ok[done:]
            ledger.unmark_sending([e.id for e in untried])
        if stopped:
            report.deferred = len(untried) + len(pending) - start - len(chunk)
            return


def _exhausted(ledger: OutboxLedger, entry: OutboxEntry, now: datetime, max_attempts: int,
               report: DeliveryReport) -> bool:
    """Give up on `entry` when it has had its attempts (see `_deliver_one`)."""
    limit = max_attempts + (1 if entry.status == "sending" else 0)
    if entry.attempts < limit:
        return False
    _fail(ledger, entry, f"Batas {max_attempts} kali percobaan pengiriman terlampaui.",
          now, report)
    return True


def _note_refused(entry: OutboxEntry, refused: dict[str, str], report: DeliveryReport) -> None:
    if refused:
        report.refused[entry.message_id] = dict(refused)
        report.errors[entry.message_id] = "Terkirim, tetapi ditolak untuk: " + "; ".join(
            f"{addr} ({reply})" for addr, reply in refused.items()
        )


def _deliver_one(
    ledger: OutboxLedger,
    transport: Transport,
    entry: OutboxEntry,
    now: datetime,
    max_attempts: int,
    backoff: Backoff,
    report: DeliveryReport,
) -> bool:
    """Deliver one message and record the outcome. False: stop the pass here."""
    crashed = entry.status == "sending"
    # A message cut off by a crash gets one attempt beyond the limit: its last attempt may
    # never have reached the server. A message that keeps crashing the worker still ends.
    if _exhausted(ledger, entry, now, max_attempts, report):
        return True
    ledger.mark_sending(entry.id, now)  # committed before a single byte goes out
    if crashed:
        report.resent_after_crash += 1
    try:
        refused = _send(transport, entry)
    except MailError as e:
        return _record_error(ledger, entry, e, entry.attempts + 1, now, max_attempts, backoff,
                             report)
    ledger.mark_sent(entry.id, now)  # committed right after the server accepted
    report.sent += 1
    _note_refused(entry, refused, report)
    return True


def _send(transport: Transport, entry: OutboxEntry) -> dict[str, str]:
    """Send the stored bytes: what was rendered when the message was queued, never re-rendered.
    (The outbox folder, which takes them as they are, goes by `_deliver_batches`.)"""
    msg = email.message_from_bytes(entry.eml, policy=email.policy.SMTP)
    assert isinstance(msg, EmailMessage)  # the SMTP policy's message factory
    return dict(transport.send(msg, entry.recipients))


def _record_error(
    ledger: OutboxLedger,
    entry: OutboxEntry,
    error: MailError,
    attempts: int,
    now: datetime,
    max_attempts: int,
    backoff: Backoff,
    report: DeliveryReport,
) -> bool:
    """Retry later or give up on `entry` after `error`. False: stop the pass here."""
    stop = isinstance(error, MailConnectionError | MailSetupError)
    if isinstance(error, MailPermanentError) and not stop:
        _fail(ledger, entry, str(error), now, report)
    elif attempts >= max_attempts:
        _fail(ledger, entry, f"{error} — percobaan ke-{attempts}, batas tercapai.", now, report)
    else:
        ledger.mark_retry(entry.id, str(error), now + backoff(attempts))
        report.retried += 1
        report.errors[entry.message_id] = str(error)
    if stop:
        report.stopped = str(error)
    return not stop


def _fail(
    ledger: OutboxLedger, entry: OutboxEntry, error: str, now: datetime, report: DeliveryReport
) -> None:
    ledger.mark_failed(entry.id, error, now)
    report.failed += 1
    report.errors[entry.message_id] = error
