"""``pishraft roadmaps``: list, show, draft, suggest, export and import roadmaps."""

from __future__ import annotations

import getpass
import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from api.cli.common import console, reports_errors
from spatial.errors import InvalidInput

app = typer.Typer(help="Roadmaps: list, show, draft from the evidence, suggest from similar places, export (JSON/Excel) and import.", no_args_is_help=True)


@app.command("list")
@reports_errors
def list_(
    unit: Annotated[str | None, typer.Option(help="Roadmaps of this unit code and below")] = None,
    level: Annotated[str | None, typer.Option(help="province, county, neighbourhood…")] = None,
    status: Annotated[str | None, typer.Option(help="draft, approved or archived")] = None,
) -> None:
    """List roadmaps with their progress status."""
    from spatial.db.engine import session_scope
    from spatial.planning import roadmaps

    with session_scope() as session:
        rows = roadmaps.list_roadmaps(session, unit=unit, level=level, status=status)
    table = Table("id", "unit", "level", "title", "status", "period", "actions", "progress")
    for r in rows:
        table.add_row(str(r["id"]), r["unit"], r["level"], r["title"], r["status"],
                      f"{r['start_date']} … {r['end_date']}", str(r["actions"]), r["progress_status"])
    console.print(table)


@app.command()
@reports_errors
def show(
    roadmap_id: int,
    as_of: Annotated[str | None, typer.Option(help="ISO date or timestamp: the roadmap as it was then")] = None,
) -> None:
    """Show one roadmap with its actions (now, or as it was at --as-of) as JSON."""
    from spatial.db.engine import session_scope
    from spatial.jalali import jalali_numeric
    from spatial.planning import history, roadmaps

    with session_scope() as session:
        doc = (history.as_of(session, roadmap_id, history.parse_as_of(as_of)) if as_of
               else roadmaps.get_roadmap(session, roadmap_id))
    start = jalali_numeric(date.fromisoformat(doc["start_date"]))
    console.print(f"[bold]{doc['title']}[/] — {doc['unit']['code']} ({doc['unit']['name_en']}), from {start}")
    console.print_json(json.dumps(doc, ensure_ascii=False))


@app.command()
@reports_errors
def draft(
    code: Annotated[str, typer.Argument(help="The unit's code, e.g. IR-15-01")],
    lang: Annotated[str, typer.Option(help="fa or en: the language of the items' words")] = "en",
) -> None:
    """The draft of a new roadmap for unit CODE from the evidence, as JSON: every item with its source and figure."""
    from spatial.db.engine import session_scope
    from spatial.planning.draft import roadmap_draft

    if lang not in ("fa", "en"):
        raise InvalidInput(f"--lang {lang}: choose fa or en.", field="lang")
    with session_scope() as session:
        found = roadmap_draft(session, code, lang)
    typer.echo(json.dumps(found, ensure_ascii=False, indent=2))  # plain JSON on stdout, for pipes and partner systems


@app.command()
@reports_errors
def suggest(
    code: Annotated[str, typer.Argument(help="The unit's code, e.g. IR-15-01")],
    lang: Annotated[str, typer.Option(help="fa or en: the language of the items' words")] = "en",
) -> None:
    """Places like unit CODE and the actions that worked there, as JSON: the similar units with the
    indicators that made them similar, and the achieved or on-track actions with sector, cost and result."""
    from spatial.db.engine import session_scope
    from spatial.planning.similar import roadmap_suggestions

    if lang not in ("fa", "en"):
        raise InvalidInput(f"--lang {lang}: choose fa or en.", field="lang")
    with session_scope() as session:
        found = roadmap_suggestions(session, code, lang)
    typer.echo(json.dumps(found, ensure_ascii=False, indent=2))  # plain JSON on stdout, for pipes and partner systems


@app.command()
@reports_errors
def export(
    roadmap_id: int,
    out: Annotated[Path, typer.Option(help="File to write: .json or .xlsx")],
    lang: Annotated[str, typer.Option(help="The workbook's language: en, or fa (Persian words, Jalali dates, "
                                           "right to left)")] = "en",
) -> None:
    """Export a roadmap with its actions and progress as JSON or an Excel workbook."""
    from spatial.db.engine import session_scope
    from spatial.planning import exchange

    with session_scope() as session:
        if out.suffix == ".xlsx":
            if lang not in ("en", "fa"):
                raise InvalidInput(f"--lang {lang}: choose en or fa.", field="lang")
            out.write_bytes(exchange.export_excel(session, roadmap_id, lang=lang))
        elif out.suffix == ".json":
            out.write_text(json.dumps(exchange.export_json(session, roadmap_id), ensure_ascii=False, indent=2),
                           encoding="utf-8")
        else:
            raise InvalidInput(f"{out}: name the file .json or .xlsx.", field="out")
    console.print(f"wrote {out}")


@app.command("import")
@reports_errors
def import_(
    file: Annotated[Path, typer.Argument(help="A JSON file written by `pishraft roadmaps export`")],
    author: Annotated[str | None, typer.Option(help="Recorded as the author (default: your login)")] = None,
) -> None:
    """Import a roadmap exported as JSON, as a new roadmap (all or nothing)."""
    from spatial.db.engine import session_scope
    from spatial.planning import exchange
    from spatial.planning.history import LocalEditor

    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"{file}: cannot read it as JSON ({exc}).", field="file") from None
    with session_scope() as session:
        new_id = exchange.import_json(session, document, LocalEditor(author or getpass.getuser()))
    console.print(f"imported as roadmap {new_id}")
