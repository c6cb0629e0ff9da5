"""The API methods the fake implements, one function each (run under the state lock).

Sheets v4: spreadsheets.get / batchUpdate, values.get / batchGet / update / append /
batchUpdate. Drive v3: files.get (metadata, and `alt=media` with `Range`), and batches of
metadata reads (batch.py). Gmail v1:
users.messages.send. OAuth: the token endpoint.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

from tests.fakegoogle import fieldmask
from tests.fakegoogle.errors import ApiError
from tests.fakegoogle.oauth import Token
from tests.fakegoogle.values import VALUE_INPUT

if TYPE_CHECKING:
    from tests.fakegoogle.fake import FakeGoogle, SentMail
    from tests.fakegoogle.sheets import Spreadsheet

_SID = r"(?P<sid>[^/:]+)"
_RANGE = r"(?P<range>[^/]+)"

#: (method, path pattern, endpoint name). Ranges arrive percent-encoded in the path.
ROUTES: list[tuple[str, str, str]] = [
    ("POST", r"/token", "oauth.token"),
    ("GET", rf"/v4/spreadsheets/{_SID}", "sheets.get"),
    ("POST", rf"/v4/spreadsheets/{_SID}:batchUpdate", "sheets.batchUpdate"),
    ("GET", rf"/v4/spreadsheets/{_SID}/values:batchGet", "sheets.values.batchGet"),
    ("POST", rf"/v4/spreadsheets/{_SID}/values:batchUpdate", "sheets.values.batchUpdate"),
    ("POST", rf"/v4/spreadsheets/{_SID}/values/{_RANGE}:append", "sheets.values.append"),
    ("GET", rf"/v4/spreadsheets/{_SID}/values/{_RANGE}", "sheets.values.get"),
    ("PUT", rf"/v4/spreadsheets/{_SID}/values/{_RANGE}", "sheets.values.update"),
    ("GET", r"/drive/v3/files/(?P<fid>[^/]+)", "drive.files.get"),
    ("POST", r"/batch/drive/v3", "drive.batch"),
    ("POST", r"/gmail/v1/users/(?P<uid>[^/]+)/messages/send", "gmail.messages.send"),
]


@dataclass
class Answer:
    status: int
    payload: dict[str, Any] | bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None


@dataclass
class Call:
    """One request as the method implementations see it."""

    fake: FakeGoogle
    params: dict[str, str]  # from the path
    args: dict[str, str]  # query, last value of each
    query: dict[str, list[str]]  # query, every value
    body: bytes
    content_type: str
    range_header: str | None
    token: Token | None
    authorization: str | None = None

    def json(self) -> dict[str, Any]:
        if not self.body:
            return {}
        data = json.loads(self.body)
        if not isinstance(data, dict):
            raise ApiError(400, "Invalid JSON payload received. Expected an object.")
        return data

    def spreadsheet(self, write: bool = False) -> Spreadsheet:
        ss = self.fake.spreadsheets.get(self.params["sid"])
        if ss is None:
            raise ApiError(404, "Requested entity was not found.")
        if ss.access is not None:
            role = ss.access.get(self.token.principal if self.token else "")
            if role is None or (write and role != "writer"):
                raise ApiError(403, "The caller does not have permission")
        return ss


def sheets_get(call: Call) -> Answer:
    if call.args.get("includeGridData", "false") == "true":
        raise ApiError(400, "includeGridData is not supported by the fake")
    return Answer(200, call.spreadsheet().metadata())


def values_get(call: Call) -> Answer:
    return Answer(200, call.spreadsheet().get_values(call.params["range"], call.args))


def values_batch_get(call: Call) -> Answer:
    ss = call.spreadsheet()
    ranges = call.query.get("ranges", [])
    return Answer(200, {
        "spreadsheetId": ss.spreadsheet_id,
        "valueRanges": [ss.get_values(r, call.args) for r in ranges],
    })


def values_batch_update(call: Call) -> Answer:
    return Answer(200, call.spreadsheet(write=True).batch_update_values(call.json()))


def values_update(call: Call) -> Answer:
    ss = call.spreadsheet(write=True)
    body = call.json()
    body.setdefault("range", call.params["range"])
    option = call.args.get("valueInputOption", "")
    sheet, r0, c0, values = ss.plan_write(body, option)
    ss.apply_write(sheet, r0, c0, values, option)
    return Answer(200, ss.update_response(sheet, r0, c0, values))


def values_append(call: Call) -> Answer:
    """Appends after the last non-empty row of the sheet, growing the grid (as Google does)."""
    ss = call.spreadsheet(write=True)
    option = call.args.get("valueInputOption", "")
    sheet, _rng = ss.resolve(call.params["range"])
    values = call.json().get("values") or []
    at = len(sheet.read(0, 0, sheet.row_count, sheet.col_count))
    sheet.row_count = max(sheet.row_count, at + len(values))
    width = max((len(r) for r in values), default=0)
    sheet.col_count = max(sheet.col_count, width)
    if option not in VALUE_INPUT:
        raise ApiError(400, "'valueInputOption' is required but not specified")
    ss.apply_write(sheet, at, 0, values, option)
    return Answer(200, {"spreadsheetId": ss.spreadsheet_id,
                        "updates": ss.update_response(sheet, at, 0, values)})


def sheets_batch_update(call: Call) -> Answer:
    return Answer(200, call.spreadsheet(write=True).batch_update(call.json()))


def oauth_token(call: Call) -> Answer:
    if call.content_type.startswith("application/json"):
        form = {k: str(v) for k, v in call.json().items()}
    else:
        form = dict(parse_qsl(call.body.decode()))
    auth = call.authorization or ""
    if auth.startswith("Basic "):
        # RFC 6749 2.3.1: clients may send their id and secret with HTTP Basic auth.
        cid, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        form.setdefault("client_id", unquote(cid))
        form.setdefault("client_secret", unquote(secret))
    return Answer(200, call.fake.oauth.grant(form))


_DRIVE_DEFAULT_FIELDS = ("kind", "id", "name", "mimeType")


def _drive_file(call: Call) -> Any:
    fid = call.params["fid"]
    f = call.fake.files.get(fid)
    if f is None:
        raise ApiError(404, f"File not found: {fid}.", reason="notFound")
    principal = call.token.principal if call.token else ""
    if f.readers is not None and principal not in f.readers:
        # Drive answers 404 for files the caller cannot see at all; 403 when it can see but
        # not download. The fake uses 403 so both the message paths can be exercised.
        raise ApiError(403, f"The user does not have sufficient permissions for file {fid}.",
                       reason="insufficientFilePermissions")
    return f


def drive_get(call: Call) -> Answer:
    ss = call.fake.spreadsheets.get(call.params["fid"])
    if ss is not None:  # a spreadsheet is a Drive file too: its version, modifiedTime ...
        if ss.access is not None and (call.token.principal if call.token else "") not in ss.access:
            raise ApiError(404, f"File not found: {ss.spreadsheet_id}.", reason="notFound")
        meta = ss.drive_metadata()
    else:
        meta = _drive_file(call).metadata()
    fields = call.args.get("fields")
    if not fields:
        return Answer(200, {k: meta[k] for k in _DRIVE_DEFAULT_FIELDS})
    if fields == "*":
        return Answer(200, meta)
    return Answer(200, fieldmask.apply(meta, fieldmask.parse(fields)))


_BYTES_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def drive_download(call: Call) -> Answer:
    f = _drive_file(call)
    data, total = f.content, len(f.content)
    if not call.range_header:
        return Answer(200, data, content_type=f.mime_type)
    m = _BYTES_RANGE.match(call.range_header.strip())
    if not m or not (m.group(1) or m.group(2)):
        raise ApiError(400, f"Invalid Range header: {call.range_header}")
    if m.group(1):
        start = int(m.group(1))
        end = min(int(m.group(2)), total - 1) if m.group(2) else total - 1
    else:  # suffix range: the last N bytes
        start, end = max(total - int(m.group(2)), 0), total - 1
    if start >= total or end < start:
        raise ApiError(416, "Request range not satisfiable",
                       headers={"Content-Range": f"bytes */{total}"})
    return Answer(206, data[start:end + 1], {"Content-Range": f"bytes {start}-{end}/{total}"},
                  content_type=f.mime_type)


def drive_batch(call: Call) -> Answer:
    from tests.fakegoogle.batch import drive_batch as answer_batch  # imports this module

    return answer_batch(call)


def gmail_send(call: Call) -> Answer:
    from tests.fakegoogle.fake import SentMail

    raw = call.json().get("raw")
    if not isinstance(raw, str) or not raw:
        raise ApiError(400, "Invalid value for ByteString: raw is required", reason="invalid")
    try:
        data = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except (binascii.Error, ValueError) as e:
        raise ApiError(400, "Invalid value for ByteString", reason="invalidArgument") from e
    token = call.token
    assert token is not None
    msg_id = secrets.token_hex(8)
    sent: SentMail = SentMail(call.params["uid"], data, token.principal, token.subject, msg_id,
                              msg_id)
    call.fake.sent_mail.append(sent)
    return Answer(200, {"id": msg_id, "threadId": msg_id, "labelIds": ["SENT"]})


IMPLS: dict[str, Callable[[Call], Answer]] = {
    "oauth.token": oauth_token,
    "sheets.get": sheets_get,
    "sheets.batchUpdate": sheets_batch_update,
    "sheets.values.get": values_get,
    "sheets.values.batchGet": values_batch_get,
    "sheets.values.batchUpdate": values_batch_update,
    "sheets.values.update": values_update,
    "sheets.values.append": values_append,
    "drive.files.get": drive_get,
    "drive.files.download": drive_download,
    "drive.batch": drive_batch,
    "gmail.messages.send": gmail_send,
}


def json_answer(payload: object, query: dict[str, list[str]]) -> bytes:
    """A JSON answer as Google writes it: indented, unless the request said
    `prettyPrint=false` (then compact, without a space)."""
    pretty = (query.get("prettyPrint") or ["true"])[-1].lower() != "false"
    if pretty:
        return json.dumps(payload, ensure_ascii=False, indent=2).encode()
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
