"""`gh-ft collect` end to end: outputs, cache correctness, stability, bad input."""
from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from gh_ft.cli import main as cli
from gh_ft.collect import CollectError, collect
from gh_ft.files import read_jsonl
from gh_ft.settings import CollectSettings

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.corpus import write_corpus  # noqa: E402

SAMPLE = ROOT / "data" / "sample_context"

LEAF = """using Grasshopper.Kernel;
namespace P
{
    public class LeafComponent : PluginBase
    {
        public LeafComponent() : base("Leaf", "L") { }
        protected override void SolveInstance(IGH_DataAccess DA) { DA.SetData(0, 42); }
        public override System.Guid ComponentGuid => new System.Guid("11111111-2222-4333-8444-555555555555");
    }
}
"""
BASE_GH = """using Grasshopper.Kernel;
namespace P
{
    public abstract class PluginBase : GH_Component
    {
        protected PluginBase(string n, string k) : base(n, k, "A leaf", "Cat", "Sub") { }
        protected override void RegisterInputParams(GH_Component.GH_InputParamManager pManager) { }
        protected override void RegisterOutputParams(GH_Component.GH_OutputParamManager pManager)
        {
            pManager.AddIntegerParameter("Answer", "A", "The answer", GH_ParamAccess.item);
        }
    }
}
"""
BASE_PLAIN = """namespace P
{
    public abstract class PluginBase
    {
        protected PluginBase(string n, string k) { }
    }
}
"""


def settings(context: Path, out: Path, **kw) -> CollectSettings:
    return CollectSettings(context_dir=context, out=out, workers=kw.pop("workers", 1), **kw)


def rows(path: Path) -> list[dict]:
    return list(read_jsonl(path))


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


def test_sample_corpus(tmp_path):
    out = tmp_path / "ds"
    report = collect(settings(SAMPLE, out))
    for name in ("examples.jsonl", "train.jsonl", "test.jsonl", "docs.jsonl", "manifest.json"):
        assert (out / name).is_file()
    m = manifest(out)
    by_path = {s["path"]: s for s in m["sources"]}
    assert "src/obj/Debug/Junk.g.cs" not in by_path and m["ignored"]["by_glob"] >= 1
    assert by_path["src/Meshes/WeldAndTextComponents.cs"]["components"] == ["MeshWeldComponent", "MeshLabelComponent"]
    kinds = {s["kind"] for s in m["sources"]}
    assert {"csharp", "markdown", "text", "pdf", "docx"} <= kinds
    # every document kind contributes a component example
    examples = rows(out / "examples.jsonl")
    origins = {e["source"].split(":")[0].split("#")[0].rsplit(".", 1)[-1] for e in examples}
    assert {"cs", "md", "txt", "pdf", "docx"} <= origins
    train, test = rows(out / "train.jsonl"), rows(out / "test.jsonl")
    assert report.counts["train"] == len(train) > 0 and report.counts["test"] == len(test) > 0
    assert all(set(r) == {"instruction", "input", "output"} for r in train + test)
    assert all(set(d) == {"text"} and d["text"].strip() for d in rows(out / "docs.jsonl"))
    assert m["split"]["seed"] == 42 and all(len(s["sha256"]) == 64 for s in m["sources"])
    # grouped split: a group (component + skeleton) never sits on both sides
    test_outputs = {r["output"] for r in test}
    side = {}
    for e in examples:
        s = "test" if e["output"] in test_outputs else "train"
        assert side.setdefault(e["group"], s) == s


def test_instruction_reads_like_a_request(tmp_path):
    collect(settings(SAMPLE, tmp_path / "ds"))
    ex = next(e for e in rows(tmp_path / "ds" / "examples.jsonl")
              if e["meta"]["class"] == "DivideCurveComponent" and e["kind"] == "component")
    ins = ex["instruction"]
    assert '"Divide Curve Evenly"' in ins and "Sample > Curves" in ins and "Purpose: Divide a curve" in ins
    assert "- Count (N): Integer, item access, default 10. Number of segments." in ins
    assert "- Points (P): Point, list access. Division points." in ins
    skeleton = next(e for e in rows(tmp_path / "ds" / "examples.jsonl")
                    if e["meta"]["class"] == "DivideCurveComponent" and e["kind"] == "skeleton")
    assert "TODO" in skeleton["input"] and "DivideByCount" not in skeleton["input"]
    assert skeleton["output"] == ex["output"] and skeleton["group"] == ex["group"]


def test_unchanged_rerun_and_touched_mtime_parse_nothing(tmp_path):
    ctx, out = tmp_path / "ctx", tmp_path / "ds"
    shutil.copytree(SAMPLE, ctx)
    first = collect(settings(ctx, out))
    assert first.counts["files_parsed"] > 0
    again = collect(settings(ctx, out))
    assert again.unchanged
    for p in ctx.rglob("*.cs"):
        os.utime(p, ns=(p.stat().st_atime_ns, p.stat().st_mtime_ns + 10_000_000_000))
    touched = collect(settings(ctx, out))
    assert touched.unchanged
    forced = collect(settings(ctx, out), force=True)
    assert forced.counts["files_parsed"] == 0 and forced.counts["files_cached"] == first.counts["files_found"]


def test_editing_a_base_class_reclassifies_unchanged_files(tmp_path):
    ctx, out = tmp_path / "ctx", tmp_path / "ds"
    ctx.mkdir()
    (ctx / "Leaf.cs").write_text(LEAF)
    (ctx / "Base.cs").write_text(BASE_GH)
    collect(settings(ctx, out))
    leaf = [e for e in rows(out / "examples.jsonl") if e["meta"]["class"] == "LeafComponent"]
    assert leaf and leaf[0]["meta"]["name"] == "Leaf" and leaf[0]["meta"]["outputs"][0]["name"] == "Answer"
    (ctx / "Base.cs").write_text(BASE_PLAIN)
    with pytest.raises(CollectError, match="no Grasshopper component"):
        collect(settings(ctx, out))
    (ctx / "Base.cs").write_text(BASE_GH.replace('"Cat"', '"Other"'))
    report = collect(settings(ctx, out))
    assert report.counts["files_parsed"] == 1  # Leaf.cs came from the cache, yet was re-classified
    leaf = [e for e in rows(out / "examples.jsonl") if e["meta"]["class"] == "LeafComponent"]
    assert leaf[0]["meta"]["category"] == "Other"


def test_adding_a_file_keeps_every_example_on_its_side(tmp_path):
    ctx, out = tmp_path / "ctx", tmp_path / "ds"
    write_corpus(ctx, 60, seed=3)
    collect(settings(ctx, out, test_fraction=0.3))
    before = {r["output"]: "test" for r in rows(out / "test.jsonl")}
    before.update({r["output"]: "train" for r in rows(out / "train.jsonl")})
    assert "test" in before.values() and "train" in before.values()
    write_corpus(ctx / "new", 5, seed=3, start=1000)
    collect(settings(ctx, out, test_fraction=0.3))
    after = {r["output"]: "test" for r in rows(out / "test.jsonl")}
    after.update({r["output"]: "train" for r in rows(out / "train.jsonl")})
    assert len(after) > len(before)
    assert all(after[o] == s for o, s in before.items())


def test_parallel_and_serial_give_identical_outputs(tmp_path):
    ctx = tmp_path / "ctx"
    write_corpus(ctx, 40, seed=5)
    collect(settings(ctx, tmp_path / "a", workers=1))
    collect(settings(ctx, tmp_path / "b", workers=2))
    for name in ("examples.jsonl", "train.jsonl", "test.jsonl"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_near_duplicate_twin_collapses_different_logic_stays(tmp_path):
    ctx, out = tmp_path / "ctx", tmp_path / "ds"
    ctx.mkdir()
    src = (SAMPLE / "src" / "Curves" / "DivideCurveComponent.cs").read_text()
    twin = (src.replace("DivideCurveComponent", "SplitCurveComponent").replace("points", "pts")
            .replace("Divide Curve Evenly", "Split Curve").replace("3f6e2b1c", "4f6e2b1c")
            .replace("        ", "      ").replace("// ", "// note: "))
    other = src.replace("DivideCurveComponent", "LengthCurveComponent").replace(
        "double[] parameters = curve.DivideByCount(count, ends, out points);",
        "double[] parameters = curve.DivideByLength(curve.GetLength() / count, ends, out points);")
    (ctx / "A.cs").write_text(src)
    (ctx / "B.cs").write_text(twin)
    (ctx / "C.cs").write_text(other.replace("DA.SetDataList(1, parameters);",
                                            "DA.SetDataList(1, parameters.Select(p => curve.PointAt(p)).ToList());"))
    collect(settings(ctx, out, skeleton_variants=False))
    m = manifest(out)
    assert [d["dropped"] for d in m["near_duplicates"]] == ["B.cs#SplitCurveComponent"]
    assert {e["meta"]["class"] for e in rows(out / "examples.jsonl")} == {"DivideCurveComponent", "LengthCurveComponent"}


def test_bad_files_are_skipped_with_reasons(tmp_path):
    ctx, out = tmp_path / "ctx", tmp_path / "ds"
    shutil.copytree(SAMPLE / "src", ctx)
    (ctx / "binary.cs").write_bytes(b"\x00\x01\x02MZ\x90\x00" * 200)
    (ctx / "corrupt.pdf").write_bytes(b"%PDF-1.7\n" + os.urandom(2000))
    (ctx / "corrupt.docx").write_bytes(b"PK\x03\x04" + os.urandom(500))
    (ctx / "empty.cs").write_bytes(b"")
    (ctx / "huge.txt").write_bytes(b"x" * 3_000_000)
    cs1252 = LEAF.replace("Leaf", "Cafe").replace("42", '"caf\xe9".ToUpperInvariant().Trim()').replace("11111111", "21111111")
    (ctx / "cp1252.cs").write_bytes(cs1252.encode("cp1252"))
    (ctx / "utf16.cs").write_bytes(LEAF.replace("Leaf", "Wide").replace("42", "System.Math.Max(43, System.Environment.ProcessorCount)").replace("11111111", "31111111").encode("utf-16"))
    (ctx / "Base.cs").write_text(BASE_GH)
    (ctx / "bom.cs").write_bytes(b"\xef\xbb\xbf" + LEAF.replace("Leaf", "Bom").replace("42", "System.DateTime.Now.DayOfYear").replace("11111111", "41111111").encode())
    os.mkfifo(ctx / "pipe.cs") if hasattr(os, "mkfifo") else None
    report = collect(settings(ctx, out, max_file_mb=1))
    skipped = {s["path"]: s["reason"] for s in manifest(out)["skipped"]}
    assert "binary" in skipped["binary.cs"]
    assert "PDF" in skipped["corrupt.pdf"] or "pdf" in skipped["corrupt.pdf"].lower()
    assert "corrupt.docx" in skipped and "empty" in skipped["empty.cs"] and "too large" in skipped["huge.txt"]
    classes = {e["meta"]["class"] for e in rows(out / "examples.jsonl")}
    assert {"CafeComponent", "WideComponent", "BomComponent"} <= classes
    cafe = next(e for e in rows(out / "examples.jsonl") if e["meta"]["class"] == "CafeComponent")
    assert '"caf\xe9"' in cafe["output"]
    encodings = {s["path"]: s.get("encoding") for s in manifest(out)["sources"]}
    assert encodings["cp1252.cs"] == "cp1252" and encodings["utf16.cs"] == "utf-16" and encodings["bom.cs"] == "utf-8-sig"
    assert report.counts["files_skipped"] == len(skipped)


def test_secrets_never_reach_the_outputs(tmp_path):
    ctx, out = tmp_path / "ctx", tmp_path / "ds"
    ctx.mkdir()
    secret = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    (ctx / "Base.cs").write_text(BASE_GH)
    (ctx / "Leaf.cs").write_text(LEAF.replace("DA.SetData(0, 42);",
                                              f'var token = "{secret}";\n            DA.SetData(0, 42);'))
    (ctx / "notes.md").write_text(f"# Deploy\n\nUse the token {secret} to publish the plugin package "
                                  "from the build server; rotate it every month." * 3)
    collect(settings(ctx, out))
    for name in ("examples.jsonl", "train.jsonl", "test.jsonl", "docs.jsonl", "manifest.json", ".collect-cache.pickle"):
        assert secret.encode() not in (out / name).read_bytes(), name
    red = manifest(out)["redactions"]
    assert any(r["path"] == "Leaf.cs" and r["line"] == 7 and r["kind"] == "github-token" for r in red)
    assert any(r["path"] == "notes.md" for r in red)
    assert "<REDACTED:github-token>" in (out / "examples.jsonl").read_text()


def test_cli_no_components_exits_nonzero_with_message(tmp_path):
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "readme.md").write_text("# Nothing here\n\nJust prose about Grasshopper, no component.\n")
    result = CliRunner().invoke(cli, ["collect", "--context-dir", str(ctx), "--out", str(tmp_path / "ds"), "-q"])
    assert result.exit_code == 1
    assert "no Grasshopper component found" in result.output


def test_cli_project_file_and_flag_override(tmp_path, monkeypatch):
    ctx = tmp_path / "ctx"
    shutil.copytree(SAMPLE / "src", ctx)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "gh-ft.yml").write_text("collect:\n  context_dir: ctx\n  out: ds\n  seed: 7\n")
    result = CliRunner().invoke(cli, ["collect", "--seed", "9", "-q"])
    assert result.exit_code == 0, result.output
    assert manifest(tmp_path / "ds")["split"]["seed"] == 9
    (tmp_path / "gh-ft.yml").write_text("collect:\n  context_dir: ctx\n  sed: 7\n")
    result = CliRunner().invoke(cli, ["collect", "-q"])
    assert result.exit_code == 2 and "unknown setting 'sed'" in result.output and "did you mean 'seed'" in result.output
