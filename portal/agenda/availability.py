"""Free time: interval arithmetic over a few rows, never a query per day or per slot.

Slots are wall-clock times in the practice's zone: a 09:00 range gives 09:00 on both sides of a
daylight-saving change. A local time that does not exist (the spring-forward hour) gives no
slot; an ambiguous one (the autumn hour that happens twice) is taken the first time.
"""
from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select

from portal.agenda.models import (Appointment, AppointmentStatus, AppointmentType, ExtraRange, Replacement,
                                  ScheduleActivation, ScheduleRange, Unavailability)
from portal.core.db import utcnow
from portal.extensions import db


MAX_VISIT = timedelta(minutes=480)  # appointment_type.duration_minutes is checked to be at most this


@dataclass(frozen=True)
class Slot:
    starts_at: datetime  # UTC
    ends_at: datetime    # UTC
    appointment_type_id: int
    local_start: datetime  # in the practice's zone, for display
    extra: bool = False  # from a one-off extra range ("E"), not the templates


def local_datetime(day: date, clock, zone: ZoneInfo) -> datetime | None:
    """`day` at wall-clock `clock` in `zone`, or None when that time does not exist there."""
    naive = datetime.combine(day, clock)
    local = naive.replace(tzinfo=zone)
    if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        return None  # skipped by the clocks going forward
    return local


def _days(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _range_slots(day: date, starts, ends, duration: timedelta, type_id: int, zone: ZoneInfo, extra: bool):
    cursor = datetime.combine(day, starts)
    end = datetime.combine(day, ends)
    while cursor + duration <= end:
        local = local_datetime(day, cursor.time(), zone)
        if local is not None:
            start = local.astimezone(UTC)
            yield Slot(start, start + duration, type_id, local, extra)
        cursor += duration


def replacements_between(*, practice_id: int, practitioner_id: int, first: date, last: date) -> list[Replacement]:
    """A practitioner's replacements that touch [first, last]."""
    return list(db.session.scalars(select(Replacement).where(
        Replacement.practice_id == practice_id, Replacement.practitioner_id == practitioner_id,
        Replacement.starts_on <= last, Replacement.ends_on >= first).order_by(Replacement.starts_on, Replacement.id)))


def template_slots_many(*, practice, wanted: dict[int, int | None], first: date,
                        last: date) -> dict[int, list[Slot]]:
    """`template_slots` for several practitioners at once: `wanted` maps each practitioner id to
    one appointment type id (or None for all their types). Five queries whatever the span and
    however many practitioners."""
    ids = list(wanted)
    zone = ZoneInfo(practice.timezone)
    activations = db.session.scalars(select(ScheduleActivation).where(
        ScheduleActivation.practice_id == practice.id, ScheduleActivation.practitioner_id.in_(ids),
        ScheduleActivation.starts_on <= last,
        or_(ScheduleActivation.ends_on.is_(None), ScheduleActivation.ends_on >= first),
    ).order_by(ScheduleActivation.starts_on, ScheduleActivation.id)).all()
    replacements = db.session.scalars(select(Replacement).where(
        Replacement.practice_id == practice.id, Replacement.practitioner_id.in_(ids), Replacement.starts_on <= last,
        Replacement.ends_on >= first).order_by(Replacement.starts_on, Replacement.id)).all()
    extras = db.session.scalars(select(ExtraRange).where(
        ExtraRange.practice_id == practice.id, ExtraRange.practitioner_id.in_(ids),
        ExtraRange.day >= first, ExtraRange.day <= last)).all()
    if not activations and not replacements and not extras:
        return {pid: [] for pid in ids}
    schedule_ids = {a.schedule_id for a in activations} | {r.schedule_id for r in replacements}
    ranges = db.session.scalars(select(ScheduleRange).where(ScheduleRange.schedule_id.in_(schedule_ids))).all() \
        if schedule_ids else []
    types = {t.id: t for t in db.session.scalars(select(AppointmentType).where(
        AppointmentType.practitioner_id.in_(ids), AppointmentType.active.is_(True)))}
    return {pid: _build_slots(
        zone, first, last, wanted[pid], {t.id: t for t in types.values() if t.practitioner_id == pid},
        [a for a in activations if a.practitioner_id == pid], [r for r in replacements if r.practitioner_id == pid],
        [e for e in extras if e.practitioner_id == pid], ranges) for pid in ids}


def _build_slots(zone, first, last, type_id, types, activations, replacements, extras, ranges) -> list[Slot]:
    by_schedule_day: dict[tuple[int, int], list[ScheduleRange]] = {}
    for r in ranges:
        if r.appointment_type_id in types and type_id in (None, r.appointment_type_id):
            by_schedule_day.setdefault((r.schedule_id, r.weekday), []).append(r)
    extras_by_day: dict[date, list[ExtraRange]] = {}
    for e in extras:
        if e.appointment_type_id in types and type_id in (None, e.appointment_type_id):
            extras_by_day.setdefault(e.day, []).append(e)
    slots: list[Slot] = []
    for day in _days(first, last):
        # A replacement covering the day puts its template in place of the usual one; otherwise
        # the latest activation that covers the day wins.
        replacing = [r for r in replacements if r.covers(day)]
        if replacing:
            schedule_id = replacing[-1].schedule_id
        else:
            active = [a for a in activations if a.starts_on <= day and (a.ends_on is None or a.ends_on >= day)]
            schedule_id = active[-1].schedule_id if active else None
        for r in by_schedule_day.get((schedule_id, day.weekday()), []) if schedule_id else []:
            duration = timedelta(minutes=types[r.appointment_type_id].duration_minutes)
            slots.extend(_range_slots(day, r.starts, r.ends, duration, r.appointment_type_id, zone, False))
        for e in extras_by_day.get(day, []):
            duration = timedelta(minutes=types[e.appointment_type_id].duration_minutes)
            slots.extend(_range_slots(day, e.starts, e.ends, duration, e.appointment_type_id, zone, True))
    slots.sort(key=lambda s: (s.starts_at, s.appointment_type_id))
    return slots


def template_slots(*, practice, practitioner_id: int, first: date, last: date,
                   appointment_type_id: int | None = None) -> list[Slot]:
    """Every slot offered from `first` to `last` (inclusive), in order: the active template's
    ranges (a replacement's template on the days it covers) and the one-off extra ranges.

    Five queries whatever the span: activations, replacements, extra ranges, template ranges,
    the practitioner's types.
    """
    return template_slots_many(practice=practice, wanted={practitioner_id: appointment_type_id}, first=first,
                               last=last)[practitioner_id]


def occupying(now: datetime):
    """The condition for an appointment that takes its time: not cancelled, and not a hold
    whose time ran out (such a hold is released by the next booking that needs the time)."""
    return and_(Appointment.status != AppointmentStatus.cancelled,
                or_(Appointment.status != AppointmentStatus.held, Appointment.hold_expires_at > now))


def busy_intervals(*, practitioner_id: int, since: datetime, until: datetime,
                   now: datetime | None = None) -> list[tuple[datetime, datetime]]:
    """The practitioner's occupied time overlapping [since, until)."""
    rows = db.session.execute(select(Appointment.starts_at, Appointment.ends_at).where(
        Appointment.practitioner_id == practitioner_id, occupying(now or utcnow()),
        # A lower bound on starts_at keeps the index range to the window, not the whole history:
        # no visit lasts longer than MAX_VISIT (the appointment type's own limit).
        Appointment.starts_at > since - MAX_VISIT, Appointment.starts_at < until, Appointment.ends_at > since,
    ).order_by(Appointment.starts_at)).all()
    return [(r.starts_at, r.ends_at) for r in rows]


def unavailable_intervals(*, practitioner_id: int, since: datetime, until: datetime) -> list[Unavailability]:
    """Blocks and days off overlapping [since, until)."""
    return list(db.session.scalars(select(Unavailability).where(
        Unavailability.practitioner_id == practitioner_id, Unavailability.starts_at < until,
        Unavailability.ends_at > since).order_by(Unavailability.starts_at)))


def is_blocked(slot: Slot, blocks: list[Unavailability]) -> bool:
    """Whether a block (of every type, or of the slot's) or a day off covers part of the slot."""
    return any(b.starts_at < slot.ends_at and slot.starts_at < b.ends_at
               and b.appointment_type_id in (None, slot.appointment_type_id) for b in blocks)


def keep_free(slots: list[Slot], blocks: list, busy: list[tuple[datetime, datetime]], now: datetime) -> list[Slot]:
    """The slots still bookable: in the future, not blocked, overlapping no occupied time
    (`busy`: (start, end) pairs in start order)."""
    if blocks:
        slots = [s for s in slots if not is_blocked(s, blocks)]
    starts = [b[0] for b in busy]
    longest = max((e - s for s, e in busy), default=timedelta(0))
    free = []
    for slot in slots:
        if slot.starts_at <= now:
            continue
        # Only appointments starting within `longest` before the slot's end can overlap it.
        i = bisect_left(starts, slot.starts_at - longest)
        clash = False
        while i < len(busy) and busy[i][0] < slot.ends_at:
            if busy[i][1] > slot.starts_at:
                clash = True
                break
            i += 1
        if not clash:
            free.append(slot)
    return free


def free_slots_many(*, practice, wanted: dict[int, int | None], first: date, last: date,
                    now: datetime | None = None) -> dict[int, list[Slot]]:
    """`free_slots` for several practitioners at once (`wanted` as for `template_slots_many`):
    seven queries whatever the span and however many practitioners."""
    offered = template_slots_many(practice=practice, wanted=wanted, first=first, last=last)
    every = [s for slots in offered.values() for s in slots]
    if not every:
        return {pid: [] for pid in wanted}
    now = now or utcnow()
    since, until = min(s.starts_at for s in every), max(s.ends_at for s in every)
    ids = [pid for pid, slots in offered.items() if slots]
    blocks = db.session.scalars(select(Unavailability).where(
        Unavailability.practitioner_id.in_(ids), Unavailability.starts_at < until,
        Unavailability.ends_at > since).order_by(Unavailability.starts_at)).all()
    busy = db.session.execute(select(Appointment.practitioner_id, Appointment.starts_at, Appointment.ends_at).where(
        Appointment.practitioner_id.in_(ids), occupying(now), Appointment.starts_at > since - MAX_VISIT,
        Appointment.starts_at < until, Appointment.ends_at > since).order_by(Appointment.starts_at)).all()
    return {pid: keep_free(offered[pid], [b for b in blocks if b.practitioner_id == pid],
                            [(r.starts_at, r.ends_at) for r in busy if r.practitioner_id == pid], now)
            for pid in wanted}


def free_slots(*, practice, practitioner_id: int, first: date, last: date, appointment_type_id: int | None = None,
               now: datetime | None = None) -> list[Slot]:
    """Offered slots that are in the future, not blocked, and overlap no appointment. Seven
    queries, whatever the span."""
    return free_slots_many(practice=practice, wanted={practitioner_id: appointment_type_id}, first=first, last=last,
                           now=now)[practitioner_id]


def next_free_slots(*, practice, code: str, count: int = 20, first: date, last: date,
                    now: datetime | None = None) -> list[tuple[int, Slot]]:
    """The next `count` free slots, across every practitioner, of the types with this short code
    (CONT, RV1A…: each practitioner has their own type of that kind), from `first` to `last`.
    Returns (practitioner id, slot) pairs in time order.

    The whole team is searched together, two weeks at a time and then twice as long, and the
    search stops as soon as `count` slots are found: every slot of a span comes before any of
    the next, so those are the earliest. Seven queries per span, whatever the team's size.
    """
    wanted = dict(db.session.execute(select(AppointmentType.practitioner_id, AppointmentType.id).where(
        AppointmentType.practice_id == practice.id, AppointmentType.code == code.strip().upper(),
        AppointmentType.active.is_(True))).all())
    found: list[tuple[int, Slot]] = []
    start, span = first, 14
    while wanted and start <= last and len(found) < count:
        end = min(start + timedelta(days=span - 1), last)
        by_practitioner = free_slots_many(practice=practice, wanted=wanted, first=start, last=end, now=now)
        found += sorted(((pid, s) for pid, slots in by_practitioner.items() for s in slots),
                        key=lambda pair: (pair[1].starts_at, pair[0]))
        start, span = end + timedelta(days=1), span * 2
    return found[:count]
