"""A tiny local Llama base model, for tests and dry runs where no model hub is reachable.

`build_tiny_model(out_dir)` writes a randomly initialised 2-layer Llama (`config.json`,
`model.safetensors`, `generation_config.json`) plus a tokenizer trained on the spot in the
Llama-2 style: BPE with byte fallback, `<unk>`=0 `<s>`=1 `</s>`=2, the 256 byte pieces
`<0x00>`..`<0xFF>` at ids 3..258, Metaspace `▁` pre-tokenizer (prepend "first", no split),
decoder Replace/ByteFallback/Fuse/Strip. That is what `transformers.LlamaTokenizer` rebuilds
from `tokenizer.json` (v5). Beside it a SentencePiece `tokenizer.model` with the same pieces and
scores from the merge order (see `sentencepiece_model`): llama.cpp's converter reads the scores
from it, so llama.cpp cuts text into the same tokens as transformers. Same inputs give
byte-identical files.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Iterable

from gh_ft.train.sentencepiece_model import complete_merges, model_proto, piece_table

SPECIALS = ("<unk>", "<s>", "</s>")
BYTE_TOKENS = tuple(f"<0x{i:02X}>" for i in range(256))
# Training-only chunking (SentencePiece-like): runs of newlines, runs of spaces (indentation),
# and "▁word" pieces, so merges do not cross words. Inference uses the whole-text Metaspace.
_TRAIN_SPLIT = r"\n+|▁+(?=▁)|▁?[^▁\n]+|▁+"

SAMPLE_CORPUS = r'''using System;
using System.Collections.Generic;
using System.Linq;
using Grasshopper.Kernel;
using Grasshopper.Kernel.Types;
using Rhino.Geometry;

namespace MyPlugin.Components
{
    /// <summary>Offsets a closed curve inwards and outwards by a given distance.</summary>
    public class OffsetCurveComponent : GH_Component
    {
        public OffsetCurveComponent()
          : base("Offset Curve", "Offset", "Offset a planar curve by a distance", "MyPlugin", "Curve")
        {
        }

        protected override void RegisterInputParams(GH_Component.GH_InputParamManager pManager)
        {
            pManager.AddCurveParameter("Curve", "C", "Planar curve to offset", GH_ParamAccess.item);
            pManager.AddNumberParameter("Distance", "D", "Offset distance", GH_ParamAccess.item, 1.0);
            pManager.AddPlaneParameter("Plane", "P", "Offset plane", GH_ParamAccess.item, Plane.WorldXY);
        }

        protected override void RegisterOutputParams(GH_Component.GH_OutputParamManager pManager)
        {
            pManager.AddCurveParameter("Result", "R", "Offset curves", GH_ParamAccess.list);
        }

        protected override void SolveInstance(IGH_DataAccess DA)
        {
            Curve curve = null;
            double distance = 1.0;
            Plane plane = Plane.WorldXY;
            if (!DA.GetData(0, ref curve)) return;
            if (!DA.GetData(1, ref distance)) return;
            DA.GetData(2, ref plane);

            if (curve == null || !curve.IsPlanar())
            {
                AddRuntimeMessage(GH_RuntimeMessageLevel.Error, "Input curve must be planar.");
                return;
            }

            double tolerance = Rhino.RhinoDoc.ActiveDoc?.ModelAbsoluteTolerance ?? 0.001;
            Curve[] offsets = curve.Offset(plane, distance, tolerance, CurveOffsetCornerStyle.Sharp);
            if (offsets == null || offsets.Length == 0)
            {
                AddRuntimeMessage(GH_RuntimeMessageLevel.Warning, "Offset failed.");
                return;
            }
            DA.SetDataList(0, offsets);
        }

        public override Guid ComponentGuid => new Guid("3f1c2a9e-7b44-4d1a-9a0e-5c2b8f6d1e47");
    }

    public class DivideAndScaleComponent : GH_Component
    {
        public DivideAndScaleComponent()
          : base("Divide And Scale", "DivScale", "Divide a curve and scale the points", "MyPlugin", "Points")
        {
        }

        protected override void RegisterInputParams(GH_Component.GH_InputParamManager pManager)
        {
            pManager.AddCurveParameter("Curve", "C", "Curve to divide", GH_ParamAccess.item);
            pManager.AddIntegerParameter("Count", "N", "Number of segments", GH_ParamAccess.item, 10);
            pManager.AddNumberParameter("Factor", "F", "Scale factor", GH_ParamAccess.item, 2.0);
        }

        protected override void RegisterOutputParams(GH_Component.GH_OutputParamManager pManager)
        {
            pManager.AddPointParameter("Points", "P", "Scaled division points", GH_ParamAccess.list);
            pManager.AddNumberParameter("Parameters", "t", "Curve parameters", GH_ParamAccess.list);
        }

        protected override void SolveInstance(IGH_DataAccess DA)
        {
            Curve curve = null;
            int count = 10;
            double factor = 2.0;
            if (!DA.GetData(0, ref curve)) return;
            DA.GetData(1, ref count);
            DA.GetData(2, ref factor);
            if (count < 1)
            {
                AddRuntimeMessage(GH_RuntimeMessageLevel.Warning, "Count must be at least 1.");
                return;
            }

            double[] ts = curve.DivideByCount(count, true);
            var points = new List<Point3d>();
            Point3d center = curve.GetBoundingBox(true).Center;
            foreach (double t in ts)
            {
                Point3d p = curve.PointAt(t);
                Transform scale = Transform.Scale(center, factor);
                p.Transform(scale);
                points.Add(p);
            }
            DA.SetDataList(0, points);
            DA.SetDataList(1, ts.ToList());
        }

        public override Guid ComponentGuid => new Guid("b8d0e6f2-1c3a-4e5b-8f7d-2a9c6e4b1d03");
    }
}

// C# Script component: loft a list of section curves and cap the result.
private void RunScript(List<Curve> sections, bool cap, ref object Brep, ref object Area)
{
    if (sections == null || sections.Count < 2)
    {
        Print("Need at least two section curves.");
        return;
    }
    Brep[] lofts = Brep.CreateFromLoft(sections, Point3d.Unset, Point3d.Unset, LoftType.Normal, false);
    if (lofts == null || lofts.Length == 0) return;
    Brep result = cap ? lofts[0].CapPlanarHoles(0.001) ?? lofts[0] : lofts[0];
    Brep = result;
    Area = AreaMassProperties.Compute(result)?.Area ?? 0.0;
}

The component reads a curve and a distance, checks that the inputs are valid, and writes the
result to the first output. Use GH_ParamAccess.list when a parameter takes many values and
GH_ParamAccess.tree for data trees. Report problems with AddRuntimeMessage instead of throwing.
'''


def _train_tokenizer(texts: list[str], vocab_size: int):
    """Train the Llama-2-style BPE; return a `tokenizers.Tokenizer` with the byte pieces at 3..258."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    metaspace = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=False)
    trainer_tok = Tokenizer(models.BPE(byte_fallback=True, unk_token="<unk>", fuse_unk=True))
    trainer_tok.pre_tokenizer = pre_tokenizers.Sequence(
        [metaspace, pre_tokenizers.Split(Regex(_TRAIN_SPLIT), behavior="isolated")])
    target = max(vocab_size - len(BYTE_TOKENS), len(SPECIALS) + 1)
    trainer = trainers.BpeTrainer(vocab_size=target, special_tokens=list(SPECIALS), show_progress=False,
                                  limit_alphabet=max(32, (target - len(SPECIALS)) // 2))
    trainer_tok.train_from_iterator(texts, trainer=trainer)

    trained = json.loads(trainer_tok.to_str())["model"]
    vocab: dict[str, int] = {}
    for piece in (*SPECIALS, *BYTE_TOKENS, *sorted(trained["vocab"], key=trained["vocab"].get)):
        vocab.setdefault(piece, len(vocab))
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in trained["merges"]]
    # Every split of a merged token, as SentencePiece (and llama.cpp) would join it.
    merges = complete_merges(vocab, merges, skip=SPECIALS)

    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", fuse_unk=True,
                               byte_fallback=True))
    tok.add_special_tokens(list(SPECIALS))
    tok.normalizer = None
    tok.pre_tokenizer = metaspace
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                     decoders.Strip(" ", 1, 0)])
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A $B:1", special_tokens=[("<s>", 1)])
    return tok


def _sentencepiece_model(tok) -> bytes:
    """`tokenizer.model` for the trained tokenizer: same pieces and ids, scores from its merges."""
    model = json.loads(tok.to_str())["model"]
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
    table = piece_table(model["vocab"], merges, unk=SPECIALS[0], controls=SPECIALS[1:])
    return model_proto(table, unk_id=0, bos_id=1, eos_id=2)


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")


def _tokenizer_config(max_length: int) -> dict:
    added = {str(i): {"content": t, "lstrip": False, "normalized": False, "rstrip": False,
                      "single_word": False, "special": True} for i, t in enumerate(SPECIALS)}
    return {"add_bos_token": True, "add_eos_token": False, "added_tokens_decoder": added,
            "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<unk>",
            "clean_up_tokenization_spaces": False, "legacy": False, "model_max_length": max_length,
            "padding_side": "right", "tokenizer_class": "LlamaTokenizer",
            "use_default_system_prompt": False}


def build_tiny_model(out_dir: Path, corpus_texts: Iterable[str] | None = None, seed: int = 0,
                     vocab_size: int = 512) -> Path:
    """Write a tiny random Llama + Llama-2-style tokenizer to `out_dir`; return `out_dir`.

    The tokenizer is trained on `corpus_texts` (the built-in Grasshopper C# sample when None or
    empty). `vocab_size` is the upper bound of the vocabulary, specials and byte pieces included;
    the model's `vocab_size` is the tokenizer's actual size.
    """
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    if vocab_size < len(SPECIALS) + len(BYTE_TOKENS) + 1:
        raise ValueError(f"vocab_size must be at least {len(SPECIALS) + len(BYTE_TOKENS) + 1}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    texts = [t for t in (corpus_texts or ()) if t and t.strip()] or [SAMPLE_CORPUS]

    max_positions = 2048
    tok = _train_tokenizer(texts, vocab_size)
    tok.save(str(out_dir / "tokenizer.json"))
    (out_dir / "tokenizer.model").write_bytes(_sentencepiece_model(tok))
    _write_json(out_dir / "tokenizer_config.json", _tokenizer_config(max_positions))
    _write_json(out_dir / "special_tokens_map.json",
                {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<unk>"})

    config = LlamaConfig(
        vocab_size=tok.get_vocab_size(), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=max_positions,
        rms_norm_eps=1e-5, tie_word_embeddings=False, bos_token_id=1, eos_token_id=2, pad_token_id=0,
        initializer_range=0.02)
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config).to(torch.float32).eval()
    model.generation_config = GenerationConfig(bos_token_id=1, eos_token_id=2, pad_token_id=0)
    model.save_pretrained(out_dir, safe_serialization=True)
    return out_dir


def read_corpus_texts(paths: Iterable[Path]) -> list[str]:
    """Texts of the given files; a folder contributes its `*.cs` files (recursively, sorted)."""
    texts = []
    for path in paths:
        files = sorted(path.rglob("*.cs")) if path.is_dir() else [path]
        texts += [f.read_text(encoding="utf-8", errors="replace") for f in files]
    return texts


def main(argv: list[str] | None = None) -> int:
    """`python -m gh_ft.train.tiny --out DIR [--corpus PATH ...] [--seed N] [--vocab-size N]`."""
    parser = argparse.ArgumentParser(prog="gh-ft tiny-model", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="Folder to write the model to.")
    parser.add_argument("--corpus", type=Path, action="append", default=[],
                        help="Text file, or folder of .cs files, to train the tokenizer on (repeatable).")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--vocab-size", type=int, default=512)
    args = parser.parse_args(argv)
    out = build_tiny_model(args.out, read_corpus_texts(args.corpus) or None, args.seed, args.vocab_size)
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
