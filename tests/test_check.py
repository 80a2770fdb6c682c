"""gh-ft check: errors and warnings on small hand-written datasets, token counts as Axolotl makes them."""
from __future__ import annotations

import json
import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
pytest.importorskip("transformers")

from gh_ft.train.check import check_dataset  # noqa: E402
from gh_ft.prompt import render_prompt  # noqa: E402
from gh_ft.train.tiny import build_tiny_model  # noqa: E402

FUNCS = ["Sqrt", "Abs", "Sin", "Cos", "Tan", "Exp", "Log", "Floor", "Ceiling", "Round", "Atan", "Sinh", "Cosh"]

COMPONENT = """using Grasshopper.Kernel;
using Rhino.Geometry;

public class DivideCurveComponent : GH_Component
{
    protected override void SolveInstance(IGH_DataAccess DA)
    {
        Curve curve = null;
        int count = 10;
        if (!DA.GetData(0, ref curve)) return;
        DA.GetData(1, ref count);
        double[] ts = curve.DivideByCount(count, true);
        var points = new List<Point3d>();
        foreach (double t in ts)
            points.Add(curve.PointAt(t));
        DA.SetDataList(0, points);
    }
}
"""
# The same component pasted into another plugin: renamed, reformatted, new strings and comments.
RENAMED = """using Grasshopper.Kernel; using Rhino.Geometry;
// copied from the other plugin
public class SplitCrv : GH_Component {
  protected override void SolveInstance(IGH_DataAccess access) {
    Curve crv = null; int n = 10;
    if (!access.GetData(0, ref crv)) return;
    access.GetData(1, ref n);
    double[] parameters = crv.DivideByCount(n, true);
    var pts = new List<Point3d>();
    foreach (double p in parameters) pts.Add(crv.PointAt(p));
    access.SetDataList(0, pts);
  }
}
"""


def row(i: int, **over) -> dict:
    fn = FUNCS[i % len(FUNCS)]
    code = f"public class C{i} {{ public double F(double x) {{ return Math.{fn}(x) * {i + 2}.5; }} }}"
    return {"instruction": f"Write a helper that applies {fn} to a number.", "input": "", "output": code, **over}


def write(folder, name: str, rows: list) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [r if isinstance(r, str) else json.dumps(r) for r in rows]
    (folder / name).write_text("".join(line + "\n" for line in lines), encoding="utf-8")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="module")
def tok(model_dir):
    from transformers import AutoTokenizer
    return AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)


@pytest.fixture
def clean(tmp_path):
    write(tmp_path, "train.jsonl", [row(i) for i in range(10)])
    write(tmp_path, "test.jsonl", [row(10), row(11, input="Context: radians.")])
    return tmp_path


def axolotl_len(tok, r: dict) -> int:
    """BOS + prompt tokens, then output tokens (tokenized alone, BOS stripped) + EOS."""
    prompt = tok(render_prompt(r["instruction"], r.get("input", "")))["input_ids"]
    output = tok(r["output"])["input_ids"]
    assert prompt[0] == output[0] == tok.bos_token_id
    return len(prompt) + len(output) - 1 + 1


def test_clean_dataset(clean, tok, model_dir):
    rep = check_dataset(clean, model_dir, 512)  # loads the tokenizer itself
    assert rep.ok and not rep.warnings, rep.render_text()
    s = rep.stats
    assert s["rows"] == {"train": 10, "feedback": 0, "test": 2, "docs": 0}
    lengths = sorted(axolotl_len(tok, row(i)) for i in range(10))
    t = s["tokens"]["train"]
    assert (t["count"], t["min"], t["max"], t["over"]) == (10, lengths[0], lengths[-1], 0)
    assert t["median"] == lengths[4] and t["p95"] == lengths[-1] and t["tokens"] == sum(lengths)
    assert sum(h["rows"] for h in t["histogram"]) == 10
    assert s["tokens"]["test"]["max"] == max(axolotl_len(tok, row(10)), axolotl_len(tok, row(11, input="Context: radians.")))
    assert s["training"] == {"sequences": 10, "effective_batch": 1, "steps_per_epoch": 10, "total_steps": 10,
                             "epochs": 1.0, "tokens_per_epoch": sum(lengths), "total_tokens": sum(lengths)}
    assert json.loads(json.dumps(rep.to_dict()))["ok"] is True


def test_steps_follow_batch_epochs_and_max_steps(clean, tok, model_dir):
    rep = check_dataset(clean, model_dir, 512, tokenizer=tok, micro_batch_size=2, gradient_accumulation_steps=2,
                        num_devices=1, num_epochs=2)
    assert rep.stats["training"]["steps_per_epoch"] == 3 and rep.stats["training"]["total_steps"] == 6
    rep = check_dataset(clean, model_dir, 512, tokenizer=tok, micro_batch_size=2, num_devices=2, max_steps=6)
    assert rep.stats["training"]["total_steps"] == 6 and rep.stats["training"]["epochs"] == 2.0


def test_lengths_match_axolotl(clean, tok):
    """The measured lengths are what Axolotl's own alpaca strategy produces."""
    pytest.importorskip("axolotl")
    from axolotl.prompt_tokenizers import AlpacaPromptTokenizingStrategy
    from axolotl.prompters import AlpacaPrompter

    strategy = AlpacaPromptTokenizingStrategy(AlpacaPrompter("instruct"), tok, False, 4096)
    rows = [row(i) for i in range(10)] + [row(11, input="Context: radians."), {**row(3), "output": COMPONENT}]
    write(clean, "train.jsonl", rows)
    rep = check_dataset(clean, "", 4096, tokenizer=tok)
    expected = sorted(len(strategy.tokenize_prompt(r)["input_ids"]) for r in rows)
    t = rep.stats["tokens"]["train"]
    assert (t["min"], t["max"], t["tokens"]) == (expected[0], expected[-1], sum(expected))


def test_leak_names_both_sides(clean, tok):
    write(clean, "train.jsonl", [row(i) for i in range(10)] + [{"instruction": "Divide a curve.", "output": RENAMED}])
    write(clean, "test.jsonl", [row(10), {"instruction": "Split a curve into points.", "output": COMPONENT}])
    rep = check_dataset(clean, "", 512, tokenizer=tok)
    assert not rep.ok and rep.stats["leaks"] == 1
    [leak] = [e for e in rep.errors if "leak" in e]
    assert "train.jsonl:11 ~ test.jsonl:2" in leak


def test_empty_output_and_malformed_line(clean, tok):
    rows = [json.dumps(row(i)) for i in range(10)]
    rows[2] = '{"instruction": "x", "output": '  # cut off mid-write
    rows[5] = json.dumps(row(5, output="  \n"))
    rows.append(json.dumps({"instruction": "x", "output": 3}))
    write(clean, "train.jsonl", rows)
    rep = check_dataset(clean, "", 512, tokenizer=tok)
    text = "\n".join(rep.errors)
    assert not rep.ok
    assert "train.jsonl:3: not valid JSON" in text
    assert "empty outputs" in text and "train.jsonl:6" in text
    assert "train.jsonl:11: 'output' is not a string" in text
    assert rep.stats["tokens"]["train"]["count"] == 8  # the good rows are still measured


def test_over_long_rows_dropped(clean, tok):
    lengths = sorted(axolotl_len(tok, row(i)) for i in range(10))
    limit = lengths[7]  # a row of exactly sequence_len is kept (Axolotl: len <= sequence_len)
    over = sum(n > limit for n in lengths)
    rep = check_dataset(clean, "", limit, tokenizer=tok)
    assert rep.ok and rep.stats["tokens"]["train"]["over"] == over > 0
    assert rep.stats["training"]["sequences"] == 10 - over
    assert any("DROPPED" in w and f"exceed sequence_len {limit}" in w for w in rep.warnings)
    trunc = check_dataset(clean, "", limit, tokenizer=tok, excess_length_strategy="truncate")
    assert trunc.stats["training"]["sequences"] == 10 and any("TRUNCATED" in w for w in trunc.warnings)
    for limit in (lengths[3] - 1, lengths[0] - 1):  # most rows, then all rows, too long
        rep = check_dataset(clean, "", limit, tokenizer=tok)
        assert not rep.ok and any("DROPPED" in e for e in rep.errors)


def test_duplicates_and_near_duplicates_warn(clean, tok):
    rows = [row(i) for i in range(10)]
    write(clean, "train.jsonl", rows + [rows[4], {"instruction": "a", "output": COMPONENT},
                                        {"instruction": "b", "output": RENAMED},
                                        {"instruction": "c", "input": "skeleton", "output": COMPONENT}])
    rep = check_dataset(clean, "", 512, tokenizer=tok)
    assert rep.ok, rep.render_text()
    assert rep.stats["duplicates"] == 1 and rep.stats["near_duplicates"] == 1  # same output asked twice is fine
    text = "\n".join(rep.warnings)
    assert "train.jsonl:11 repeats train.jsonl:5" in text and "train.jsonl:13 ~ train.jsonl:12" in text


def test_feedback_is_training_data(clean, tok):
    write(clean, "feedback.jsonl", [row(12, rating="good")])
    rep = check_dataset(clean, "", 512, tokenizer=tok)
    assert rep.stats["rows"]["feedback"] == 1 and rep.stats["training"]["sequences"] == 11
    write(clean, "feedback.jsonl", [row(10)])  # a test answer fed back into training leaks
    rep = check_dataset(clean, "", 512, tokenizer=tok)
    assert any("feedback.jsonl:1 ~ test.jsonl:1" in e for e in rep.errors)


def test_docs_are_chunked(clean, tok):
    pytest.importorskip("axolotl")
    from axolotl.prompt_strategies.completion import load
    from axolotl.utils.dict import DictDefault

    texts = [COMPONENT * 6, "Use GH_ParamAccess.list for many values."]
    write(clean, "docs.jsonl", [{"text": t} for t in texts] + [{"text": " "}])
    rep = check_dataset(clean, "", 256, tokenizer=tok, include_docs=True)
    strategy = load(tok, DictDefault({"sequence_len": 256, "train_on_inputs": False}))
    chunks = strategy.tokenize_prompt({"text": texts})["input_ids"]
    assert rep.stats["tokens"]["docs"]["chunks"] == len([c for c in chunks if len(c) >= 2])
    assert len(chunks) > 3 and rep.stats["training"]["sequences"] == 10 + len(chunks)
    assert any("blank docs" in w for w in rep.warnings)


def test_missing_tokenizer_and_files(tmp_path):
    rep = check_dataset(tmp_path, tmp_path / "no-model", 512)
    text = "\n".join(rep.errors)
    assert f"base model tokenizer not found locally at {tmp_path / 'no-model'}" in text
    assert "run gh-ft tiny-model or download the model first" in text and "train.jsonl not found" in text
    write(tmp_path, "train.jsonl", [])
    assert any("no usable training rows" in e for e in check_dataset(tmp_path, "", 512).errors)
    write(tmp_path, "train.jsonl", [row(i) for i in range(3)])
    rep = check_dataset(tmp_path, tmp_path / "no-model", 512)
    assert "tokens" not in rep.stats and rep.stats["training"]["sequences"] == 3
    assert any("test split is empty" in w for w in rep.warnings)
    assert any("only 3 training rows" in w for w in rep.warnings)


def test_render_text_has_key_numbers(clean, tok):
    rep = check_dataset(clean, "", 512, tokenizer=tok, micro_batch_size=4, num_epochs=3)
    text = rep.render_text()
    t = rep.stats["tokens"]["train"]
    assert "OK" in text and "train 10" in text and "test 2" in text
    for key in ("min", "median", "p95", "max"):
        assert f"{key} {t[key]}" in text
    assert "3 steps per epoch; 9 steps" in text and f"{rep.stats['training']['total_tokens']} tokens" in text
    write(clean, "train.jsonl", ['{"oops'])
    assert "train.jsonl:1: not valid JSON" in check_dataset(clean, "", 512, tokenizer=tok).render_text()
