"""Delivery jobs. They take ids, claim the row first, and commit their outcome."""
from __future__ import annotations

from portal.core.db import commit
from portal.core.jobs import job
from portal.extensions import db
from portal.notify import services
from portal.notify.backends import DeliveryError


@job
def deliver_message(message_id: int) -> str:
    msg = services.claim(message_id)
    if msg is None:
        db.session.rollback()
        return "already handled"
    commit()  # the claim is visible to staff ("sending") before the network call
    try:
        services.deliver(msg)
    except DeliveryError:
        commit()  # keep the failure on the row, then let the queue retry
        raise
    commit()
    return msg.status.value


@job
def send_reminders() -> int:
    """Periodic (cron.py): queue the reminders now due."""
    from portal.notify.reminders import send_due_reminders

    count = send_due_reminders()
    commit()
    return count
