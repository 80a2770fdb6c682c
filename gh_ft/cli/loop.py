"""The improve loop and what runs around it: feedback ingest/check, improve,
runs list/rollback/prune, service install/uninstall/status/logs."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from gh_ft.cli.base import _fail, _settings, main, setting_options


@main.group()
def feedback():
    """The plugin's feedback files: check them against the contract, ingest them."""


@feedback.command("ingest")
@setting_options("feedback.from_dir", "train.data_dir", "feedback.min_age_s")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.pass_context
def feedback_ingest(ctx, overrides, as_json, quiet):
    """Validate feedback files, drop duplicates and test-set near-copies, append the rest to
    DATA/feedback.jsonl, then archive them to FROM/processed/ (bad ones to FROM/quarantine/
    with a reason file). Exit 0 when done, 1 on an error, 3 when another ingest is running."""
    import json as _json

    from gh_ft import stages
    from gh_ft.loop.feedback import LockBusy
    from gh_ft.progress import progress_bar

    settings = _settings(ctx, **overrides)
    try:
        with progress_bar("checking feedback", enabled=not (quiet or as_json)) as advance:
            report = stages.ingest_feedback(settings, progress=advance)
    except LockBusy:
        _fail(f"another feedback ingest is running on {settings.data_dir}", 3)
    click.echo(_json.dumps(report.to_dict(), indent=2, ensure_ascii=False) if as_json else "\n".join(report.lines()))


@feedback.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.pass_context
def feedback_check(ctx, files):
    """Check feedback files against the contract (JSON, fields, C# parse, a component class);
    exit 1 when any fails. Duplicates and test leaks are judged by `ingest`, against the data."""
    from gh_ft.loop.feedback import FeedbackIncomplete, FeedbackInvalid, parse_feedback

    max_bytes = _settings(ctx).feedback.max_file_kb * 1024
    failed = False
    for f in files:
        try:
            parse_feedback(f.read_bytes(), max_bytes)
        except FeedbackIncomplete as e:
            click.echo(f"{f}: incomplete: {e}")
            failed = True
        except FeedbackInvalid as e:
            click.echo(f"{f}: invalid: {e}")
            failed = True
        else:
            click.echo(f"{f}: ok")
    if failed:
        sys.exit(1)


@main.command()
@click.option("--once", "mode", flag_value="once", help="One round, then exit.")
@click.option("--watch", "mode", flag_value="watch", help="A round every --interval seconds until SIGTERM.")
@setting_options("improve.interval_s", "improve.min_examples")
@click.pass_context
def improve(ctx, mode, overrides):
    """Ingest feedback, train a new version when enough is new, evaluate it against the
    promoted one on the same tests, promote it only if it is not worse. Exit 0 when a round
    ran (promoted, refused or nothing to do), 1 when it failed, 3 when another loop runs."""
    from gh_ft.loop.improve import default_train_echo
    from gh_ft.stages import improve as improve_stage

    if mode is None:
        _fail("choose --once or --watch", 2)
    result = improve_stage(_settings(ctx, **overrides), watch=mode == "watch", echo=click.echo,
                           train_echo=default_train_echo())
    if result is not None and result.exit_code:
        sys.exit(result.exit_code)


@main.group()
def runs():
    """The versions the improve loop trained: list them, roll back, prune old run folders."""


@runs.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per version.")
@click.pass_context
def runs_list(ctx, as_json):
    """Every version: verdict, scores, data, run folder; * marks the promoted one."""
    import json as _json

    from gh_ft.loop.registry import Registry, RegistryError, current_row, describe, format_table

    registry = Registry(_settings(ctx).runs_dir)
    try:
        rows = registry.rows()
    except RegistryError as e:
        _fail(str(e))
    cur = current_row(rows)
    if as_json:
        for row in rows:
            click.echo(_json.dumps(row, ensure_ascii=False))
    elif not rows:
        click.echo(f"no versions in {registry.path} yet (gh-ft improve makes them)")
    else:
        click.echo(format_table([describe(r, cur["version"] if cur else None) for r in rows]))


@runs.command("rollback")
@click.argument("version")
@click.pass_context
def runs_rollback(ctx, version):
    """Serve VERSION (e.g. v3) again: runs/latest, the Ollama name and the outbox point at it."""
    from gh_ft.loop.registry import parse_version, tag
    from gh_ft.stages import rollback

    row = rollback(_settings(ctx), parse_version(version), echo=click.echo)
    click.echo(f"{tag(row['version'])} is the promoted version again ({row['run_dir']})")


@runs.command("prune")
@click.option("--keep", type=int, help="Versions to keep (default: improve.keep_runs); the promoted one and the one "
                                       "before it are always kept.")
@click.option("--dry-run", is_flag=True, help="Only say what would be removed.")
@click.pass_context
def runs_prune(ctx, keep, dry_run):
    """Remove old versions' run folders (a 7B run leaves ~13 GB); the registry keeps their rows."""
    from gh_ft.loop.registry import Registry, RegistryError, human_bytes, tag

    settings = _settings(ctx)
    try:
        removed = Registry(settings.runs_dir).prune(settings.improve.keep_runs if keep is None else keep,
                                                        dry_run=dry_run)
    except RegistryError as e:
        _fail(str(e))
    verb = "would remove" if dry_run else "removed"
    for row, size in removed:
        click.echo(f"{verb} {tag(row['version'])}: {row['run_dir']} ({human_bytes(size)})")
    click.echo(f"{verb} {len(removed)} run folder(s), {human_bytes(sum(s for _, s in removed))}")


_role_opt = click.option("--role", type=click.Choice(["trainer", "watcher"]), default="trainer", show_default=True,
                         help="trainer: `gh-ft improve --watch`; watcher: `gh-ft bundle watch`.")


def _service_spec(ctx, role, outbox=None):
    from gh_ft.service.manage import ServiceError, service_spec

    try:
        return service_spec(_settings(ctx), role, outbox=outbox)
    except ServiceError as e:
        _fail(str(e), 2)


@main.group()
def service():
    """Keep the trainer loop or the workstation's watcher running (launchd on macOS, systemd --user on Linux)."""


@service.command("install")
@_role_opt
@click.option("--from", "outbox", type=click.Path(path_type=Path, file_okay=False),
              help="The outbox the watcher reads (default: improve.outbox).")
@click.option("--dry-run", is_flag=True, help="Print the file and the commands instead.")
@click.pass_context
def service_install(ctx, role, outbox, dry_run):
    """Render the launchd/ template into a LaunchAgent (launchctl bootstrap gui/$UID) or a
    user unit (systemctl --user enable --now), and start it."""
    from gh_ft.service.manage import ServiceError, install

    spec = _service_spec(ctx, role, outbox)
    try:
        plan = install(_settings(ctx), spec, dry_run=dry_run)
    except ServiceError as e:
        _fail(str(e))
    if dry_run:
        click.echo(f"# {plan.file}\n{plan.text}", nl=False)
        click.echo("# would run:\n" + "\n".join(" ".join(c) for c in plan.commands))
    else:
        click.echo(f"wrote {plan.file}")
    for note in plan.notes:
        click.echo(note)


def _installed_spec(ctx, role):
    """The spec for uninstall/status/logs: its label and log paths do not depend on the outbox."""
    return _service_spec(ctx, role, Path("/"))


@service.command("uninstall")
@_role_opt
@click.option("--dry-run", is_flag=True, help="Print the commands instead.")
@click.pass_context
def service_uninstall(ctx, role, dry_run):
    """Stop the service (launchctl bootout / systemctl --user disable --now) and remove its file."""
    from gh_ft.service.manage import ServiceError, uninstall

    try:
        plan = uninstall(_installed_spec(ctx, role), dry_run=dry_run)
    except ServiceError as e:
        _fail(str(e))
    if dry_run:
        click.echo("\n".join(" ".join(c) for c in plan.commands) + f"\nrm {plan.file}")
    for note in plan.notes:
        click.echo(note)


@service.command("status")
@_role_opt
@click.pass_context
def service_status(ctx, role):
    """What launchctl print / systemctl status say; exit 3 when it is not running."""
    from gh_ft.service.manage import ServiceError, status

    try:
        running, text = status(_installed_spec(ctx, role))
    except ServiceError as e:
        _fail(str(e))
    click.echo(text)
    if not running:
        sys.exit(3)


@service.command("logs")
@_role_opt
@click.option("--lines", "-n", type=int, default=50, show_default=True)
@click.pass_context
def service_logs(ctx, role, lines):
    """The last lines of the service's output and error logs."""
    from gh_ft.service.manage import logs

    click.echo(logs(_installed_spec(ctx, role), lines))
