"""Régler en ligne: the form on Mes paiements (amount pre-filled, never raised, e-mail required,
one Checkout Session per form on the local stub), and the webhook handler recording the paid
session once, allocated to the oldest items, with its receipt queued once."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.billing import services, stripe_account
from portal.billing.models import ItemKind, Payment, PaymentMethod
from portal.billing.stripe_models import StripeEvent
from portal.core.audit import Actor
from portal.core.db import commit
from portal.extensions import db
from portal.notify.models import OutboxMessage
from tests.billing.conftest import OPERATOR, family, text  # noqa: F401  (fixture)
from tests.billing_stripe.conftest import PK, SK, WHSEC, event_body, post_event
from tests.conftest import csrf_from


@pytest.fixture
def online(family, stub):  # noqa: F811
    practice, child = family
    practice.options = {**(practice.options or {}), "payments_online": True}
    stripe_account.save_keys(practice, publishable_key=PK, secret_key=SK, webhook_secret=WHSEC,
                             actor=Actor.operator())
    financial = next(r for r in child.responsibles if r.role.value == "financial")
    financial.email = "paul.martin@example.org"
    today = services.practice_today(practice)
    first = services.add_item(practice=practice, patient=child, kind=ItemKind.installment, label="1er semestre",
                              amount_cents=39000, due_date=today - timedelta(days=40), actor=OPERATOR)
    second = services.add_item(practice=practice, patient=child, kind=ItemKind.fee, label="Contention",
                               amount_cents=12000, due_date=today - timedelta(days=10), actor=OPERATOR)
    commit()
    return practice, child, stripe_account.account_for(practice.id), (first, second)


def _form(page: str) -> dict:
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page)
    return {"csrf_token": csrf_from(page), "token": token.group(1) if token else ""}


def test_form_shown_only_when_offered_and_due(client, family, stub):  # noqa: F811
    practice, child = family
    assert "Régler en ligne" not in text(client.get("/paiements"))  # option off, no account


def test_amount_prefilled_lowered_and_one_session_per_form(client, online, stub):
    practice, child, account, _items = online
    page = text(client.get("/paiements"))
    assert 'id="billing-online"' in page and 'value="510,00"' in page and 'value="paul.martin@example.org"' in page
    data = {**_form(page), "amount": "200,50", "email": "paul.martin@example.org"}
    r = client.post("/paiements/en-ligne", data=data)
    assert r.status_code == 303
    [session] = stub.sessions.values()
    assert r.headers["Location"] == session["url"]
    assert session["amount_total"] == 20050 and session["currency"] == "eur"
    assert session["metadata"] == {"practice": str(practice.id), "patient": str(child.id),
                                   "payer": str(services.default_responsible(child).id), "amount_cents": "20050"}
    assert session["success_url"].endswith("/paiements?en_ligne=confirmation")
    assert session["cancel_url"].endswith("/paiements")
    posts = [q for q in stub.requests if q.method == "POST"]
    assert posts[0].idempotency_key.endswith(f":{data['token']}:20050")
    assert "Léa Martin" in posts[0].params["line_items"][0]["price_data"]["product_data"]["name"] or \
        "Martin" in posts[0].params["line_items"][0]["price_data"]["product_data"]["name"]
    again = client.post("/paiements/en-ligne", data=data)  # a double tap
    assert again.status_code == 303 and again.headers["Location"] == session["url"]
    assert len(stub.sessions) == 1
    back = text(client.get("/paiements?en_ligne=confirmation"))
    assert "en cours de confirmation" in back and "Solde restant dû : 510,00 €" in back  # only the webhook pays


def test_above_balance_or_without_email_refused_in_place(client, online, stub):
    page = text(client.get("/paiements"))
    r = client.post("/paiements/en-ligne", data={**_form(page), "amount": "600", "email": "a@example.org"})
    body = text(r)
    assert r.status_code == 422 and "ne peut pas dépasser le solde restant dû (510,00 €)" in body
    assert 'value="600"' in body and 'value="a@example.org"' in body
    r = client.post("/paiements/en-ligne", data={**_form(page), "amount": "100", "email": " "})
    assert r.status_code == 422 and "L'adresse e-mail est nécessaire pour recevoir le reçu." in text(r)
    assert 'value="100"' in text(r)
    assert not stub.sessions


def _paid(practice, child, amount, session_id="cs_test_paid", **meta):
    return {"id": session_id, "object": "checkout.session", "payment_status": "paid", "status": "complete",
            "amount_total": amount, "currency": "eur", "payment_intent": "pi_" + session_id,
            "customer_email": "paul.martin@example.org",
            "metadata": {"practice": str(practice.id), "patient": str(child.id), "amount_cents": str(amount), **meta}}


def _payments(child):
    db.session.expire_all()
    return db.session.scalars(select(Payment).where(Payment.patient_id == child.id)).all()


def test_paid_session_recorded_once_with_receipt(app, online):
    practice, child, account, (first, second) = online
    client = app.test_client()
    obj = _paid(practice, child, 45000)
    r = post_event(client, account, event_body("checkout.session.completed", obj))
    assert r.status_code == 200 and r.get_json()["status"] == "applied", r.get_data(as_text=True)
    for kind in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        assert post_event(client, account, event_body(kind, obj)).get_json()["status"] == "ignored"
    [payment] = _payments(child)
    assert (payment.amount_cents, payment.method, payment.reference) == (45000, PaymentMethod.online, "cs_test_paid")
    assert sorted((a.item_id, a.amount_cents) for a in payment.allocations) == [(first.id, 39000), (second.id, 6000)]
    assert services.balance_due(practice_id=practice.id, patient_id=child.id,
                                at=services.practice_today(practice)) == 6000
    [mail] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.key.like("receipt:%"))).all()
    assert mail.key == f"receipt:{payment.id}" and mail.recipient == "paul.martin@example.org"
    assert "Virement (en ligne)" in mail.body and "60,00" in mail.body and "450,00" in mail.body


def test_ignored_unpaid_other_practice_or_unknown(app, online, make_practice, make_patient):
    practice, child, account, _items = online
    client = app.test_client()
    unpaid = {**_paid(practice, child, 1000, "cs_unpaid"), "payment_status": "unpaid"}
    stranger = make_patient(make_practice("Ailleurs"), last_name="Autre", first_name="Zoé")
    commit()
    foreign = _paid(practice, child, 1000, "cs_foreign")
    foreign["metadata"]["patient"] = str(stranger.id)
    other_practice = _paid(practice, child, 1000, "cs_other")
    other_practice["metadata"]["practice"] = str(stranger.practice_id)
    for obj in (unpaid, foreign, other_practice):
        r = post_event(client, account, event_body("checkout.session.completed", obj))
        assert r.get_json()["status"] == "ignored"
    assert _payments(child) == [] and _payments(stranger) == []
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.key.like("receipt:%"))) is None


def test_more_than_due_records_the_balance_and_flags_the_excess(app, online):
    practice, child, account, _items = online
    services.record_payment(practice=practice, patient=child, amount_cents=50000, method=PaymentMethod.cheque,
                            paid_on=services.practice_today(practice), actor=OPERATOR)
    commit()
    r = post_event(app.test_client(), account, event_body("checkout.session.completed",
                                                          _paid(practice, child, 3000, "cs_excess")))
    assert r.get_json()["status"] == "applied"
    online_payment = next(p for p in _payments(child) if p.method is PaymentMethod.online)
    assert online_payment.amount_cents == 1000
    note = db.session.scalar(select(StripeEvent.note).where(StripeEvent.object_id == "cs_excess"))
    assert "20,00" in note and "30,00" in note and "rembourser" in note


def test_no_form_when_nothing_due_or_option_off(client, online, stub):
    practice, child, account, _items = online
    page = text(client.get("/paiements"))
    services.record_payment(practice=practice, patient=child, amount_cents=51000, method=PaymentMethod.cheque,
                            paid_on=services.practice_today(practice), actor=OPERATOR)
    commit()
    assert 'id="billing-online"' not in text(client.get("/paiements"))  # nothing due
    practice.options = {**practice.options, "payments_online": False}
    commit()
    r = client.post("/paiements/en-ligne", data={**_form(page), "amount": "10", "email": "a@example.org"})
    assert r.status_code == 303 and not stub.sessions


def test_completed_and_async_events_at_the_same_time_make_one_payment(app, online):
    # Two different event ids for one session: the row lock on the file makes the second wait
    # and see the first one's payment (on SQLite, writes are serialised anyway).
    import threading

    practice, child, account, _items = online
    obj = _paid(practice, child, 10000, "cs_race")
    payloads = [event_body(kind, obj) for kind in ("checkout.session.completed",
                                                   "checkout.session.async_payment_succeeded")]
    barrier, answers = threading.Barrier(2), []

    def deliver(payload):
        client = app.test_client()
        barrier.wait()
        answers.append(post_event(client, account, payload).get_json()["status"])

    threads = [threading.Thread(target=deliver, args=(p,)) for p in payloads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == ["applied", "ignored"]
    assert [p.amount_cents for p in _payments(child)] == [10000]
