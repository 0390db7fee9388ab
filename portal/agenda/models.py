"""Appointment types, schedules (weekly templates), their activation periods, appointments."""
from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import PracticeOwned, Timestamped, UTCDateTime
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


class Appointment(PracticeOwned, Timestamped, db.Model):
    """A patient's visit. Two non-cancelled appointments of one practitioner never overlap: the
    database refuses it (an exclusion constraint on PostgreSQL, a trigger on SQLite; see the
    migration), so two parallel bookings cannot both succeed."""

    id: Mapped[int] = mapped_column(primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id", ondelete="CASCADE"))
    appointment_type_id: Mapped[int] = mapped_column(ForeignKey("appointment_type.id", ondelete="RESTRICT"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[AppointmentStatus] = mapped_column(
        db.Enum(AppointmentStatus, native_enum=False, length=12), default=AppointmentStatus.booked)
    extra: Mapped[bool] = mapped_column(Boolean, default=False)  # outside the templates ("E")
    note: Mapped[str] = mapped_column(Text, default="")
    booked_by: Mapped[str] = mapped_column(String(20), default="staff")  # staff, patient

    appointment_type: Mapped[AppointmentType] = relationship()
    patient: Mapped[Patient] = relationship()

    __table_args__ = (CheckConstraint("starts_at < ends_at", name="order"),
                      Index("ix_appointment_practitioner_time", "practitioner_id", "starts_at"))


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
