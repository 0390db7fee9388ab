"""Payments received at the desk: refunded by hand (recorded as given back, the way noted), who
may refund (owners and practitioners; secretaries see refunds, 403 on the form), other
practices' payments (404), and correcting or deleting such a payment (a new amount allocated
afresh; refused for online or refunded payments; bad input 422 in place; audited)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accounts.models import Role
from portal.billing import refunds, services
from portal.billing.models import Allocation, Payment, PaymentMethod, RefundStatus
from portal.core.models import AuditEvent
from portal.core.db import commit
from portal.extensions import db
from tests.billing.conftest import OPERATOR
from tests.billing_refunds.conftest import balance, form_of, refunds_of, tab, text
from tests.conftest import csrf_from
from tests.notify.test_messages_page import parse


def _cheque(practice, child, cents=45000, **kw):
    payment = services.record_payment(practice=practice, patient=child, amount_cents=cents,
                                      method=PaymentMethod.cheque, reference="Chq 1234",
                                      paid_on=services.practice_today(practice) - timedelta(days=2), actor=OPERATOR,
                                      **kw)
    commit()
    return payment


def _base(child, payment):
    return f"/console/patients/{child.id}/paiements/reglements/{payment.id}"


def test_desk_payment_refunded_by_hand(ledger, team):
    practice, child, _items = ledger
    payment = _cheque(practice, child)
    practitioner = team[Role.practitioner]
    page = text(practitioner.get(_base(child, payment) + "/rembourser"))
    assert 'value="450,00"' in page and 'id="given_back_by"' in page
    r = practitioner.post(_base(child, payment) + "/rembourser",
                          data={**form_of(page), "amount": "30", "given_back_by": "cash", "reason": "Trop perçu"})
    assert r.status_code == 303
    [refund] = refunds_of(payment)
    assert refund.status is RefundStatus.succeeded and refund.stripe_refund_id is None
    assert refund.reason == "Espèces — Trop perçu" and refund.recorded_by_id is not None
    assert balance(practice, child) == 6000 + 3000
    row = parse(tab(practitioner, child)).by_id(f"refund-{refund.id}")
    assert "remboursé" in row.text and "Espèces — Trop perçu" in row.text and "30,00 €" in row.text


def test_secretary_sees_refunds_but_may_not_refund(ledger, team):
    practice, child, _items = ledger
    payment = _cheque(practice, child)
    refunds.refund_payment(practice=practice, payment=payment, amount_cents=1000, reason="Erreur",
                           token="t" * 24, actor=OPERATOR)
    commit()
    secretary = team[Role.secretary]
    page = tab(secretary, child)
    assert parse(page).by_id(f"refund-{refunds_of(payment)[0].id}") is not None
    assert f'id="payment-{payment.id}-refund"' not in page
    assert f'id="payment-{payment.id}-refund"' in tab(team[Role.owner], child)
    assert secretary.get(_base(child, payment) + "/rembourser").status_code == 403
    r = secretary.post(_base(child, payment) + "/rembourser",
                       data={"csrf_token": csrf_from(page), "token": "u" * 24, "amount": "10", "reason": "x"})
    assert r.status_code == 403 and len(refunds_of(payment)) == 1


def test_other_practices_payment_is_404(ledger, team, make_practice, make_staff, desk):
    practice, child, _items = ledger
    payment = _cheque(practice, child)
    stranger = desk(make_staff(make_practice("Autre cabinet"), Role.owner))
    base = _base(child, payment)
    assert stranger.get(base + "/rembourser").status_code == 404
    assert stranger.get(base).status_code == 404
    token = csrf_from(text(stranger.get("/console/")))
    for path in ("/rembourser", "", "/supprimer"):
        r = stranger.post(base + path, data={"csrf_token": token, "token": "v" * 24, "amount": "1", "reason": "x",
                                             "method": "cash"})
        assert r.status_code == 404
    assert refunds_of(payment) == [] and db.session.get(Payment, payment.id).amount_cents == 45000


def test_desk_payment_corrected_and_reallocated(ledger, team):
    practice, child, (first, second) = ledger
    payment = _cheque(practice, child, 39000)
    secretary = team[Role.secretary]
    page = text(secretary.get(_base(child, payment)))
    assert 'value="390,00"' in page and 'value="Chq 1234"' in page
    data = {"csrf_token": csrf_from(page), "amount": "600", "method": "transfer",
            "paid_on": payment.paid_on.isoformat(), "payer_id": "", "reference": "VIR 9", "note": "corrigé"}
    r = secretary.post(_base(child, payment), data=data)
    assert r.status_code == 422
    body = text(r)
    assert "dépasse ce qui reste dû (510,00 €)" in body and 'value="600"' in body and 'value="VIR 9"' in body
    assert balance(practice, child) == 12000  # nothing changed
    r = secretary.post(_base(child, payment), data={**data, "amount": "450"})
    assert r.status_code == 303
    db.session.expire_all()
    changed = db.session.get(Payment, payment.id)
    assert (changed.amount_cents, changed.method, changed.reference, changed.note, changed.payer_name) == (
        45000, PaymentMethod.transfer, "VIR 9", "corrigé", child.full_name)
    assert sorted((a.item_id, a.amount_cents) for a in changed.allocations) == sorted(
        [(first.id, 39000), (second.id, 6000)])
    assert balance(practice, child) == 6000
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "billing.payment_changed"))
    assert event.details["before"]["amount_cents"] == 39000 and event.details["after"]["amount_cents"] == 45000
    assert event.details["before"]["method"] == "cheque" and event.details["after"]["reference"] == "VIR 9"
    r = secretary.post(_base(child, payment), data={**data, "amount": "abc"})
    assert r.status_code == 422 and "Montant invalide" in text(r)


def test_desk_payment_deleted_makes_its_items_due_again(ledger, team):
    practice, child, _items = ledger
    payment = _cheque(practice, child)
    secretary = team[Role.secretary]
    page = tab(secretary, child)
    assert balance(practice, child) == 6000
    payment_id = payment.id
    r = secretary.post(_base(child, payment) + "/supprimer", data={"csrf_token": csrf_from(page)})
    assert r.status_code == 303
    assert balance(practice, child) == 51000
    assert db.session.scalar(select(Payment).where(Payment.id == payment_id)) is None
    assert db.session.scalar(select(Allocation).where(Allocation.payment_id == payment_id)) is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "billing.payment_deleted"))
    assert event.target_id == payment_id and event.details["before"]["amount_cents"] == 45000


def test_online_or_refunded_payments_can_be_neither_changed_nor_deleted(paid_online, team):
    practice, child, _items, online, _session, _account = paid_online
    cheque = services.record_payment(practice=practice, patient=child, amount_cents=1000,
                                     method=PaymentMethod.cheque, paid_on=services.practice_today(practice),
                                     actor=OPERATOR)
    refunds.refund_payment(practice=practice, payment=cheque, amount_cents=500, reason="Erreur", token="w" * 24,
                           actor=OPERATOR)
    commit()
    owner = team[Role.owner]
    page = tab(owner, child)
    for payment in (online, cheque):
        row = parse(page).by_id(f"payment-{payment.id}")
        assert "Modifier" not in row.text and "Supprimer" not in row.text
        r = owner.get(_base(child, payment))
        assert r.status_code == 303
        assert "ne peut" in text(owner.get(r.headers["Location"]))
        data = {"csrf_token": csrf_from(page), "amount": "1", "method": "cash",
                "paid_on": services.practice_today(practice).isoformat()}
        assert owner.post(_base(child, payment), data=data).status_code == 303
        assert owner.post(_base(child, payment) + "/supprimer", data=data).status_code == 303
    db.session.expire_all()
    assert db.session.get(Payment, online.id).amount_cents == 45000
    assert db.session.get(Payment, cheque.id).amount_cents == 1000


def test_two_refunds_at_once_never_give_back_more_than_was_paid(app, ledger, make_staff, desk):
    # Two desks, two forms, at the same moment: the payment's row lock makes the second wait and
    # then see the first refund (fails without it on PostgreSQL, the production database).
    import threading

    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite has no row locks; the race is a PostgreSQL one")
    practice, child, _items = ledger
    payment = _cheque(practice, child)
    clients = [desk(make_staff(practice, Role.owner)) for _ in range(2)]
    forms = [form_of(text(c.get(_base(child, payment) + "/rembourser"))) for c in clients]
    barrier, answers = threading.Barrier(2), []

    def refund(client, form):
        barrier.wait()
        r = client.post(_base(child, payment) + "/rembourser",
                        data={**form, "amount": "300", "given_back_by": "cheque", "reason": "Erreur"})
        answers.append(r.status_code)

    threads = [threading.Thread(target=refund, args=pair) for pair in zip(clients, forms)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [303, 422]
    assert [r.amount_cents for r in refunds_of(payment)] == [30000]
