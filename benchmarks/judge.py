"""Judge throughput on generated components: the four stages without a compiler (extract,
syntax, structure, API) and the batched compile stage (mcs against the reference assembly).

    python benchmarks/judge.py [--components 1000] [--faulty 0.1] [--jobs N]

`--faulty` turns that fraction of the components into ones the compiler must reject or
cannot judge (a wrong argument type, a declaration that names a library type, C# 8), so
that the batches need more than one compiler call, as a model's answers would.
"""
from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.corpus import HEADER, make_component  # noqa: E402
from gh_ft.judge.ladder import FAIL, judge, judge_many  # noqa: E402

_SOLVE = re.compile(r"(void SolveInstance\(IGH_DataAccess DA\)\s*\{)")
_FAULTS = [
    # a wrong argument type: only the compiler sees it
    lambda code: _SOLVE.sub(r'\1\n            double wrong = Point3d.Origin.DistanceTo("origin");', code, count=1),
    # a field of a library type: a declaration-level error, which stops mcs before the bodies
    lambda code: code.replace("        public override Guid ComponentGuid",
                              "        private ThirdParty.Widget _widget;\n        public override Guid ComponentGuid", 1),
    # C# 8: named before compiling, never handed to mcs
    lambda code: _SOLVE.sub(r"\1\n            var mode = count switch { 0 => 1, _ => 2 };", code, count=1),
]


def corpus(n: int, faulty: float, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    files = [HEADER.format(ns=f".P{i % 7}") + make_component(i, rng)[1] + "}\n" for i in range(n)]
    for i in rng.sample(range(n), int(n * faulty)):
        files[i] = _FAULTS[i % len(_FAULTS)](files[i])
    return files


def rate(n: int, seconds: float) -> str:
    return f"{seconds:.2f} s = {n / seconds:.0f} components/s"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--components", type=int, default=1000)
    ap.add_argument("--faulty", type=float, default=0.1, help="fraction of components with a fault (0..1)")
    ap.add_argument("--jobs", type=int, default=None, help="parallel mcs calls (default: one per core, up to 4)")
    args = ap.parse_args()
    n = args.components
    clean = corpus(n, 0.0)
    mixed = corpus(n, args.faulty)

    judge(clean[0], compile=False)  # load the parser and the API index outside the timing
    t0 = time.perf_counter()
    judged = judge_many(clean, compile=False)
    seconds = time.perf_counter() - t0
    print(f"{n} generated components through extract + syntax + structure + api: {rate(n, seconds)}; "
          f"verdicts {dict(Counter(j.verdict for j in judged))}")

    from gh_ft.judge.compile import Compiler, CompileUnavailable
    t0 = time.perf_counter()
    try:
        compiler = Compiler(jobs=args.jobs, progress=lambda m: print(m, file=sys.stderr))
    except CompileUnavailable as e:
        print(f"compile stage skipped: {e}")
        return
    print(f"reference assembly ready in {time.perf_counter() - t0:.2f} s ({compiler.ref.dll})")
    with compiler:
        for label, files in (("clean", clean), (f"{args.faulty:.0%} faulty", mixed)):
            ready = [j for j in judge_many(files, compile=False) if j.verdict != FAIL]
            t0 = time.perf_counter()
            results = compiler.compile([j.code for j in ready], [j.tree for j in ready])
            seconds = time.perf_counter() - t0
            print(f"{len(ready)} components ({label}) through the batched compile stage, {compiler.jobs} mcs "
                  f"call(s) at a time: {rate(len(ready), seconds)}; verdicts "
                  f"{dict(Counter(r.verdict for r in results))}")
        t0 = time.perf_counter()
        judged = judge_many(mixed)
        seconds = time.perf_counter() - t0
        print(f"{n} components ({args.faulty:.0%} faulty) through the whole ladder (a-e): {rate(n, seconds)}; "
              f"verdicts {dict(Counter(j.verdict for j in judged))}, "
              f"final stages {dict(Counter(j.stage for j in judged))}")


if __name__ == "__main__":
    main()
