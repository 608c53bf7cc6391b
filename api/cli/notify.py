"""``pishraft notify``: the daily e-mail of what became late or is due soon."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from api.cli.common import console, reports_errors

app = typer.Typer(help="Notifications of late and soon-due actions.", no_args_is_help=True)


@app.command()
@reports_errors
def send(today: Annotated[datetime | None, typer.Option(
        formats=["%Y-%m-%d"], help="Reckon on this day (YYYY-MM-DD) instead of PISHRAFT_TODAY or the date")] = None,
         ) -> None:
    """E-mail each responsible person and core member what became late or falls due within
    PISHRAFT_NOTICE_DAYS (30) days and was not mailed to them before, through PISHRAFT_SMTP_HOST.
    Run it daily (cron); running it again the same day sends nothing new."""
    from spatial.planning.notifications import send_daily

    sent = send_daily(today.date() if today else None)
    for address, items in sent:
        console.print(f"sent {items} item(s) to {address}")
    console.print(f"{len(sent)} e-mail(s) sent")
