"""Refunding an online payment from the console through Stripe (the local stub): the parent's
payment shows as "Virement (en ligne)", an owner refunds part of it, once however many times the
form is sent, never above what it holds, nothing recorded when Stripe is down; then Stripe's
refund events move the refund's status (failed: the items are due again), late ones ignored, and
a refund made in Stripe's dashboard recorded."""
from __future__ import annotations

import time

from sqlalchemy import select

from portal.accounts.models import Role
from portal.billing.models import RefundStatus
from portal.billing.stripe_models import StripeEvent
from portal.core.db import commit
from portal.core.models import AuditEvent
from portal.extensions import db
from tests.billing_refunds.conftest import balance, event_body, form_of, post_event, refunds_of, tab, text
from tests.notify.test_messages_page import parse


def _refund_page(client, child, payment):
    r = client.get(f"/console/patients/{child.id}/paiements/reglements/{payment.id}/rembourser")
    assert r.status_code == 200
    return text(r)


def _post_refund(client, child, payment, data):
    return client.post(f"/console/patients/{child.id}/paiements/reglements/{payment.id}/rembourser", data=data)


def _refund_posts(stub):
    return [q for q in stub.requests if q.method == "POST" and q.path == "/v1/refunds"]


def test_owner_refunds_part_of_an_online_payment_through_stripe(paid_online, team, stub):
    practice, child, (first, second), payment, session, _account = paid_online
    owner = team[Role.owner]
    page = tab(owner, child)
    row = parse(page).by_id(f"payment-{payment.id}")
    assert "Virement (en ligne)" in row.text and "450,00 €" in row.text and "Rembourser" in row.text
    assert "Modifier" not in row.text  # an online payment is only refunded
    assert balance(practice, child) == 6000
    form = _refund_page(owner, child, payment)
    assert 'value="450,00"' in form
    data = {**form_of(form), "amount": "100", "reason": "Geste commercial"}
    r = _post_refund(owner, child, payment, data)
    assert r.status_code == 303, text(r)
    [call] = _refund_posts(stub)
    assert call.params["payment_intent"] == session["payment_intent"] and call.params["amount"] == "10000"
    assert call.idempotency_key.startswith(f"refund:{practice.id}:{payment.id}:{data['token']}")
    [refund] = refunds_of(payment)
    assert call.params["metadata"] == {"practice": str(practice.id), "patient": str(child.id),
                                       "payment": str(payment.id), "refund": str(refund.id)}
    assert (refund.amount_cents, refund.status, refund.reason) == (10000, RefundStatus.succeeded, "Geste commercial")
    assert refund.stripe_refund_id == stub.refunds[0]["id"]
    # Latest due first: the 60 € the payment put on "Contention", then 40 € of "1er semestre".
    assert sorted((p.item_id, p.amount_cents) for p in refund.parts) == sorted([(second.id, 6000), (first.id, 4000)])
    assert balance(practice, child) == 16000
    after = tab(owner, child)
    assert "Remboursement de 100,00 € enregistré." in after
    refund_row = parse(after).by_id(f"refund-{refund.id}")
    assert "remboursé" in refund_row.text and "100,00 €" in refund_row.text and "Geste commercial" in refund_row.text
    assert "100,00 €" in parse(after).by_id(f"payment-{payment.id}").text
    assert "Solde restant dû : 160,00 €" in after
    history = parse(after).by_id("billing-history").text
    assert "Règlement remboursé" in history and "100,00 €" in history and "Règlement enregistré" in history
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.practice_id == practice.id)).all()
    assert "billing.payment_refunded" in actions


def test_a_form_sent_twice_refunds_once(paid_online, team, stub):
    _practice, child, _items, payment, _session, _account = paid_online
    owner = team[Role.owner]
    data = {**form_of(_refund_page(owner, child, payment)), "amount": "50", "reason": "Trop perçu"}
    assert _post_refund(owner, child, payment, data).status_code == 303
    assert _post_refund(owner, child, payment, data).status_code == 303
    assert len(refunds_of(payment)) == 1 and len(_refund_posts(stub)) == 1


def test_above_what_the_payment_holds_refused_in_place(paid_online, team, stub):
    _practice, child, _items, payment, _session, _account = paid_online
    owner = team[Role.owner]
    form = form_of(_refund_page(owner, child, payment))
    r = _post_refund(owner, child, payment, {**form, "amount": "450,01", "reason": "Erreur"})
    assert r.status_code == 422
    body = text(r)
    assert "dépasse ce qui reste de ce règlement (450,00 €)" in body and 'value="450,01"' in body and "Erreur" in body
    r = _post_refund(owner, child, payment, {**form, "amount": "10", "reason": " "})
    assert r.status_code == 422 and "Indiquez le motif du remboursement." in text(r)
    assert refunds_of(payment) == [] and _refund_posts(stub) == []
    # What was already refunded is no longer refundable.
    assert _post_refund(owner, child, payment, {**form, "amount": "400", "reason": "Erreur"}).status_code == 303
    again = form_of(_refund_page(owner, child, payment))
    r = _post_refund(owner, child, payment, {**again, "amount": "50,01", "reason": "Encore"})
    assert r.status_code == 422 and "(50,00 €)" in text(r)


def test_stripe_down_records_nothing(paid_online, team, stub):
    practice, child, _items, payment, _session, _account = paid_online
    owner = team[Role.owner]
    stub.fail_next(400, "boom")
    form = form_of(_refund_page(owner, child, payment))
    r = _post_refund(owner, child, payment, {**form, "amount": "100", "reason": "Erreur"})
    assert r.status_code == 422 and "indisponible pour le moment" in text(r) and 'value="100"' in text(r)
    assert refunds_of(payment) == [] and balance(practice, child) == 6000
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "billing.payment_refunded")) is None


def _refund_event(app, account, refund, status, *, created=None, **extra):
    obj = {"id": refund.stripe_refund_id, "object": "refund", "amount": refund.amount_cents, "currency": "eur",
           "payment_intent": "pi_x", "status": status,
           "metadata": {"practice": str(refund.practice_id), "refund": str(refund.id)}, **extra}
    kind = "refund.failed" if status == "failed" else "refund.updated"
    return post_event(app.test_client(), account, event_body(kind, obj, created=created)).get_json()["status"]


def test_failed_refund_makes_the_items_paid_again(app, paid_online, team, stub):
    practice, child, _items, payment, _session, account = paid_online
    owner = team[Role.owner]
    form = form_of(_refund_page(owner, child, payment))
    _post_refund(owner, child, payment, {**form, "amount": "100", "reason": "Erreur"})
    [refund] = refunds_of(payment)
    assert balance(practice, child) == 16000
    assert _refund_event(app, account, refund, "failed") == "applied"
    [refund] = refunds_of(payment)
    assert refund.status is RefundStatus.failed and balance(practice, child) == 6000
    assert "échec" in parse(tab(owner, child)).by_id(f"refund-{refund.id}").text
    # A failed refund gives nothing back: the whole payment may be refunded again.
    assert 'value="450,00"' in _refund_page(owner, child, payment)


def test_pending_refund_settles_with_its_event_and_late_news_is_ignored(app, paid_online, team, stub):
    practice, child, _items, payment, _session, account = paid_online
    owner = team[Role.owner]
    stub.refund_status = "pending"
    form = form_of(_refund_page(owner, child, payment))
    r = _post_refund(owner, child, payment, {**form, "amount": "100", "reason": "Erreur"})
    assert "demandé à Stripe : en cours" in text(owner.get(r.headers["Location"]))
    [refund] = refunds_of(payment)
    assert refund.status is RefundStatus.pending and balance(practice, child) == 16000  # already counted
    assert "en cours" in parse(tab(owner, child)).by_id(f"refund-{refund.id}").text
    now = int(time.time())
    assert _refund_event(app, account, refund, "succeeded", created=now) == "applied"
    assert refunds_of(payment)[0].status is RefundStatus.succeeded
    # Older news of the same refund, delivered late, would undo the newer one: ignored.
    assert _refund_event(app, account, refund, "failed", created=now - 60) == "ignored"
    assert refunds_of(payment)[0].status is RefundStatus.succeeded and balance(practice, child) == 16000
    note = db.session.scalar(select(StripeEvent.note).where(StripeEvent.type == "refund.failed"))
    assert "out of order" in note


def test_refund_made_in_stripes_dashboard_is_recorded_and_other_practices_ignored(app, paid_online, team, stub):
    practice, child, _items, payment, session, account = paid_online
    obj = {"id": "re_dashboard", "object": "refund", "amount": 5000, "currency": "eur",
           "payment_intent": session["payment_intent"], "status": "succeeded", "metadata": {}}
    r = post_event(app.test_client(), account, event_body("refund.created", obj))
    assert r.get_json()["status"] == "applied"
    [refund] = refunds_of(payment)
    assert (refund.amount_cents, refund.stripe_refund_id, refund.recorded_by_id) == (5000, "re_dashboard", None)
    assert balance(practice, child) == 11000
    # The same refund's next event updates it rather than recording it twice.
    r = post_event(app.test_client(), account, event_body("refund.updated", {**obj, "status": "failed"}))
    assert r.get_json()["status"] == "applied" and [x.status for x in refunds_of(payment)] == [RefundStatus.failed]
    for other in ({**obj, "id": "re_foreign", "metadata": {"practice": str(practice.id + 1000)}},
                  {**obj, "id": "re_unknown", "payment_intent": "pi_unknown"},
                  {**obj, "id": "re_too_much", "amount": 45001}):
        assert post_event(app.test_client(), account, event_body("refund.created", other)).get_json()["status"] \
            == "ignored"
    assert len(refunds_of(payment)) == 1


def test_payment_intent_asked_of_stripe_when_no_event_names_it(paid_online, team, stub):
    _practice, child, _items, payment, session, _account = paid_online
    db.session.execute(StripeEvent.__table__.update().values(payment_intent=""))
    commit()
    owner = team[Role.owner]
    form = form_of(_refund_page(owner, child, payment))
    assert _post_refund(owner, child, payment, {**form, "amount": "10", "reason": "Erreur"}).status_code == 303
    assert any(q.method == "GET" and q.path == f"/v1/checkout/sessions/{session['id']}" for q in stub.requests)
    assert _refund_posts(stub)[0].params["payment_intent"] == session["payment_intent"]
