"""What the patient space keeps of its own: messages sent to the practice from Mon cabinet,
and which appointments a person already added to their phone's calendar."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import PracticeOwned, Timestamped, UTCDateTime, utcnow
from portal.extensions import db
from portal.patients.models import Patient


class PracticeMessage(PracticeOwned, Timestamped, db.Model):
    """A message a patient or parent sent to the practice (seed 001 "Contact"); staff read it
    in the console under "Messages des patients"."""

    id: Mapped[int] = mapped_column(primary_key=True)
    # The sender's account; kept as a phone number too, so the message survives the account.
    account_id: Mapped[int | None] = mapped_column(ForeignKey("patient_account.id", ondelete="SET NULL"))
    sender_phone: Mapped[str] = mapped_column(String(16), default="")  # E.164
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(160))
    body: Mapped[str] = mapped_column(Text)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))

    patient: Mapped[Patient] = relationship()

    __table_args__ = (Index("ix_practice_message_inbox", "practice_id", "created_at"),)


class CalendarAddition(PracticeOwned, db.Model):
    """One person added one appointment to their calendar (the .ics was downloaded): a second
    click says so, as seed 000 asks."""

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("patient_account.id", ondelete="CASCADE"))
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("account_id", "appointment_id", name="uq_calendar_addition"),)
