"""Fixtures of the reconciliation: practices taking online payment (keys saved, the option on), a
file with two items due, Checkout Sessions started the way the patient's form starts them, on
the local Stripe stub."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.accounts.models import Role
from portal.billing import online, services, stripe_account
from portal.billing.models import BillingFlag, ItemKind, Payment
from portal.core.audit import Actor
from portal.core.db import commit
from portal.extensions import db
from tests.billing_stripe.conftest import PK, SK, WHSEC, stub  # noqa: F401  (fixture)
from tests.conftest import Auth

OPERATOR = Actor.operator()


@dataclass
class Online:
    practice: object
    child: object
    account: object
    items: tuple


def online_practice(name: str, make_practice, make_patient) -> Online:
    practice = make_practice(name)
    practice.options = {**(practice.options or {}), "payments_online": True}
    parent = {"role": "parent1", "civility": "Mme", "last_name": "Martin", "first_name": "Claire",
              "mobile": "06 12 34 56 78"}
    child = make_patient(practice, last_name="Martin", first_name="Léa", birth_date=date(2000, 3, 4),
                         responsibles=[parent, {**parent, "role": "financial", "first_name": "Paul", "mobile": None,
                                                "email": "paul.martin@example.org"}])
    stripe_account.save_keys(practice, publishable_key=PK, secret_key=SK, webhook_secret=WHSEC, actor=OPERATOR)
    today = services.practice_today(practice)
    first = services.add_item(practice=practice, patient=child, kind=ItemKind.installment, label="1er semestre",
                              amount_cents=39000, due_date=today - timedelta(days=40), actor=OPERATOR)
    second = services.add_item(practice=practice, patient=child, kind=ItemKind.fee, label="Contention",
                               amount_cents=12000, due_date=today - timedelta(days=10), actor=OPERATOR)
    commit()
    return Online(practice, child, stripe_account.account_for(practice.id), (first, second))


@pytest.fixture
def shop(app, stub, make_practice, make_patient):  # noqa: F811
    return online_practice("Cabinet Rapprochement", make_practice, make_patient)


def start(shop: Online, amount: str) -> dict:
    """A Checkout Session as the patient's "Régler en ligne" form creates it."""
    session = online.start_checkout(practice=shop.practice, patient=shop.child, amount_text=amount,
                                    email="paul.martin@example.org", token=secrets.token_urlsafe(16),
                                    success_url="https://sourire.test/paiements?en_ligne=confirmation",
                                    cancel_url="https://sourire.test/paiements")
    commit()
    return session


def payments(patient) -> list[Payment]:
    db.session.expire_all()
    return list(db.session.scalars(select(Payment).where(Payment.patient_id == patient.id).order_by(Payment.id)))


def all_flags(practice) -> list[BillingFlag]:
    db.session.expire_all()
    return list(db.session.scalars(select(BillingFlag).where(BillingFlag.practice_id == practice.id)
                                   .order_by(BillingFlag.id)))


@pytest.fixture
def desk(app, make_staff):
    """A signed-in staff client of the practice, by role."""
    def signed_in(practice, role=Role.secretary):
        client = app.test_client()
        Auth(client).staff(make_staff(practice, role))
        return client

    return signed_in
