"""`aduan-sync demo`: the whole SOP on the embedded default, with sample complaints."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from aduan_sync import config as config_mod
from aduan_sync.pass_result import PassResult
from aduan_sync.passrun import run_pass
from aduan_sync.status import status_report
from aduan_sync.workspace import create_demo_workspace


@dataclass
class DemoOutcome:
    workspace: Path
    created: list[Path]
    result: PassResult
    register: list[dict[str, str]]
    workbook: Path
    archive_dir: Path
    outbox_dir: Path


def run_demo(target: Path, now: datetime | None = None) -> DemoOutcome:
    """Create the workspace if needed and run one pass over it."""
    target = target.resolve()
    tz = config_mod.OfficeConfig().tz
    now = now or datetime.now(tz)
    created = create_demo_workspace(target, now)
    cfg = config_mod.load(target / "aduan.toml")
    result = run_pass(cfg, now=now, env={})
    report = status_report(cfg, now)
    assert cfg.source.path is not None
    return DemoOutcome(
        workspace=target, created=created, result=result, register=report["register"],
        workbook=cfg.source.path, archive_dir=cfg.storage.archive_dir,
        outbox_dir=cfg.mail.outbox_dir,
    )
