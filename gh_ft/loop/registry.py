"""The run registry: every version the improve loop trained, what it was made of, how it
scored, what the gate said, and which version is served.

`runs/registry.jsonl` holds one row per version. It is small and rewritten whole (temp +
fsync + rename) under a short lock (`runs/.registry.lock`), so a crash leaves the old or the
new file, and the improve loop, `runs rollback` and `runs prune` never lose each other's
updates. It is the source of truth for which version is promoted: each row keeps its
promotion events (`promotions`, numbered across the registry; a rollback adds one), and the
current version is the one with the newest event. `runs/latest` is a relative symlink to
the current version's run folder, switched by renaming a new symlink over it (atomic), and
repaired from the registry when a crash fell between the two (`sync_latest`).

Pure helpers (`current_row`, `previous_row`, `prune_plan`, ...) work on lists of rows; the
`Registry` class is the edge that reads and writes the file.
"""
from __future__ import annotations

from gh_ft.errors import GhFtError
import contextlib
import os
import secrets
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from gh_ft.files import atomic_write_jsonl, file_lock, fsync_dir, read_jsonl

REGISTRY_FILE = "registry.jsonl"
REGISTRY_LOCK = ".registry.lock"
LATEST = "latest"
PRUNED_PREFIX = ".pruned-"

# Verdicts. "training"/"evaluating" only while the loop works on a version; a crash
# leaves them behind, and the next loop start turns them into "interrupted".
TRAINING, EVALUATING = "training", "evaluating"
PROMOTED, REJECTED, FAILED, INTERRUPTED = "promoted", "rejected", "failed", "interrupted"
IN_PROGRESS = (TRAINING, EVALUATING)
TRAINED = (PROMOTED, REJECTED)  # a model exists and was judged


class RegistryError(GhFtError, RuntimeError):
    pass


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def tag(version: int) -> str:
    return f"v{version}"


def parse_version(text: str | int) -> int:
    """3, "3" or "v3" -> 3."""
    s = str(text).strip().lower().removeprefix("v")
    if not s.isdigit() or int(s) < 1:
        raise RegistryError(f"not a version: {text!r} (expected e.g. v3 or 3)")
    return int(s)


# ---------------------------------------------------------------- pure views of the rows

def _last_promotion(row: dict) -> int:
    return max((p["seq"] for p in row.get("promotions", [])), default=0)


def promotion_events(rows: list[dict]) -> list[tuple[int, int]]:
    """(seq, version) of every promotion, newest first."""
    return sorted(((p["seq"], r["version"]) for r in rows for p in r.get("promotions", [])), reverse=True)


def current_row(rows: list[dict]) -> dict | None:
    """The promoted version: the one promoted (or rolled back to) last."""
    events = promotion_events(rows)
    return find_row(rows, events[0][1]) if events else None


def previous_row(rows: list[dict]) -> dict | None:
    """The version that was served before the current one (what a rollback would go back to)."""
    events = promotion_events(rows)
    if not events:
        return None
    current = events[0][1]
    before = next((v for _, v in events if v != current), None)
    return find_row(rows, before) if before is not None else None


def find_row(rows: list[dict], version: int) -> dict | None:
    return next((r for r in rows if r["version"] == version), None)


def next_version(rows: list[dict]) -> int:
    return max((r["version"] for r in rows), default=0) + 1


def last_trained_row(rows: list[dict]) -> dict | None:
    """The newest version that trained and was judged (promoted or not)."""
    trained = [r for r in rows if r.get("verdict") in TRAINED]
    return max(trained, key=lambda r: r["version"]) if trained else None


def prune_plan(rows: list[dict], keep: int) -> list[dict]:
    """Rows whose run folders `runs prune --keep N` removes: all but the N newest versions
    that still have a folder, and never the current version, the one before it, or one the
    loop is still working on."""
    if keep < 0:
        raise RegistryError("--keep must be 0 or more")
    protected = {r["version"] for r in (current_row(rows), previous_row(rows)) if r is not None}
    protected |= {r["version"] for r in rows if r.get("verdict") in IN_PROGRESS}
    present = sorted((r for r in rows if r.get("run_dir") and not r.get("pruned")), key=lambda r: r["version"],
                     reverse=True)
    kept = {r["version"] for r in present[:keep]} | protected
    return [r for r in present if r["version"] not in kept]


def describe(row: dict, current: int | None) -> dict:
    """One `runs list` line's fields."""
    metrics = row.get("metrics") or {}
    cand = metrics.get("candidate") or {}
    return {"version": tag(row["version"]), "current": row["version"] == current, "verdict": row.get("verdict"),
            "created": row.get("created"), "run": row.get("run_dir"), "pass_rate": cand.get("pass_rate"),
            "test_loss": cand.get("test_loss"), "feedback": row.get("feedback_examples"),
            "data": (row.get("data_hash") or "")[:12], "pruned": bool(row.get("pruned")),
            "reason": row.get("reason")}


# ---------------------------------------------------------------- the file (the edge)

@dataclass(frozen=True)
class Registry:
    runs_dir: Path

    @property
    def path(self) -> Path:
        return self.runs_dir / REGISTRY_FILE

    @property
    def latest(self) -> Path:
        return self.runs_dir / LATEST

    def rows(self) -> list[dict]:
        if not self.path.is_file():
            return []
        try:
            rows = list(read_jsonl(self.path))
        except (ValueError, UnicodeDecodeError) as e:
            raise RegistryError(f"{e}; the registry is damaged: fix the line (nothing was changed)") from None
        for i, r in enumerate(rows, 1):
            if not isinstance(r.get("version"), int):
                raise RegistryError(f"{self.path}:{i}: row without an integer 'version'")
        return rows

    @contextlib.contextmanager
    def edit(self) -> Iterator[list[dict]]:
        """Read, let the caller change the rows in place, write back atomically; under the lock."""
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        with file_lock(self.runs_dir / REGISTRY_LOCK, wait=True):
            rows = self.rows()
            yield rows
            atomic_write_jsonl(self.path, sorted(rows, key=lambda r: r["version"]))

    def run_dir(self, row: dict) -> Path | None:
        return self.runs_dir / row["run_dir"] if row.get("run_dir") else None

    def add(self, **fields: Any) -> dict:
        """A new version row (the next number), written before any work on it starts."""
        with self.edit() as rows:
            row = {"version": next_version(rows), "created": now_iso(), "verdict": TRAINING, "run_dir": None,
                   "promotions": [], **fields}
            rows.append(row)
        return row

    def update(self, version: int, **fields: Any) -> dict:
        with self.edit() as rows:
            row = find_row(rows, version)
            if row is None:
                raise RegistryError(f"no version {tag(version)} in {self.path}")
            row.update(fields)
            return dict(row)

    def promote(self, version: int, *, by: str, expected_current: int | None | object = ...) -> dict:
        """Record `version` as promoted, then point runs/latest at it. With `expected_current`,
        refuse (RegistryError) when the current version changed meanwhile (a rollback during
        an improve round: the gate compared against a model no longer served)."""
        with self.edit() as rows:
            row = find_row(rows, version)
            if row is None:
                raise RegistryError(f"no version {tag(version)} in {self.path}")
            if row.get("pruned") or not row.get("run_dir"):
                raise RegistryError(f"{tag(version)} has no run folder (pruned or never trained)")
            if expected_current is not ...:
                cur = current_row(rows)
                now = cur["version"] if cur else None
                if now != expected_current:
                    raise RegistryError(f"the promoted version changed to {tag(now) if now else 'none'} while "
                                        f"{tag(version)} was being judged against "
                                        f"{tag(expected_current) if expected_current else 'the base model'}")
            seq = max((s for s, _ in promotion_events(rows)), default=0) + 1
            row.setdefault("promotions", []).append({"seq": seq, "at": now_iso(), "by": by})
            if by == "gate":
                row["verdict"] = PROMOTED
            promoted = dict(row)
        self.sync_latest()
        return promoted

    def current(self) -> dict | None:
        return current_row(self.rows())

    # -- runs/latest
    def read_latest(self) -> str | None:
        try:
            return os.readlink(self.latest)
        except (FileNotFoundError, OSError):
            return None

    def sync_latest(self) -> str | None:
        """Point runs/latest at the current version's folder when it points elsewhere."""
        cur = self.current()
        target = cur["run_dir"] if cur else None
        if target is None or self.read_latest() == target:
            return target
        if self.latest.exists() and not self.latest.is_symlink():
            raise RegistryError(f"{self.latest} is not a symlink: move it away so gh-ft can manage it")
        tmp = self.runs_dir / f".{LATEST}.{secrets.token_hex(4)}.tmp"
        os.symlink(target, tmp)  # relative: the runs folder can move as a whole
        try:
            os.replace(tmp, self.latest)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        fsync_dir(self.runs_dir)
        return target

    # -- prune
    def prune(self, keep: int, *, dry_run: bool = False) -> list[tuple[dict, int]]:
        """Remove the run folders of `prune_plan`; returns (row, bytes freed). Each row is
        marked pruned (durably) before its folder goes; the folder is renamed aside first,
        so a crash leaves either the whole folder or a `.pruned-*` leftover, which the next
        prune removes."""
        if dry_run:
            return [(r, _size(self.runs_dir / r["run_dir"])) for r in prune_plan(self.rows(), keep)]
        with self.edit() as rows:
            plan = prune_plan(rows, keep)
            for r in plan:
                r["pruned"] = now_iso()
        done = []
        for r in plan:
            folder = self.runs_dir / r["run_dir"]
            size = _size(folder)
            if folder.is_dir() and not folder.is_symlink():
                aside = self.runs_dir / f"{PRUNED_PREFIX}{r['run_dir']}"
                os.replace(folder, aside)
                fsync_dir(self.runs_dir)
                shutil.rmtree(aside)
            done.append((r, size))
        for leftover in self.runs_dir.glob(f"{PRUNED_PREFIX}*"):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover)
        return done


def _size(folder: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(folder):
        for f in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, f)).st_size
    return total


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


def format_table(rows: list[dict]) -> str:
    """`runs list` as a text table (rows from `describe`)."""
    head = ("", "version", "verdict", "pass rate", "test loss", "feedback", "data", "created", "run")
    lines = [head]
    for d in rows:
        pr, tl = d["pass_rate"], d["test_loss"]
        lines.append(("*" if d["current"] else "", d["version"], d["verdict"] + (" (pruned)" if d["pruned"] else ""),
                      "-" if pr is None else f"{pr:.1%}", "-" if tl is None else f"{tl:.4f}",
                      "-" if d["feedback"] is None else str(d["feedback"]), d["data"] or "-",
                      d["created"] or "-", d["run"] or "-"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in lines)
