#!/usr/bin/env python
"""Benchmark: Paiements — a patient's file with 40 installments and 200 fees (the patient space's
Mes paiements and the console's Paiements tab), and the console's payments of a month for a
practice with 20,000 patients (first page, a deep page, a day, one method, the CSV export),
against a bare Flask route measured in the same run.

    python bench/bench_payments.py [--db sqlite|postgresql|both] [--patients 20000] [--per-patient 2]

For each backend: a fresh database built by the real Alembic migrations; the measured practice
with `--patients` patients (the families of identify_and_search.py) and a second practice with
`--second-practice` patients and payments of its own (scoping is real); portal accounts for 40 %
of the numbers; a secretary signed in through the real forms (password, TOTP).

Billing rows, bulk inserted (Core executemany, ids returned in order), as the services write them
(a parity check compares a bulk payment with one `record_payment` wrote for the same input): for
every patient one installment ("Échéance de <mois>", due the 5th of last month) and on average
`--per-patient` payments in last month (0 to 4, binomial) plus a week's share in the last seven
days (payments outside the measured month), on weekdays and Saturdays, each allocated to that
installment; methods 35 % cheque, 35 %
card, 12 % transfer, 5 % cash, 13 % online ("Virement (en ligne)", no staff recorder, a Checkout
id as reference); 0.4 % of the payments refunded a few days later (a tenth of those failed, a
tenth pending), each with its refund part. One child's file instead gets 40 installments and
200 fees through `add_item`, and 30 payments through `record_payment`: its parent signs in to the
patient space through the real forms (identification, password, SMS code, consent).

Cases, in-process with the Flask test client, round-robin in a shuffled order each round after a
warm-up; the CSV export in one round out of `--csv-every`:

  bare route            GET /bench/bare: the baseline of every ratio
  ref                   GET /console/patients/?q=<a number nobody has>: the floor of a console page
  Mes paiements         GET /paiements, the parent signed in (40 installments, 200 fees)
  console Paiements tab GET /console/patients/<id>?rubrique=paiements (the same file, with its forms)
  payments of a day     GET /console/paiements?du=D&au=D, a weekday of last month
  payments of a month   GET /console/paiements?du=<1st>&au=<last> of last month: totals, chart, page 1
  … a deep page        the same, ?page=<three quarters down> (a deep OFFSET)
  … cheques only        the same month, ?moyen=cheque
  CSV export, month     GET /console/paiements/export.csv?du=…&au=…, the whole file read
  service …             payments_between() and per_day() alone for the month, in a fresh app context

Printed: n, median and p95 ms, × bare, SQL statements per request. Also written to bench/results/.
"""
from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import agenda  # QueryCounter, page_case, service_case, measure, p95, _sql
import identify_and_search as base  # families, load_practice, add_accounts, bench app, csrf_token, header
import patient_space as space  # patient_client: the parent's sign-in through the real forms

PG_URL_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/sourire_bench_payments"
TARGET_RATIO = 5.0
METHODS = [("cheque", 35), ("card", 35), ("transfer", 12), ("cash", 5), ("online", 13)]
AMOUNTS = [2500, 4500, 7800, 12000, 19500, 39000]
REFUNDED = 0.004
MONTHS_FR = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
             "novembre", "décembre"]


@dataclass
class DataSet:
    practice_id: int
    staff_email: str
    totp_secret: str
    today: date
    month: tuple[date, date]
    parent_phone: str = ""
    children: list = field(default_factory=list)  # [(number, first name, 0, 0)]: what patient_client reads
    file_id: int = 0
    days: list[date] = field(default_factory=list)
    counts: dict = field(default_factory=dict)


def month_bounds(today: date) -> tuple[date, date, date]:
    """(first day of last month, last day of last month, first day of this month)."""
    this = today.replace(day=1)
    last_end = this - timedelta(days=1)
    return last_end.replace(day=1), last_end, this


def payment_row(practice_id: int, patient_id: int, *, amount: int, method: str, paid_on: date, payer,
                patient_name: str, reference: str, recorded_by: int | None, now: datetime) -> dict:
    """The row `record_payment` writes (payer: (id, full name) of a responsible, or None)."""
    from portal.billing.models import PaymentMethod

    return {"practice_id": practice_id, "patient_id": patient_id, "amount_cents": amount,
            "method": PaymentMethod(method), "paid_on": paid_on, "payer_id": payer[0] if payer else None,
            "payer_name": payer[1] if payer else patient_name, "reference": reference.strip(), "note": "",
            "recorded_by_id": recorded_by, "form_token": None, "created_at": now}


def _reference(rng: random.Random, method: str) -> str:
    if method == "cheque":
        return f"Chèque n° {rng.randint(1000000, 9999999):07d}"
    if method == "online":
        return "cs_live_" + secrets.token_hex(12)
    if method == "transfer":
        return f"VIR SEPA {rng.randint(100000, 999999)}"
    return ""


def load_billing(rng: random.Random, practice_id: int, staff_id: int | None, today: date, per_patient: float,
                 skip: set[int]) -> dict:
    """Installments, payments, allocations, refunds and refund parts for every patient of the
    practice but `skip`, over last month and this month up to today. Returns counts."""
    from sqlalchemy import insert, select

    from portal.billing.models import Allocation, BillingItem, ItemKind, Payment, Refund, RefundPart, RefundStatus
    from portal.core.db import commit, utcnow
    from portal.extensions import db
    from portal.patients.models import Patient, Responsible, ResponsibleRole

    now = utcnow()
    first, last_end, _this = month_bounds(today)
    # Last month in full, and this month's last week (payments outside the measured month that its
    # queries must skip; more would only lengthen the load).
    months = [(first, last_end), (max(last_end + timedelta(days=1), today - timedelta(days=6)), today)]
    conn = db.session.connection()
    patients = [(pid, f"{fn} {ln}") for pid, fn, ln in conn.execute(
        select(Patient.id, Patient.first_name, Patient.last_name).where(Patient.practice_id == practice_id)
        .order_by(Patient.id)) if pid not in skip]
    financial = {pid: (rid, f"{fn} {ln}".strip()) for rid, pid, fn, ln in conn.execute(
        select(Responsible.id, Responsible.patient_id, Responsible.first_name, Responsible.last_name)
        .where(Responsible.practice_id == practice_id, Responsible.role == ResponsibleRole.financial))}
    open_days = {m: [m[0] + timedelta(days=i) for i in range((m[1] - m[0]).days + 1)
                     if (m[0] + timedelta(days=i)).weekday() < 6] for m in months}
    names, weights = zip(*METHODS)

    items, plans = [], []  # plans: per item, its payments (amount, method, day)
    for pid, name in patients:
        pays = []
        for m in months:
            share = per_patient * len(open_days[m]) / max(len(open_days[months[0]]), 1)  # a week: a quarter
            n = sum(rng.random() < share / 4 for _ in range(4)) if open_days[m] else 0
            pays += [(rng.choice(AMOUNTS), rng.choices(names, weights)[0], rng.choice(open_days[m])) for _ in range(n)]
        items.append({"practice_id": practice_id, "patient_id": pid, "kind": ItemKind.installment,
                      "label": f"Échéance de {MONTHS_FR[first.month - 1]}", "care_date": None,
                      "due_date": first.replace(day=5), "amount_cents": sum(a for a, _m, _d in pays) or 39000,
                      "processed": False, "responsible_id": financial.get(pid, (None,))[0], "created_at": now})
        plans.append((pid, name, sorted(pays, key=lambda p: p[2])))
    item_ids = []
    for i in range(0, len(items), 5000):
        item_ids += conn.execute(insert(BillingItem.__table__).returning(BillingItem.__table__.c.id,
                                                                        sort_by_parameter_order=True),
                                 items[i:i + 5000]).scalars().all()
    payments, owners = [], []
    for item_id, (pid, name, pays) in zip(item_ids, plans):
        for amount, method, day in pays:
            payments.append(payment_row(practice_id, pid, amount=amount, method=method, paid_on=day,
                                        payer=financial.get(pid), patient_name=name,
                                        reference=_reference(rng, method),
                                        recorded_by=None if method == "online" else staff_id, now=now))
            owners.append(item_id)
    payment_ids = []
    for i in range(0, len(payments), 5000):
        payment_ids += conn.execute(insert(Payment.__table__).returning(Payment.__table__.c.id,
                                                                        sort_by_parameter_order=True),
                                    payments[i:i + 5000]).scalars().all()
    allocations = [{"practice_id": practice_id, "payment_id": pay_id, "item_id": item_id,
                    "amount_cents": row["amount_cents"]}
                   for pay_id, item_id, row in zip(payment_ids, owners, payments)]
    for i in range(0, len(allocations), 5000):
        conn.execute(insert(Allocation.__table__), allocations[i:i + 5000])
    refunds, parts_for = [], []
    for pay_id, item_id, row in zip(payment_ids, owners, payments):
        if rng.random() < REFUNDED:
            r = rng.random()
            status = RefundStatus.failed if r < 0.1 else RefundStatus.pending if r < 0.2 else RefundStatus.succeeded
            amount = rng.choice([row["amount_cents"], row["amount_cents"] // 2 or 1])
            refunds.append({"practice_id": practice_id, "patient_id": row["patient_id"], "payment_id": pay_id,
                            "amount_cents": amount, "status": status, "reason": "Trop perçu",
                            "refunded_on": min(today, row["paid_on"] + timedelta(days=rng.randint(0, 6))),
                            "stripe_refund_id": "re_" + secrets.token_hex(12) if row["method"].value == "online"
                            else None, "method": row["method"], "recorded_by_id": staff_id, "created_at": now})
            parts_for.append((item_id, amount))
    if refunds:
        refund_ids = conn.execute(insert(Refund.__table__).returning(Refund.__table__.c.id,
                                                                     sort_by_parameter_order=True), refunds).scalars().all()
        conn.execute(insert(RefundPart.__table__), [{"practice_id": practice_id, "refund_id": rid, "item_id": item_id,
                                                     "amount_cents": amount}
                                                    for rid, (item_id, amount) in zip(refund_ids, parts_for)])
    commit()
    return {"items": len(items), "payments": len(payments), "refunds": len(refunds)}


def check_parity(practice, patient, staff_id: int, today: date) -> None:
    """A payment written by `record_payment` and the bulk builder's row for the same input agree."""
    from sqlalchemy import select

    from portal.accounts.models import StaffUser
    from portal.billing import services
    from portal.billing.models import Payment, PaymentMethod
    from portal.core.audit import Actor
    from portal.core.db import commit
    from portal.extensions import db

    payer = services.default_responsible(patient)
    made = services.record_payment(practice=practice, patient=patient, amount_cents=4500, method=PaymentMethod.cheque,
                                   paid_on=today, payer_id=payer.id if payer else None, reference="Chèque n° 0000001",
                                   recorded_by=db.session.get(StaffUser, staff_id), actor=Actor.operator())
    commit()
    skip = {"id", "created_at"}
    cols = [c for c in Payment.__table__.c if c.name not in skip]
    stored = db.session.execute(select(*cols).where(Payment.id == made.id)).one()._asdict()
    built = payment_row(practice.id, patient.id, amount=4500, method="cheque", paid_on=today,
                        payer=(payer.id, payer.full_name) if payer else None, patient_name=patient.full_name,
                        reference="Chèque n° 0000001", recorded_by=staff_id, now=made.created_at)
    built = {k: v for k, v in built.items() if k not in skip}
    if stored != built:
        raise SystemExit(f"bulk payment row differs from record_payment's:\n{stored}\n{built}")


def build_data(app, args) -> DataSet:
    import pyotp
    from sqlalchemy import func, insert, select, text

    from portal.accounts.models import PatientAccount, Role
    from portal.accounts.staff_admin import create_staff
    from portal.billing import services
    from portal.billing.models import ItemKind, Payment, PaymentMethod
    from portal.core.audit import Actor
    from portal.core.db import commit, utcnow
    from portal.core.services import create_practice
    from portal.extensions import db
    from portal.patients.models import Patient, Responsible

    rng = random.Random(args.seed)
    phones = base.PhoneBook(rng)
    specs = base.Generator(rng, phones, 10000).patients(args.patients)
    other_specs = base.Generator(rng, phones, 50000).patients(args.second_practice)
    operator = Actor.operator()
    with app.app_context():
        p1 = create_practice(name="Cabinet d'orthodontie des Tilleuls", slug="tilleuls", actor=operator,
                             city="Lyon", postal_code="69003")
        p2 = create_practice(name="Centre orthodontique Bellevue", slug="bellevue", actor=operator,
                             city="Villeurbanne", postal_code="69100")
        commit()
        staff = create_staff(practice=p1, email="secretariat@tilleuls.example", role=Role.secretary,
                             first_name="Élodie", last_name="Bénard", password=base.STAFF_PASSWORD, actor=operator)
        secret = pyotp.random_base32()
        staff.totp_key, staff.totp_confirmed_at = secret, utcnow()
        commit()
        today = services.practice_today(p1)
        first, last_end, _this = month_bounds(today)
        ds = DataSet(practice_id=p1.id, staff_email=staff.email, totp_secret=secret, today=today,
                     month=(first, last_end))
        base.load_practice(p1.id, specs)
        base.load_practice(p2.id, other_specs)
        base.add_accounts(rng, [(p1.id, specs)])

        # The file: a child whose parent 1's number opens that file alone, shared online.
        for s in specs:
            parent1 = next((d["mobile"] for d in s["responsibles"] if d["role"] == "parent1" and d["mobile"]), None)
            if not parent1 or s["do_not_share_online"] or s["mobile"]:
                continue
            phone = base.e164(parent1)
            files = db.session.scalar(select(func.count()).select_from(Responsible).where(Responsible.mobile == phone))
            own = db.session.scalar(select(func.count()).select_from(Patient).where(Patient.mobile == phone))
            if files == 1 and own == 0:
                ds.parent_phone, ds.children = phone, [(s["number"], s["first_name"], 0, 0)]
                break
        if not ds.parent_phone:
            raise SystemExit("no single-child family: change --seed")
        child = db.session.scalar(select(Patient).where(Patient.practice_id == p1.id,
                                                        Patient.number == ds.children[0][0]))
        ds.file_id = child.id
        if db.session.scalar(select(func.count()).select_from(PatientAccount).where(
                PatientAccount.practice_id == p1.id, PatientAccount.phone == ds.parent_phone)) == 0:
            from portal.accounts.passwords import hash_password
            db.session.execute(insert(PatientAccount.__table__), [{
                "practice_id": p1.id, "phone": ds.parent_phone, "password_hash": hash_password(base.PATIENT_PASSWORD),
                "active": True, "failed_passwords": 0, "locked_until": None, "last_signin_at": utcnow(),
                "locale": "fr", "created_at": utcnow()}])
            commit()

        t0 = time.perf_counter()
        ds.counts = load_billing(rng, p1.id, staff.id, today, args.per_patient, {child.id})
        other = load_billing(rng, p2.id, None, today, args.per_patient, set())
        ds.counts["other_payments"] = other["payments"]
        ds.counts["billing_seconds"] = time.perf_counter() - t0

        # The big file, through the services: 40 monthly installments, 200 fees, 30 payments.
        start = today - timedelta(days=30 * 30)
        for i in range(40):
            services.add_item(practice=p1, patient=child, kind=ItemKind.installment, label=f"Échéance {i + 1}",
                              amount_cents=19500, due_date=start + timedelta(days=30 * i), processed=i < 25,
                              actor=operator)
        for i in range(200):
            services.add_item(practice=p1, patient=child, kind=ItemKind.fee, label=f"Acte {i + 1}",
                              amount_cents=rng.choice([2300, 2500, 4500]), due_date=start + timedelta(days=4 * i),
                              care_date=start + timedelta(days=4 * i - 3), actor=operator)
        commit()
        check_parity(p1, child, staff.id, today)
        for i in range(29):
            services.record_payment(practice=p1, patient=child, amount_cents=30000,
                                    method=rng.choice(list(PaymentMethod)), paid_on=start + timedelta(days=31 * i + 3),
                                    actor=operator)
        commit()

        month = (Payment.practice_id == p1.id, Payment.paid_on >= first, Payment.paid_on <= last_end)
        ds.counts.update(
            patients=db.session.scalar(select(func.count(Patient.id)).where(Patient.practice_id == p1.id)),
            month_payments=db.session.scalar(select(func.count(Payment.id)).where(*month)),
            all_payments=db.session.scalar(select(func.count(Payment.id)).where(Payment.practice_id == p1.id)))
        busy = list(db.session.execute(select(Payment.paid_on, func.count()).where(*month)
                                       .group_by(Payment.paid_on).order_by(Payment.paid_on)))
        ds.days = [d for d, n in busy if d.weekday() < 5]
        ds.counts["day_payments"] = round(statistics.median(n for d, n in busy if d.weekday() < 5))
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("VACUUM ANALYZE"))
    return ds


def make_cases(app, ds: DataSet, counter, args) -> list:
    from portal.billing import journal

    anon = app.test_client()
    staff = base.staff_client(app, ds)
    parent = space.patient_client(app, ds, args.redis_url)
    first, last = ds.month
    month = {"du": first.isoformat(), "au": last.isoformat()}
    missing = [str(900000 + i) for i in range(50)]
    deep = max(2, ds.counts["month_payments"] // journal.PAGE_SIZE * 3 // 4)  # three quarters down the month

    def page(marker=None, status=200):
        def check(resp, _arg):
            if resp.status_code != status:
                return f"{resp.status_code} ({resp.headers.get('Location')})"
            if marker and marker not in resp.get_data(as_text=True):
                return f"no {marker!r} in the page"
            return None
        return check

    def csv_check(resp, _arg):
        body = resp.get_data()
        if resp.status_code != 200 or not body.startswith("\ufeff".encode()):
            return f"{resp.status_code}: not a CSV"
        lines = body.count(b"\r\n") - 1
        return None if lines >= ds.counts["month_payments"] else f"{lines} lines for {ds.counts['month_payments']}"

    def service_month(_):
        return journal.payments_between(ds.practice_id, first, last)

    def service_days(_):
        return journal.per_day(ds.practice_id, first, last)

    pc, sc = agenda.page_case, agenda.service_case
    return [
        pc(counter, "bare route  GET /bench/bare", "baseline", lambda _: anon.get("/bench/bare"), [None], page()),
        pc(counter, "ref: console page, empty result  GET /console/patients/?q=<none>", "reference",
           lambda q: staff.get("/console/patients/", query_string={"q": q}), missing, page()),
        pc(counter, "Mes paiements (40 installments, 200 fees)  GET /paiements", "page",
           lambda _: parent.get("/paiements"), [None], page("Acte 200")),
        pc(counter, "console Paiements tab, same file  GET /console/patients/<id>?rubrique=paiements", "page",
           lambda _: staff.get(f"/console/patients/{ds.file_id}", query_string={"rubrique": "paiements"}), [None],
           page("Acte 200")),
        pc(counter, f"payments of a day (~{ds.counts['day_payments']:,})  GET /console/paiements?du=D&au=D", "page",
           lambda d: staff.get("/console/paiements", query_string={"du": d.isoformat(), "au": d.isoformat()}),
           ds.days, page("payments-list")),
        pc(counter, f"payments of a month ({ds.counts['month_payments']:,}), page 1", "page",
           lambda _: staff.get("/console/paiements", query_string=month), [None], page("payments-chart")),
        pc(counter, f"payments of a month, page {deep} (deep OFFSET)", "page",
           lambda _: staff.get("/console/paiements", query_string={**month, "page": deep}), [None],
           page(f"Page {deep} sur")),
        pc(counter, "payments of a month, cheques only", "page",
           lambda _: staff.get("/console/paiements", query_string={**month, "moyen": "cheque"}), [None],
           page("payments-total-cheque")),
        pc(counter, "CSV export of the month (whole file read)", "export",
           lambda _: staff.get("/console/paiements/export.csv", query_string=month), [None], csv_check,
           every=args.csv_every),
        sc(app, counter, "  service payments_between(month)", service_month, [None],
           lambda r, _: None if r.lines and r.count >= ds.counts["month_payments"] else "empty"),
        sc(app, counter, "  service per_day(month)", service_days, [None],
           lambda r, _: None if sum(d.payments for d in r) >= ds.counts["month_payments"] else "short"),
    ]


def report(backend: str, version: str, ds: DataSet, cases, rounds: int, warmup: int, load_seconds: float) -> str:
    ms = [[t / 1e6 for t in c.times] for c in cases]
    med = [statistics.median(v) for v in ms]
    bare = med[0]
    ref = next(m for c, m in zip(cases, med) if c.kind == "reference")
    width = max(len(c.label) for c in cases) + 2
    k = ds.counts
    lines = [
        (f"== {backend} {version}: {k['patients']:,} patients, {k['all_payments']:,} payments "
         f"({k['month_payments']:,} in {ds.month[0]:%B %Y}: {ds.month[0]} to {ds.month[1]}), {k['refunds']:,} refunds, "
         f"{k['items']:,} installments; a second practice with {k['other_payments']:,} payments; "
         f"loaded in {load_seconds:.0f} s (billing rows {k['billing_seconds']:.0f} s)"),
        f"   {rounds} measured rounds after {warmup} warm-up rounds, cases interleaved in a shuffled order",
        "",
        f"{'case':<{width}}{'n':>5}{'median ms':>11}{'p95 ms':>10}{'× bare':>9}{'× ref':>7}{'SQL/req':>9}",
        "-" * (width + 51),
    ]
    for c, v, m in zip(cases, ms, med):
        lines.append(f"{c.label:<{width}}{len(v):>5}{m:>11.2f}{agenda.p95(v):>10.2f}{m / bare:>9.1f}"
                     f"{m / ref:>7.1f}{agenda._sql(c):>9}")
        if c.errors:
            lines.append(f"{'':<{width}}  !! {len(c.errors)} unexpected results, e.g. {c.errors[0]}")
    lines.append("")
    for c, m in zip(cases, med):
        if c.kind != "page":
            continue
        verdict = "within 5×" if m / bare <= TARGET_RATIO else "OVER 5×"
        lines.append(f"{verdict:>9}  {c.label.split('  ')[0]}: {m / bare:.1f}× the bare route, "
                     f"{m / ref:.1f}× the empty console page, {agenda._sql(c)} SQL statements")
    csv_case = next(c for c in cases if c.kind == "export")
    per_row = statistics.median(csv_case.times) / 1e3 / max(k["month_payments"], 1)
    lines.append(f"{'export':>9}  the month's CSV: {statistics.median(csv_case.times) / 1e6:,.0f} ms for "
                 f"{k['month_payments']:,} lines ({per_row:.1f} µs a line), {agenda._sql(csv_case)} SQL statements "
                 f"(read 1,000 rows at a time)")
    lines.append(f"{'':>9}  (for scale: a signed-in console page with an empty result is {ref / bare:.1f}× the bare "
                 f"route by itself)")
    return "\n".join(lines) + "\n"


def run_backend(backend: str, args, report_to: Path) -> None:
    from sqlalchemy import event, text

    from portal.extensions import db

    with tempfile.TemporaryDirectory(prefix="sourire-bench-payments-") as tmp:
        url = base.database_url(backend, args, tmp, "sourire-bench-payments-db-")
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
        cases = make_cases(app, ds, counter, args)
        warmup = max(5, args.requests // 10)
        t0 = time.perf_counter()
        agenda.measure(cases, args.requests, warmup, args.seed)
        print(f"[{backend}] measured in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
        text_out = report("SQLite" if backend == "sqlite" else "PostgreSQL", version, ds, cases, args.requests,
                          warmup, load_seconds)
        print(text_out, flush=True)
        with report_to.open("a", encoding="utf-8") as fh:
            fh.write(text_out + "\n")
        if args.keep and backend == "sqlite":
            print(f"[sqlite] database kept at {url}", file=sys.stderr)
        with app.app_context():
            db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--patients", type=int, default=20000)
    parser.add_argument("--second-practice", type=int, default=2000, help="patients of a second practice")
    parser.add_argument("--per-patient", type=float, default=2.0, help="payments per patient per month, on average")
    parser.add_argument("--requests", type=int, default=40, help="measured rounds")
    parser.add_argument("--csv-every", type=int, default=4, help="the CSV export runs in one round out of N")
    parser.add_argument("--seed", type=int, default=20250101)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", PG_URL_DEFAULT))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/1"),
                        help="where the sign-in SMS job waits, so that its code can be read (emptied after)")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite database file for inspection")
    parser.add_argument("--report-to", help=argparse.SUPPRESS)  # used when a backend runs in a child
    args = parser.parse_args()

    if args.report_to:
        run_backend(args.db, args, Path(args.report_to))
        return
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    report_to = results / f"{datetime.now().strftime('%Y%m%d-%H%M%S')}-bench_payments.txt"
    head = base.header(args, "Paiements (a large file, the console's payments of a month, CSV)")
    print(head, end="", flush=True)
    report_to.write_text(head, encoding="utf-8")
    for backend in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
        # Each backend in its own process: a clean heap, one app per process, no shared state.
        cmd = [sys.executable, __file__, "--db", backend, "--patients", str(args.patients), "--second-practice",
               str(args.second_practice), "--per-patient", str(args.per_patient), "--requests", str(args.requests),
               "--csv-every", str(args.csv_every), "--seed", str(args.seed), "--pg-url", args.pg_url,
               "--redis-url", args.redis_url, "--report-to", str(report_to)] + ["--keep"] * args.keep
        if subprocess.run(cmd, check=False).returncode != 0:
            with report_to.open("a", encoding="utf-8") as fh:
                fh.write(f"== {backend}: the run failed (see its output)\n")
            raise SystemExit(f"{backend} run failed")
    print(f"saved to {report_to.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
