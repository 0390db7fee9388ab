#!/usr/bin/env python
"""Benchmark: the patient space (home, Mes RDV) and the appointment reminder sweep, against a
bare Flask route and a bare count.

    python bench/patient_space.py [--db sqlite|postgresql|both] [--patients 20000] [--upcoming 50000]

For each backend: a fresh database built by the real Alembic migrations, one practice with
`--patients` patients (the families of identify_and_search.py: siblings sharing their parents'
mobiles), portal accounts for 40 % of the numbers on the files, about 15 % of them with their own
reminder rules, 12 practitioners with 3 appointment types each, `--past` past and `--upcoming`
upcoming appointments (bulk rows identical to what book_appointment writes, never overlapping:
the database checks it; siblings often booked back to back on the same day). One parent of a
two-child family is signed in through the real forms (identification, password, SMS code read
from the outbox, consent).

Pages, in-process with the Flask test client, round-robin in a shuffled order each round:

  bare route          GET /bench/bare, registered here, returns "ok": the baseline of every ratio
  home                GET /            (next visit, notices)
  Mes RDV             GET /rendez-vous (upcoming visits, missed count)
  Mes RDV, all        GET /rendez-vous?tout=1 (plus the whole history)
  reference           GET /menu: a signed-in patient page with nothing on it
  service             patient_appointments() alone

Then the reminder sweep, `send_due_reminders(now)` followed by the commit (the delivery jobs it
enqueues are set aside: delivering is the worker's job, not the sweep's), each measured a few
times from the same state: a regular sweep at 12:05 that queues the day's reminders, the same
ground swept again (everything already sent: nothing new), the next sweep five minutes later
(nothing due), a catch-up sweep after the scheduler was down three days, and that one again;
with their SQL statement counts, beside `SELECT count(*)` over the upcoming appointments.
Also written to bench/results/.
"""
from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import agenda  # appointment_row, QueryCounter, page/service cases, measure, p95, profile
import identify_and_search as base  # families, accounts, the bench app, csrf_token, header

PG_URL_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/sourire_bench_space"
TARGET_RATIO = 5.0
SLOT = 20                  # minutes: every visit starts on a 20-minute grid, so none overlaps
DAY_CELLS = [(8, 40), (9, 0), (9, 20), (9, 40), (10, 0), (10, 20), (10, 40), (11, 0), (11, 20), (11, 40),
             (12, 0), (14, 0), (14, 20), (14, 40), (15, 0), (15, 20), (15, 40), (16, 0), (16, 20), (16, 40),
             (17, 0), (17, 20), (17, 40), (18, 0)]  # 24 cells a weekday per practitioner
OCCUPANCY = 0.8            # share of the grid's cells that hold a visit
SIBLINGS_TOGETHER = 0.45   # a family visit: two siblings back to back, same practitioner, same day
CUSTOMISED = 0.15          # share of accounts with their own reminder rules
RULE_SETS = [              # (days before, at, channels), as people set them on the Notifications page
    [(1, wall(12, 0), "sms"), (7, wall(10, 0), "email")],
    [(2, wall(18, 0), "sms notice")],
    [(1, wall(12, 0), "sms email notice")],
    [(3, wall(12, 0), "email"), (0, wall(7, 30), "sms")],
    [],                    # customised to nothing: no reminders at all
]
PRACTITIONERS = [("Claire", "Martin"), ("Julien", "Lefèvre"), ("Sophie", "Nguyen"), ("Marc", "Dubois"),
                 ("Hélène", "Garnier"), ("Thomas", "Roux"), ("Amélie", "Fontaine"), ("Karim", "Haddad"),
                 ("Isabelle", "Le Goff"), ("Nicolas", "Perrin"), ("Léa", "Benhamou"), ("Paul", "Da Silva")]
TYPES = [("CONT", "Contrôle", 15), ("RV1A", "Premier rendez-vous", 20), ("DEBA", "Débaguage", 20)]
TYPE_WEIGHTS = [80, 8, 12]
SWEEP_REPEATS = 3


@dataclass
class DataSet:
    practice_id: int
    timezone: str
    today: date
    now: datetime
    parent_phone: str = ""
    children: list = field(default_factory=list)   # (number, first name, upcoming, past) of the signed-in family
    counts: dict = field(default_factory=dict)


def weekdays(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)
            if (first + timedelta(days=i)).weekday() < 5]


def book_grid(rng: random.Random, days: list[date], n_prac: int, target: int, patients: list[int],
              families: dict[int, list[int]]) -> list[tuple[int, date, int, int]]:
    """`target` visits (practitioner index, local day, cell index, patient id) on the grid of
    `days`: cells taken in a random order, in pairs of consecutive cells so that siblings can
    be booked back to back; single visits use half a pair and leave the other half to another."""
    pairs = [(p, d, j) for d in days for p in range(n_prac) for j in range(0, len(DAY_CELLS) - 1, 2)
             if DAY_CELLS[j + 1][0] * 60 + DAY_CELLS[j + 1][1] - DAY_CELLS[j][0] * 60 - DAY_CELLS[j][1] == SLOT]
    if 2 * len(pairs) < target:
        raise SystemExit(f"the grid holds {2 * len(pairs)} visits, fewer than {target}")
    rng.shuffle(pairs)
    singles, out = [], []
    while len(out) < target:
        pid = rng.choice(patients)
        siblings = [s for s in families.get(pid, []) if s != pid]
        if siblings and rng.random() < SIBLINGS_TOGETHER and len(out) + 2 <= target and pairs:
            p, d, j = pairs.pop()
            out += [(p, d, j, pid), (p, d, j + 1, rng.choice(siblings))]
        elif singles:
            p, d, j = singles.pop()
            out.append((p, d, j, pid))
        else:
            p, d, j = pairs.pop()
            out.append((p, d, j, pid))
            singles.append((p, d, j + 1))
    return out


def build_data(app, args) -> DataSet:
    from sqlalchemy import func, insert, select, text, update

    from portal.accounts.models import PatientAccount
    from portal.agenda import services
    from portal.agenda.models import Appointment, AppointmentStatus
    from portal.core.audit import Actor
    from portal.core.db import commit, utcnow
    from portal.core.services import add_practitioner, create_practice
    from portal.extensions import db
    from portal.notify.models import ReminderRule
    from portal.patients.models import Patient, Responsible

    rng = random.Random(args.seed)
    operator = Actor.operator()
    specs = base.Generator(rng, base.PhoneBook(rng), 10000).patients(args.patients)

    with app.app_context():
        practice = create_practice(name="Cabinet d'orthodontie des Tilleuls", slug="tilleuls", actor=operator,
                                   city="Lyon", postal_code="69003")
        commit()
        zone = ZoneInfo(practice.timezone)
        now = utcnow()
        today = now.astimezone(zone).date()
        ds = DataSet(practice_id=practice.id, timezone=practice.timezone, today=today, now=now)
        base.load_practice(practice.id, specs)  # 40 through create_patient, the rest in bulk, checked
        base.add_accounts(rng, [(practice.id, specs)])

        kinds = []  # per practitioner: [(type id, minutes)]
        for first, last in PRACTITIONERS:
            p = add_practitioner(practice, first_name=first, last_name=last, actor=operator, specialty="Orthodontie")
            kinds.append((p.id, [(services.add_appointment_type(practitioner=p, name=name, code=code,
                                                                duration_minutes=minutes, actor=operator).id, minutes)
                                 for code, name, minutes in TYPES]))
        commit()

        # Who is who: patient ids, families (patients sharing parent 1's mobile), file numbers.
        ids = dict(db.session.execute(select(Patient.number, Patient.id).where(Patient.practice_id == practice.id)).all())
        by_parent = defaultdict(list)
        for s in specs:
            parent1 = next((d["mobile"] for d in s["responsibles"] if d["role"] == "parent1" and d["mobile"]), None)
            if parent1:
                by_parent[base.e164(parent1)].append(ids[s["number"]])
        families = {pid: members for members in by_parent.values() if len(members) > 1 for pid in members}
        patients = list(ids.values())

        # The grid: past weekdays far enough back for --past visits, upcoming ones for --upcoming.
        per_day = len(PRACTITIONERS) * len(DAY_CELLS) * OCCUPANCY
        past_days = weekdays(today - timedelta(days=math.ceil(args.past / per_day * 7 / 5) + 7),
                             today - timedelta(days=1))
        up_days = weekdays(today + timedelta(days=1), today + timedelta(days=math.ceil(args.upcoming / per_day * 7 / 5) + 7))
        rows = []

        def add(visits, past: bool):
            for p, d, j, patient_id in visits:
                prac_id, types = kinds[p]
                type_id, minutes = types[rng.choices(range(len(TYPES)), TYPE_WEIGHTS)[0]]
                starts = datetime.combine(d, wall(*DAY_CELLS[j]), tzinfo=zone).astimezone(UTC)
                slot = SimpleNamespace(appointment_type_id=type_id, starts_at=starts,
                                       ends_at=starts + timedelta(minutes=minutes))
                r = rng.random()
                if past:
                    status = (AppointmentStatus.booked if r < 0.88 else
                              AppointmentStatus.no_show if r < 0.92 else AppointmentStatus.cancelled)
                    created = starts - timedelta(days=rng.randint(1, 90), minutes=rng.randint(0, 600))
                else:
                    status = AppointmentStatus.cancelled if r < 0.03 else AppointmentStatus.booked
                    created = now - timedelta(days=rng.randint(1, 90), minutes=rng.randint(0, 600))
                rows.append(agenda.appointment_row(practice.id, prac_id, slot, patient_id, status, created))

        add(book_grid(rng, past_days, len(PRACTITIONERS), args.past, patients, families), past=True)
        add(book_grid(rng, up_days, len(PRACTITIONERS), args.upcoming, patients, families), past=False)
        rows.sort(key=lambda r: r["starts_at"])
        conn = db.session.connection()
        for i in range(0, len(rows), 5000):
            conn.execute(insert(Appointment.__table__), rows[i:i + 5000])
        commit()

        # Reminder rules of their own for ~15 % of the accounts (as _customise + add_rule leave them).
        accounts = list(db.session.execute(select(PatientAccount.id, PatientAccount.phone)
                                           .where(PatientAccount.practice_id == practice.id).order_by(PatientAccount.id)))
        customised = [a for a in accounts if rng.random() < CUSTOMISED]
        rule_rows = []
        for account_id, _phone in customised:
            for days, at, channels in rng.choice(RULE_SETS):
                rule_rows.append({"practice_id": practice.id, "account_id": account_id, "days_before": days,
                                  "at_time": at, "sms": "sms" in channels, "email": "email" in channels,
                                  "notice": "notice" in channels, "created_at": now})
        conn = db.session.connection()
        for i in range(0, len(rule_rows), 4000):
            conn.execute(insert(ReminderRule.__table__), rule_rows[i:i + 4000])
        for i in range(0, len(customised), 4000):
            conn.execute(update(PatientAccount).where(PatientAccount.id.in_([a for a, _ in customised[i:i + 4000]]))
                         .values(reminders_customised=True))
        commit()

        # The signed-in parent: parent 1 of a two-child family, both children sharing the file
        # online, with an account, each child with upcoming and past visits.
        with_account = {phone for _id, phone in accounts}
        per_patient = defaultdict(lambda: [0, 0])
        for r in rows:
            if r["status"] is not AppointmentStatus.cancelled:
                per_patient[r["patient_id"]][0 if r["starts_at"] > now else 1] += 1
        by_id = {ids[s["number"]]: s for s in specs}
        for phone, members in sorted(by_parent.items()):
            if (len(members) == 2 and phone in with_account and not any(by_id[m]["do_not_share_online"] for m in members)
                    and all(per_patient[m][0] >= 2 and per_patient[m][1] >= 4 for m in members)):
                linked = db.session.scalar(select(func.count()).select_from(Responsible).where(
                    Responsible.mobile == phone, Responsible.patient_id.not_in(members)))
                own = db.session.scalar(select(func.count()).select_from(Patient).where(Patient.mobile == phone))
                if linked == 0 and own == 0:  # exactly these two files behind the number
                    ds.parent_phone = phone
                    ds.children = [(by_id[m]["number"], by_id[m]["first_name"], *per_patient[m]) for m in members]
                    break
        if not ds.parent_phone:
            raise SystemExit("no two-child family with an account and visits: change --seed")

        upcoming = (Appointment.status == AppointmentStatus.booked, Appointment.starts_at > now)
        ds.counts = {
            "patients": len(patients),
            "families": len(by_parent), "two_plus": sum(1 for m in by_parent.values() if len(m) > 1),
            "accounts": len(accounts), "customised": len(customised), "rules": len(rule_rows),
            "past": db.session.scalar(select(func.count(Appointment.id)).where(Appointment.starts_at <= now)),
            "upcoming": db.session.scalar(select(func.count(Appointment.id)).where(*upcoming)),
            "upcoming_all": db.session.scalar(select(func.count(Appointment.id)).where(Appointment.starts_at > now)),
            "last_day": up_days[-1],
        }
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("VACUUM ANALYZE"))
    return ds


def patient_client(app, ds: DataSet, args_redis: str):
    """Sign the parent in through the real forms: identification (a child's name and birth date
    with the parent's mobile), password, the SMS code read from the outbox, then the consent step."""
    from sqlalchemy import select

    from portal.core.phones import display_phone
    from portal.extensions import db
    from portal.patients.models import Patient
    from tests.factories import last_code

    client = app.test_client()

    def post(url, data, get_url=None):
        return client.post(url, data={**data, "csrf_token": base.csrf_token(client, get_url or url)})

    with app.app_context():
        child = db.session.scalar(select(Patient).where(
            Patient.practice_id == ds.practice_id, Patient.number == ds.children[0][0]))
        form = {"phone": display_phone(ds.parent_phone), "last_name": child.last_name,
                "first_name": child.first_name, "birth_date": child.birth_date.isoformat()}
        db.session.remove()
    r = post("/connexion", form)
    assert r.status_code == 303 and r.headers["Location"].endswith("/connexion/mot-de-passe"), (r.status_code, r.headers)
    # The SMS code's delivery job goes to RQ on Redis db 1 for this one request: run in-process
    # (REDIS_URL ""), it would hand the message over and wipe the sealed code before we read it.
    app.config["REDIS_URL"] = args_redis
    try:
        r = post("/connexion/mot-de-passe", {"password": base.PATIENT_PASSWORD})
    finally:
        app.config["REDIS_URL"] = ""
        from redis import Redis
        from rq import Queue

        Queue(app.config["RQ_QUEUE"], connection=Redis.from_url(args_redis)).empty()  # drop the job
    assert r.status_code == 303, r.get_data(as_text=True)[:300]
    if r.headers["Location"].endswith("/connexion/code"):
        with app.app_context():
            code = last_code(ds.parent_phone)
            db.session.remove()
        r = post("/connexion/code", {"code": code})
        assert r.status_code == 303, r.get_data(as_text=True)[:300]
    if r.headers["Location"].endswith("/consentement"):
        r = post("/consentement", {"accept": "y"})
        assert r.status_code == 303, r.get_data(as_text=True)[:300]
    r = client.get("/")
    assert r.status_code == 200, f"patient not signed in: {r.status_code} {r.headers.get('Location')}"
    return client


def make_cases(app, ds: DataSet, counter, redis_url: str) -> list:
    from sqlalchemy import select

    from portal.agenda.services import patient_appointments
    from portal.extensions import db
    from portal.patients.models import Patient

    anon, patient = app.test_client(), patient_client(app, ds, redis_url)
    first_names = [c[1] for c in ds.children]

    def page(marker=None):
        def check(resp, arg):
            if resp.status_code != 200:
                return f"{resp.status_code} ({resp.headers.get('Location')})"
            body = resp.get_data(as_text=True)
            if marker and marker not in body:
                return f"no {marker!r} in the page"
            return None
        return check

    with app.app_context():
        child_id = db.session.scalar(select(Patient.id).where(
            Patient.practice_id == ds.practice_id, Patient.number == ds.children[0][0]))
        db.session.remove()

    def service(_):
        p = db.session.get(Patient, child_id)
        return patient_appointments(patient=p)

    def listed(result, _):
        upcoming, history, _missed = result
        return None if upcoming and history else "no visits"

    return [
        agenda.page_case(counter, "bare route  GET /bench/bare", "baseline", lambda _: anon.get("/bench/bare"),
                         [None], page()),
        agenda.page_case(counter, "home  GET /", "page", lambda _: patient.get("/"), [None],
                         page(first_names[0]), "home"),
        agenda.page_case(counter, "Mes RDV  GET /rendez-vous", "page", lambda _: patient.get("/rendez-vous"),
                         [None], page(), "rdv"),
        agenda.page_case(counter, "Mes RDV, tout afficher  GET /rendez-vous?tout=1", "page",
                         lambda _: patient.get("/rendez-vous", query_string={"tout": "1"}), [None], page(), "all"),
        agenda.service_case(app, counter, "  service patient_appointments()", service, [None], listed, "rdv"),
        agenda.page_case(counter, "ref: signed-in patient page, nothing on it  GET /menu", "reference",
                         lambda _: patient.get("/menu"), [None], page()),
    ]


# -- the reminder sweep --------------------------------------------------------------------

def reset_reminders(mark: datetime) -> None:
    """Forget every reminder (sent keys, queued messages and notices) and put the sweep's mark
    at `mark`: the state before the sweep being measured."""
    from sqlalchemy import delete

    from portal.extensions import db
    from portal.notify.models import (
        OutboxMessage,
        PatientNotice,
        ReminderSent,
        ReminderSweep,
    )

    db.session.execute(delete(ReminderSent))
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.category == "reminder"))
    db.session.execute(delete(PatientNotice).where(PatientNotice.category == "reminder"))
    db.session.merge(ReminderSweep(id=1, swept_until=mark))
    db.session.commit()


def set_mark(mark: datetime) -> None:
    from portal.extensions import db
    from portal.notify.models import ReminderSweep

    db.session.merge(ReminderSweep(id=1, swept_until=mark))
    db.session.commit()


def one_sweep(counter, now: datetime) -> tuple[float, int, int, int]:
    """send_due_reminders(now) and the commit; the delivery jobs it enqueued are set aside (the
    worker's part). Returns (ms, statements, messages queued, reminder_sent rows written)."""
    from sqlalchemy import func, select

    from portal.core import jobs
    from portal.extensions import db
    from portal.notify.models import ReminderSent
    from portal.notify.reminders import send_due_reminders

    before = db.session.scalar(select(func.count(ReminderSent.id)))
    db.session.commit()
    counter.n = 0
    t0 = time.perf_counter_ns()
    queued = send_due_reminders(now)
    jobs.discard_pending()
    db.session.commit()
    elapsed = (time.perf_counter_ns() - t0) / 1e6
    statements = counter.n
    rows = db.session.scalar(select(func.count(ReminderSent.id))) - before
    db.session.commit()
    return elapsed, statements, queued, rows


@dataclass
class SweepCase:
    label: str
    times: list = field(default_factory=list)
    statements: list = field(default_factory=list)
    queued: list = field(default_factory=list)
    rows: list = field(default_factory=list)


def sweeps(app, ds: DataSet, counter, profile: bool) -> tuple[list[SweepCase], dict]:
    """The sweep cases, each SWEEP_REPEATS times from the same state (reset between)."""
    from sqlalchemy import func, select

    from portal.agenda.models import Appointment, AppointmentStatus
    from portal.extensions import db

    zone = ZoneInfo(ds.timezone)
    # A sweep day whose next day is a Tuesday to Friday (visits on it, and on the days before).
    day = ds.today + timedelta(days=1)
    while (day + timedelta(days=1)).weekday() not in (1, 2, 3, 4):
        day += timedelta(days=1)
    at = datetime.combine(day, wall(12, 5), tzinfo=zone).astimezone(UTC)
    regular, catch_up = at - timedelta(minutes=10), at - timedelta(days=3)
    info = {"day": day, "at": at}
    cases = {k: SweepCase(label) for k, label in [
        ("regular", f"regular sweep {day:%a %d/%m} 12:05 (mark 11:55): tomorrow's reminders"),
        ("again", "  the same ground again: everything already sent"),
        ("next", "  the next sweep, 12:10: nothing due"),
        ("catchup", "catch-up sweep at 12:05, scheduler down 3 days"),
        ("catchup_again", "  the same ground again: everything already sent"),
    ]}
    base_case = SweepCase("baseline: SELECT count(*) upcoming booked visits")
    upcoming_q = select(func.count(Appointment.id)).where(Appointment.status == AppointmentStatus.booked,
                                                          Appointment.starts_at > at)
    prof_text = ""
    with app.app_context():
        def record(key, result):
            c = cases[key]
            for lst, v in zip((c.times, c.statements, c.queued, c.rows), result):
                lst.append(v)

        for _ in range(SWEEP_REPEATS):
            reset_reminders(regular)
            record("regular", one_sweep(counter, at))
            set_mark(regular)
            record("again", one_sweep(counter, at))
            record("next", one_sweep(counter, at + timedelta(minutes=5)))
            reset_reminders(catch_up)
            record("catchup", one_sweep(counter, at))
            set_mark(catch_up)
            record("catchup_again", one_sweep(counter, at))
            for _ in range(5):
                counter.n = 0
                t0 = time.perf_counter_ns()
                n = db.session.scalar(upcoming_q)
                base_case.times.append((time.perf_counter_ns() - t0) / 1e6)
                base_case.statements.append(counter.n)
                base_case.queued.append(0)
                base_case.rows.append(0)
                db.session.commit()
        info["upcoming"] = n
        if profile:
            import cProfile
            import pstats

            out = []
            for key, mark in (("regular", regular), ("again", regular), ("catchup", catch_up)):
                if key == "again":
                    set_mark(mark)  # after the regular sweep: everything already sent
                else:
                    reset_reminders(mark)
                prof = cProfile.Profile(time.process_time)
                prof.enable()
                one_sweep(counter, at)
                prof.disable()
                rows = [(tt, ct, nc, func_) for func_, (_cc, nc, tt, ct, _c) in pstats.Stats(prof).stats.items()]
                own = sorted(rows, key=lambda r: r[0], reverse=True)[:15]
                mine = sorted((r for r in rows if str(ROOT / "portal") in r[3][0]), key=lambda r: r[1],
                              reverse=True)[:12]
                out.append(f"-- {cases[key].label.strip()}: {max(r[1] for r in rows) * 1e3:.0f} ms CPU under the profiler")
                out += agenda._profile_table("by own time", own, 1)
                out += agenda._profile_table("the app's functions (portal/) by cumulative time", mine, 1) + [""]
            prof_text = "\n".join(out) + "\n"
        db.session.remove()
    return [*cases.values(), base_case], info | {"profile": prof_text}


# -- report -------------------------------------------------------------------------------

def report(backend: str, version: str, ds: DataSet, cases, rounds: int, warmup: int, load_seconds: float,
           sweep_cases: list[SweepCase], info: dict) -> str:
    ms = [[t / 1e6 for t in c.times] for c in cases]
    med = [statistics.median(v) for v in ms]
    bare = med[0]
    width = max(len(c.label) for c in cases) + 2
    k = ds.counts
    kids = ", ".join(f"{name} ({up} upcoming, {past} past)" for _n, name, up, past in ds.children)
    lines = [
        (f"== {backend} {version}: {k['patients']:,} patients ({k['two_plus']:,} families of 2+ children sharing "
         f"parent 1's mobile), {k['accounts']:,} portal accounts ({k['customised']:,} with their own rules, "
         f"{k['rules']:,} rules), {len(PRACTITIONERS)} practitioners × {len(TYPES)} types, {k['past']:,} past and "
         f"{k['upcoming_all']:,} upcoming appointments ({k['upcoming']:,} booked, to {k['last_day']}); "
         f"loaded in {load_seconds:.0f} s"),
        f"   signed in: parent 1 of {kids}, through the real forms (identification, password, SMS code, consent)",
        f"   {rounds} measured rounds after {warmup} warm-up rounds, cases interleaved in a shuffled order",
        "",
        f"{'case':<{width}}{'n':>5}{'median ms':>11}{'p95 ms':>10}{'× bare':>9}{'SQL/req':>9}",
        "-" * (width + 44),
    ]
    for c, v, m in zip(cases, ms, med):
        lines.append(f"{c.label:<{width}}{len(v):>5}{m:>11.3f}{agenda.p95(v):>10.3f}{m / bare:>9.1f}"
                     f"{agenda._sql(c):>9}")
        if c.errors:
            lines.append(f"{'':<{width}}  !! {len(c.errors)} unexpected results, e.g. {c.errors[0]}")
    lines.append("")
    ref = next(m for c, m in zip(cases, med) if c.kind == "reference")
    for c, m in zip(cases, med):
        if c.kind != "page":
            continue
        verdict = "within 5×" if m / bare <= TARGET_RATIO else "OVER 5×"
        lines.append(f"{verdict:>9}  {c.label.split('  ')[0]}: {m / bare:.1f}× the bare route, "
                     f"{m / ref:.1f}× the empty signed-in page, {agenda._sql(c)} SQL statements")
    lines.append(f"{'':>9}  (for scale: a signed-in patient page with nothing on it is {ref / bare:.1f}× the bare "
                 f"route by itself)")

    sw = max(len(c.label) for c in sweep_cases) + 2
    base_med = statistics.median(sweep_cases[-1].times)
    lines += [
        "",
        (f"-- reminder sweep: send_due_reminders(now) + commit (delivery jobs set aside), "
         f"{info['upcoming']:,} booked visits after the sweep's instant; {SWEEP_REPEATS} runs each from the same state"),
        f"{'sweep':<{sw}}{'median ms':>11}{'max ms':>9}{'× count':>9}{'SQL':>7}{'queued':>8}{'keys':>7}",
        "-" * (sw + 51),
    ]
    for c in sweep_cases:
        m = statistics.median(c.times)
        sql = f"{min(c.statements)}" if min(c.statements) == max(c.statements) else \
            f"{min(c.statements)}–{max(c.statements)}"
        lines.append(f"{c.label:<{sw}}{m:>11.2f}{max(c.times):>9.2f}{m / base_med:>9.0f}{sql:>7}"
                     f"{c.queued[0]:>8}{c.rows[0]:>7}")
    reg, again, _nxt, cu, cu_again, _b = sweep_cases
    for full, empty in ((reg, again), (cu, cu_again)):
        q = full.queued[0]
        extra = full.statements[0] - empty.statements[0]
        lines.append(f"{'':>9}  {full.label.split(' sweep')[0]} sweep: {empty.statements[0]} statements to find nothing "
                     f"new, {full.statements[0]} to queue {q} messages ({extra / q:.2f} more per message)"
                     if q else f"{'':>9}  {full.label}: nothing queued")
    flat = again.statements[0] == cu_again.statements[0]
    lines.append(f"{'flat' if flat else 'GROWS':>9}  statements of a sweep that finds nothing new: "
                 f"{again.statements[0]} over {reg.rows[0]} reminder keys, {cu_again.statements[0]} over {cu.rows[0]}")
    lines.append(f"{'':>9}  (the ORM loads the visits' patients, responsibles and practitioners with selectinload, "
                 f"500 ids a statement: a few more statements per 500 visits; the messages, notices and sent keys "
                 f"go in multi-row INSERTs, so queueing adds a fixed 4 statements whatever it queues)")
    return "\n".join(lines) + "\n"


def run_backend(backend: str, args, report_to: Path) -> None:
    from sqlalchemy import event, text

    from portal.extensions import db

    with tempfile.TemporaryDirectory(prefix="sourire-bench-space-") as tmp:
        url = base.database_url(backend, args, tmp, "sourire-bench-space-db-")
        print(f"[{backend}] building a fresh database and loading data ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        app = base.migrated_app(url, str(Path(tmp) / "files"))
        ds = build_data(app, args)
        load_seconds = time.perf_counter() - started
        with app.app_context():
            version = db.session.scalar(text("select sqlite_version()" if backend == "sqlite"
                                             else "show server_version"))
            db.session.remove()
            counter = agenda.QueryCounter()
            event.listen(db.engine, "before_cursor_execute", counter)
        print(f"[{backend}] loaded in {load_seconds:.0f} s; measuring ...", file=sys.stderr, flush=True)
        cases = make_cases(app, ds, counter, args.redis_url)
        warmup = agenda.warmup_rounds(args.requests)
        t0 = time.perf_counter()
        agenda.measure(cases, args.requests, warmup, args.seed)
        sweep_cases, info = sweeps(app, ds, counter, args.profile)
        print(f"[{backend}] measured in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
        text_out = report("SQLite" if backend == "sqlite" else "PostgreSQL", version, ds, cases, args.requests,
                          warmup, load_seconds, sweep_cases, info)
        if args.profile:
            text_out += "\n-- profiles --\n" + agenda.profile(cases, ["home", "all"]) + info["profile"]
        print(text_out, flush=True)
        with report_to.open("a", encoding="utf-8") as fh:
            fh.write(text_out + "\n")
        with app.app_context():
            db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--patients", type=int, default=20000)
    parser.add_argument("--upcoming", type=int, default=50000, help="upcoming appointments")
    parser.add_argument("--past", type=int, default=60000, help="past appointments")
    parser.add_argument("--requests", type=int, default=200, help="measured rounds (requests per page)")
    parser.add_argument("--seed", type=int, default=20250101)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", PG_URL_DEFAULT))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/1"),
                        help="where the sign-in SMS job waits, so that its code can be read (emptied after)")
    parser.add_argument("--profile", action="store_true",
                        help="append a cProfile of the home and Tout afficher pages and of two sweeps")
    parser.add_argument("--report-to", help=argparse.SUPPRESS)  # used when a backend runs in a child
    args = parser.parse_args()

    if args.report_to:
        run_backend(args.db, args, Path(args.report_to))
        return
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    report_to = results / f"{datetime.now().strftime('%Y%m%d-%H%M%S')}-patient_space.txt"
    head = base.header(args, "patient space (home, Mes RDV) and the reminder sweep")
    print(head, end="", flush=True)
    report_to.write_text(head, encoding="utf-8")
    for backend in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
        # Each backend in its own process: a clean heap, one app per process, no shared state.
        cmd = [sys.executable, __file__, "--db", backend, "--patients", str(args.patients), "--upcoming",
               str(args.upcoming), "--past", str(args.past), "--requests", str(args.requests), "--seed",
               str(args.seed), "--pg-url", args.pg_url, "--redis-url", args.redis_url, "--report-to", str(report_to)] + ["--profile"] * args.profile
        if subprocess.run(cmd, check=False).returncode != 0:
            with report_to.open("a", encoding="utf-8") as fh:
                fh.write(f"== {backend}: the run failed (see its output)\n")
            raise SystemExit(f"{backend} run failed")
    print(f"saved to {report_to.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
