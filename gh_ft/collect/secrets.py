"""Redact secrets from C# sources and documents before they enter a dataset.

Models memorize what they are trained on and datasets get shared, so a key or
password left in a sample leaks to everyone who trains on it or prompts the
model. Every text passes through `redact_secrets` before it is written: only the
secret value is swapped for ``<REDACTED:kind>`` (a literal stays inside its
quotes, so the C# still parses) and each redaction is reported by line and kind,
never by value.

Two families of rules:
* known formats (AWS key ids, PEM private keys, GitHub/OpenAI/Anthropic/Slack/
  Google/Stripe keys, JWTs) are redacted wherever they appear;
* generic ones (``password = "..."``, ``Password=...;`` in connection strings,
  ``Bearer ...``, ``user:pass@`` in URLs) need a secret-like name or context AND
  a literal, non-placeholder value (6+ chars, no spaces, secret-looking): a
  false redaction corrupts a component as surely as a leak exposes its author.

Placeholders (``""``, ``<your key>``, ``YOUR_API_KEY``, ``xxx``, ``***``,
``changeme``, ``${ENV}``, ``%ENV%``) are not secrets and are left alone: they
carry nothing to leak, and keeping them keeps the sample realistic.

Every pattern starts at a literal or at the start of a run of token characters
and uses possessive quantifiers, so matching stays linear in the input.

In front of these rules runs a maintained detector, detect-secrets (Yelp; pinned,
its plugins for provider formats - Slack webhooks, Twilio, SendGrid, npm, Azure
storage, Discord, Telegram, Square, Mailchimp, GitLab, PyPI, ... - plus its keyword
and high-entropy plugins): a hand list always lags the providers. Its findings pass
the same placeholder rules, entropy and keyword findings count only on a line that
assigns to a secret-like name, and a value is replaced only where that keeps the
literal intact (no quote or backslash inside the span), so the C# still parses.
"""
from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterator

__all__ = ["Redaction", "redact_secrets"]


@dataclass(frozen=True)
class Redaction:
    line: int  # 1-based line in the ORIGINAL text where the secret started
    kind: str


_Hit = tuple[int, int, str]  # start, end, kind

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_DIGIT = re.compile(r"\d")
_NAMELIKE = re.compile(r"[A-Za-z_.\-]+")
_PATHLIKE = re.compile(r"(?:[A-Za-z]:\\|\.\.?/|~/).*|(?:/[\w.\-]+){2,}/?")


def _norm(s: str) -> str:
    return _NON_ALNUM.sub("", s.lower())


_PLACEHOLDER_WORDS = frozenset(
    "changeme changeit password passwd pwd pass secret token apikey key none null nil "
    "undefined empty todo tbd fixme placeholder example sample dummy fake test default "
    "redacted value string mypassword mysecret mytoken myapikey secretkey accesskey".split())
_PLACEHOLDER_LEAD = frozenset(
    "your my insert enter replace put add paste example sample dummy fake placeholder".split())


def _is_placeholder(v: str) -> bool:
    """True for values that stand in for a secret rather than being one."""
    low = v.lower()
    if not low or len(set(low)) <= 2 or low[0] in "<{[(%$" or "redacted" in low:
        return True  # '', xxx, ***, <your key>, {0}, ${ENV}, %ENV%, $VAR
    parts = [p for p in _NON_ALNUM.split(low) if p]
    if not parts or _norm(low) in _PLACEHOLDER_WORDS:
        return True
    if not _DIGIT.search(low) and (parts[0] in _PLACEHOLDER_LEAD and len(parts) > 1
                                   or parts[-1] == "here"):
        return True  # YOUR_API_KEY, insert-token-here
    # A name of a secret (the env var "OPENAI_API_KEY", "api-token") is not one.
    return bool(_NAMELIKE.fullmatch(v)) and any(c in v for c in "_.-") and any(
        w in low for w in ("key", "token", "secret", "pass", "pwd"))


def _name_kind(name: str) -> str | None:
    """Kind for an identifier/config key that names a secret, else None."""
    n = _norm(name)
    if n.endswith(("password", "passwd", "pwd", "passphrase")):
        return "password"
    if n.endswith(("secretaccesskey", "awssecretkey")) or ("aws" in n and "secret" in n):
        return "aws-secret-key"
    if n.endswith(("apikey", "subscriptionkey", "appkey", "authorization")):
        return "api-key"
    if n.endswith(("secret", "token", "secretkey", "accesskey", "privatekey", "accountkey",
                   "signingkey", "encryptionkey", "masterkey", "clientkey", "authkey", "licensekey")):
        return "generic-secret"
    return None


_HUMAN_CHOSEN = ("secret", "secretkey", "signingkey", "encryptionkey", "masterkey")
_SYMBOLS = frozenset("!@#$%^&*+/=?~|:;,<>()[]{}\\'\"`")


def _value_ok(value: str, name: str, kind: str, quoted: bool) -> bool:
    """Is a literal assigned to a secret-named thing plausibly a real secret?"""
    if len(value) < 6 or any(c.isspace() for c in value):
        return False  # short values and prose ("Enter password") are not secrets
    if _is_placeholder(value) or _norm(value) == _norm(name):
        return False  # AddTextParameter("Password", "Password", ...)
    if "://" in value or _PATHLIKE.fullmatch(value) or ("{" in value and "}" in value):
        return False  # URLs, paths, format strings
    if _DIGIT.search(value):
        return True
    if not quoted:  # config/prose: "Password: required" must survive
        return any(c in _SYMBOLS for c in value)
    if kind == "password" or _norm(name).endswith(_HUMAN_CHOSEN):
        return True
    # Tokens and API keys are machine-made: random-looking, so "return" and "foreach"
    # (lexer tokens) or "Ctrl+S" (an AccessKey) survive.
    classes = (any(c.isupper() for c in value), any(c.islower() for c in value),
               any(c in _SYMBOLS for c in value))
    return len(value) >= 16 and sum(classes) >= 2


# --- known formats ------------------------------------------------------------------

def _known(pattern: str, kind: str, need_digit: bool) -> Callable[[str, str], Iterator[_Hit]]:
    rx = re.compile(pattern)

    def find(text: str, low: str) -> Iterator[_Hit]:
        for m in rx.finditer(text):
            v = m.group()  # skip doc placeholders: sk-xxxxxxxx..., ghp_XXXX...
            if len(set(v)) >= 8 and (not need_digit or _DIGIT.search(v)):
                yield m.start(), m.end(), kind
    return find


def _b(n: int, chars: str = r"A-Za-z0-9_\-") -> str:
    """After an n-char literal prefix: the token starts a run of token characters.
    (The literal comes first so the regex engine can scan for it quickly.)"""
    return rf"(?<![{chars}][\s\S]{{{n}}})"


_KNOWN = [  # (needles, pattern, kind, need_digit)
    (("AKIA", "ASIA"), r"A(?:KIA|SIA)" + _b(4, "A-Za-z0-9+/") + r"[A-Z0-9]{16}(?![A-Za-z0-9+/=])",
     "aws-access-key", False),
    (("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
     r"gh[pousr]_" + _b(4) + r"[A-Za-z0-9]{30,}+|github_pat_" + _b(11) + r"[A-Za-z0-9_]{22,}+",
     "github-token", False),
    (("sk-ant-",), r"sk-ant-" + _b(7) + r"[A-Za-z0-9_\-]{20,}+", "anthropic-key", True),
    (("sk-",), r"sk-" + _b(3) + r"(?!ant-)[A-Za-z0-9_\-]{20,}+", "openai-key", True),
    (("xox",), r"xox[baprs]-" + _b(5) + r"[A-Za-z0-9\-]{10,}+", "slack-token", True),
    (("AIza",), r"AIza" + _b(4, r"A-Za-z0-9_\-+/") + r"[A-Za-z0-9_\-]{35}(?![A-Za-z0-9_\-+/=])",
     "google-api-key", False),
    (("k_live_", "k_test_"), r"[sr]k_(?:live|test)_" + _b(8) + r"[A-Za-z0-9]{10,}+", "stripe-key", False),
    # provider prefixes detect-secrets 1.5.0 lacks (measured: benchmarks/secrets.py)
    (("npm_",), r"npm_" + _b(4) + r"[A-Za-z0-9]{36}(?![A-Za-z0-9])", "npm-token", True),
    (("hf_",), r"hf_" + _b(3) + r"[A-Za-z]{34}(?![A-Za-z0-9])", "huggingface-token", False),
    (("eyJ",), r"eyJ" + _b(3) + r"[A-Za-z0-9_\-]{4,}+\.eyJ[A-Za-z0-9_\-]{4,}+\.[A-Za-z0-9_\-]{8,}+",
     "jwt", False),
]

_PEM_BEGIN = re.compile(r"-----BEGIN (?:[A-Z0-9]++ ){0,3}PRIVATE KEY(?: BLOCK)?-----")
_PEM_END = re.compile(r"-----END (?:[A-Z0-9]++ ){0,3}PRIVATE KEY(?: BLOCK)?-----")
_PEM_BASE64 = re.compile(r"[A-Za-z0-9+/=]{16}")
_PEM_BODY = re.compile(r"(?:\s++|\\[rn]|[A-Za-z0-9+/=]{16,}+)*+")  # base64 lines, when END is missing


def _pem(text: str) -> Iterator[_Hit]:
    """Whole BEGIN..END private-key blocks; a truncated one to the end of its base64
    (a bare header, as in "paste the -----BEGIN ... KEY----- block", is no secret)."""
    pos, end_seen = 0, True
    while b := _PEM_BEGIN.search(text, pos):
        e = _PEM_END.search(text, b.end()) if end_seen else None
        if e:
            end = e.end()
        else:  # no END after here means none after any later BEGIN either
            end_seen = False
            end = _PEM_BODY.match(text, b.end()).end()
            while end > b.end() and text[end - 1] in " \t\r\n":
                end -= 1
            if end == b.end() or not _PEM_BASE64.search(text, b.end(), end):
                pos = end
                continue
        yield b.start(), end, "private-key"
        pos = end


# --- context rules: scanned on the lower-cased text, so each starts at a literal -------

def _starts_token(text: str, i: int) -> bool:
    return i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")


class _InString:
    """Is offset i inside a "..." literal (odd quotes before it on its line)? Offsets
    must not decrease between calls; the count is kept so a long line stays linear."""

    def __init__(self, text: str) -> None:
        self.text, self.pos, self.quotes = text, 0, 0

    def __call__(self, i: int) -> bool:
        t = self.text
        nl = t.rfind("\n", self.pos, i)
        if nl >= 0:
            self.pos, self.quotes = nl + 1, 0
        self.quotes += t.count('"', self.pos, i) - t.count('\\"', self.pos, i)
        self.pos = i
        return self.quotes % 2 == 1


_CONN = re.compile(r"(?:password|pwd|accountkey|sharedaccesskey|sharedaccesssignature)"
                   r"[ \t]*=[ \t]*(?P<s>[^;\"'\s{}<>]++)")


def _conn(text: str, low: str) -> Iterator[_Hit]:
    in_string = _InString(text)
    for m in _CONN.finditer(low):
        s, e = m.span("s")
        if not _starts_token(text, m.start()) or _is_placeholder(text[s:e]):
            continue
        if low.startswith("p", m.start()):  # Password/Pwd: only in a ';'-separated string,
            before = text[max(0, m.start() - 40):m.start()].rstrip(" \t")  # not `pwd = x;`
            if not (before.endswith(";") or (text.startswith(";", e) and in_string(m.start()))):
                continue
        yield s, e, "connection-string"


_URL = re.compile(r"://[^\s:/@\"'<>{}]++:(?P<s>[^\s/@\"'<>{}]++)@")


def _url(text: str, low: str) -> Iterator[_Hit]:
    for m in _URL.finditer(text):
        v = m.group("s")
        if not (_is_placeholder(v) or (v.isdigit() and len(v) <= 5)):  # host:port@
            yield m.start("s"), m.end("s"), "url-credentials"


_BEARER = re.compile(r"(?P<scheme>bearer|basic)(?:[ \t]+|\"[ \t]*,[ \t]*@?\")"
                     r"(?P<s>[a-z0-9\-._~+/]++=*+)")
# Basic credentials only after an Authorization header or AuthenticationHeaderValue("Basic"
_BASIC_CONTEXT = re.compile(r"(?:authorization[\"']?[ \t]*[:=,][ \t]*@?[\"']?[ \t]*"
                            r"|authenticationheadervalue\([ \t]*\")\Z")


def _auth(text: str, low: str) -> Iterator[_Hit]:
    for m in _BEARER.finditer(low):
        s, e = m.span("s")
        v = text[s:e]
        if (not _starts_token(text, m.start()) or len(v) < 8 or _is_placeholder(v)
                or not _DIGIT.search(v) or v.isdigit()):
            continue  # "Bearer token" in prose
        if m.group("scheme") == "bearer":
            yield s, e, "bearer-token"
        elif _BASIC_CONTEXT.search(low, max(0, m.start() - 60), m.start()):
            yield s, e, "basic-auth"


# The name of an assigned secret ends with one of these (apiKey, DB_PASSWORD, auth_token).
_KW_END = re.compile(r"(?:pass(?:word|wd|phrase)|pwd|secret|token|authorization|key)(?![a-z0-9_])")
# name = "v", name: 'v', "name": "v", ["name"] = "v", Name { get; set; } = @"v", KEY=v,
# key="name" value="v", and Add("name", "v")
_TAIL = re.compile(
    r"(?:[ \t]*\{[ \t]*get;[^{}\n]{0,40}\})?"
    r"(?:(?P<comma>\"[ \t]*,)|(?P<close>[\"'][ \t]+[Vv]alue|[\"']?[ \t]*\]|[\"'])?"
    r"[ \t]*(?:=>|:=|[:=](?!=)))[ \t]*"  # not ==: `password == "_prompt"` is a sentinel
    r"(?:@\"(?P<v1>(?:[^\"\n]|\"\")*+)\"|\"(?P<v2>(?:[^\"\\\n]|\\.)*+)\"|'(?P<v3>(?:[^'\\\n]|\\.)*+)'"
    r"|(?P<v4>(?:[^\s\"'`,;()\[\]{}<>&=]|&(?![A-Za-z_][\w.\-]*=))++=*+)"  # '&param=' ends it
    r"(?=[ \t]*(?:[\r\n\"'&#]|//|\Z)))")
# A "name", "value" pair is a secret only as a header/dictionary/env entry, never as
# pManager.AddTextParameter("Password", "Kennwort", ...).
_PAIR_CONTEXT = re.compile(r"(?:\b(?:add|tryaddwithoutvalidation|setenvironmentvariable"
                           r"|setrequestheader|append)\(|\{)[ \t]*@?\"\Z")


def _generic(text: str, low: str) -> Iterator[_Hit]:
    in_string = _InString(text)
    for k in _KW_END.finditer(low):
        m = _TAIL.match(text, k.end())
        if not m:
            continue
        g = next(g for g in ("v1", "v2", "v3", "v4") if m.group(g) is not None)
        if m.end(g) - m.start(g) < 6:
            continue  # cheap reject first: AddTextParameter("Password", "P", ...)
        j = k.start()  # widen to the whole name: dbPassword, OPENAI_API_KEY, config.Token
        while j > 0 and k.end() - j < 64 and (text[j - 1].isalnum() or text[j - 1] in "_.-"):
            j -= 1
        name = text[j:k.end()]
        if m.group("comma") and (g == "v4" or not _PAIR_CONTEXT.search(low, max(0, j - 40), j)):
            continue
        if g in ("v1", "v2") and not (m.group("comma") or m.group("close")) and in_string(k.start()):
            continue  # "?token=" + x + "&": that quote closes the string holding the name
        kind = _name_kind(name)
        if kind and _value_ok(m.group(g), name, kind, quoted=g != "v4"):
            yield m.start(g), m.end(g), kind


# (needles, needles are lower-case, finder); earlier rules win ties at the same offset.
_RULES: list[tuple[tuple[str, ...], bool, Callable[[str, str], Iterator[_Hit]]]] = [
    (("PRIVATE KEY",), False, lambda text, low: _pem(text)),
    *[(needles, False, _known(p, kind, digit)) for needles, p, kind, digit in _KNOWN],
    (("password", "pwd", "accountkey", "sharedaccess"), True, _conn),
    (("://",), False, _url),
    (("bearer", "basic"), True, _auth),
    (("pass", "pwd", "secret", "token", "key", "authorization"), True, _generic),
]
_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


# --- the maintained detector: detect-secrets' plugins ----------------------------------

# Plugins left out: a public IPv4 address is no credential; the private-key plugin flags
# only the BEGIN line, where _pem above redacts the whole block.
_DETECTOR_SKIPPED = frozenset({"Public IP (ipv4)", "Private Key"})
# Plugins that fire on any quoted literal that looks random or follows a secret-ish word:
# they count only where the line assigns to a secret-like name (below).
_DETECTOR_GATED = frozenset({"Base64 High Entropy String", "Hex High Entropy String", "Secret Keyword"})
_DETECTOR_KINDS = {
    "AWS Access Key": "aws-access-key", "GitHub Token": "github-token", "JSON Web Token": "jwt",
    "Slack Token": "slack-token", "Stripe Access Key": "stripe-key", "OpenAI Token": "openai-key",
    "Basic Auth Credentials": "url-credentials", "Secret Keyword": "generic-secret",
    "Base64 High Entropy String": "high-entropy-secret", "Hex High Entropy String": "high-entropy-secret",
    "Azure Storage Account access key": "azure-storage-key", "NPM tokens": "npm-token",
}
# An identifier naming a secret: ...Key, ...Secret, ...Token, ...Password, ...Salt, ...Hmac, ...
_SECRET_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*?(?:key|secret|token|passw(?:or)?d|pwd|passphrase|salt|hmac"
                          r"|credentials?|signature|auth|cert(?:ificate)?)s?(?![A-Za-z0-9])", re.IGNORECASE)
_GATED_KINDS = frozenset(_DETECTOR_KINDS[t] for t in _DETECTOR_GATED)
_UNSAFE_IN_SPAN = frozenset("\"'\\\n\r`")
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_FILLER = re.compile(r"(.)\1{7}")  # XXXXXXXX in a documentation example: no secret


def _detector_kind(secret_type: str) -> str:
    return _DETECTOR_KINDS.get(secret_type) or "-".join(_NON_ALNUM.split(secret_type.lower())).strip("-")


@functools.lru_cache(maxsize=1)
def _detector_plugins() -> tuple[tuple[str, Any], ...]:
    """detect-secrets' plugins, each with its default settings (no network: findings are
    never verified against the provider)."""
    try:
        from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    except ImportError:
        return ()
    plugins = []
    for secret_type, cls in sorted(get_mapping_from_secret_type_to_class().items()):
        if secret_type in _DETECTOR_SKIPPED:
            continue
        try:
            plugins.append((secret_type, cls()))
        except TypeError:  # a plugin that needs settings we do not have: leave it out
            continue
    return tuple(plugins)


def detector_available() -> bool:
    return bool(_detector_plugins())


def _shannon(value: str) -> float:
    counts = {c: value.count(c) for c in set(value)}
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def _gated_ok(line: str, start: int, value: str, secret_type: str) -> bool:
    """A keyword or entropy find counts only when a secret-like name is assigned the value
    on its line and the value itself looks machine-made or password-like, not a word."""
    names = [m.group() for m in _SECRET_NAME.finditer(line, 0, start)]
    if not names or any(c.isspace() for c in value) or _is_placeholder(value):
        return False
    if "://" in value or _PATHLIKE.fullmatch(value) or ("{" in value and "}" in value):
        return False
    if _norm(value) in {_norm(n) for n in names}:
        return False
    if secret_type == "Secret Keyword":
        return _value_ok(value, names[-1], _name_kind(names[-1]) or "generic-secret", quoted=True)
    if not _DIGIT.search(value) and _NAMELIKE.fullmatch(value):
        return False  # a name, not a key: "HERONMAPBOXTOKEN" (an env var), "Worker.CancellationToken"
    return len(value) >= 16 and _shannon(value) >= 3.0


# Some of detect-secrets' patterns take time quadratic in the line's length on hostile
# input ("sk-" * 30000 costs minutes): the detector sees a long line in overlapping windows,
# so its cost stays linear in the text (a window overlap longer than any provider token
# keeps every token whole in some window), and a line longer than _LONGEST (embedded
# icons, minified data) only by the linear rules above.
_WINDOW, _OVERLAP, _LONGEST = 1024, 256, 16384


def _windows(line: str) -> Iterator[tuple[int, str]]:
    if len(line) <= _WINDOW:
        yield 0, line
        return
    for start in range(0, len(line) - _OVERLAP, _WINDOW - _OVERLAP):
        yield start, line[start:start + _WINDOW]


def _chunks(text: str) -> Iterator[tuple[int, str]]:
    """(offset, piece) covering the text: runs of whole lines up to _WINDOW characters (one
    call per plugin for many short lines), a longer line in its windows, none over _LONGEST."""
    offset, chunk_start, chunk, size = 0, 0, [], 0
    for line in text.splitlines(keepends=True):
        if len(line) > _WINDOW or size + len(line) > _WINDOW:
            if chunk:
                yield chunk_start, "".join(chunk)
            chunk, size = [], 0
        if len(line) > _WINDOW:
            if len(line) <= _LONGEST:
                yield from ((offset + base, window) for base, window in _windows(line))
        else:
            if not chunk:
                chunk_start = offset
            chunk.append(line)
            size += len(line)
        offset += len(line)
    if chunk:
        yield chunk_start, "".join(chunk)


def _secret_named_lines(text: str) -> Iterator[tuple[int, str]]:
    """(offset, window) of each line that names a secret: where keyword and entropy finds count."""
    offset = 0
    for line in text.splitlines(keepends=True):
        if 8 <= len(line) <= _LONGEST and _SECRET_NAME.search(line):
            yield from ((offset + base, window) for base, window in _windows(line))
        offset += len(line)


def _plausible(value: str, heuristic) -> bool:
    return not (len(value) < 8 or any(c in _UNSAFE_IN_SPAN for c in value)
                or _is_placeholder(value) or len(set(value)) < 6 or _FILLER.search(value)
                or heuristic.is_sequential_string(value) or heuristic.is_potential_uuid(value)
                or heuristic.is_templated_secret(value))


def detector_hits(text: str) -> list[_Hit]:
    """Spans of the secrets detect-secrets' plugins find, each inside one literal."""
    plugins = _detector_plugins()
    if not plugins:
        return []
    from detect_secrets.filters import heuristic

    provider = [(t, p) for t, p in plugins if t not in _DETECTOR_GATED]
    gated = [(t, p) for t, p in plugins if t in _DETECTOR_GATED]
    hits: set[_Hit] = set()
    for group, pieces in ((provider, _chunks(text)), (gated, _secret_named_lines(text))):
        for base, piece in pieces:
            for secret_type, plugin in group:
                try:
                    # a match may carry the character before it (" = :) - never base64's trailing =
                    values = {v.lstrip(" \t\r\n=:\"'").rstrip(" \t\r\n:\"'")
                              for v in plugin.analyze_string(piece) if isinstance(v, str)}
                except Exception:  # noqa: BLE001 - one plugin's failure must not lose the others' finds
                    continue
                for value in values:
                    if not _plausible(value, heuristic):
                        continue
                    start = piece.find(value)
                    while start >= 0:
                        if group is provider or _gated_ok(piece, start, value, secret_type):
                            begin, end = base + start, base + start + len(value)
                            # a pattern without a boundary may stop inside the token: take all of it
                            while begin > 0 and text[begin - 1] in _TOKEN_CHARS:
                                begin -= 1
                            while end < len(text) and text[end] in _TOKEN_CHARS:
                                end += 1
                            hits.add((begin, end, _detector_kind(secret_type)))
                        start = piece.find(value, start + len(value))
    return sorted(hits)


def redact_secrets(text: str) -> tuple[str, list[Redaction]]:
    """Replace each secret value with ``<REDACTED:kind>``; report (line, kind) of each.

    Text without secrets is returned unchanged (the same object).
    """
    if not text:
        return text, []
    low = text.lower()
    if len(low) != len(text):  # a few non-ASCII letters lower-case to two chars
        low = text.translate(_ASCII_LOWER)
    hits: list[tuple[int, int, int, str]] = []
    for prio, (needles, lower, find) in enumerate(_RULES):
        hay = low if lower else text
        if any(n in hay for n in needles):
            hits.extend((s, prio, e, kind) for s, e, kind in find(text, low) if e > s)
    # the detector's finds; at the same offset the C#-aware rules' span and kind win
    # (and a provider format wins over an entropy or keyword find of the same span)
    hits.extend((s, len(_RULES) + (kind in _GATED_KINDS), e, kind) for s, e, kind in detector_hits(text) if e > s)
    if not hits:
        return text, []
    hits.sort()
    out: list[str] = []
    found: list[Redaction] = []
    pos = line_pos = 0
    line = 1
    for start, _prio, end, kind in hits:
        if start < pos:
            continue  # overlaps an earlier (or higher-priority) redaction
        line += text.count("\n", line_pos, start)
        line_pos = start
        out += (text[pos:start], f"<REDACTED:{kind}>")
        found.append(Redaction(line, kind))
        pos = end
    out.append(text[pos:])
    return "".join(out), found
