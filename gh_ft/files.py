"""File side effects shared by every stage: atomic writes, JSONL, locks, content hashes.

A write that matters goes to a temp file in the same folder, is fsynced, then
renamed over the target, and the folder is fsynced: a crash leaves either the old
file or the new one, never half of either.
"""
from __future__ import annotations

from gh_ft.errors import EXIT_BUSY, GhFtError
import contextlib
import errno
import fcntl
import hashlib
import json
import os
import signal
import tempfile
from pathlib import Path
from typing import Any, Iterable, Iterator



def sha256_file(path: Path | str) -> str:
    """Hex sha256 of a file's content (read in blocks, so any size)."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def sha256_if_file(path: Path | str) -> str | None:
    """`sha256_file`, or None when there is no such file (a missing input is a state of its own)."""
    return sha256_file(path) if Path(path).is_file() else None


# Fault injection for crash tests: GH_FT_FAULT=<step>:<n> makes the process SIGKILL itself
# the n-th time it reaches fault_point(<step>) (steps: write, fsync, rename here; archive
# in feedback ingestion). Read once at import; unset (always, outside tests) a call costs
# one comparison.
def _fault_spec() -> tuple[str | None, int]:
    step, _, n = os.environ.get("GH_FT_FAULT", "").partition(":")
    try:
        return (step or None), int(n or 1)
    except ValueError:
        return None, 0


_FAULT_STEP, _FAULT_AT = _fault_spec()
_fault_seen = 0


def fault_point(step: str) -> None:
    global _fault_seen
    if _FAULT_STEP is None or step != _FAULT_STEP:
        return
    _fault_seen += 1
    if _fault_seen == _FAULT_AT:
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path | str, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            # Two writes, so a crash test's fault can leave a temp file cut in the middle.
            view, half = memoryview(data), len(data) // 2
            f.write(view[:half])
            f.flush()
            fault_point("write")
            f.write(view[half:])
            f.flush()
            os.fsync(f.fileno())
        fault_point("fsync")
        os.replace(tmp, path)
        fault_point("rename")
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def atomic_write_text(path: Path | str, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def dumps_jsonl(rows: Iterable[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def atomic_write_jsonl(path: Path | str, rows: Iterable[dict[str, Any]]) -> None:
    atomic_write_text(path, dumps_jsonl(rows))


def atomic_write_json(path: Path | str, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=False) + "\n")


def read_jsonl(path: Path | str) -> Iterator[dict[str, Any]]:
    """Rows of a JSONL file; a malformed line raises ValueError naming file and line."""
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{lineno}: not valid JSON ({e.msg})") from None
            if not isinstance(row, dict):
                raise ValueError(f"{path}:{lineno}: expected a JSON object")
            yield row


class LockBusy(GhFtError, RuntimeError):
    exit_code = EXIT_BUSY

    pass


@contextlib.contextmanager
def file_lock(path: Path | str, wait: bool = False) -> Iterator[None]:
    """An advisory exclusive lock (flock); released when the process dies."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except OSError as e:
            if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise LockBusy(f"{path} is held by another process") from None
            raise
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)
