"""``pishraft db``: the embedded PostGIS, its read replicas and migrations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from api.cli.common import console, reports_errors

if TYPE_CHECKING:
    from spatial.db.embedded import EmbeddedPostgis

app = typer.Typer(help="Database: embedded PostGIS, read replicas and schema migrations.", no_args_is_help=True)
replica_app = typer.Typer(help="Hot standbys of the embedded PostGIS that serve reads.", no_args_is_help=True)
app.add_typer(replica_app, name="replica")


def _embedded() -> EmbeddedPostgis:
    from spatial.db.embedded import EmbeddedPostgis
    from spatial.settings import get_settings

    return EmbeddedPostgis(get_settings().home)


def _external() -> bool:
    from spatial.settings import get_settings

    if get_settings().database_url:
        console.print("DATABASE_URL is set: Pishraft uses that server and manages none.")
        return True
    return False


@app.command()
@reports_errors
def start() -> None:
    """Start the embedded PostGIS (initialising it the first time) and its replicas."""
    if _external():
        return
    from spatial.db.replicas import list_replicas

    pg = _embedded()
    pg.start()
    console.print(f"PostGIS running at {pg.libpq_url()}")
    for replica in list_replicas(pg.home):
        replica.start()
        console.print(f"Replica {replica.name} running at {replica.libpq_url()}")


@app.command()
@reports_errors
def stop() -> None:
    """Stop the embedded PostGIS and its replicas."""
    if _external():
        return
    from spatial.db.replicas import list_replicas

    pg = _embedded()
    for replica in list_replicas(pg.home):
        replica.stop()
    pg.stop()
    console.print("PostGIS stopped")


@app.command()
@reports_errors
def status() -> None:
    """Show whether the embedded PostGIS runs, and where; each replica's lag in bytes and seconds."""
    if _external():
        return
    from spatial.db.replicas import replica_status

    pg = _embedded()
    console.print_json(json.dumps({**pg.status(), "replicas": replica_status(pg.home)}))


@replica_app.command("add")
@reports_errors
def replica_add(
    name: Annotated[str | None, typer.Argument(help="Its name (also the replication slot's); default replicaN")] = None,
    apply_delay_ms: Annotated[int, typer.Option(help="Replay each commit this much later (recovery_min_apply_delay)")]
    = 0,
) -> None:
    """Make a hot standby of the embedded PostGIS (pg_basebackup -R), start it, wait until it streams."""
    if _external():
        console.print("Name existing replicas in DATABASE_READ_URLS (comma-separated).")
        return
    from spatial.db.replicas import add_replica

    replica = add_replica(_embedded().home, name, apply_delay_ms=apply_delay_ms)
    console.print(f"Replica {replica.name} streaming at {replica.libpq_url()}; restart `pishraft serve` to read from it")


@replica_app.command("list")
@reports_errors
def replica_list() -> None:
    """The embedded replicas: name, port, whether each runs."""
    if _external():
        return
    from spatial.db.replicas import list_replicas

    for replica in list_replicas(_embedded().home):
        state = "running" if replica.is_running() else "stopped"
        console.print(f"{replica.name}\tport {replica.port()}\t{state}")


@replica_app.command("remove")
@reports_errors
def replica_remove(name: Annotated[str, typer.Argument(help="The replica's name, from `pishraft db replica list`")]
                   ) -> None:
    """Stop a replica, drop its replication slot and delete its files."""
    if _external():
        return
    from spatial.db.replicas import remove_replica

    remove_replica(_embedded().home, name)
    console.print(f"Replica {name} removed")


@app.command()
@reports_errors
def url() -> None:
    """Print the database URL in libpq form (for psql, ogr2ogr)."""
    from spatial.settings import get_settings

    settings = get_settings()
    print(settings.database_url or _embedded().libpq_url())


@app.command()
@reports_errors
def upgrade() -> None:
    """Migrate the schema to the latest version."""
    from spatial.db import migrate

    migrate.upgrade()
    console.print("Schema up to date")


backup_app = typer.Typer(help="Back up: continuous archiving with pgBackRest, or a one-off dump.",
                         invoke_without_command=True)
app.add_typer(backup_app, name="backup")


@backup_app.callback()
@reports_errors
def backup(
    ctx: typer.Context,
    dump: Annotated[Path | None, typer.Option("--dump", help="Write a pg_dump bundle to this file instead")] = None,
    full: Annotated[bool, typer.Option("--full", help="A full backup (else incremental after the first)")] = False,
) -> None:
    """Back up the embedded cluster with pgBackRest (full the first time, then incremental;
    WAL archived continuously from then on) with its layer files, or with --dump FILE write
    one tar bundle of pg_dump and the layer files."""
    if ctx.invoked_subcommand is not None:
        return
    if dump is not None:
        from spatial.accounts import backup as backups

        report = backups.backup(dump)
        console.print(f"Backup written to {report.path} ({report.bytes / 1e6:.1f} MB, {len(report.files)} layer files)")
        for missing in report.missing:
            console.print(f"[yellow]warning:[/] the catalogue names {missing}, which is not in the data directory")
        return
    if _external():
        console.print("Back it up with the server's own pgBackRest (see the README), or use --dump FILE.")
        raise typer.Exit(1)
    from spatial.db import pitr

    made = pitr.backup(_embedded(), full=full)
    console.print(f"{made.kind} backup {made.label} in {made.repository} ({made.seconds:.1f} s, "
                  f"{len(made.files)} new layer files); WAL is archived continuously from now on.")


@backup_app.command("list")
@reports_errors
def backup_list() -> None:
    """The backups in the repository, and the moments a restore may target."""
    if _external():
        raise typer.Exit(1)
    from spatial.db import pitr

    console.print_json(json.dumps(pitr.backups(_embedded())))


@app.command()
@reports_errors
def restore(
    file: Annotated[Path | None, typer.Argument(help="A bundle written by `pishraft db backup --dump`")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Restore to this moment: 1405/09/16 17:00 (Jalali, "
                                                         "Iran time) or ISO 8601")] = None,
    into: Annotated[Path | None, typer.Option("--into", help="The new home to restore into "
                                                             "(default: $PISHRAFT_HOME-restored-<time>)")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
) -> None:
    """With --to, restore the pgBackRest backups as they were at that moment into a new home
    and start it there; with FILE, replace the database and its layer files with a dump
    bundle's (all or nothing for the database)."""
    if to is not None:
        from spatial.db import pitr

        pg = _embedded()
        moment = pitr.parse_moment(to)
        target = into or pg.home.with_name(f"{pg.home.name}-restored-{moment.strftime('%Y%m%d-%H%M%S')}")
        recovered = pitr.restore(pg, moment, target)
        console.print(f"Restored to {recovered.moment.isoformat()} into {recovered.home} in {recovered.seconds:.1f} "
                      f"s; running at {recovered.url}. Serve it with PISHRAFT_HOME={recovered.home}.")
        for missing in recovered.missing:
            console.print(f"[yellow]warning:[/] the catalogue names {missing}, which the repository lacks")
        return
    if file is None:
        console.print("Name a dump bundle, or a moment with --to.")
        raise typer.Exit(2)
    from spatial.accounts import backup as backups

    if not yes:
        typer.confirm(f"Replace everything in the database with {file}?", abort=True)
    restored = backups.restore(file)
    console.print(f"Restored {file} ({len(restored.files)} layer files)")
