"""The console's communications: invitation templates and the record of each invitation send."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import PracticeOwned, Timestamped, UTCDateTime, utcnow
from portal.extensions import db


class InvitationChannel(str, enum.Enum):
    letter = "letter"
    email = "email"
    sms = "sms"


class InvitationTemplate(PracticeOwned, Timestamped, db.Model):
    """A letter, e-mail or SMS inviting patients to the patient space (seed 001's publipostage),
    written with merge fields (@PNOM, @DCIVIL…)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    channel: Mapped[InvitationChannel] = mapped_column(db.Enum(InvitationChannel, native_enum=False, length=10))
    subject: Mapped[str] = mapped_column(String(200), default="")  # e-mail only
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class InvitationBatch(PracticeOwned, Timestamped, db.Model):
    """One send, to one patient or to many: who sent it, which text (kept as it was sent, so a
    letter PDF prints the same words later and the template may change), to whom.

    `token` is drawn when the send is shown for confirmation; unique per practice, so a
    double-clicked or retried confirmation finds the batch already made and sends nothing more.
    """

    __table_args__ = (UniqueConstraint("practice_id", "token", name="uq_invitation_batch_token"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64))
    template_id: Mapped[int | None] = mapped_column(ForeignKey("invitation_template.id", ondelete="SET NULL"))
    template_name: Mapped[str] = mapped_column(String(120))
    channel: Mapped[InvitationChannel] = mapped_column(db.Enum(InvitationChannel, native_enum=False, length=10))
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    mass: Mapped[bool] = mapped_column(default=False)  # to everyone not yet signed in, or to one patient
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    staff_label: Mapped[str] = mapped_column(String(200), default="")
    patient_ids: Mapped[list] = mapped_column(db.JSON, default=list)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    segments: Mapped[int] = mapped_column(Integer, default=0)  # SMS parts, all messages together
    queued: Mapped[int] = mapped_column(Integer, default=0)  # messages put in the outbox so far (e-mail, SMS)
