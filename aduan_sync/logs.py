"""Logging for a worker that handles citizens' personal data.

Two formats: human-readable lines on a terminal, JSON lines otherwise (journald, files, cron
mail) or when asked with `--log-format json`. Every record that reaches our handler goes
through `MaskingFilter` first, whichever library logged it: NIK (16 digits), Indonesian mobile
numbers and email addresses are masked in the message, its arguments, structured extras and
tracebacks, and credentials (passwords, tokens, private keys, URL user info, and any literal
secret registered with `register_secret`) never appear.

The masks are deliberately greedy: a log line that loses a harmless number is a small price;
a log line that leaks a reporter's NIK to a shared journal is not.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sys
import threading
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

#: Log formats accepted by `setup_logging` (and `--log-format`).
FORMATS = ("auto", "human", "json")

# Digit boundaries, not word boundaries: "NIK3313…" and the float "3.313064501800001e+15" that
# a spreadsheet makes of a NIK are caught too.
_NIK = re.compile(r"(?<!\d)\d(?:[ .-]?\d){15}(?!\d)")
# Mobile numbers: 08…, 62 8…, +62 8…, 0062 8…, and the bare 8… a spreadsheet keeps once it has
# eaten the leading zero; 9-12 digits from the 8, in groups split by spaces, dots or dashes.
_PHONE = re.compile(r"(?<![\w+])(?:(?:(?:\+|00)?62|0)[ -]?)?8\d(?:[ .-]?\d){7,10}(?!\w)")
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,})")
_PEM = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)",
                  re.DOTALL)
_KEY_VALUE = re.compile(
    r"(?i)\b((?:smtp_)?password|passwd|pwd|kata_?sandi|secret|client_secret|token|access_token"
    r"|refresh_token|id_token|api_?key|private_key(?:_id)?|assertion)"
    r"(\\?[\"']?\s*[:=]\s*\\?[\"']?)([^\s\"',;&}\\]+)"
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")
_GOOGLE_TOKEN = re.compile(r"\bya29\.[\w.-]+")
_URL_USERINFO = re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@", re.IGNORECASE)
_SMTP_AUTH = re.compile(r"(?i)\b(AUTH\s+(?:PLAIN|LOGIN|XOAUTH2)\s+)\S+")

MASK_NIK = "[NIK]"
MASK_PHONE = "[NOMOR-HP]"
MASK_SECRET = "***"

_secrets: set[str] = set()
_secrets_lock = threading.Lock()

#: Attributes every LogRecord has; anything else on a record is a structured extra.
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "taskName"}


def register_secret(value: str | None) -> None:
    """Never let `value` (a password or token read at start-up) appear in a log line."""
    if value and len(value.strip()) >= 4:  # a 1-3 character "secret" would mask half the log
        with _secrets_lock:
            _secrets.add(value.strip())


def register_config_secrets(cfgs: Iterable[Any], env: Mapping[str, str]) -> None:
    """Register the SMTP password each config names (by variable or file) as a secret."""
    for cfg in cfgs:
        mail = cfg.mail
        if mail.smtp_password_env:
            register_secret(env.get(mail.smtp_password_env))
        path: Path | None = mail.smtp_password_file
        if path is not None:
            # The transport reports an unreadable password file with its own message.
            with contextlib.suppress(OSError):
                register_secret(path.read_text(encoding="utf-8"))


def mask(text: str) -> str:
    """`text` with credentials, NIK, mobile numbers and email local parts masked."""
    with _secrets_lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for s in secrets:
        text = text.replace(s, MASK_SECRET)
    text = _PEM.sub("[KUNCI-PRIVAT]", text)
    text = _URL_USERINFO.sub(r"\1***:***@", text)
    text = _KEY_VALUE.sub(lambda m: m.group(1) + m.group(2) + MASK_SECRET, text)
    text = _BEARER.sub(lambda m: m.group(1) + " " + MASK_SECRET, text)
    text = _GOOGLE_TOKEN.sub("ya29." + MASK_SECRET, text)
    text = _SMTP_AUTH.sub(lambda m: m.group(1) + MASK_SECRET, text)
    # The email first: its local part may hold digits that look like a phone number.
    text = _EMAIL.sub(r"***@\1", text)
    text = _NIK.sub(MASK_NIK, text)
    return _PHONE.sub(MASK_PHONE, text)


def mask_value(value: Any) -> Any:
    """Mask strings inside `value` (str, mapping, list or tuple); other values unchanged."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, Mapping):
        return {k: mask_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_value(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and value >= 10**8:
        # A NIK or phone number that a spreadsheet turned into a number.
        masked = mask(str(value))
        return value if masked == str(value) else masked
    return value


class MaskingFilter(logging.Filter):
    """Masks personal data and credentials in a record's message, args, extras and traceback.

    Attach it to a handler (as `setup_logging` does), so that it sees records from every
    logger, including libraries', and not only those logged through one logger.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # bad %-args: keep what we can, masked
            message = f"{record.msg} {record.args!r}"
        record.msg = mask(str(message))
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        for key, value in list(vars(record).items()):
            if key not in _RECORD_ATTRS:
                setattr(record, key, mask_value(value))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created).astimezone()
            .isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRS and key not in out:
                out[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = mask(self.formatException(record.exc_info))
        if record.exc_text:
            out["exception"] = record.exc_text
        # A last pass of the mask over the whole line catches what `default=str` produced.
        return mask(json.dumps(out, ensure_ascii=False, default=str))


class HumanFormatter(logging.Formatter):
    """`2026-11-24 09:00:01 INFO    message` for a person at a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(message)s", "%Y-%m-%d %H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at emit time (test runners swap it)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(stream or sys.stderr)
        self._fixed = stream

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = self._fixed or sys.stderr
        super().emit(record)


_OWN = "_aduan_sync_handler"


def choose_format(fmt: str, stream: TextIO) -> str:
    """"human" on a terminal, "json" otherwise, unless `fmt` names one."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown log format {fmt!r}; choose one of {FORMATS}")
    if fmt != "auto":
        return fmt
    isatty = getattr(stream, "isatty", None)
    return "human" if isatty is not None and isatty() else "json"


def setup_logging(fmt: str = "auto", level: str | int = "INFO",
                  stream: TextIO | None = None) -> logging.Handler:
    """Install the masked handler on the root logger (replacing one installed before).

    `stream` defaults to the current `sys.stderr`. Returns the handler.
    """
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, _OWN, False):
            root.removeHandler(h)
    handler = _StderrHandler(stream)
    setattr(handler, _OWN, True)
    handler.previous_level = root.level  # type: ignore[attr-defined]
    kind = choose_format(fmt, stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if kind == "json" else HumanFormatter())
    handler.addFilter(MaskingFilter())
    root.addHandler(handler)
    numeric = logging.getLevelName(level.upper()) if isinstance(level, str) else level
    if not isinstance(numeric, int):
        raise ValueError(f"unknown log level {level!r}")
    root.setLevel(numeric)
    # APScheduler announces every job run at INFO: one line per pass is ours to write.
    logging.getLogger("apscheduler").setLevel(max(numeric, logging.WARNING))
    logging.captureWarnings(True)
    return handler


def remove_logging(handler: logging.Handler) -> None:
    """Undo `setup_logging` (for in-process callers such as tests): the handler goes, the
    root level it replaced comes back."""
    root = logging.getLogger()
    if handler in root.handlers:
        root.removeHandler(handler)
        root.setLevel(getattr(handler, "previous_level", logging.WARNING))


def install_excepthooks() -> None:
    """Send uncaught exceptions (main thread and others) through logging, hence the mask.

    For the console script only: a test runner keeps its own hooks.
    """
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_thread_uncaught


def _log_uncaught(exc_type: type[BaseException], exc: BaseException,
                  tb: TracebackType | None) -> None:
    # An unhandled traceback would reach stderr unmasked; route it through the filter.
    logging.getLogger("aduan_sync").critical("Kesalahan tak terduga; proses berhenti.",
                                             exc_info=(exc_type, exc, tb))


def _log_thread_uncaught(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is None:
        return
    logging.getLogger("aduan_sync").critical(
        "Kesalahan tak terduga di thread %s.", getattr(args.thread, "name", "?"),
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback))
