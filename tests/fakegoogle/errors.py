"""Google's error responses, in the JSON shape the real APIs send them."""

from __future__ import annotations

from typing import Any

#: google.rpc.Code names the Sheets and Drive APIs put in `error.status`.
STATUS_BY_CODE = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    416: "OUT_OF_RANGE",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

DEFAULT_MESSAGES = {
    400: "Request contains an invalid argument.",
    401: (
        "Request had invalid authentication credentials. Expected OAuth 2 access token, "
        "login cookie or other valid authentication credential."
    ),
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    429: (
        "Quota exceeded for quota metric 'Requests' and limit 'Requests per minute per user' "
        "of service 'sheets.googleapis.com'."
    ),
    500: "Internal error encountered.",
    502: "Bad Gateway",
    503: "The service is currently unavailable.",
    504: "The request timed out. Please try again.",
}


class ApiError(Exception):
    """An error the fake answers with `{"error": {"code", "message", "status"[, "errors"]}}`."""

    def __init__(
        self,
        code: int,
        message: str | None = None,
        *,
        reason: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.code = code
        self.message = message or DEFAULT_MESSAGES.get(code, "Error")
        self.reason = reason
        self.headers = headers or {}
        super().__init__(f"{code} {self.message}")

    def payload(self) -> dict[str, Any]:
        err: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "status": STATUS_BY_CODE.get(self.code, "UNKNOWN"),
        }
        if self.reason:
            # Drive v3 (and older APIs) also list `errors` with a machine-readable reason.
            err["errors"] = [{"message": self.message, "domain": "global", "reason": self.reason}]
        return {"error": err}


def grid_error(a1: str, rows: int, cols: int) -> ApiError:
    """The 400 Sheets answers for a range outside the sheet's grid."""
    return ApiError(
        400, f"Range ({a1}) exceeds grid limits. Max rows: {rows}, max columns: {cols}"
    )
