"""``pishraft users``: accounts and roles."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from api.cli.common import console, reports_errors
from spatial.roles import ROLES

app = typer.Typer(help=f"Users and their roles ({', '.join(ROLES)}).", no_args_is_help=True)

AreaOption = Annotated[str | None, typer.Option(help="Unit code of a core member's area, e.g. IR-15")]


@app.command()
@reports_errors
def create(
    username: str,
    role: Annotated[str, typer.Option(help=f"One of {', '.join(ROLES)}")],
    area: AreaOption = None,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True,
                                          envvar="PISHRAFT_NEW_PASSWORD",
                                          help="Asked for when not given (or from PISHRAFT_NEW_PASSWORD)")] = "",
) -> None:
    """Create a user (the password is asked for, hidden)."""
    from spatial.accounts import users as accounts
    from spatial.db.engine import session_scope

    with session_scope() as session:
        accounts.create_user(session, username, password, role, area_code=area)
    console.print(f"User {username} created with role {role}" + (f" in area {area}" if area else ""))


@app.command("list")
@reports_errors
def list_() -> None:
    """List users with their role, area and state."""
    from spatial.accounts import users as accounts
    from spatial.db.engine import session_scope

    with session_scope() as session:
        users = accounts.list_users(session)
    table = Table("username", "role", "area", "state", "created")
    for u in users:
        state = "disabled" if u["disabled"] else "active"
        table.add_row(u["username"], u["role"], u["area"] or "", state + (" (demo)" if u["synthetic"] else ""),
                      u["created_at"].strftime("%Y-%m-%d"))
    console.print(table)


@app.command()
@reports_errors
def disable(username: str) -> None:
    """Disable a user: sign-in and existing tokens stop working."""
    from spatial.accounts import users as accounts
    from spatial.db.engine import session_scope

    with session_scope() as session:
        accounts.set_disabled(session, username, True)
    console.print(f"User {username} disabled")


@app.command()
@reports_errors
def enable(username: str) -> None:
    """Enable a disabled user again."""
    from spatial.accounts import users as accounts
    from spatial.db.engine import session_scope

    with session_scope() as session:
        accounts.set_disabled(session, username, False)
    console.print(f"User {username} enabled")


@app.command("set-role")
@reports_errors
def set_role(username: str, role: str, area: AreaOption = None) -> None:
    """Change a user's role (``core`` needs --area)."""
    from spatial.accounts import users as accounts
    from spatial.db.engine import session_scope

    with session_scope() as session:
        accounts.set_role(session, username, role, area_code=area)
    console.print(f"User {username} now has role {role}" + (f" in area {area}" if area else ""))


@app.command("set-person")
@reports_errors
def set_person(username: str,
               person: Annotated[int | None, typer.Argument(help="The person's id; leave out to unlink")] = None) -> None:
    """Link an account to the person it is (their late and soon-due actions show on its home page)."""
    from spatial.accounts import users as accounts
    from spatial.db.engine import session_scope

    with session_scope() as session:
        accounts.set_person(session, username, person)
    console.print(f"User {username} " + (f"is now person {person}" if person is not None else "is linked to no person"))
