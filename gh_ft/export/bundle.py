"""Bundles: one tar file that carries a served model to another machine (Ollama has no
export/import), and its installation there.

A bundle holds the Modelfile (FROM/ADAPTER pointing inside the bundle), the GGUF (or
safetensors) files it names, and `manifest.json` with the size and sha256 of every file.
`install_bundle` refuses a bundle whose members are not exactly the manifest's files
(truncated, or extra), are not plain files, leave the bundle folder (`..`, absolute paths,
links), or whose Modelfile points outside the bundle; it checks every checksum while
extracting, and only then creates the model through `export.ollama.create_model`.

Stable API (the improve loop calls it): make_bundle, verify_bundle, install_bundle.
"""
from __future__ import annotations

from gh_ft.errors import GhFtError
import contextlib
import datetime as _dt
import hashlib
import io
import json
import os
import posixpath
import shutil
import tarfile
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO, Callable

from gh_ft import __version__
from gh_ft.files import fsync_dir
from gh_ft.export.modelfile import (check_adapter, expand_path, looks_like_path, model_files, render_modelfile,
                        spec_from_modelfile)
from gh_ft.export.modelfile_syntax import ModelfileError
from gh_ft.export.ollama import CreatedModel, check_server, create_model

BUNDLE_FORMAT = "gh-ft-ollama-bundle"
BUNDLE_VERSION = 1
MANIFEST = "manifest.json"
MODELFILE = "Modelfile"
SUFFIX = ".ollama-bundle.tar"

Progress = Callable[[str], None]


class BundleError(GhFtError, ValueError):
    pass


class _HashingReader(io.RawIOBase):
    """Reads a file for tarfile while hashing what passes through."""

    def __init__(self, f: BinaryIO) -> None:
        self.f, self.sha, self.size = f, hashlib.sha256(), 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        data = self.f.read(n)
        self.sha.update(data)
        self.size += len(data)
        return data


def _modelfile_of(source: Path) -> Path:
    source = Path(source)
    modelfile = source / MODELFILE if source.is_dir() else source
    if not modelfile.is_file():
        raise BundleError(f"no Modelfile at {modelfile} (write one with `gh-ft ollama modelfile`)")
    return modelfile


def make_bundle(source: Path | str, out_path: Path | str, *, model_name: str | None = None,
                progress: Progress | None = None) -> Path:
    """Write a bundle of the Modelfile `source` (or `source`/Modelfile) and the files it
    names to `out_path`, atomically (temp file, fsync, rename). Returns `out_path`."""
    say = progress or (lambda message: None)
    modelfile = _modelfile_of(Path(source))
    spec = spec_from_modelfile(modelfile.read_text(encoding="utf-8"))
    base = modelfile.resolve().parent
    members: dict[str, Path] = {}
    from_model = None
    model_path = expand_path(spec.from_, base)
    if model_path.exists():
        for key, path in model_files(model_path).items():
            members[f"model/{key}"] = path
        spec = replace(spec, from_="./model" + (f"/{model_path.name}" if model_path.is_file() else ""))
    elif looks_like_path(spec.from_):
        raise BundleError(f"{modelfile}: FROM {spec.from_}: no such file")
    else:
        from_model = spec.from_  # an Ollama model the other machine must have (`ollama pull`)
    if spec.adapter is not None:
        adapter_path = expand_path(spec.adapter, base)
        check_adapter(adapter_path)
        for key, path in model_files(adapter_path).items():
            members[f"adapter/{key}"] = path
        spec = replace(spec, adapter="./adapter" + (f"/{adapter_path.name}" if adapter_path.is_file() else ""))
    modelfile_text = render_modelfile(spec, comment="From a gh-ft bundle; `gh-ft bundle install` creates it.")
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out_path.name}.", suffix=".tmp", dir=out_path.parent)
    entries: list[dict[str, Any]] = []
    try:
        with os.fdopen(fd, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
                data = modelfile_text.encode("utf-8")
                _add_bytes(tar, MODELFILE, data)
                entries.append({"path": MODELFILE, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
                for name, path in members.items():
                    say(f"adding {name} ({path.stat().st_size / 1e6:.1f} MB)")
                    info = _info(name, path.stat().st_size)
                    with open(path, "rb") as f:
                        reader = _HashingReader(f)
                        tar.addfile(info, reader)
                    if reader.size != info.size:
                        raise BundleError(f"{path} changed size while it was bundled")
                    entries.append({"path": name, "size": reader.size, "sha256": reader.sha.hexdigest()})
                manifest = {"format": BUNDLE_FORMAT, "version": BUNDLE_VERSION, "model_name": model_name,
                            "from_model": from_model, "modelfile": MODELFILE,
                            "created_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                            "gh_ft_version": __version__, "files": entries}
                _add_bytes(tar, MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode("utf-8"))
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, out_path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(out_path.parent)
    return out_path


def _info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o644, int(_dt.datetime.now().timestamp())
    return info


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    tar.addfile(_info(name, len(data)), io.BytesIO(data))


# ---- reading a bundle ----------------------------------------------------------------------------

def _safe_name(name: str) -> str:
    """A member name that stays inside the extraction folder, or BundleError."""
    norm = posixpath.normpath(name)
    if (not name or name.startswith(("/", "\\")) or "\\" in name or ":" in name.split("/")[0]
            or norm.startswith("..") or norm != name or any(p in ("", ".", "..") for p in name.split("/"))):
        raise BundleError(f"refusing bundle member {name!r}: its path leaves the bundle folder or is not plain")
    return name


def read_manifest(bundle: Path | str) -> dict[str, Any]:
    """The manifest of a bundle, after checking that the members are exactly its files,
    plain and inside the bundle (no data is read beyond the manifest)."""
    with _open(bundle) as tar:
        return _check_members(tar, bundle)[0]


@contextlib.contextmanager
def _open(bundle: Path | str):
    try:
        tar = tarfile.open(bundle, "r:*")
    except (tarfile.TarError, EOFError, OSError) as e:
        raise BundleError(f"{bundle} is not a readable bundle ({e})") from None
    with tar:
        yield tar


def _check_members(tar: tarfile.TarFile, bundle) -> tuple[dict[str, Any], dict[str, tarfile.TarInfo]]:
    try:
        members = tar.getmembers()
    except (tarfile.TarError, EOFError, OSError) as e:
        raise BundleError(f"{bundle} is truncated or corrupt ({e})") from None
    by_name: dict[str, tarfile.TarInfo] = {}
    for m in members:
        _safe_name(m.name)
        if not m.isreg():
            raise BundleError(f"refusing bundle member {m.name!r}: not a plain file (links and devices are refused)")
        if m.name in by_name:
            raise BundleError(f"refusing bundle: {m.name!r} appears twice")
        by_name[m.name] = m
    if MANIFEST not in by_name:
        raise BundleError(f"{bundle} has no {MANIFEST}: truncated, or not a gh-ft bundle")
    try:
        manifest = json.loads(_read_member(tar, by_name[MANIFEST], bundle))
    except ValueError:
        raise BundleError(f"{bundle}: {MANIFEST} is not valid JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != BUNDLE_FORMAT:
        raise BundleError(f"{bundle} is not a gh-ft bundle (format {manifest.get('format') if isinstance(manifest, dict) else None!r})")
    if manifest.get("version") != BUNDLE_VERSION:
        raise BundleError(f"{bundle}: bundle version {manifest.get('version')!r}; this gh-ft reads version {BUNDLE_VERSION}")
    listed = {}
    for entry in manifest.get("files") or []:
        if not (isinstance(entry, dict) and isinstance(entry.get("path"), str)
                and isinstance(entry.get("size"), int) and isinstance(entry.get("sha256"), str)):
            raise BundleError(f"{bundle}: malformed file entry in {MANIFEST}: {entry!r}")
        listed[_safe_name(entry["path"])] = entry
    present = set(by_name) - {MANIFEST}
    if missing := sorted(set(listed) - present):
        raise BundleError(f"{bundle} is truncated: {', '.join(missing)} listed in {MANIFEST} but absent")
    if extra := sorted(present - set(listed)):
        raise BundleError(f"refusing bundle: {', '.join(extra)} not listed in {MANIFEST}")
    if manifest.get("modelfile") not in listed:
        raise BundleError(f"{bundle}: the manifest names no Modelfile among its files")
    return manifest, by_name


def _read_member(tar: tarfile.TarFile, member: tarfile.TarInfo, bundle) -> bytes:
    try:
        f = tar.extractfile(member)
        data = f.read() if f else b""
    except (tarfile.TarError, EOFError, OSError) as e:
        raise BundleError(f"{bundle} is truncated or corrupt at {member.name} ({e})") from None
    if len(data) != member.size:
        raise BundleError(f"{bundle} is truncated at {member.name}")
    return data


def verify_bundle(bundle: Path | str, extract_to: Path | None = None) -> dict[str, Any]:
    """Check every member against the manifest (size and sha256); with `extract_to`, write
    the files there while checking. Returns the manifest; BundleError names what is wrong."""
    with _open(bundle) as tar:
        manifest, by_name = _check_members(tar, bundle)
        for entry in manifest["files"]:
            member = by_name[entry["path"]]
            if member.size != entry["size"]:
                raise BundleError(f"{bundle}: {entry['path']} is {member.size} bytes, the manifest says {entry['size']}")
            target = Path(extract_to, *entry["path"].split("/")) if extract_to is not None else None
            digest, size = _copy_member(tar, member, target, bundle)
            if size != entry["size"] or digest != entry["sha256"]:
                raise BundleError(f"{bundle}: checksum mismatch for {entry['path']}: the bundle was altered or damaged")
    return manifest


def _copy_member(tar, member, target: Path | None, bundle) -> tuple[str, int]:
    sha, size = hashlib.sha256(), 0
    out = None
    try:
        if target is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            out = open(target, "xb")  # never follows or replaces anything already there
        src = tar.extractfile(member)
        while block := src.read(1 << 20):
            sha.update(block)
            size += len(block)
            if out:
                out.write(block)
    except (tarfile.TarError, EOFError) as e:
        raise BundleError(f"{bundle} is truncated or corrupt at {member.name} ({e})") from None
    finally:
        if out:
            out.close()
    return sha.hexdigest(), size


@dataclass
class InstalledBundle:
    manifest: dict[str, Any]
    model: CreatedModel
    kept_dir: Path | None  # where the files stay when install was given a folder


def install_bundle(bundle: Path | str, *, name: str | None = None, host: str | None = None,
                   dest_dir: Path | str | None = None, progress: Progress | None = None) -> InstalledBundle:
    """Verify `bundle` and create its model in the Ollama server at `host` (as `name`, default
    the name it was bundled under). Files are extracted into `dest_dir` (kept, so `ollama create
    -f` works by hand later) or into a temporary folder beside the bundle (removed afterwards)."""
    say = progress or (lambda message: None)
    bundle = Path(bundle)
    manifest = read_manifest(bundle)
    name = name or manifest.get("model_name")
    if not name:
        raise BundleError(f"{bundle} carries no model name; give one (--name)")
    check_server(host)  # before extracting gigabytes
    if dest_dir is not None:
        folder = Path(dest_dir)
        if folder.exists() and any(folder.iterdir()):
            raise BundleError(f"{folder} is not empty; install into a new folder")
        folder.mkdir(parents=True, exist_ok=True)
    else:
        try:  # beside the bundle: the same disk, with room for what the bundle holds
            folder = Path(tempfile.mkdtemp(prefix=f".{bundle.name}.", dir=bundle.resolve().parent))
        except OSError:  # a read-only share
            folder = Path(tempfile.mkdtemp(prefix=f"gh-ft-{bundle.name}."))
    try:
        say(f"verifying {bundle}")
        verify_bundle(bundle, extract_to=folder)
        modelfile = folder / manifest["modelfile"]
        _check_modelfile_stays_inside(modelfile, folder, manifest)
        say(f"creating {name}")
        created = create_model(name, modelfile, host=host, progress=say)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # only what this call extracted
        raise
    if dest_dir is None:
        shutil.rmtree(folder, ignore_errors=True)
    return InstalledBundle(manifest, created, folder if dest_dir is not None else None)


def _check_modelfile_stays_inside(modelfile: Path, folder: Path, manifest: dict[str, Any]) -> None:
    """A bundle's Modelfile may only name its own files (or the Ollama model the manifest
    declares): never upload something else from this machine."""
    spec = spec_from_modelfile(modelfile.read_text(encoding="utf-8"))
    root = folder.resolve()
    for what, value in (("FROM", spec.from_), ("ADAPTER", spec.adapter)):
        if value is None or (what == "FROM" and value == manifest.get("from_model") and not looks_like_path(value)):
            continue
        target = expand_path(value, modelfile.parent).resolve()
        if root not in target.parents and target != root:
            raise BundleError(f"refusing bundle: its Modelfile's {what} {value!r} points outside the bundle")
        if not target.exists():
            raise ModelfileError(f"bundle Modelfile {what} {value!r} names no file in the bundle")
