"""The nightly job of online booking."""
from __future__ import annotations

from portal.booking.services import extend_windows
from portal.core.db import commit
from portal.core.jobs import job


@job
def extend_booking_windows() -> int:
    """Nightly (cron.py): open one more day of online booking for every practitioner."""
    moved = extend_windows()
    commit()
    return moved
