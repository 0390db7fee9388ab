"""A family whose parent paid part of the balance online (through the Stripe stub and the signed
completed event, as in production), an owner, a practitioner and a secretary of the practice
signed in on their own clients, and helpers to read the console's Paiements tab."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accounts.models import Role
from portal.billing import services, stripe_account
from portal.billing.models import ItemKind, Payment, Refund
from portal.core.audit import Actor
from portal.core.db import commit
from portal.extensions import db
from tests.billing.conftest import OPERATOR, desk, family, text  # noqa: F401  (fixtures)
from tests.billing_stripe.conftest import PK, SK, WHSEC, event_body, post_event, stub  # noqa: F401
from tests.conftest import csrf_from


def tab(client, patient) -> str:
    return text(client.get(f"/console/patients/{patient.id}", query_string={"rubrique": "paiements"}))


def form_of(page: str) -> dict:
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page)
    return {"csrf_token": csrf_from(page), "token": token.group(1) if token else ""}


def balance(practice, child) -> int:
    db.session.expire_all()
    return services.balance_due(practice_id=practice.id, patient_id=child.id, at=services.practice_today(practice))


def refunds_of(payment) -> list[Refund]:
    db.session.expire_all()
    return list(db.session.scalars(select(Refund).where(Refund.payment_id == payment.id).order_by(Refund.id)))


@pytest.fixture
def ledger(family):  # noqa: F811
    """390 € due 40 days ago, 120 € due 10 days ago: 510 € due."""
    practice, child = family
    today = services.practice_today(practice)
    first = services.add_item(practice=practice, patient=child, kind=ItemKind.installment, label="1er semestre",
                              amount_cents=39000, due_date=today - timedelta(days=40), actor=OPERATOR)
    second = services.add_item(practice=practice, patient=child, kind=ItemKind.fee, label="Contention",
                               amount_cents=12000, due_date=today - timedelta(days=10), actor=OPERATOR)
    commit()
    return practice, child, (first, second)


@pytest.fixture
def team(ledger, make_staff, desk):  # noqa: F811
    practice = ledger[0]
    return {role: desk(make_staff(practice, role)) for role in Role}


@pytest.fixture
def paid_online(app, client, ledger, stub):  # noqa: F811
    """The parent pays 450 € of the 510 € online: Checkout on the stub, then the signed event."""
    practice, child, items = ledger
    practice.options = {**(practice.options or {}), "payments_online": True}
    stripe_account.save_keys(practice, publishable_key=PK, secret_key=SK, webhook_secret=WHSEC,
                             actor=Actor.operator())
    commit()
    page = text(client.get("/paiements"))
    r = client.post("/paiements/en-ligne", data={**form_of(page), "amount": "450", "email": "paul@example.org"})
    assert r.status_code == 303
    [session_id] = stub.sessions
    session = stub.complete(session_id)
    account = stripe_account.account_for(practice.id)
    r = post_event(app.test_client(), account, event_body("checkout.session.completed", session))
    assert r.get_json()["status"] == "applied"
    payment = db.session.scalar(select(Payment).where(Payment.reference == session_id))
    return practice, child, items, payment, session, account
