"""Every tunable in one place, each with the reason for its value.

Precedence everywhere: command-line flag > config file > these defaults.
"""

from __future__ import annotations

#: Config file used when neither --config nor $ADUAN_SYNC_CONFIG is given.
CONFIG_PATH = "config/aduan.toml"
CONFIG_ENV = "ADUAN_SYNC_CONFIG"

OFFICE_NAME = "Kecamatan Jenawi"
OFFICE_REGENCY = "Kabupaten Karanganyar"
#: The office is in Central Java (WIB); never the machine's local zone.
TIMEZONE = "Asia/Jakarta"

#: Register number format; `seq` restarts every calendar year in the office's time zone.
REGISTER_FORMAT = "{seq:03d}/ADUAN/{month_roman}/{year}"

#: Minutes between passes of the daemon (SOP step 2 asks for registration within 5 minutes).
INTERVAL_MINUTES = 5

#: Worksheet names Google Forms gives the response sheet (English and Indonesian UI).
RESPONSE_SHEET_NAMES = ("Form Responses 1", "Tanggapan Formulir 1")

#: Total time a pass may spend retrying transient Google errors before it gives up (exit 3).
GOOGLE_RETRY_SECONDS = 120.0
#: Timeout of one HTTP request to Google.
GOOGLE_TIMEOUT_SECONDS = 30.0
#: Retrying the ask for the sheet's Drive version stops sooner (capped by the above): it only
#: spares a pass the read, so a Drive outage must not hold every pass for two minutes.
SHEET_VERSION_RETRY_SECONDS = 10.0

#: SMTP connect/read timeout.
SMTP_TIMEOUT_SECONDS = 30.0
#: Delivery attempts (one per pass at most) before a message is marked failed.
MAIL_MAX_ATTEMPTS = 8

#: SOP step 4: coordination with the PPID within one working day.
PPID_WORKING_DAYS = 1

#: First delay before a failed delivery is retried; doubles each attempt (5, 10, 20 … min) so a
#: mail server down for an evening is still reached within MAIL_MAX_ATTEMPTS passes.
MAIL_BACKOFF_FIRST_MINUTES = 5
#: Longest delay between two delivery attempts of one message.
MAIL_BACKOFF_MAX_MINUTES = 360
