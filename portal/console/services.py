"""The console's Cabinet pages: module options, practitioners' "Actif" switch, the people who
signed in to the patient space, and sign-in statistics (seed 000 "Cabinet", "Patients",
"Statistiques")."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import func, select, union

from portal.accounts.models import PatientAccount
from portal.core import audit
from portal.core.audit import Actor
from portal.core.errors import Invalid, NotFound
from portal.core.models import MODULE_DEFAULTS, AuditEvent, Practice, Practitioner
from portal.extensions import db
from portal.patients.models import Patient, Responsible

SIGNIN_ACTION = "patient.signin"
MAX_STATS_DAYS = 366
ACCOUNTS_SHOWN = 500


def save_options(practice: Practice, values: dict[str, bool], *, actor: Actor) -> dict[str, tuple[bool, bool]]:
    """Set the practice's module switches (seed 000 "Options"). Unknown keys are refused with
    `Invalid`; keys not given keep their value. Audited with each changed switch's before and
    after; returns the changes ({} when nothing changed, and nothing is written)."""
    unknown = set(values) - set(MODULE_DEFAULTS)
    if unknown:
        raise Invalid(_("Option inconnue : %(names)s.", names=", ".join(sorted(unknown))))
    changes = {k: (practice.module_on(k), bool(v)) for k, v in values.items() if practice.module_on(k) != bool(v)}
    if not changes:
        return {}
    # A new dict: the JSON column is only written when the attribute itself is replaced.
    practice.options = {**(practice.options or {}), **{k: after for k, (_before, after) in changes.items()}}
    audit.record("practice.options_changed", actor=actor, practice_id=practice.id, target=practice,
                 details={"before": {k: b for k, (b, _a) in changes.items()},
                          "after": {k: a for k, (_b, a) in changes.items()}})
    return changes


def set_practitioner_active(*, practice_id: int, practitioner_id: int, active: bool, actor: Actor) -> Practitioner:
    """Seed 000 "Actif": an inactive practitioner disappears from the patient space and from online
    booking; their agenda goes on in the console. `NotFound` for another practice's
    practitioner; audited when the switch moves."""
    practitioner = db.session.scalar(select(Practitioner).where(Practitioner.id == practitioner_id,
                                                                Practitioner.practice_id == practice_id))
    if practitioner is None:
        raise NotFound()
    if practitioner.shown_to_patients != active:
        practitioner.shown_to_patients = active
        audit.record("practitioner.active_changed", actor=actor, practice_id=practice_id, target=practitioner,
                     details={"active": active})
    return practitioner


@dataclass
class SignedInAccount:
    account: PatientAccount
    patients: list[Patient]


def signed_in_accounts(practice_id: int, *, oldest_first: bool = False,
                       limit: int = ACCOUNTS_SHOWN) -> list[SignedInAccount]:
    """Everyone who has signed in to the patient space (seed 000 "Patients"), with the files their
    number opens (withdrawn ones left out), by last sign-in. Three queries whatever the count."""
    order = PatientAccount.last_signin_at.asc() if oldest_first else PatientAccount.last_signin_at.desc()
    accounts = list(db.session.scalars(select(PatientAccount).where(
        PatientAccount.practice_id == practice_id, PatientAccount.last_signin_at.is_not(None))
        .order_by(order, PatientAccount.id).limit(limit)))
    phones = [a.phone for a in accounts]
    by_phone: dict[str, dict[int, Patient]] = {p: {} for p in phones}
    if phones:
        visible = (Patient.practice_id == practice_id, Patient.do_not_share_online.is_(False))
        for patient in db.session.scalars(select(Patient).where(Patient.mobile.in_(phones), *visible)):
            by_phone[patient.mobile][patient.id] = patient
        rows = db.session.execute(select(Responsible.mobile, Patient).join(Patient, Patient.id == Responsible.patient_id)
                                  .where(Responsible.mobile.in_(phones), *visible))
        for mobile, patient in rows:
            by_phone[mobile][patient.id] = patient
    return [SignedInAccount(a, sorted(by_phone[a.phone].values(), key=lambda p: (p.birth_date, p.first_name)))
            for a in accounts]


@dataclass
class SigninStats:
    start: date
    end: date
    days: list[tuple[date, int]]
    total: int


def signins_per_day(practice: Practice, *, start: date, end: date) -> SigninStats:
    """Patient-space sign-ins per day (in the practice's zone) from `start` to `end` inclusive, read
    from the audit journal. `Invalid` when the range is reversed or longer than a year."""
    if end < start:
        raise Invalid(_("La date de fin doit suivre la date de début."), "end")
    if (end - start).days + 1 > MAX_STATS_DAYS:
        raise Invalid(_("Choisissez une période d'un an au plus."), "end")
    zone = ZoneInfo(practice.timezone)
    since = datetime.combine(start, time(0), zone)
    until = datetime.combine(end + timedelta(days=1), time(0), zone)
    instants = db.session.scalars(select(AuditEvent.at).where(
        AuditEvent.practice_id == practice.id, AuditEvent.action == SIGNIN_ACTION,
        AuditEvent.at >= since, AuditEvent.at < until))
    counts = Counter(at.astimezone(zone).date() for at in instants)
    days = [(start + timedelta(days=i), counts.get(start + timedelta(days=i), 0))
            for i in range((end - start).days + 1)]
    return SigninStats(start, end, days, sum(c for _d, c in days))


@dataclass
class SigninTotals:
    patients: int      # files opened at least once online (withdrawn ones left out)
    accounts: int      # numbers that signed in at least once
    active_accounts: int  # of those, accounts that can still sign in (password chosen, not disabled)


def signin_totals(practice_id: int) -> SigninTotals:
    """The practice-wide totals shown under the chart: patients who have been seen online, numbers
    that signed in, and accounts still usable."""
    signed = select(PatientAccount.phone).where(PatientAccount.practice_id == practice_id,
                                                PatientAccount.last_signin_at.is_not(None))
    ids = union(select(Patient.id.label("id")).where(Patient.practice_id == practice_id, Patient.mobile.in_(signed)),
                select(Responsible.patient_id.label("id")).where(Responsible.practice_id == practice_id,
                                                                 Responsible.mobile.in_(signed))).subquery()
    patients = db.session.scalar(select(func.count()).select_from(Patient).join(ids, Patient.id == ids.c.id)
                                 .where(Patient.do_not_share_online.is_(False)))
    base = select(func.count(PatientAccount.id)).where(PatientAccount.practice_id == practice_id,
                                                       PatientAccount.last_signin_at.is_not(None))
    accounts = db.session.scalar(base)
    active = db.session.scalar(base.where(PatientAccount.active.is_(True), PatientAccount.password_hash.is_not(None)))
    return SigninTotals(patients or 0, accounts or 0, active or 0)
