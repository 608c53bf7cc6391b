"""``pishraft serve``: run the API with uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.common import console, reports_errors


@reports_errors
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
) -> None:
    """Serve the API and maps."""
    from api.tile_protocol import PROTOCOL
    from api.workers import serve_workers
    from spatial.settings import get_settings

    settings = get_settings()
    host = host or settings.host
    port = port or settings.port
    base = f"http://{host}:{port}"
    console.print(f"Pishraft on {base}\n  health   {base}/health\n  provinces {base}/api/units?level=province\n"
                  f"  map      {base}/maps/overview\n  API docs {base}/docs")
    serve_workers("api.app:create_app", factory=True, host=host, port=port, workers=workers, http=PROTOCOL)
