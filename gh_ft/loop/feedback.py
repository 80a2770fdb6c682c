"""`gh-ft feedback ingest`: the plugin's feedback folder → the dataset's feedback.jsonl, losing nothing.

Effects happen in this order, each durable before the next starts, so a crash anywhere
leaves a state the next run completes with the same result:
  1. under a lock, remove this stage's own stale temp files;
  2. read feedback.jsonl: its rows' content hashes are the record of what is already in
     (no second ledger that could disagree with it after a crash); read train and test;
  3. judge every inbox file (pure: bytes and age → verdict);
  4. if rows were accepted: copy feedback.jsonl to feedback.jsonl.bak, then write the
     longer feedback.jsonl (old bytes kept as they are, new rows appended), each
     temp + fsync + rename;
  5. only then move accepted files (and those already in) to processed/, and the others
     to quarantine/ (the reason file first, then the file).
After a crash between 4 and 5 the next run finds the leftover files' hashes in
feedback.jsonl and only archives them: nothing is lost, nothing doubled.
"""
from __future__ import annotations

from gh_ft.errors import GhFtError
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from gh_ft.dataset import NearDupIndex
from gh_ft.files import LockBusy, atomic_write_bytes, atomic_write_text, dumps_jsonl, fault_point, file_lock, fsync_dir, \
    read_jsonl
from gh_ft.loop.feedback_contract import FILE_PATTERN, FeedbackIncomplete, FeedbackInvalid, FeedbackRecord, parse_feedback, row_hash

FEEDBACK_FILE = "feedback.jsonl"
BACKUP_FILE = "feedback.jsonl.bak"
LOCK_FILE = ".feedback.lock"
PROCESSED_DIR = "processed"
QUARANTINE_DIR = "quarantine"
REASON_SUFFIX = ".reason.txt"

ACCEPT, DUPLICATE, QUARANTINE, LATER = "accept", "duplicate", "quarantine", "later"
INVALID, INCOMPLETE, NEAR_DUPLICATE, TEST_LEAK = "invalid", "incomplete", "near-duplicate", "test-leak"

__all__ = ["IngestError", "IngestReport", "LockBusy", "count_feedback", "ingest_feedback"]


class IngestError(GhFtError, RuntimeError):
    pass


@dataclass
class IngestReport:
    """What one ingest did. `quarantined` maps every file moved to quarantine/ this round to
    its reason (near-duplicates and test leaks included, also counted on their own)."""
    feedback_file: Path
    accepted: int = 0                 # new rows appended to feedback.jsonl
    duplicates: int = 0               # files whose exact content was already in feedback.jsonl: archived
    near_duplicates: int = 0          # near-copies of train or feedback rows: quarantined
    test_leaks: int = 0               # near-copies of test tasks: quarantined, never trained on
    quarantined: dict[str, str] = field(default_factory=dict)
    left_for_later: dict[str, str] = field(default_factory=dict)
    total_feedback_examples: int = 0  # rows in feedback.jsonl afterwards
    accepted_files: list[str] = field(default_factory=list)
    duplicate_files: list[str] = field(default_factory=list)
    backup: Path | None = None        # the previous feedback.jsonl, when this round replaced it

    @property
    def invalid(self) -> int:
        return len(self.quarantined) - self.near_duplicates - self.test_leaks

    def to_dict(self) -> dict:
        d = asdict(self)
        d["feedback_file"] = str(self.feedback_file)
        d["backup"] = str(self.backup) if self.backup else None
        d["invalid"] = self.invalid
        return d

    def lines(self) -> list[str]:
        out = [f"feedback: {self.accepted} accepted, {self.duplicates} already in, "
               f"{self.near_duplicates} near-duplicate(s), {self.test_leaks} test leak(s), "
               f"{self.invalid} invalid, {len(self.left_for_later)} left for later"]
        out += [f"  quarantined {name}: {reason}" for name, reason in self.quarantined.items()]
        out += [f"  left {name}: {why}" for name, why in self.left_for_later.items()]
        out.append(f"{self.feedback_file}: {self.total_feedback_examples} example(s)"
                   + (f" (previous version: {self.backup.name})" if self.backup else ""))
        return out


@dataclass
class _Verdict:
    path: Path
    kind: str                 # ACCEPT | DUPLICATE | QUARANTINE | LATER
    category: str = ""        # for QUARANTINE: INVALID | INCOMPLETE | NEAR_DUPLICATE | TEST_LEAK
    reason: str = ""
    record: FeedbackRecord | None = None


def _instruction_key(text: str) -> str:
    return " ".join(text.split()).casefold()


class _Screen:
    """What a new row is compared with: feedback (exact), test (leaks), train + feedback (near)."""

    def __init__(self, train: list[dict], test: list[dict], feedback: list[dict], threshold: float):
        self.in_feedback = {row_hash(r) for r in feedback}
        self.rank: dict[str, tuple[int, int]] = {}  # reasons name the first match in file/row order
        self.near = NearDupIndex(threshold)
        for i, r in enumerate(train, 1):
            self._add(self.near, (0, i), f"train.jsonl row {i}", r)
        for i, r in enumerate(feedback, 1):
            self._add(self.near, (1, i), f"{FEEDBACK_FILE} row {i}", r)
        self.next_row = len(feedback) + 1
        self.test = NearDupIndex(threshold)
        self.test_instructions: dict[str, str] = {}
        for i, r in enumerate(test, 1):
            self._add(self.test, (2, i), f"test.jsonl row {i}", r)
            self.test_instructions.setdefault(_instruction_key(r.get("instruction", "")), f"test.jsonl row {i}")

    def _add(self, index: NearDupIndex, rank: tuple[int, int], key: str, row: dict) -> None:
        self.rank[key] = rank
        index.add(key, row.get("output", ""))

    def _first(self, index: NearDupIndex, code: str) -> str | None:
        # Not the closest match: a re-run after a crash also sees this round's later rows
        # (numbered after every earlier one), and the reason must come out the same.
        return min(index.query(code), key=self.rank.__getitem__, default=None)

    def judge(self, path: Path, record: FeedbackRecord) -> _Verdict:
        h = record.content_hash
        if h in self.in_feedback:
            return _Verdict(path, DUPLICATE, record=record)
        same_task = self.test_instructions.get(_instruction_key(record.instruction))
        if same_task:
            return _Verdict(path, QUARANTINE, TEST_LEAK,
                            f"its instruction is the test task of {same_task}; a test task never enters training")
        leak = self._first(self.test, record.output)
        if leak:
            return _Verdict(path, QUARANTINE, TEST_LEAK,
                            f"its code is a near-copy of {leak}; a test task never enters training")
        near = self._first(self.near, record.output)
        if near:
            return _Verdict(path, QUARANTINE, NEAR_DUPLICATE, f"its code is a near-duplicate of {near}")
        # Later files of this round compare with this one under the row number it will get,
        # the name a re-run after a crash would see.
        self.in_feedback.add(h)
        self._add(self.near, (1, self.next_row), f"{FEEDBACK_FILE} row {self.next_row}", record.row())
        self.next_row += 1
        return _Verdict(path, ACCEPT, record=record)


def _file_age(st: os.stat_result, now: float) -> float:
    # ctime as well as mtime: a synced or copied file may carry an old mtime while it grows.
    return now - max(st.st_mtime, st.st_ctime)


def _classify(path: Path, screen: _Screen, now: float, min_age_s: float, max_bytes: int,
              incomplete_grace_s: float) -> _Verdict | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None  # removed since the listing
    age = _file_age(st, now)
    if age < min_age_s:
        return _Verdict(path, LATER, reason=f"too new: changed {max(age, 0):.0f} s ago (waiting {min_age_s:g} s)")
    try:
        with open(path, "rb") as f:
            data = f.read(max_bytes + 1)
        record = parse_feedback(data, max_bytes)
    except FileNotFoundError:
        return None
    except OSError as e:  # e.g. still locked by a writer on a shared folder
        return _Verdict(path, LATER, reason=f"cannot be read yet: {e.strerror or e}")
    except FeedbackIncomplete as e:
        if age < incomplete_grace_s:
            return _Verdict(path, LATER, reason=f"{e}: may still be being written (quarantined when unchanged "
                                                f"for {incomplete_grace_s:g} s)")
        return _Verdict(path, QUARANTINE, INCOMPLETE, f"{e}, unchanged for over {incomplete_grace_s:g} s")
    except FeedbackInvalid as e:
        return _Verdict(path, QUARANTINE, INVALID, str(e))
    return screen.judge(path, record)


def _read_rows(path: Path, what: str) -> list[dict]:
    if not path.is_file():
        return []
    try:
        return list(read_jsonl(path))
    except (ValueError, UnicodeDecodeError) as e:
        raise IngestError(f"{e}; {what}") from None


def _free_name(folder: Path, name: str) -> str:
    """`name`, or `stem.2.json`... when the archive already holds a file of that name
    (an older generation with the same second-resolution timestamp): never overwrite."""
    if not (folder / name).exists():
        return name
    stem, dot, suffix = name.rpartition(".")
    k = 2
    while (folder / f"{stem}.{k}{dot}{suffix}").exists():
        k += 1
    return f"{stem}.{k}{dot}{suffix}"


def _move(path: Path, folder: Path, reason: str | None = None) -> None:
    folder.mkdir(exist_ok=True)
    target = folder / _free_name(folder, path.name)
    if reason is not None:
        # The reason first: a crash before the move leaves the file in the inbox, and the
        # re-run picks the same free name and rewrites the same reason.
        atomic_write_text(folder / (target.name + REASON_SUFFIX), reason)
    os.rename(path, target)
    fault_point("archive")


def _reason_text(v: _Verdict) -> str:
    return (f"{v.category}: {v.reason}\n"
            f"file: {v.path.name}\n"
            "To retry, fix the file and move it back up into the feedback folder.\n")


def _remove_stale_temps(data_dir: Path, from_dir: Path) -> None:
    """Temp files of writes a crash interrupted: ours alone, and we hold the lock."""
    stale = [*data_dir.glob(f".{FEEDBACK_FILE}.*.tmp"), *data_dir.glob(f".{BACKUP_FILE}.*.tmp"),
             *(from_dir / QUARANTINE_DIR).glob(f".*{REASON_SUFFIX}.*.tmp")]
    for p in stale:
        p.unlink(missing_ok=True)


def count_feedback(data_dir: Path | str) -> int:
    """Rows in the dataset's feedback.jsonl (0 when there is none)."""
    return len(_read_rows(Path(data_dir) / FEEDBACK_FILE, "fix or restore the file"))


def ingest_feedback(from_dir: Path | str, data_dir: Path | str, *, min_age_s: float = 5.0, max_file_kb: int = 512,
                    now: float | None = None, progress: Callable[[int, int], None] | None = None,
                    near_duplicate_threshold: float = 0.8, incomplete_grace_s: float = 600.0,
                    wait_for_lock: bool = False) -> IngestReport:
    """Move the plugin's feedback files into data_dir/feedback.jsonl (see the module doc).
    Raises IngestError (missing folders, a damaged feedback.jsonl) or LockBusy."""
    from_dir, data_dir = Path(from_dir), Path(data_dir)
    if not from_dir.is_dir():
        raise IngestError(f"feedback folder {from_dir} does not exist")
    for name in ("train.jsonl", "test.jsonl"):
        if not (data_dir / name).is_file():
            raise IngestError(f"no {name} in {data_dir}: run `gh-ft collect` first (feedback is checked against "
                              "the test split, so it needs one)")
    now = time.time() if now is None else now
    feedback_path = data_dir / FEEDBACK_FILE
    report = IngestReport(feedback_path)
    with file_lock(data_dir / LOCK_FILE, wait=wait_for_lock):
        _remove_stale_temps(data_dir, from_dir)
        old_bytes = feedback_path.read_bytes() if feedback_path.is_file() else None
        feedback = _read_rows(feedback_path, f"fix it or restore {BACKUP_FILE}; nothing was changed")
        report.total_feedback_examples = len(feedback)
        files = sorted(p for p in from_dir.glob(FILE_PATTERN) if p.is_file())
        if not files:  # the usual case for a polling loop: skip indexing train and test
            return report
        screen = _Screen(_read_rows(data_dir / "train.jsonl", "run `gh-ft collect` again"),
                         _read_rows(data_dir / "test.jsonl", "run `gh-ft collect` again"),
                         feedback, near_duplicate_threshold)
        verdicts: list[_Verdict] = []
        for i, path in enumerate(files, 1):
            v = _classify(path, screen, now, min_age_s, max_file_kb * 1024, incomplete_grace_s)
            if v is not None:
                verdicts.append(v)
            if progress:
                progress(i, len(files))

        new_rows = [v.record.row() for v in verdicts if v.kind == ACCEPT]
        if new_rows:
            head = old_bytes or b""
            if head and not head.endswith(b"\n"):
                head += b"\n"
            if old_bytes is not None:
                atomic_write_bytes(data_dir / BACKUP_FILE, old_bytes)
                report.backup = data_dir / BACKUP_FILE
            atomic_write_bytes(feedback_path, head + dumps_jsonl(new_rows).encode("utf-8"))

        for v in verdicts:  # the rows are durable: now the sources may move
            name = v.path.name
            if v.kind == LATER:
                report.left_for_later[name] = v.reason
            elif v.kind in (ACCEPT, DUPLICATE):
                _move(v.path, from_dir / PROCESSED_DIR)
                (report.accepted_files if v.kind == ACCEPT else report.duplicate_files).append(name)
            else:
                _move(v.path, from_dir / QUARANTINE_DIR, _reason_text(v))
                report.quarantined[name] = f"{v.category}: {v.reason}"
                report.near_duplicates += v.category == NEAR_DUPLICATE
                report.test_leaks += v.category == TEST_LEAK
        for folder in (from_dir, from_dir / PROCESSED_DIR, from_dir / QUARANTINE_DIR):
            if folder.is_dir():
                fsync_dir(folder)
        report.accepted, report.duplicates = len(report.accepted_files), len(report.duplicate_files)
        report.total_feedback_examples = len(feedback) + len(new_rows)
    return report
