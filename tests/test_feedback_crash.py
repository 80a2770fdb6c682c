"""Feedback ingestion survives SIGKILL anywhere: a child process runs `ingest_feedback` and is
killed at every write, fsync, rename and archive step in turn (GH_FT_FAULT=<step>:<n>, the
fault hook in gh_ft/files.py), then at random moments (timer kills, sometimes again during
the recovery run), ≥ 200 kills in all. After each crash a normal re-run completes, and the
result is byte for byte what one uninterrupted run gives; every JSONL parses, every valid
example is in feedback.jsonl exactly once or its file is in quarantine, and no near-copy of
a test task got in.

Each ingest that gets killed is a process of its own, forked from a small single-threaded
"zygote" process that imported gh-ft once, so a kill costs a fork, not an interpreter start
(the uninterrupted reference run is a fresh interpreter, and shows no torch is imported)."""
from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from feedback_fixtures import GRACE_S, MAX_FILE_KB, MIN_AGE_S, NOW_OFFSET, World, snapshot
from gh_ft.dataset import find_leaks
from gh_ft.loop.feedback import ingest_feedback, parse_feedback
from gh_ft.files import read_jsonl

ROOT = Path(__file__).resolve().parents[1]
TOTAL_KILLS = 200
STEPS = ("write", "fsync", "rename", "archive")
_INGEST_ARGS = f"min_age_s={MIN_AGE_S}, max_file_kb={MAX_FILE_KB}, incomplete_grace_s={GRACE_S}"

FRESH_PROCESS = f"""
import sys, time
from pathlib import Path
from gh_ft.loop.feedback import ingest_feedback
start = time.perf_counter()
ingest_feedback(Path(sys.argv[1]), Path(sys.argv[2]), now=float(sys.argv[3]), {_INGEST_ARGS})
print(time.perf_counter() - start, "torch" in sys.modules, flush=True)
"""

# Reads "inbox<TAB>data<TAB>now<TAB>fault" lines; forks a child that sets GH_FT_FAULT (or not)
# and ingests; prints the child's pid, waits for a line from the test (which may have killed
# the child by then: it is not reaped before, so the pid cannot be reused), then reaps it and
# prints its exit code (-9: killed).
ZYGOTE = f"""
import os, sys
from pathlib import Path
import gh_ft.files as files
from gh_ft.loop.feedback import ingest_feedback
for line in sys.stdin:
    inbox, data, now, fault = line.rstrip("\\n").split("\\t")
    pid = os.fork()
    if pid == 0:
        if fault:
            os.environ["GH_FT_FAULT"] = fault
        files._FAULT_STEP, files._FAULT_AT = files._fault_spec()
        try:
            ingest_feedback(Path(inbox), Path(data), now=float(now), {_INGEST_ARGS})
        except BaseException:
            import traceback
            traceback.print_exc()
            os._exit(1)
        os._exit(0)
    print(pid, flush=True)
    sys.stdin.readline()
    print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), flush=True)
"""


class Zygote:
    def __init__(self):
        env = {k: v for k, v in os.environ.items() if k != "GH_FT_FAULT"}
        self.proc = subprocess.Popen([sys.executable, "-c", ZYGOTE], cwd=ROOT, env=env, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def ingest(self, root: Path, now: float, fault: str = "", kill_after: float | None = None) -> int:
        """Exit code of one ingest in a child: 0, or -9 when a fault or the timer killed it."""
        self.proc.stdin.write(f"{root / 'inbox'}\t{root / 'data'}\t{now!r}\t{fault}\n")
        self.proc.stdin.flush()
        pid = int(self.proc.stdout.readline())
        if kill_after is not None:
            time.sleep(kill_after)
            os.kill(pid, signal.SIGKILL)  # our unreaped child: running, or a zombie if already done
        self.proc.stdin.write("reap\n")
        self.proc.stdin.flush()
        code = int(self.proc.stdout.readline())
        assert code in (0, -signal.SIGKILL), f"ingest failed with exit code {code}"
        return code

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def ingest_here(root: Path, now: float):
    return ingest_feedback(root / "inbox", root / "data", now=now, min_age_s=MIN_AGE_S, max_file_kb=MAX_FILE_KB,
                           incomplete_grace_s=GRACE_S)


class Checker:
    def __init__(self, world: World, reference: dict[str, bytes]):
        self.reference = reference
        self.expected_rows = list(world.old_feedback)
        for name in world.names("accept"):
            self.expected_rows.append(parse_feedback(world.files[name][0], MAX_FILE_KB * 1024).row())
        self.test_outputs = [r["output"] for r in world.test]
        self.test_instructions = {" ".join(r["instruction"].split()).casefold() for r in world.test}
        self.quarantined = {n: v for n, (_, v) in world.files.items()
                            if v in ("invalid", "incomplete", "near-duplicate", "test-leak")}

    def check(self, root: Path) -> None:
        data, inbox = root / "data", root / "inbox"
        for path in data.glob("*.jsonl*"):  # every JSONL parses (read_jsonl raises otherwise), the backup too
            list(read_jsonl(path))
        rows = list(read_jsonl(data / "feedback.jsonl"))
        assert rows == self.expected_rows  # each valid example once, earlier rows untouched
        for name, verdict in self.quarantined.items():
            reason = (inbox / "quarantine" / (name + ".reason.txt")).read_text()
            assert (inbox / "quarantine" / name).is_file() and reason.startswith(verdict + ":"), name
        assert not find_leaks([r["output"] for r in rows], self.test_outputs)
        assert not any(" ".join(r["instruction"].split()).casefold() in self.test_instructions for r in rows)
        assert not list(data.rglob("*.tmp")) and not list((inbox / "quarantine").glob("*.tmp"))
        got = snapshot(root)
        if got != self.reference:
            differ = sorted(k for k in set(got) | set(self.reference) if got.get(k) != self.reference.get(k))
            pytest.fail(f"state after recovery differs from one clean run in: {differ}")


def test_ingest_survives_sigkill_at_every_step_and_at_random(tmp_path):
    started = time.perf_counter()
    world = World(tmp_path / "template")
    trials = 0

    def fresh() -> tuple[Path, float]:
        nonlocal trials
        trials += 1
        root = tmp_path / f"t{trials}"
        shutil.copytree(world.root, root)
        now = time.time() + NOW_OFFSET
        world.set_ages(now, root / "inbox")
        return root, now

    # The reference: one uninterrupted run in a fresh interpreter.
    root, now = fresh()
    out = subprocess.run([sys.executable, "-c", FRESH_PROCESS, str(root / "inbox"), str(root / "data"), repr(now)],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    assert out[1] == "False"  # the ingest path never imports torch
    reference = snapshot(root)
    checker = Checker(world, reference)
    checker.check(root)
    again = ingest_here(root, now)  # a re-run of a finished ingest changes nothing
    assert again.accepted == 0 and snapshot(root) == reference
    n_quarantined = len(checker.quarantined)
    n_archived = len(world.names("accept")) + len(world.names("duplicate")) + n_quarantined
    n_writes = 2 + n_quarantined  # backup, feedback.jsonl, one reason file each

    zygote = Zygote()
    try:
        # Every step in turn: kill at its 1st, 2nd, ... occurrence until a run gets through.
        kills_at: dict[str, int] = {}
        for step in STEPS:
            n = 1
            while True:
                root, now = fresh()
                if zygote.ingest(root, now, fault=f"{step}:{n}") == 0:
                    break
                ingest_here(root, now)  # the normal re-run
                checker.check(root)
                n += 1
            kills_at[step] = n - 1
        assert kills_at == {"write": n_writes, "fsync": n_writes, "rename": n_writes, "archive": n_archived}

        # Random moments, sometimes killing the recovery run too. The window adapts to the
        # machine's speed: it shrinks when runs get through, grows when kills land too early.
        root, now = fresh()
        t0 = time.perf_counter()
        zygote.ingest(root, now)
        window = 1.2 * (time.perf_counter() - t0)
        checker.check(root)
        rng = random.Random(20250314)
        random_kills = 0
        landed = {"before the first move": 0, "among the moves": 0}
        while sum(kills_at.values()) + random_kills < TOTAL_KILLS:
            root, now = fresh()
            for _ in range(rng.choice((1, 1, 2, 3))):
                if zygote.ingest(root, now, kill_after=rng.uniform(0.0, window)) == 0:
                    window *= 0.9
                    break
                random_kills += 1
                early = len(list((root / "inbox").glob("successful_gen_*.json"))) == len(world.files)
                landed["before the first move" if early else "among the moves"] += 1
                window *= 1.05 if early else 1.0
            ingest_here(root, now)
            checker.check(root)
    finally:
        zygote.close()
    total = sum(kills_at.values()) + random_kills
    print(f"\nfeedback crash test: {total} kills ({kills_at}, {random_kills} at random moments: {landed}) "
          f"over {trials} trials in {time.perf_counter() - started:.1f} s")
    assert total >= TOTAL_KILLS and landed["among the moves"] > 0
