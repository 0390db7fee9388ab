"""Online booking rules: the practice's settings, who may book, and newcomers' confirmation."""
from __future__ import annotations

from sqlalchemy import select

from portal.booking.models import BookingSettings
from portal.core.db import insert_or_ignore, utcnow
from portal.extensions import db


def settings_for(practice_id: int) -> BookingSettings:
    """The practice's booking settings, created with their defaults on first use."""
    found = db.session.scalar(select(BookingSettings).where(BookingSettings.practice_id == practice_id))
    if found is None:
        db.session.execute(insert_or_ignore(BookingSettings, {"practice_id": practice_id, "created_at": utcnow()},
                                            [BookingSettings.practice_id]))
        found = db.session.scalar(select(BookingSettings).where(BookingSettings.practice_id == practice_id))
    return found
