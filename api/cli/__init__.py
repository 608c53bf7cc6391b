"""The ``pishraft`` command line: one Typer sub-app per concern.

Every command imports what it works with (the database, GIS libraries, maps) inside its
own body, and the modules here import only Typer, Rich and names-only modules such as
:mod:`spatial.errors` and :mod:`spatial.roles`: so ``pishraft --help`` and a light command
start at once instead of loading every other command's libraries first
(``tests/test_imports.py`` keeps it so).
"""

from __future__ import annotations

import typer

from api.cli import analysis, db, demo, indicators, keys, layers, maps, notify, roadmaps, serve, tiles, users

app = typer.Typer(help="Pishraft — spatial planning for regional development offices.", no_args_is_help=True)
app.add_typer(db.app, name="db")
app.add_typer(demo.app, name="demo")
app.add_typer(layers.app, name="layers")
app.add_typer(maps.app, name="maps")
app.add_typer(tiles.app, name="tiles")
app.add_typer(indicators.app, name="indicators")
app.add_typer(indicators.index_app, name="index")
app.command("allocate")(indicators.allocate)
app.command("shift-share")(analysis.shift_share)
app.command("deprivation")(analysis.deprivation)
app.add_typer(roadmaps.app, name="roadmaps")
app.add_typer(users.app, name="users")
app.add_typer(keys.app, name="keys")
app.add_typer(notify.app, name="notify")
app.command("serve")(serve.serve)
