"""Billing's periodic job: the overdue-payment reminders (cron.py)."""
from __future__ import annotations

from portal.core.db import commit
from portal.core.jobs import job


@job
def send_overdue_payment_reminders() -> int:
    """Daily (cron.py): queue the overdue-payment reminders due today, each once (outbox keys),
    so a second run the same day, or a re-run after a worker died, sends nothing more."""
    from portal.billing.reminders import send_overdue_reminders

    count = send_overdue_reminders()
    commit()
    return count
