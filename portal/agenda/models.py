"""Appointment types, schedules (weekly templates), their activation periods, appointments."""
from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import PracticeOwned, Timestamped, UTCDateTime
from portal.core.models import Practitioner
from portal.extensions import db
from portal.patients.models import Patient


class AppointmentType(PracticeOwned, db.Model):
    """A kind of visit of one practitioner (seed 003 § 13): its duration and booking rules."""

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    code: Mapped[str] = mapped_column(String(12), default="")  # CONT, RVC, RV1A… (seed 001)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    color: Mapped[str] = mapped_column(String(7), default="#0b6e6e")
    position: Mapped[int] = mapped_column(Integer, default=0)
    online: Mapped[bool] = mapped_column(Boolean, default=False)  # patients may book it online
    new_patients: Mapped[bool] = mapped_column(Boolean, default=False)  # and newcomers too
    min_notice_hours: Mapped[int] = mapped_column(Integer, default=24)
    max_days_ahead: Mapped[int] = mapped_column(Integer, default=90)
    booking_message: Mapped[str] = mapped_column(Text, default="")
    teleconsultation: Mapped[bool] = mapped_column(Boolean, default=False)
    # Seed 004's prepayment: a teleconsultation of this type owes `price_cents` from its booking
    # (a fee in the ledger), shown unpaid (red) until paid online or marked paid by staff.
    prepayment: Mapped[bool] = mapped_column(Boolean, default=False)
    price_cents: Mapped[int | None] = mapped_column(Integer)
    carte_vitale: Mapped[bool] = mapped_column(Boolean, default=False)
    patient_can_cancel: Mapped[bool] = mapped_column(Boolean, default=True)
    cancel_deadline_hours: Mapped[int] = mapped_column(Integer, default=48)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (CheckConstraint("duration_minutes > 0 AND duration_minutes <= 480", name="duration"),)


class Schedule(PracticeOwned, Timestamped, db.Model):
    """A named weekly template ("emploi du temps") of one practitioner at one location."""

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id", ondelete="CASCADE"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))

    ranges: Mapped[list[ScheduleRange]] = relationship(cascade="all, delete-orphan",
                                                       order_by="(ScheduleRange.weekday, ScheduleRange.starts)")


class ScheduleRange(PracticeOwned, db.Model):
    """On one weekday, a wall-clock range that produces slots of one appointment type."""

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedule.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)
    appointment_type_id: Mapped[int] = mapped_column(ForeignKey("appointment_type.id", ondelete="CASCADE"))

    __table_args__ = (CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
                      CheckConstraint("starts < ends", name="order"))


class ScheduleActivation(PracticeOwned, db.Model):
    """Which template applies from which date to which date (inclusive; open-ended if no end)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedule.id", ondelete="CASCADE"), index=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)


class AppointmentStatus(str, enum.Enum):
    booked = "booked"
    cancelled = "cancelled"
    no_show = "no_show"  # "ABSENCE INJUSTIFIÉE": kept for good, still occupies its time
    # A newcomer's online booking awaiting its SMS code: occupies the time until
    # `hold_expires_at`, then is released (cancelled) by whoever needs the time next.
    held = "held"


class Appointment(PracticeOwned, Timestamped, db.Model):
    """A patient's visit. Two non-cancelled appointments of one practitioner never overlap: the
    database refuses it (an exclusion constraint on PostgreSQL, a trigger on SQLite; see the
    migration), so two parallel bookings cannot both succeed."""

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id", ondelete="CASCADE"))
    appointment_type_id: Mapped[int] = mapped_column(ForeignKey("appointment_type.id", ondelete="RESTRICT"))
    # Empty only while held for a newcomer who has not confirmed yet (or once that hold ran out).
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[AppointmentStatus] = mapped_column(
        db.Enum(AppointmentStatus, native_enum=False, length=12), default=AppointmentStatus.booked)
    extra: Mapped[bool] = mapped_column(Boolean, default=False)  # outside the templates ("E")
    note: Mapped[str] = mapped_column(Text, default="")  # for staff
    patient_message: Mapped[str] = mapped_column(Text, default="")  # shown to the patient
    reason: Mapped[str] = mapped_column(String(200), default="")  # the visit reason (seed 004)
    teleconsult_mobile: Mapped[str] = mapped_column(String(16), default="")
    # The unguessable part of the video room's address (teleconsultation types only).
    room_token: Mapped[str | None] = mapped_column(String(43), unique=True)
    cancel_reason: Mapped[str] = mapped_column(String(200), default="")
    cancelled_by: Mapped[str] = mapped_column(String(20), default="")  # staff, patient, system
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    booked_by: Mapped[str] = mapped_column(String(20), default="staff")  # staff, patient

    appointment_type: Mapped[AppointmentType] = relationship()
    patient: Mapped[Patient | None] = relationship()
    practitioner: Mapped[Practitioner] = relationship()

    __table_args__ = (CheckConstraint("starts_at < ends_at", name="order"),
                      CheckConstraint("patient_id IS NOT NULL OR status IN ('held', 'cancelled')", name="patient"),
                      Index("ix_appointment_practitioner_time", "practitioner_id", "starts_at"),
                      # the whole practice's planning for a week (everyone side by side)
                      Index("ix_appointment_practice_time", "practice_id", "starts_at"))


class UnavailabilityKind(str, enum.Enum):
    block = "block"      # blocked slots (seed 003 § 6): all types, or only one
    holiday = "holiday"  # a day or a period off (seed 003 § 5)


class Unavailability(PracticeOwned, Timestamped, db.Model):
    """Time a practitioner's templates offer but nobody may book: shown blue on the planning."""

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id", ondelete="CASCADE"))
    kind: Mapped[UnavailabilityKind] = mapped_column(db.Enum(UnavailabilityKind, native_enum=False, length=10))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Blocks only this type's slots when set; every slot otherwise.
    appointment_type_id: Mapped[int | None] = mapped_column(ForeignKey("appointment_type.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(200), default="")

    __table_args__ = (CheckConstraint("starts_at < ends_at", name="order"),
                      Index("ix_unavailability_practitioner_time", "practitioner_id", "starts_at"))


class ExtraRange(PracticeOwned, Timestamped, db.Model):
    """A one-off range on one date that produces slots of one type besides the templates
    (seed 003 § 7): marked "E" on the planning, deletable."""

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)
    appointment_type_id: Mapped[int] = mapped_column(ForeignKey("appointment_type.id", ondelete="CASCADE"))

    __table_args__ = (CheckConstraint("starts < ends", name="order"),
                      Index("ix_extra_range_practitioner_day", "practitioner_id", "day"))


class CalendarEvent(PracticeOwned, Timestamped, db.Model):
    """A post-it on the planning (seed 003 § 12): seen by staff, changes no availability."""

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int | None] = mapped_column(ForeignKey("practitioner.id", ondelete="CASCADE"))  # None: all
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    starts: Mapped[time | None] = mapped_column(Time)  # none: all day
    ends: Mapped[time | None] = mapped_column(Time)
    title: Mapped[str] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(Text, default="")
    color: Mapped[str] = mapped_column(String(7), default="#f2c94c")

    __table_args__ = (CheckConstraint("starts_on <= ends_on", name="order"),
                      Index("ix_calendar_event_days", "practice_id", "starts_on"))


class WaitingStatus(str, enum.Enum):
    waiting = "waiting"
    booked = "booked"    # an offer was accepted, or staff booked them
    removed = "removed"


class WaitingEntry(PracticeOwned, Timestamped, db.Model):
    """A patient waiting for a time to free up (seed 003 § 3), without an appointment."""

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id", ondelete="CASCADE"))
    appointment_type_id: Mapped[int] = mapped_column(ForeignKey("appointment_type.id", ondelete="CASCADE"))
    wishes: Mapped[str] = mapped_column(Text, default="")  # "mornings", "not Wednesdays"…
    status: Mapped[WaitingStatus] = mapped_column(db.Enum(WaitingStatus, native_enum=False, length=10),
                                                  default=WaitingStatus.waiting)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id", ondelete="SET NULL"))

    patient: Mapped[Patient] = relationship()
    appointment_type: Mapped[AppointmentType] = relationship()

    __table_args__ = (Index("ix_waiting_entry_practitioner", "practitioner_id", "status"),)


class OfferStatus(str, enum.Enum):
    offered = "offered"
    accepted = "accepted"
    taken = "taken"      # someone else accepted first; told so
    expired = "expired"


class WaitingOffer(PracticeOwned, Timestamped, db.Model):
    """A freed slot offered to one waiting patient by SMS or e-mail with a link. The first to
    accept books it (the no-overlap rule settles a race); the others are told it is taken."""

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("waiting_entry.id", ondelete="CASCADE"), index=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id", ondelete="CASCADE"))
    appointment_type_id: Mapped[int] = mapped_column(ForeignKey("appointment_type.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[OfferStatus] = mapped_column(db.Enum(OfferStatus, native_enum=False, length=10),
                                                default=OfferStatus.offered)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    entry: Mapped[WaitingEntry] = relationship()

    __table_args__ = (Index("ix_waiting_offer_slot", "practitioner_id", "starts_at"),)


class Replacement(PracticeOwned, Timestamped, db.Model):
    """A substitute working in a practitioner's place (seed 003 § 11): from `starts_on` to
    `ends_on`, on the chosen weekdays, with a template of their own instead of the usual one."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))  # "Noël", "Pâques"…
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id", ondelete="CASCADE"), index=True)
    substitute_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id", ondelete="CASCADE"))
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedule.id", ondelete="CASCADE"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    weekdays: Mapped[int] = mapped_column(Integer, default=0b0011111)  # bit 0 = Monday
    skipped_dates: Mapped[list] = mapped_column(JSON, default=list)  # ISO dates unticked in "voir les dates"

    substitute: Mapped[Practitioner] = relationship(foreign_keys=[substitute_id])

    __table_args__ = (CheckConstraint("starts_on <= ends_on", name="order"),)

    def covers(self, day: date) -> bool:
        return (self.starts_on <= day <= self.ends_on and bool(self.weekdays >> day.weekday() & 1)
                and day.isoformat() not in (self.skipped_dates or []))


class SecretaryRight(PracticeOwned, db.Model):
    """What one secretary may do in one practitioner's agenda (seed 003 § 10). Without a row a
    secretary may see and book, not change schedules or settings; practitioners and owners may
    do everything."""

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"))
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id", ondelete="CASCADE"))
    can_view: Mapped[bool] = mapped_column(Boolean, default=True)
    can_book: Mapped[bool] = mapped_column(Boolean, default=True)
    can_manage: Mapped[bool] = mapped_column(Boolean, default=False)  # blocks, days off, extras, schedules
    can_configure: Mapped[bool] = mapped_column(Boolean, default=False)  # types and booking settings

    __table_args__ = (UniqueConstraint("staff_user_id", "practitioner_id", name="uq_secretary_right"),)


class CheckIn(PracticeOwned, db.Model):
    """A patient arrived for an appointment, scanned at the desk (seed 000's "scan sur borne
    d'accueil"). A table of its own rather than a column: altering `appointment` on SQLite
    rebuilds it and drops its no-overlap triggers."""

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id", ondelete="CASCADE"), unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
