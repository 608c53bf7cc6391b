"""``pishraft layers``: add, list, show and remove resource layers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from api.cli.common import console, reports_errors

app = typer.Typer(help="Resource layers: vector files into PostGIS, GeoTIFFs into COGs.", no_args_is_help=True)

#: Who adds layers from the command line: the operator of this machine.
CLI_USER = "local"


@app.command("add")
@reports_errors
def add(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="GeoJSON, GeoPackage, zipped or "
                                         ".shp Shapefile, CSV, FlatGeobuf, GeoParquet, KML/KMZ or GeoTIFF")],
    name: Annotated[str, typer.Option("--name", help="Layer slug: lower-case letters, digits, _")],
    title: Annotated[str | None, typer.Option(help="Human title (default from the name)")] = None,
    kind: Annotated[str | None, typer.Option(help="capacity | deprivation | context")] = None,
    layer: Annotated[str | None, typer.Option("--layer", help="Layer inside a GeoPackage or zip, "
                                              "folder of a KML")] = None,
    encoding: Annotated[str | None, typer.Option(help="Text encoding, e.g. windows-1256")] = None,
    s_srs: Annotated[str | None, typer.Option("--s-srs", help="Source CRS, e.g. EPSG:32640")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Load a new version of an existing layer")] = False,
) -> None:
    """Add a layer from PATH in one transaction (nothing is kept if anything fails)."""
    from layers.ingest import LayerRequest, add_layer
    from spatial.catalogue import describe
    from spatial.db.engine import session_scope

    request = LayerRequest(name=name, title=title, kind=kind, layer=layer, encoding=encoding, s_srs=s_srs,
                           replace=replace)
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(f"{path.name}: starting", total=None)

        def progress(stage: str, done: int | None, total: int | None) -> None:
            bar.update(task, description=f"{path.name}: {stage}", completed=done or 0, total=total)

        with session_scope() as session:
            added = add_layer(session, path, request, added_by=CLI_USER, progress=progress)
            info = describe(added)
    _print_added(info)


def _print_added(info: dict) -> None:
    what = (f"{info['feature_count']:,} {info['geometry_type']} features" if info["storage"] == "vector"
            else f"raster, {info['details']['bands']} band(s), {info['details']['width']}×{info['details']['height']}")
    console.print(f"[green]Added[/] {info['slug']} v{info['version']}: {what}, from {info['source_crs']}")
    report = info["details"]
    for key, label in (("repaired_geometries", "geometries repaired"),
                       ("dropped_empty_geometries", "empty geometries dropped"),
                       ("dropped_after_repair", "geometries dropped after repair")):
        if report.get(key):
            console.print(f"  {report[key]:,} {label}")
    for warning in report.get("warnings") or []:
        console.print(f"  [yellow]warning:[/] {escape(warning)}", highlight=False)
    if report.get("dropped_columns"):
        console.print(f"  columns not stored (unsupported type): {', '.join(report['dropped_columns'])}")


@app.command("list")
@reports_errors
def list_(kind: Annotated[str | None, typer.Option(help="Only layers of this kind")] = None) -> None:
    """List the layers in the catalogue."""
    from spatial.catalogue import list_layers, summary
    from spatial.db.engine import session_scope

    with session_scope() as session:
        rows = [summary(layer) for layer in list_layers(session, kind)]
    table = Table("slug", "title", "kind", "type", "features", "version", "added", "by")
    table.columns[0].no_wrap = True
    for r in rows:
        table.add_row(r["slug"], r["title"], r["kind"], r["geometry_type"] or r["storage"],
                      "" if r["feature_count"] is None else f"{r['feature_count']:,}", str(r["version"]),
                      (r["created_at"] or "")[:19], r["created_by"])
    console.print(table if rows else "No layers yet: add one with 'pishraft layers add PATH --name SLUG'.")


@app.command("show")
@reports_errors
def show(slug: str) -> None:
    """Show everything the catalogue holds about a layer, as JSON."""
    from layers.catalogue import sample_rows
    from spatial.catalogue import describe, get_layer
    from spatial.db.engine import session_scope

    with session_scope() as session:
        layer = get_layer(session, slug)
        info = describe(layer) | {"sample": sample_rows(session, layer)}
    # Plain JSON (not Rich's), so that it can be piped to jq or a file unchanged.
    typer.echo(json.dumps(info, ensure_ascii=False, indent=2))


@app.command("remove")
@reports_errors
def remove(slug: str) -> None:
    """Remove a layer: its table or raster file and its catalogue row."""
    from layers.catalogue import remove_layer
    from spatial.db.engine import session_scope

    with session_scope() as session:
        remove_layer(session, slug)
    console.print(f"Removed {slug}")
