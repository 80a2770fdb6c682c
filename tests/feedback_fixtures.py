"""Generated feedback for the ingest tests: a dataset folder (train, test, earlier feedback)
and a plugin inbox holding every kind of file ingestion must tell apart, with the verdict
each file must get. Components come from benchmarks/corpus.py (random RhinoCommon logic,
so unrelated components are not near-duplicates of each other)."""
from __future__ import annotations

import json
import os
import random
import re
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from benchmarks.corpus import HEADER, make_component  # noqa: E402

MAX_FILE_KB = 64
MIN_AGE_S = 5.0
GRACE_S = 600.0
OLD_S = 1000.0  # how long before `now` the generated files were written (ctime): past the grace
NOW_OFFSET = OLD_S


def component(i: int, rng: random.Random, base: str = "GH_Component") -> str:
    """A whole C# file with one component of its own logic."""
    return HEADER.format(ns=f".Feedback{i}") + make_component(i, rng, base)[1] + "}\n"


def twin(code: str, rng: random.Random) -> str:
    """A near-copy: class and locals renamed, new GUID and display strings, reflowed."""
    code = re.sub(r"\b(\w+)Component\b", r"\1Copy", code)
    code = re.sub(r"\bpts\b", "points", code)
    code = re.sub(r"\bvals\b", "values", code)
    code = re.sub(r'Guid\("[^"]*"\)', f'Guid("{uuid.UUID(int=rng.getrandbits(128), version=4)}")', code)
    code = re.sub(r'base\("[^"]*"', 'base("Renamed copy"', code)
    return "\n".join(line.strip() for line in code.splitlines()) + "\n"


def instruction_for(i: int, code: str) -> str:
    name = re.search(r"class (\w+)", code).group(1)
    return f"Write a Grasshopper component {name} (task {i}) that reads a curve, a count and a distance."


def feedback_bytes(instruction: str, output: str, *, attempts: int = 1, success: bool = True,
                   timestamp: str = "2025-03-14T09:26:53.5897932+01:00", input: str = "", **extra) -> bytes:
    doc = {"instruction": instruction, "input": input, "output": output,
           "metadata": {"timestamp": timestamp, "success": success, "compilation_attempts": attempts}, **extra}
    return json.dumps(doc, indent=2, ensure_ascii=False).encode("utf-8")


def row(instruction: str, output: str) -> dict:
    return {"instruction": instruction, "input": "", "output": output}


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


class World:
    """data/ (train, test, feedback.jsonl) and inbox/ (the plugin's GenerationFeedback)."""

    def __init__(self, root: Path, seed: int = 11):
        rng = random.Random(seed)
        self.root, self.data, self.inbox = root, root / "data", root / "inbox"
        self.data.mkdir(parents=True)
        self.inbox.mkdir(parents=True)
        codes = [component(i, rng) for i in range(40)]
        self.train = [row(instruction_for(i, codes[i]), codes[i]) for i in range(10)]
        self.test = [row(instruction_for(i, codes[i]), codes[i]) for i in range(10, 14)]
        self.old_feedback = [row(instruction_for(i, codes[i]), codes[i]) for i in range(14, 16)]
        write_jsonl(self.data / "train.jsonl", self.train)
        write_jsonl(self.data / "test.jsonl", self.test)
        write_jsonl(self.data / "feedback.jsonl", self.old_feedback)
        (self.inbox / "processed").mkdir()
        (self.inbox / "processed" / "successful_gen_20250101_000001.json").write_bytes(
            feedback_bytes("an earlier round's file with the same name", codes[39]))

        new = {k: codes[20 + k] for k in range(8)}
        foreign = component(30, rng, base="PluginComponent")  # unknown base, overrides SolveInstance
        no_overrides = (HEADER.format(ns=".Leaf") + "    public class LeafComponent : PluginComponent\n    {\n"
                        '        public LeafComponent() : base("Leaf", "L", "A leaf") { }\n    }\n}\n')
        plain = HEADER.format(ns=".Plain") + "    public class Helper\n    {\n        public int Twice(int x) => 2 * x;\n    }\n}\n"
        truncated_code = new[5][: len(new[5]) // 2]
        big = new[6].replace("    public class", "    // " + "x" * (MAX_FILE_KB * 1024) + "\n    public class", 1)
        full = feedback_bytes(instruction_for(22, new[2]), new[2])
        self.files: dict[str, tuple[bytes, str]] = {}  # name -> (bytes, expected verdict)
        self.young: set[str] = set()    # changed 1 s before `now`
        self.in_grace: set[str] = set()  # changed 30 s before `now`

        def add(n: int, data: bytes, verdict: str) -> str:
            name = f"successful_gen_20250101_{n:06d}.json"
            self.files[name] = (data, verdict)
            return name

        a = feedback_bytes(instruction_for(20, new[0]), new[0])
        add(1, a, "accept")  # archived as .2: processed/ already holds that name
        add(2, feedback_bytes(instruction_for(21, new[1]), new[1], attempts=3), "accept")
        add(3, a, "duplicate")  # the same content as file 1, in the same round
        add(4, feedback_bytes("A copy of a training component, reworded.", twin(codes[1], rng)), "near-duplicate")
        add(5, feedback_bytes("Something like a test component.", twin(codes[11], rng)), "test-leak")
        add(6, feedback_bytes(self.test[2]["instruction"], new[3]), "test-leak")  # the test task, other code
        add(7, feedback_bytes(self.old_feedback[1]["instruction"], self.old_feedback[1]["output"]), "duplicate")
        add(8, feedback_bytes("Near-copy of file 1.", twin(new[0], rng)), "near-duplicate")
        add(9, b'{"instruction": "x",, "input": ""}', "invalid")
        add(10, full[: len(full) // 2], "incomplete")  # cut off, long unchanged
        add(11, json.dumps({"instruction": "no output", "input": "",
                            "metadata": {"timestamp": "2025-01-01T00:00:00", "success": True,
                                         "compilation_attempts": 1}}).encode(), "invalid")
        add(12, feedback_bytes("wrong type", new[4]).replace(b'"compilation_attempts": 1', b'"compilation_attempts": "1"'),
            "invalid")
        add(13, feedback_bytes("did not compile", new[4], success=False), "invalid")
        add(14, feedback_bytes("truncated code", truncated_code), "invalid")
        add(15, feedback_bytes("a helper class", plain), "invalid")
        add(16, feedback_bytes("a huge file", big), "invalid")
        add(17, feedback_bytes("caf\u00e9 in cp1252", new[7]).replace("caf\u00e9".encode(), "caf\u00e9".encode("cp1252")),
            "invalid")
        add(18, feedback_bytes("fenced", "```csharp\n" + new[4] + "```\n"), "invalid")
        add(19, feedback_bytes(instruction_for(30, foreign), foreign), "accept")
        crlf = new[4].replace("\n", "\r\n")
        add(20, b"\xef\xbb\xbf" + feedback_bytes(instruction_for(24, new[4]), crlf, attempts=2), "accept")
        add(21, feedback_bytes(instruction_for(27, new[7]), new[7], note="extra properties are ignored"), "accept")
        self.young.add(add(22, feedback_bytes(instruction_for(26, codes[26]), codes[26]), "later"))
        self.in_grace.add(add(23, full[: len(full) // 3], "later"))
        add(24, b"", "incomplete")
        add(25, feedback_bytes("a leaf deriving from an unknown base", no_overrides), "invalid")
        for name, (data, _) in self.files.items():
            (self.inbox / name).write_bytes(data)
        # Not feedback files: left where they are.
        (self.inbox / "notes.txt").write_text("not feedback\n")
        (self.inbox / "successful_gen_20250101_000099.0f3a.tmp").write_bytes(b'{"instruction": "half')

    def names(self, verdict: str) -> list[str]:
        return [n for n, (_, v) in self.files.items() if v == verdict]

    def set_ages(self, now: float, folder: Path | None = None) -> None:
        """Make the files' ages (now - max(mtime, ctime)) what their verdicts need; the others
        are OLD_S old through their ctime when `now` = creation time + NOW_OFFSET."""
        folder = folder or self.inbox
        for name in self.young:
            if (folder / name).exists():
                os.utime(folder / name, (now - 1, now - 1))
        for name in self.in_grace:
            if (folder / name).exists():
                os.utime(folder / name, (now - 30, now - 30))


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root by relative path (the lock file, which holds a pid, left out)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != ".feedback.lock"}
