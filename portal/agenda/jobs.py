"""Agenda jobs: offering freed time to the waiting list."""
from __future__ import annotations

from portal.agenda import waiting
from portal.core.db import commit
from portal.core.jobs import job


@job
def offer_freed_time(appointment_id: int) -> int:
    """Write and send the waiting-list offers for a cancelled visit's time; idempotent (see
    `waiting.make_offers`). Returns how many offers were made."""
    made = waiting.make_offers(appointment_id)
    commit()
    return len(made)
