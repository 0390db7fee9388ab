"""The outbox: one row per outgoing SMS or e-mail (DESIGN invariant 5)."""
from __future__ import annotations

import enum
from datetime import datetime, time

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import PracticeOwned, Timestamped, UTCDateTime
from portal.extensions import db


class Channel(str, enum.Enum):
    sms = "sms"
    email = "email"


class OutboxStatus(str, enum.Enum):
    queued = "queued"      # waiting for the worker
    sending = "sending"    # claimed by a worker
    sent = "sent"          # accepted by the provider
    stored = "stored"      # no provider configured: kept here, shown to staff
    failed = "failed"      # the last try failed; retried until `attempts` runs out
    dropped = "dropped"    # not sent: a reminder whose visits were all cancelled or moved meanwhile


SECRET_MARK = "{secret}"  # where a sealed secret (a code, a link token) goes in a body
SECRET_SHOWN = "••••••"


class OutboxMessage(Timestamped, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    # Null only for messages that belong to no practice (an operator's own test message).
    practice_id: Mapped[int | None] = mapped_column(ForeignKey("practice.id", ondelete="CASCADE"), index=True)
    # The unique key is what makes "send once" hold when a job runs twice.
    key: Mapped[str] = mapped_column(String(120), unique=True)
    channel: Mapped[Channel] = mapped_column(db.Enum(Channel, native_enum=False, length=10))
    category: Mapped[str] = mapped_column(String(40), index=True)  # auth_code, invite, reset, ...
    recipient: Mapped[str] = mapped_column(String(200), index=True)
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[OutboxStatus] = mapped_column(
        db.Enum(OutboxStatus, native_enum=False, length=10), default=OutboxStatus.queued, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    provider_ref: Mapped[str] = mapped_column(String(120), default="")
    segments: Mapped[int] = mapped_column(Integer, default=0)
    encoding: Mapped[str] = mapped_column(String(8), default="")  # GSM-7 or UCS-2 for SMS
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A code or link token, encrypted, put back into the body only at delivery and wiped once
    # the message is handed over: staff and database readers never see it in clear.
    sealed_secret: Mapped[str | None] = mapped_column(Text)
    # When a worker took the message: a claim older than a few minutes is a worker that died.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # One file sent with an e-mail (an appointment's .ics), kept with the message so a retry
    # sends the same bytes.
    attachment_name: Mapped[str] = mapped_column(String(120), default="")
    attachment_type: Mapped[str] = mapped_column(String(80), default="")
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)

    @property
    def shown_body(self) -> str:
        return self.body.replace(SECRET_MARK, SECRET_SHOWN)


class PatientNotice(PracticeOwned, Timestamped, db.Model):
    """A notice in the patient space (a cancelled visit, a freed slot taken…): read on the home
    page until dismissed."""

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    # Same idea as the outbox key: a retried job never shows a notice twice.
    key: Mapped[str] = mapped_column(String(120), unique=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReminderRule(PracticeOwned, Timestamped, db.Model):
    """One of a portal account's appointment reminders (seed 000, Notifications): `days_before`
    days before the visit's local date, at the wall-clock time `at_time` in the practice's zone, on
    each channel ticked. An account that never touched its rules has none and gets the default
    (see portal.notify.reminder_rules)."""

    __table_args__ = (UniqueConstraint("account_id", "days_before", "at_time", name="uq_reminder_rule"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("patient_account.id", ondelete="CASCADE"), index=True)
    days_before: Mapped[int] = mapped_column(Integer)
    at_time: Mapped[time] = mapped_column(Time)
    sms: Mapped[bool] = mapped_column(Boolean, default=False)
    email: Mapped[bool] = mapped_column(Boolean, default=False)
    notice: Mapped[bool] = mapped_column(Boolean, default=False)


class ReminderSent(PracticeOwned, Timestamped, db.Model):
    """One visit covered by one reminder: who (account or patient), which rule, which channel,
    the visit and its start. The key is unique, so a visit is never reminded twice by one rule
    on one channel, even when a family's message groups several visits; a moved visit has a
    new start, hence a new key."""

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the visit's start when reminded
    # The outbox row (or notice) key of the message that covered it.
    message_key: Mapped[str] = mapped_column(String(120), index=True)


class ReminderSweep(db.Model):
    """How far the reminder sweep has looked: every due instant up to `swept_until` was
    handled. One row. It moves in the sweep's own transaction, so a sweep that dies leaves it
    where it was and the next sweep goes over the same ground (the keys above stop repeats)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    swept_until: Mapped[datetime] = mapped_column(UTCDateTime)
