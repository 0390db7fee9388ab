"""What the patient space keeps of its own: which appointments a person already added to their
phone's calendar. (Mon cabinet's messages live in the messaging domain, the practice's one inbox.)"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import PracticeOwned, UTCDateTime, utcnow
from portal.extensions import db


class CalendarAddition(PracticeOwned, db.Model):
    """One person added one appointment to their calendar (the .ics was downloaded): a second
    click says so, as seed 000 asks."""

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("patient_account.id", ondelete="CASCADE"))
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("account_id", "appointment_id", name="uq_calendar_addition"),)
