"""`gh-ft improve`: the loop that turns the plugin's feedback into better served models.

One round: ingest feedback → (enough new examples?) → train a new version → evaluate it
and the promoted model on the same test tasks → the gate (gate.py) → promote: the registry
records it, `runs/latest` follows, the served Ollama name and the outbox follow (publish).
A version that fails, is interrupted or is worse leaves the promoted model untouched.

The steps come in as functions (`Steps`), so the loop itself is plain control flow over the
registry; `real_steps` wires in feedback ingestion, Axolotl training, the judge plus the
test-set loss, and publishing. One loop at a time: `run_loop` holds `runs/.improve.lock` for
as long as it runs. SIGTERM/SIGHUP ask the loop to stop: the step under way finishes
(training is stopped the way Ctrl-C stops it: Axolotl saves, then exits), nothing after it
starts, and the version in progress is recorded as interrupted.
"""
from __future__ import annotations

import contextlib
import json
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, TextIO

from gh_ft.files import LockBusy, file_lock
from gh_ft.loop.gate import Scores, decide
from gh_ft.loop.registry import (EVALUATING, FAILED, IN_PROGRESS, INTERRUPTED, PROMOTED, REJECTED, Registry, RegistryError,
                   current_row, find_row, last_trained_row, now_iso, tag)
from gh_ft.settings import Settings

IMPROVE_LOCK = ".improve.lock"
EXIT_BUSY = 3                    # another loop holds the lock (same code as a busy `feedback ingest`)
INTERRUPT_CODES = (129, 130, 143)  # training stopped by SIGHUP, SIGINT, SIGTERM

Echo = Callable[[str], None]


class Stopped(Exception):
    """A stop was asked for; raised between steps."""


class StopSignal:
    """Set by SIGTERM or SIGHUP; the loop looks at it between steps. A second signal aborts
    at once (KeyboardInterrupt), for a stuck step."""

    def __init__(self) -> None:
        self.reason: str | None = None

    def __bool__(self) -> bool:
        return self.reason is not None

    def request(self, reason: str) -> None:
        self.reason = self.reason or reason

    def check(self, before: str) -> None:
        if self.reason:
            raise Stopped(f"{self.reason}: stopped before {before}")

    def sleep(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True as soon as a stop is asked for."""
        end = time.monotonic() + seconds
        while not self.reason and (left := end - time.monotonic()) > 0:
            time.sleep(min(left, 0.2))
        return bool(self.reason)

    @contextlib.contextmanager
    def installed(self) -> Iterator["StopSignal"]:
        if threading.current_thread() is not threading.main_thread():
            yield self
            return

        def handler(signum: int, _frame: object) -> None:
            if self.reason:
                raise KeyboardInterrupt(signum)
            self.request(signal.Signals(signum).name)

        old = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGHUP)}
        try:
            yield self
        finally:
            for s, h in old.items():
                signal.signal(s, h)


@dataclass(frozen=True)
class ModelRef:
    """A model to evaluate: a base model (folder or hub id) plus an optional LoRA adapter."""
    model: str
    adapter: str | None
    label: str                   # "v3", or "base" before anything was promoted


@dataclass
class TrainOutcome:
    run_dir: Path
    exit_code: int
    metrics: dict | None
    config: dict                 # preset, base_model, axolotl_yml_sha256, ...


@dataclass
class IngestSummary:
    accepted: int                # rows added this round
    total: int                   # feedback rows in the dataset now
    lines: list[str] = field(default_factory=list)


@dataclass
class DataState:
    files: dict[str, str | None]  # sha256 of each file training reads
    data_hash: str
    test_sha256: str | None


@dataclass
class Steps:
    ingest: Callable[[], IngestSummary]
    data_state: Callable[[], DataState]
    train: Callable[[int], TrainOutcome]                   # version -> its run
    evaluate: Callable[[ModelRef, Path], Scores]           # model, report folder -> scores
    publish: Callable[[dict, Path], dict]                  # promoted row, its run folder -> what was done
    scores_key: Callable[[DataState], str] = lambda state: state.test_sha256 or ""


@dataclass
class RoundResult:
    outcome: str                 # nothing | promoted | rejected | failed | interrupted | stopped
    version: int | None
    message: str

    @property
    def exit_code(self) -> int:
        return 1 if self.outcome == FAILED else 0


def model_ref(run_dir: Path, base_model: str, label: str) -> ModelRef:
    """How to load a run's model: base + its LoRA adapter, or the full fine-tuned output."""
    out = Path(run_dir) / "output"
    if (out / "adapter_config.json").is_file():
        return ModelRef(base_model, str(out), label)
    if (out / "config.json").is_file():
        return ModelRef(str(out), None, label)
    raise FileNotFoundError(f"{run_dir} holds no trained model (no output/adapter_config.json or output/config.json)")


def train_summary(metrics: dict | None) -> dict:
    m = metrics or {}
    return {k: m.get(k) for k in ("steps", "first_loss", "final_loss", "eval_loss", "train_runtime") if k in m}


class ImproveLoop:
    """The rounds of one loop process; the caller holds the loop lock."""

    def __init__(self, settings: Settings, runs_dir: Path, steps: Steps, *, echo: Echo = print,
                 stop: StopSignal | None = None) -> None:
        self.s = settings
        self.registry = Registry(Path(runs_dir))
        self.steps = steps
        self.echo = echo
        self.stop = stop if stop is not None else StopSignal()

    def say(self, message: str) -> None:
        self.echo(f"[{now_iso()}] {message}")

    # -- housekeeping at every start of a round
    def recover(self) -> None:
        """Versions a crash or a kill left "training"/"evaluating" become "interrupted"; a
        promotion whose runs/latest switch or publishing did not happen is completed."""
        reg = self.registry
        with reg.edit() as rows:
            for r in rows:
                if r.get("verdict") in IN_PROGRESS:
                    r["reason"] = f"the loop stopped while {r['verdict']} (crash or kill)"
                    r["verdict"] = INTERRUPTED
                    r["run_dir"] = r.get("run_dir") or self._orphan_run(rows, r)
        reg.sync_latest()

    def _orphan_run(self, rows: list[dict], row: dict) -> str | None:
        """The run folder an interrupted version's training made before it could be recorded:
        made by `gh-ft improve` at or after the row, and claimed by no row."""
        claimed = {r.get("run_dir") for r in rows}
        for folder in sorted(self.registry.runs_dir.iterdir()):
            info = folder / "run.json"
            if folder.name in claimed or folder.is_symlink() or not info.is_file():
                continue
            with contextlib.suppress(OSError, ValueError):
                data = json.loads(info.read_text(encoding="utf-8"))
                if "improve" in data.get("argv", []) and data.get("created", "") >= row.get("created", "~"):
                    return folder.name
        return None

    def serve(self) -> dict | None:
        """Publish the current version unless it is already published for its latest
        promotion (a rollback promotes again, so it is published again)."""
        reg = self.registry
        cur = reg.current()
        if cur is None:
            return None
        seq = max(p["seq"] for p in cur["promotions"])
        done = cur.get("published") or {}
        if done.get("seq") == seq and not done.get("pending"):
            return done
        self.say(f"publishing {tag(cur['version'])}")
        try:
            record = self.steps.publish(cur, reg.run_dir(cur))
        except Exception as e:  # noqa: BLE001 - the promotion stands; the next round retries
            record = {"pending": [f"{type(e).__name__}: {e}"], "lines": [f"publishing failed: {e}"]}
        lines = record.pop("lines", [])
        record = {"seq": seq, "at": now_iso(), **record}
        reg.update(cur["version"], published=record)
        for line in lines:
            self.say(f"  {line}")
        return record

    # -- one round
    def round(self) -> RoundResult:
        self._version: int | None = None  # the version this round works on, once it has one
        try:
            self.recover()
            self.serve()
            self.stop.check("ingesting feedback")
            return self._round()
        except Stopped as e:
            version = self._version
            if version is not None:
                self.registry.update(version, verdict=INTERRUPTED, reason=str(e), finished=now_iso())
            self.say(str(e))
            return RoundResult("stopped", version, str(e))
        except BaseException as e:
            version = self._version
            if version is not None:  # never leave a version "training" behind a crash we saw
                with contextlib.suppress(Exception):
                    row = find_row(self.registry.rows(), version)
                    if row and row.get("verdict") in IN_PROGRESS:
                        self.registry.update(version, verdict=INTERRUPTED if isinstance(e, KeyboardInterrupt)
                                             else FAILED, reason=f"{type(e).__name__}: {e}")
            raise

    def _round(self) -> RoundResult:
        reg, imp = self.registry, self.s.improve
        summary = self.steps.ingest()
        for line in summary.lines:
            self.say(line)
        state = self.steps.data_state()
        last = last_trained_row(reg.rows())
        since = f"since {tag(last['version'])}" if last else "so far"
        new = summary.total - (last.get("feedback_examples", 0) if last else 0)
        if new < imp.min_examples:
            return self._nothing(f"{max(new, 0)} new feedback example(s) {since}; {imp.min_examples} needed")
        if last and last.get("data_hash") == state.data_hash:
            return self._nothing(f"the training data is unchanged {since}")
        self.stop.check("training")

        row = reg.add(data=state.files, data_hash=state.data_hash, test_sha256=state.test_sha256,
                      feedback_examples=summary.total, new_examples=new)
        v = self._version = row["version"]
        self.say(f"{tag(v)}: training ({new} new feedback example(s) {since})")
        try:
            outcome = self.steps.train(v)
        except Exception as e:  # noqa: BLE001 - a config error must not stop a watching loop
            reg.update(v, verdict=FAILED, reason=f"training could not start: {e}", finished=now_iso())
            return self._finish(FAILED, v, f"{tag(v)}: training could not start: {e}")
        log = outcome.run_dir / "train.log"
        reg.update(v, run_dir=outcome.run_dir.name, config=outcome.config,
                   metrics={"train": train_summary(outcome.metrics)})
        if outcome.exit_code in INTERRUPT_CODES:
            self.stop.request(f"training stopped (exit {outcome.exit_code})")
            reg.update(v, verdict=INTERRUPTED, reason=f"training stopped by a signal (exit {outcome.exit_code})",
                       finished=now_iso())
            return self._finish(INTERRUPTED, v, f"{tag(v)}: training was stopped; log: {log}")
        if outcome.exit_code != 0:
            reg.update(v, verdict=FAILED, reason=f"training exited with {outcome.exit_code}; log: {log}",
                       finished=now_iso())
            return self._finish(FAILED, v, f"{tag(v)}: training failed (exit {outcome.exit_code}); log: {log}")

        self.stop.check("evaluation")
        reg.update(v, verdict=EVALUATING)
        verdict, metrics, compared = self._judge(v, outcome, state)
        if not verdict.promote:
            reg.update(v, verdict=REJECTED, reason=verdict.reason, metrics=metrics, finished=now_iso())
            return self._finish(REJECTED, v, f"{tag(v)} not promoted ({verdict.reason}); "
                                                f"{compared} stays in service")
        reg.update(v, metrics=metrics, reason=verdict.reason)
        current = metrics["compared_with"]
        try:
            reg.promote(v, by="gate", expected_current=None if current == "base" else int(current[1:]))
        except RegistryError as e:
            reg.update(v, verdict=REJECTED, reason=str(e), finished=now_iso())
            return self._finish(REJECTED, v, f"{tag(v)} not promoted: {e}")
        reg.update(v, finished=now_iso())
        self._version = None  # done: a stop from here on must not mark it interrupted
        self.say(f"{tag(v)} promoted ({verdict.reason}); runs/latest -> {outcome.run_dir.name}")
        self.stop.check("publishing")  # publishing is completed by the next start (serve)
        self.serve()
        self._prune()
        return RoundResult(PROMOTED, v, f"{tag(v)} promoted over {compared}: {verdict.reason}")

    def _judge(self, v: int, outcome: TrainOutcome, state: DataState):
        reg, imp = self.registry, self.s.improve
        key = self.steps.scores_key(state)
        base_model = outcome.config["base_model"]
        candidate = self.steps.evaluate(model_ref(outcome.run_dir, base_model, tag(v)), outcome.run_dir / "gate" / tag(v))
        reg.update(v, scores={key: candidate.to_dict()})
        self.say(f"{tag(v)}: pass rate {candidate.pass_rate:.1%}, test loss {candidate.test_loss:.4f}")
        self.stop.check("evaluating the promoted model")
        cur = current_row(reg.rows())
        if cur is None:
            compared, ref, cached = "base", ModelRef(base_model, None, "base"), None
        else:
            compared = tag(cur["version"])
            ref = model_ref(reg.run_dir(cur), cur["config"]["base_model"], compared)
            cached = (cur.get("scores") or {}).get(key)
        if cached is not None:
            current = Scores.from_dict(cached)
        else:
            current = self.steps.evaluate(ref, outcome.run_dir / "gate" / compared)
            if cur is not None:
                reg.update(cur["version"], scores={**(cur.get("scores") or {}), key: current.to_dict()})
        self.say(f"{compared}: pass rate {current.pass_rate:.1%}, test loss {current.test_loss:.4f}"
                 + (" (cached)" if cached is not None else ""))
        verdict = decide(candidate, current, max_pass_rate_drop=imp.max_pass_rate_drop,
                         max_loss_increase=imp.max_loss_increase)
        metrics = {"train": train_summary(outcome.metrics), "candidate": candidate.to_dict(),
                   "current": current.to_dict(), "compared_with": compared}
        return verdict, metrics, compared

    def _prune(self) -> None:
        keep = self.s.improve.keep_runs
        if keep > 0:
            for row, size in self.registry.prune(keep):
                self.say(f"pruned {tag(row['version'])} ({row['run_dir']}, {size / 1e6:.1f} MB)")

    def _nothing(self, message: str) -> RoundResult:
        self.say(message)
        return RoundResult("nothing", None, message)

    def _finish(self, outcome: str, v: int, message: str) -> RoundResult:
        self.say(message)
        return RoundResult(outcome, v, message)

    # -- many rounds
    def watch(self, interval_s: float) -> None:
        """Rounds every `interval_s` until a stop is asked for; a failed round is logged and
        the next one tried (a service must not die of one bad feedback file)."""
        while not self.stop:
            try:
                self.round()
            except Exception as e:  # noqa: BLE001
                self.say(f"round failed: {type(e).__name__}: {e}")
            if self.stop.sleep(interval_s):
                break
        self.say(f"stopped ({self.stop.reason})")


def lock_holder(runs_dir: Path) -> str:
    """Who holds the loop lock, as far as its file says (the pid written by file_lock)."""
    with contextlib.suppress(OSError):
        pid = (runs_dir / IMPROVE_LOCK).read_text().strip()
        if pid:
            return f"pid {pid}"
    return "another process"


@contextlib.contextmanager
def loop_lock(runs_dir: Path) -> Iterator[None]:
    """The one-loop-at-a-time lock; LockBusy names the holder."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    try:
        with file_lock(runs_dir / IMPROVE_LOCK):
            yield
    except LockBusy:
        raise LockBusy(f"the improve loop is busy: {lock_holder(runs_dir)} holds {runs_dir / IMPROVE_LOCK}") from None


def run_loop(settings: Settings, *, watch: bool, steps: Steps, echo: Echo = print) -> RoundResult | None:
    """`gh-ft improve --once` (one round; its result) or `--watch` (rounds until SIGTERM).
    Raises LockBusy when another loop runs."""
    runs_dir = settings.runs_dir
    with loop_lock(runs_dir), StopSignal().installed() as stop:
        loop = ImproveLoop(settings, runs_dir, steps, echo=echo, stop=stop)
        if watch:
            loop.watch(settings.improve.interval_s)
            return None
        return loop.round()


def rollback(settings: Settings, version: int, *, steps: Steps, echo: Echo = print) -> dict:
    """Serve `version` again: a new promotion event, runs/latest, then publishing."""
    runs_dir = settings.runs_dir
    reg = Registry(runs_dir)
    row = find_row(reg.rows(), version)
    if row is None:
        raise RegistryError(f"no version {tag(version)} in {reg.path}")
    if row.get("verdict") not in (PROMOTED, REJECTED):
        raise RegistryError(f"{tag(version)} has no judged model to serve (it {row.get('verdict')})")
    if row.get("pruned") or not row.get("run_dir"):
        raise RegistryError(f"{tag(version)} was pruned: its run folder is gone")
    cur = reg.current()
    if cur is not None and cur["version"] == version:
        raise RegistryError(f"{tag(version)} is already the promoted version")
    if row.get("verdict") == REJECTED:
        echo(f"note: {tag(version)} was not passed by the gate" + (f" ({row['reason']})" if row.get("reason") else ""))
    reg.promote(version, by="rollback")
    loop = ImproveLoop(settings, runs_dir, steps, echo=echo)
    loop.serve()
    return find_row(reg.rows(), version)


def default_train_echo() -> TextIO | None:
    """Axolotl's output on the terminal when there is one; a service log gets one line per step."""
    return sys.stdout if sys.stdout.isatty() else None
