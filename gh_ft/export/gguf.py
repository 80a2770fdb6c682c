"""`gh-ft export gguf`: a training run as GGUF files for llama.cpp and Ollama.

Into `out_dir` (default runs/<id>/export/):

    model-<outtype>.gguf    the merged model (`gh-ft merge`), full precision (f16 by default)
    model-<quant>.gguf      quantized from it (q8_0, q4_K_M by default)
    base-<outtype>.gguf     the base model: what an Ollama ADAPTER line is applied to
    adapter-<outtype>.gguf  the LoRA as a GGUF adapter (Ollama rejects PEFT's files)
    manifest.json           per file: kind, type, sha256, size, and a hash of what it was made from
    export.log              the converters' and the quantizer's output

llama.cpp's own converters do the work (found by `llama_cpp_source.find_converter`) as child
processes of this Python; quantization runs in a child too (llama-cpp-python's
`llama_model_quantize`, or a checkout's built `llama-quantize`), so a crash in native code
cannot take gh-ft down with it. Each file is written to a temp file beside its target, fsynced
and renamed into place, and the manifest is rewritten after every file: an interrupted export
keeps what it finished. A file whose inputs (the source files' sha256, the converter sources,
the type) match the manifest is not made again.
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import shlex
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib.util import find_spec
from pathlib import Path
from typing import Callable

from gh_ft.files import LockBusy, atomic_write_json, file_lock, fsync_dir, sha256_file
from gh_ft.export import ExportError
from gh_ft.export.llama_cpp_source import LlamaCppTools, find_converter

FULL_TYPES = ("f32", "f16", "bf16")
# llama_ftype values (llama.h) by the names llama-quantize and Ollama use.
QUANT_TYPES = {"q4_0": 2, "q4_1": 3, "q8_0": 7, "q5_0": 8, "q5_1": 9, "q2_K": 10, "q3_K_S": 11, "q3_K_M": 12,
               "q3_K_L": 13, "q4_K_S": 14, "q4_K_M": 15, "q5_K_S": 16, "q5_K_M": 17, "q6_K": 18}
MANIFEST = "manifest.json"
LOG = "export.log"
MANIFEST_FORMAT = 1

# Called with one line at a time (no newline): gh-ft's stage lines and the tools' output.
Progress = Callable[[str], None]


@dataclass(frozen=True)
class GgufExport:
    out_dir: Path
    model: Path                     # the merged model, full precision
    adapter: Path | None            # the LoRA as GGUF (None with include_adapter=False)
    base_model_gguf: Path | None    # the base model the adapter applies to
    quantized: dict[str, Path]      # quantization name -> file
    manifest: Path
    made: tuple[str, ...] = ()      # files written by this call; the others were up to date

    def files(self) -> list[Path]:
        return [p for p in (self.model, *self.quantized.values(), self.base_model_gguf, self.adapter) if p]

    def summary(self) -> str:
        lines = []
        for path in self.files():
            state = "written" if path.name in self.made else "up to date"
            lines.append(f"{path} ({path.stat().st_size / 2**20:.1f} MiB, {state})")
        return "\n".join(lines + [f"manifest: {self.manifest}"])


@dataclass(frozen=True)
class RunSources:
    """What a training run holds for export."""
    run_dir: Path
    merged: Path       # runs/<id>/output/merged
    adapter: Path      # runs/<id>/output (adapter_config.json, adapter_model.safetensors)
    base: Path         # the base model's local folder
    base_ref: str      # the base model as the run names it (hub id or path)


def canonical_quant(name: str) -> str:
    """'Q4_K_M', 'q4_k_m' -> 'q4_K_M'; an unknown name is an error listing the known ones."""
    for known in QUANT_TYPES:
        if known.lower() == str(name).lower():
            return known
    raise ExportError(f"unknown quantization {name!r}; known: {', '.join(QUANT_TYPES)}")


def _has_weights(folder: Path) -> bool:
    return any(folder.glob("*.safetensors")) or any(folder.glob("pytorch_model*.bin"))


def resolve_local_model(ref: str) -> Path:
    """A base model's local folder: a path, or a hub id already in the Hugging Face cache (never a download)."""
    path = Path(ref).expanduser()
    if (path / "config.json").is_file():
        return path.resolve()
    try:
        from huggingface_hub import snapshot_download
        found = Path(snapshot_download(ref, local_files_only=True))
    except Exception as e:  # not cached, not a valid repo id, hub library missing
        raise ExportError(f"the run's base model {ref!r} is not on this machine ({type(e).__name__}); the base GGUF "
                          f"and the adapter are converted from it: download it first "
                          f"(`huggingface-cli download {ref}`)") from None
    if not (found / "config.json").is_file():
        raise ExportError(f"the cached copy of {ref!r} at {found} has no config.json")
    return found


def run_sources(run_dir: Path) -> RunSources:
    """The merged model, the adapter and the base model of a run folder, or a clear error."""
    root = Path(run_dir).resolve()
    if not root.is_dir():
        raise ExportError(f"{root} is not a run folder")
    output = root / "output"
    merged = output / "merged"
    if not ((merged / "config.json").is_file() and _has_weights(merged)):
        raise ExportError(f"{merged} holds no merged model: run `gh-ft merge {root.name}` first")
    adapter_config = output / "adapter_config.json"
    if not adapter_config.is_file() or not any(output.glob("adapter_model.*")):
        raise ExportError(f"{output} holds no LoRA adapter (adapter_config.json, adapter_model.safetensors): "
                          f"is {root} a finished training run?")
    try:
        base_ref = json.loads(adapter_config.read_text(encoding="utf-8")).get("base_model_name_or_path")
    except (OSError, ValueError) as e:
        raise ExportError(f"{adapter_config}: unreadable ({e})") from None
    if not base_ref and (root / "run.json").is_file():
        base_ref = json.loads((root / "run.json").read_text(encoding="utf-8")).get("base_model")
    if not base_ref:
        raise ExportError(f"{adapter_config} names no base model (base_model_name_or_path)")
    return RunSources(root, merged, output, resolve_local_model(str(base_ref)), str(base_ref))


def _key(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()


class _Hasher:
    """sha256 of input files, reusing the manifest's digest while size and mtime are unchanged
    (a 13 GB base model is not re-read on every export)."""

    def __init__(self, known: dict) -> None:
        self.known = known if isinstance(known, dict) else {}
        self.seen: dict[str, dict] = {}

    def file(self, path: Path) -> str:
        real = Path(path).resolve()  # the HF cache links snapshot files to blobs
        st = real.stat()
        old = self.known.get(str(real))
        if isinstance(old, dict) and old.get("bytes") == st.st_size and old.get("mtime_ns") == st.st_mtime_ns:
            digest = old["sha256"]
        else:
            digest = sha256_file(real)
        self.seen[str(real)] = {"bytes": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": digest}
        return digest

    def folder(self, folder: Path, names: tuple[str, ...] | None = None) -> dict[str, str]:
        files = [folder / n for n in names] if names else sorted(folder.iterdir())
        return {f.name: self.file(f) for f in files if f.is_file() and not f.name.startswith(".")}


class _LineSink:
    """A TextIO-like echo for run_streaming that hands a Progress callback whole lines.
    Progress-bar redraws (text ending in a carriage return) pass at most every `every_s`."""

    def __init__(self, progress: Progress, every_s: float = 2.0) -> None:
        self.progress, self.every_s = progress, every_s
        self.pending, self.last_redraw = "", float("-inf")  # the first redraw always shows

    def write(self, text: str) -> int:
        self.pending += text
        while True:
            cut = min((i for i in (self.pending.find("\n"), self.pending.find("\r")) if i >= 0), default=-1)
            if cut < 0:
                return len(text)
            line, end, self.pending = self.pending[:cut], self.pending[cut], self.pending[cut + 1:]
            now = time.monotonic()
            if end == "\r" and now - self.last_redraw < self.every_s:
                continue
            if end == "\r":
                self.last_redraw = now
            if line.strip():
                self.progress(line.rstrip())

    def flush(self) -> None:
        pass

    def finish(self) -> None:
        """Hand over what is left (a last line without a newline)."""
        if self.pending.strip():
            self.progress(self.pending.rstrip())
        self.pending = ""


@dataclass
class _Export:
    out_dir: Path
    tools: LlamaCppTools
    progress: Progress | None
    manifest: dict
    hasher: _Hasher
    previous: dict[str, dict] = field(default_factory=dict)  # the last export's file entries
    files: dict[str, dict] = field(default_factory=dict)
    made: list[str] = field(default_factory=list)

    @property
    def log(self) -> Path:
        return self.out_dir / LOG

    def say(self, text: str) -> None:
        if self.progress:
            self.progress(text)

    def save(self, final: bool = False) -> None:
        # Until the end, entries of files not reached yet are kept: an interrupted export
        # must not make the next one redo files that are still good.
        listed = self.files if final else {**self.previous, **self.files}
        self.manifest.update(files=listed, input_hashes={**(self.hasher.known if not final else {}),
                                                         **self.hasher.seen},
                             updated=datetime.now(timezone.utc).isoformat(timespec="seconds"))
        atomic_write_json(self.out_dir / MANIFEST, self.manifest)

    def produce(self, name: str, record: dict, command: Callable[[Path], list[str]], env: dict[str, str]) -> Path:
        """Make `name` with `command(tmp)` unless the manifest shows it made from the same inputs."""
        from gh_ft.train.launch import run_streaming

        target = self.out_dir / name
        inputs = _key({k: record[k] for k in ("kind", "type", "inputs", "tool")})
        old = self.previous.get(name)
        if (isinstance(old, dict) and old.get("inputs_sha256") == inputs and target.is_file()
                and target.stat().st_size == old.get("bytes") and target.stat().st_mtime_ns == old.get("mtime_ns")):
            self.files[name] = old
            self.say(f"{name}: up to date")
            return target
        tmp = target.with_name(f".{name}.{secrets.token_hex(4)}.tmp")
        cmd = command(tmp)
        self.say(f"{name}: {record['what']}")
        started = time.perf_counter()
        try:
            sink = _LineSink(self.progress) if self.progress else None
            rc = run_streaming(cmd, self.log, env, sink)
            if sink:
                sink.finish()
            if rc in (129, 130, 143):  # Ctrl-C, SIGTERM, SIGHUP: the child was stopped, the temp file goes
                raise ExportError(f"{record['what']}: interrupted; {name} was not written")
            if rc != 0:
                raise ExportError(f"{record['what']} failed (exit {rc}): {shlex.join(cmd)}\n"
                                  f"{_tail(self.log)}\nfull log: {self.log}")
            _check_gguf(tmp, record["what"])
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
            os.replace(tmp, target)
            fsync_dir(self.out_dir)
        finally:
            tmp.unlink(missing_ok=True)
        st = target.stat()
        self.files[name] = {"kind": record["kind"], "type": record["type"], "sha256": sha256_file(target),
                            "bytes": st.st_size, "mtime_ns": st.st_mtime_ns, "inputs_sha256": inputs,
                            "inputs": record["inputs"], "seconds": round(time.perf_counter() - started, 2),
                            **({"from": record["from"]} if "from" in record else {})}
        self.made.append(name)
        self.save()
        self.say(f"{name}: written in {self.files[name]['seconds']:.1f} s ({st.st_size / 2**20:.1f} MiB)")
        return target


def _tail(log: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _check_gguf(path: Path, what: str) -> None:
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError:
        magic = b""
    if magic != b"GGUF":
        raise ExportError(f"{what} exited 0 but wrote no GGUF file ({path.name})")


def _load_manifest(out_dir: Path) -> dict:
    path = out_dir / MANIFEST
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # unreadable: everything is made again and the manifest rewritten
    return data if isinstance(data, dict) and data.get("format") == MANIFEST_FORMAT else {}


def _quantizer(tools: LlamaCppTools, quant: str, src: Path) -> tuple[Callable[[Path], list[str]], dict]:
    """Command and identity of the quantizer: a checkout's llama-quantize, else llama-cpp-python's API."""
    threads = str(os.cpu_count() or 1)
    if tools.quantize_bin:
        binary = tools.quantize_bin
        return (lambda tmp: [str(binary), str(src), str(tmp), quant.upper(), threads],
                {"llama-quantize": str(binary), "sha256": sha256_file(binary)})
    from gh_ft.export.llama_cpp_source import installed_llama_cpp_version
    return (lambda tmp: [sys.executable, "-m", "gh_ft.export.gguf", "quantize", str(src), str(tmp), quant, threads],
            {"llama-cpp-python": installed_llama_cpp_version()})


def export_gguf(run_dir: Path, out_dir: Path | None = None, *, outtype: str = "f16",
                quantizations: tuple[str, ...] | list[str] = ("q8_0", "q4_K_M"), llama_cpp_dir: Path | None = None,
                include_adapter: bool = True, progress: Progress | None = None) -> GgufExport:
    """Convert a run's merged model (and its base model and LoRA adapter) to GGUF and quantize it."""
    if outtype not in FULL_TYPES:
        raise ExportError(f"outtype must be one of {', '.join(FULL_TYPES)} (quantized types go in quantizations), "
                          f"not {outtype!r}")
    quants = list(dict.fromkeys(canonical_quant(q) for q in quantizations))
    src = run_sources(run_dir)
    tools = find_converter(llama_cpp_dir, echo=progress)
    if quants and tools.quantize_bin is None and find_spec("llama_cpp") is None:
        raise ExportError("nothing to quantize with: llama-cpp-python is not installed (pip install 'gh-ft[gguf]') "
                          "and the llama.cpp checkout has no built llama-quantize")
    out = Path(out_dir) if out_dir else src.run_dir / "export"
    out.mkdir(parents=True, exist_ok=True)
    try:
        with file_lock(out / ".export.lock"):
            return _export(src, out, tools, outtype, quants, include_adapter, progress)
    except LockBusy:
        raise ExportError(f"another export is writing {out}; try again when it has finished") from None


def _export(src: RunSources, out: Path, tools: LlamaCppTools, outtype: str, quants: list[str],
            include_adapter: bool, progress: Progress | None) -> GgufExport:
    from gh_ft.train.launch import training_env

    old = _load_manifest(out)
    manifest = {"format": MANIFEST_FORMAT, "run_id": src.run_dir.name, "run_dir": str(src.run_dir),
                "base_model": src.base_ref, "outtype": outtype, "llama_cpp": tools.describe()}
    previous = old.get("files") if isinstance(old.get("files"), dict) else {}
    job = _Export(out, tools, progress, manifest, _Hasher(old.get("input_hashes", {})), previous)
    env = tools.env(training_env())
    converter = tools.fingerprint()
    py = sys.executable

    def convert(folder: Path):
        return lambda tmp: [py, str(tools.convert_hf), str(folder), "--outfile", str(tmp), "--outtype", outtype]

    model_name = f"model-{outtype}.gguf"
    model = job.produce(model_name, {"kind": "model", "type": outtype, "tool": converter,
                                     "inputs": job.hasher.folder(src.merged),
                                     "what": f"converting the merged model {src.merged} to GGUF ({outtype})"},
                        convert(src.merged), env)
    quantized = {}
    for quant in quants:
        command, identity = _quantizer(tools, quant, model)
        quantized[quant] = job.produce(
            f"model-{quant}.gguf", {"kind": "quantized", "type": quant, "tool": identity, "from": model_name,
                                    "inputs": {model_name: job.files[model_name]["sha256"]},
                                    "what": f"quantizing {model_name} to {quant}"}, command, env)
    base = adapter = None
    if include_adapter:
        base = job.produce(f"base-{outtype}.gguf",
                           {"kind": "base", "type": outtype, "tool": converter, "inputs": job.hasher.folder(src.base),
                            "what": f"converting the base model {src.base} to GGUF ({outtype})"},
                           convert(src.base), env)
        adapter_files = tuple(p.name for p in src.adapter.glob("adapter_model.*")) + ("adapter_config.json",)
        adapter = job.produce(
            f"adapter-{outtype}.gguf",
            {"kind": "adapter", "type": outtype, "tool": converter,
             "inputs": {**job.hasher.folder(src.adapter, adapter_files),
                        "base/config.json": job.hasher.file(src.base / "config.json")},
             "what": f"converting the LoRA adapter {src.adapter} to a GGUF adapter ({outtype})"},
            lambda tmp: [py, str(tools.convert_lora), str(src.adapter), "--base", str(src.base),
                         "--outfile", str(tmp), "--outtype", outtype], env)
    # Only this export's files stay listed (files of other types on disk are left alone).
    names = [model_name, *(f"model-{q}.gguf" for q in quants)]
    names += [f"base-{outtype}.gguf", f"adapter-{outtype}.gguf"] if include_adapter else []
    job.files = {n: job.files[n] for n in names}
    job.save(final=True)
    return GgufExport(out, model, adapter, base, quantized, out / MANIFEST, tuple(job.made))


def _quantize_main(argv: list[str]) -> int:
    """Child process: `python -m gh_ft.export.gguf quantize SRC DST TYPE THREADS`."""
    import ctypes

    import llama_cpp
    from llama_cpp import _logger

    src, dst, quant, threads = argv
    _logger.set_verbose(True)  # llama.cpp's "[ i/ n] tensor ..." lines are the progress
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = QUANT_TYPES[quant]
    params.nthread = int(threads)
    rc = llama_cpp.llama_model_quantize(src.encode(), dst.encode(), ctypes.byref(params))
    return 0 if rc == 0 else 1


if __name__ == "__main__":
    if len(sys.argv) != 6 or sys.argv[1] != "quantize":
        sys.exit("usage: python -m gh_ft.export.gguf quantize SRC DST TYPE THREADS")
    sys.exit(_quantize_main(sys.argv[2:]))
