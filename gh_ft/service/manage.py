"""`gh-ft service install|uninstall|status|logs`: keep the improve loop (role `trainer`) or
the workstation's bundle watcher (role `watcher`) running, as a launchd LaunchAgent on
macOS or a systemd --user unit on Linux.

The files come from the editable templates in launchd/ (service_files.py renders, escapes and
parses them back). launchd is driven with `launchctl bootstrap gui/<uid>` / `bootout` (not the
deprecated load/unload), systemd with `systemctl --user`. Commands go through an injectable
runner, so tests see exactly what would run.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from gh_ft.files import atomic_write_text
from gh_ft.resources import find_file
from gh_ft.service.unit_files import PLIST_TEMPLATE, UNIT_TEMPLATE, ServiceError, ServiceSpec, render_plist, render_unit
from gh_ft.settings import Settings

ROLES = ("trainer", "watcher")
LABEL_PREFIX = "local.gh-ft."
LAUNCHD, SYSTEMD = "launchd", "systemd"

Runner = Callable[[Sequence[str]], subprocess.CompletedProcess]


def run_command(cmd: Sequence[str]) -> subprocess.CompletedProcess:
    """The default runner: the real command, output captured."""
    try:
        return subprocess.run(list(cmd), capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        raise ServiceError(f"{cmd[0]} is not installed or not on PATH") from None


def platform_kind(platform: str | None = None) -> str:
    p = platform or sys.platform
    if p == "darwin":
        return LAUNCHD
    if p.startswith("linux"):
        return SYSTEMD
    raise ServiceError(f"gh-ft service supports macOS (launchd) and Linux (systemd --user), not {p}")


# ---------------------------------------------------------------- what to run

def service_path(python: str, kind: str) -> str:
    """PATH for the service: the interpreter's folder first (its console scripts), then this
    shell's PATH (where ollama, mcs and git are); on macOS also Homebrew's folders and the
    system ones, since a LaunchAgent starts with little more than /usr/bin:/bin."""
    extra = ["/opt/homebrew/bin", "/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"] if kind == LAUNCHD else []
    parts = [str(Path(python).parent), *os.environ.get("PATH", "").split(os.pathsep), *extra]
    return os.pathsep.join(dict.fromkeys(p for p in parts if p))


def service_spec(settings: Settings, role: str, *, outbox: Path | None = None, python: str = sys.executable,
                 log_dir: Path | None = None, platform: str | None = None) -> ServiceSpec:
    if role not in ROLES:
        raise ServiceError(f"unknown role {role!r}; choose {' or '.join(ROLES)}")
    project = settings.project_dir.resolve()
    base = [str(Path(python).absolute()), "-m", "gh_ft"]
    if settings.project_file is not None:
        base += ["--config", str(Path(settings.project_file).resolve())]
    if role == "trainer":
        program = base + ["improve", "--watch"]
    else:
        outbox = outbox or settings.improve.outbox
        if outbox is None:
            raise ServiceError("the watcher needs the outbox folder: pass --from OUTBOX or set improve.outbox")
        program = base + ["bundle", "watch", "--from", str(Path(outbox).resolve())]
    logs = (log_dir or project / "logs").resolve()
    return ServiceSpec(role, LABEL_PREFIX + role, program, str(project), str(logs / f"gh-ft-{role}.log"),
                       str(logs / f"gh-ft-{role}.err.log"),
                       {"PATH": service_path(python, platform_kind(platform)), "PYTHONUNBUFFERED": "1"})


# ---------------------------------------------------------------- install / uninstall / status / logs

@dataclass
class Plan:
    """What `install`/`uninstall` write and run (printed by --dry-run)."""
    kind: str
    file: Path
    text: str | None
    commands: list[list[str]]
    notes: list[str] = field(default_factory=list)


def service_file(spec: ServiceSpec, kind: str, home: Path | None = None) -> Path:
    home = home or Path.home()
    if kind == LAUNCHD:
        return home / "Library" / "LaunchAgents" / f"{spec.label}.plist"
    config = Path(os.environ["XDG_CONFIG_HOME"]) if os.environ.get("XDG_CONFIG_HOME") else home / ".config"
    return config / "systemd" / "user" / spec.unit_name


def _domain() -> str:
    return f"gui/{os.getuid()}"


def _loaded(runner: Runner, kind: str, spec: ServiceSpec) -> bool:
    """Is the service loaded (launchd) / active (systemd)? False where the tool is missing, so
    --dry-run works anywhere; the real commands then fail with a clear message."""
    cmd = (["launchctl", "print", f"{_domain()}/{spec.label}"] if kind == LAUNCHD
           else ["systemctl", "--user", "is-active", "--quiet", spec.unit_name])
    try:
        return runner(cmd).returncode == 0
    except ServiceError:
        return False


def install_plan(settings: Settings, spec: ServiceSpec, kind: str, runner: Runner, home: Path | None = None) -> Plan:
    path = service_file(spec, kind, home)
    if kind == LAUNCHD:
        text = render_plist(spec, find_file(PLIST_TEMPLATE, "launchd", settings.project_dir))
        target = f"{_domain()}/{spec.label}"
        commands = ([["launchctl", "bootout", target]] if _loaded(runner, kind, spec) else []) + [
            ["launchctl", "enable", target], ["launchctl", "bootstrap", _domain(), str(path)]]
        return Plan(kind, path, text, commands)
    text = render_unit(spec, find_file(UNIT_TEMPLATE, "launchd", settings.project_dir))
    was_active = _loaded(runner, kind, spec)
    commands = [["systemctl", "--user", "daemon-reload"], ["systemctl", "--user", "enable", "--now", spec.unit_name]]
    if was_active:  # enable --now leaves a running service on its old unit
        commands.append(["systemctl", "--user", "restart", spec.unit_name])
    notes = []
    user = os.environ.get("USER", "")
    if user and not Path("/var/lib/systemd/linger", user).exists():
        notes.append(f"user services stop when {user} logs out; to keep it running: loginctl enable-linger {user}")
    return Plan(kind, path, text, commands, notes)


def _run_all(commands: list[list[str]], runner: Runner, *, check: bool = True) -> list[str]:
    out = []
    for cmd in commands:
        result = runner(cmd)
        text = ((result.stdout or "") + (result.stderr or "")).strip()
        if result.returncode != 0 and check:
            raise ServiceError(f"`{' '.join(cmd)}` failed (exit {result.returncode})" + (f": {text}" if text else ""))
        out.append(f"$ {' '.join(cmd)}" + (f"\n{text}" if text else ""))
    return out


def install(settings: Settings, spec: ServiceSpec, *, dry_run: bool = False, runner: Runner = run_command,
            platform: str | None = None, home: Path | None = None) -> Plan:
    kind = platform_kind(platform)
    plan = install_plan(settings, spec, kind, runner, home)
    if dry_run:
        return plan
    Path(spec.stdout_log).parent.mkdir(parents=True, exist_ok=True)
    Path(spec.stderr_log).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(plan.file, plan.text or "")
    plan.notes[:0] = _run_all(plan.commands, runner)
    return plan


def uninstall(spec: ServiceSpec, *, dry_run: bool = False, runner: Runner = run_command, platform: str | None = None,
              home: Path | None = None) -> Plan:
    kind = platform_kind(platform)
    path = service_file(spec, kind, home)
    if kind == LAUNCHD:
        commands = [["launchctl", "bootout", f"{_domain()}/{spec.label}"]] if _loaded(runner, kind, spec) else []
        after: list[list[str]] = []
    else:
        commands = [["systemctl", "--user", "disable", "--now", spec.unit_name]]
        after = [["systemctl", "--user", "daemon-reload"]]
    plan = Plan(kind, path, None, commands + after)
    if dry_run:
        return plan
    notes = _run_all(commands, runner, check=kind == LAUNCHD)
    if path.exists():
        path.unlink()  # stopped first: nothing runs from a file that is gone
    notes += _run_all(after, runner)
    plan.notes = notes
    return plan


def status(spec: ServiceSpec, *, runner: Runner = run_command, platform: str | None = None,
           home: Path | None = None) -> tuple[bool, str]:
    """(running?, what launchctl print / systemctl status say)."""
    kind = platform_kind(platform)
    path = service_file(spec, kind, home)
    if kind == LAUNCHD:
        result = runner(["launchctl", "print", f"{_domain()}/{spec.label}"])
        text = (result.stdout or "") + (result.stderr or "")
        if result.returncode != 0:
            return False, f"{spec.label} is not loaded" + (" (installed at " + str(path) + ")" if path.exists() else
                                                             " (not installed)")
        fields = dict(re.findall(r"^\s*(state|pid|last exit code|runs) = (.*)$", text, re.M))
        running = fields.get("state") == "running"
        summary = ", ".join(f"{k} {v}" for k, v in fields.items()) or text.strip()
        return running, f"{spec.label}: {summary}"
    result = runner(["systemctl", "--user", "status", "--no-pager", spec.unit_name])
    text = ((result.stdout or "") + (result.stderr or "")).strip()
    return result.returncode == 0, text or f"{spec.unit_name}: no status (exit {result.returncode})"


def tail(path: Path, lines: int) -> list[str]:
    """The last `lines` lines of a log file (read from the end: logs grow without bound)."""
    if not path.is_file():
        return []
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        size, block, data = f.tell(), 1 << 16, b""
        while size > 0 and data.count(b"\n") <= lines:
            step = min(block, size)
            size -= step
            f.seek(size)
            data = f.read(step) + data
    return data.decode("utf-8", "replace").splitlines()[-lines:]


def logs(spec: ServiceSpec, lines: int = 50) -> str:
    out = []
    for what, path in (("output", Path(spec.stdout_log)), ("errors", Path(spec.stderr_log))):
        body = tail(path, lines)
        out.append(f"==> {path} ({what}) <==" + ("\n" + "\n".join(body) if body else "\n(empty or not written yet)"))
    return "\n\n".join(out)
