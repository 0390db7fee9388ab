"""Seeing the planning (seed 004 "consultation du planning", seed 003 §§ 5, 12): a week of one
practitioner, every practitioner side by side, the past 30 days, the holiday calendar, and the
calendar events (post-its) that sit on the planning without changing any availability.

Every reader loads its whole range in a fixed number of queries (appointments, unavailabilities
and events once for all the practitioners shown, the templates once per practitioner) and
groups rows by local day in Python: the cost never grows with the number of days or visits.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from portal.agenda.availability import MAX_VISIT, Slot, keep_free, occupying, template_slots_many
from portal.agenda.models import Appointment, AppointmentStatus, CalendarEvent, Unavailability, UnavailabilityKind
from portal.agenda.services import day_bounds, get_practitioner
from portal.core import audit
from portal.core.audit import Actor
from portal.core.db import utcnow
from portal.core.errors import Invalid, NotFound
from portal.extensions import db

PAST_DAYS = 30  # seed 004: "nous ne conservons qu'un historique des 30 derniers jours passés"

# Post-it colours: stored as the hex value, shown through a CSS class (the CSP forbids inline
# styles, so a free colour could not be painted).
EVENT_COLORS = {"#f2c94c": "yellow", "#f2994a": "orange", "#eb5757": "pink", "#6fcf97": "green",
                "#56ccf2": "blue", "#bb6bd9": "purple"}
DEFAULT_EVENT_COLOR = "#f2c94c"


@dataclass
class Band:
    """An unavailability as it is shown: by its start and its end only (seed 004), in local time."""

    row: Unavailability
    starts: datetime  # local
    ends: datetime    # local
    first_day: date
    last_day: date    # the last local day it touches

    @property
    def several_days(self) -> bool:
        return self.last_day > self.first_day

    @property
    def holiday(self) -> bool:
        return self.row.kind is UnavailabilityKind.holiday


@dataclass
class DayCell:
    """One practitioner's local day: visits, blue time, free slots and post-its."""

    day: date
    today: date
    appointments: list[Appointment] = field(default_factory=list)
    free: list[Slot] = field(default_factory=list)
    blocks: list[Band] = field(default_factory=list)  # unavailabilities within this one day
    off: Band | None = None  # a band of several days covering the whole of this day
    events: list[CalendarEvent] = field(default_factory=list)

    @property
    def entries(self) -> list[tuple[str, object]]:
        """Visits and blocks of the day in time order, as ("visit", appointment) or ("block", band)."""
        rows = [(a.starts_at, 0, "visit", a) for a in self.appointments]
        rows += [(b.row.starts_at, 1, "block", b) for b in self.blocks]
        return [(kind, item) for _at, _order, kind, item in sorted(rows, key=lambda r: (r[0], r[1]))]

    @property
    def tense(self) -> str:
        """"past", "today" or "later": what colours its visits (bronze today, green later)."""
        return "past" if self.day < self.today else "today" if self.day == self.today else "later"


@dataclass
class PractitionerPlanning:
    """One practitioner over a range of days: the day cells and the bands of several days."""

    practitioner: object
    days: list[DayCell]
    bands: list[Band]


def today_in(practice) -> date:
    """The practice's local date now."""
    return utcnow().astimezone(ZoneInfo(practice.timezone)).date()


def week_of(day: date) -> tuple[date, date]:
    """The Monday and the Sunday of `day`'s week."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def _band(row: Unavailability, zone: ZoneInfo) -> Band:
    starts, ends = row.starts_at.astimezone(zone), row.ends_at.astimezone(zone)
    # An end at midnight belongs to the day before: a holiday ends at the start of the next day.
    last = (ends - timedelta(microseconds=1)).date()
    return Band(row, starts, ends, starts.date(), last)


def events_between(*, practice_id: int, first: date, last: date,
                   practitioner_ids: list[int] | None = None) -> list[CalendarEvent]:
    """Calendar events touching [first, last]: those of `practitioner_ids` (every practitioner
    when None) and those meant for the whole practice. One query."""
    query = select(CalendarEvent).where(CalendarEvent.practice_id == practice_id, CalendarEvent.starts_on <= last,
                                        CalendarEvent.ends_on >= first)
    if practitioner_ids is not None:
        query = query.where(or_(CalendarEvent.practitioner_id.is_(None),
                                CalendarEvent.practitioner_id.in_(practitioner_ids)))
    return list(db.session.scalars(query.order_by(CalendarEvent.starts_on, CalendarEvent.starts.is_not(None),
                                                  CalendarEvent.starts, CalendarEvent.id)))


def planning(*, practice, practitioners: list, first: date, last: date,
             now: datetime | None = None) -> list[PractitionerPlanning]:
    """Each practitioner's days from `first` to `last` (inclusive), side by side.

    Visits (cancelled ones and lapsed holds left out, no-shows kept), free slots, blocks of one
    day, bands of several days (a holiday "du … au …"), and events. Queries: three shared
    (visits with their patients and types, unavailabilities, events) plus five for the templates
    of the whole team, whatever the number of days, visits or practitioners.
    """
    now = now or utcnow()
    zone = ZoneInfo(practice.timezone)
    today = now.astimezone(zone).date()
    ids = [p.id for p in practitioners]
    if not ids:
        return []
    since, _end = day_bounds(practice, first)
    _start, until = day_bounds(practice, last)
    # From MAX_VISIT before the range: a late visit of the day before still makes its time busy.
    visits = db.session.scalars(select(Appointment).where(
        Appointment.practice_id == practice.id, Appointment.practitioner_id.in_(ids), occupying(now),
        Appointment.starts_at > since - MAX_VISIT, Appointment.starts_at < until).order_by(Appointment.starts_at)
        .options(selectinload(Appointment.patient), selectinload(Appointment.appointment_type))).all()
    unavailable = db.session.scalars(select(Unavailability).where(
        Unavailability.practice_id == practice.id, Unavailability.practitioner_id.in_(ids),
        Unavailability.starts_at < until, Unavailability.ends_at > since).order_by(Unavailability.starts_at)).all()
    events = events_between(practice_id=practice.id, first=first, last=last, practitioner_ids=ids)

    offered = template_slots_many(practice=practice, wanted={pid: None for pid in ids}, first=first, last=last)
    result = []
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    for practitioner in practitioners:
        cells = {d: DayCell(d, today) for d in days}
        own_visits = [a for a in visits if a.practitioner_id == practitioner.id]
        own_blocks = [u for u in unavailable if u.practitioner_id == practitioner.id]
        for a in own_visits:
            if a.starts_at >= since:
                cells[a.starts_at.astimezone(zone).date()].appointments.append(a)
        bands = []
        for row in own_blocks:
            band = _band(row, zone)
            if band.several_days:
                bands.append(band)
                for d in days:
                    if band.first_day <= d <= band.last_day:
                        cells[d].off = band
            elif band.first_day in cells:
                cells[band.first_day].blocks.append(band)
        busy = [(a.starts_at, a.ends_at) for a in own_visits]  # in start order, as loaded
        for slot in keep_free(offered[practitioner.id], own_blocks, busy, now):
            cells[slot.local_start.date()].free.append(slot)
        for e in events:
            if e.practitioner_id in (None, practitioner.id):
                for d in days:
                    if e.starts_on <= d <= e.ends_on:
                        cells[d].events.append(e)
        result.append(PractitionerPlanning(practitioner, [cells[d] for d in days], bands))
    return result


def week_planning(*, practice, practitioner, day: date, now: datetime | None = None) -> PractitionerPlanning:
    """One practitioner's week (Monday to Sunday) around `day`."""
    first, last = week_of(day)
    return planning(practice=practice, practitioners=[practitioner], first=first, last=last, now=now)[0]


@dataclass
class PastVisits:
    """Seed 004's third planning: the last 30 days, newest first, what needs attention on top."""

    attention: list[Appointment]  # no-shows ("absence & non annulation"), newest first
    visits: list[Appointment]     # every other past visit, newest first


def past_visits(*, practice, practitioner_id: int, now: datetime | None = None) -> PastVisits:
    """A practitioner's visits of the last `PAST_DAYS` days that have started, newest first,
    no-shows first. Teleconsultations are recognised by their type (`appointment_type.
    teleconsultation`); whether they were paid is not known until payments exist. One query
    (plus the patients and types, each loaded once)."""
    now = now or utcnow()
    rows = db.session.scalars(select(Appointment).where(
        Appointment.practice_id == practice.id, Appointment.practitioner_id == practitioner_id,
        Appointment.status.in_([AppointmentStatus.booked, AppointmentStatus.no_show]),
        Appointment.starts_at >= now - timedelta(days=PAST_DAYS), Appointment.starts_at <= now)
        .order_by(Appointment.starts_at.desc(), Appointment.id.desc())
        .options(selectinload(Appointment.patient), selectinload(Appointment.appointment_type))).all()
    return PastVisits([a for a in rows if a.status is AppointmentStatus.no_show],
                      [a for a in rows if a.status is not AppointmentStatus.no_show])


@dataclass
class HolidayYear:
    """A practitioner's days off touching one year, and the calendar to show them on."""

    year: int
    bands: list[Band]
    months: list[tuple[int, list[list[date]]]]  # (month, weeks of 7 dates)
    off_days: set[date]


def holiday_year(*, practice, practitioner_id: int, year: int) -> HolidayYear:
    """The holiday calendar (seed 003 § 5): every holiday period touching `year`, in order, and
    which local days they cover. One query."""
    zone = ZoneInfo(practice.timezone)
    since, _end = day_bounds(practice, date(year, 1, 1))
    _start, until = day_bounds(practice, date(year, 12, 31))
    rows = db.session.scalars(select(Unavailability).where(
        Unavailability.practice_id == practice.id, Unavailability.practitioner_id == practitioner_id,
        Unavailability.kind == UnavailabilityKind.holiday, Unavailability.starts_at < until,
        Unavailability.ends_at > since).order_by(Unavailability.starts_at)).all()
    bands = [_band(r, zone) for r in rows]
    off = set()
    for b in bands:
        d = max(b.first_day, date(year, 1, 1))
        while d <= min(b.last_day, date(year, 12, 31)):
            off.add(d)
            d += timedelta(days=1)
    months = [(m, calendar.Calendar().monthdatescalendar(year, m)) for m in range(1, 13)]
    return HolidayYear(year, bands, months, off)


def get_unavailability(*, practice_id: int, unavailability_id: int) -> Unavailability:
    """A block or a day off of the practice, or `NotFound`."""
    found = db.session.scalar(select(Unavailability).where(Unavailability.id == unavailability_id,
                                                           Unavailability.practice_id == practice_id))
    if found is None:
        raise NotFound()
    return found


def get_event(*, practice_id: int, event_id: int) -> CalendarEvent:
    """A calendar event of the practice, or `NotFound`."""
    found = db.session.scalar(select(CalendarEvent).where(CalendarEvent.id == event_id,
                                                          CalendarEvent.practice_id == practice_id))
    if found is None:
        raise NotFound()
    return found


def _checked(*, practice, practitioner_id: int | None, starts_on: date, ends_on: date, starts: time | None,
             ends: time | None, title: str, color: str) -> dict:
    if practitioner_id is not None:
        get_practitioner(practice_id=practice.id, practitioner_id=practitioner_id)
    title = (title or "").strip()
    if not title:
        raise Invalid(_("Donnez un titre à l'événement."), "title")
    if ends_on < starts_on:
        raise Invalid(_("La date de fin doit être le jour du début ou après."), "ends_on")
    if (starts is None) != (ends is None):
        raise Invalid(_("Donnez l'heure de début et l'heure de fin, ou aucune pour toute la journée."), "ends")
    if starts is not None and starts_on == ends_on and ends <= starts:
        raise Invalid(_("L'heure de fin doit être après l'heure de début."), "ends")
    return {"practitioner_id": practitioner_id, "starts_on": starts_on, "ends_on": ends_on, "starts": starts,
            "ends": ends, "title": title[:200], "color": color if color in EVENT_COLORS else DEFAULT_EVENT_COLOR}


def add_event(*, practice, practitioner_id: int | None, starts_on: date, ends_on: date, title: str, actor: Actor,
              starts: time | None = None, ends: time | None = None, details: str = "",
              color: str = DEFAULT_EVENT_COLOR) -> CalendarEvent:
    """Put a post-it on the planning (seed 003 § 12) of one practitioner, or of all when
    `practitioner_id` is None. It changes no availability. Raises `Invalid` (no title, an end
    before the start, one time without the other) or `NotFound` (another practice's practitioner)."""
    values = _checked(practice=practice, practitioner_id=practitioner_id, starts_on=starts_on, ends_on=ends_on,
                      starts=starts, ends=ends, title=title, color=color)
    event = CalendarEvent(practice_id=practice.id, details=(details or "").strip(), **values)
    db.session.add(event)
    db.session.flush()
    audit.record("agenda.event_added", actor=actor, practice_id=practice.id, target=event,
                 details={"title": event.title, "from": starts_on.isoformat(), "to": ends_on.isoformat()})
    return event


def edit_event(event: CalendarEvent, *, practice, practitioner_id: int | None, starts_on: date, ends_on: date,
               title: str, actor: Actor, starts: time | None = None, ends: time | None = None, details: str = "",
               color: str = DEFAULT_EVENT_COLOR) -> CalendarEvent:
    """Change a calendar event; the same checks as `add_event`."""
    values = _checked(practice=practice, practitioner_id=practitioner_id, starts_on=starts_on, ends_on=ends_on,
                      starts=starts, ends=ends, title=title, color=color)
    for name, value in values.items():
        setattr(event, name, value)
    event.details = (details or "").strip()
    db.session.flush()
    audit.record("agenda.event_changed", actor=actor, practice_id=practice.id, target=event,
                 details={"title": event.title, "from": starts_on.isoformat(), "to": ends_on.isoformat()})
    return event


def delete_event(event: CalendarEvent, *, actor: Actor) -> None:
    """Take a post-it off the planning."""
    db.session.delete(event)
    audit.record("agenda.event_deleted", actor=actor, practice_id=event.practice_id, target=event,
                 details={"title": event.title})


def event_color_class(color: str) -> str:
    """The CSS class that paints an event's colour."""
    return f"event-{EVENT_COLORS.get(color, EVENT_COLORS[DEFAULT_EVENT_COLOR])}"

