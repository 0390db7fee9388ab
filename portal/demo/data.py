"""The demo practice. Everything goes through the same services as real data."""
from __future__ import annotations

import random
from datetime import date, time

import pyotp
from sqlalchemy import select

from portal.accounts import staff_admin
from portal.accounts.models import Role
from portal.core.audit import Actor
from portal.core.db import utcnow
from portal.core.models import Practice
from portal.core.services import add_practitioner, create_practice
from portal.extensions import db
from portal.patients.models import FileStatus
from portal.patients.services import create_patient

DEMO_SLUG = "demo"
DEMO_PASSWORD = "sourire-demo-2026"
DEMO_PHONE = "06 12 34 56 78"
STAFF = [
    ("claire.martin@example.com", Role.owner, "Claire", "Martin"),
    ("paul.bernard@example.com", Role.practitioner, "Paul", "Bernard"),
    ("julie.petit@example.com", Role.secretary, "Julie", "Petit"),
]
FAMILY = [  # two children whose parent 1 holds the demo number
    ("1001", "LEFEVRE", "Léa", "F", date(2012, 5, 14), FileStatus.in_treatment, date(2024, 9, 2)),
    ("1002", "LEFEVRE", "Hugo", "M", date(2015, 2, 3), FileStatus.consultation, None),
]
LAST = ["Moreau", "Laurent", "Simon", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
        "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Legrand"]
FIRST = ["Emma", "Gabriel", "Jade", "Raphaël", "Louise", "Arthur", "Alice", "Louis", "Chloé", "Jules",
         "Inès", "Adam", "Lina", "Maël", "Rose", "Noah", "Anna", "Léo", "Mia", "Sacha"]


def _demo_week(practitioner, actor) -> None:
    """Seed 001's visit kinds, and a week of them from today on."""
    from portal.agenda import services as agenda

    control = agenda.add_appointment_type(practitioner=practitioner, name="Contrôle", code="CONT",
                                          duration_minutes=20, actor=actor, online=True)
    first = agenda.add_appointment_type(practitioner=practitioner, name="Première consultation", code="RV1A",
                                        duration_minutes=40, actor=actor, new_patients=True, online=True,
                                        booking_message="Apportez la carte Vitale et les radios récentes.",
                                        carte_vitale=True)
    tele = agenda.add_appointment_type(practitioner=practitioner, name="Téléconsultation de suivi", code="TCS",
                                       duration_minutes=15, actor=actor, online=True, teleconsultation=True)
    week = agenda.create_schedule(practitioner=practitioner, name="Semaine type", actor=actor)
    for weekday in (0, 1, 3, 4):
        agenda.add_range(week, weekday=weekday, starts=time(9), ends=time(12), appointment_type=control, actor=actor)
        agenda.add_range(week, weekday=weekday, starts=time(14), ends=time(16), appointment_type=first, actor=actor)
    agenda.add_range(week, weekday=2, starts=time(8, 30), ends=time(12, 30), appointment_type=control, actor=actor)
    agenda.add_range(week, weekday=2, starts=time(14), ends=time(15), appointment_type=tele, actor=actor)
    agenda.activate_schedule(week, starts_on=utcnow().date(), ends_on=None, actor=actor)


def demo_practice() -> Practice | None:
    return db.session.scalar(select(Practice).where(Practice.slug == DEMO_SLUG))


def load_demo(*, extra_patients: int = 60, seed: int = 7) -> dict:
    """Create the demo practice; returns what to print. Refuses to run twice."""
    if demo_practice() is not None:
        raise ValueError("the demo practice already exists")
    actor = Actor.operator()
    practice = create_practice(name="Cabinet d'orthodontie du Dr Martin", slug=DEMO_SLUG,
                               address="3 rue Aristide Bergès", postal_code="21800", city="Sennecey-lès-Dijon",
                               phone="03 80 32 01 40", email="contact@example.com", actor=actor)
    practice.info_zones = ["Chirurgiens-dentistes spécialistes ODF",
                           "Bonjour, toute l'équipe du cabinet vous souhaite la bienvenue.",
                           "Parking gratuit devant le cabinet.", "", "", "", ""]
    practice.opening_hours = "Lundi au vendredi 9h–18h30, mercredi 8h30–16h30"
    secrets_by_email = {}
    for email, role, first, last in STAFF:
        user = staff_admin.create_staff(practice=practice, email=email, role=role, first_name=first, last_name=last,
                                        password=DEMO_PASSWORD, actor=actor)
        # Enrolled already, so the demo shows the everyday sign-in; `flask demo code` prints codes.
        user.totp_key = pyotp.random_base32()
        user.totp_confirmed_at = utcnow()
        secrets_by_email[email] = user.totp_key
        if role in (Role.owner, Role.practitioner):
            practitioner = add_practitioner(practice, first_name=first, last_name=last, actor=actor,
                                            specialty="Orthodontie", staff_user_id=user.id)
            _demo_week(practitioner, actor)
    parent = {"role": "parent1", "civility": "Mme", "last_name": "LEFEVRE", "first_name": "Sophie",
              "mobile": DEMO_PHONE, "email": "sophie.lefevre@example.com"}
    for number, last, first, sex, born, status, start in FAMILY:
        child = create_patient(practice_id=practice.id, number=number, last_name=last, first_name=first, sex=sex,
                               birth_date=born, file_status=status, treatment_start=start, city="Dijon",
                               responsibles=[parent, {**parent, "role": "financial"}], actor=actor)
        if status is FileStatus.in_treatment:
            _demo_ledger(practice, child, actor)
    rng = random.Random(seed)
    for i in range(extra_patients):
        born = date(rng.randint(1975, 2019), rng.randint(1, 12), rng.randint(1, 28))
        create_patient(practice_id=practice.id, number=str(2000 + i), last_name=rng.choice(LAST).upper(),
                       first_name=rng.choice(FIRST), sex=rng.choice("FM"), birth_date=born,
                       mobile=f"07{rng.randint(50000000, 89999999)}", file_status=rng.choice(list(FileStatus)),
                       actor=actor, audit_it=False)
    _demo_booking(practice)
    return {"practice": practice, "totp": secrets_by_email}


def _demo_ledger(practice, patient, actor) -> None:
    """Paiements: a quarterly schedule around today, a few fees, and one cheque that settled the
    oldest items; what is left shows a balance due and an overdue fee."""
    from datetime import timedelta

    from portal.billing import services as billing
    from portal.billing.models import ItemKind, PaymentMethod

    today = billing.practice_today(practice)
    for n, offset in enumerate((-270, -180, -90, 90, 180, 270), start=1):
        billing.add_item(practice=practice, patient=patient, kind=ItemKind.installment, label=f"Trimestre {n}",
                         amount_cents=39000, due_date=today + timedelta(days=offset), processed=offset < -100,
                         actor=actor)
    for label, cents, done_ago, due_ago in (("Bilan orthodontique", 9000, 310, 300),
                                            ("Radiographie panoramique", 4500, 25, 10),
                                            ("Moulages d'étude", 3000, 5, -25)):
        billing.add_item(practice=practice, patient=patient, kind=ItemKind.fee, label=label, amount_cents=cents,
                         care_date=today - timedelta(days=done_ago), due_date=today - timedelta(days=due_ago),
                         actor=actor)
    billing.record_payment(practice=practice, patient=patient, amount_cents=87000, method=PaymentMethod.cheque,
                           paid_on=today - timedelta(days=150), reference="Chèque n° 0421557",
                           payer_id=billing.default_responsible(patient).id, actor=actor)


def _demo_booking(practice) -> None:
    """Online booking switched on, with the practice's page filled in (seed 004's settings)."""
    from portal.booking.models import VisitReason
    from portal.booking.services import extend_windows, settings_for

    practice.options = {**(practice.options or {}), "booking": True}
    settings = settings_for(practice.id)
    settings.specialties = "Orthodontiste\nSpécialiste qualifié en orthopédie dento-faciale"
    settings.payment_methods = "Carte bancaire\nChèque\nEspèces"
    settings.transport = "Bus ligne 4, arrêt Mairie\nParking gratuit devant le cabinet"
    settings.floor, settings.lift, settings.disabled_access = "Rez-de-chaussée", False, True
    settings.convention = "Conventionné secteur 1"
    settings.visit_kinds = "Visites au cabinet sur rendez-vous pris en ligne ou au secrétariat."
    settings.secretariat_phone = practice.phone
    for i, label in enumerate(["Première consultation", "Contrôle de l'appareil", "Appareil cassé ou gênant",
                               "Visite par téléconsultation"]):
        db.session.add(VisitReason(practice_id=practice.id, label=label, position=i))
    db.session.flush()
    extend_windows()
