"""Run Axolotl: one folder per run, training and merging as child processes, logs teed to disk.

Axolotl runs out of process (it is heavy, may be multi-process, and owns the GPU); gh-ft only
builds the command line, streams its output into `train.log`, stops it cleanly on Ctrl-C and
summarises the result. Command building is pure; the side effects are `run_streaming`,
`write_run_info`, `train` and `merge`.
"""
from __future__ import annotations

from gh_ft.errors import GhFtError
import codecs
import contextlib
import os
import platform
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import IO, Iterator, Mapping, Sequence, TextIO

import gh_ft
from gh_ft.files import atomic_write_json, sha256_if_file
from gh_ft.train import metrics
from gh_ft.train.paths import RunPaths

LAUNCHERS = ("accelerate", "torchrun", "axolotl", "python")
_CHECKPOINT = re.compile(r"checkpoint-(\d+)")


class LaunchError(GhFtError, RuntimeError):
    """A run cannot start (missing config, nothing to resume, no adapter to merge)."""


class _CurrentStdout:
    """Default `echo`: whatever sys.stdout is at write time (so redirects and CliRunner see it)."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


STDOUT: TextIO = _CurrentStdout()  # type: ignore[assignment]


def _console_script(python: str, name: str) -> str:
    """`name` next to the interpreter (the venv's), else on PATH."""
    beside = Path(python).parent / name
    return str(beside) if beside.exists() else (shutil.which(name) or name)


def build_train_command(launcher: str, config: Path, launcher_args: Sequence[str] = (),
                        axolotl_args: Sequence[str] = (), python: str = sys.executable) -> list[str]:
    """Command line that trains `config`. Module forms keep the given interpreter (the venv's)."""
    la, aa, cfg = list(launcher_args), list(axolotl_args), str(config)
    if launcher == "accelerate":
        return [python, "-m", "accelerate.commands.launch", *la, "-m", "axolotl.cli.train", cfg, *aa]
    if launcher == "torchrun":
        return [python, "-m", "torch.distributed.run", *la, "-m", "axolotl.cli.train", cfg, *aa]
    if launcher == "axolotl":
        # `axolotl train CFG [--launcher X] [--key=value ...] -- <launcher args>`: after `--` click
        # hands everything to the launcher (ctx.args); choose the launcher via axolotl_args.
        return [_console_script(python, "axolotl"), "train", cfg, *aa, *(["--", *la] if la else [])]
    if launcher == "python":
        if la:
            raise ValueError("the python launcher takes no launcher arguments")
        return [python, "-m", "axolotl.cli.train", cfg, *aa]
    raise ValueError(f"unknown launcher {launcher!r}; choose one of {', '.join(LAUNCHERS)}")


def resume_arg(launcher: str, checkpoint: Path) -> str:
    """Config override that resumes from `checkpoint` (Axolotl key `resume_from_checkpoint`)."""
    flag = "--resume-from-checkpoint" if launcher == "axolotl" else "--resume_from_checkpoint"
    return f"{flag}={checkpoint}"


def build_merge_command(config: Path, adapter_dir: Path, python: str = sys.executable) -> list[str]:
    return [python, "-m", "axolotl.cli.merge_lora", str(config), f"--lora_model_dir={adapter_dir}"]


def training_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for Axolotl: telemetry off (it hangs offline) and unbuffered output.

    Explicit settings in `base` win; HF_HUB_OFFLINE is never added (users download models).
    """
    env = dict(os.environ if base is None else base)
    env.setdefault("AXOLOTL_DO_NOT_TRACK", "1")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM/SIGHUP to gh-ft stop the child like Ctrl-C does, instead of orphaning it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(signum)  # args carry the signal; a real Ctrl-C has none

    old = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def _signal_group(pgid: int, sig: int) -> bool:
    """Send `sig` to the group; False when no process of it is left."""
    try:
        os.killpg(pgid, sig)
        return True
    except ProcessLookupError:
        return False


def _group_alive(proc: subprocess.Popen) -> bool:
    proc.poll()  # reap the leader first: as a zombie it would still count as a member
    return _signal_group(proc.pid, 0)


def _stop_group(proc: subprocess.Popen, steps: Sequence[tuple[int, float]]) -> None:
    """Signal the child's whole group, step by step, until none of it is left.

    Waiting for the group, not just the leader, matters: a launcher (accelerate) dies on SIGINT
    at once while its worker is still saving the adapter (Axolotl saves on SIGINT).
    """
    for sig, wait_s in steps:
        if not _group_alive(proc):
            return
        _signal_group(proc.pid, sig)
        deadline = time.monotonic() + wait_s
        try:
            while _group_alive(proc) and time.monotonic() < deadline:
                time.sleep(0.05)
        except KeyboardInterrupt:  # another Ctrl-C: escalate now
            pass


def _pump(stream: IO[bytes], log: IO[bytes], echo: TextIO | None) -> None:
    """Copy the child's output as it comes (progress bars too) to the log and to `echo`."""
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    try:
        while chunk := stream.read1(65536):  # type: ignore[attr-defined]
            log.write(chunk)
            log.flush()
            if echo is not None:
                with contextlib.suppress(OSError, ValueError, UnicodeError):  # a closed terminal must not stop training
                    echo.write(decoder.decode(chunk))
                    echo.flush()
    except (OSError, ValueError):  # pipe or log closed under us: a detached process still held the pipe
        pass


def run_streaming(cmd: list[str], log_path: Path, env: Mapping[str, str], echo: TextIO | None = STDOUT,
                  *, grace_s: float = 60.0, term_s: float = 10.0, cwd: Path | None = None) -> int:
    """Run `cmd` in its own process group, tee its output to `log_path` (appended) and `echo`.

    Returns the child's exit code (128+N when killed by signal N). On Ctrl-C (or SIGTERM/SIGHUP
    to us) the child's group gets SIGINT (Axolotl then saves the adapter and exits), SIGTERM if
    any of it is left `grace_s` later, SIGKILL `term_s` after that; 130 (143/129) is returned.
    A second Ctrl-C escalates at once. Whatever is left of the group afterwards is killed.
    """
    log_path = Path(log_path)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        # A new session: the terminal's Ctrl-C reaches only us, and we decide how the child stops.
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                env=dict(env), cwd=cwd, start_new_session=True)
        pump = threading.Thread(target=_pump, args=(proc.stdout, log, echo), daemon=True)
        pump.start()
        interrupted: int | None = None
        try:
            with _terminate_as_interrupt():
                try:
                    proc.wait()
                except KeyboardInterrupt as e:
                    interrupted = e.args[0] if e.args and isinstance(e.args[0], int) else signal.SIGINT
                    _stop_group(proc, ((signal.SIGINT, grace_s), (signal.SIGTERM, term_s), (signal.SIGKILL, term_s)))
        finally:
            # Anything still in the group now is an orphan (a stuck worker): no one else will stop it.
            _stop_group(proc, ((signal.SIGTERM, term_s), (signal.SIGKILL, term_s)))
            proc.wait()
            pump.join(timeout=5)
            if proc.stdout is not None:
                proc.stdout.close()
    if interrupted is not None:
        return 128 + int(interrupted)
    rc = proc.returncode
    return 128 - rc if rc < 0 else rc


def latest_checkpoint(output_dir: Path, *, require_state: bool = False) -> Path | None:
    """The checkpoint-N folder with the highest N (with a trainer_state.json if `require_state`)."""
    found = []
    if Path(output_dir).is_dir():
        for p in Path(output_dir).iterdir():
            m = _CHECKPOINT.fullmatch(p.name)
            if m and p.is_dir() and (not require_state or (p / "trainer_state.json").is_file()):
                found.append((int(m.group(1)), p))
    return max(found)[1] if found else None


def _git_describe(tree: Path) -> str | None:
    if not (tree / ".git").exists():  # an installed wheel, or someone else's repository above us
        return None
    try:
        # GIT_OPTIONAL_LOCKS=0: describe --dirty must not rewrite the index while others work.
        out = subprocess.run(["git", "-C", str(tree), "describe", "--always", "--dirty"], capture_output=True,
                             text=True, timeout=10, env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"})
    except (OSError, subprocess.SubprocessError):
        return None
    return (out.stdout.strip() or None) if out.returncode == 0 else None


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def installed_versions(*dists: str) -> dict[str, str | None]:
    """The installed version of each distribution (None: not installed), for run and benchmark records."""
    return {dist: _version(dist) for dist in dists}


def write_run_info(paths: RunPaths, *, argv: Sequence[str], command: Sequence[str],
                   data_files: Mapping[str, Path], preset: str, extra: Mapping | None = None) -> dict:
    """Record how the run was made in run.json (atomically); `extra` keys are added at the top."""
    data = {}
    for name, path in data_files.items():
        path = Path(path)
        data[name] = {"path": str(path.resolve()), "sha256": sha256_if_file(path),
                      "bytes": path.stat().st_size if path.is_file() else None}
    info = {
        "run_id": paths.root.name,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "gh_ft_version": gh_ft.__version__,
        "gh_ft_git": _git_describe(Path(gh_ft.__file__).resolve().parent.parent),
        "argv": list(argv),
        "command": list(command),
        "preset": preset,
        "data_files": data,
        "versions": {"python": platform.python_version(),
                     **installed_versions("torch", "axolotl", "transformers", "peft", "accelerate")},
        **(extra or {}),
    }
    atomic_write_json(paths.run_info, info)
    return info


def _note(text: str, log_path: Path, echo: TextIO | None) -> None:
    line = f"[gh-ft {datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S}Z] {text}\n"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "a", encoding="utf-8") as f:
        f.write(line)
    if echo is not None:
        with contextlib.suppress(OSError, ValueError, UnicodeError):
            echo.write(line)
            echo.flush()


def train(paths: RunPaths, *, launcher: str = "accelerate", launcher_args: Sequence[str] = (),
          axolotl_args: Sequence[str] = (), resume: bool = False, echo: TextIO | None = STDOUT,
          env: Mapping[str, str] | None = None) -> int:
    """Train on the rendered paths.config; returns the exit code. Writes metrics whatever the outcome."""
    if not paths.config.is_file():
        raise LaunchError(f"{paths.config} does not exist; render the Axolotl config first")
    args = list(axolotl_args)
    if resume:
        ckpt = latest_checkpoint(paths.output_dir, require_state=True)
        if ckpt is None:
            raise LaunchError(f"nothing to resume: no checkpoint-N with a trainer_state.json in {paths.output_dir}")
        args.append(resume_arg(launcher, ckpt))
    cmd = build_train_command(launcher, paths.config, launcher_args, args)
    _note("train: " + shlex.join(cmd), paths.log, echo)
    rc = run_streaming(cmd, paths.log, training_env(env), echo)
    _note(f"train exited with {rc}", paths.log, echo)
    try:
        written = metrics.write_metrics(paths)
    except Exception as e:  # noqa: BLE001 - a plotting failure must not hide the training result
        _note(f"could not write metrics: {e!r}", paths.log, echo)
    else:
        if written and written.get("final_loss") is not None:
            _note(f"{written['steps']} steps, loss {written['first_loss']:.4g} -> {written['final_loss']:.4g}; "
                  f"{paths.metrics.name} written", paths.log, echo)
    return rc


def _has_weights(folder: Path, since: float) -> bool:
    """Weights written at or after `since` (an earlier merge's files must not count)."""
    files = [*folder.glob("*.safetensors"), *folder.glob("pytorch_model*.bin")]
    return any(f.stat().st_mtime >= since for f in files)


def merge(paths: RunPaths, *, echo: TextIO | None = STDOUT, env: Mapping[str, str] | None = None) -> int:
    """Merge the trained adapter into the base model (-> paths.merged); returns the exit code."""
    if not any(paths.output_dir.glob("adapter_model.*")):
        raise LaunchError(f"no trained adapter in {paths.output_dir}; train first")
    cmd = build_merge_command(paths.config, paths.output_dir)
    _note("merge: " + shlex.join(cmd), paths.merge_log, echo)
    started = time.time() - 1  # mtime granularity slack
    rc = run_streaming(cmd, paths.merge_log, training_env(env), echo)
    if rc == 0 and not _has_weights(paths.merged, started):
        _note(f"merge exited 0 but {paths.merged} has no model weights", paths.merge_log, echo)
        return 1
    _note(f"merge exited with {rc}", paths.merge_log, echo)
    return rc
