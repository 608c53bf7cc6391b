"""``pishraft serve``: run the API with uvicorn, on a schema that is this version's."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.common import console, err_console, reports_errors


@reports_errors
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
    migrate_schema: Annotated[bool | None, typer.Option(
        "--migrate/--no-migrate",
        help="Bring the schema up to date before serving (default: PISHRAFT_MIGRATE_ON_START, else off: "
             "refuse to start on an out-of-date schema)")] = None,
) -> None:
    """Serve the API and maps."""
    from api.workers import serve_workers
    from spatial.db.engine import read_urls
    from spatial.settings import get_settings

    settings = get_settings()
    host = host or settings.host
    port = port or settings.port
    _prepare_schema(settings.migrate_on_start if migrate_schema is None else migrate_schema)
    base = f"http://{host}:{port}"
    console.print(f"Pishraft on {base}\n  workspace {base}/home\n  health   {base}/health\n"
                  f"  provinces {base}/api/units?level=province\n  map      {base}/maps/overview\n  API docs {base}/docs")
    replicas = [name for name, _ in read_urls()]
    if replicas:
        console.print(f"  reads    from {', '.join(replicas)} (writes and read-your-writes from the primary)")
    serve_workers("api.app:create_app", factory=True, host=host, port=port, workers=workers)


def _prepare_schema(migrate_first: bool) -> None:
    """Migrate once here, before the workers start (never in each of them at once), or stop
    with the command to run when the schema is not this version's."""
    from spatial.db import migrate
    from spatial.errors import DatabaseUnavailable, SchemaNotCurrent

    if migrate_first:
        migrate.upgrade()
        console.print("Schema up to date")
        return
    try:
        state = migrate.schema_state()
    except DatabaseUnavailable as exc:
        # Serve anyway: requests get 503 until the database is back, and /health says why.
        err_console.print(f"[yellow]warning:[/] {exc.message} Serving anyway; /health reports the database.")
        return
    if state.status in ("missing", "outdated"):
        raise SchemaNotCurrent(f"{state.message} Or start with `pishraft serve --migrate` "
                               "(or PISHRAFT_MIGRATE_ON_START=true) to migrate at start.")
    if state.message:
        raise SchemaNotCurrent(state.message)
