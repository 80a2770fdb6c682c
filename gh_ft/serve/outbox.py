"""The outbox between two hosts: the trainer publishes each promoted version as a bundle,
the workstation installs it into its local Ollama (`gh-ft bundle watch --from OUTBOX`).

The outbox is a folder both machines see (a share, or a synced folder such as Syncthing
or Dropbox, which copy files in any order and may show half-copied files). It holds
  <name>-v<N>.ollama-bundle.tar   bundles (written whole, then renamed: export/bundle.py)
  promoted.json                   the pointer: which bundle is served now, its size and sha256
The pointer is written last (atomically) and names the bundle's size and checksum, so the
watcher installs nothing until the bundle it names has fully arrived, and a rollback on the
trainer (a new pointer to an older bundle) is followed too. The watcher keeps its own
state file (what it installed, per version), so a re-run installs nothing twice, and going
back to a version it already has only re-points the model name.
"""
from __future__ import annotations

from gh_ft.errors import GhFtError
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from gh_ft.files import atomic_write_json, file_lock
from gh_ft.files import sha256_file
from gh_ft.loop.registry import now_iso, tag

POINTER = "promoted.json"
POINTER_FORMAT = "gh-ft-outbox"
BUNDLE_SUFFIX = ".ollama-bundle.tar"

Echo = Callable[[str], None]


class OutboxError(GhFtError, RuntimeError):
    pass


def bundle_name(model_name: str, version: int) -> str:
    """A file name for the bundle of `version` (the model name made filename-safe)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", model_name) + f"-{tag(version)}{BUNDLE_SUFFIX}"


def _bundle_version(path: Path, model_name: str) -> int | None:
    prefix = bundle_name(model_name, 1)[: -len(f"v1{BUNDLE_SUFFIX}")]
    m = re.fullmatch(re.escape(prefix) + r"v(\d+)" + re.escape(BUNDLE_SUFFIX), path.name)
    return int(m.group(1)) if m else None


# ---------------------------------------------------------------- the trainer's side

def publish_to_outbox(outbox: Path, modelfile: Path, *, model_name: str, version: int, seq: int,
                      keep_versions: set[int], make_bundle: Callable[..., Path] | None = None,
                      echo: Echo = lambda m: None) -> dict[str, Any]:
    """Bundle `modelfile` (and the files it names) into the outbox unless that version's
    bundle is already there, then point promoted.json at it; bundles of versions not in
    `keep_versions` (nor this one) are removed after the pointer moved."""
    if make_bundle is None:
        from gh_ft.export.bundle import make_bundle
    outbox = Path(outbox)
    outbox.mkdir(parents=True, exist_ok=True)
    # A publish killed mid-bundle leaves its temp file (never under a bundle's name, so never
    # published); the improve lock makes this the only publisher, so any such file is stale.
    for stale in outbox.glob(f".*{BUNDLE_SUFFIX}.*.tmp"):
        stale.unlink(missing_ok=True)
    target = outbox / bundle_name(model_name, version)
    if target.is_file():
        echo(f"outbox: {target.name} is already there")
    else:
        echo(f"outbox: writing {target.name}")
        make_bundle(modelfile, target, model_name=model_name, progress=echo)
    # Temp files are created owner-only; the workstation may read the share as another user.
    os.chmod(target, 0o644)
    pointer = {"format": POINTER_FORMAT, "version": 1, "model_name": model_name, "model_version": version,
               "seq": seq, "bundle": target.name, "size": target.stat().st_size, "sha256": sha256_file(target),
               "published_at": now_iso()}
    atomic_write_json(outbox / POINTER, pointer)
    os.chmod(outbox / POINTER, 0o644)
    for old in outbox.glob(f"*{BUNDLE_SUFFIX}"):
        v = _bundle_version(old, model_name)
        if v is not None and v != version and v not in keep_versions:
            old.unlink(missing_ok=True)
            echo(f"outbox: removed {old.name}")
    return pointer


# ---------------------------------------------------------------- the workstation's side

def read_pointer(outbox: Path) -> dict[str, Any] | None:
    """The pointer, or None when nothing was published yet. A pointer that does not parse
    (a sync tool still copying it) raises OutboxError, which the watcher treats as 'later'."""
    path = Path(outbox) / POINTER
    if not path.is_file():
        return None
    try:
        pointer = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise OutboxError(f"{path} is not readable yet ({e})") from None
    keys = ("model_version", "seq", "bundle", "size", "sha256")
    if not isinstance(pointer, dict) or pointer.get("format") != POINTER_FORMAT or any(k not in pointer for k in keys):
        raise OutboxError(f"{path} is not a gh-ft outbox pointer")
    if Path(pointer["bundle"]).name != pointer["bundle"]:
        raise OutboxError(f"{path} names a bundle outside the outbox: {pointer['bundle']!r}")
    return pointer


@dataclass
class WatchResult:
    action: str                  # installed | repointed | up-to-date | waiting | nothing
    message: str
    version: int | None = None


def _read_state(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {"installed": {}, "served": None}
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise OutboxError(f"{path} is damaged ({e}); remove it to reinstall the current bundle") from None
    state.setdefault("installed", {})
    state.setdefault("served", None)
    return state


def watch_once(outbox: Path, state_path: Path, *, install: Callable[[Path, str], None],
               point: Callable[[int], None], has_tag: Callable[[int], bool],
               echo: Echo = lambda m: None) -> WatchResult:
    """One look at the outbox. `install(bundle, version)` creates the version's tag from the
    bundle; `point(version)` points the served name at that tag; `has_tag(version)` says
    whether the local Ollama still has it. Installs only the bundle the pointer names, only
    once it is complete, and records each step in the state file."""
    outbox, state_path = Path(outbox), Path(state_path)
    try:
        pointer = read_pointer(outbox)
    except OutboxError as e:
        return WatchResult("waiting", str(e))
    if pointer is None:
        return WatchResult("nothing", f"nothing published in {outbox} yet")
    state = _read_state(state_path)
    v, seq, digest = pointer["model_version"], pointer["seq"], pointer["sha256"]
    served = state.get("served") or {}
    if served.get("seq") == seq and served.get("sha256") == digest:
        return WatchResult("up-to-date", f"{tag(v)} is installed and served", v)
    if state["installed"].get(tag(v)) == digest and has_tag(v):
        point(v)
        action, message = "repointed", f"{tag(v)} was installed before: served again"
    else:
        bundle = outbox / pointer["bundle"]
        if not bundle.is_file() or bundle.stat().st_size != pointer["size"]:
            return WatchResult("waiting", f"waiting for {bundle.name} to arrive completely", v)
        if sha256_file(bundle) != digest:
            return WatchResult("waiting", f"{bundle.name} does not match its checksum yet (still copying?)", v)
        echo(f"installing {bundle.name}")
        install(bundle, v)
        state["installed"][tag(v)] = digest
        atomic_write_json(state_path, state)  # the tag exists now, even if pointing fails below
        point(v)
        action, message = "installed", f"installed {bundle.name} as {tag(v)} and serving it"
    state["served"] = {"version": v, "seq": seq, "sha256": digest, "at": now_iso()}
    atomic_write_json(state_path, state)
    return WatchResult(action, message, v)


def watch_lock(state_path: Path):
    """One watcher per state file."""
    return file_lock(Path(state_path).with_name(Path(state_path).name + ".lock"))
