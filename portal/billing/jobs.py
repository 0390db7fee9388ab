"""Background jobs of Paiements."""
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
