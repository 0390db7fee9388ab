"""A practice with a signed-in family (tests/billing), a practitioner whose "Téléconsultation"
type asks for 25,00 € at booking, a plain visit type, every day 08:00–20:00, and the practice's
Stripe account on the local stub with online payment on."""
from __future__ import annotations

from datetime import date, time, timedelta
from types import SimpleNamespace

import pytest

from portal.accounts.models import Role
from portal.agenda import services as agenda
from portal.agenda.availability import free_slots
from portal.billing import services, stripe_account
from portal.core.audit import Actor
from portal.core.db import commit
from portal.core.services import add_practitioner
from tests.billing.conftest import OPERATOR, desk, family  # noqa: F401  (fixtures)
from tests.billing_stripe.conftest import PK, SK, WHSEC, stub  # noqa: F401  (fixture)

PRICE = 2500


@pytest.fixture
def tele(family, make_staff):  # noqa: F811
    practice, child = family
    practitioner = add_practitioner(practice, first_name="Claire", last_name="Roux", actor=OPERATOR)
    video = agenda.add_appointment_type(practitioner=practitioner, name="Téléconsultation", code="TC",
                                        duration_minutes=30, actor=OPERATOR, teleconsultation=True, prepayment=True,
                                        price_cents=PRICE, online=True)
    plain = agenda.add_appointment_type(practitioner=practitioner, name="Contrôle", code="CONT",
                                        duration_minutes=30, actor=OPERATOR, online=True)
    free_video = agenda.add_appointment_type(practitioner=practitioner, name="Vidéo offerte", code="VO",
                                             duration_minutes=30, actor=OPERATOR, teleconsultation=True)
    schedule = agenda.create_schedule(practitioner=practitioner, name="Tous les jours", actor=OPERATOR)
    for weekday in range(7):
        agenda.add_range(schedule, weekday=weekday, starts=time(8), ends=time(12), appointment_type=video,
                         actor=OPERATOR)
        agenda.add_range(schedule, weekday=weekday, starts=time(12), ends=time(16), appointment_type=plain,
                         actor=OPERATOR)
        agenda.add_range(schedule, weekday=weekday, starts=time(16), ends=time(20), appointment_type=free_video,
                         actor=OPERATOR)
    agenda.activate_schedule(schedule, starts_on=date(2026, 1, 1), ends_on=None, actor=OPERATOR)
    owner = make_staff(practice, Role.owner)
    financial = next(r for r in child.responsibles if r.role.value == "financial")
    financial.email = "paul.martin@example.org"
    commit()
    return SimpleNamespace(practice=practice, child=child, practitioner=practitioner, video=video, plain=plain,
                           free_video=free_video, owner=owner)


@pytest.fixture
def paying(tele, stub):
    """Online payment offered: the option on and the practice's keys saved."""
    tele.practice.options = {**(tele.practice.options or {}), "payments_online": True}
    stripe_account.save_keys(tele.practice, publishable_key=PK, secret_key=SK, webhook_secret=WHSEC,
                             actor=Actor.operator())
    commit()
    tele.account, tele.stub = stripe_account.account_for(tele.practice.id), stub
    return tele


def book(tele, kind, *, days: int = 2, index: int = 0, actor=OPERATOR):
    """Book `kind` for the child in `days` days (its `index`-th free slot that day)."""
    day = services.practice_today(tele.practice) + timedelta(days=days)
    slots = free_slots(practice=tele.practice, practitioner_id=tele.practitioner.id, first=day, last=day,
                       appointment_type_id=kind.id)
    appointment = agenda.book_appointment(practice=tele.practice, practitioner_id=tele.practitioner.id,
                                          appointment_type_id=kind.id, patient_id=tele.child.id,
                                          starts_at=slots[index].starts_at, actor=actor,
                                          teleconsult_mobile="+33612345678" if kind.teleconsultation else "")
    commit()
    return appointment
