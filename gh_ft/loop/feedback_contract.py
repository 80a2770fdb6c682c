"""The feedback file contract: one plugin file's bytes → a training example, or why not.

The Grasshopper plugin writes one JSON file per successful generation
(`successful_gen_YYYYMMDD_HHMMSS[_N].json`, schema in schemas/feedback.schema.json):
{"instruction", "input", "output", "metadata": {"timestamp", "success", "compilation_attempts"}}.

Checks, in order: size, UTF-8, JSON (a cut-off document is told apart from a malformed one:
a writer may still be busy with it), fields and types, then the code: a clean tree-sitter
parse and a component class by the collector's own definition. The plugin already compiled
the code with the real compiler against the real SDK, so the judge's stub-based API and
compile stages are no grounds for rejection here, and neither are its style checks
(parameter use, GUID form): only "is this a whole C# file holding a component".
Everything here is a pure function of the bytes.
"""
from __future__ import annotations

from gh_ft.errors import GhFtError
import json
import re
from dataclasses import dataclass
from datetime import datetime

from gh_ft.csharp.components import find_components
from gh_ft.csharp.declarations import read_declarations
from gh_ft.dataset import stable_hash
from gh_ft.judge.ladder import FAIL, stage_syntax

FILE_PATTERN = "successful_gen_*.json"
MAX_INSTRUCTION_CHARS = 20_000
MAX_INPUT_CHARS = 100_000
_FENCE_RE = re.compile(r"^[ \t]*(```|~~~)", re.M)


class FeedbackInvalid(GhFtError, ValueError):
    """The file breaks the contract; the message says how (it goes into the reason file)."""


class FeedbackIncomplete(FeedbackInvalid):
    """The file is a cut-off JSON document: possibly still being written."""


@dataclass(frozen=True)
class FeedbackRecord:
    instruction: str
    input: str
    output: str
    timestamp: str
    compilation_attempts: int

    def row(self) -> dict:
        """The alpaca row training reads (the same shape as collect's train.jsonl)."""
        return {"instruction": self.instruction, "input": self.input, "output": self.output}

    @property
    def content_hash(self) -> str:
        return row_hash(self.row())


def row_hash(row: dict) -> str:
    """Stable identity of an alpaca row: sha256 over its three fields, never Python's hash()."""
    return stable_hash(json.dumps([row.get("instruction", ""), row.get("input", ""), row.get("output", "")],
                                  ensure_ascii=False))


def _newlines(text: str) -> str:
    # A Windows plugin writes CRLF; collect's rows use LF. One form, so hashes agree.
    return text.replace("\r\n", "\n").replace("\r", "\n")


# ---- cut-off or malformed? --------------------------------------------------------------

_NUMBER_RE = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_NUMBER_PREFIX_RE = re.compile(r"-?(?:0|[1-9]\d*)?(?:\.\d*)?(?:[eE][+-]?\d*)?\Z")
_NUMBER_CHARS = frozenset("+-.0123456789eE")
_ESCAPES = frozenset('"\\/bfnrtu')
_HEX = frozenset("0123456789abcdefABCDEF")


def _scan_string(text: str, i: int) -> int | None:
    """End (after the closing quote) of the JSON string opening at i; None when the text
    ends inside it; -1 when it is malformed."""
    n, i = len(text), i + 1
    while i < n:
        c = text[i]
        if c == '"':
            return i + 1
        if c == "\\":
            if i + 1 >= n:
                return None
            if text[i + 1] not in _ESCAPES:
                return -1
            if text[i + 1] == "u":
                digits = text[i + 2:i + 6]
                if any(d not in _HEX for d in digits):
                    return -1
                if len(digits) < 4:
                    return None
                i += 6
                continue
            i += 2
            continue
        if c < " ":
            return -1
        i += 1
    return None


def is_json_prefix(text: str) -> bool:
    """True when `text` is the start of some valid JSON document (empty included), i.e. a
    writer may simply not be done; False when it is wrong before its end."""
    stack: list[str] = []
    expect = "value"  # value | value_or_end | key | key_or_end | colon | comma_or_end | done
    i, n = 0, len(text)

    def after_value() -> str:
        return "comma_or_end" if stack else "done"

    while True:
        while i < n and text[i] in " \t\r\n":
            i += 1
        if i == n:
            return True
        c = text[i]
        if expect == "done":
            return False
        if expect in ("value", "value_or_end"):
            if c == "]" and expect == "value_or_end":
                stack.pop()
                i, expect = i + 1, after_value()
            elif c in "{[":
                stack.append(c)
                i, expect = i + 1, "key_or_end" if c == "{" else "value_or_end"
            elif c == '"':
                end = _scan_string(text, i)
                if end is None or end < 0:
                    return end is None
                i, expect = end, after_value()
            elif c == "-" or c.isdigit():
                j = i
                while j < n and text[j] in _NUMBER_CHARS:
                    j += 1
                if j == n:
                    return bool(_NUMBER_PREFIX_RE.match(text, i))
                if _NUMBER_RE.fullmatch(text, i, j) is None:
                    return False
                i, expect = j, after_value()
            elif c.isalpha():
                j = i
                while j < n and text[j].isalpha():
                    j += 1
                word = text[i:j]
                if j == n:
                    return any(lit.startswith(word) for lit in ("true", "false", "null"))
                if word not in ("true", "false", "null"):
                    return False
                i, expect = j, after_value()
            else:
                return False
        elif expect in ("key", "key_or_end"):
            if c == "}" and expect == "key_or_end":
                stack.pop()
                i, expect = i + 1, after_value()
            elif c == '"':
                end = _scan_string(text, i)
                if end is None or end < 0:
                    return end is None
                i, expect = end, "colon"
            else:
                return False
        elif expect == "colon":
            if c != ":":
                return False
            i, expect = i + 1, "value"
        else:  # comma_or_end
            if c == ",":
                i, expect = i + 1, "key" if stack[-1] == "{" else "value"
            elif (c == "}" and stack[-1] == "{") or (c == "]" and stack[-1] == "["):
                stack.pop()
                i, expect = i + 1, after_value()
            else:
                return False


# ---- the contract --------------------------------------------------------------------------

def decode_json(data: bytes) -> object:
    """UTF-8 (BOM allowed) JSON; FeedbackIncomplete when cut off, FeedbackInvalid when wrong."""
    if not data.strip():
        raise FeedbackIncomplete("empty file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        if e.reason == "unexpected end of data" and e.end == len(data):
            raise FeedbackIncomplete("ends inside a UTF-8 character") from None
        raise FeedbackInvalid(f"not UTF-8 (byte {e.start}: {e.reason})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        if is_json_prefix(text):
            raise FeedbackIncomplete(f"JSON cut off after {len(data)} bytes") from None
        raise FeedbackInvalid(f"not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None


def _type_name(value: object) -> str:
    return {dict: "an object", list: "an array", str: "text", bool: "a boolean", type(None): "null",
            int: "an integer", float: "a number"}.get(type(value), type(value).__name__)


def check_fields(obj: object) -> FeedbackRecord:
    """Required fields and their types (every problem in one message)."""
    if not isinstance(obj, dict):
        raise FeedbackInvalid(f"expected a JSON object at the top level, got {_type_name(obj)}")
    problems: list[str] = []

    def text_field(name: str, limit: int | None, blank_ok: bool) -> str:
        if name not in obj:
            problems.append(f"'{name}' is missing")
            return ""
        value = obj[name]
        if not isinstance(value, str):
            problems.append(f"'{name}' must be text, got {_type_name(value)}")
            return ""
        if not blank_ok and not value.strip():
            problems.append(f"'{name}' is blank")
        if limit is not None and len(value) > limit:
            problems.append(f"'{name}' has {len(value)} characters (at most {limit})")
        return value

    instruction = text_field("instruction", MAX_INSTRUCTION_CHARS, blank_ok=False)
    input_text = text_field("input", MAX_INPUT_CHARS, blank_ok=True)
    output = text_field("output", None, blank_ok=False)  # bounded by the file size
    timestamp, attempts = "", 0
    meta = obj.get("metadata")
    if "metadata" not in obj:
        problems.append("'metadata' is missing")
    elif not isinstance(meta, dict):
        problems.append(f"'metadata' must be an object, got {_type_name(meta)}")
    else:
        for key in ("timestamp", "success", "compilation_attempts"):
            if key not in meta:
                problems.append(f"'metadata.{key}' is missing")
        timestamp = meta.get("timestamp", "")
        if "timestamp" in meta:
            if not isinstance(timestamp, str):
                problems.append(f"'metadata.timestamp' must be text, got {_type_name(timestamp)}")
            else:
                try:
                    datetime.fromisoformat(timestamp)
                except ValueError:
                    problems.append(f"'metadata.timestamp' is not an ISO 8601 date and time: {timestamp[:40]!r}")
        success = meta.get("success")
        if "success" in meta and success is not True:
            problems.append("'metadata.success' must be true (only successful generations are training data), "
                            f"got {json.dumps(success)[:40]}")
        attempts = meta.get("compilation_attempts", 0)
        if "compilation_attempts" in meta and (isinstance(attempts, bool) or not isinstance(attempts, int)
                                               or attempts < 1):
            problems.append(f"'metadata.compilation_attempts' must be an integer >= 1, got {json.dumps(attempts)[:40]}")
    if problems:
        raise FeedbackInvalid("; ".join(problems))
    return FeedbackRecord(_newlines(instruction).strip(), _newlines(input_text).strip(),
                          _newlines(output).strip("\n").rstrip() + "\n", timestamp, attempts)


def check_code(code: str) -> None:
    """A whole C# file that parses and holds a Grasshopper component class."""
    if _FENCE_RE.search(code):
        raise FeedbackInvalid("'output' holds Markdown fences (```): the contract wants the bare C# source that compiled")
    syntax = stage_syntax(code)
    if syntax.verdict == FAIL:
        raise FeedbackInvalid("'output' does not parse as C#: " + "; ".join(syntax.reasons))
    decls = read_declarations("<feedback>", code)
    if not find_components([decls]):
        bases = sorted({c.bases[0] for c in decls.classes if c.bases})
        raise FeedbackInvalid(
            "'output' holds no Grasshopper component class (a non-abstract class deriving from GH_Component or "
            "GH_TaskCapableComponent<T>, or from another base while overriding SolveInstance/RegisterInputParams/"
            "RegisterOutputParams)" + (f"; bases seen: {', '.join(bases)}" if bases else ""))


def parse_feedback(data: bytes, max_bytes: int) -> FeedbackRecord:
    """One feedback file's bytes → its record; FeedbackIncomplete / FeedbackInvalid say why not."""
    if len(data) > max_bytes:
        raise FeedbackInvalid(f"file is over {max_bytes:,} bytes, the limit (feedback.max_file_kb = {max_bytes // 1024})")
    record = check_fields(decode_json(data))
    check_code(record.output)
    return record
