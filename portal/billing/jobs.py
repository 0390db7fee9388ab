"""Billing's periodic jobs (cron.py): the Stripe reconciliation and the overdue-payment reminders."""
from __future__ import annotations

from portal.core.db import commit, utcnow
from portal.core.jobs import job


@job
def reconcile_stripe(days: int = 3) -> list[dict]:
    """Daily (cron.py): compare each practice's recent Checkout Sessions with its ledger, record
    what a lost webhook missed and flag the rest (`portal.billing.reconcile`). Committed after
    each practice; safe to run again (each session is handled once)."""
    from portal.billing.reconcile import reconcile_all

    summaries = reconcile_all(utcnow(), days=days, after_each=commit)
    commit()
    return [s.as_dict() for s in summaries]


@job
def send_overdue_payment_reminders() -> int:
    """Daily (cron.py): queue the overdue-payment reminders due today, each once (outbox keys),
    so a second run the same day, or a re-run after a worker died, sends nothing more."""
    from portal.billing.reminders import send_overdue_reminders

    count = send_overdue_reminders()
    commit()
    return count
