"""pytest fixtures for the fake Google. Load with `pytest_plugins = ["tests.fakegoogle.fixtures"]`
(in tests/conftest.py) or import the fixtures by name in a test module.

- `fake_google`: a started `FakeGoogle` on 127.0.0.1 (proxies in the environment disabled
  for loopback), stopped after the test.
- `service_account_key`: a key JSON (mode 0600) in `tmp_path/secrets/` whose token_uri is the
  fake's token endpoint and whose public key the fake trusts.
- `google_config`: `make(spreadsheet_id, **source_keys) -> Config` for a Google source
  pointed at the fake (`api_endpoint`, `token_uri`, `drive_endpoint`).
- `fake_clock`: `sleep`/`monotonic` pair for retry tests that must never really wait.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from aduan_sync import config
from tests.fakegoogle.fake import FakeGoogle
from tests.fakegoogle.support import (
    PROXY_VARS,
    SA_EMAIL,
    FakeClock,
    write_google_config,
    write_key,
)


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake_google(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGoogle]:
    for var in PROXY_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with FakeGoogle() as fake:
        yield fake


@pytest.fixture
def service_account_key(fake_google: FakeGoogle, tmp_path: Path) -> Path:
    info = fake_google.new_service_account_key(SA_EMAIL)
    return write_key(tmp_path / "secrets" / "service-account.json", info)


@pytest.fixture
def google_config(
    tmp_path: Path, fake_google: FakeGoogle, service_account_key: Path
) -> Callable[..., config.Config]:
    def make(spreadsheet_id: str, **source: Any) -> config.Config:
        path = write_google_config(tmp_path / "config", fake_google, service_account_key,
                                   spreadsheet_id, **source)
        return config.load(path)

    return make
