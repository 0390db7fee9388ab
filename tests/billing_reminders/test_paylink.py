"""The payment link: a reminder carries it (sealed in the outbox), it opens a page with only the
practice, the patient's first name and initial, the label and the amount; tampered, expired,
paid or another practice's item is refused without data; paying through the Stripe stub
allocates to that item only, and the reminders stop."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from portal.billing import paylinks, services
from portal.billing.models import ItemKind, Payment, PaymentMethod
from portal.core.db import commit
from portal.extensions import db
from portal.notify.services import delivery_text
from tests.billing_reminders.conftest import OPERATOR, add, keys, sent, sweep, text
from tests.billing_stripe.conftest import event_body, post_event
from tests.conftest import csrf_from


def _link_of(message) -> str:
    return re.search(r"https://sourire\.test(/paiements/lien/\S+)", delivery_text(message)).group(1)


def _token(item, amount, now=None, practice_id=None, patient_id=None) -> str:
    return paylinks.make_token(practice_id=practice_id or item.practice_id, patient_id=patient_id or item.patient_id,
                               item_id=item.id, amount_cents=amount, now=now or datetime.now(UTC))


def _form(page: str) -> dict:
    return {"csrf_token": csrf_from(page), "token": re.search(r'name="token" type="hidden" value="([^"]+)"',
                                                              page).group(1)}


def test_reminder_link_opens_the_item_and_nothing_else(app, online):
    practice, child, item, _account = online
    today = services.practice_today(practice)
    sweep(today)
    email = next(m for m in sent(item) if m.channel.value == "email")
    assert "/paiements/lien/" not in email.body  # sealed until it is sent
    url = _link_of(email)
    assert url == _link_of(next(m for m in sent(item) if m.channel.value == "sms"))
    r = app.test_client().get(url)
    page = text(r)
    assert r.status_code == 200 and f'id="paylink-{item.id}"' in page
    assert "Cabinet Paiements" in page and "Léa M." in page and "1er semestre" in page and "390,00 €" in page
    for private in ("Martin", "paul.martin", "Paul", "Claire", "06 12"):
        assert private not in page
    assert "https://checkout.stripe.com" in r.headers["Content-Security-Policy"]


def test_tampered_expired_or_other_practice_refused(app, online, make_practice, make_patient):
    practice, child, item, _account = online
    client = app.test_client()
    token = _token(item, 39000)
    assert client.get(f"/paiements/lien/{token}").status_code == 200
    body, signature = token.rsplit(".", 1)
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), f"{body}x.{signature}", "nimportequoi"):
        r = client.get(f"/paiements/lien/{bad}")
        assert r.status_code == 404 and "n'est pas valable" in text(r) and "1er semestre" not in text(r)
    expired = _token(item, 39000, now=datetime.now(UTC) - timedelta(days=31))
    r = client.get(f"/paiements/lien/{expired}")
    assert r.status_code == 410 and "expiré" in text(r) and "1er semestre" not in text(r)
    elsewhere = make_practice("Ailleurs")
    stranger = make_patient(elsewhere, last_name="Autre", first_name="Zoé")
    theirs = add(elsewhere, stranger, label="Secret d'ailleurs")
    for token in (_token(theirs, 39000, practice_id=practice.id, patient_id=child.id),
                  _token(item, 39000, practice_id=elsewhere.id),
                  _token(item, 39000, patient_id=stranger.id)):
        r = client.get(f"/paiements/lien/{token}")
        assert r.status_code == 404 and "Secret d'ailleurs" not in text(r) and "1er semestre" not in text(r)
    practice.options = {**practice.options, "payments": False}
    commit()
    assert client.get(f"/paiements/lien/{_token(item, 39000)}").status_code == 404


def test_without_online_payment_the_page_has_no_button(app, online, stub):
    practice, child, item, _account = online
    client = app.test_client()
    url = f"/paiements/lien/{_token(item, 39000)}"
    form = _form(text(client.get(url)))  # opened while it was offered
    practice.options = {**practice.options, "payments_online": False}
    commit()
    r = client.get(url)
    assert r.status_code == 200 and 'id="paylink-offline"' in text(r) and 'id="paylink-form"' not in text(r)
    r = client.post(url, data={**form, "email": "a@example.org"})
    assert r.status_code == 422 and not stub.sessions


def test_bad_email_refused_in_place(app, online, stub):
    practice, child, item, _account = online
    client = app.test_client()
    url = f"/paiements/lien/{_token(item, 39000)}"
    page = text(client.get(url))
    r = client.post(url, data={**_form(page), "email": "pas-une-adresse"})
    assert r.status_code == 422 and "adresse e-mail valide" in text(r) and 'value="pas-une-adresse"' in text(r)
    assert not stub.sessions


def test_paying_through_the_link_settles_that_item_only_and_stops_reminders(app, online, stub):
    practice, child, item, account = online
    today = services.practice_today(practice)
    older = add(practice, child, label="Contention", amount=12000, due=today - timedelta(days=40), kind=ItemKind.fee)
    services.record_payment(practice=practice, patient=child, amount_cents=9000, method=PaymentMethod.cheque,
                            paid_on=today, item_ids=[item.id], actor=OPERATOR)
    commit()
    client = app.test_client()
    url = f"/paiements/lien/{_token(item, 39000)}"  # sent before the cheque: 390,00 €
    page = text(client.get(url))
    assert "300,00 €" in page  # lowered to what remains now
    r = client.post(url, data={**_form(page), "email": "payeur@example.org"})
    assert r.status_code == 303
    [session] = stub.sessions.values()
    assert r.headers["Location"] == session["url"] and session["amount_total"] == 30000
    assert session["metadata"]["items"] == str(item.id) and session["metadata"]["patient"] == str(child.id)
    assert session["success_url"].endswith("?en_ligne=confirmation")
    paid = stub.complete(session["id"])
    r = post_event(client, account, event_body("checkout.session.completed", paid))
    assert r.get_json()["status"] == "applied", r.get_data(as_text=True)
    db.session.expire_all()
    payment = db.session.scalar(select(Payment).where(Payment.method == PaymentMethod.online))
    assert [(a.item_id, a.amount_cents) for a in payment.allocations] == [(item.id, 30000)]  # not the older fee
    gone = client.get(url)
    assert gone.status_code == 410 and "déjà été reçu" in text(gone)
    sweep(today + timedelta(days=7))
    assert not [k for k in keys(item) if ":1:" in k]  # paid: no next step
    assert [k for k in keys(older)]  # the unpaid fee still is reminded


def test_a_link_payment_never_takes_more_than_the_item_lacks(app, online, stub):
    practice, child, item, account = online
    client = app.test_client()
    url = f"/paiements/lien/{_token(item, 39000)}"
    page = text(client.get(url))
    client.post(url, data={**_form(page), "email": "payeur@example.org"})
    [session] = stub.sessions.values()
    services.record_payment(practice=practice, patient=child, amount_cents=39000 - 5000,
                            method=PaymentMethod.cheque, paid_on=services.practice_today(practice),
                            item_ids=[item.id], actor=OPERATOR)
    commit()
    r = post_event(client, account, event_body("checkout.session.completed", stub.complete(session["id"])))
    assert r.get_json()["status"] == "applied"
    db.session.expire_all()
    payment = db.session.scalar(select(Payment).where(Payment.method == PaymentMethod.online))
    assert payment.amount_cents == 5000 and [a.item_id for a in payment.allocations] == [item.id]
