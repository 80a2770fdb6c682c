"""Feedback files: the contract (every rejection reason, cut-off vs malformed JSON, the JSON
Schema agreeing with the validator, the C# writer's files), and ingestion (verdict per file,
dedup exact and near, test leaks, backup, files left for later, lock, CLI output and exit
codes). The crash test is in test_feedback_crash.py."""
from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from feedback_fixtures import (GRACE_S, HEADER, MAX_FILE_KB, MIN_AGE_S, NOW_OFFSET, World, component, feedback_bytes,
                               snapshot)
from gh_ft.cli import main as cli
from gh_ft.loop.feedback import (FeedbackIncomplete, FeedbackInvalid, IngestError, LockBusy, count_feedback, ingest_feedback,
                            parse_feedback)
from gh_ft.loop.feedback_contract import check_fields, is_json_prefix
from gh_ft.files import file_lock, read_jsonl
from gh_ft.train.config import training_datasets
from tools import require_module, require_tool

ROOT = Path(__file__).resolve().parents[1]
LIMIT = MAX_FILE_KB * 1024
CODE = component(1, random.Random(3))
GOOD = feedback_bytes("Divide a curve into points.", CODE)


def ingest(world: World, now: float, **kw):
    return ingest_feedback(world.inbox, world.data, now=now, min_age_s=MIN_AGE_S, max_file_kb=MAX_FILE_KB,
                           incomplete_grace_s=GRACE_S, **kw)


@pytest.fixture
def world(tmp_path) -> World:
    return World(tmp_path / "w")


# ---- the contract -------------------------------------------------------------------------

def _doc(**changes) -> bytes:
    doc = json.loads(GOOD)
    for key, value in changes.items():
        target = doc["metadata"] if key in ("timestamp", "success", "compilation_attempts") else doc
        if value is KeyError:
            del target[key]
        else:
            target[key] = value
    return json.dumps(doc).encode()


REJECTED = [
    (b"[1, 2]", "expected a JSON object at the top level, got an array"),
    (b'{"instruction": "x",, }', "not valid JSON: Expecting property name"),
    (b'{"a": tru e}', "not valid JSON"),
    ("{\"instruction\": \"caf\u00e9\"}".encode("cp1252"), "not UTF-8"),
    (_doc(instruction=KeyError), "'instruction' is missing"),
    (_doc(input=KeyError), "'input' is missing"),
    (_doc(output=KeyError), "'output' is missing"),
    (_doc(metadata=KeyError), "'metadata' is missing"),
    (_doc(metadata=[]), "'metadata' must be an object, got an array"),
    (_doc(instruction=7), "'instruction' must be text, got an integer"),
    (_doc(instruction="   "), "'instruction' is blank"),
    (_doc(instruction="x" * 20_001), "'instruction' has 20001 characters (at most 20000)"),
    (_doc(input=None), "'input' must be text, got null"),
    (_doc(timestamp=KeyError), "'metadata.timestamp' is missing"),
    (_doc(timestamp="yesterday"), "'metadata.timestamp' is not an ISO 8601 date and time"),
    (_doc(success=False), "'metadata.success' must be true"),
    (_doc(success="true"), "'metadata.success' must be true"),
    (_doc(compilation_attempts=0), "'metadata.compilation_attempts' must be an integer >= 1, got 0"),
    (_doc(compilation_attempts=True), "'metadata.compilation_attempts' must be an integer >= 1, got true"),
    (_doc(compilation_attempts=1.5), "'metadata.compilation_attempts' must be an integer >= 1"),
    (_doc(output="```csharp\n" + CODE + "```\n"), "holds Markdown fences"),
    (_doc(output=CODE[: len(CODE) // 2]), "does not parse as C#: truncated"),
    (_doc(output=CODE.replace("DA.GetData(1, ref count);", "DA.GetData(1, ref count) +;")),
     "does not parse as C#: syntax error at line"),
    (_doc(output="using System;\nnamespace N { public class Helper { public int Two() => 2; } }\n"),
     "holds no Grasshopper component class"),
    (_doc(output=CODE.replace("public class", "public abstract class")), "holds no Grasshopper component class"),
    (_doc(output=HEADER.format(ns="") + "public class Leaf : PluginBase { public Leaf() : base(\"L\") { } }\n}\n"),
     "holds no Grasshopper component class (a non-abstract class deriving from GH_Component or "
     "GH_TaskCapableComponent<T>, or from another base while overriding SolveInstance/RegisterInputParams/"
     "RegisterOutputParams); bases seen: PluginBase"),
    (GOOD + b" " * LIMIT, f"file is over {LIMIT:,} bytes"),
]


@pytest.mark.parametrize("data,reason", REJECTED, ids=[r[:40] for _, r in REJECTED])
def test_each_rejection_reason(data, reason):
    with pytest.raises(FeedbackInvalid) as e:
        parse_feedback(data, LIMIT)
    assert not isinstance(e.value, FeedbackIncomplete)
    assert reason in str(e.value)


def test_several_field_problems_are_reported_at_once():
    with pytest.raises(FeedbackInvalid, match="'input' is missing; 'output' must be text.*'metadata.success' must be true"):
        parse_feedback(json.dumps({"instruction": "x", "output": 3, "metadata": {
            "timestamp": "2025-01-01T00:00:00", "success": False, "compilation_attempts": 1}}).encode(), LIMIT)


@pytest.mark.parametrize("data", [b"", b"  \n", GOOD[:1], GOOD[: len(GOOD) // 2], GOOD[:-3],
                                  "{\"instruction\": \"\u00e9".encode()[:-1]])
def test_cut_off_json_is_incomplete_not_malformed(data):
    with pytest.raises(FeedbackIncomplete):
        parse_feedback(data, LIMIT)


def test_accepted_variants_are_normalised():
    task = component(2, random.Random(5), base="GH_TaskCapableComponent<SolveResult>")
    foreign = component(3, random.Random(6), base="GH_AsyncComponent")  # a NuGet base, SolveInstance overridden
    for code in (CODE, task, foreign):
        record = parse_feedback(b"\xef\xbb\xbf" + feedback_bytes("  Make it.\r\n", code.replace("\n", "\r\n"),
                                                                 attempts=4, input="ctx\r\n", extra={"model": "x"}),
                                LIMIT)
        assert record.output == code and record.instruction == "Make it." and record.input == "ctx"
        assert record.compilation_attempts == 4 and record.row() == {"instruction": "Make it.", "input": "ctx",
                                                                     "output": code}
    # .NET's "o" format: seven fractional digits and an offset, or Z
    for ts in ("2025-03-14T09:26:53.5897932+01:00", "2025-03-14T08:26:53.5897932Z", "2025-03-14T09:26:53"):
        assert parse_feedback(_doc(timestamp=ts), LIMIT).timestamp == ts


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(_json_values, st.booleans())
def test_every_prefix_of_valid_json_is_incomplete_and_junk_after_it_is_not(value, ascii_only):
    text = json.dumps(value, ensure_ascii=ascii_only, indent=1 if ascii_only else None)
    assert all(is_json_prefix(text[:i]) for i in range(len(text) + 1))
    assert not is_json_prefix(text + " x")
    if text[0] in "[{":
        assert not is_json_prefix(text[:-1] + ",]}")


def test_schema_agrees_with_the_validator():
    jsonschema = require_module("jsonschema", "checks schemas/feedback.schema.json")
    schema = json.loads((ROOT / "schemas" / "feedback.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    docs = [json.loads(GOOD), json.loads(_doc(input="")), {**json.loads(GOOD), "note": "extra"}, [1], "text"]
    docs += [json.loads(data) for data, _ in REJECTED[4:20]]  # the field problems
    verdicts = []
    for doc in docs:
        try:
            check_fields(doc)
            ours = True
        except FeedbackInvalid:
            ours = False
        assert validator.is_valid(doc) == ours, doc
        verdicts.append(ours)
    assert verdicts.count(True) == 3 and verdicts.count(False) == len(docs) - 3


def test_files_from_the_csharp_writer_are_accepted(tmp_path):
    """schemas/GenerationFeedback.cs, compiled with mcs and run with mono, writes files that
    the contract accepts and ingestion takes in; two in one second do not collide."""
    mcs = require_tool("mcs", "compiles the plugin-side feedback writer")
    mono = require_tool("mono", "runs the plugin-side feedback writer")
    driver = tmp_path / "Driver.cs"
    driver.write_text("""using System; using System.IO; using GhFt.Feedback;
static class Driver {
    static int Main(string[] a) {
        string folder = GenerationFeedback.DefaultFolder(a[0]);
        for (int i = 1; i + 1 < a.Length; i += 2)
            Console.WriteLine(GenerationFeedback.Log(folder, File.ReadAllText(a[i]), "", File.ReadAllText(a[i + 1]), i));
        for (int k = 0; k < 4; k++) // the first request again, four times within a few milliseconds
            Console.WriteLine(GenerationFeedback.Log(folder, File.ReadAllText(a[1]), "", File.ReadAllText(a[2]), 1));
        return 0;
    }
}
""")
    exe = tmp_path / "writer.exe"
    subprocess.run([mcs, "-nologo", f"-out:{exe}", str(ROOT / "schemas" / "GenerationFeedback.cs"), str(driver)],
                   check=True, capture_output=True, text=True)
    rng = random.Random(9)
    args = []
    for i, instruction in enumerate(['Quote "this", a back\\slash,\ta tab, caf\u00e9 \u2211 and \U0001F600.',
                                     "Second request\r\nover two lines."]):
        code = component(50 + i, rng).replace("\n", "\r\n")
        (tmp_path / f"i{i}.txt").write_text(instruction, encoding="utf-8", newline="")
        (tmp_path / f"c{i}.txt").write_text(code, encoding="utf-8", newline="")
        args += [str(tmp_path / f"i{i}.txt"), str(tmp_path / f"c{i}.txt")]
    appdata = tmp_path / "Grasshopper"
    env = {k: v for k, v in os.environ.items() if k != "GH_FT_FEEDBACK_DIR"}
    out = subprocess.run([mono, str(exe), str(appdata), *args], check=True, capture_output=True, text=True, env=env)
    paths = [Path(p) for p in out.stdout.split()]
    assert len(set(paths)) == 6 and all(p.parent == appdata / "GenerationFeedback" for p in paths)
    assert sorted(p.name for p in (appdata / "GenerationFeedback").iterdir()) == sorted(p.name for p in paths)
    assert any(p.name.endswith("_2.json") for p in paths)  # same second: a new name, nothing overwritten
    for i, p in enumerate(paths[:2]):
        record = parse_feedback(p.read_bytes(), LIMIT)
        assert record.instruction == (tmp_path / f"i{i}.txt").read_text(encoding="utf-8").replace("\r\n", "\n")
        assert record.compilation_attempts == 2 * i + 1
    data = tmp_path / "data"
    data.mkdir()
    (data / "train.jsonl").write_text("")
    (data / "test.jsonl").write_text("")
    report = ingest_feedback(appdata / "GenerationFeedback", data, now=time.time() + 60)
    assert (report.accepted, report.duplicates, count_feedback(data)) == (2, 4, 2)


# ---- ingestion ---------------------------------------------------------------------------------

def test_one_ingest_gives_each_file_its_verdict(world):
    now = time.time() + NOW_OFFSET
    world.set_ages(now)
    old_feedback = (world.data / "feedback.jsonl").read_bytes()
    earlier = (world.inbox / "processed" / "successful_gen_20250101_000001.json").read_bytes()
    seen = []
    report = ingest(world, now, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (len(world.files), len(world.files))

    got = {n: "accept" for n in report.accepted_files} | {n: "duplicate" for n in report.duplicate_files}
    got |= {n: reason.split(":")[0] for n, reason in report.quarantined.items()}
    got |= {n: "later" for n in report.left_for_later}
    assert got == {n: v for n, (_, v) in world.files.items()}
    assert (report.accepted, report.duplicates, report.near_duplicates, report.test_leaks, report.invalid,
            len(report.left_for_later)) == (5, 2, 2, 2, 12, 2)

    rows = list(read_jsonl(world.data / "feedback.jsonl"))
    new = [parse_feedback(world.files[n][0], LIMIT).row() for n in world.names("accept")]
    assert rows == world.old_feedback + new and report.total_feedback_examples == count_feedback(world.data) == 7
    assert (world.data / "feedback.jsonl").read_bytes().startswith(old_feedback)  # earlier rows kept byte for byte
    assert report.backup == world.data / "feedback.jsonl.bak" and report.backup.read_bytes() == old_feedback
    assert str(world.data / "feedback.jsonl") in [d["path"] for d in training_datasets(world.data, False)]

    processed = world.inbox / "processed"
    assert (processed / "successful_gen_20250101_000001.json").read_bytes() == earlier  # never overwritten
    assert (processed / "successful_gen_20250101_000001.2.json").read_bytes() == world.files[
        "successful_gen_20250101_000001.json"][0]
    quarantine = world.inbox / "quarantine"
    reasons = {n: (quarantine / (n + ".reason.txt")).read_text() for n in report.quarantined}
    assert reasons["successful_gen_20250101_000004.json"].startswith(
        "near-duplicate: its code is a near-duplicate of train.jsonl row 2\nfile: successful_gen_20250101_000004.json\n")
    assert "near-duplicate of feedback.jsonl row 3" in reasons["successful_gen_20250101_000008.json"]  # file 1's row
    assert "near-copy of test.jsonl row 2" in reasons["successful_gen_20250101_000005.json"]
    assert "the test task of test.jsonl row 3" in reasons["successful_gen_20250101_000006.json"]
    assert reasons["successful_gen_20250101_000010.json"].startswith("incomplete: JSON cut off")
    assert reasons["successful_gen_20250101_000024.json"].startswith("incomplete: empty file")
    assert all((quarantine / n).read_bytes() == world.files[n][0] for n in report.quarantined)  # moved as they were
    left = sorted(p.name for p in world.inbox.iterdir() if p.is_file())
    assert left == sorted([*report.left_for_later, "notes.txt", "successful_gen_20250101_000099.0f3a.tmp"])
    assert "too new" in report.left_for_later["successful_gen_20250101_000022.json"]
    assert "may still be being written" in report.left_for_later["successful_gen_20250101_000023.json"]


def test_rerun_changes_nothing_and_left_files_come_in_later(world):
    now = time.time() + NOW_OFFSET
    world.set_ages(now)
    ingest(world, now)
    state = snapshot(world.root)
    again = ingest(world, now)
    assert (again.accepted, again.duplicates, len(again.quarantined), again.backup) == (0, 0, 0, None)
    assert snapshot(world.root) == state
    later = ingest(world, now + 100)  # the young file has settled; the cut-off one is still within its grace
    assert later.accepted_files == ["successful_gen_20250101_000022.json"] and later.total_feedback_examples == 8
    assert list(later.left_for_later) == ["successful_gen_20250101_000023.json"]
    last = ingest(world, now + GRACE_S)
    assert last.quarantined["successful_gen_20250101_000023.json"].startswith("incomplete: JSON cut off")
    assert not list(world.inbox.glob("successful_gen_*.json"))
    empty = ingest(world, now + GRACE_S)  # nothing in the inbox: a quick no-op
    assert (empty.accepted, empty.total_feedback_examples, empty.quarantined, empty.left_for_later) == (0, 8, {}, {})


def test_a_file_left_behind_by_a_crash_is_not_doubled(world):
    """A crash after feedback.jsonl was written but before the archive leaves files in the
    inbox whose rows are already in: their content hash says so, they are only archived."""
    now = time.time() + NOW_OFFSET
    world.set_ages(now)
    ingest(world, now)
    feedback, backup = (world.data / "feedback.jsonl").read_bytes(), (world.data / "feedback.jsonl.bak").read_bytes()
    for name in ("successful_gen_20250101_000002.json", "successful_gen_20250101_000020.json"):
        shutil.copy(world.inbox / "processed" / name, world.inbox / name)
    report = ingest(world, now)
    assert report.duplicate_files == ["successful_gen_20250101_000002.json", "successful_gen_20250101_000020.json"]
    assert report.accepted == 0 and report.backup is None
    assert (world.data / "feedback.jsonl").read_bytes() == feedback
    assert (world.data / "feedback.jsonl.bak").read_bytes() == backup
    assert (world.inbox / "processed" / "successful_gen_20250101_000002.2.json").is_file()


def test_first_ingest_creates_feedback_jsonl_without_backup(world):
    (world.data / "feedback.jsonl").unlink()
    now = time.time() + NOW_OFFSET
    world.set_ages(now)
    report = ingest(world, now)
    assert report.backup is None and not (world.data / "feedback.jsonl.bak").exists()
    # file 7 re-sends a row that was in the deleted feedback.jsonl: now it is simply new
    assert report.accepted == 6 and count_feedback(world.data) == 6


def test_stale_temp_files_of_a_crashed_run_are_removed(world):
    stale = [world.data / ".feedback.jsonl.abc123.tmp", world.data / ".feedback.jsonl.bak.def456.tmp",
             world.inbox / "quarantine" / ".successful_gen_1.json.reason.txt.x1.tmp"]
    stale[2].parent.mkdir()
    for p in stale:
        p.write_text('{"instruction": "half')
    now = time.time() + NOW_OFFSET
    world.set_ages(now)
    ingest(world, now)
    assert not any(p.exists() for p in stale)
    assert (world.inbox / "successful_gen_20250101_000099.0f3a.tmp").exists()  # the plugin's, not ours


def test_damaged_feedback_jsonl_stops_before_anything_moves(world):
    with open(world.data / "feedback.jsonl", "a") as f:
        f.write('{"instruction": "hand-edited",\n')
    state = snapshot(world.root)
    with pytest.raises(IngestError, match=r"feedback.jsonl:3: not valid JSON.*restore feedback.jsonl.bak"):
        ingest(world, time.time() + NOW_OFFSET)
    assert snapshot(world.root) == state


def test_missing_folders_are_errors(world, tmp_path):
    with pytest.raises(IngestError, match="feedback folder .* does not exist"):
        ingest_feedback(tmp_path / "nowhere", world.data)
    (world.data / "test.jsonl").unlink()
    with pytest.raises(IngestError, match="no test.jsonl in .*run `gh-ft collect` first"):
        ingest_feedback(world.inbox, world.data)


def test_two_ingests_do_not_run_at_once(world):
    state = snapshot(world.root)
    with file_lock(world.data / ".feedback.lock"):
        with pytest.raises(LockBusy):
            ingest(world, time.time() + NOW_OFFSET)
        result = CliRunner().invoke(cli, ["feedback", "ingest", "--from", str(world.inbox), "--data", str(world.data)])
    assert result.exit_code == 3 and "another feedback ingest is running" in result.output
    assert snapshot(world.root) == state


def test_fault_point_kills_at_the_nth_occurrence(tmp_path):
    script = ("import sys; from gh_ft.files import atomic_write_text as w; "
              "[w(sys.argv[1] + f'/f{i}.txt', 'x' * 100) for i in range(3)]")
    for fault, written in (("fsync:2", ["f0.txt"]), ("rename:2", ["f0.txt", "f1.txt"]), ("nothing:1", None)):
        folder = tmp_path / fault.replace(":", "_")
        folder.mkdir()
        proc = subprocess.run([sys.executable, "-c", script, str(folder)], env={"GH_FT_FAULT": fault, "PATH": ""},
                              capture_output=True, cwd=ROOT)
        files = sorted(p.name for p in folder.iterdir() if not p.name.endswith(".tmp"))
        if written is None:
            assert proc.returncode == 0 and files == ["f0.txt", "f1.txt", "f2.txt"]
        else:
            assert proc.returncode == -9 and files == written
            assert len(list(folder.glob(".f*.tmp"))) == (1 if fault.startswith("fsync") else 0)


# ---- the CLI ---------------------------------------------------------------------------------

def test_cli_ingest_reports_and_exit_codes(world, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no gh-ft.yml here
    runner = CliRunner()
    args = ["feedback", "ingest", "--from", str(world.inbox), "--data", str(world.data), "--min-age", "0", "-q"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    # Real time and the default 512 KB limit: the 65 KB file comes in (and the young file, a copy
    # of its code, is a near-duplicate of it); the three cut-off or empty files are within their grace.
    assert lines[0] == ("feedback: 6 accepted, 2 already in, 3 near-duplicate(s), 2 test leak(s), 9 invalid, "
                        "3 left for later")
    assert any(l.startswith("  quarantined successful_gen_20250101_000013.json: invalid: 'metadata.success'")
               for l in lines)
    assert lines[-1] == f"{world.data / 'feedback.jsonl'}: 8 example(s) (previous version: feedback.jsonl.bak)"

    result = runner.invoke(cli, [*args, "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["accepted"] == 0
    assert json.loads(result.output)["total_feedback_examples"] == 8

    project = tmp_path / "project"
    project.mkdir()
    (project / "gh-ft.yml").write_text(f"feedback:\n  from_dir: {world.inbox}\n  min_age_s: 0\n"
                                       f"train:\n  data_dir: {world.data}\n")
    result = runner.invoke(cli, ["--config", str(project / "gh-ft.yml"), "feedback", "ingest", "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["total_feedback_examples"] == 8

    result = runner.invoke(cli, ["--config", str(tmp_path / "none.yml"), "feedback", "ingest"])
    assert result.exit_code == 2
    result = runner.invoke(cli, ["feedback", "ingest", "--data", str(world.data)], catch_exceptions=False)
    assert result.exit_code == 2 and "no feedback folder: pass --from DIR" in result.output
    result = runner.invoke(cli, ["feedback", "ingest", "--from", str(world.inbox), "--data", str(tmp_path / "nodata")])
    assert result.exit_code == 1 and "no train.jsonl in" in result.output


def test_cli_check(tmp_path):
    good, bad, cut = tmp_path / "good.json", tmp_path / "bad.json", tmp_path / "cut.json"
    good.write_bytes(GOOD)
    bad.write_bytes(_doc(success=False))
    cut.write_bytes(GOOD[:100])
    runner = CliRunner()
    result = runner.invoke(cli, ["feedback", "check", str(good)])
    assert result.exit_code == 0 and result.output == f"{good}: ok\n"
    result = runner.invoke(cli, ["feedback", "check", str(good), str(bad), str(cut)])
    assert result.exit_code == 1
    assert result.output.splitlines()[1].startswith(f"{bad}: invalid: 'metadata.success' must be true")
    assert result.output.splitlines()[2].startswith(f"{cut}: incomplete: JSON cut off after 100 bytes")
