"""A practice's online booking settings, who may book, visit reasons and newcomers' requests."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import PracticeOwned, Timestamped, UTCDateTime
from portal.extensions import db

ROLLING_WINDOWS = (90, 180)  # seed 004: 90 days, or 180 for a specialist


class BookingSettings(PracticeOwned, Timestamped, db.Model):
    """What patients read on the booking page and the rules of online booking (seed 004's
    "paramétrage de l'officine"). One row per practice."""

    id: Mapped[int] = mapped_column(primary_key=True)
    specialties: Mapped[str] = mapped_column(Text, default="")
    payment_methods: Mapped[str] = mapped_column(Text, default="")  # one per line
    transport: Mapped[str] = mapped_column(Text, default="")
    floor: Mapped[str] = mapped_column(String(60), default="")
    lift: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled_access: Mapped[bool] = mapped_column(Boolean, default=False)
    access_notes: Mapped[str] = mapped_column(Text, default="")
    rolling_window_days: Mapped[int] = mapped_column(Integer, default=90)
    visit_kinds: Mapped[str] = mapped_column(Text, default="")
    convention: Mapped[str] = mapped_column(String(120), default="")
    carte_vitale: Mapped[bool] = mapped_column(Boolean, default=True)
    default_duration_minutes: Mapped[int] = mapped_column(Integer, default=15)
    secretariat_phone: Mapped[str] = mapped_column(String(30), default="")
    map_url: Mapped[str] = mapped_column(String(500), default="")  # empty: a map search of the address
    mode: Mapped[str] = mapped_column(String(10), default="open")  # open, known (whitelist only)
    reason_mode: Mapped[str] = mapped_column(String(10), default="free")  # free, list
    video_base_url: Mapped[str] = mapped_column(String(300), default="https://meet.jit.si")
    hold_minutes: Mapped[int] = mapped_column(Integer, default=10)  # a newcomer's slot, while they confirm

    __table_args__ = (UniqueConstraint("practice_id", name="uq_booking_settings_practice"),)


class KnownContact(PracticeOwned, Timestamped, db.Model):
    """An e-mail address or mobile number allowed to book in "known patients only" mode."""

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[str] = mapped_column(String(200))  # lower-cased e-mail, or E.164 mobile
    note: Mapped[str] = mapped_column(String(200), default="")

    __table_args__ = (UniqueConstraint("practice_id", "value", name="uq_known_contact"),)


class BookingBan(PracticeOwned, Timestamped, db.Model):
    """An e-mail address or mobile number that may not book online, whatever the mode."""

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(200), default="")

    __table_args__ = (UniqueConstraint("practice_id", "value", name="uq_booking_ban"),)


class VisitReason(PracticeOwned, db.Model):
    """A reason patients choose from when the practice asks for a listed one (seed 004)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class BookingRequest(PracticeOwned, Timestamped, db.Model):
    """A newcomer's online booking: their details and the SMS code (kept hashed) that confirms
    the held appointment. The browser holds a random token whose hash is here."""

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id", ondelete="CASCADE"), index=True)
    last_name: Mapped[str] = mapped_column(String(80))
    first_name: Mapped[str] = mapped_column(String(80))
    birth_date: Mapped[date] = mapped_column(Date)
    mobile: Mapped[str] = mapped_column(String(16))
    email: Mapped[str] = mapped_column(String(200))
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    send_count: Mapped[int] = mapped_column(Integer, default=1)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
