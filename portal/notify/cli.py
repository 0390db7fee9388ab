"""`flask notify ...`: reminders, for a system cron when RQ's is not used."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.core.db import commit
from portal.notify.reminders import send_due_reminders

notify_cli = AppGroup("notify", help="Messages: appointment reminders.")


@notify_cli.command("send-reminders")
def send_reminders():
    """Queue the appointment reminders due since the last sweep, by everyone's rules (each once)."""
    count = send_due_reminders()
    commit()
    click.echo(f"{count} reminder(s) queued")
