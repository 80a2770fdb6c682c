"""Serving a promoted version: its GGUF export and Modelfile, the Ollama names, the outbox,
and the workstation's side of the outbox (`gh-ft bundle watch`).

Names in Ollama: every promoted version becomes `<name>:v<N>` (kept as a tag), and the name
the plugin asks for (`ollama.model_name`, default grasshopper-component-generator) is
created FROM that tag, which copies the tag's layers: nothing is uploaded again, and a
rollback is a re-point. `<name>` may carry its own tag (`name:prod`); versions then live
beside it as `name:v<N>`.
"""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

from gh_ft.export.ollama import OllamaError, OllamaUnreachable, check_server, client, resolve_host
from gh_ft.serve.outbox import Echo, WatchResult, publish_to_outbox, watch_lock, watch_once
from gh_ft.loop.registry import Registry, current_row, previous_row, tag
from gh_ft.settings import Settings



def version_name(model_name: str, version: int) -> str:
    """`name:v3` for `name` or `name:sometag` (namespace/ kept)."""
    head, _, last = model_name.rpartition("/")
    repo = last.split(":", 1)[0]
    return (f"{head}/" if head else "") + f"{repo}:{tag(version)}"


def has_model(host: str | None, name: str) -> bool:
    import ollama

    try:
        client(host).show(name)
        return True
    except ollama.ResponseError as e:
        if e.status_code == 404:
            return False
        raise OllamaError(f"Ollama at {resolve_host(host)}: {e.error}") from None


def point_name(host: str | None, model_name: str, version: int) -> None:
    """Create `model_name` FROM `name:vN` (a copy of its layers, template and parameters)."""
    import ollama

    source = version_name(model_name, version)
    try:
        status = client(host).create(model=model_name, from_=source, stream=False).status
    except ollama.ResponseError as e:
        raise OllamaError(f"Ollama at {resolve_host(host)} refused to point {model_name} at {source}: {e.error}") \
            from None
    if status != "success":
        raise OllamaError(f"Ollama did not confirm pointing {model_name} at {source} (status {status!r})")


def publish_version(settings: Settings, row: dict, modelfile: Path, *, echo: Echo = print,
                    registry: Registry | None = None) -> dict[str, Any]:
    """Serve the promoted `row`: Ollama (`name:vN`, then `name`) when a server answers, and
    the outbox when one is set. Returns what was done; parts that could not be done yet
    are listed under "pending" (the loop retries them)."""
    v, o = row["version"], settings.ollama
    host = o.host
    record: dict[str, Any] = {"pending": []}
    try:
        check_server(host)
    except OllamaUnreachable as e:
        record["pending"].append("ollama")
        echo(f"Ollama: {e}; the next round tries again")
    else:
        tagged = version_name(o.model_name, v)
        if has_model(host, tagged):
            echo(f"Ollama: {tagged} exists")
        else:
            from gh_ft.export.ollama import create_model
            create_model(tagged, modelfile, host=host)
            echo(f"Ollama: created {tagged}")
        point_name(host, o.model_name, v)
        echo(f"Ollama: {o.model_name} -> {tagged} at {resolve_host(host)}")
        record["ollama"] = {"host": resolve_host(host), "name": o.model_name, "tag": tagged}
    outbox = settings.improve.outbox
    if outbox is not None:
        rows = registry.rows() if registry else []
        keep = {r["version"] for r in (current_row(rows), previous_row(rows)) if r}
        seq = max(p["seq"] for p in row["promotions"])
        pointer = publish_to_outbox(outbox, modelfile, model_name=o.model_name, version=v, seq=seq,
                                    keep_versions=keep, echo=echo)
        record["outbox"] = {"dir": str(outbox), "bundle": pointer["bundle"], "sha256": pointer["sha256"]}
    return record


# ---------------------------------------------------------------- the workstation: bundle watch

def default_state_path(settings: Settings) -> Path:
    return settings.state_dir / "bundle-watch.json"


def bundle_watch(settings: Settings, outbox: Path, *, state_path: Path | None = None, once: bool = False,
                 interval_s: float | None = None, echo: Echo = print, stop=None) -> WatchResult | None:
    """`gh-ft bundle watch --from OUTBOX`: install the promoted bundle into the local Ollama
    under the plugin's model name, now (`once`) or whenever it changes (until SIGTERM)."""
    from gh_ft.export.bundle import install_bundle
    from gh_ft.loop.improve import StopSignal

    o = settings.ollama
    host = o.host
    state_path = state_path or default_state_path(settings)
    state_path.parent.mkdir(parents=True, exist_ok=True)

    def install(bundle: Path, version: int) -> None:
        # Extracted on this machine, beside the state file: never into the outbox, which a
        # sync tool would copy back to the trainer.
        work = state_path.parent / f".installing-{tag(version)}-{os.getpid()}"
        shutil.rmtree(work, ignore_errors=True)
        try:
            install_bundle(bundle, name=version_name(o.model_name, version), host=host, dest_dir=work, progress=echo)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def look() -> WatchResult:
        try:
            check_server(host)
        except OllamaUnreachable as e:
            return WatchResult("waiting", str(e))
        return watch_once(outbox, state_path, install=install, point=lambda v: point_name(host, o.model_name, v),
                          has_tag=lambda v: has_model(host, version_name(o.model_name, v)), echo=echo)

    with watch_lock(state_path):
        if once:
            return look()
        stop = stop if stop is not None else StopSignal()
        with stop.installed():
            last = None
            while not stop:
                try:
                    result = look()
                except Exception as e:  # noqa: BLE001 - a bad bundle must not kill the watcher
                    result = WatchResult("failed", f"{type(e).__name__}: {e}")
                if result.message != last:
                    echo(f"[{time.strftime('%Y-%m-%d %H:%M:%S')}] {result.message}")
                    last = result.message
                if stop.sleep(interval_s if interval_s is not None else 30.0):
                    break
        return None


__all__ = ["bundle_watch", "has_model", "point_name", "publish_version", "version_name"]
