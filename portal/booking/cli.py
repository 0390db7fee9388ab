"""`flask booking ...`: the nightly rolling window, for a system cron when RQ's is not used."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.booking.services import extend_windows
from portal.core.db import commit

booking_cli = AppGroup("booking", help="Online booking: the rolling window.")


@booking_cli.command("extend-window")
@click.option("--date", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Act as if today were this date (YYYY-MM-DD); default: today in each practice's zone.")
def extend_window(on):
    """Open online booking up to today + each practice's rolling window (90 or 180 days), for
    every active practitioner. Safe to run more than once a day."""
    moved = extend_windows(on.date() if on else None)
    commit()
    click.echo(f"{moved} practitioner(s) moved")


