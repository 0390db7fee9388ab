"""Agenda rules: setting up types and schedules, and booking without ever double-booking."""
from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal.agenda.availability import (MAX_VISIT, Slot, free_slots, is_blocked, local_datetime, template_slots,
                                       unavailable_intervals)
from portal.agenda.models import (Appointment, AppointmentStatus, AppointmentType, Schedule, ScheduleActivation,
                                  ScheduleRange, Unavailability, UnavailabilityKind)
from portal.core import audit
from portal.core.audit import Actor
from portal.core.db import utcnow
from portal.core.errors import Conflict, Invalid, NotFound
from portal.core.models import Practitioner
from portal.extensions import db
from portal.patients.services import get_patient


def get_practitioner(*, practice_id: int, practitioner_id: int) -> Practitioner:
    """A practitioner of the practice, or `NotFound`."""
    found = db.session.scalar(select(Practitioner).where(Practitioner.id == practitioner_id,
                                                         Practitioner.practice_id == practice_id))
    if found is None:
        raise NotFound()
    return found


def practitioners(practice_id: int) -> list[Practitioner]:
    """The practice's active practitioners, by name."""
    return list(db.session.scalars(select(Practitioner).where(
        Practitioner.practice_id == practice_id, Practitioner.active.is_(True)).order_by(Practitioner.last_name)))


def appointment_types(*, practice_id: int, practitioner_id: int) -> list[AppointmentType]:
    """A practitioner's active appointment types, in their chosen order."""
    return list(db.session.scalars(select(AppointmentType).where(
        AppointmentType.practice_id == practice_id, AppointmentType.practitioner_id == practitioner_id,
        AppointmentType.active.is_(True)).order_by(AppointmentType.position, AppointmentType.name)))


def add_appointment_type(*, practitioner: Practitioner, name: str, duration_minutes: int, actor: Actor,
                         code: str = "", **options) -> AppointmentType:
    """A new appointment type for `practitioner`. Raises `Invalid` on a duration out of range."""
    if not 5 <= duration_minutes <= 480:
        raise Invalid(_("La durée doit être comprise entre 5 minutes et 8 heures."), "duration_minutes")
    position = len(appointment_types(practice_id=practitioner.practice_id, practitioner_id=practitioner.id))
    kind = AppointmentType(practice_id=practitioner.practice_id, practitioner_id=practitioner.id, name=name.strip(),
                           code=code.strip().upper(), duration_minutes=duration_minutes, position=position, **options)
    db.session.add(kind)
    db.session.flush()
    audit.record("agenda.type_created", actor=actor, practice_id=practitioner.practice_id, target=kind)
    return kind


def create_schedule(*, practitioner: Practitioner, name: str, actor: Actor, location_id: int | None = None) -> Schedule:
    """A new, empty weekly template for `practitioner` (at the practice's first location by default)."""
    if location_id is None:
        location_id = practitioner.practice.locations[0].id
    schedule = Schedule(practice_id=practitioner.practice_id, practitioner_id=practitioner.id,
                        location_id=location_id, name=name.strip())
    db.session.add(schedule)
    db.session.flush()
    audit.record("agenda.schedule_created", actor=actor, practice_id=practitioner.practice_id, target=schedule)
    return schedule


def add_range(schedule: Schedule, *, weekday: int, starts: time, ends: time, appointment_type: AppointmentType,
              actor: Actor) -> ScheduleRange:
    """Open slots of `appointment_type` on `weekday` from `starts` to `ends` in the template.

    Raises `Invalid` for an end before the start, another practitioner's type, or a range that
    overlaps another range of the same day in this template.
    """
    if not 0 <= weekday <= 6:
        raise Invalid(_("Jour de la semaine inconnu."), "weekday")
    if ends <= starts:
        raise Invalid(_("La fin de la plage doit être après son début."), "ends")
    if appointment_type.practitioner_id != schedule.practitioner_id:
        raise Invalid(_("Ce type de rendez-vous appartient à un autre praticien."), "appointment_type_id")
    for other in schedule.ranges:
        if other.weekday == weekday and other.starts < ends and starts < other.ends:
            raise Invalid(_("Cette plage chevauche celle de %(a)s à %(b)s.", a=other.starts.strftime("%H:%M"),
                            b=other.ends.strftime("%H:%M")), "starts")
    row = ScheduleRange(practice_id=schedule.practice_id, weekday=weekday, starts=starts, ends=ends,
                        appointment_type_id=appointment_type.id)
    schedule.ranges.append(row)
    db.session.flush()
    audit.record("agenda.schedule_changed", actor=actor, practice_id=schedule.practice_id, target=schedule,
                 details={"added": f"{weekday} {starts:%H:%M}-{ends:%H:%M} type {appointment_type.id}"})
    return row


def activate_schedule(schedule: Schedule, *, starts_on: date, ends_on: date | None, actor: Actor) -> ScheduleActivation:
    """Make `schedule` the template from `starts_on` to `ends_on` (open-ended without an end)."""
    if ends_on is not None and ends_on < starts_on:
        raise Invalid(_("La fin de la période doit être après son début."), "ends_on")
    activation = ScheduleActivation(practice_id=schedule.practice_id, schedule_id=schedule.id,
                                    practitioner_id=schedule.practitioner_id, starts_on=starts_on, ends_on=ends_on)
    db.session.add(activation)
    db.session.flush()
    audit.record("agenda.schedule_activated", actor=actor, practice_id=schedule.practice_id, target=schedule,
                 details={"from": starts_on.isoformat(), "to": ends_on.isoformat() if ends_on else None})
    return activation


def when_text(practice, instant: datetime) -> str:
    """An instant as patients read it in messages, in the practice's zone: "25/11/2030 à 09:00"."""
    local = instant.astimezone(ZoneInfo(practice.timezone))
    return _("%(date)s à %(time)s", date=local.strftime("%d/%m/%Y"), time=local.strftime("%H:%M"))


def local_to_utc(practice, day: date, clock: time) -> datetime:
    """A wall-clock time typed by staff, in the practice's zone; `Invalid` when it does not exist."""
    local = local_datetime(day, clock, ZoneInfo(practice.timezone))
    if local is None:
        raise Invalid(_("Cette heure n'existe pas ce jour-là (changement d'heure)."), "starts_at")
    return local.astimezone(UTC)


def day_bounds(practice, day: date) -> tuple[datetime, datetime]:
    """The UTC instants that start and end a local day (23 or 25 hours long on change days)."""
    zone = ZoneInfo(practice.timezone)
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def day_appointments(*, practice, practitioner_id: int, day: date) -> list[Appointment]:
    """A practitioner's appointments (cancelled ones included) on a local day, in order."""
    start, end = day_bounds(practice, day)
    return list(db.session.scalars(select(Appointment).where(
        Appointment.practice_id == practice.id, Appointment.practitioner_id == practitioner_id,
        Appointment.starts_at >= start, Appointment.starts_at < end).order_by(Appointment.starts_at)
        .options(selectinload(Appointment.patient), selectinload(Appointment.appointment_type))))


def release_expired_holds(*, practitioner_id: int, starts_at: datetime, ends_at: datetime) -> None:
    """Cancel the holds whose time ran out over [starts_at, ends_at), so their time can be
    taken (a newcomer who never typed their code)."""
    db.session.execute(update(Appointment).where(
        Appointment.practitioner_id == practitioner_id, Appointment.status == AppointmentStatus.held,
        Appointment.hold_expires_at <= utcnow(), Appointment.starts_at < ends_at,
        # the lower bound keeps the index range to a few rows, not the practitioner's history
        Appointment.starts_at > starts_at - MAX_VISIT, Appointment.ends_at > starts_at).values(
        status=AppointmentStatus.cancelled, cancelled_by="system", cancel_reason="hold expired"))


def release_hold(appointment_id: int) -> None:
    """Cancel a newcomer's hold at once (refused at confirmation): its time is free again."""
    db.session.execute(update(Appointment).where(
        Appointment.id == appointment_id, Appointment.status == AppointmentStatus.held).values(
        status=AppointmentStatus.cancelled, cancelled_by="system", cancel_reason="refused"))


def book_appointment(*, practice, practitioner_id: int, appointment_type_id: int, patient_id: int | None,
                     starts_at: datetime, actor: Actor, extra: bool = False, note: str = "",
                     booked_by: str = "staff", reason: str = "", patient_message: str = "",
                     teleconsult_mobile: str = "", hold_until: datetime | None = None,
                     charge: bool = True) -> Appointment:
    """Book a visit. Without `extra`, the time must be an offered slot (templates or an extra
    range). With `hold_until` and no patient, the time is held for a newcomer confirming by SMS.

    The database refuses an overlap with another visit of the practitioner (so two parallel
    bookings of one slot cannot both succeed): that becomes `Conflict`. Raises `Invalid` for a
    past time or a time the templates do not offer, `NotFound` for ids of another practice.
    A teleconsultation of a type with prepayment owes its price from now (`billing.teleconsult`),
    unless `charge` is False (a move keeps the old visit's fee).
    """
    practitioner = get_practitioner(practice_id=practice.id, practitioner_id=practitioner_id)
    kind = db.session.scalar(select(AppointmentType).where(
        AppointmentType.id == appointment_type_id, AppointmentType.practice_id == practice.id,
        AppointmentType.practitioner_id == practitioner.id))
    if kind is None:
        raise NotFound()
    patient = get_patient(practice_id=practice.id, patient_id=patient_id) if patient_id is not None else None
    if patient is None and hold_until is None:
        raise Invalid(_("Choisissez le patient."), "patient")
    if starts_at <= utcnow():
        raise Invalid(_("Ce créneau est déjà passé."), "starts_at")
    if kind.teleconsultation and booked_by == "patient" and not teleconsult_mobile:
        raise Invalid(_("Une téléconsultation demande un numéro de mobile."), "teleconsult_mobile")
    if not extra:
        local_day = starts_at.astimezone(ZoneInfo(practice.timezone)).date()
        offered = template_slots(practice=practice, practitioner_id=practitioner.id, first=local_day, last=local_day,
                                 appointment_type_id=kind.id)
        slot = next((s for s in offered if s.starts_at == starts_at), None)
        if slot is None:
            raise Invalid(_("Ce créneau n'existe pas dans l'emploi du temps."), "starts_at")
        if is_blocked(slot, unavailable_intervals(practitioner_id=practitioner.id, since=slot.starts_at,
                                                  until=slot.ends_at)):
            raise Invalid(_("Ce créneau est bloqué (congé ou créneau fermé)."), "starts_at")
        extra = slot.extra
    ends_at = starts_at + timedelta(minutes=kind.duration_minutes)
    release_expired_holds(practitioner_id=practitioner.id, starts_at=starts_at, ends_at=ends_at)
    appointment = Appointment(
        practice_id=practice.id, practitioner_id=practitioner.id, appointment_type_id=kind.id,
        patient_id=patient.id if patient else None, starts_at=starts_at, ends_at=ends_at, extra=extra,
        note=note.strip(), booked_by=booked_by, reason=reason.strip()[:200], patient_message=patient_message.strip(),
        teleconsult_mobile=teleconsult_mobile, hold_expires_at=hold_until,
        status=AppointmentStatus.held if patient is None else AppointmentStatus.booked,
        room_token=secrets.token_urlsafe(32) if kind.teleconsultation else None)
    db.session.add(appointment)
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()  # the unit of work is lost anyway; leave the session usable
        if "ex_appointment_no_overlap" in str(exc.orig):
            raise Conflict(_("Ce créneau vient d'être pris.")) from None
        raise
    audit.record("agenda.held" if patient is None else "agenda.booked", actor=actor, practice_id=practice.id,
                 target=appointment, details={"patient_id": patient.id if patient else None,
                                              "starts_at": starts_at.isoformat()})
    if charge and patient is not None:
        from portal.billing.teleconsult import charge_booking

        charge_booking(practice=practice, appointment=appointment, actor=actor)
    return appointment


def slots_near(*, practice, practitioner_id: int, appointment_type_id: int, around: datetime,
               count: int = 6) -> list[Slot]:
    """Free slots of one type closest to `around` in the following days: what to offer when the
    one asked for was just taken."""
    zone = ZoneInfo(practice.timezone)
    day = around.astimezone(zone).date()
    slots = free_slots(practice=practice, practitioner_id=practitioner_id, first=day, last=day + timedelta(days=7),
                       appointment_type_id=appointment_type_id)
    return sorted(slots, key=lambda s: abs(s.starts_at - around))[:count]


def block_time(*, practice, practitioner_id: int, starts_at: datetime, ends_at: datetime, actor: Actor,
               appointment_type_id: int | None = None, label: str = "") -> Unavailability:
    """Block time from booking (seed 003 § 6): every slot, or only one type's. Appointments
    already there stay; staff cancel them if they must."""
    practitioner = get_practitioner(practice_id=practice.id, practitioner_id=practitioner_id)
    if ends_at <= starts_at:
        raise Invalid(_("La fin doit être après le début."), "ends")
    if appointment_type_id is not None and not db.session.scalar(select(AppointmentType.id).where(
            AppointmentType.id == appointment_type_id, AppointmentType.practitioner_id == practitioner.id)):
        raise NotFound()
    row = Unavailability(practice_id=practice.id, practitioner_id=practitioner.id, kind=UnavailabilityKind.block,
                         starts_at=starts_at, ends_at=ends_at, appointment_type_id=appointment_type_id,
                         label=label.strip()[:200])
    db.session.add(row)
    db.session.flush()
    audit.record("agenda.blocked", actor=actor, practice_id=practice.id, target=row)
    return row


def block_days(*, practice, practitioner_id: int, first: date, last: date, starts: time, ends: time,
               actor: Actor, appointment_type_id: int | None = None, label: str = "") -> list[Unavailability]:
    """The same wall-clock range blocked on every day from `first` to `last` (at most a year):
    one block per day, so that any one day can be reopened on its own."""
    if last < first:
        raise Invalid(_("La fin de la période doit être après son début."), "until")
    if (last - first).days > 366:
        raise Invalid(_("Bloquez au plus un an à la fois."), "until")
    if ends <= starts:
        raise Invalid(_("La fin doit être après le début."), "ends")
    rows, day = [], first
    while day <= last:
        rows.append(block_time(practice=practice, practitioner_id=practitioner_id,
                               starts_at=local_to_utc(practice, day, starts), ends_at=local_to_utc(practice, day, ends),
                               appointment_type_id=appointment_type_id, label=label, actor=actor))
        day += timedelta(days=1)
    return rows


def reopen_day(*, practice, unavailability_id: int, day: date, actor: Actor) -> None:
    """Reopen one local day of a longer block or period off: the rest of it stays closed (the
    row is cut around that day)."""
    row = db.session.scalar(select(Unavailability).where(Unavailability.id == unavailability_id,
                                                         Unavailability.practice_id == practice.id))
    if row is None:
        raise NotFound()
    start, end = day_bounds(practice, day)
    if row.ends_at <= start or row.starts_at >= end:
        raise Invalid(_("Cette indisponibilité ne touche pas ce jour-là."))
    if row.ends_at > end:  # what comes after the day stays closed
        db.session.add(Unavailability(practice_id=row.practice_id, practitioner_id=row.practitioner_id, kind=row.kind,
                                      starts_at=end, ends_at=row.ends_at, appointment_type_id=row.appointment_type_id,
                                      label=row.label))
    if row.starts_at < start:
        row.ends_at = start
    else:
        db.session.delete(row)
    db.session.flush()
    audit.record("agenda.reopened", actor=actor, practice_id=practice.id, target=row, details={"day": day.isoformat()})


def take_days_off(*, practice, practitioner_id: int, first: date, last: date, actor: Actor,
                  label: str = "") -> Unavailability:
    """Holidays (seed 003 § 5): whole local days, `first` to `last` inclusive."""
    practitioner = get_practitioner(practice_id=practice.id, practitioner_id=practitioner_id)
    if last < first:
        raise Invalid(_("La fin de la période doit être après son début."), "last")
    starts_at, _end = day_bounds(practice, first)
    _start, ends_at = day_bounds(practice, last)
    row = Unavailability(practice_id=practice.id, practitioner_id=practitioner.id, kind=UnavailabilityKind.holiday,
                         starts_at=starts_at, ends_at=ends_at, label=label.strip()[:200])
    db.session.add(row)
    db.session.flush()
    audit.record("agenda.days_off", actor=actor, practice_id=practice.id, target=row,
                 details={"from": first.isoformat(), "to": last.isoformat()})
    return row


def reopen(*, practice, unavailability_id: int, actor: Actor) -> None:
    """Remove a block or a day off: its slots can be booked again."""
    row = db.session.scalar(select(Unavailability).where(Unavailability.id == unavailability_id,
                                                         Unavailability.practice_id == practice.id))
    if row is None:
        raise NotFound()
    db.session.delete(row)
    audit.record("agenda.reopened", actor=actor, practice_id=practice.id, target=row)


def day_unavailabilities(*, practice, practitioner_id: int, day: date) -> list[Unavailability]:
    """Blocks and days off touching a local day."""
    start, end = day_bounds(practice, day)
    return unavailable_intervals(practitioner_id=practitioner_id, since=start, until=end)


def get_appointment(*, practice_id: int, appointment_id: int) -> Appointment:
    """An appointment of the practice, or `NotFound`."""
    found = db.session.scalar(select(Appointment).where(Appointment.id == appointment_id,
                                                        Appointment.practice_id == practice_id))
    if found is None:
        raise NotFound()
    return found


def cancel_appointment(appointment: Appointment, *, actor: Actor, reason: str = "") -> None:
    """Cancel a visit; its time is free again at once. A past visit cannot be cancelled. An
    unpaid teleconsultation fee goes with it (a paid one stays, noted)."""
    if appointment.status is not AppointmentStatus.booked:
        raise Conflict(_("Ce rendez-vous n'est plus prévu."))
    if appointment.starts_at <= utcnow():
        raise Invalid(_("Un rendez-vous passé ne peut pas être annulé ; notez plutôt une absence."))
    appointment.status = AppointmentStatus.cancelled
    appointment.cancelled_by = actor.type if actor.type in ("staff", "patient") else "system"
    appointment.cancel_reason = reason.strip()[:200]
    audit.record("agenda.cancelled", actor=actor, practice_id=appointment.practice_id, target=appointment,
                 details={"reason": reason[:200]})
    from portal.billing.teleconsult import release_on_cancel

    release_on_cancel(appointment, actor=actor)
    offer_freed_time(appointment)


def offer_freed_time(appointment: Appointment) -> None:
    """After a future visit is cancelled, offer its time to the waiting list (seed 003 § 3): one
    job, run after the commit, that checks the time is still free and not blocked, then writes
    and sends the offers (`portal.agenda.jobs.offer_freed_time`)."""
    from portal.agenda.jobs import offer_freed_time as job
    from portal.core.jobs import enqueue

    if appointment.starts_at > utcnow():
        enqueue(job, appointment.id, title=f"waiting-list offers for appointment #{appointment.id}")


def room_url(appointment: Appointment) -> str | None:
    """The teleconsultation's video room (the practice's video service, then an unguessable
    name), or None for a visit in the chair."""
    from portal.booking.services import settings_for

    if not appointment.room_token:
        return None
    base = settings_for(appointment.practice_id).video_base_url.rstrip("/")
    return f"{base}/sourire-{appointment.room_token}"


def teleconsultation_open(appointment: Appointment, now: datetime | None = None) -> bool:
    """Whether staff may start the video call now: a booked teleconsultation, from 15 minutes
    before its start to its end (generous, people are early or late)."""
    now = now or utcnow()
    return (bool(appointment.room_token) and appointment.status is AppointmentStatus.booked
            and appointment.starts_at - timedelta(minutes=15) <= now <= appointment.ends_at)


def mark_no_show(appointment: Appointment, *, actor: Actor) -> None:
    """"ABSENCE INJUSTIFIÉE": kept for good and counted in the patient's history."""
    if appointment.status is not AppointmentStatus.booked:
        raise Conflict(_("Ce rendez-vous n'est plus prévu."))
    if appointment.starts_at > utcnow():
        raise Invalid(_("Une absence ne se note qu'une fois l'heure du rendez-vous passée."))
    appointment.status = AppointmentStatus.no_show
    audit.record("agenda.no_show", actor=actor, practice_id=appointment.practice_id, target=appointment)


def schedules_of(*, practice_id: int, practitioner_id: int) -> list[Schedule]:
    """A practitioner's weekly templates, with their ranges."""
    return list(db.session.scalars(select(Schedule).where(
        Schedule.practice_id == practice_id, Schedule.practitioner_id == practitioner_id)
        .options(selectinload(Schedule.ranges)).order_by(Schedule.id)))


def activations_of(*, practice_id: int, practitioner_id: int) -> list[ScheduleActivation]:
    """Which template applies when, latest first."""
    return list(db.session.scalars(select(ScheduleActivation).where(
        ScheduleActivation.practice_id == practice_id, ScheduleActivation.practitioner_id == practitioner_id)
        .order_by(ScheduleActivation.starts_on.desc())))


def get_schedule(*, practice_id: int, practitioner_id: int, schedule_id: int) -> Schedule:
    """One of the practitioner's templates, or `NotFound`."""
    found = db.session.scalar(select(Schedule).where(Schedule.id == schedule_id, Schedule.practice_id == practice_id,
                                                     Schedule.practitioner_id == practitioner_id))
    if found is None:
        raise NotFound()
    return found


def get_type(*, practice_id: int, practitioner_id: int, type_id: int) -> AppointmentType:
    """One of the practitioner's appointment types, or `NotFound`."""
    found = db.session.scalar(select(AppointmentType).where(
        AppointmentType.id == type_id, AppointmentType.practice_id == practice_id,
        AppointmentType.practitioner_id == practitioner_id))
    if found is None:
        raise NotFound()
    return found


def patient_appointments(*, patient) -> tuple[list[Appointment], list[Appointment], int]:
    """What a patient sees (seed 001 "MES RENDEZ-VOUS"): upcoming visits, past ones (newest
    first) and how many were missed. Cancelled visits appear in neither."""
    # By patient only: the patient row is the practice's already, and an equality on practice_id
    # let SQLite walk the whole practice's history through ix_appointment_practice_time.
    rows = list(db.session.scalars(select(Appointment).where(
        Appointment.patient_id == patient.id, Appointment.status != AppointmentStatus.cancelled).options(
        selectinload(Appointment.appointment_type)).order_by(Appointment.starts_at)))
    now = utcnow()
    upcoming = [a for a in rows if a.starts_at > now and a.status is AppointmentStatus.booked]
    history = [a for a in reversed(rows) if a.starts_at <= now or a.status is AppointmentStatus.no_show]
    missed = sum(1 for a in history if a.status is AppointmentStatus.no_show)
    return upcoming, history, missed


def next_visits(patient_ids: list[int]) -> dict[int, Appointment]:
    """Each patient's next booked visit, in one query (the patient home's family overview)."""
    if not patient_ids:
        return {}
    rows = db.session.scalars(select(Appointment).where(
        Appointment.patient_id.in_(patient_ids), Appointment.status == AppointmentStatus.booked,
        Appointment.starts_at > utcnow()).options(selectinload(Appointment.appointment_type)).order_by(
        Appointment.starts_at))
    first: dict[int, Appointment] = {}
    for a in rows:
        first.setdefault(a.patient_id, a)
    return first


def cancellation_text(practice, appointment: Appointment, message: str) -> str:
    """The words a patient receives for one cancelled visit."""
    return _("%(practice)s : votre rendez-vous du %(when)s est annulé. %(message)s",
             practice=practice.name, when=when_text(practice, appointment.starts_at), message=message.strip()).strip()
