"""`flask billing ...`: the overdue-payment reminders, for a system cron when RQ's is not used."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.billing.reminders import send_overdue_reminders
from portal.core.db import commit

billing_cli = AppGroup("billing", help="Payments: overdue-payment reminders.")


@billing_cli.command("send-overdue-reminders")
def send_overdue_reminders_command():
    """Queue the overdue-payment reminders due today in each practice's zone, by each practice's
    settings (each item, step and channel once: safe to run more than once a day)."""
    count = send_overdue_reminders()
    commit()
    click.echo(f"{count} overdue-payment reminder(s) queued")
