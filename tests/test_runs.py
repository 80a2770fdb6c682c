"""The run registry: rows per version, the promoted version and the one before it,
runs/latest as an atomically switched symlink, prune rules, rollback, and the CLI views."""
from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from gh_ft.cli import main
from gh_ft.loop.improve import Steps, rollback
from gh_ft.loop.registry import (FAILED, PROMOTED, REJECTED, Registry, RegistryError, current_row, parse_version,
                        previous_row, prune_plan)
from gh_ft.settings import load_settings


def make_version(reg: Registry, verdict: str, *, promote: bool = False, size: int = 1000) -> dict:
    """A version row with a run folder holding an adapter config and `size` bytes of weights."""
    row = reg.add(data_hash=f"data-{len(reg.rows())}", config={"base_model": "/models/base"},
                  metrics={"candidate": {"pass_rate": 0.5, "test_loss": 1.25, "tasks": 4}})
    run = reg.runs_dir / f"20260101-0000{row['version']:02d}-abcd"
    (run / "output").mkdir(parents=True)
    (run / "output" / "adapter_config.json").write_text("{}")
    (run / "output" / "adapter_model.safetensors").write_bytes(b"\0" * size)
    reg.update(row["version"], run_dir=run.name, verdict=verdict)
    if promote:
        reg.promote(row["version"], by="gate")
    return row


@pytest.fixture
def reg(tmp_path) -> Registry:
    return Registry(tmp_path / "runs")


def test_rows_current_previous_and_latest(reg):
    make_version(reg, PROMOTED, promote=True)
    make_version(reg, REJECTED)
    make_version(reg, PROMOTED, promote=True)
    rows = reg.rows()
    assert [r["version"] for r in rows] == [1, 2, 3]
    assert current_row(rows)["version"] == 3 and previous_row(rows)["version"] == 1
    # Every line of the file is one JSON row with what the issue asks to record.
    lines = reg.path.read_text().splitlines()
    assert len(lines) == 3
    for line in lines:
        row = json.loads(line)
        assert {"version", "data_hash", "config", "metrics", "verdict", "run_dir", "promotions"} <= set(row)
    # runs/latest: a relative symlink to the promoted run folder, no temp files left behind.
    assert reg.latest.is_symlink() and os.readlink(reg.latest) == rows[2]["run_dir"]
    assert (reg.latest / "output" / "adapter_config.json").is_file()
    assert not list(reg.runs_dir.glob(".latest.*"))


def test_sync_latest_repairs_a_switch_a_crash_missed(reg):
    one = make_version(reg, PROMOTED, promote=True)
    two = make_version(reg, PROMOTED, promote=True)
    # As if the process died after the registry write and before the symlink switch.
    os.remove(reg.latest)
    os.symlink(reg.rows()[0]["run_dir"], reg.latest)
    assert reg.read_latest() != reg.rows()[1]["run_dir"]
    assert reg.sync_latest() == reg.rows()[1]["run_dir"] == reg.read_latest()
    assert (one["version"], two["version"]) == (1, 2)


def test_a_real_folder_named_latest_is_never_replaced(reg):
    make_version(reg, PROMOTED)
    (reg.runs_dir / "latest").mkdir()
    (reg.runs_dir / "latest" / "keep.txt").write_text("mine")
    with pytest.raises(RegistryError, match="not a symlink"):
        reg.promote(1, by="gate")
    assert (reg.runs_dir / "latest" / "keep.txt").read_text() == "mine"


def test_prune_keeps_the_newest_and_never_the_promoted_or_the_one_before(reg):
    make_version(reg, PROMOTED, promote=True)   # v1: previous
    make_version(reg, PROMOTED, promote=True)   # v2: current
    for _ in range(3):
        make_version(reg, REJECTED)             # v3, v4, v5
    plan = prune_plan(reg.rows(), keep=1)
    assert [r["version"] for r in plan] == [4, 3]
    removed = reg.prune(1)
    assert sorted(r["version"] for r, _ in removed) == [3, 4]
    assert all(size >= 1000 for _, size in removed)
    rows = {r["version"]: r for r in reg.rows()}
    for v in (3, 4):
        assert rows[v]["pruned"] and not (reg.runs_dir / rows[v]["run_dir"]).exists()
    for v in (1, 2, 5):
        assert not rows[v].get("pruned") and (reg.runs_dir / rows[v]["run_dir"]).is_dir()
    # keep 0 still keeps the promoted version and the one before it.
    assert sorted(r["version"] for r, _ in reg.prune(0)) == [5]
    assert sorted(r["version"] for r in reg.rows() if not r.get("pruned")) == [1, 2]
    assert reg.prune(0) == []
    assert reg.read_latest() == rows[2]["run_dir"]


def test_prune_leaves_a_version_in_progress_alone(reg):
    make_version(reg, PROMOTED, promote=True)
    make_version(reg, "evaluating")  # the loop is judging it right now
    assert prune_plan(reg.rows(), keep=0) == []


def test_previous_follows_rollbacks(reg):
    for _ in range(3):
        make_version(reg, PROMOTED, promote=True)
    reg.promote(1, by="rollback")               # served: v1; before it: v3
    rows = reg.rows()
    assert current_row(rows)["version"] == 1 and previous_row(rows)["version"] == 3
    assert [r["version"] for r in prune_plan(rows, keep=0)] == [2]


def test_prune_dry_run_changes_nothing_and_a_crash_leftover_is_removed(reg):
    make_version(reg, PROMOTED, promote=True)
    make_version(reg, REJECTED)
    make_version(reg, REJECTED)
    before = reg.path.read_bytes()
    assert [r["version"] for r, _ in reg.prune(0, dry_run=True)] == [3, 2]
    assert reg.path.read_bytes() == before and all((reg.runs_dir / r["run_dir"]).is_dir() for r in reg.rows())
    leftover = reg.runs_dir / ".pruned-20250101-000000-dead"   # a prune killed mid-removal
    (leftover / "output").mkdir(parents=True)
    reg.prune(0)
    assert not leftover.exists()


def test_a_damaged_registry_is_a_clear_error_and_stays_as_it_was(reg):
    make_version(reg, PROMOTED, promote=True)
    damaged = reg.path.read_bytes() + b'{"version": 2, "verdict": \n'
    reg.path.write_bytes(damaged)
    with pytest.raises(RegistryError, match=r"registry.jsonl:2: not valid JSON.*nothing was changed"):
        reg.add()
    assert reg.path.read_bytes() == damaged


def _add_many(runs_dir: str, n: int) -> None:
    reg = Registry(Path(runs_dir))
    for _ in range(n):
        reg.add(data_hash="x")


def test_concurrent_writers_lose_no_row(tmp_path):
    procs = [multiprocessing.get_context("spawn").Process(target=_add_many, args=(str(tmp_path / "runs"), 15))
             for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    assert [r["version"] for r in Registry(tmp_path / "runs").rows()] == list(range(1, 46))


def test_parse_version():
    assert parse_version("v3") == parse_version("3") == parse_version(3) == 3
    for bad in ("v0", "latest", "-1", ""):
        with pytest.raises(RegistryError):
            parse_version(bad)


# ---------------------------------------------------------------- rollback

def _project(tmp_path: Path) -> Path:
    (tmp_path / "gh-ft.yml").write_text("train:\n  runs_dir: runs\n", encoding="utf-8")
    return tmp_path


def _publish_recorder(calls: list):
    def unused(*a, **k):
        raise AssertionError("rollback runs no other step")

    def publish(row, run_dir):
        calls.append((row["version"], Path(run_dir).name))
        return {"lines": [f"served v{row['version']}"]}

    return Steps(ingest=unused, data_state=unused, train=unused, evaluate=unused, publish=publish)


def test_rollback_serves_the_old_version_again(tmp_path):
    project = _project(tmp_path)
    settings = load_settings(project / "gh-ft.yml")
    reg = Registry(project / "runs")
    make_version(reg, PROMOTED, promote=True)
    make_version(reg, PROMOTED, promote=True)
    make_version(reg, REJECTED)
    make_version(reg, FAILED)
    calls: list = []
    lines: list[str] = []
    row = rollback(settings, 1, steps=_publish_recorder(calls), echo=lines.append)
    rows = reg.rows()
    assert row["version"] == 1 and current_row(rows)["version"] == 1 and previous_row(rows)["version"] == 2
    assert [p["by"] for p in rows[0]["promotions"]] == ["gate", "rollback"]
    assert reg.read_latest() == rows[0]["run_dir"]
    assert calls == [(1, rows[0]["run_dir"])]
    assert rows[0]["published"]["seq"] == 3  # published for the rollback's promotion event
    # Refusals: the version served now, a failed one, an unknown one, a pruned one.
    with pytest.raises(RegistryError, match="already the promoted"):
        rollback(settings, 1, steps=_publish_recorder(calls))
    with pytest.raises(RegistryError, match="no judged model"):
        rollback(settings, 4, steps=_publish_recorder(calls))
    with pytest.raises(RegistryError, match="no version v9"):
        rollback(settings, 9, steps=_publish_recorder(calls))
    reg.prune(0)
    with pytest.raises(RegistryError, match="pruned"):
        rollback(settings, 3, steps=_publish_recorder(calls))
    assert reg.current()["version"] == 1 and len(calls) == 1


def test_rollback_to_a_refused_version_says_so(tmp_path):
    project = _project(tmp_path)
    settings = load_settings(project / "gh-ft.yml")
    reg = Registry(project / "runs")
    make_version(reg, PROMOTED, promote=True)
    make_version(reg, REJECTED)
    reg.update(2, reason="test loss 2.0 vs 1.0: worse")
    lines: list[str] = []
    rollback(settings, 2, steps=_publish_recorder([]), echo=lines.append)
    assert any("not passed by the gate" in line and "worse" in line for line in lines)
    assert reg.current()["version"] == 2


def test_cli_list_and_prune(tmp_path):
    project = _project(tmp_path)
    reg = Registry(project / "runs")
    make_version(reg, PROMOTED, promote=True)
    make_version(reg, REJECTED)
    make_version(reg, REJECTED)
    runner = CliRunner()
    config = ["--config", str(project / "gh-ft.yml")]
    out = runner.invoke(main, [*config, "runs", "list"])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0].split()[:3] == ["version", "verdict", "pass"]
    assert lines[1].startswith("*") and " v1 " in lines[1] and "promoted" in lines[1] and "50.0%" in lines[1]
    assert "1.2500" in lines[1] and " v3 " in lines[3] and "rejected" in lines[3]
    js = runner.invoke(main, [*config, "runs", "list", "--json"])
    assert [json.loads(line)["version"] for line in js.output.splitlines()] == [1, 2, 3]
    dry = runner.invoke(main, [*config, "runs", "prune", "--keep", "1", "--dry-run"])
    assert dry.exit_code == 0 and "would remove v2" in dry.output and "would remove v3" not in dry.output
    done = runner.invoke(main, [*config, "runs", "prune", "--keep", "1"])
    assert done.exit_code == 0 and "removed v2" in done.output and "removed 1 run folder(s)" in done.output
    listed = runner.invoke(main, [*config, "runs", "list"]).output
    assert "rejected (pruned)" in listed
