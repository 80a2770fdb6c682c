"""Evaluation metrics, as pure functions of judged samples and timings.

A sample's judgement is read as {stage: verdict} in ladder order (a Judgement, its
to_dict(), or that mapping itself), so any list of stages works, a compile stage
included. A stage *passes* when it is reached and not failed ("unknown" passes: what
one file cannot decide is not held against the model); the ladder stops at the first
failure, so the stages after it are "not reached".
"""
from __future__ import annotations

import math
from collections import Counter
from typing import Any, Iterable, Mapping, Sequence

PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"
NOT_REACHED = "not_reached"


def stage_verdicts(judgement: Any) -> dict[str, str]:
    """{stage: verdict} of a Judgement, a Judgement.to_dict(), or such a mapping."""
    stages = getattr(judgement, "stages", None)
    if isinstance(stages, list):
        return {s.stage: s.verdict for s in stages}
    if isinstance(judgement, Mapping) and isinstance(judgement.get("stages"), Mapping):
        return dict(judgement["stages"])
    return dict(judgement)


def stage_order(samples: Iterable[Mapping[str, str]], known: Sequence[str] = ()) -> list[str]:
    """Every stage seen, in ladder order: samples that went further list more stages."""
    order = list(known)
    for stages in sorted(samples, key=len, reverse=True):
        for i, name in enumerate(stages):
            if name not in order:
                before = list(stages)[:i]
                at = max((order.index(b) + 1 for b in before if b in order), default=len(order))
                order.insert(at, name)
    return order


def passed(stages: Mapping[str, str], stage: str) -> bool:
    return stage in stages and stages[stage] != FAIL


def stage_counts(samples: Sequence[Mapping[str, str]], stages: Sequence[str]) -> list[dict]:
    """Per stage: pass/unknown/fail/not_reached counts and the pass rate (pass + unknown)."""
    rows = []
    for stage in stages:
        c = Counter(s.get(stage, NOT_REACHED) for s in samples)
        ok = c[PASS] + c[UNKNOWN]
        rows.append({"stage": stage, PASS: c[PASS], UNKNOWN: c[UNKNOWN], FAIL: c[FAIL],
                     NOT_REACHED: c[NOT_REACHED], "passed": ok,
                     "pass_rate": ok / len(samples) if samples else 0.0})
    return rows


def funnel(samples: Sequence[Mapping[str, str]], stages: Sequence[str]) -> list[tuple[str, int]]:
    """How many samples are still standing after each stage (passed it and all before)."""
    return [(stage, sum(all(passed(s, st) for st in stages[:i + 1]) for s in samples))
            for i, stage in enumerate(stages)]


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from n samples of which c are correct (Chen et al. 2021, Codex):
    1 - C(n-c, k) / C(n, k), as a product so large n neither overflows nor loses precision."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n (n={n}, c={c}, k={k})")
    if n - c < k:
        return 1.0
    prod = 1.0
    for i in range(n - c + 1, n + 1):
        prod *= 1.0 - k / i
    return 1.0 - prod


def mean_pass_at_k(per_task: Sequence[tuple[int, int]], ks: Sequence[int]) -> dict[int, float]:
    """Mean over tasks of pass@k; per_task holds (n, c). A k larger than n is left out."""
    out = {}
    for k in ks:
        vals = [pass_at_k(n, c, k) for n, c in per_task if k <= n]
        if vals:
            out[k] = sum(vals) / len(vals)
    return out


def _char_ngrams(text: str, n: int) -> Counter:
    return Counter(text[i:i + n] for i in range(len(text) - n + 1))


def chrf(hypothesis: str, reference: str, n: int = 6, beta: float = 2.0) -> float:
    """chrF (Popović 2015) in 0..100, as sacrebleu computes it: whitespace removed; character
    n-gram precision and recall for orders 1..n, averaged over the orders both texts have;
    then F-beta (beta 2: recall weighs more, a missing part costs more than an extra one)."""
    hyp, ref = "".join(hypothesis.split()), "".join(reference.split())
    if not hyp or not ref:
        return 100.0 if hyp == ref else 0.0
    precisions, recalls = [], []
    for order in range(1, n + 1):
        h, r = _char_ngrams(hyp, order), _char_ngrams(ref, order)
        if not h or not r:
            continue  # an order one text is too short for says nothing
        match = sum((h & r).values())
        precisions.append(match / sum(h.values()))
        recalls.append(match / sum(r.values()))
    p, r = sum(precisions) / len(precisions), sum(recalls) / len(recalls)
    if p + r == 0:
        return 0.0
    b2 = beta * beta
    return 100.0 * (1 + b2) * p * r / (b2 * p + r)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), interpolated linearly between order statistics."""
    if not values:
        return 0.0
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def timing_stats(tokens: Sequence[int], seconds: Sequence[float]) -> dict[str, float]:
    """Mean tokens/s (per sample, then averaged) and latency percentiles in seconds."""
    rates = [t / s for t, s in zip(tokens, seconds) if s > 0]
    return {"tokens_per_second": sum(rates) / len(rates) if rates else 0.0,
            "mean_tokens": sum(tokens) / len(tokens) if tokens else 0.0,
            "latency_p50": percentile(seconds, 50), "latency_p90": percentile(seconds, 90),
            "latency_p99": percentile(seconds, 99), "latency_max": max(seconds, default=0.0)}


def summarize(tasks: Sequence[Sequence[Mapping[str, str]]], chrfs: Sequence[float], tokens: Sequence[int],
              seconds: Sequence[float], ks: Sequence[int], stages: Sequence[str]) -> dict:
    """Aggregates of one model over tasks × samples: stage counts and funnel over all samples,
    pass@k per stage over tasks (a sample counts for stage s when it passed s), chrF of
    the first sample per task, timings over all samples."""
    flat = [s for samples in tasks for s in samples]
    per_stage = {stage: mean_pass_at_k([(len(ss), sum(passed(s, stage) for s in ss)) for ss in tasks], ks)
                 for stage in stages}
    final = stages[-1] if stages else None
    return {
        "tasks": len(tasks), "samples": len(flat),
        "stages": stage_counts(flat, stages),
        "funnel": [{"stage": s, "standing": c} for s, c in funnel(flat, stages)],
        "pass_rate": {row["stage"]: row["pass_rate"] for row in stage_counts(flat, stages)},
        "pass_at_k": {str(k): v for k, v in per_stage.get(final, {}).items()} if final else {},
        "pass_at_k_by_stage": {st: {str(k): v for k, v in d.items()} for st, d in per_stage.items()},
        "chrf": sum(chrfs) / len(chrfs) if chrfs else 0.0,
        **timing_stats(tokens, seconds),
    }


def difference(model: Mapping[str, Any], baseline: Mapping[str, Any]) -> dict:
    """model − baseline for the comparable aggregates (positive: the model is better,
    except for latencies, where positive means slower)."""
    def sub(a: Mapping, b: Mapping) -> dict:
        return {key: a[key] - b[key] for key in a if key in b}

    keys = ("chrf", "tokens_per_second", "latency_p50", "latency_p90")
    return {"pass_rate": sub(model["pass_rate"], baseline["pass_rate"]),
            "pass_at_k": sub(model["pass_at_k"], baseline["pass_at_k"]),
            **{key: model[key] - baseline[key] for key in keys if key in model and key in baseline}}
