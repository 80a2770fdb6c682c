"""Judge throughput: components/s through the ladder (extract, syntax, structure and,
when the API index is present, API), on generated components.

    python benchmarks/judge.py [--components 1000]
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.corpus import HEADER, make_component  # noqa: E402
from gh_ft.evaluate.judge import judge  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--components", type=int, default=1000)
    args = ap.parse_args()
    rng = random.Random(11)
    files = [HEADER.format(ns=f".P{i % 7}") + make_component(i, rng)[1] + "}\n" for i in range(args.components)]
    judge(files[0])  # load the parser and the API index outside the timing
    t0 = time.perf_counter()
    results = [judge(code) for code in files]
    seconds = time.perf_counter() - t0
    stages = sorted({s.stage for r in results for s in r.stages}, key=["extract", "syntax", "structure", "api",
                                                                       "compile"].index)
    verdicts = Counter(r.verdict for r in results)
    print(f"{args.components} generated components through {' + '.join(stages)}: {seconds:.2f} s "
          f"= {args.components / seconds:.0f} components/s; verdicts {dict(verdicts)}")


if __name__ == "__main__":
    main()
