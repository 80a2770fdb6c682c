"""gh-ft service: the LaunchAgent plist and the systemd --user unit render from the launchd/
templates with hostile paths and parse back to exactly those values; install/uninstall run
exactly the right launchctl/systemctl commands (a recording runner, and stand-in executables
first on PATH); --dry-run changes nothing; status and logs read what the tools and the log
files say."""
from __future__ import annotations

import configparser
import os
import plistlib
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from gh_ft.cli import main
from gh_ft.service.manage import install, logs, service_spec, status, uninstall
from gh_ft.resources import packaged_dir
from gh_ft.service.unit_files import ServiceError, render_plist, render_unit
from gh_ft.settings import load_settings
from tools import require_tool

PLIST = packaged_dir("launchd") / "gh-ft.plist.j2"
UNIT = packaged_dir("launchd") / "gh-ft.service.j2"
# Everything XML, systemd and shells treat specially, in folder names (the "/" of "</string>"
# makes it two folders; the full path holds the string).
HOSTILE = "pro ject </string>&<!-- \"q\" 'a' %h %% $HOME $$ ${X} ]]> \\n"
UID = os.getuid()


@pytest.fixture
def hostile_project(tmp_path) -> Path:
    project = tmp_path / HOSTILE
    project.mkdir(parents=True)
    (project / "gh-ft.yml").write_text(f"improve:\n  outbox: {tmp_path / ('out' + HOSTILE)!s}\n", encoding="utf-8")
    return project


def _spec(project: Path, role: str = "trainer", platform: str = "darwin", python: str | None = None):
    settings = load_settings(project / "gh-ft.yml")
    return settings, service_spec(settings, role, python=python or sys.executable, platform=platform)


# ---------------------------------------------------------------- rendering

@pytest.mark.parametrize("role", ["trainer", "watcher"])
def test_plist_parses_back_with_hostile_paths(hostile_project, role):
    python = str(hostile_project / "venv </string>&<" / "bin" / "python")
    assert "</string>&<" in python
    settings, spec = _spec(hostile_project, role, python=python)
    text = render_plist(spec, PLIST)
    plist = plistlib.loads(text.encode())
    config = str((hostile_project / "gh-ft.yml").resolve())
    tail = ["improve", "--watch"] if role == "trainer" else \
        ["bundle", "watch", "--from", str(settings.improve.outbox.resolve())]
    assert plist["ProgramArguments"] == [python, "-m", "gh_ft", "--config", config, *tail]
    assert plist["Label"] == f"local.gh-ft.{role}"
    assert plist["RunAtLoad"] is True and plist["KeepAlive"] is True
    assert plist["ThrottleInterval"] == 60 and plist["ExitTimeOut"] == 120
    assert plist["WorkingDirectory"] == str(hostile_project.resolve())
    assert plist["StandardOutPath"] == str(hostile_project.resolve() / "logs" / f"gh-ft-{role}.log")
    assert plist["StandardErrorPath"] == str(hostile_project.resolve() / "logs" / f"gh-ft-{role}.err.log")
    path = plist["EnvironmentVariables"]["PATH"].split(os.pathsep)
    assert path[0] == str(Path(python).parent) and "/opt/homebrew/bin" in path and "/usr/bin" in path
    assert plist["EnvironmentVariables"]["PYTHONUNBUFFERED"] == "1"
    assert HOSTILE not in text  # never pasted raw: every value went through the xml filter


def _unit_words(value: str) -> list[str]:
    """ExecStart= / Environment= as systemd reads gh-ft's form of them (an independent reading:
    every word double-quoted; C escapes; %% -> %; in ExecStart arguments $$ -> $)."""
    assert re.fullmatch(r'\s*(?:"(?:[^"\\]|\\.)*"\s*)+', value), value
    words = []
    for raw in re.findall(r'"((?:[^"\\]|\\.)*)"', value):
        raw = raw.replace("%%", "%")
        words.append(re.sub(r"\\(x[0-9a-f]{2}|.)", lambda m: chr(int(m.group(1)[1:], 16)) if m.group(1)[0] == "x"
                            and len(m.group(1)) == 3 else m.group(1), raw))
    return words


def test_systemd_unit_parses_back_with_hostile_paths(hostile_project):
    settings, spec = _spec(hostile_project, "watcher", platform="linux")
    text = render_unit(spec, UNIT)
    ini = configparser.ConfigParser(interpolation=None, strict=False, delimiters=("=",))
    ini.optionxform = str
    ini.read_string(text)
    svc = ini["Service"]
    exec_words = _unit_words(svc["ExecStart"])
    assert [exec_words[0]] + [w.replace("$$", "$") for w in exec_words[1:]] == spec.program
    assert spec.program[-1] == str(settings.improve.outbox.resolve())
    assert svc["WorkingDirectory"].replace("%%", "%") == str(hostile_project.resolve())
    assert svc["StandardOutput"].replace("%%", "%") == f"append:{spec.stdout_log}"
    assert svc["StandardError"].replace("%%", "%") == f"append:{spec.stderr_log}"
    envs = dict(w.split("=", 1) for line in text.splitlines() if line.startswith("Environment=")
                for w in _unit_words(line[len("Environment="):]))
    assert envs == spec.environment
    assert svc["Restart"] == "always" and svc["KillMode"] == "mixed" and ini["Install"]["WantedBy"] == "default.target"
    # No unescaped specifier anywhere (systemd would expand %h, %X...).
    assert not re.search(r"(?<!%)%(?!%)", re.sub("%%", "", text.split("[Unit]", 1)[1]))


def test_systemd_accepts_the_hostile_unit(hostile_project, tmp_path):
    """systemd's own parser (systemd-analyze verify) loads the unit: quoting and specifiers hold."""
    analyze = require_tool("systemd-analyze", "checks the rendered unit with systemd's own parser (Debian: systemd)")
    # A program systemd can start: the interpreter behind a path with spaces, % and <&>.
    bin_dir = tmp_path / "venv %h <&>" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").symlink_to(sys.executable)
    settings, spec = _spec(hostile_project, "watcher", platform="linux", python=str(bin_dir / "python"))
    unit = tmp_path / "gh-ft-watcher.service"
    unit.write_text(render_unit(spec, UNIT), encoding="utf-8")
    for log in (spec.stdout_log, spec.stderr_log):
        Path(log).parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    problems = [line for line in (done.stdout + done.stderr).splitlines() if "gh-ft-watcher" in line]
    assert done.returncode == 0 and not problems, done.stdout + done.stderr


def test_values_a_file_cannot_carry_are_refused(tmp_path):
    project = tmp_path / "p"
    project.mkdir()
    (project / "gh-ft.yml").write_text("{}\n")
    _, spec = _spec(project, python=str(tmp_path / "bad\x01name" / "python"))
    with pytest.raises(ServiceError, match="which a plist cannot carry"):
        render_plist(spec, PLIST)
    python = str(tmp_path / "odd\r\n\tname" / "python")  # legal in a plist, CR included
    _, spec = _spec(project, python=python)
    assert plistlib.loads(render_plist(spec, PLIST).encode())["ProgramArguments"][0] == python
    _, spec = _spec(project, platform="linux", python=str(tmp_path / "bad\nname" / "python"))
    with pytest.raises(ServiceError, match="control character"):
        render_unit(spec, UNIT)
    _, spec = _spec(project, platform="linux", python=str(tmp_path / 'q"uote' / "python"))
    with pytest.raises(ServiceError, match="systemd cannot start a program"):
        render_unit(spec, UNIT)


def test_an_edited_template_is_still_checked(tmp_path, hostile_project):
    settings, spec = _spec(hostile_project)
    missing = tmp_path / "missing.j2"
    missing.write_text(PLIST.read_text().replace("{{ label | xml }}", "{{ lable | xml }}"))
    with pytest.raises(ServiceError, match="'lable' is undefined"):
        render_plist(spec, missing)
    raw = tmp_path / "raw.j2"  # a value pasted without the filter cannot slip through
    raw.write_text(PLIST.read_text().replace("{{ working_dir | xml }}", "{{ working_dir }}"))
    with pytest.raises(ServiceError, match="does not parse|differ"):
        render_plist(spec, raw)


# ---------------------------------------------------------------- commands

class Recorder:
    """A runner that records commands and answers like the tools (the probe says `loaded`)."""

    def __init__(self, loaded: bool = False, fail: str | None = None):
        self.commands: list[list[str]] = []
        self.loaded, self.fail = loaded, fail

    def __call__(self, cmd):
        cmd = list(cmd)
        self.commands.append(cmd)
        probe = cmd[:2] == ["launchctl", "print"] or "is-active" in cmd
        code = (0 if self.loaded else 113 if cmd[0] == "launchctl" else 3) if probe else \
            (5 if self.fail and self.fail in cmd else 0)
        return subprocess.CompletedProcess(cmd, code, "", "Bootstrap failed: 5: Input/output error" if code == 5 else "")


def test_launchd_install_and_uninstall_commands(hostile_project, tmp_path, monkeypatch):
    home = tmp_path / ("home " + HOSTILE)
    settings, spec = _spec(hostile_project)
    runner = Recorder()
    plan = install(settings, spec, runner=runner, platform="darwin", home=home)
    path = home / "Library" / "LaunchAgents" / "local.gh-ft.trainer.plist"
    assert plan.file == path and plistlib.loads(path.read_bytes())["Label"] == "local.gh-ft.trainer"
    target = f"gui/{UID}/local.gh-ft.trainer"
    assert runner.commands == [["launchctl", "print", target], ["launchctl", "enable", target],
                               ["launchctl", "bootstrap", f"gui/{UID}", str(path)]]
    assert Path(spec.stdout_log).parent.is_dir()
    # Installed again while loaded: booted out first (bootstrap of a loaded label fails).
    runner = Recorder(loaded=True)
    install(settings, spec, runner=runner, platform="darwin", home=home)
    assert runner.commands[1] == ["launchctl", "bootout", target]
    assert not any(c[1] in ("load", "unload") for c in runner.commands)
    runner = Recorder(loaded=True)
    uninstall(spec, runner=runner, platform="darwin", home=home)
    assert runner.commands == [["launchctl", "print", target], ["launchctl", "bootout", target]]
    assert not path.exists()
    # A failing bootstrap is an error that quotes launchctl.
    with pytest.raises(ServiceError, match="bootstrap.*Input/output error"):
        install(settings, spec, runner=Recorder(fail="bootstrap"), platform="darwin", home=home)


def test_systemd_install_and_uninstall_commands(hostile_project, tmp_path, monkeypatch):
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    home = tmp_path / "home"
    settings, spec = _spec(hostile_project, platform="linux")
    runner = Recorder()
    plan = install(settings, spec, runner=runner, platform="linux", home=home)
    path = home / ".config" / "systemd" / "user" / "gh-ft-trainer.service"
    assert plan.file == path and "ExecStart=" in path.read_text()
    assert runner.commands == [["systemctl", "--user", "is-active", "--quiet", "gh-ft-trainer.service"],
                               ["systemctl", "--user", "daemon-reload"],
                               ["systemctl", "--user", "enable", "--now", "gh-ft-trainer.service"]]
    runner = Recorder(loaded=True)  # running on the old unit: restarted onto the new one
    install(settings, spec, runner=runner, platform="linux", home=home)
    assert runner.commands[-1] == ["systemctl", "--user", "restart", "gh-ft-trainer.service"]
    runner = Recorder()
    uninstall(spec, runner=runner, platform="linux", home=home)
    assert runner.commands == [["systemctl", "--user", "disable", "--now", "gh-ft-trainer.service"],
                               ["systemctl", "--user", "daemon-reload"]]
    assert not path.exists()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert install(settings, spec, runner=Recorder(), platform="linux", home=home).file == \
        tmp_path / "xdg" / "systemd" / "user" / "gh-ft-trainer.service"


STANDIN = """#!/bin/sh
# A stand-in for {name}: logs its arguments, one per line, then a separator.
for a in "$@"; do printf '%s\\n' "$a" >> "{log}"; done
printf '%s\\n' '--end--' >> "{log}"
case "$1 $2" in
  "print "*) exit 113 ;;        # launchctl print: not loaded
  "--user is-active") exit 3 ;; # systemctl: inactive
esac
exit 0
"""


def _logged(log: Path) -> list[list[str]]:
    calls, cur = [], []
    for line in log.read_text().splitlines():
        if line == "--end--":
            calls.append(cur)
            cur = []
        else:
            cur.append(line)
    return calls


@pytest.mark.parametrize("platform", ["darwin", "linux"])
def test_real_runner_calls_standin_tools_first_on_path(hostile_project, tmp_path, monkeypatch, platform):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    for name in ("launchctl", "systemctl"):
        tool = bin_dir / name
        tool.write_text(STANDIN.format(name=name, log=log))
        tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    home = tmp_path / ("home " + HOSTILE)
    settings, spec = _spec(hostile_project, platform=platform)
    plan = install(settings, spec, platform=platform, home=home)
    if platform == "darwin":
        target = f"gui/{UID}/local.gh-ft.trainer"
        assert _logged(log) == [["print", target], ["enable", target], ["bootstrap", f"gui/{UID}", str(plan.file)]]
    else:
        assert _logged(log) == [["--user", "is-active", "--quiet", "gh-ft-trainer.service"],
                                ["--user", "daemon-reload"], ["--user", "enable", "--now", "gh-ft-trainer.service"]]
    log.unlink()
    uninstall(spec, platform=platform, home=home)
    expected = [["print", f"gui/{UID}/local.gh-ft.trainer"]] if platform == "darwin" else \
        [["--user", "disable", "--now", "gh-ft-trainer.service"], ["--user", "daemon-reload"]]
    assert _logged(log) == expected and not plan.file.exists()


def test_dry_run_prints_the_file_and_changes_nothing(hostile_project, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no launchctl/systemctl at all
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    out = CliRunner().invoke(main, ["--config", str(hostile_project / "gh-ft.yml"), "service", "install",
                                    "--role", "watcher", "--dry-run"])
    assert out.exit_code == 0, out.output
    assert "# would run:" in out.output and "bundle" in out.output
    assert not (tmp_path / "home").exists() and not (hostile_project / "logs").exists()
    no_outbox = tmp_path / "plain"
    no_outbox.mkdir()
    (no_outbox / "gh-ft.yml").write_text("{}\n")
    out = CliRunner().invoke(main, ["--config", str(no_outbox / "gh-ft.yml"), "service", "install", "--role",
                                    "watcher", "--dry-run"])
    assert out.exit_code == 2 and "needs the outbox" in out.output


LAUNCHCTL_PRINT = """gui/501/local.gh-ft.trainer = {
\tactive count = 1
\tpath = /Users/me/Library/LaunchAgents/local.gh-ft.trainer.plist
\tstate = running
\tprogram = /Users/me/gh-ft/.venv/bin/python
\truns = 3
\tpid = 4242
\tlast exit code = 0
}
"""


def test_status_reads_launchctl_print_and_systemctl(hostile_project, tmp_path):
    _, spec = _spec(hostile_project)

    def printing(cmd):
        return subprocess.CompletedProcess(cmd, 0, LAUNCHCTL_PRINT, "")

    running, text = status(spec, runner=printing, platform="darwin", home=tmp_path)
    assert running and "state running" in text and "pid 4242" in text and "last exit code 0" in text
    running, text = status(spec, runner=Recorder(), platform="darwin", home=tmp_path)
    assert not running and "not loaded" in text and "not installed" in text
    _, spec = _spec(hostile_project, platform="linux")
    inactive = subprocess.CompletedProcess([], 3, "○ gh-ft-trainer.service\n   Active: inactive (dead)", "")
    running, text = status(spec, runner=lambda cmd: inactive, platform="linux", home=tmp_path)
    assert not running and "inactive (dead)" in text


def test_logs_show_the_last_lines_of_both_files(hostile_project):
    _, spec = _spec(hostile_project)
    Path(spec.stdout_log).parent.mkdir(parents=True)
    Path(spec.stdout_log).write_text("".join(f"round {i}\n" for i in range(100_000)))
    text = logs(spec, lines=3)
    assert "round 99997\nround 99998\nround 99999" in text and "round 99996" not in text
    assert "(empty or not written yet)" in text  # the error log does not exist yet
