"""Paying a teleconsultation online (seed 004's "Payer"): offered in the patient space and right
after booking only where the practice offers online payment; one Checkout Session per form
with `kind=teleconsult` and `items=<fee>`; the signed paid event allocates to that fee only, and
the red marker leaves the patient space, the planning and the patient search."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from portal.agenda import desk as agenda_desk
from portal.billing import services, teleconsult
from portal.billing.models import BillingItem, ItemKind, Payment, PaymentMethod
from portal.core.db import commit
from portal.extensions import db
from tests.billing.conftest import OPERATOR, text
from tests.billing_stripe.conftest import event_body, post_event
from tests.billing_teleconsult.conftest import PRICE, book
from tests.billing_teleconsult.test_prepayment import element
from tests.conftest import csrf_from


def _form(page: str) -> dict:
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', page)
    return {"csrf_token": csrf_from(page), "token": token.group(1) if token else ""}


def test_no_pay_button_unless_online_payment_is_offered(client, tele):
    appointment = book(tele, tele.video)
    for url in ("/rendez-vous", "/"):
        page = text(client.get(url))
        assert "non payée" in element(page, "space-unpaid") and "Payer" not in element(page, "space-unpaid")
    assert "non payée" in element(text(client.get("/rendez-vous")), f"visit-{appointment.id}")
    r = client.get(f"/paiements/teleconsultation/{appointment.id}")
    assert r.status_code == 303


def test_pay_now_creates_one_session_for_the_fee_and_the_webhook_pays_it(app, client, paying, desk):
    tele = paying
    today = services.practice_today(tele.practice)
    older = services.add_item(practice=tele.practice, patient=tele.child, kind=ItemKind.installment,
                              label="1er semestre", amount_cents=39000, due_date=today - timedelta(days=30),
                              actor=OPERATOR)
    commit()
    appointment = book(tele, tele.video)
    [fee] = [i for i in db.session.scalars(select(BillingItem)) if i.id != older.id]
    listing = text(client.get("/rendez-vous"))
    assert f'/paiements/teleconsultation/{appointment.id}"' in element(listing, "space-unpaid")
    assert "Payer" in element(text(client.get("/")), "space-unpaid")
    page = text(client.get(f"/paiements/teleconsultation/{appointment.id}"))
    assert 'value="paul.martin@example.org"' in page and "Payer maintenant (25,00 €)" in page
    data = {**_form(page), "email": "paul.martin@example.org"}
    r = client.post(f"/paiements/teleconsultation/{appointment.id}", data=data)
    assert r.status_code == 303
    [session] = list(tele.stub.sessions.values())
    assert r.headers["Location"] == session["url"] and session["amount_total"] == PRICE
    assert session["metadata"]["kind"] == "teleconsult" and session["metadata"]["items"] == str(fee.id)
    assert client.post(f"/paiements/teleconsultation/{appointment.id}", data=data).headers["Location"] == session["url"]
    assert len(tele.stub.sessions) == 1

    paid = tele.stub.complete(session["id"])
    r = post_event(app.test_client(), tele.account, event_body("checkout.session.completed", paid))
    assert r.get_json()["status"] == "applied", r.get_data(as_text=True)
    db.session.expire_all()
    [payment] = db.session.scalars(select(Payment)).all()
    assert (payment.method, payment.amount_cents) == (PaymentMethod.online, PRICE)
    assert [(a.item_id, a.amount_cents) for a in payment.allocations] == [(fee.id, PRICE)]  # not the older item
    assert element(text(client.get("/rendez-vous")), "space-unpaid") == ""
    assert "non payée" not in element(text(client.get("/rendez-vous")), f"visit-{appointment.id}")
    assert element(text(client.get("/")), "space-unpaid") == ""
    staff = desk(tele.owner)
    day = agenda_desk.day_of(tele.practice, appointment.starts_at).isoformat()
    week = text(staff.get(f"/console/agenda/semaine?praticien={tele.practitioner.id}&jour={day}"))
    assert "non payée" not in element(week, f"planning-appointment-{appointment.id}")
    assert "non payée" not in element(text(staff.get("/console/patients/?q=Martin")), f"patient-{tele.child.id}")
    # paid: the pay page says so and a late submit is refused
    assert 'id="teleconsult-charge-paid"' in text(client.get(f"/paiements/teleconsultation/{appointment.id}"))
    assert client.post(f"/paiements/teleconsultation/{appointment.id}", data=data).status_code == 303
    assert len(tele.stub.sessions) == 1


def test_bad_email_refused_in_place(client, paying):
    appointment = book(paying, paying.video)
    page = text(client.get(f"/paiements/teleconsultation/{appointment.id}"))
    r = client.post(f"/paiements/teleconsultation/{appointment.id}", data={**_form(page), "email": "nope"})
    assert r.status_code == 422 and "adresse e-mail valide" in text(r) and 'value="nope"' in text(r)


def test_items_of_another_file_are_ignored(app, paying, make_patient):
    appointment = book(paying, paying.video)
    charge = teleconsult.charge_of(appointment)
    other = make_patient(paying.practice, last_name="Autre", first_name="Jean")
    commit()
    obj = {"id": "cs_test_other", "object": "checkout.session", "payment_status": "paid", "amount_total": PRICE,
           "metadata": {"practice": str(paying.practice.id), "patient": str(other.id), "kind": "teleconsult",
                        "items": str(charge.item_id)}}
    r = post_event(app.test_client(), paying.account, event_body("checkout.session.completed", obj))
    assert r.get_json()["status"] == "ignored"
    assert db.session.scalar(select(Payment)) is None


def test_another_patients_visit_answers_404(client, paying, make_patient, make_practice):
    other = make_patient(paying.practice, last_name="Autre", first_name="Jean")
    commit()
    paying.child, mine = other, paying.child
    appointment = book(paying, paying.video)
    paying.child = mine
    assert client.get(f"/paiements/teleconsultation/{appointment.id}").status_code == 404
    assert client.get("/paiements/teleconsultation/999999").status_code == 404


def test_pay_now_right_after_booking(client, paying):
    paying.practice.options = {**paying.practice.options, "booking": True}
    appointment = book(paying, paying.video)
    with client.session_transaction() as session:
        session["booking_done"] = appointment.id
    url = f"/cabinet/{paying.practice.slug}/rendez-vous/confirme"
    r = client.get(url)
    page = text(r)
    assert "non payée" in element(page, "booking-prepayment") and 'id="teleconsult-pay"' in page
    assert "form-action 'self' https://checkout.stripe.com" in r.headers["Content-Security-Policy"]
    r = client.post(f"/cabinet/{paying.practice.slug}/rendez-vous/payer",
                    data={**_form(page), "email": "paul.martin@example.org"})
    [session] = paying.stub.sessions.values()
    assert r.status_code == 303 and r.headers["Location"] == session["url"]
    assert session["success_url"].endswith("/rendez-vous/confirme?paiement=confirmation")
    plain = book(paying, paying.plain)
    with client.session_transaction() as session:
        session["booking_done"] = plain.id
    assert 'id="booking-prepayment"' not in text(client.get(url))
