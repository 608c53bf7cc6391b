"""``pishraft indicators``, ``pishraft index`` and ``pishraft allocate``: analytics from the shell."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from api.cli.common import console, reports_errors
from spatial.analytics import overlay_methods
from spatial.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from distributed import Client, Future

app = typer.Typer(help="Indicators: define, import from CSV, derive from layers, list.", no_args_is_help=True)
index_app = typer.Typer(help="Composite indices: compute from a YAML/JSON definition, show scores.",
                        no_args_is_help=True)


def _read(path: Path) -> str:
    if not path.is_file():
        raise NotFound(f"No file {path}.", field="file")
    return path.read_text(encoding="utf-8-sig")


def _print_json(data: Any) -> None:
    console.print_json(json.dumps(data, ensure_ascii=False, default=str))


@app.command("list")
@reports_errors
def list_(domain: Annotated[str | None, typer.Option(help="capacity, deprivation, target_community or context")]
          = None) -> None:
    """List indicator definitions with the periods that hold values."""
    from spatial.analytics import indicators
    from spatial.db.engine import session_scope

    with session_scope() as session:
        rows = indicators.list_indicators(session, domain)
    table = Table("domain", "unit", "periods", "name")
    table.add_column("code", overflow="fold")
    for r in rows:
        table.add_row(r["domain"], r["unit_of_measure"], ", ".join(r["periods"]), r["name_en"], r["code"])
    console.print(table)


@app.command()
@reports_errors
def define(file: Annotated[Path, typer.Argument(help="YAML/JSON: one definition or a list of them")]) -> None:
    """Define (or update) indicators: code, name_fa, name_en, domain, direction, unit_of_measure, rollup, meta."""
    from spatial.analytics import indicators
    from spatial.db.engine import session_scope
    import yaml

    specs = yaml.safe_load(_read(file))
    specs = specs if isinstance(specs, list) else [specs]
    if not all(isinstance(s, dict) for s in specs):
        raise InvalidInput(f"{file}: expected a mapping or a list of mappings.", field="file")
    with session_scope() as session:
        for spec in specs:
            indicators.define_indicator(session, spec)
    console.print(f"defined {len(specs)} indicator(s)")


@app.command("import")
@reports_errors
def import_(file: Annotated[Path, typer.Argument(help="CSV: unit_code,period,<indicator>,…")]) -> None:
    """Import indicator values from a CSV (all or nothing), then roll them up."""
    from spatial.analytics import indicators
    from spatial.db.engine import session_scope

    with session_scope() as session:
        summary = indicators.import_csv(session, _read(file), str(file))
    console.print(f"imported {summary['values']} value(s) of {', '.join(summary['indicators'])} "
                  f"for {summary['rows']} {summary['level']} unit(s), period(s) {', '.join(summary['periods'])}")


@app.command()
@reports_errors
def derive(
    layer: Annotated[str, typer.Argument(help="Layer slug")],
    method: Annotated[str, typer.Argument(help=", ".join(overlay_methods.METHODS))],
    code: Annotated[str, typer.Option(help="Indicator code to write")],
    period: Annotated[str, typer.Option(help="Period, e.g. 2024")],
    level: Annotated[str, typer.Option(help="Unit level to derive at")] = "neighbourhood",
    attribute: Annotated[str | None, typer.Option(help="Numeric attribute (sum, mean)")] = None,
    stat: Annotated[str | None, typer.Option(help="Zonal statistic: " + ", ".join(overlay_methods.ZONAL_STATS))] = None,
    origin: Annotated[str, typer.Option(help="distance_km from: centroid or population_weighted")] = "centroid",
    domain: Annotated[str, typer.Option()] = "capacity",
    direction: Annotated[str, typer.Option()] = "higher_is_better",
    name_fa: Annotated[str | None, typer.Option()] = None,
    name_en: Annotated[str | None, typer.Option()] = None,
    engine: Annotated[str, typer.Option(help="auto (Dask past PISHRAFT_DASK_THRESHOLD features), process or dask")]
    = "auto",
    partitions: Annotated[int | None, typer.Option(help="Dask: partitions of the layer (default: one per "
                                                        "500,000 features)", min=1)] = None,
    spatial_shuffle: Annotated[bool, typer.Option(help="Dask: shuffle the features into spatial partitions first")]
    = False,
) -> None:
    """Derive an indicator for every unit at LEVEL by overlaying LAYER, then roll it up.

    On a Dask cluster (PISHRAFT_DASK_SCHEDULER, or a LocalCluster started for it) the
    dashboard's address and Dask's progress bar are shown; Ctrl-C cancels and writes nothing.
    """
    from spatial.analytics import overlay
    from spatial.db.engine import session_scope

    with session_scope() as session:
        result = overlay.derive_indicator(session, layer, level, method, code=code, period=period,
                                          attribute=attribute, stat=stat, origin=origin, domain=domain,
                                          direction=direction, name_fa=name_fa, name_en=name_en, engine=engine,
                                          partitions=partitions, spatial_shuffle=spatial_shuffle,
                                          watch=ProgressBar())
    console.print(f"{result['indicator']}: {result['with_value']} of {result['units']} {level} unit(s) have a value")


class ProgressBar:
    """Follows a derivation on a Dask cluster in the terminal: its dashboard, then Dask's progress bar."""

    def started(self, client: Client, futures: list[Future]) -> None:
        from distributed import progress

        link = client.dashboard_link
        console.print(f"Dask cluster {client.scheduler_info()['address']}" + (f", dashboard {link}" if link else ""))
        progress(futures)  # Dask's text bar, until every partition is tallied
        console.print()

    def advanced(self, done: int, total: int) -> None:
        pass


@app.command("access")
@reports_errors
def access_(
    layer: Annotated[str, typer.Argument(help="Point layer of the supply (slug)")],
    code: Annotated[str, typer.Option(help="Indicator code to write")],
    period: Annotated[str, typer.Option(help="Period, e.g. 2024")],
    catchment_m: Annotated[float, typer.Option(help="Catchment radius in metres")],
    level: Annotated[str, typer.Option(help="Unit level of the demand (population)")] = "county",
    capacity: Annotated[str | None, typer.Option(help="Numeric column of supply (e.g. beds); 1 per point if none")]
    = None,
    decay: Annotated[str, typer.Option(help="none (2SFCA), stepwise (E2SFCA bands 1, 0.68, 0.22) or gaussian")]
    = "none",
    per: Annotated[float, typer.Option(help="Supply per this many people")] = 1000.0,
    name_fa: Annotated[str | None, typer.Option()] = None,
    name_en: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Derive access to LAYER's services (2SFCA / E2SFCA) for every unit at LEVEL, then roll it up."""
    from spatial.analytics import access
    from spatial.db.engine import session_scope

    with session_scope() as session:
        result = access.derive_access(session, layer, level, code=code, period=period, catchment_m=catchment_m,
                                      capacity=capacity, decay=decay, per=per, name_fa=name_fa, name_en=name_en)
    console.print(f"{result['indicator']}: {result['units']} {level} unit(s); {result['supply_reaching_demand']:g} "
                  f"of {result['supply_total']:g} supply reaches some population within {catchment_m:g} m")


@index_app.command()
@reports_errors
def compute(definition: Annotated[Path, typer.Argument(help="Index definition, YAML or JSON")]) -> None:
    """Compute a composite index from DEFINITION and store its scores, ranks and clusters."""
    from spatial.analytics import indices
    from spatial.db.engine import session_scope

    with session_scope() as session:
        summary = indices.compute_index(session, _read(definition), created_by="cli")
    console.print(f"index {summary['code']} (id {summary['id']}, hash {summary['definition_hash'][:12]}…), "
                  f"period {summary['period']}")
    for level, info in summary["levels"].items():
        console.print(f"  {level}: {info['scored']} scored, {len(info['dropped'])} dropped; weights "
                      + ", ".join(f"{k}={v:.3f}" for k, v in info["weights"].items()))


@index_app.command()
@reports_errors
def scores(
    index: Annotated[str, typer.Argument(help="Index id or code")],
    level: Annotated[str, typer.Option()] = "province",
    parent: Annotated[str | None, typer.Option(help="Only units below this code")] = None,
    top: Annotated[int, typer.Option(help="How many to show")] = 20,
) -> None:
    """Show the top-ranked units of an index at a level."""
    from spatial.analytics import indices
    from spatial.db.engine import session_scope

    with session_scope() as session:
        result = indices.index_scores(session, index, level, parent_code=parent)
    table = Table("rank", "code", "name", "score", "rank in parent", "cluster",
                  title=f"{result['index']['name_en']} — {level}, {result['period']}")
    for s in result["scores"][:top]:
        table.add_row(str(s["rank_overall"]), s["code"], s["name_en"], f"{s['score']:.4f}",
                      str(s["rank_in_parent"]), s["cluster"] or "")
    console.print(table)


@reports_errors
def allocate(
    need: Annotated[str, typer.Option(help="Indicator code or index:<id or code>; higher = more need")],
    level: Annotated[str, typer.Option()],
    budget: Annotated[int, typer.Option(help="Whole rials")],
    name: Annotated[str, typer.Option()] = "allocation",
    period: Annotated[str | None, typer.Option()] = None,
    parent: Annotated[str | None, typer.Option(help="Only units below this code")] = None,
    by_population: Annotated[bool, typer.Option(help="Multiply need by population")] = False,
    floor: Annotated[int | None, typer.Option(help="Minimum per unit, rials")] = None,
    cap: Annotated[int | None, typer.Option(help="Maximum per unit, rials")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full result as JSON")] = False,
) -> None:
    """Split BUDGET rials over the units at LEVEL in proportion to need, within floors and caps."""
    from spatial.analytics import allocation
    from spatial.db.engine import session_scope

    with session_scope() as session:
        result = allocation.allocate(session, need, level, budget, name=name, period=period, parent_code=parent,
                                     by_population=by_population, floor=floor, cap=cap, created_by="cli")
    if as_json:
        _print_json(result)
        return
    table = Table("code", "need", "amount (rials)", "bound", title=f"allocation {result['id']}: {result['name']}")
    for s in result["shares"]:
        table.add_row(s["code"], f"{s['need']:.4f}", f"{s['amount']:,}", s["bound"] or "")
    console.print(table)
    console.print(f"total {result['total']:,} of {result['budget']:,} rials; "
                  f"{len(result['at_floor'])} at floor, {len(result['at_cap'])} at cap")
