"""`gh-ft check`: what a dataset will do to a training run, before any GPU time is spent.

Errors are things that break training or make its scores lie (unreadable rows, empty answers,
train/test leaks, most rows too long); warnings are waste or risk (duplicates, some rows
dropped, no test split). Token lengths are measured the way Axolotl 0.19 tokenizes, so the
row counts and step numbers match what the trainer will log.

Axolotl 0.19, as read from its source (site-packages/axolotl):
- `type: alpaca` -> prompt_tokenizers.py InstructionPromptTokenizingStrategy.tokenize_prompt
  (l.118-143): tokenizer(prompt) with the tokenizer's own specials (BOS), no EOS; then
  tokenizer(output) with EOS appended unless already last (`_tokenize`, l.73-105) and its BOS
  stripped. The output is tokenized on its own, so its first token may differ from a joint
  tokenization: we measure the two parts separately, like Axolotl.
- Rows longer than sequence_len: utils/data/sft.py l.350 calls utils/data/utils.py
  handle_long_seq_in_dataset (l.314-354): `excess_length_strategy` (schemas/config.py l.677)
  defaults to "drop", which keeps min_sample_len(2) <= len <= sequence_len
  (utils/trainer.py filter_sequences_by_length, l.200-240): a row of exactly sequence_len
  tokens is kept. "truncate" cuts rows to sequence_len (losing the answer's end and EOS),
  "raise" aborts preprocessing.
- `type: completion` (prompt_strategies/completion.py): tokenizer(text) truncated to
  64 * sequence_len tokens, EOS appended, then split into sequence_len chunks; nothing is
  dropped but text past 64 * sequence_len tokens is lost.
"""
from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gh_ft.dataset import cluster_near_duplicates, find_leaks, stable_hash
from gh_ft.prompt import render_prompt

SHOW = 8  # problem lines listed per kind; the rest are counted
COMPLETION_MAX_FACTOR = 64  # completion.py: max_length = sequence_len * 64
MIN_SAMPLE_LEN = 2  # utils/trainer.py: min_sequence_len default


@dataclass
class CheckReport:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stats: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict:
        return {"ok": self.ok, "errors": self.errors, "warnings": self.warnings, "stats": self.stats}

    def render_text(self) -> str:
        return render_report(self)


@dataclass
class Row:
    where: str  # 'train.jsonl:7'
    data: dict
    tokens: int = 0


# ---------------------------------------------------------------- reading (the edge)

def read_rows(path: Path) -> tuple[list[Row], list[str]]:
    """(rows with their file:line, malformed lines). Not files.read_jsonl: the report needs
    each row's line number and goes on past a bad line to list them all."""
    rows: list[Row] = []
    bad: list[str] = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            where = f"{path.name}:{lineno}"
            try:
                data = json.loads(line)
            except json.JSONDecodeError as e:
                bad.append(f"{where}: not valid JSON ({e.msg})")
                continue
            if isinstance(data, dict):
                rows.append(Row(where, data))
            else:
                bad.append(f"{where}: not a JSON object")
    return rows, bad


def load_tokenizer(path: str | Path) -> Any:
    """The base model's tokenizer from local files only: never a download, never a hang."""
    from transformers import AutoTokenizer
    return AutoTokenizer.from_pretrained(str(path), local_files_only=True)


# ---------------------------------------------------------------- pure checks

def problem(headline: str, items: list[str], limit: int = SHOW) -> str:
    """One report entry: a headline saying what to do, then up to `limit` indented instances."""
    more = [f"... and {len(items) - limit} more"] if len(items) > limit else []
    return "\n".join([headline, *("  " + i for i in items[:limit] + more)])


def validate_alpaca(rows: list[Row]) -> tuple[list[Row], list[str], list[str]]:
    """(usable rows, malformed rows, empty outputs): instruction/output must be strings,
    input a string when present, the output not blank."""
    good, malformed, empty = [], [], []
    for r in rows:
        d = r.data
        wrong = [f"missing {k!r}" for k in ("instruction", "output") if k not in d]
        wrong += [f"{k!r} is not a string" for k in ("instruction", "input", "output")
                  if k in d and not isinstance(d[k], str)]
        if wrong:
            malformed.append(f"{r.where}: {', '.join(wrong)}")
        elif not d["output"].strip():
            empty.append(r.where)
        else:
            good.append(r)
    return good, malformed, empty


def validate_docs(rows: list[Row]) -> tuple[list[Row], list[str], list[str]]:
    """(usable rows, rows without a string 'text', blank texts)."""
    malformed = [r.where for r in rows if not isinstance(r.data.get("text"), str)]
    empty = [r.where for r in rows if isinstance(r.data.get("text"), str) and not r.data["text"].strip()]
    return [r for r in rows if isinstance(r.data.get("text"), str) and r.data["text"].strip()], malformed, empty


def _ids(tokenizer: Any, texts: list[str]) -> list[list[int]]:
    # verbose=False: no "longer than model_max_length" noise; lengths are what we report.
    return tokenizer(texts, add_special_tokens=True, verbose=False)["input_ids"] if texts else []


def alpaca_lengths(tokenizer: Any, rows: list[Row]) -> list[int]:
    """Tokens per row as Axolotl's alpaca strategy builds it (untruncated, see module doc)."""
    bos, eos = tokenizer.bos_token_id, tokenizer.eos_token_id
    prompts = _ids(tokenizer, [render_prompt(r.data["instruction"], r.data.get("input", "")) for r in rows])
    outputs = _ids(tokenizer, [r.data["output"] for r in rows])
    lengths = []
    for p, o in zip(prompts, outputs):
        n = len(o) + (eos is not None and bool(o) and o[-1] != eos)
        n -= bos is not None and bool(o) and o[0] == bos
        lengths.append(len(p) + n)
    return lengths


def completion_lengths(tokenizer: Any, rows: list[Row]) -> list[int]:
    """Tokens per docs text before chunking: the tokenizer's specials + text + EOS."""
    eos = tokenizer.eos_token_id
    return [len(ids) + (eos is not None and (not ids or ids[-1] != eos))
            for ids in _ids(tokenizer, [r.data["text"] for r in rows])]


def length_stats(lengths: list[int], sequence_len: int) -> dict:
    """count/min/median/p95/max, rows over sequence_len, and a histogram in quarters of it."""
    if not lengths:
        return {"count": 0}
    s = sorted(lengths)
    hist, lo = [], 0
    for hi in (sequence_len * q // 4 for q in (1, 2, 3, 4)):
        hist.append({"range": f"{lo + 1}-{hi}", "rows": sum(lo < n <= hi for n in s)})
        lo = hi
    hist.append({"range": f">{sequence_len}", "rows": sum(n > sequence_len for n in s)})
    return {"count": len(s), "min": s[0], "median": statistics.median_low(s),
            "p95": s[math.ceil(0.95 * len(s)) - 1], "max": s[-1], "over": hist[-1]["rows"],
            "tokens": sum(s), "histogram": hist}


def duplicate_rows(rows: list[Row]) -> list[str]:
    """Identical rows: trained twice (Axolotl's dataset_exact_deduplication is off by default)."""
    first: dict[str, Row] = {}
    out = []
    for r in rows:
        key = stable_hash(json.dumps([r.data.get(k, "") for k in ("instruction", "input", "output")]))
        if key in first:
            out.append(f"{r.where} repeats {first[key].where}")
        first.setdefault(key, r)
    return out


def near_duplicate_outputs(rows: list[Row], threshold: float) -> list[str]:
    """Near-copies among *distinct* outputs: one answer asked two ways (collect's skeleton
    twin) is by design; a renamed or reformatted copy of an answer is not."""
    first: dict[str, Row] = {}
    for r in rows:
        first.setdefault(r.data["output"], r)
    reps = cluster_near_duplicates([(r.where, out) for out, r in first.items()], threshold)
    return [f"{k} ~ {rep}" for k, rep in reps.items() if k != rep]


def leaks(train: list[Row], test: list[Row], threshold: float) -> list[str]:
    pairs = find_leaks([r.data["output"] for r in train], [r.data["output"] for r in test], threshold)
    return [f"{train[i].where} ~ {test[j].where}" for i, j in pairs]


def schedule(rows: int, micro_batch_size: int, gradient_accumulation_steps: int, num_devices: int,
             num_epochs: float, max_steps: int | None) -> dict:
    batch = micro_batch_size * gradient_accumulation_steps * num_devices
    per_epoch = math.ceil(rows / batch) if rows else 0
    if max_steps:
        total, epochs = max_steps, (max_steps / per_epoch if per_epoch else 0.0)
    else:
        total, epochs = math.ceil(per_epoch * num_epochs), float(num_epochs)
    return {"sequences": rows, "effective_batch": batch, "steps_per_epoch": per_epoch,
            "total_steps": total, "epochs": round(epochs, 3)}


def long_rows(rows: list[Row], sequence_len: int, strategy: str) -> tuple[list[Row], str | None, bool]:
    """(rows Axolotl trains on, problem text or None, is it an error) per excess_length_strategy."""
    long = [r for r in rows if r.tokens > sequence_len]
    kept = rows if strategy == "truncate" else [r for r in rows if MIN_SAMPLE_LEN <= r.tokens <= sequence_len]
    if not long:
        return kept, None, False
    fate = {"drop": "would be DROPPED by Axolotl",
            "truncate": "would be TRUNCATED (the answer's end and EOS lost)"}.get(
        strategy, f"make Axolotl abort (excess_length_strategy: {strategy})")
    text = problem(f"{len(long)} of {len(rows)} training rows exceed sequence_len {sequence_len} and {fate}: "
                   f"raise sequence_len to {max(r.tokens for r in long)} or shorten them (tokens):",
                   [f"{r.where} ({r.tokens})" for r in long])
    return kept, text, strategy == "raise" or len(long) == len(rows) or len(long) > len(rows) / 2


# ---------------------------------------------------------------- the check

def check_dataset(data_dir: Path, tokenizer_path: str | Path, sequence_len: int, *, micro_batch_size: int = 1,
                  gradient_accumulation_steps: int = 1, num_epochs: float = 1, max_steps: int | None = None,
                  num_devices: int = 1, include_docs: bool = False, near_duplicate_threshold: float = 0.8,
                  tokenizer: Any = None, excess_length_strategy: str = "drop") -> CheckReport:
    data_dir = Path(data_dir)
    rep = CheckReport(stats={"data_dir": str(data_dir), "sequence_len": sequence_len,
                             "excess_length_strategy": excess_length_strategy})
    E, W = rep.errors, rep.warnings

    def load(name: str) -> list[Row] | None:
        path = data_dir / name
        if not path.is_file():
            return None
        rows, bad = read_rows(path)
        if bad:
            E.append(problem(f"{name}: {len(bad)} unreadable line(s); fix or delete them:", bad))
        return rows

    train_file, test_rows = load("train.jsonl"), load("test.jsonl") or []
    feedback_rows = load("feedback.jsonl") or []  # corrections from use: training data too
    docs_rows = (load("docs.jsonl") or []) if include_docs else []
    rep.stats["rows"] = {"train": len(train_file or []), "feedback": len(feedback_rows),
                         "test": len(test_rows), "docs": len(docs_rows)}

    train, malformed, empty = validate_alpaca((train_file or []) + feedback_rows)
    test, bad_test, empty_test = validate_alpaca(test_rows)
    if malformed + bad_test:
        E.append(problem("rows need string 'instruction' and 'output' ('input' optional); fix or delete:",
                         malformed + bad_test))
    if empty + empty_test:
        E.append(problem("empty outputs: the model would learn to answer nothing; fill in or delete:",
                         empty + empty_test))
    docs, bad_docs, empty_docs = validate_docs(docs_rows)
    if bad_docs:
        E.append(problem("docs rows need a string 'text'; fix or delete:", bad_docs))
    if empty_docs:
        W.append(problem("blank docs texts train nothing; delete them:", empty_docs))
    if include_docs and not (data_dir / "docs.jsonl").is_file():
        W.append("include_docs is set but docs.jsonl is missing: collect with documents or drop include_docs")

    if train_file is None:
        E.append(f"{data_dir / 'train.jsonl'} not found: run gh-ft collect first")
    elif not train:
        E.append("no usable training rows in train.jsonl: nothing to train on; fix it or re-run gh-ft collect")
    elif len(train) < 10:
        W.append(f"only {len(train)} training rows: too few to learn from; add sources or feedback")
    if not test:
        W.append("test split is empty: the run cannot be scored; collect with a test fraction above 0")

    found = leaks(train, test, near_duplicate_threshold)
    dups = duplicate_rows(train)
    near = near_duplicate_outputs(train, near_duplicate_threshold)
    rep.stats.update(leaks=len(found), duplicates=len(dups), near_duplicates=len(near))
    if found:
        E.append(problem(f"{len(found)} train/test leak(s): test answers (near-)copied into training make test "
                         "scores measure memorisation; delete the training copy (train ~ test):", found))
    if dups:
        W.append(problem(f"{len(dups)} exact duplicate row(s) would be trained twice; delete the repeats:", dups))
    if near:
        W.append(problem(f"{len(near)} training output(s) near-copy another (renamed/reformatted) and overweight "
                         "one solution; keep one of each:", near))

    if tokenizer is None:
        try:
            tokenizer = load_tokenizer(tokenizer_path)
        except Exception as e:  # missing folder, bad files, repo id not in the cache: all the same to the user
            E.append(f"base model tokenizer not found locally at {tokenizer_path}: run gh-ft tiny-model or "
                     f"download the model first ({type(e).__name__})")
    sequences, per_epoch = len(train), None
    if tokenizer is not None:
        sequences, per_epoch = _measure(rep, tokenizer, train, test, docs, sequence_len, excess_length_strategy)
    t = rep.stats["training"] = schedule(sequences, micro_batch_size, gradient_accumulation_steps, num_devices,
                                         num_epochs, max_steps)
    if per_epoch is not None:
        t.update(tokens_per_epoch=per_epoch, total_tokens=round(per_epoch * t["epochs"]))
    return rep


def _measure(rep: CheckReport, tokenizer: Any, train: list[Row], test: list[Row], docs: list[Row],
             sequence_len: int, strategy: str) -> tuple[int, int]:
    """Token stats into rep; returns (sequences Axolotl trains on per epoch, their tokens)."""
    for rows in (train, test):
        for r, n in zip(rows, alpaca_lengths(tokenizer, rows)):
            r.tokens = n
    tokens = rep.stats["tokens"] = {"train": length_stats([r.tokens for r in train], sequence_len),
                                    "test": length_stats([r.tokens for r in test], sequence_len)}
    kept, text, is_error = long_rows(train, sequence_len, strategy)
    if text:
        (rep.errors if is_error else rep.warnings).append(text)
    if tokens["test"].get("over"):
        rep.warnings.append(f"{tokens['test']['over']} test row(s) exceed sequence_len {sequence_len}: Axolotl "
                            "drops them from eval; raise sequence_len or shorten them")
    sequences, per_epoch = len(kept), sum(min(r.tokens, sequence_len) for r in kept)
    if docs:
        lengths = completion_lengths(tokenizer, docs)
        cap = COMPLETION_MAX_FACTOR * sequence_len
        sizes = [min(n, cap) for n in lengths]
        # Split into sequence_len chunks; a last chunk under MIN_SAMPLE_LEN tokens is filtered out.
        chunks = sum(n // sequence_len + (n % sequence_len >= MIN_SAMPLE_LEN) for n in sizes)
        cut = sum(n > cap for n in lengths)
        stats = length_stats(lengths, sequence_len)
        stats.pop("over", None)  # long texts are split, not dropped
        tokens["docs"] = {**stats, "chunks": chunks, "cut": cut}
        sequences, per_epoch = sequences + chunks, per_epoch + sum(sizes)
        if cut:
            rep.warnings.append(f"{cut} docs text(s) exceed {cap} tokens (64 x sequence_len); Axolotl loses "
                                "the rest: split them")
    return sequences, per_epoch


# ---------------------------------------------------------------- text report

def render_report(rep: CheckReport) -> str:
    s = rep.stats
    lines = [f"gh-ft check {s.get('data_dir', '')}: {'OK' if rep.ok else 'FAILED'} "
             f"({len(rep.errors)} errors, {len(rep.warnings)} warnings)",
             f"{'rows':<13}" + "  ".join(f"{k} {v}" for k, v in s.get("rows", {}).items())]
    tokens = s.get("tokens", {})
    for split in ("train", "test", "docs"):
        t = tokens.get(split, {})
        if t.get("count"):
            tail = f"chunks {t['chunks']}" if split == "docs" else f"over {t['over']}"
            lines.append(f"{split + ' tokens':<13}min {t['min']}  median {t['median']}  p95 {t['p95']}  "
                         f"max {t['max']}  {tail}  (sequence_len {s['sequence_len']})")
    hist = tokens.get("train", {}).get("histogram")
    if hist:
        top = max(h["rows"] for h in hist) or 1
        lines.append("train lengths (tokens: rows)")
        lines += [f"  {h['range']:>12}: {h['rows']:>5} {'#' * round(30 * h['rows'] / top)}" for h in hist]
    t = s.get("training")
    if t:
        lines.append(f"{'training':<13}{t['sequences']} sequences / batch {t['effective_batch']} = "
                     f"{t['steps_per_epoch']} steps per epoch; {t['total_steps']} steps, {t['epochs']} epochs"
                     + (f", {t['total_tokens']} tokens" if "total_tokens" in t else ""))
    for title, items in (("errors (fix before training)", rep.errors), ("warnings", rep.warnings)):
        if items:
            lines.append(f"{title}:")
            lines += ["  - " + m.replace("\n", "\n    ") for m in items]
    return "\n".join(lines) + "\n"


def run_check(settings) -> CheckReport:
    """`gh-ft check` for a settings object: the preset's sequence length and schedule,
    the base model's tokenizer, the dataset folder the settings name."""
    from gh_ft.train.config import load_preset
    from gh_ft.train.prepare import include_docs, resolve_base_model

    preset = load_preset(settings.train.preset, settings.project_dir)
    base = resolve_base_model(preset, settings)
    v = preset.values
    return check_dataset(settings.data_dir, base, v["sequence_len"], micro_batch_size=v["micro_batch_size"],
                         gradient_accumulation_steps=v["gradient_accumulation_steps"], num_epochs=v["num_epochs"],
                         max_steps=v["max_steps"], include_docs=include_docs(preset, settings),
                         excess_length_strategy=v["excess_length_strategy"],
                         near_duplicate_threshold=settings.collect.near_duplicate_threshold)

