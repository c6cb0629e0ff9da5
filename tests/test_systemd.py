"""The deployment files: systemd units that verify and are hardened, and the README's cron line."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import warnings
from pathlib import Path

import pytest

from aduan_sync.defaults import GOOGLE_RETRY_SECONDS

REPO = Path(__file__).resolve().parents[1]
UNITS = REPO / "config" / "systemd"
NAMES = ("aduan-sync.service", "aduan-sync.timer", "aduan-sync-daemon.service")
SERVICES = ("aduan-sync.service", "aduan-sync-daemon.service")
EXEC = "/opt/aduan-sync/.venv/bin/aduan-sync"
STATE = "/var/lib/aduan-sync"
SYSTEM_UNIT_DIRS = (Path("/usr/lib/systemd/system"), Path("/lib/systemd/system"))


class MultiDict(dict):
    """configparser storage that keeps every value of a repeated key (systemd allows it)."""

    def __setitem__(self, key, value):
        if isinstance(value, list) and key in self:
            self[key].extend(value)
        else:
            super().__setitem__(key, value)


def parse(name: str) -> dict[str, dict[str, list[str]]]:
    parser = configparser.RawConfigParser(dict_type=MultiDict, strict=False,
                                          empty_lines_in_values=False)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read(UNITS / name, encoding="utf-8")
    out: dict[str, dict[str, list[str]]] = {}
    for section in parser.sections():
        raw = parser._sections[section]  # type: ignore[attr-defined]
        # configparser joins the values of a repeated key with newlines once it has read them.
        out[section] = {k: str(v).split("\n") for k, v in raw.items()}
    return out


def one(unit: dict, section: str, key: str) -> str:
    values = unit[section][key]
    assert len(values) == 1, (section, key, values)
    return values[0]


@pytest.mark.parametrize("name", SERVICES)
def test_services_are_hardened(name):
    svc = parse(name)["Service"]
    expect = {
        "User": "aduan-sync", "Group": "aduan-sync", "NoNewPrivileges": "yes",
        "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
        "PrivateDevices": "yes", "UMask": "0077", "ProtectKernelTunables": "yes",
        "ProtectKernelModules": "yes", "ProtectControlGroups": "yes", "RestrictSUIDSGID": "yes",
        "LockPersonality": "yes", "RestrictNamespaces": "yes", "CapabilityBoundingSet": "",
        "StateDirectoryMode": "0700", "SystemCallArchitectures": "native",
    }
    for key, value in expect.items():
        assert svc.get(key) == [value], key
    rw = svc["ReadWritePaths"][0].split()
    assert rw == [f"{STATE}/data", f"{STATE}/arsip", f"{STATE}/outbox"]
    # systemd creates those folders, owned by the service user, before it mounts them writable.
    assert svc["StateDirectory"][0].split() == [
        "aduan-sync", "aduan-sync/data", "aduan-sync/arsip", "aduan-sync/outbox"]
    assert set(svc["RestrictAddressFamilies"][0].split()) == {"AF_INET", "AF_INET6", "AF_UNIX"}
    assert svc["SystemCallFilter"] == ["@system-service", "~@privileged @resources"]
    assert svc["Environment"].count("ADUAN_SYNC_CONFIG=/etc/aduan-sync/aduan.toml") == 1


def test_oneshot_sync_service_treats_a_held_lock_as_success():
    unit = parse("aduan-sync.service")
    assert one(unit, "Service", "Type") == "oneshot"
    assert one(unit, "Service", "ExecStart") == f"{EXEC} --log-format json sync"
    assert one(unit, "Service", "SuccessExitStatus") == "75"
    assert "Install" not in unit  # started by the timer only


def test_timer_runs_the_sync_every_five_minutes_and_catches_up_after_downtime():
    unit = parse("aduan-sync.timer")
    assert one(unit, "Timer", "OnCalendar") == "*:0/5"
    assert one(unit, "Timer", "Persistent") == "true"
    assert one(unit, "Timer", "Unit") == "aduan-sync.service"
    assert one(unit, "Install", "WantedBy") == "timers.target"


def test_daemon_service_stops_with_sigterm_and_waits_longer_than_a_pass_can_take():
    unit = parse("aduan-sync-daemon.service")
    assert one(unit, "Service", "ExecStart") == f"{EXEC} --log-format json run"
    assert one(unit, "Service", "KillSignal") == "SIGTERM"
    m = re.fullmatch(r"(\d+)min", one(unit, "Service", "TimeoutStopSec"))
    assert m and int(m.group(1)) * 60 > GOOGLE_RETRY_SECONDS  # a pass retrying Google finishes
    assert one(unit, "Service", "Restart") == "on-failure"
    assert one(unit, "Install", "WantedBy") == "multi-user.target"


def system_units() -> Path | None:
    return next((d for d in SYSTEM_UNIT_DIRS if (d / "sysinit.target").exists()), None)


def verify(root: Path, unit_dir: Path) -> subprocess.CompletedProcess[str]:
    """`systemd-analyze verify` in a throw-away root holding the host's system units, our
    units (byte for byte) and a stand-in for the installed console script."""
    exe = root / EXEC.lstrip("/")
    exe.parent.mkdir(parents=True)
    exe.write_text("#!/bin/sh\n", encoding="utf-8")
    exe.chmod(0o755)
    system = system_units()
    assert system is not None
    shutil.copytree(system, root / "usr/lib/systemd/system", symlinks=True)
    target = root / "etc/systemd/system"
    target.mkdir(parents=True)
    for name in NAMES:
        shutil.copyfile(unit_dir / name, target / name)
    analyze = shutil.which("systemd-analyze")
    assert analyze is not None
    return subprocess.run([analyze, "verify", f"--root={root}", *NAMES], capture_output=True,
                          text=True, timeout=120)


def complaints_about_our_units(res: subprocess.CompletedProcess[str]) -> list[str]:
    # verify exits 0 even on an unknown key or a bad value; its warnings are what count.
    return [line for line in (res.stdout + res.stderr).splitlines() if "aduan-sync" in line]


def test_units_verify_with_systemd_analyze(tmp_path):
    if shutil.which("systemd-analyze") is None or system_units() is None:
        warnings.warn("systemd-analyze is not installed: the units were checked with "
                      "configparser only (the other tests in this file)", stacklevel=1)
        for name in NAMES:
            assert parse(name), name  # at least parseable, with sections
        return
    res = verify(tmp_path / "root", UNITS)
    assert res.returncode == 0, res.stderr
    assert complaints_about_our_units(res) == []


def test_verify_catches_a_misspelt_hardening_key(tmp_path):
    """The check above can fail: a broken copy of the unit is reported."""
    if shutil.which("systemd-analyze") is None or system_units() is None:
        warnings.warn("systemd-analyze is not installed: negative check not run", stacklevel=1)
        return
    broken = tmp_path / "broken"
    shutil.copytree(UNITS, broken)
    path = broken / "aduan-sync.service"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "ProtectSystem=strict", "ProtectSystem=strct"), encoding="utf-8")
    res = verify(tmp_path / "root", broken)
    assert any("strct" in line for line in complaints_about_our_units(res))


def test_readme_shows_the_cron_line_and_the_install_steps():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Running it as a service"):]
    cron = re.search(r"^\*/5 \* \* \* \* aduan-sync (.+)$", section, re.MULTILINE)
    assert cron, "an /etc/cron.d line running every 5 minutes as the aduan-sync user"
    assert f"{EXEC} --log-format json sync" in cron.group(1)
    for step in ("useradd --system", "systemctl enable --now aduan-sync.timer",
                 "systemctl enable --now aduan-sync-daemon.service", "systemd-analyze verify",
                 "journalctl -u aduan-sync", f"{STATE}/data", f"{STATE}/arsip",
                 f"{STATE}/outbox"):
        assert step in section, step
