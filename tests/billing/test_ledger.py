"""The ledger's rules: balance at a date, allocation (oldest first or chosen items), amounts
above what is due refused, overdue items, changes refused once paid, and the audit trail."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from portal.billing import services
from portal.billing.models import Allocation, ItemKind, Payment, PaymentMethod
from portal.core.errors import Invalid, NotFound
from portal.core.models import AuditEvent
from portal.extensions import db
from tests.billing.conftest import OPERATOR


def _add(practice, patient, label, euros, due, kind=ItemKind.installment):
    return services.add_item(practice=practice, patient=patient, kind=kind, label=label, amount_cents=euros * 100,
                             due_date=due, actor=OPERATOR)


def _pay(practice, patient, euros, paid_on, **kw):
    return services.record_payment(practice=practice, patient=patient, amount_cents=int(euros * 100),
                                   method=kw.pop("method", PaymentMethod.cheque), paid_on=paid_on, actor=OPERATOR, **kw)


def test_balance_due_at_a_date_counts_items_due_and_payments_made_by_then(family):
    practice, child = family
    _add(practice, child, "1er semestre", 100, date(2025, 1, 10))
    _add(practice, child, "2e semestre", 200, date(2025, 2, 10))
    _add(practice, child, "Consultation", 90, date(2025, 6, 10), kind=ItemKind.fee)
    _pay(practice, child, 150, date(2025, 1, 15))

    def balance(day):
        return services.balance_due(practice_id=practice.id, patient_id=child.id, at=day)

    assert balance(date(2025, 1, 9)) == 0          # nothing due yet
    assert balance(date(2025, 1, 10)) == 10000     # due on its due date
    assert balance(date(2025, 1, 14)) == 10000     # the payment is not made yet
    assert balance(date(2025, 1, 20)) == 0         # paid; the 50 € extra went to the next installment
    assert balance(date(2025, 2, 10)) == 15000
    assert balance(date(2025, 7, 1)) == 24000
    led = services.ledger(practice_id=practice.id, patient_id=child.id, at=date(2025, 7, 1))
    assert [(line.paid, line.remaining) for line in led.installments] == [(10000, 0), (5000, 15000)]
    assert led.total_remaining == 24000 and len(led.fees) == 1


def test_payment_spreads_over_several_items_oldest_first(family):
    practice, child = family
    a = _add(practice, child, "A", 100, date(2025, 3, 1))
    b = _add(practice, child, "B", 100, date(2025, 1, 1))
    c = _add(practice, child, "C", 100, date(2025, 2, 1))
    payment = _pay(practice, child, 250, date(2025, 4, 1))
    assert sorted((x.item_id, x.amount_cents) for x in payment.allocations) == sorted(
        [(b.id, 10000), (c.id, 10000), (a.id, 5000)])


def test_payment_to_chosen_items_only(family):
    practice, child = family
    old = _add(practice, child, "Ancien", 100, date(2025, 1, 1))
    chosen = _add(practice, child, "Choisi", 80, date(2025, 5, 1), kind=ItemKind.fee)
    payment = _pay(practice, child, 80, date(2025, 6, 1), item_ids=[chosen.id])
    assert [(x.item_id, x.amount_cents) for x in payment.allocations] == [(chosen.id, 8000)]
    with pytest.raises(Invalid, match="Il ne reste rien à régler"):
        _pay(practice, child, 1, date(2025, 6, 1), item_ids=[chosen.id])
    assert services.balance_due(practice_id=practice.id, patient_id=child.id, at=date(2025, 6, 1)) == old.amount_cents


def test_amount_above_what_is_due_is_refused_and_nothing_recorded(family):
    practice, child = family
    _add(practice, child, "Semestre", 390, date(2025, 1, 1))
    with pytest.raises(Invalid) as refused:
        _pay(practice, child, 390.01, date(2025, 2, 1))
    assert refused.value.field == "amount"
    assert "dépasse ce qui reste dû" in refused.value.message and "390,00" in refused.value.message
    assert db.session.scalar(select(Payment)) is None and db.session.scalar(select(Allocation)) is None
    _pay(practice, child, 390, date(2025, 2, 1))  # exactly what is due: accepted


def test_online_payment_limited_to_what_is_due_by_a_date(family):
    practice, child = family
    due = _add(practice, child, "Échu", 100, date(2025, 1, 1))
    _add(practice, child, "À venir", 100, date(2025, 6, 1))
    with pytest.raises(Invalid, match="dépasse ce qui reste dû"):
        _pay(practice, child, 150, date(2025, 2, 1), method=PaymentMethod.online, due_by=date(2025, 2, 1))
    payment = _pay(practice, child, 100, date(2025, 2, 1), method=PaymentMethod.online, due_by=date(2025, 2, 1),
                   reference="cs_test_123")
    assert [(a.item_id, a.amount_cents) for a in payment.allocations] == [(due.id, 10000)]


def test_other_checks_on_payments(family, make_practice, make_patient):
    practice, child = family
    _add(practice, child, "Semestre", 100, date(2025, 1, 1))
    with pytest.raises(Invalid, match="futur"):
        _pay(practice, child, 10, date(2099, 1, 1))
    stranger = make_patient(make_practice("Autre"), parent_mobile="06 99 99 99 99")
    with pytest.raises(Invalid):  # a payer who is not this patient's responsible
        _pay(practice, child, 10, date(2025, 2, 1), payer_id=stranger.responsibles[0].id)
    foreign = _add(stranger.practice, stranger, "Autre", 10, date(2025, 1, 1))
    with pytest.raises(NotFound):  # another file's item
        _pay(practice, child, 10, date(2025, 2, 1), item_ids=[foreign.id])


def test_overdue_is_a_passed_due_date_with_money_left(family):
    practice, child = family
    paid = _add(practice, child, "Payé", 50, date(2025, 1, 1), kind=ItemKind.fee)
    late = _add(practice, child, "En retard", 60, date(2025, 1, 1), kind=ItemKind.fee)
    today = _add(practice, child, "Aujourd'hui", 70, date(2025, 3, 1), kind=ItemKind.fee)
    _pay(practice, child, 50, date(2025, 1, 2), item_ids=[paid.id])
    led = services.ledger(practice_id=practice.id, patient_id=child.id, at=date(2025, 3, 1))
    overdue = {line.item.id: line.overdue for line in led.fees}
    assert overdue == {paid.id: False, late.id: True, today.id: False}
    assert led.overdue == 6000


def test_items_owed_by_the_financial_responsible_by_default(family):
    practice, child = family
    item = _add(practice, child, "Semestre", 100, date(2025, 1, 1))
    assert item.responsible.role.value == "financial" and item.responsible.first_name == "Paul"


def test_changes_refused_once_paid_and_everything_audited(family):
    practice, child = family
    item = _add(practice, child, "Semestre", 100, date(2025, 1, 1))
    _pay(practice, child, 60, date(2025, 1, 5))
    with pytest.raises(Invalid, match="inférieur"):
        services.update_item(practice=practice, patient=child, item=item, label="Semestre", amount_cents=5000,
                             due_date=item.due_date, care_date=None, processed=True, responsible_id=None,
                             actor=OPERATOR)
    services.update_item(practice=practice, patient=child, item=item, label="Semestre 1", amount_cents=6000,
                         due_date=item.due_date, care_date=None, processed=True, responsible_id=None, actor=OPERATOR)
    assert item.processed and item.responsible_id is None
    with pytest.raises(Invalid, match="ne peut pas être supprimé"):
        services.delete_item(practice=practice, item=item, actor=OPERATOR)
    spare = _add(practice, child, "Erreur", 10, date(2025, 1, 1))
    services.delete_item(practice=practice, item=spare, actor=OPERATOR)
    actions = list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("billing.%"))
                                      .order_by(AuditEvent.id)))
    assert actions == ["billing.item_added", "billing.payment_recorded", "billing.item_changed",
                       "billing.item_added", "billing.item_deleted"]


@pytest.mark.parametrize("typed, cents", [("390", 39000), ("390,5", 39050), ("1 234,56 €", 123456), ("0.99", 99)])
def test_amounts_typed_in_french(typed, cents):
    assert services.parse_amount(typed) == cents


@pytest.mark.parametrize("typed", ["", "abc", "-5", "0", "1,234", "12,345"])
def test_bad_amounts_refused(typed):
    with pytest.raises(Invalid):
        services.parse_amount(typed)


def test_a_refund_makes_its_items_due_again_from_its_date_and_a_failed_one_counts_for_nothing(family):
    from portal.billing.models import Refund, RefundPart, RefundStatus

    practice, child = family
    a = _add(practice, child, "A", 100, date(2025, 1, 1))
    b = _add(practice, child, "B", 100, date(2025, 2, 1))
    payment = _pay(practice, child, 200, date(2025, 3, 1))
    refund = Refund(practice_id=practice.id, patient_id=child.id, payment=payment, amount_cents=7000,
                    refunded_on=date(2025, 3, 10), parts=[RefundPart(practice_id=practice.id, item_id=b.id,
                                                                      amount_cents=7000)])
    db.session.add(refund)
    db.session.flush()

    def balance(day):
        return services.balance_due(practice_id=practice.id, patient_id=child.id, at=day)

    assert balance(date(2025, 3, 9)) == 0
    assert balance(date(2025, 3, 10)) == 7000
    assert services.paid_per_item(practice_id=practice.id, item_ids=[a.id, b.id]) == {a.id: 10000, b.id: 3000}
    assert payment.refunded_cents == 7000 and payment.net_cents == 13000
    # What was refunded may be paid again, and only that much.
    with pytest.raises(Invalid):
        _pay(practice, child, 71, date(2025, 3, 12))
    refund.status = RefundStatus.failed
    db.session.flush()
    assert balance(date(2025, 3, 10)) == 0 and payment.refunded_cents == 0
