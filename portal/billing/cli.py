"""`flask billing ...`: the daily Stripe reconciliation and the overdue-payment reminders, for a
system cron when RQ's is not used."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from portal.core.db import commit, utcnow
from portal.core.models import Practice
from portal.extensions import db

billing_cli = AppGroup("billing", help="Payments: reconciliation of online payments with Stripe, overdue-payment "
                                      "reminders.")


@billing_cli.command("reconcile")
@click.option("--days", type=click.IntRange(1, 30), default=3, show_default=True,
              help="How far back to look at Checkout Sessions (1 to 30 days).")
@click.option("--practice", "slug", default=None, help="Only this practice (its slug); default: every practice "
                                                       "with online payment configured.")
def reconcile(days, slug):
    """Record the paid Checkout Sessions whose webhook never came and flag what cannot be fixed
    ("À vérifier" in the console). Safe to run more than once: each session is handled once."""
    from portal.billing import reconcile as rec
    from portal.billing.stripe_account import configured_account

    now = utcnow()
    if slug is None:
        summaries = rec.reconcile_all(now, days=days, after_each=commit)
    else:
        practice = db.session.scalar(select(Practice).where(Practice.slug == slug))
        if practice is None:
            raise click.BadParameter(f"no practice with the slug {slug!r}", param_hint="--practice")
        if configured_account(practice.id) is None:
            raise click.BadParameter(f"online payment is not configured for {slug!r} (no Stripe keys)",
                                     param_hint="--practice")
        summaries = [rec.reconcile_practice(practice, now, days)]
    commit()
    for s in summaries:
        state = f"skipped: {s.skipped}" if s.skipped else \
            f"{s.sessions} session(s), {s.found} found, {s.fixed} fixed, {s.flagged} flagged"
        click.echo(f"{s.practice}: {state}")
    click.echo(f"total: {sum(s.found for s in summaries)} found, {sum(s.fixed for s in summaries)} fixed, "
               f"{sum(s.flagged for s in summaries)} flagged, {sum(1 for s in summaries if s.skipped)} skipped")


@billing_cli.command("send-overdue-reminders")
def send_overdue_reminders_command():
    """Queue the overdue-payment reminders due today in each practice's zone, by each practice's
    settings (each item, step and channel once: safe to run more than once a day)."""
    from portal.billing.reminders import send_overdue_reminders

    count = send_overdue_reminders()
    commit()
    click.echo(f"{count} overdue-payment reminder(s) queued")
