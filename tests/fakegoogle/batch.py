"""Drive's batch endpoint, `POST /batch/drive/v3`, in Google's documented format: up to 100
calls in one `multipart/mixed` request, each part `Content-Type: application/http` holding
one HTTP request (request line, headers, blank line); the answer is `multipart/mixed` too,
each part an HTTP response whose `Content-ID` is `response-` + the request part's.

Only `files.get` of metadata is served (Drive batches no media): any other call in a batch
answers 400 on its own. Each inner call is logged as `drive.files.get`, runs due hooks and
answers scripted faults of that name (their `status` only), exactly as if sent alone; the
envelope is logged as `drive.batch`.
"""

from __future__ import annotations

import email.message
import email.parser
import secrets
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

from tests.fakegoogle.control import LoggedRequest
from tests.fakegoogle.errors import ApiError
from tests.fakegoogle.services import Answer, Call, drive_get, json_answer

MAX_CALLS = 100


def drive_batch(call: Call) -> Answer:
    ctype = call.content_type
    if not ctype.lower().startswith("multipart/mixed") or "boundary=" not in ctype:
        raise ApiError(400, "Batch requests must be multipart/mixed with a boundary.")
    msg = email.parser.BytesParser().parsebytes(
        b"Content-Type: " + ctype.encode("latin-1") + b"\r\n\r\n" + call.body)
    parts = msg.get_payload() if msg.is_multipart() else []
    if not parts or len(parts) > MAX_CALLS:
        raise ApiError(400, f"A batch request holds 1 to {MAX_CALLS} calls, not {len(parts)}.")
    boundary = f"batch_{secrets.token_urlsafe(12)}"
    out = []
    for part in parts:
        assert isinstance(part, email.message.Message)
        raw = part.get_payload(decode=True)
        status, body = _inner(call, raw if isinstance(raw, bytes) else b"")
        cid = str(part.get("Content-ID", "")).strip().strip("<>")
        out.append(
            f"--{boundary}\r\nContent-Type: application/http\r\n"
            + (f"Content-ID: <response-{cid}>\r\n" if cid else "")
            + f"\r\nHTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
            f"Content-Type: application/json; charset=UTF-8\r\nContent-Length: {len(body)}\r\n"
            "\r\n")
        out.append(body.decode() + "\r\n")
    out.append(f"--{boundary}--\r\n")
    return Answer(200, "".join(out).encode(), content_type=f"multipart/mixed; boundary={boundary}")


def _inner(call: Call, raw: bytes) -> tuple[int, bytes]:
    """One call of the batch: (status, JSON answer, encoded as its own URL asks)."""
    from tests.fakegoogle.server import route

    line = raw.lstrip(b"\r\n").split(b"\n", 1)[0].decode("latin-1").split()
    method, target = (line[0], line[1]) if len(line) >= 2 else ("", "")
    url = urlsplit(target)
    query = parse_qs(url.query, keep_blank_values=True)
    endpoint, params = route(method, url.path, query)
    fake = call.fake
    entry = LoggedRequest(0, "drive.files.get" if endpoint == "drive.files.get" else "unknown",
                          method, url.path, query, b"",
                          principal=call.token.principal if call.token else None)
    try:
        if endpoint != "drive.files.get":
            raise ApiError(400, f"{method} {url.path} cannot be sent in a Drive batch request.")
        for hook in fake.hooks:
            if hook.due(endpoint):
                hook.callback(fake)
        fault = next((f for f in fake.faults if f.matches(endpoint)), None)
        if fault is not None and fault.status is not None:
            entry.fault = str(fault.status)
            raise ApiError(fault.status, fault.message, reason=fault.reason)
        inner = Call(fake, params, {k: v[-1] for k, v in query.items()}, query, b"", "", None,
                     call.token, call.authorization)
        answer = drive_get(inner)
        status, payload = answer.status, answer.payload
    except ApiError as e:
        status, payload = e.code, e.payload()
    entry.status = status
    fake.log.add(entry)
    assert isinstance(payload, dict)
    return status, json_answer(payload, query)
