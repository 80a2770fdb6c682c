"""`gh-ft run`: collect → check → train → merge → export → evaluate → Ollama, skipping what is unchanged.

Each stage has a key: a hash of the contents it reads (never modification times) and of the
settings that change its result. After a stage succeeds its key and outputs are recorded in
`<runs_dir>/pipeline.json`; a later run skips a stage whose key is unchanged and whose outputs
still exist. So touching a file skips everything, editing a source reruns collect and whatever
reads what collect changed, and editing a template or a preset reruns from the stage that
renders it. The stages call the same module functions as the single-stage commands.
"""
from __future__ import annotations


import json
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from gh_ft import __version__
from gh_ft.files import atomic_write_json
from gh_ft.settings import Settings
from gh_ft import stages
from gh_ft.errors import GhFtError, StageFailed

STAGES = ("collect", "check", "train", "merge", "export", "evaluate", "ollama")
STATE_FILE = "pipeline.json"
RAN, SKIPPED, FAILED, NOT_REACHED, UNAVAILABLE = "ran", "skipped", "failed", "not reached", "unavailable"


@dataclass
class StageResult:
    name: str
    status: str                 # ran | skipped | failed | not reached | unavailable
    detail: str = ""
    seconds: float = 0.0
    artifacts: dict[str, str] = field(default_factory=dict)


@dataclass
class PipelineResult:
    stages: list[StageResult]
    summary: dict[str, Any]
    state_file: Path

    @property
    def ok(self) -> bool:
        return all(s.status != FAILED for s in self.stages)

    @property
    def artifacts(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for s in self.stages:
            out.update(s.artifacts)
        return out


# ---------------------------------------------------------------- keys (pure apart from reading files)

# ---------------------------------------------------------------- the recorded state (the edge)

class PipelineState:
    """`pipeline.json`: per stage, the key it last succeeded with and its outputs."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        except (OSError, json.JSONDecodeError):
            self.data = {}  # a damaged state file only costs a rerun
        self.data.setdefault("stages", {})

    def fresh(self, stage: str, key: str) -> dict[str, str] | None:
        """The recorded outputs when `stage` last ran with `key` and they all still exist."""
        rec = self.data["stages"].get(stage)
        if not rec or rec.get("key") != key:
            return None
        outputs = rec.get("outputs", {})
        return outputs if all(Path(p).exists() for p in outputs.values()) else None

    def record(self, stage: str, key: str, outputs: dict[str, str]) -> None:
        self.data["stages"][stage] = {"key": key, "outputs": outputs,
                                      "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        self.data["gh_ft_version"] = __version__
        atomic_write_json(self.path, self.data)

    def forget(self, stage: str) -> None:
        if self.data["stages"].pop(stage, None) is not None:
            atomic_write_json(self.path, self.data)


# ---------------------------------------------------------------- the stages

Echo = Callable[[str], None]


class Pipeline:
    """Runs the stages in order for one settings object; stops at the first failure."""

    def __init__(self, settings: Settings, *, echo: Echo = print, force: bool = False,
                 ollama: bool = True, progress: bool = True):
        self.s = settings
        self.echo = echo
        self.force = force
        self.with_ollama = ollama
        self.progress = progress
        self.state = PipelineState(settings.runs_dir / STATE_FILE)
        self.summary: dict[str, Any] = {}
        self.artifacts: dict[str, str] = {}

    # -- helpers
    def _fresh(self, stage: str, key: str) -> dict[str, str] | None:
        return None if self.force else self.state.fresh(stage, key)

    def _run_dir(self) -> Path:
        run = self.state.data["stages"].get("train", {}).get("outputs", {}).get("run")
        if not run:
            raise StageFailed("no trained run recorded")
        return Path(run)

    # -- stages
    def collect(self) -> StageResult:
        from gh_ft.progress import progress_bar

        with progress_bar("extracting", enabled=self.progress) as advance:
            report = stages.collect(self.s, progress=advance)
        out = report.out
        counts = dict(report.counts)
        feedback = out / "feedback.jsonl"
        if feedback.is_file():
            counts["feedback"] = sum(1 for line in feedback.open(encoding="utf-8") if line.strip())
        self.summary["dataset"] = counts
        arts = {"dataset": str(out)}
        for name in ("train.jsonl", "test.jsonl", "docs.jsonl", "feedback.jsonl", "examples.jsonl", "manifest.json"):
            if (out / name).is_file():
                arts[name] = str(out / name)
        detail = _counts_text(counts)
        return StageResult("collect", SKIPPED if report.unchanged else RAN,
                           ("sources unchanged; " if report.unchanged else "") + detail, artifacts=arts)

    def check(self) -> StageResult:
        key = stages.check_key(self.s)
        if self._fresh("check", key) is not None:
            return StageResult("check", SKIPPED, "dataset, preset and tokenizer unchanged")
        report = stages.check(self.s)
        if not report.ok:
            raise StageFailed("the dataset check found errors:\n" + report.render_text())
        self.state.record("check", key, {})
        warnings = len(report.warnings)
        return StageResult("check", RAN, f"ok, {warnings} warning(s)" if warnings else "ok")

    def train(self) -> StageResult:
        key = stages.train_key(self.s)
        done = self._fresh("train", key)
        if done is not None:
            run = Path(done["run"])
            self._note_training(run)
            return StageResult("train", SKIPPED, f"data, preset, template and base model unchanged: {run.name}",
                               artifacts=self._run_artifacts(run))
        result = stages.train(self.s, argv=["gh-ft", "run"], echo=_EchoWriter(self.echo))
        if result.exit_code != 0:
            raise StageFailed(f"training failed (exit {result.exit_code}); log: {result.paths.log}")
        run = result.paths.root
        # A new run invalidates everything downstream of it (their keys name the run).
        self.state.record("train", key, {"run": str(run), "adapter": str(result.paths.output_dir / "adapter_config.json")})
        self._note_training(run)
        return StageResult("train", RAN, run.name, artifacts=self._run_artifacts(run))

    def _note_training(self, run: Path) -> None:
        metrics_file = run / "metrics.json"
        if metrics_file.is_file():
            m = json.loads(metrics_file.read_text(encoding="utf-8"))
            self.summary["loss"] = {k: m.get(k) for k in ("first_loss", "final_loss", "steps")}

    @staticmethod
    def _run_artifacts(run: Path) -> dict[str, str]:
        arts = {"run": str(run)}
        for name, rel in (("axolotl.yml", "axolotl.yml"), ("mlx.yml", "mlx.yml"), ("run.json", "run.json"), ("train.log", "train.log"),
                          ("metrics.json", "metrics.json"), ("loss.png", "loss.png"), ("adapter", "output")):
            if (run / rel).exists():
                arts[name] = str(run / rel)
        return arts

    def merge(self) -> StageResult:
        run = self._run_dir()
        key = stages.merge_key(run)
        merged = run / "output" / "merged"
        if self._fresh("merge", key) is not None:
            return StageResult("merge", SKIPPED, "run unchanged", artifacts={"merged model": str(merged)})
        merged = stages.merge(self.s, str(run), echo=_EchoWriter(self.echo))
        self.state.record("merge", key, {"merged": str(merged / "config.json")})
        return StageResult("merge", RAN, str(merged), artifacts={"merged model": str(merged)})

    def export(self) -> StageResult:
        from gh_ft.export.modelfile import write_modelfile_for_export

        run = self._run_dir()
        key = stages.export_key(self.s, run)
        done = self._fresh("export", key)
        if done is not None:
            return StageResult("export", SKIPPED, "run and export settings unchanged", artifacts=done)
        exported = stages.export(self.s, str(run))
        modelfile = write_modelfile_for_export(exported, self.s)
        arts = {f"gguf {exported.model.name}": str(exported.model)}
        for extra in (exported.base_model_gguf, exported.adapter):
            if extra:
                arts[f"gguf {extra.name}"] = str(extra)
        for kind, path in exported.quantized.items():
            arts[f"gguf {kind}"] = str(path)
        arts["Modelfile"] = str(modelfile)
        self.state.record("export", key, arts)
        return StageResult("export", RAN, f"{len(exported.quantized)} quantized file(s) and a Modelfile",
                           artifacts=arts)

    def evaluate(self) -> StageResult:
        run = self._run_dir()
        ev = self.s.evaluate
        key = stages.evaluate_key(self.s, run, self.artifacts)
        out = run / "eval"
        done = self._fresh("evaluate", key)
        if done is not None:
            self._note_report(out / "report.json")
            return StageResult("evaluate", SKIPPED, "model, test set and judge unchanged", artifacts=done)
        if ev.backend == "transformers":
            model, baseline = str(run / "output" / "merged"), stages.base_model(self.s) if ev.baseline else None
        elif ev.backend == "llamacpp":
            # The exported GGUFs as llama.cpp serves them: the merged model against the base
            # model, both at the export's full precision, so the comparison is like for like.
            model = self._artifact("gguf model-", "the merged model's GGUF")
            baseline = self._artifact("gguf base-", "the base model's GGUF") if ev.baseline else None
        else:
            raise StageFailed(f"gh-ft run evaluates the merged model with transformers or llama.cpp; "
                              f"evaluate.backend={ev.backend!r} is for `gh-ft evaluate`")
        progress = (lambda message: self.echo(f"  {message}")) if self.progress else None
        _, paths = stages.evaluate(self.s, model=model, backend=ev.backend, baseline=baseline, out=out,
                                   progress=progress, extra={"artifacts": {**self.artifacts}})
        arts = {f"report.{p.suffix[1:]}": str(p) for p in paths.values()}
        self.state.record("evaluate", key, arts)
        self._note_report(paths["json"])
        return StageResult("evaluate", RAN, self._funnel_text(), artifacts=arts)

    def _artifact(self, prefix: str, what: str) -> str:
        """The export stage's file whose artifact name starts with `prefix`."""
        found = [path for name, path in self.artifacts.items() if name.startswith(prefix) and Path(path).is_file()]
        if not found:
            raise StageFailed(f"evaluate.backend=llamacpp needs {what}, which the export stage did not leave "
                              f"(artifacts: {', '.join(sorted(self.artifacts)) or 'none'})")
        return found[0]

    def _note_report(self, path: Path) -> None:
        if path.is_file():
            report = json.loads(path.read_text(encoding="utf-8"))
            agg = report.get("aggregates") or {}
            self.summary["judge"] = {"tasks": report.get("settings", {}).get("tasks"),
                                     "stages": report.get("stages"),
                                     "pass_rate": agg.get("pass_rate"),
                                     "baseline_pass_rate": (report.get("baseline_aggregates") or {}).get("pass_rate")}

    def _funnel_text(self) -> str:
        j = self.summary.get("judge") or {}
        rates = j.get("pass_rate") or {}
        if isinstance(rates, dict) and rates:
            return "judge funnel: " + ", ".join(f"{k} {v:.0%}" for k, v in rates.items() if isinstance(v, (int, float)))
        return "report written"

    def ollama(self) -> StageResult:
        from gh_ft.export.ollama import OllamaError, OllamaUnreachable, list_models

        if not self.with_ollama:
            return StageResult("ollama", SKIPPED, "not asked for (--no-ollama)")
        o = self.s.ollama
        export = self.state.data["stages"].get("export", {}).get("outputs", {})
        modelfile = export.get("Modelfile")
        if not modelfile:
            raise StageFailed("no Modelfile recorded by the export stage")
        key = stages.ollama_key(self.s, Path(modelfile), export)
        try:
            if self._fresh("ollama", key) is not None and any(
                    m.split(":")[0] == o.model_name.split(":")[0] for m in list_models(o.host)):
                return StageResult("ollama", SKIPPED, f"{o.model_name} already created from this export at {o.host}")
            created = stages.ollama_create(self.s, Path(modelfile))
        except OllamaUnreachable as e:
            return StageResult("ollama", UNAVAILABLE, f"{e}; create it later with `gh-ft ollama create`")
        except OllamaError as e:
            raise StageFailed(str(e)) from None
        self.state.record("ollama", key, {})
        return StageResult("ollama", RAN, f"created {created.name} at {created.host}",
                           artifacts={"ollama model": f"{created.name} at {created.host}"})

    # -- driver
    def run(self, names: tuple[str, ...] = STAGES) -> PipelineResult:
        results: list[StageResult] = []
        failed = False
        for name in names:
            if failed:
                results.append(StageResult(name, NOT_REACHED))
                continue
            self.echo(f"── {name}")
            t0 = time.monotonic()
            try:
                result = getattr(self, name)()
            except (GhFtError, ValueError, OSError) as e:
                result = StageResult(name, FAILED, str(e))
                failed = True
            except Exception as e:  # a bug or an error kind not foreseen: still stop here, with its trace
                self.echo(traceback.format_exc())
                result = StageResult(name, FAILED, f"{type(e).__name__}: {e}")
                failed = True
            result.seconds = time.monotonic() - t0
            self.artifacts.update(result.artifacts)
            self.echo(f"   {name}: {result.status} ({result.seconds:.1f} s){': ' + result.detail if result.detail else ''}")
            results.append(result)
        return PipelineResult(results, self.summary, self.state.path)


class _EchoWriter:
    """A file-like sink for child-process output that forwards to the pipeline's echo."""

    def __init__(self, echo: Echo):
        self.echo, self.buffer = echo, ""

    def write(self, text: str) -> int:
        self.buffer += text
        *lines, self.buffer = self.buffer.split("\n")
        for line in lines:
            self.echo(line)
        return len(text)

    def flush(self) -> None:
        pass


_SUMMARY_COUNTS = ("files_found", "files_skipped", "components", "examples", "train", "test", "docs", "feedback",
                   "near_duplicates_dropped", "redactions")


def _counts_text(counts: dict[str, Any]) -> str:
    return ", ".join(f"{k.replace('_', ' ')} {counts[k]}" for k in _SUMMARY_COUNTS if isinstance(counts.get(k), int))


def render_summary(result: PipelineResult) -> str:
    """The end-of-run summary: stage outcomes, dataset counts, loss, judge funnel, artifacts."""
    lines = ["", "gh-ft run summary"]
    for s in result.stages:
        lines.append(f"  {s.name:<9} {s.status:<11} {s.seconds:6.1f} s  {s.detail.splitlines()[0] if s.detail else ''}")
    d = result.summary.get("dataset")
    if d:
        lines.append("dataset: " + _counts_text(d))
    loss = result.summary.get("loss")
    if loss and loss.get("final_loss") is not None:
        lines.append(f"loss: {loss['first_loss']:.4f} → {loss['final_loss']:.4f} over {loss['steps']} steps")
    judge = result.summary.get("judge")
    if judge and isinstance(judge.get("pass_rate"), dict):
        rates = ", ".join(f"{k} {v:.0%}" for k, v in judge["pass_rate"].items() if isinstance(v, (int, float)))
        lines.append(f"judge ({judge.get('tasks')} test tasks, tuned model): {rates}")
        base = judge.get("baseline_pass_rate")
        if isinstance(base, dict):
            lines.append("judge (base model): " + ", ".join(f"{k} {v:.0%}" for k, v in base.items()
                                                          if isinstance(v, (int, float))))
    lines.append("artifacts:")
    for name, path in result.artifacts.items():
        lines.append(f"  {name}: {path}")
    lines.append(f"  pipeline state: {result.state_file}")
    failed = [s for s in result.stages if s.status == FAILED]
    if failed:
        lines.append(f"stopped at {failed[0].name}: {failed[0].detail}")
    return "\n".join(lines)
