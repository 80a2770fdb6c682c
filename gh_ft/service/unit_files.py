"""The service files: the LaunchAgent plist and the systemd --user unit, rendered from the
editable templates in launchd/ with Jinja StrictUndefined, every value through a filter that
escapes it for the target format, then parsed back and compared with what was meant.

plist: XML text escaping (CR as a character reference, which XML does not normalise; the
characters XML 1.0 cannot hold refused). systemd: specifiers `%` -> `%%`; values that may be
quoted (ExecStart=, Environment=) as double-quoted words with C escapes, `$` -> `$$` in
ExecStart arguments; plain values (paths, Description=) refuse what a unit line cannot carry.
"""
from __future__ import annotations

from gh_ft.errors import GhFtError
import configparser
import plistlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import jinja2

PLIST_TEMPLATE = "gh-ft.plist.j2"
UNIT_TEMPLATE = "gh-ft.service.j2"


class ServiceError(GhFtError, RuntimeError):
    pass


@dataclass(frozen=True)
class ServiceSpec:
    role: str
    label: str                   # launchd Label; the systemd unit is <label>.service
    program: list[str]           # argv, absolute interpreter first
    working_dir: str
    stdout_log: str
    stderr_log: str
    environment: dict[str, str] = field(default_factory=dict)
    throttle_s: int = 60
    exit_timeout_s: int = 120

    @property
    def description(self) -> str:
        return f"gh-ft {self.role}: " + ("the improve loop" if self.role == "trainer" else "the outbox watcher")

    @property
    def unit_name(self) -> str:
        return f"gh-ft-{self.role}.service"


# ---------------------------------------------------------------- escaping filters

_XML_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value: object) -> str:
    """Text for a plist <string>/<key>: &, <, > escaped (quotes too, harmlessly); characters
    XML 1.0 cannot hold are refused rather than dropped."""
    s = str(value)
    if bad := _XML_BAD.search(s):
        raise ServiceError(f"{s!r} holds {bad.group()!r}, which a plist cannot carry")
    # A literal CR would be read back as LF (XML end-of-line handling); a reference is not.
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;") \
        .replace("\r", "&#13;")


def _int(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ServiceError(f"expected a whole number of seconds, got {value!r}")
    return str(value)


def _no_controls(s: str, what: str) -> str:
    if re.search(r"[\x00-\x1f\x7f]", s):
        raise ServiceError(f"{what} {s!r} holds a control character, which a unit file line cannot carry")
    return s


def systemd_text(value: object) -> str:
    """A plain value (Description=): specifiers escaped, one line, no trailing backslash
    (it would continue the line)."""
    s = _no_controls(str(value), "value")
    if s.rstrip().endswith("\\"):
        raise ServiceError(f"{s!r} ends with a backslash, which would continue the unit file line")
    return s.replace("%", "%%")


def systemd_path(value: object) -> str:
    """An absolute path value (WorkingDirectory=, append:): specifiers escaped; leading or
    trailing whitespace and a trailing backslash (line continuation) refused."""
    s = _no_controls(str(value), "path")
    if not s.startswith("/") or s != s.strip() or s.endswith("\\"):
        raise ServiceError(f"path {s!r} cannot be written into a unit file (not absolute, or edge whitespace/backslash)")
    return s.replace("%", "%%")


def _c_escape(s: str) -> str:
    out = []
    for ch in s:
        if ch in '\\"':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7f:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return "".join(out)


def systemd_quote(value: object) -> str:
    """One double-quoted word (Environment=): C escapes for \\, \" and controls; specifiers escaped."""
    if "\x00" in str(value):
        raise ServiceError(f"{value!r} holds a NUL character, which systemd refuses")
    return '"' + _c_escape(str(value)).replace("%", "%%") + '"'


def systemd_exec(argv: Sequence[str]) -> str:
    """ExecStart=: every argument a quoted word, `$` doubled in the arguments (systemd expands
    $VARS there). The program path itself is taken literally apart from `%%`, and systemd
    refuses quotes, backslashes there; `$` would be expanded in argv[0]: all refused."""
    if not argv or not str(argv[0]).startswith("/"):
        raise ServiceError(f"ExecStart needs an absolute program path, got {list(argv[:1])!r}")
    program = _no_controls(str(argv[0]), "program path")
    if bad := set(program) & set("\\\"'$"):
        raise ServiceError(f"systemd cannot start a program whose path holds {''.join(sorted(bad))!r}: {program!r} "
                           "(install gh-ft's environment in another folder)")
    return " ".join([systemd_quote(program)] + [systemd_quote(a).replace("$", "$$") for a in argv[1:]])


def _check_environment(env: dict) -> None:
    for name in env:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(name)):
            raise ServiceError(f"environment variable name {name!r} is not valid")


def _jinja(template: Path) -> jinja2.Template:
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.filters.update(xml=xml_text, xml_int=_int, systemd_text=systemd_text, systemd_path=systemd_path,
                       systemd_quote=systemd_quote, systemd_exec=systemd_exec, systemd_int=_int)
    try:
        return env.from_string(template.read_text(encoding="utf-8"))
    except jinja2.TemplateSyntaxError as e:
        raise ServiceError(f"{template}:{e.lineno}: {e.message}") from None


def _values(spec: ServiceSpec) -> dict:
    _check_environment(spec.environment)
    return {"role": spec.role, "label": spec.label, "program": spec.program, "working_dir": spec.working_dir,
            "stdout_log": spec.stdout_log, "stderr_log": spec.stderr_log, "environment": spec.environment,
            "throttle_s": spec.throttle_s, "exit_timeout_s": spec.exit_timeout_s, "description": spec.description}


# ---------------------------------------------------------------- rendering, checked by parsing back

def render_plist(spec: ServiceSpec, template: Path) -> str:
    try:
        text = _jinja(template).render(**_values(spec))
    except jinja2.UndefinedError as e:
        raise ServiceError(f"{template}: {e.message}") from None
    try:
        parsed = plistlib.loads(text.encode("utf-8"))
    except Exception as e:  # noqa: BLE001 - expat and plistlib raise several kinds
        raise ServiceError(f"{template} rendered a plist that does not parse: {e}") from None
    expected = {"Label": spec.label, "ProgramArguments": spec.program, "WorkingDirectory": spec.working_dir,
                "StandardOutPath": spec.stdout_log, "StandardErrorPath": spec.stderr_log,
                "EnvironmentVariables": spec.environment}
    wrong = [k for k, v in expected.items() if parsed.get(k) != v]
    if wrong:
        raise ServiceError(f"{template} rendered a plist whose {', '.join(wrong)} differ from the values given")
    return text


def read_unit(text: str) -> configparser.ConfigParser:
    """A unit file as sections of raw values (systemd's syntax is INI-like: no interpolation,
    case-sensitive keys, `#`/`;` comments; a repeated key such as Environment= keeps its last
    value here, so render_unit reads those lines itself)."""
    ini = configparser.ConfigParser(interpolation=None, strict=False, comment_prefixes=("#", ";"),
                                    delimiters=("=",), empty_lines_in_values=False)
    ini.optionxform = str  # type: ignore[assignment,method-assign]
    ini.read_string(text)
    return ini


_C_UNESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\",
                '"': '"', "'": "'", "s": " "}


def split_words(value: str, *, exec_line: bool = False) -> list[str]:
    """systemd's reading of a quoted, escaped value: specifiers (`%%` -> `%`), words split on
    whitespace outside quotes, C escapes; in ExecStart also `$$` -> `$` (a lone `$` would
    expand a variable, which gh-ft never writes: refused here)."""
    words, cur, quote, started, i = [], [], None, False, 0
    while i < len(value):
        ch = value[i]
        if ch == "%":
            if value[i + 1:i + 2] != "%":
                raise ServiceError(f"unescaped specifier in {value!r}")
            cur.append("%")
            started, i = True, i + 2
            continue
        if exec_line and ch == "$":
            if value[i + 1:i + 2] != "$":
                raise ServiceError(f"unescaped $ in {value!r}")
            cur.append("$")
            started, i = True, i + 2
            continue
        if ch == "\\":
            nxt = value[i + 1:i + 2]
            if nxt == "x":
                cur.append(chr(int(value[i + 2:i + 4], 16)))
                i += 4
            elif nxt in _C_UNESCAPES:
                cur.append(_C_UNESCAPES[nxt])
                i += 2
            else:
                raise ServiceError(f"unknown escape \\{nxt} in {value!r}")
            started = True
            continue
        if quote:
            if ch == quote:
                quote = None
            else:
                cur.append(ch)
        elif ch in "\"'":
            quote, started = ch, True
        elif ch.isspace():
            if started:
                words.append("".join(cur))
                cur, started = [], False
        else:
            cur.append(ch)
            started = True
        i += 1
    if quote:
        raise ServiceError(f"unterminated quote in {value!r}")
    if started:
        words.append("".join(cur))
    return words


def render_unit(spec: ServiceSpec, template: Path) -> str:
    try:
        text = _jinja(template).render(**_values(spec))
    except jinja2.UndefinedError as e:
        raise ServiceError(f"{template}: {e.message}") from None
    try:
        svc = read_unit(text)["Service"]
    except (configparser.Error, KeyError) as e:
        raise ServiceError(f"{template} rendered a unit that does not parse: {e}") from None
    env = {}
    for line in text.splitlines():  # configparser keeps only the last of repeated keys
        if line.startswith("Environment="):
            for word in split_words(line[len("Environment="):]):
                name, _, value = word.partition("=")
                env[name] = value
    got = {"ExecStart": split_words(svc.get("ExecStart", ""), exec_line=True),
           "WorkingDirectory": svc.get("WorkingDirectory", "").replace("%%", "%"),
           "StandardOutput": svc.get("StandardOutput", "").replace("%%", "%"),
           "StandardError": svc.get("StandardError", "").replace("%%", "%"), "Environment": env}
    expected = {"ExecStart": spec.program, "WorkingDirectory": spec.working_dir,
                "StandardOutput": f"append:{spec.stdout_log}", "StandardError": f"append:{spec.stderr_log}",
                "Environment": spec.environment}
    wrong = [k for k, v in expected.items() if got[k] != v]
    if wrong:
        raise ServiceError(f"{template} rendered a unit whose {', '.join(wrong)} differ from the values given")
    return text
