"""Appointment reminders: the periodic sweep that applies everyone's reminder rules.

One sweep (cron.py every 5 minutes, or `flask notify send-reminders`) looks at the due
instants between the last sweep and now. A rule "N days before at HH:MM" is due at HH:MM,
wall-clock time in the practice's zone, N days before the visit's local date (so a 12:00 rule
fires at 12:00 on both sides of a daylight-saving change; a time the clocks skip fires an hour
later). A reminder is queued when its due instant falls in (last sweep, now], and the visit is
still booked, starts after now and existed before the due instant (a later booking got its
confirmation instead).

Late rather than lost: the mark (`ReminderSweep.swept_until`) moves in the sweep's own
transaction. A worker that dies mid-run, or a scheduler that was down for hours, leaves it
behind, and the next sweep goes over everything due since, sending what is late as long as
the visit has not started. `ReminderSent` keys (who, rule, channel, visit and start) make sure
no visit is reminded twice by one rule on one channel, whatever happened in between.

Who: the portal accounts whose number is the patient's or a responsible's mobile, each with
its own rules (see portal.notify.reminder_rules); a patient with no such account (or who asked
not to be shared online) gets the practice default, 1 day before at 12:00, by SMS, else
e-mail, through their contact. One message covers all of a family's visits of one day for one
recipient ("Léa à 09:00 et Hugo à 09:20").

Cost: a fixed handful of statements whatever the number of appointments (the mark, the rules'
distinct times, the practices, the visits with their patients, types and practitioners, the
accounts and their rules, the keys already sent), and whatever the number of messages: the
outbox keys already there in one look-up, the new messages, the notices and the keys that say
"sent" each in one multi-row INSERT (`queue_messages`, `queue_notices`), the delivery jobs
handed to RQ in one pipeline after the commit. The visits are read by practice and plain
`starts_at` ranges, which the index on (practice_id, starts_at) serves on both databases.
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import and_, case, func, or_, select, union
from sqlalchemy.orm import selectinload

from portal.accounts.models import PatientAccount
from portal.agenda.models import Appointment, AppointmentStatus
from portal.core.db import insert_many_or_ignore, utcnow
from portal.core.models import Practice
from portal.extensions import db
from portal.notify.models import Channel, ReminderRule, ReminderSent, ReminderSweep
from portal.notify.reminder_rules import DEFAULT_RULE
from portal.notify.services import Outgoing, queue_messages, queue_notices
from portal.patients.models import Patient, Responsible
from portal.patients.services import patient_contact

FIRST_LOOKBACK = timedelta(hours=1)  # the very first sweep has no mark: look back this far
KEY_CHUNK = 5000  # keys per IN (…) list: SQLite takes at most 32,766 parameters


def due_instant(visit_day: date, rule, zone: ZoneInfo) -> datetime:
    """When a rule fires for a visit on `visit_day` (local): `days_before` days earlier at
    `at_time`, wall clock in `zone`, as a UTC instant. A time skipped by the clocks going
    forward reads as the hour before the change (02:30 → 03:30 summer time)."""
    local = datetime.combine(visit_day - timedelta(days=rule.days_before), rule.at_time, tzinfo=zone)
    return local.astimezone(UTC)


@dataclass
class _Group:
    """One message to be: a recipient, a channel, a day, the visits it covers."""

    practice: Practice
    channel: str
    recipient: str  # phone, e-mail, or "" for a notice
    day: date
    visits: list = field(default_factory=list)  # (sent key, appointment)


def _visit_days(since: datetime, now: datetime, shapes, zone: ZoneInfo) -> set[date]:
    """The local visit days for which some rule shape is due in (since, now]."""
    days = set()
    first, last = since.astimezone(zone).date(), now.astimezone(zone).date()
    fire_day = first - timedelta(days=1)  # a due instant near midnight may sit on the day before
    while fire_day <= last:
        for n, at in shapes:
            visit_day = fire_day + timedelta(days=n)
            if since < due_instant(visit_day, _Shape(n, at), zone) <= now:
                days.add(visit_day)
        fire_day += timedelta(days=1)
    return days


@dataclass(frozen=True)
class _Shape:
    days_before: int
    at_time: object


def _day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone).astimezone(UTC)
    return start, end


def _ranges(days: set[date], zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """The UTC [start, end) ranges covering exactly these local days, consecutive days merged."""
    ranges: list[list[datetime]] = []
    for day in sorted(days):
        start, end = _day_bounds(day, zone)
        if ranges and ranges[-1][1] == start:
            ranges[-1][1] = end
        else:
            ranges.append([start, end])
    return [(start, end) for start, end in ranges]


def _visit_text(practice: Practice, visits: list[Appointment], zone: ZoneInfo) -> str:
    parts = [_("%(name)s à %(time)s", name=a.patient.first_name, time=a.starts_at.astimezone(zone).strftime("%H:%M"))
             for a in visits]
    who = parts[0] if len(parts) == 1 else _("%(list)s et %(last)s", list=", ".join(parts[:-1]), last=parts[-1])
    day = visits[0].starts_at.astimezone(zone).strftime("%d/%m/%Y")
    doctors = sorted({a.practitioner.display_name for a in visits})
    return _("Rappel : rendez-vous au cabinet %(practice)s le %(day)s : %(who)s (%(doctors)s). "
             "En cas d'empêchement, prévenez le cabinet au %(phone)s.",
             practice=practice.name, day=day, who=who, doctors=", ".join(doctors), phone=practice.phone or "—")


def send_due_reminders(now: datetime | None = None) -> int:
    """Queue every reminder due since the last sweep (see the module's docstring for the
    rules: late rather than lost, never twice, never for a cancelled or moved visit, one
    message per family, recipient and day). Returns how many messages (SMS, e-mails and
    notices) were queued. Moves the sweep's mark to `now`; the caller commits."""
    now = now or utcnow()
    mark = db.session.scalar(select(ReminderSweep).where(ReminderSweep.id == 1).with_for_update())
    since = mark.swept_until if mark is not None else now - FIRST_LOOKBACK
    if mark is None:
        mark = ReminderSweep(id=1, swept_until=now)
        db.session.add(mark)
    if since >= now:
        return 0
    queued = _sweep(since, now)
    mark.swept_until = now
    db.session.flush()
    return queued


def _sweep(since: datetime, now: datetime) -> int:
    shapes = {(DEFAULT_RULE.days_before, DEFAULT_RULE.at_time)} | set(db.session.execute(
        select(ReminderRule.days_before, ReminderRule.at_time).distinct()).all())
    practices = {p.id: p for p in db.session.scalars(select(Practice))}
    windows = []
    for tz in {p.timezone for p in practices.values()}:
        zone = ZoneInfo(tz)
        # The zone's practices by id and plain starts_at ranges (consecutive days merged), so that
        # each window is a range scan of the index on (practice_id, starts_at) on both databases.
        ids = sorted(i for i, p in practices.items() if p.timezone == tz)
        for start, end in _ranges(_visit_days(since, now, shapes, zone), zone):
            windows.append(and_(Appointment.practice_id.in_(ids), Appointment.starts_at >= start,
                                Appointment.starts_at < end))
    if not windows:
        return 0
    where = (Appointment.status == AppointmentStatus.booked, Appointment.patient_id.is_not(None),
             Appointment.starts_at > now, or_(*windows))
    visits = db.session.scalars(select(Appointment).where(*where).order_by(Appointment.starts_at, Appointment.id)
                                .options(selectinload(Appointment.patient).selectinload(Patient.responsibles),
                                         selectinload(Appointment.practitioner))).all()
    if not visits:
        return 0
    # The accounts behind these visits' numbers, found by the database from the same filter.
    base = select(Appointment.patient_id).where(*where)
    numbers = union(select(Patient.mobile).where(Patient.id.in_(base)),
                    select(Responsible.mobile).where(Responsible.patient_id.in_(base))).subquery()
    # practice_id first, so that the unique index on (practice_id, phone) serves the look-up.
    accounts = db.session.scalars(select(PatientAccount).where(
        PatientAccount.practice_id.in_(sorted(practices)), PatientAccount.active.is_(True),
        PatientAccount.phone.in_(select(numbers.c[0])))).all()
    by_number = defaultdict(list)
    for account in accounts:
        by_number[(account.practice_id, account.phone)].append(account)
    rules = defaultdict(list)
    customised = [a.id for a in accounts if a.reminders_customised]
    for i in range(0, len(customised), KEY_CHUNK):
        for rule in db.session.scalars(select(ReminderRule).where(
                ReminderRule.account_id.in_(customised[i:i + KEY_CHUNK]))):
            rules[rule.account_id].append(rule)

    groups: dict[tuple, _Group] = {}

    def add(group_key, practice, channel, recipient, day, sent_key, visit):
        group = groups.setdefault(group_key, _Group(practice, channel, recipient, day))
        group.visits.append((sent_key, visit))

    for visit in visits:
        practice = practices[visit.practice_id]
        if not practice.module_on("appointments"):
            continue
        zone = ZoneInfo(practice.timezone)
        day = visit.starts_at.astimezone(zone).date()
        start = f"{visit.id}@{visit.starts_at.astimezone(UTC):%Y%m%dT%H%M}"
        patient = visit.patient
        people = [patient, *patient.responsibles_in_order]
        holders = [] if patient.do_not_share_online else list(dict.fromkeys(
            a for p in people if p.mobile for a in by_number.get((practice.id, p.mobile), [])))
        for account in holders:
            emails = [p.email for p in people if p.mobile == account.phone and p.email]
            for rule in (rules[account.id] if account.reminders_customised else [DEFAULT_RULE]):
                due = due_instant(day, rule, zone)
                if not (since < due <= now and visit.created_at < due):
                    continue
                tag = f"a{account.id}:{rule.id or 'd'}"
                for channel, on, recipient in (("sms", rule.sms, account.phone),
                                               ("email", rule.email, emails[0] if emails else ""),
                                               ("notice", rule.notice, "")):
                    if on and (recipient or channel == "notice"):
                        add((tag, channel, day), practice, channel, recipient, day,
                            f"rem:{tag}:{channel}:{start}", visit)
        if not holders:
            due = due_instant(day, DEFAULT_RULE, zone)
            if not (since < due <= now and visit.created_at < due):
                continue
            mobile, email = patient_contact(patient)
            channel, recipient = ("sms", mobile) if mobile else ("email", email)
            if recipient:
                add(("n", practice.id, channel, recipient, day), practice, channel, recipient, day,
                    f"rem:n:{channel}:{start}", visit)

    keys = [k for g in groups.values() for k, _v in g.visits]
    done = set()
    for i in range(0, len(keys), KEY_CHUNK):
        done.update(db.session.scalars(select(ReminderSent.key).where(ReminderSent.key.in_(keys[i:i + KEY_CHUNK]))))
    sent_rows, messages, notices = [], [], []
    for group in groups.values():
        todo = [(k, v) for k, v in group.visits if k not in done]
        if not todo:
            continue
        digest = hashlib.sha256("|".join(sorted(k for k, _v in todo)).encode()).hexdigest()[:20]
        message_key = f"reminder:{group.channel}:{group.day:%Y%m%d}:{digest}"
        zone = ZoneInfo(group.practice.timezone)
        text = _visit_text(group.practice, [v for _k, v in todo], zone)
        if group.channel == "notice":
            notices.append({"practice_id": group.practice.id, "patient_id": todo[0][1].patient_id, "text": text,
                            "key": message_key, "category": "reminder"})
        else:
            messages.append(Outgoing(group.practice.id, Channel(group.channel), message_key, "reminder",
                                     group.recipient, text,
                                     subject=_("Rappel de rendez-vous") if group.channel == "email" else ""))
        sent_rows += [{"practice_id": group.practice.id, "key": k, "appointment_id": v.id, "starts_at": v.starts_at,
                       "message_key": message_key, "created_at": now} for k, v in todo]
        done.update(k for k, _v in todo)
    # All in bulk, in the sweep's one transaction: the outbox rows (and their delivery jobs,
    # handed over only after the commit), the notices, then the keys that say "sent".
    queue_messages(messages)
    queue_notices(notices)
    insert_many_or_ignore(ReminderSent, sent_rows, [ReminderSent.key])
    return len(messages) + len(notices)


def still_wanted(message_key: str) -> bool:
    """At delivery: is one of the visits a sweep's reminder covers still booked at the time it
    was reminded of? False only when every one was cancelled or moved since the sweep; True
    for any message the sweep did not write."""
    wanted = case((and_(Appointment.status == AppointmentStatus.booked,
                        Appointment.starts_at == ReminderSent.starts_at), 1), else_=0)
    total, still = db.session.execute(
        select(func.count(ReminderSent.id), func.coalesce(func.sum(wanted), 0))
        .join(Appointment, Appointment.id == ReminderSent.appointment_id)
        .where(ReminderSent.message_key == message_key)).one()
    return total == 0 or still > 0
