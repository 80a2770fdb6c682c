"""Where llama.cpp's Python converters come from.

In this order: a llama.cpp checkout named by `--llama-cpp DIR`, one named by the environment
variable GH_FT_LLAMA_CPP, else the source distribution of the installed llama-cpp-python
(`pip download --no-binary :all: --no-deps llama-cpp-python==<installed version>`), whose
vendor/llama.cpp/ holds the converters of exactly the llama.cpp that will load the files. Only
the converters, their `conversion` package and `gguf-py` are unpacked, into a user cache
(~/.cache/gh-ft/llama.cpp-<version>, XDG_CACHE_HOME respected); nothing lands in this repository.

The converters run with the tree's own gguf-py first on PYTHONPATH: PyPI's `gguf` package lags
behind the converter that ships with llama.cpp.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Callable, Mapping

from gh_ft.files import atomic_write_json, file_lock, fsync_dir, sha256_file
from gh_ft.export import ExportError

ENV_VAR = "GH_FT_LLAMA_CPP"
DIST = "llama-cpp-python"
CONVERT_HF = "convert_hf_to_gguf.py"
CONVERT_LORA = "convert_lora_to_gguf.py"
_REQUIRED = (CONVERT_HF, CONVERT_LORA, "gguf-py/gguf/__init__.py")
# What is unpacked from the sdist's vendor/llama.cpp/ (about 2 MB of its 76 MB).
_KEEP = (CONVERT_HF, CONVERT_LORA, "conversion/", "gguf-py/", "LICENSE")
_MARKER = ".gh-ft-source.json"  # written last: a folder without it is an interrupted unpack


@dataclass(frozen=True)
class LlamaCppTools:
    """A llama.cpp source tree with the converters, and the quantizer to use with it."""

    root: Path
    origin: str                      # how it was found, for messages and the manifest
    version: str | None = None       # the llama-cpp-python version, when it came from the sdist
    quantize_bin: Path | None = None  # a built `llama-quantize` belonging to a checkout

    @property
    def convert_hf(self) -> Path:
        return self.root / CONVERT_HF

    @property
    def convert_lora(self) -> Path:
        return self.root / CONVERT_LORA

    @property
    def gguf_py(self) -> Path:
        return self.root / "gguf-py"

    def env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """Environment for a converter: this tree's gguf-py ahead of any installed `gguf`."""
        env = dict(os.environ if base is None else base)
        env["PYTHONPATH"] = os.pathsep.join([str(self.gguf_py), *filter(None, [env.get("PYTHONPATH")])])
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env

    def fingerprint(self) -> str:
        """sha256 over the converter sources: a different llama.cpp means different GGUF files."""
        digest = hashlib.sha256()
        files = [self.convert_hf, self.convert_lora, *sorted((self.root / "conversion").rglob("*.py")),
                 *sorted((self.gguf_py / "gguf").rglob("*.py"))]
        for f in files:
            if f.is_file():
                digest.update(f.relative_to(self.root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
        return digest.hexdigest()

    def describe(self) -> dict:
        return {"origin": self.origin, "root": str(self.root), "llama_cpp_python": self.version,
                "quantizer": str(self.quantize_bin) if self.quantize_bin else "llama_cpp.llama_model_quantize"}


def default_cache_dir() -> Path:
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "gh-ft"


def installed_llama_cpp_version() -> str | None:
    try:
        return metadata.version(DIST)
    except metadata.PackageNotFoundError:
        return None


def find_converter(llama_cpp_dir: Path | str | None = None, *, cache_dir: Path | None = None,
                   echo: Callable[[str], None] | None = None) -> LlamaCppTools:
    """The llama.cpp converters: `llama_cpp_dir` (settings' export.llama_cpp_dir: --llama-cpp,
    $GH_FT_LLAMA_CPP or the project file), else the installed llama-cpp-python's sdist
    (downloaded and unpacked into the cache on first use)."""
    if llama_cpp_dir:
        return _checkout(Path(llama_cpp_dir), "export.llama_cpp_dir")
    version = installed_llama_cpp_version()
    if version is None:
        raise ExportError(f"no llama.cpp converter: {DIST} is not installed (pip install 'gh-ft[gguf]', built with "
                          f"CMAKE_ARGS=-DGGML_NATIVE=OFF on machines other than the build machine), and neither "
                          f"--llama-cpp nor {ENV_VAR} names a llama.cpp checkout")
    return sdist_converter(version, cache_dir or default_cache_dir(), echo)


def _checkout(root: Path, origin: str) -> LlamaCppTools:
    root = root.expanduser().resolve()
    if not root.is_dir():
        raise ExportError(f"{origin}: {root} is not a folder (expected a llama.cpp checkout)")
    missing = [name for name in _REQUIRED if not (root / name).is_file()]
    if missing:
        raise ExportError(f"{origin}: {root} is not a llama.cpp source tree (missing {', '.join(missing)})")
    built = root / "build" / "bin" / "llama-quantize"
    found = built if built.is_file() and os.access(built, os.X_OK) else shutil.which("llama-quantize")
    return LlamaCppTools(root, f"{origin} {root}", None, Path(found) if found else None)


def _complete(folder: Path) -> bool:
    return (folder / _MARKER).is_file() and all((folder / name).is_file() for name in _REQUIRED)


def sdist_converter(version: str, cache_dir: Path, echo: Callable[[str], None] | None = None) -> LlamaCppTools:
    """The converters of llama-cpp-python `version`, from the cache or fetched into it."""
    target = Path(cache_dir) / f"llama.cpp-{version}"
    tools = LlamaCppTools(target, f"{DIST} {version} source distribution", version)
    if _complete(target):
        return tools
    target.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(target.parent / f".llama.cpp-{version}.lock", wait=True):  # two exports fetch once
        if _complete(target):
            return tools
        with tempfile.TemporaryDirectory(prefix=f".llama.cpp-{version}.", dir=target.parent) as tmp:
            if echo:
                echo(f"fetching llama.cpp's converters: {DIST}=={version} source distribution (pip download) "
                     f"into {target}")
            sdist = _pip_download(version, Path(tmp) / "download")
            staged = Path(tmp) / "llama.cpp"
            unpack_converters(sdist, staged)
            atomic_write_json(staged / _MARKER, {"dist": DIST, "version": version, "sdist": sdist.name,
                                                 "sha256": sha256_file(sdist)})
            if target.exists():  # an interrupted earlier unpack: moved into tmp, removed with it
                os.replace(target, Path(tmp) / "incomplete")
            os.replace(staged, target)
            fsync_dir(target.parent)
    return tools


def _pip_download(version: str, dest: Path) -> Path:
    dest.mkdir(parents=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps",
           "--disable-pip-version-check", f"{DIST}=={version}", "-d", str(dest)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    except (OSError, subprocess.SubprocessError) as e:
        raise ExportError(f"could not run pip to fetch llama.cpp's converters: {e}") from None
    found = sorted(dest.glob("*.tar.gz"))
    if done.returncode != 0 or not found:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-8:])
        raise ExportError(f"`{' '.join(cmd[2:])}` failed (exit {done.returncode}):\n{tail}\n"
                          f"Without a package index, point --llama-cpp or {ENV_VAR} at a llama.cpp checkout.")
    return found[0]


def unpack_converters(sdist: Path, dest: Path) -> None:
    """Unpack vendor/llama.cpp/{converters, conversion/, gguf-py/} of an sdist into `dest`.
    Only regular files under those names are written, by relative path checked to stay inside."""
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(sdist, "r:gz") as tar:
        for member in tar:
            parts = PurePosixPath(member.name).parts
            if len(parts) < 4 or parts[1:3] != ("vendor", "llama.cpp") or not member.isfile():
                continue
            rel = PurePosixPath(*parts[3:])
            if ".." in rel.parts or not any(str(rel) == k or str(rel).startswith(k) for k in _KEEP):
                continue
            out = dest.joinpath(*rel.parts)
            out.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            if source is not None:
                with source, open(out, "wb") as f:
                    shutil.copyfileobj(source, f)
                    f.flush()
                    os.fsync(f.fileno())  # durable before the marker says the folder is complete
    missing = [name for name in _REQUIRED if not (dest / name).is_file()]
    if missing:
        raise ExportError(f"{sdist.name} has no vendor/llama.cpp/{', '.join(missing)}: not a llama-cpp-python "
                          "source distribution with llama.cpp's converters")

