"""``pishraft shift-share`` and ``pishraft deprivation``: planning analyses from the shell."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from api.cli.common import console, reports_errors
from spatial.errors import NotFound


@reports_errors
def shift_share(
    base: Annotated[str, typer.Option(help="Base period, e.g. 2023")],
    final: Annotated[str, typer.Option(help="Final period, e.g. 2024")],
    level: Annotated[str, typer.Option()] = "province",
    parent: Annotated[str | None, typer.Option(help="Only units below this code")] = None,
    unit: Annotated[str | None, typer.Option(help="Only this unit")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print every row as JSON")] = False,
) -> None:
    """Split each unit's change in sector jobs from BASE to FINAL into national share, industry mix
    and regional shift (against all units of LEVEL)."""
    from spatial.analytics.shift_share import COMPONENTS, unit_shift_share
    from spatial.db.engine import session_scope

    with session_scope() as session:
        frame = unit_shift_share(session, level, base, final, parent)
    if unit is not None:
        frame = frame[frame["code"] == unit]
    if as_json:
        console.print_json(json.dumps(frame.to_dict(orient="records"), ensure_ascii=False))
        return
    table = Table("code", "sector", base, final, "change", "national", "mix", "regional",
                  title=f"shift-share {base} → {final}, {level}",
                  caption="change = national share + industry mix + regional shift (jobs)")
    for r in frame.itertuples():
        table.add_row(r.code, r.sector, f"{r.base:,.0f}", f"{r.final:,.0f}", f"{r.change:+,.0f}",
                      *(f"{getattr(r, c):+,.0f}" for c in COMPONENTS))
    console.print(table)


@reports_errors
def deprivation(definition: Annotated[Path, typer.Argument(help="Alkire-Foster definition, YAML or JSON")]) -> None:
    """Compute and store an Alkire-Foster multidimensional deprivation measure from DEFINITION."""
    if not definition.is_file():
        raise NotFound(f"No file {definition}.", field="file")
    from spatial.analytics.multidimensional import compute_af
    from spatial.db.engine import session_scope

    with session_scope() as session:
        summary = compute_af(session, definition.read_text(encoding="utf-8-sig"), created_by="cli")
    observed = summary["observed"]
    console.print(f"measure {summary['code']} (id {summary['id']}, hash {summary['definition_hash'][:12]}…), "
                  f"period {summary['period']}: {observed['deprived']} of {observed['units']} {observed['level']} "
                  f"unit(s) deprived")
    console.print(f"  H = {summary['h']:.3f}, A = {summary['a']:.3f}, M0 = {summary['m0']:.3f}")
    for code, share in summary["contributions"].items():
        console.print(f"  {code}: censored headcount {summary['censored_headcounts'][code]:.3f}, "
                      f"contribution {share:.1%}")
