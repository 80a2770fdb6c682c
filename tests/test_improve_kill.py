"""`gh-ft improve` survives SIGKILL at any point: rounds with fast stand-in steps (real file
work: run folders, reports, bundles in the outbox) are killed at random moments, over and
over. After each kill the registry parses, the promoted version is a complete run, runs/latest
points at it, the outbox's pointer names a bundle that verifies, and no partial bundle is
published; the next round resumes and ends with nothing left in progress."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gh_ft.export.bundle import verify_bundle
from gh_ft.files import sha256_file
from gh_ft.loop.registry import IN_PROGRESS, Registry, current_row
from gh_ft.serve.outbox import BUNDLE_SUFFIX, read_pointer

HERE = Path(__file__).resolve().parent
CHILD = HERE / "improve_kill_child.py"
KILLS = 50


def _start(root: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, str(CHILD), str(root)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)


def _phases(root: Path, pid: int) -> list[str]:
    log = root / "phases.log"
    lines = log.read_text().splitlines() if log.is_file() else []
    return [ln.split()[1] for ln in lines if ln.split()[0] == str(pid) and len(ln.split()) == 2]


def _check_consistent(root: Path) -> dict:
    reg = Registry(root / "runs")
    rows = reg.rows()  # parses, or RegistryError fails the test
    cur = current_row(rows)
    if cur is not None:
        run = reg.run_dir(cur)
        assert run is not None and (run / "COMPLETE").is_file(), f"promoted v{cur['version']} is partial"
        latest = reg.read_latest()
        assert latest == cur["run_dir"], (latest, cur["run_dir"])
    outbox = root / "outbox"
    pointer = read_pointer(outbox) if outbox.is_dir() else None
    if pointer is not None:
        bundle = outbox / pointer["bundle"]
        assert bundle.is_file() and sha256_file(bundle) == pointer["sha256"]
        promoted_ever = {r["version"] for r in rows if r.get("promotions")}
        assert pointer["model_version"] in promoted_ever
    for bundle in outbox.glob(f"*{BUNDLE_SUFFIX}") if outbox.is_dir() else []:
        verify_bundle(bundle)  # every bundle under its final name is whole
    return {"rows": rows, "current": cur, "pointer": pointer}


@pytest.mark.slow
def test_the_loop_survives_sigkill_at_random_points(tmp_path):
    rng = random.Random(1234)
    root = tmp_path
    (root / "data.txt").write_text("data-0")
    t0 = time.monotonic()
    clean = _start(root)
    assert clean.wait(timeout=120) == 0, clean.stdout.read().decode()
    round_s = time.monotonic() - t0
    killed, interrupted, i = 0, [], 0
    targets = ["ingest", "train", "evaluate", "publish", None]  # None: any moment of the round
    steps = set(t for t in targets if t)
    while (killed < KILLS or not steps <= set(interrupted)) and i < 4 * KILLS:
        i += 1
        (root / "data.txt").write_text(f"data-{i}")  # new data: every round has a version to train
        child = _start(root)
        # After KILLS kills, only the steps no kill has landed in yet: a short step (publish
        # runs only when the gate promotes, and takes milliseconds) is then aimed at until hit.
        missing = sorted(steps - set(interrupted)) if killed >= KILLS else []
        target = missing[i % len(missing)] if missing else targets[i % len(targets)]
        if target is None:
            time.sleep(rng.uniform(0.0, round_s))
        else:  # wait until the round begins that step, then kill it somewhere inside (or just after)
            while child.poll() is None and target not in _phases(root, child.pid):
                time.sleep(0.002)
            time.sleep(rng.uniform(0.0, 0.01 if missing else 0.06))
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
            killed += 1
        child.wait(timeout=60)
        phases = _phases(root, child.pid)
        interrupted.append(phases[-1] if phases else "start-up")
        _check_consistent(root)
    assert killed >= KILLS, f"only {killed} of {i} rounds were killed mid-way"
    # The kills landed in every step of a round (the last step each had begun when killed).
    assert {"ingest", "train", "evaluate", "publish"} <= set(interrupted), sorted(set(interrupted))
    for _ in range(2):  # the next rounds resume: they finish, and nothing is left in progress
        (root / "data.txt").write_text(f"data-final-{_}")
        child = _start(root)
        assert child.wait(timeout=120) == 0, child.stdout.read().decode()
    state = _check_consistent(root)
    assert not [r for r in state["rows"] if r.get("verdict") in IN_PROGRESS]
    assert state["current"] is not None and state["pointer"] is not None
    assert state["pointer"]["model_version"] == state["current"]["version"]
    leftovers = [p.name for p in (root / "outbox").iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []  # temp files of killed publishes are swept by the next publish
