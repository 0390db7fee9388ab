#!/usr/bin/env python
"""Benchmark: the agenda (week and day planning, free slots, booking, the nightly window job)
against a bare Flask route.

    python bench/agenda.py [--db sqlite|postgresql|both] [--requests N] [--explain] [--profile]

For each backend: a fresh database built by the real Alembic migrations, one practice with 10
practitioners, each with 2 or 3 appointment types (online, 180 days ahead) and a weekly template
(Monday to Friday, mornings and afternoons) activated about a year ago and open-ended (an earlier
template covers the years before), online booking on with a 180-day rolling window, 200,000 past
appointments and 20,000 future ones over the next 180 days (bulk rows identical to what
`book_appointment` writes, on template slots, never overlapping: the database checks it),
holidays and blocked slots, 3,000 patients, and a staff member signed in through the real forms
(password + TOTP, with CSRF).

Then, in-process with the Flask test client (no network), after a warm-up, every case runs
round-robin in a shuffled order each round so that all cases share the machine's noise:

  bare route          GET /bench/bare, registered here, returns "ok": the baseline of every ratio
  week planning       GET /console/agenda/semaine?praticien=ID&jour=D (one practitioner) and
                      GET /console/agenda/tous/semaine?jour=D (all of them), signed in as staff;
                      with the planning service each calls
  day planning        GET /console/agenda/?praticien=ID&jour=D
  free_slots()        one practitioner, 1 day, 30 days and 180 days in one call
  public booking page GET /cabinet/<slug>/rendez-vous?praticien&type&du (a week of one type)
  next 20 free        next_free_slots(): the 20 earliest free slots of the CONT types across all
                      the practitioners over the whole 180-day window
  booking             POST /console/agenda/rendez-vous on a free future slot (a new one each time,
                      CSRF token included), the page up to its 303; and book_appointment() + commit
  nightly job         extend_windows() + commit for every practitioner (each call is the next night)
  reference           GET /console/patients/?q=<a number nobody has>: any signed-in console page

Printed per backend: n, median and p95 in ms, the ratio to the bare route's median measured in
the same run, and the SQL statements each call sends (counted with a before_cursor_execute
listener). Then a verdict per page against the 5x aim and the statement counts of free_slots(),
next_free_slots() and planning() for spans of 1 to 180 days. Also written to bench/results/.
"""
from __future__ import annotations

import argparse
import gc
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as wall
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import identify_and_search as base  # patient families, the bench app, the staff sign-in

PG_URL_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/sourire_bench_agenda"
TARGET_RATIO = 5.0
PROFILE_CALLS = 5          # calls per profiled case (2 for the slow ones)
PROFILED = "all,next20,book"
GROUPS = ("week", "all", "day", "f30", "f180", "online", "next20", "book", "nightly")
WINDOW_DAYS = 180          # the booking window: today and the next 179 days
PAST_OCCUPANCY = 0.85      # share of past template slots that hold an appointment
SERVICE_BOOKED = 20        # future appointments written by book_appointment itself, for the parity check

PRACTITIONERS = [("Claire", "Martin"), ("Julien", "Lefèvre"), ("Sophie", "Nguyen"), ("Marc", "Dubois"),
                 ("Hélène", "Garnier"), ("Thomas", "Roux"), ("Amélie", "Fontaine"), ("Karim", "Haddad"),
                 ("Isabelle", "Le Goff"), ("Nicolas", "Perrin")]
TYPES = {"CONT": ("Contrôle", 15), "RV1A": ("Premier rendez-vous", 30), "POSE": ("Pose d'appareil", 45)}
THREE_TYPES = {0, 3, 6, 8}  # these practitioners also have POSE


def _at(h: int, m: int = 0, plus: int = 0) -> wall:
    minutes = h * 60 + m + plus
    return wall(minutes // 60, minutes % 60)


def current_template(i: int) -> list[tuple[int, wall, wall, str]]:
    """Monday to Friday: controls then first visits in the morning, controls (and fittings on
    Tuesday and Thursday for some) in the afternoon. Mornings start at 08:30 or 09:00."""
    h, m = (8, 30) if i % 2 == 0 else (9, 0)
    out = []
    for wd in range(5):
        out += [(wd, _at(h, m), _at(h, m, 120), "CONT"), (wd, _at(h, m, 120), _at(h, m, 210), "RV1A")]
        if i in THREE_TYPES and wd in (1, 3):
            out += [(wd, _at(14), _at(15, 30), "POSE"), (wd, _at(15, 30), _at(18), "CONT")]
        else:
            out.append((wd, _at(14), _at(18), "CONT"))
    return out


def former_template(i: int) -> list[tuple[int, wall, wall, str]]:
    """The template the practice used before the current one (the years of history)."""
    out = []
    for wd in range(5):
        out += [(wd, _at(8, 30), _at(12, 30), "CONT"), (wd, _at(14), _at(16), "RV1A"), (wd, _at(16), _at(18), "CONT")]
    return out


def slots_per_week(ranges) -> int:
    return sum(((e.hour * 60 + e.minute) - (s.hour * 60 + s.minute)) // TYPES[code][1] for _, s, e, code in ranges)


def appointment_row(practice_id: int, practitioner_id: int, slot, patient_id: int, status, created_at: datetime) -> dict:
    """The row book_appointment writes for `slot` (then cancel_appointment by staff / mark_no_show
    change its status, and for a cancellation who cancelled it)."""
    from portal.agenda.models import AppointmentStatus

    return {"practice_id": practice_id, "practitioner_id": practitioner_id,
            "appointment_type_id": slot.appointment_type_id, "patient_id": patient_id,
            "starts_at": slot.starts_at, "ends_at": slot.ends_at, "status": status, "extra": False,
            "note": "", "patient_message": "", "reason": "", "teleconsult_mobile": "", "room_token": None,
            "cancel_reason": "", "cancelled_by": "staff" if status is AppointmentStatus.cancelled else "",
            "hold_expires_at": None, "booked_by": "staff", "created_at": created_at}


@dataclass
class DataSet:
    practice_id: int
    timezone: str
    staff_email: str
    totp_secret: str
    practitioner_ids: list[int] = field(default_factory=list)
    type_ids: dict[int, list[int]] = field(default_factory=dict)  # practitioner id -> their type ids
    patients: list[tuple[str, int]] = field(default_factory=list)  # (number, id)
    slug: str = "tilleuls"
    today: date | None = None
    counts: dict = field(default_factory=dict)
    day_pages: list[tuple[int, date]] = field(default_factory=list)
    week_pages: list[tuple[int, date]] = field(default_factory=list)
    week_days: list[date] = field(default_factory=list)
    online_pages: list[dict] = field(default_factory=list)  # the public booking page's query strings
    one_day: list[tuple[int, date]] = field(default_factory=list)
    thirty_days: list[tuple[int, date]] = field(default_factory=list)
    booking_page: list[dict] = field(default_factory=list)
    booking_service: list[dict] = field(default_factory=list)
    missing_numbers: list[str] = field(default_factory=list)


def build_data(app, args) -> DataSet:
    import pyotp
    from sqlalchemy import func, insert, select

    from portal.accounts.models import Role
    from portal.accounts.staff_admin import create_staff
    from portal.agenda import services
    from portal.agenda.availability import is_blocked, template_slots
    from portal.agenda.models import Appointment, AppointmentStatus, Unavailability
    from portal.booking.services import extend_windows, settings_for
    from portal.booking.setup import update_settings
    from portal.core.audit import Actor
    from portal.core.db import commit, utcnow
    from portal.core.services import add_practitioner, create_practice
    from portal.extensions import db
    from portal.patients.models import Patient

    rng = random.Random(args.seed)
    operator = Actor.operator()
    specs = base.Generator(rng, base.PhoneBook(rng), 10000).patients(args.patients)

    with app.app_context():
        practice = create_practice(name="Cabinet d'orthodontie des Tilleuls", slug="tilleuls", actor=operator,
                                   city="Lyon", postal_code="69003")
        # Online booking on (as the demo does it), over a 180-day rolling window.
        practice.options = {**(practice.options or {}), "booking": True}
        update_settings(settings_for(practice.id), rolling_window_days=WINDOW_DAYS, actor=operator)
        commit()
        staff = create_staff(practice=practice, email="secretariat@tilleuls.example", role=Role.secretary,
                             first_name="Élodie", last_name="Bénard", password=base.STAFF_PASSWORD, actor=operator)
        secret = pyotp.random_base32()
        staff.totp_key, staff.totp_confirmed_at = secret, utcnow()  # totp_key seals the secret
        commit()
        zone = ZoneInfo(practice.timezone)
        now = utcnow()
        today = now.astimezone(zone).date()
        window_last = today + timedelta(days=WINDOW_DAYS - 1)
        ds = DataSet(practice_id=practice.id, timezone=practice.timezone, staff_email=staff.email,
                     totp_secret=secret, today=today)

        base.load_practice(practice.id, specs)  # 40 through create_patient, the rest in bulk, checked
        ds.patients = [tuple(r) for r in db.session.execute(
            select(Patient.number, Patient.id).where(Patient.practice_id == practice.id).order_by(Patient.id))]

        # Practitioners, their types, the current template (from about a year ago, open-ended)
        # and the former one (the years before), all through the services.
        current_from = today - timedelta(days=364 + today.weekday())  # a Monday about a year ago
        rate = sum(min(slots_per_week(current_template(i)), slots_per_week(former_template(i)))
                   for i in range(len(PRACTITIONERS))) / 5  # slots per weekday, all practitioners
        weekdays = args.past / (PAST_OCCUPANCY * rate * 0.88)  # ~12 % of weekdays are holidays or blocked
        history_from = today - timedelta(days=math.ceil(weekdays * 7 / 5))
        history_from = min(history_from - timedelta(days=history_from.weekday()), current_from - timedelta(days=28))
        practitioners = []
        for i, (first, last) in enumerate(PRACTITIONERS):
            p = add_practitioner(practice, first_name=first, last_name=last, actor=operator, specialty="Orthodontie")
            kinds = {}
            for code in ["CONT", "RV1A"] + (["POSE"] if i in THREE_TYPES else []):
                name, minutes = TYPES[code]
                kinds[code] = services.add_appointment_type(
                    practitioner=p, name=name, code=code, duration_minutes=minutes, actor=operator,
                    online=True, new_patients=code == "RV1A", max_days_ahead=WINDOW_DAYS)
            for label, ranges, starts_on, ends_on in (
                    ("Semaine type (ancienne)", former_template(i), history_from, current_from - timedelta(days=1)),
                    ("Semaine type", current_template(i), current_from, None)):
                schedule = services.create_schedule(practitioner=p, name=label, actor=operator)
                for wd, s, e, code in ranges:
                    services.add_range(schedule, weekday=wd, starts=s, ends=e, appointment_type=kinds[code],
                                       actor=operator)
                services.activate_schedule(schedule, starts_on=starts_on, ends_on=ends_on, actor=operator)
            practitioners.append((p, kinds))
            ds.practitioner_ids.append(p.id)
            ds.type_ids[p.id] = [k.id for k in kinds.values()]
        commit()

        # Holidays (three periods a year) and blocks (about one a month: a meeting morning for
        # every type, or no first visits that morning), through the services.
        for p, kinds in practitioners:
            periods = []
            for year in range(history_from.year - 1, window_last.year + 1):
                feb = date(year, 2, 1) + timedelta(days=rng.randint(0, 20))
                feb -= timedelta(days=feb.weekday())
                summer = date(year, 7, 14) + timedelta(days=rng.randint(0, 27))
                summer -= timedelta(days=summer.weekday())
                periods += [(feb, feb + timedelta(days=4), "Vacances d'hiver"),
                            (summer, summer + timedelta(days=7 * rng.choice([2, 3]) - 3), "Vacances d'été"),
                            (date(year, 12, 24), date(year + 1, 1, 1), "Fêtes de fin d'année")]
            for first, last, label in periods:
                if last >= history_from and first <= window_last:
                    services.take_days_off(practice=practice, practitioner_id=p.id, first=first, last=last,
                                           label=label, actor=operator)
            month = date(history_from.year, history_from.month, 1)
            while month <= window_last:
                day = month + timedelta(days=rng.randint(0, 27))
                if day.weekday() < 5 and history_from <= day <= window_last:
                    if rng.random() < 0.6:
                        services.block_time(practice=practice, practitioner_id=p.id,
                                            starts_at=services.local_to_utc(practice, day, _at(10)),
                                            ends_at=services.local_to_utc(practice, day, _at(12)),
                                            label=rng.choice(["Réunion d'équipe", "Formation"]), actor=operator)
                    else:
                        services.block_time(practice=practice, practitioner_id=p.id,
                                            starts_at=services.local_to_utc(practice, day, _at(8)),
                                            ends_at=services.local_to_utc(practice, day, _at(13)),
                                            appointment_type_id=kinds["RV1A"].id,
                                            label="Pas de premières consultations", actor=operator)
                month = (month + timedelta(days=32)).replace(day=1)
        commit()

        # Every template slot from the start of the history to the end of the window, by the real
        # template_slots(), minus blocked ones: past ones (started before now) and future ones.
        blocks_by_day: dict[tuple[int, date], list] = defaultdict(list)
        for b in db.session.scalars(select(Unavailability).where(Unavailability.practice_id == practice.id)):
            d, end = b.starts_at.astimezone(zone).date(), (b.ends_at - timedelta(microseconds=1)).astimezone(zone).date()
            while d <= end:
                blocks_by_day[(b.practitioner_id, d)].append(b)
                d += timedelta(days=1)
        past, future = [], []
        for p, _kinds in practitioners:
            for s in template_slots(practice=practice, practitioner_id=p.id, first=history_from, last=window_last):
                if is_blocked(s, blocks_by_day.get((p.id, s.local_start.date()), [])):
                    continue
                if s.starts_at < now:
                    past.append((p.id, s))
                elif s.starts_at > now + timedelta(hours=1) and s.local_start.date() >= today:
                    future.append((p.id, s))
        if len(past) < args.past or len(future) < args.future:
            raise SystemExit(f"not enough template slots: {len(past)} past, {len(future)} future")
        chosen_past = rng.sample(past, args.past)
        # Near dates fill up first: weighted sampling without replacement (Efraimidis-Spirakis keys).
        keyed = sorted(future, key=lambda ps: rng.random() ** (1 + (ps[1].starts_at - now).days / 45), reverse=True)
        chosen_future = keyed[:args.future]
        chosen_future.sort(key=lambda ps: ps[1].starts_at)

        # A few future visits through book_appointment itself; then compare its rows with the
        # builder's rows for the same input, and stop if they differ.
        patient_ids = [pid for _n, pid in ds.patients]
        by_service = chosen_future[:SERVICE_BOOKED * 50:50]
        service_ids = set()
        for prac_id, s in by_service:
            patient_id = rng.choice(patient_ids)
            a = services.book_appointment(practice=practice, practitioner_id=prac_id,
                                          appointment_type_id=s.appointment_type_id, patient_id=patient_id,
                                          starts_at=s.starts_at, actor=operator)
            service_ids.add(id(s))
            commit()
            cols = [c for c in Appointment.__table__.c if c.name not in ("id", "created_at")]
            stored = db.session.execute(select(*cols).where(Appointment.id == a.id)).one()._asdict()
            built = appointment_row(practice.id, prac_id, s, patient_id, AppointmentStatus.booked, now)
            del built["created_at"]
            if stored != built:
                raise SystemExit(f"bulk row differs from book_appointment's:\n{stored}\n{built}")

        rows = []
        for prac_id, s in chosen_past:
            r = rng.random()
            status = (AppointmentStatus.booked if r < 0.88 else
                      AppointmentStatus.no_show if r < 0.92 else AppointmentStatus.cancelled)
            rows.append(appointment_row(practice.id, prac_id, s, rng.choice(patient_ids), status,
                                        s.starts_at - timedelta(days=rng.randint(1, 90), minutes=rng.randint(0, 600))))
        for prac_id, s in chosen_future:
            if id(s) not in service_ids:
                rows.append(appointment_row(practice.id, prac_id, s, rng.choice(patient_ids), AppointmentStatus.booked,
                                            now - timedelta(days=rng.randint(0, 90), minutes=rng.randint(0, 600))))
        # In time order, 5,000 rows a statement. The database checks every row for overlaps (the
        # exclusion constraint on PostgreSQL, the trigger on SQLite, whose look-up is bounded to
        # the 480 minutes before the new visit, so the order does not matter).
        rows.sort(key=lambda r: r["starts_at"])
        conn = db.session.connection()
        for i in range(0, len(rows), 5000):
            conn.execute(insert(Appointment.__table__), rows[i:i + 5000])
        commit()
        extend_windows()  # what the nightly job did last night: online booking open to today + 180
        commit()

        ds.counts = {
            "past": db.session.scalar(select(func.count(Appointment.id)).where(Appointment.starts_at < now)),
            "future": db.session.scalar(select(func.count(Appointment.id)).where(Appointment.starts_at >= now)),
            "unavailabilities": db.session.scalar(select(func.count(Unavailability.id))),
            "patients": len(ds.patients),
            "history_from": history_from, "current_from": current_from,
            "past_slots": len(past), "future_slots": len(future),
        }
        db.session.remove()

    if db_dialect(app) == "postgresql":
        from portal.extensions import db as _db

        with app.app_context(), _db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM ANALYZE")

    # What the cases look at.
    weekdays_near = [today + timedelta(days=d) for d in range(-14, 61) if (today + timedelta(days=d)).weekday() < 5]
    ds.day_pages = [(rng.choice(ds.practitioner_ids), rng.choice(weekdays_near)) for _ in range(2000)]
    weekdays_ahead = [d for d in weekdays_near if d >= today]
    ds.one_day = [(rng.choice(ds.practitioner_ids), rng.choice(weekdays_ahead)) for _ in range(2000)]
    ds.thirty_days = [(rng.choice(ds.practitioner_ids), today + timedelta(days=rng.randint(0, 30))) for _ in range(2000)]
    ds.week_pages = [(rng.choice(ds.practitioner_ids), today + timedelta(days=rng.randint(-14, 60)))
                     for _ in range(2000)]
    ds.week_days = [today + timedelta(days=rng.randint(-14, 60)) for _ in range(2000)]
    ds.online_pages = []
    for _ in range(2000):
        prac_id = rng.choice(ds.practitioner_ids)
        ds.online_pages.append({"praticien": prac_id, "type": rng.choice(ds.type_ids[prac_id]),
                                "du": (today + timedelta(days=rng.randint(0, WINDOW_DAYS - 10))).isoformat()})
    ds.missing_numbers = [str(rng.randint(900000, 999999)) for _ in range(200)]
    with app.app_context():
        from portal.agenda.availability import free_slots
        from portal.extensions import db as _db

        pool = []
        for prac_id in ds.practitioner_ids:
            pool += [(prac_id, s) for s in free_slots(practice=SimpleNamespace(id=ds.practice_id, timezone=ds.timezone),
                                                       practitioner_id=prac_id, first=today, last=window_last)
                     if s.starts_at > now + timedelta(hours=2)]
        _db.session.remove()
    ds.counts["free_future_slots"] = len(pool)
    # One distinct free slot per booking (page and service alike): every booking really books.
    needed = 2 * (args.requests + warmup_rounds(args.requests) + PROFILE_CALLS)
    if len(pool) < needed:
        raise SystemExit(f"only {len(pool)} free slots for {needed} bookings: use fewer --requests or --future")
    for k, (prac_id, s) in enumerate(rng.sample(pool, needed)):
        number, patient_id = rng.choice(ds.patients)
        booking = {"practitioner_id": prac_id, "number": number, "patient_id": patient_id, "slot": s,
                   "jour": s.local_start.date().isoformat()}
        (ds.booking_page if k % 2 == 0 else ds.booking_service).append(booking)
    return ds


def db_dialect(app) -> str:
    from portal.extensions import db

    with app.app_context():
        return db.engine.dialect.name



class QueryCounter:
    """Counts the statements sent through SQLAlchemy (the pool's pre-ping is not one of them)."""

    def __init__(self):
        self.n = 0

    def __call__(self, *args, **kwargs):
        self.n += 1


@dataclass
class Case:
    label: str
    kind: str  # baseline, page, reference, service, diagnostic
    run: Callable[[Any], tuple[int, int, str | None]]  # arg -> (elapsed ns, statements, error or None)
    args: list
    group: str = ""
    every: int = 1  # measured in one round out of `every` (the slow cases)
    times: list[int] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    used: int = 0

    def next_arg(self):
        arg = self.args[self.used % len(self.args)]
        self.used += 1
        return arg


def page_case(counter, label, kind, call, args, check, group="", every=1) -> Case:
    def run(arg):
        counter.n = 0
        t0 = time.perf_counter_ns()
        resp = call(arg)
        resp.get_data()
        elapsed = time.perf_counter_ns() - t0
        statements = counter.n
        err = check(resp, arg)
        resp.close()
        return elapsed, statements, err
    return Case(label, kind, run, args, group, every)


def service_case(app, counter, label, fn, args, check, group="", every=1, kind="service") -> Case:
    from portal.extensions import db

    def run(arg):
        ctx = app.app_context()
        ctx.push()
        try:
            counter.n = 0
            t0 = time.perf_counter_ns()
            result = fn(arg)
            elapsed = time.perf_counter_ns() - t0
            statements = counter.n
            err = check(result, arg)
        finally:
            db.session.remove()
            ctx.pop()
        return elapsed, statements, err
    return Case(label, kind, run, args, group, every)


def make_cases(app, ds: DataSet, counter: QueryCounter, slow_every: int) -> list[Case]:
    from portal.agenda import planning, services
    from portal.agenda.availability import free_slots, next_free_slots
    from portal.booking.services import extend_windows, get_online_type, online_slots
    from portal.core.audit import Actor
    from portal.core.db import commit

    practice = SimpleNamespace(id=ds.practice_id, timezone=ds.timezone)  # what the services read of it
    anon, public, staff = app.test_client(), app.test_client(), base.staff_client(app, ds)
    token = base.csrf_token(staff, "/console/agenda/")  # read once: the figure is the POST alone
    operator = Actor.operator()
    today = ds.today
    window_last = today + timedelta(days=WINDOW_DAYS - 1)
    team_size = len(ds.practitioner_ids)

    def status(code, location_part=None, marker=None):
        def check(resp, arg):
            if resp.status_code != code:
                return f"{resp.status_code} for {arg!r}: {resp.get_data(as_text=True)[:200]!r}"
            if location_part and location_part not in resp.headers.get("Location", ""):
                return f"redirect to {resp.headers.get('Location')} for {arg!r}"
            if marker and marker not in resp.get_data():
                return f"no {marker!r} in the page for {arg!r}"
            return None
        return check

    def some(result, arg):
        return None if result else f"nothing for {arg!r}"

    def anything(result, arg):
        return None

    def twenty(result, arg):
        return None if len(result) == 20 else f"{len(result)} slots instead of 20"

    def whole_team(result, arg):
        return None if result == team_size else f"{result} practitioners moved instead of {team_size}"

    def day_page(arg):
        prac_id, day = arg
        return staff.get("/console/agenda/", query_string={"praticien": prac_id, "jour": day.isoformat()})

    def week_page(arg):
        prac_id, day = arg
        return staff.get("/console/agenda/semaine", query_string={"praticien": prac_id, "jour": day.isoformat()})

    def all_week_page(day):
        return staff.get("/console/agenda/tous/semaine", query_string={"jour": day.isoformat()})

    def week_service(arg):  # what the week page calls
        prac_id, day = arg
        practitioner = services.get_practitioner(practice_id=practice.id, practitioner_id=prac_id)
        return planning.week_planning(practice=practice, practitioner=practitioner, day=day)

    def all_week_service(day):  # what the all-practitioners page calls (the team, then planning())
        first, last = planning.week_of(day)
        return planning.planning(practice=practice, practitioners=services.practitioners(practice.id),
                                 first=first, last=last)

    def online_service(q):  # what the public booking page calls for its week of slots
        from portal.core.models import Practice
        from portal.extensions import db

        full = db.session.get(Practice, practice.id)
        practitioner, kind = get_online_type(practice=full, practitioner_id=q["praticien"], type_id=q["type"],
                                             newcomer=False)
        return online_slots(practice=full, practitioner=practitioner, kind=kind, first=date.fromisoformat(q["du"]))

    def book_page(b):
        return staff.post("/console/agenda/rendez-vous", query_string={"jour": b["jour"]}, data={
            "csrf_token": token, "practitioner_id": b["practitioner_id"], "patient_number": b["number"],
            "slot": f"{b['slot'].starts_at.isoformat()}|{b['slot'].appointment_type_id}", "note": ""})

    def book_service(b):
        a = services.book_appointment(practice=practice, practitioner_id=b["practitioner_id"],
                                      appointment_type_id=b["slot"].appointment_type_id, patient_id=b["patient_id"],
                                      starts_at=b["slot"].starts_at, actor=operator)
        commit()
        return a.id

    def release(b):  # the UPDATE book_appointment runs first; nothing is held, and it is rolled back
        services.release_expired_holds(practitioner_id=b["practitioner_id"], starts_at=b["slot"].starts_at,
                                       ends_at=b["slot"].ends_at)

    def free(days):
        def call(arg):
            prac_id, first = arg
            return free_slots(practice=practice, practitioner_id=prac_id, first=first,
                              last=first + timedelta(days=days - 1))
        return call

    def next20(first):
        return next_free_slots(practice=practice, code="CONT", count=20, first=first, last=window_last)

    def nightly(day):
        # Each call is "the next night": every practitioner's window moves by one day, so each
        # call writes (a second run on the same night would change nothing and write nothing).
        moved = extend_windows(today=day)
        commit()
        return moved

    nights = [today + timedelta(days=n) for n in range(1, 10000)]
    whole = [(p, today) for p in ds.practitioner_ids]
    return [
        page_case(counter, "bare route  GET /bench/bare", "baseline", lambda _: anon.get("/bench/bare"), [None],
                  status(200)),
        page_case(counter, "week planning, one practitioner  GET /console/agenda/semaine", "page", week_page,
                  ds.week_pages, status(200, marker=b'id="agenda-week"'), "week"),
        service_case(app, counter, "  service week_planning()", week_service, ds.week_pages, anything, "week"),
        page_case(counter, f"week planning, all {team_size}  GET /console/agenda/tous/semaine", "page",
                  all_week_page, ds.week_days, status(200, marker=b'id="agenda-all"'), "all",
                  every=max(1, slow_every // 3)),
        service_case(app, counter, f"  service planning(), {team_size} practitioners × 7 days", all_week_service,
                     ds.week_days, anything, "all", every=max(1, slow_every // 3)),
        page_case(counter, "day planning  GET /console/agenda/?praticien&jour", "page", day_page, ds.day_pages,
                  status(200, marker=b'id="agenda-day"'), "day"),
        service_case(app, counter, "free_slots(), 1 day, one practitioner", free(1), ds.one_day, anything, "day"),
        service_case(app, counter, "free_slots(), 30 days, one practitioner", free(30), ds.thirty_days, some, "f30"),
        service_case(app, counter, f"free_slots(), {WINDOW_DAYS} days, one practitioner", free(WINDOW_DAYS), whole,
                     some, "f180", every=max(1, slow_every // 5)),
        page_case(counter, "public booking page (a week)  GET /cabinet/…/rendez-vous", "page",
                  lambda q: public.get(f"/cabinet/{ds.slug}/rendez-vous", query_string=q), ds.online_pages,
                  status(200, marker=b'id="booking-slots"'), "online"),
        service_case(app, counter, "  service online_slots(), 7 days", online_service, ds.online_pages, anything,
                     "online"),
        service_case(app, counter, f"next 20 free CONT, all {team_size}, {WINDOW_DAYS} d: next_free_slots()", next20,
                     [today], twenty, "next20", every=max(1, slow_every // 2)),
        page_case(counter, "booking  POST /console/agenda/rendez-vous → 303", "page", book_page, ds.booking_page,
                  status(303, "/console/agenda/"), "book"),
        service_case(app, counter, "  service book_appointment() + commit", book_service, ds.booking_service,
                     some, "book"),
        service_case(app, counter, "    in it: release_expired_holds() UPDATE", release, ds.booking_page, anything,
                     "book"),
        service_case(app, counter, f"nightly extend_windows() + commit, {team_size} moved", nightly, nights,
                     whole_team, "nightly"),
        page_case(counter, "ref: console page, empty result", "reference",
                  lambda q: staff.get("/console/patients/", query_string={"q": q}), ds.missing_numbers, status(200)),
    ]


def warmup_rounds(rounds: int) -> int:
    return max(10, rounds // 10)


def measure(cases: list[Case], rounds: int, warmup: int, seed: int) -> None:
    rng = random.Random(seed)
    order = list(cases)
    for i in range(warmup):
        for case in order:
            if i % case.every == 0:
                _, _, err = case.run(case.next_arg())
                if err:
                    raise SystemExit(f"warm-up failed on {case.label.strip()}: {err}")
    gc.collect()
    for i in range(rounds):
        rng.shuffle(order)  # round-robin, in a new order each round: every case shares the noise
        for case in order:
            if i % case.every:
                continue
            elapsed, statements, err = case.run(case.next_arg())
            case.times.append(elapsed)
            case.queries.append(statements)
            if err:
                case.errors.append(err)


def query_profile(app, ds: DataSet, counter: QueryCounter) -> dict:
    """Statements per call, measured once each from a working day with free slots: free_slots()
    and next_free_slots() over 1, 30 and 180 days, planning() over 1, 7 and 30 days for one
    practitioner and for all of them."""
    from portal.agenda import planning, services
    from portal.agenda.availability import free_slots, next_free_slots
    from portal.extensions import db

    practice = SimpleNamespace(id=ds.practice_id, timezone=ds.timezone)
    prac_id, first = ds.practitioner_ids[0], ds.today + timedelta(days=7)
    out = {"practitioners": len(ds.practitioner_ids)}

    def count(call, first_day=None, **kw) -> int:
        counter.n = 0
        call(practice=practice, first=first_day or first, **kw)
        n = counter.n
        db.session.remove()
        return n

    with app.app_context():
        while not free_slots(practice=practice, practitioner_id=prac_id, first=first, last=first):
            first += timedelta(days=1)  # a working day with free slots: no early return
        db.session.remove()
        out["day"] = first
        team = services.practitioners(practice.id)
        for days in (1, 7, 30, WINDOW_DAYS):
            last = first + timedelta(days=days - 1)
            out[("free", days)] = count(free_slots, practitioner_id=prac_id, last=last)
            out[("next20", days)] = count(next_free_slots, code="CONT", last=last)
            if days == WINDOW_DAYS:  # the measured case: from today, where the first weeks are the fullest
                out["next20_today"] = count(next_free_slots, code="CONT", last=last, first_day=ds.today)
            if days <= 30:  # planning() of 180 days for the whole team is no page of the app
                out[("plan1", days)] = count(planning.planning, practitioners=team[:1], last=last)
                out[("plan_all", days)] = count(planning.planning, practitioners=team, last=last)
    return out


def p95(values: list[float]) -> float:
    s = sorted(values)
    return s[max(0, math.ceil(0.95 * len(s)) - 1)]


def _sql(c: Case) -> str:
    lo, hi = min(c.queries), max(c.queries)
    return f"{lo}" if lo == hi else f"{lo}–{hi}"


def report(backend: str, version: str, ds: DataSet, cases: list[Case], rounds: int, warmup: int,
           load_seconds: float, prof: dict) -> str:
    ms = [[t / 1e6 for t in c.times] for c in cases]
    med = [statistics.median(v) for v in ms]
    bare = med[0]
    width = max(len(c.label) for c in cases) + 2
    k = ds.counts
    lines = [
        (f"== {backend} {version}: 1 practice, {len(ds.practitioner_ids)} practitioners, "
         f"{k['past']:,} past and {k['future']:,} future appointments (next {WINDOW_DAYS} days), "
         f"{k['unavailabilities']:,} holidays/blocks, {k['patients']:,} patients; loaded in {load_seconds:.0f} s"),
        (f"   history from {k['history_from']} (current templates from {k['current_from']}, open-ended); "
         f"{k['free_future_slots']:,} free slots left in the window"),
        (f"   {rounds} measured rounds after {warmup} warm-up rounds, cases interleaved in a shuffled order; "
         f"slow cases measured in 1 round out of a few (see n)"),
        "",
        f"{'case':<{width}}{'n':>5}{'median ms':>11}{'p95 ms':>10}{'× bare':>9}{'SQL/call':>10}",
        "-" * (width + 45),
    ]
    for c, v, m in zip(cases, ms, med):
        lines.append(f"{c.label:<{width}}{len(v):>5}{m:>11.3f}{p95(v):>10.3f}{m / bare:>9.1f}{_sql(c):>10}")
        if c.errors:
            lines.append(f"{'':<{width}}  !! {len(c.errors)} unexpected results, e.g. {c.errors[0]}")
    lines.append("")
    ref = next(m for c, m in zip(cases, med) if c.kind == "reference")
    for c, m in zip(cases, med):
        if c.kind != "page":
            continue
        parts = [f"{sc.label.strip().removeprefix('service ')} {sm:.2f} ms ({sm / m:.0%})"
                 for sc, sm in zip(cases, med) if sc.kind == "service" and sc.group == c.group]
        verdict = "within 5×" if m / bare <= TARGET_RATIO else "OVER 5×"
        lines.append(f"{verdict:>9}  {c.label.split('  ')[0]}: {m / bare:.1f}× the bare route, "
                     f"{_sql(c)} SQL statements" + (f"; of which {', '.join(parts)}" if parts else ""))
    lines.append(f"{'':>9}  (for scale: a signed-in console page with an empty result is {ref / bare:.1f}× "
                 f"the bare route by itself)")
    n = prof["practitioners"]
    lines.append(f"{'':>9}  SQL statements per call, from {prof['day']}, by span:")
    for key, label, spans in (("free", "free_slots(), one practitioner", (1, 7, 30, WINDOW_DAYS)),
                              ("next20", f"next_free_slots(CONT, 20), {n} practitioners", (1, 7, 30, WINDOW_DAYS)),
                              ("plan1", "planning(), one practitioner", (1, 7, 30)),
                              ("plan_all", f"planning(), {n} practitioners", (1, 7, 30))):
        counts = [prof[(key, d)] for d in spans]
        flat = len(set(counts)) == 1
        lines.append(f"{'flat' if flat else 'GROWS':>9}  {label}: "
                     + ", ".join(f"{q} for {d} d" for q, d in zip(counts, spans)))
    lines.append(f"{'':>9}  with the team: planning() {prof[('plan1', 7)]} statements for 1 practitioner, "
                 f"{prof[('plan_all', 7)]} for {n}; next_free_slots() {prof[('next20', 7)]} for {n}")
    q = prof["next20_today"]
    lines.append(f"{'':>9}  next_free_slots() from today ({ds.today}): {q} statements = 1 + 7 × {(q - 1) / 7:.0f} "
                 f"free_slots() calls for {n} practitioners (a second span for each one whose first two weeks "
                 f"hold fewer than 20 free slots)")
    by_group = {c.group: m for c, m in zip(cases, med)}
    d30, d180 = by_group["f30"], by_group["f180"]
    one = next(m for c, m in zip(cases, med) if c.label.startswith("free_slots(), 1 day"))
    lines.append(f"{'':>9}  free_slots() time: 1 day {one:.2f} ms, 30 days {d30:.2f} ms ({d30 / one:.1f}×), "
                 f"{WINDOW_DAYS} days {d180:.2f} ms ({d180 / one:.1f}×)")
    return "\n".join(lines) + "\n"


def _where(func) -> str:
    path, line, name = func
    for prefix in (str(ROOT) + "/", "site-packages/"):
        if prefix in path:
            path = path.split(prefix, 1)[1]
    return f"{path}:{line}({name})" if line else name


def _profile_table(title: str, rows, calls: int) -> list[str]:
    lines = [f"   {title}", f"   {'own ms':>8}{'cum ms':>9}{'calls':>9}  function"]
    return lines + [f"   {tt / calls * 1e3:>8.2f}{ct / calls * 1e3:>9.2f}{nc / calls:>9.0f}  {_where(f)}"
                    for tt, ct, nc, f in rows]


def profile(cases: list[Case], groups: list[str]) -> str:
    """cProfile of PROFILE_CALLS calls of the first case of each group (its page, else its
    service; 2 calls for the slow ones): the functions with the most time of their own, then the
    app's own functions (portal/) by cumulative time. Per call, in ms."""
    import cProfile
    import pstats

    out = []
    for group in groups:
        case = next((c for c in cases if c.group == group.strip()), None)
        if case is None:
            out.append(f"-- {group}: no such group ({', '.join(GROUPS)})\n")
            continue
        calls = PROFILE_CALLS if case.every == 1 else 2
        prof = cProfile.Profile(time.process_time)  # CPU time: not the other processes sharing the cores
        prof.enable()
        for _ in range(calls):
            case.run(case.next_arg())
        prof.disable()
        rows = [(tt, ct, nc, func) for func, (_cc, nc, tt, ct, _callers) in pstats.Stats(prof).stats.items()]
        total = max(r[1] for r in rows)
        own = sorted(rows, key=lambda r: r[0], reverse=True)[:15]
        mine = sorted((r for r in rows if str(ROOT / "portal") in r[3][0]), key=lambda r: r[1], reverse=True)[:15]
        out.append(f"-- {case.label.strip()}: {calls} calls, {total / calls * 1e3:.0f} ms per call under the profiler")
        out += _profile_table("by own time", own, calls)
        out += _profile_table("the app's functions (portal/) by cumulative time", mine, calls) + [""]
    return "\n".join(out) + "\n"

def explain(app, ds: DataSet, day: date) -> str:
    from portal.agenda import planning, services
    from portal.agenda.availability import free_slots
    from portal.booking.services import extend_windows

    practice = SimpleNamespace(id=ds.practice_id, timezone=ds.timezone)
    prac_id = ds.practitioner_ids[0]
    first, last = planning.week_of(day)
    calls = [
        ("free_slots() 1 day", lambda: free_slots(practice=practice, practitioner_id=prac_id, first=day, last=day)),
        ("day_appointments()", lambda: services.day_appointments(practice=practice, practitioner_id=prac_id, day=day)),
        ("planning(), every practitioner, one week", lambda: planning.planning(
            practice=practice, practitioners=services.practitioners(practice.id), first=first, last=last)),
        ("extend_windows() (rolled back)", lambda: extend_windows(today=day)),
    ]
    return base.explain_calls(app, calls)


def run_backend(backend: str, args, report_to: Path) -> None:
    from sqlalchemy import event, text

    from portal.extensions import db

    with tempfile.TemporaryDirectory(prefix="sourire-bench-agenda-") as tmp:
        url = base.database_url(backend, args, tmp, "sourire-bench-agenda-db-")
        print(f"[{backend}] building a fresh database and loading data ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        app = base.migrated_app(url, str(Path(tmp) / "files"))
        ds = build_data(app, args)
        load_seconds = time.perf_counter() - started
        with app.app_context():
            version = db.session.scalar(text("select sqlite_version()" if backend == "sqlite"
                                             else "show server_version"))
            db.session.remove()
            counter = QueryCounter()
            event.listen(db.engine, "before_cursor_execute", counter)
        print(f"[{backend}] loaded in {load_seconds:.0f} s; measuring ...", file=sys.stderr, flush=True)

        prof = query_profile(app, ds, counter)
        cases = make_cases(app, ds, counter, args.slow_every)
        warmup = warmup_rounds(args.requests)
        t0 = time.perf_counter()
        measure(cases, args.requests, warmup, args.seed)
        print(f"[{backend}] measured in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
        text_out = report("SQLite" if backend == "sqlite" else "PostgreSQL", version, ds, cases,
                          args.requests, warmup, load_seconds, prof)
        if args.profile:
            text_out += "\n-- profiles --\n" + profile(cases, args.profile.split(","))
        if args.explain:
            text_out += "\n-- query plans --\n" + explain(app, ds, prof["day"])
        print(text_out, flush=True)
        with report_to.open("a", encoding="utf-8") as fh:
            fh.write(text_out + "\n")
        if args.keep and backend == "sqlite":
            print(f"[sqlite] database kept at {url}", file=sys.stderr)
        with app.app_context():
            db.engine.dispose()


def header(args) -> str:
    return base.header(args, "agenda (week and day planning, free slots, booking, nightly job)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--past", type=int, default=200000, help="past appointments")
    parser.add_argument("--future", type=int, default=20000, help=f"appointments in the next {WINDOW_DAYS} days")
    parser.add_argument("--patients", type=int, default=3000)
    parser.add_argument("--requests", type=int, default=100, help="measured rounds (calls per fast case)")
    parser.add_argument("--slow-every", type=int, default=10,
                        help="the slow cases run in 1 round out of a fraction of this: free_slots 180 d a fifth "
                             "(2), the all-practitioners week a third (3), next 20 a half (5)")
    parser.add_argument("--seed", type=int, default=20250101)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", PG_URL_DEFAULT))
    parser.add_argument("--explain", action="store_true", help="append the query plans of the service calls")
    parser.add_argument("--profile", nargs="?", const=PROFILED, default="",
                        help=f"append a cProfile of a few calls of these cases, by group (default {PROFILED}; "
                             f"groups: {', '.join(GROUPS)})")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite database file for inspection")
    parser.add_argument("--report-to", help=argparse.SUPPRESS)  # used when a backend runs in a child
    args = parser.parse_args()

    if args.report_to:
        run_backend(args.db, args, Path(args.report_to))
        return
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    report_to = results / f"{datetime.now().strftime('%Y%m%d-%H%M%S')}-agenda.txt"
    head = header(args)
    print(head, end="", flush=True)
    report_to.write_text(head, encoding="utf-8")
    backends = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    for backend in backends:
        # Each backend in its own process: a clean heap, one app per process, no shared state.
        cmd = [sys.executable, __file__, "--db", backend, "--past", str(args.past), "--future", str(args.future),
               "--patients", str(args.patients), "--requests", str(args.requests),
               "--slow-every", str(args.slow_every), "--seed", str(args.seed), "--pg-url", args.pg_url,
               "--report-to", str(report_to)]
        cmd += ["--explain"] * args.explain + ["--keep"] * args.keep
        cmd += ["--profile", args.profile] if args.profile else []
        if subprocess.run(cmd, check=False).returncode != 0:
            with report_to.open("a", encoding="utf-8") as fh:
                fh.write(f"== {backend}: the run failed (see its output)\n")
            raise SystemExit(f"{backend} run failed")
    print(f"saved to {report_to.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
