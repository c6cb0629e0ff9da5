"""Domain exceptions. Each carries an operator message in Indonesian and an exit code.

The CLI prints `Error: <message>` (with the technical detail after) and exits with `exit_code`.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_ITEM_ERRORS = 1
EXIT_CONFIG = 2
EXIT_SHEET = 3
EXIT_LOCKED = 75


class AduanSyncError(Exception):
    """Base of all domain errors. `message` is for operators (Indonesian), `detail` technical."""

    exit_code = EXIT_ITEM_ERRORS

    def __init__(self, message: str, detail: str | None = None) -> None:
        self.message = message
        self.detail = detail
        super().__init__(message if not detail else f"{message} ({detail})")


class ConfigError(AduanSyncError, ValueError):
    """Raised by `config.load` when the config file is missing or invalid; names key and file."""

    exit_code = EXIT_CONFIG

    def __init__(self, message: str, *, key: str | None = None, path: object = None) -> None:
        where = []
        if key:
            where.append(f"kunci `{key}`")
        if path:
            where.append(f"berkas {path}")
        text = f"Konfigurasi tidak valid: {message}"
        if where:
            text += " [" + ", ".join(where) + "]"
        self.key = key
        self.path = path
        super().__init__(text)


class SourceError(AduanSyncError):
    """Raised by a sheet source when the sheet cannot be read or written."""

    exit_code = EXIT_SHEET


class SourceBusyError(SourceError):
    """Raised by the xlsx source when the workbook is open in another program (lock file)."""


class SourceContentError(SourceError):
    """Raised by the xlsx source when saving the workbook would drop content of the staff's
    that openpyxl cannot keep (shapes, sparklines, ...); the file is left as it was."""


class SourceTransientError(SourceError):
    """Raised by a source after retries ran out on transient failures (429, 5xx, timeouts)."""


class SourcePermanentError(SourceError):
    """Raised by a source on failures retrying cannot fix (400, 401, 403, 404)."""


class PassLockedError(AduanSyncError):
    """Raised by `lock.pass_lock` when another pass holds the lock."""

    exit_code = EXIT_LOCKED


class LedgerError(AduanSyncError):
    """Raised by the ledger on a broken invariant (never reuse or change a register number)."""


class ArchiveError(AduanSyncError):
    """Raised by the archive when a complaint's folder cannot be written (disk full, read-only)."""


class MailError(AduanSyncError):
    """Base of mail delivery errors."""


class MailTransientError(MailError):
    """A delivery that may succeed later (connection refused, 4xx, timeout): retried next pass."""


class MailPermanentError(MailError):
    """A delivery that will not succeed as is (5xx, recipient refused, auth failed)."""


class MailConnectionError(MailTransientError):
    """Raised by a mail transport when the connection failed or was lost (server down, timeout,
    reset, 421): nothing more can be sent this pass, so delivery stops until the next one."""


class MailSetupError(MailPermanentError):
    """Raised by a mail transport when no message can go out until the operator acts (TLS
    certificate refused, login refused, STARTTLS missing): delivery stops for this pass."""


class TemplateError(AduanSyncError):
    """Raised when one of the office's templates (`[mail] templates_dir`) cannot be rendered:
    names the file and line; the templates are part of the config."""

    exit_code = EXIT_CONFIG
