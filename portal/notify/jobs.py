"""Delivery jobs. They take ids, claim the row first, and commit their outcome."""
from __future__ import annotations

from flask_babel import gettext as _

from portal.core.db import commit
from portal.core.jobs import job
from portal.extensions import db
from portal.notify import services
from portal.notify.backends import DeliveryError
from portal.notify.models import OutboxStatus
from portal.notify.reminders import still_wanted


@job
def deliver_message(message_id: int) -> str:
    msg = services.claim(message_id)
    if msg is None:
        db.session.rollback()
        return "already handled"
    if msg.category == "reminder" and not still_wanted(msg.key):
        # Queued by a sweep, then every visit it speaks of was cancelled or moved: say nothing.
        msg.status = OutboxStatus.dropped
        msg.last_error = _("Rendez-vous annulé ou déplacé depuis : rappel non envoyé.")
        commit()
        return msg.status.value
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
    """Periodic (cron.py, every 5 minutes): queue the reminders due since the last sweep."""
    from portal.notify.reminders import send_due_reminders

    count = send_due_reminders()
    commit()
    return count
