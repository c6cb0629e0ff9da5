"""A fake of the Google REST APIs the worker uses, served on loopback for the tests.

Sheets v4, the OAuth token endpoint, Drive v3 `files.get` (and downloads), Gmail
`users.messages.send`; plus a request log, scripted faults, hooks, latency and quota, and an
HTTPS MITM proxy with a private CA. Start with `FakeGoogle().start()` or the pytest fixtures
in `tests.fakegoogle.fixtures`.
"""

from tests.fakegoogle.control import Fault, Hook, LoggedRequest
from tests.fakegoogle.fake import DriveFile, FakeGoogle, SentMail
from tests.fakegoogle.proxy import MitmProxy

__all__ = ["DriveFile", "FakeGoogle", "Fault", "Hook", "LoggedRequest", "MitmProxy", "SentMail"]
