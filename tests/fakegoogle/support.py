"""Plain helpers for the Google tests (no fixtures here, so test modules may import them
freely while `tests.fakegoogle.fixtures` stays a pytest plugin)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.fakegoogle.fake import FakeGoogle

SA_EMAIL = "aduan-sync@kecamatan-jenawi.iam.gserviceaccount.com"
PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


@dataclass
class FakeClock:
    """A monotonic clock that only moves when the code under test sleeps."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


def write_key(path: Path, info: dict[str, Any]) -> Path:
    """Write a key file as the office should keep it: 0600 in a 0700 folder."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(info, f)
    return path


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    return json.dumps(str(v), ensure_ascii=False)  # a JSON string is a valid TOML string


def write_google_config(
    directory: Path,
    fake: FakeGoogle | None,
    key_file: Path,
    spreadsheet_id: str,
    **source: Any,
) -> Path:
    """A complete config file for a Google source; `fake=None` leaves endpoints at Google's."""
    values: dict[str, Any] = {
        "backend": "google",
        "spreadsheet_id": spreadsheet_id,
        "credentials_file": str(key_file),
    }
    if fake is not None:
        values["api_endpoint"] = fake.base_url
        values["token_uri"] = fake.token_uri
        values["drive_endpoint"] = fake.base_url
    values.update(source)
    lines = ["[source]"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in values.items()]
    lines += [
        "",
        "[storage]",
        'data_dir = "data"',
        'archive_dir = "arsip"',
        "",
        "[mail]",
        'backend = "outbox"',
        'sender = "ppid.jenawi@example.go.id"',
        "",
        "[ppid]",
        'name = "PPID Pelaksana Kecamatan Jenawi"',
        'email = "ppid.jenawi@example.go.id"',
    ]
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "aduan.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path

