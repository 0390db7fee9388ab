"""Where the payment features meet: refunds and cancelled teleconsultations, a corrected desk
payment keeping its items, refunds in the totals under how the money went back, a desk form sent
twice, and refunds made in Stripe's dashboard that the ledger cannot place (an excess)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from portal.agenda import desk as agenda_desk
from portal.billing import journal, refunds, reminders, services, teleconsult
from portal.billing.models import (BillingFlag, FlagKind, ItemKind, OverdueReminderSettings, Payment, PaymentMethod,
                                   Refund)
from portal.core.audit import Actor
from portal.core.db import commit
from portal.extensions import db
from tests.billing.conftest import OPERATOR, desk, family  # noqa: F401  (fixtures)
from tests.billing_stripe.conftest import event_body, post_event, stub  # noqa: F401  (fixture)
from tests.billing_stripe.test_online import _paid, online  # noqa: F401  (fixture)
from tests.billing_teleconsult.conftest import book, tele  # noqa: F401  (fixture)

TOKEN = "x" * 24


def _balance(practice, patient) -> int:
    db.session.expire_all()
    return services.balance_due(practice_id=practice.id, patient_id=patient.id, at=services.practice_today(practice))


def _cancel(tele, appointment):
    agenda_desk.cancel_at_desk(tele.practice, appointment, reason="",
                               actor=Actor("staff", id=tele.owner.id, practice_id=tele.practice.id))
    commit()


def _only_payment(patient) -> Payment:
    return db.session.scalar(select(Payment).where(Payment.patient_id == patient.id))


def test_refunding_a_cancelled_teleconsultation_owes_nothing_and_nobody_is_reminded(tele):
    appointment = book(tele, tele.video)
    teleconsult.mark_paid(practice=tele.practice, appointment=appointment, method="transfer", actor=OPERATOR)
    commit()
    _cancel(tele, appointment)
    assert teleconsult.charge_of(appointment) is not None  # paid: kept, "un remboursement peut être dû"
    payment = _only_payment(tele.child)
    refunds.refund_payment(practice=tele.practice, payment=payment, amount_cents=payment.amount_cents,
                           reason="Visite annulée", token=TOKEN, actor=OPERATOR)
    commit()
    assert _balance(tele.practice, tele.child) == 0
    assert teleconsult.charge_of(appointment) is None
    db.session.add(OverdueReminderSettings(practice_id=tele.practice.id, enabled=True, first_after_days=1,
                                           every_days=7, max_count=3, by_email=True, by_sms=False))
    commit()
    assert reminders.send_overdue_reminders(datetime.now(UTC) + timedelta(days=3)) == 0


def test_a_part_refund_of_a_cancelled_teleconsultation_lowers_its_fee_to_what_was_kept(tele):
    appointment = book(tele, tele.video)
    teleconsult.mark_paid(practice=tele.practice, appointment=appointment, method="cash", actor=OPERATOR)
    commit()
    fee = teleconsult.charge_of(appointment).item.amount_cents
    _cancel(tele, appointment)
    refunds.refund_payment(practice=tele.practice, payment=_only_payment(tele.child), amount_cents=fee - 500,
                           reason="Frais gardés", token=TOKEN, actor=OPERATOR)
    commit()
    assert teleconsult.charge_of(appointment).item.amount_cents == 500
    assert _balance(tele.practice, tele.child) == 0


def test_refunded_then_cancelled_teleconsultation_leaves_nothing_owed(tele):
    appointment = book(tele, tele.video)
    teleconsult.mark_paid(practice=tele.practice, appointment=appointment, method="cash", actor=OPERATOR)
    commit()
    payment = _only_payment(tele.child)
    refunds.refund_payment(practice=tele.practice, payment=payment, amount_cents=payment.amount_cents,
                           reason="Erreur", token=TOKEN, actor=OPERATOR)
    commit()
    _cancel(tele, appointment)
    assert teleconsult.charge_of(appointment) is None
    assert _balance(tele.practice, tele.child) == 0


def test_correcting_a_desk_payment_keeps_it_on_the_items_it_was_for(tele):
    today = services.practice_today(tele.practice)
    old = services.add_item(practice=tele.practice, patient=tele.child, kind=ItemKind.installment, label="S1",
                            amount_cents=39000, due_date=today - timedelta(days=30), actor=OPERATOR)
    commit()
    appointment = book(tele, tele.video)
    teleconsult.mark_paid(practice=tele.practice, appointment=appointment, method="cheque", actor=OPERATOR)
    commit()
    payment = _only_payment(tele.child)
    fee = payment.amount_cents
    services.update_payment(practice=tele.practice, patient=tele.child, payment=payment, amount_cents=fee + 1000,
                            method=PaymentMethod.cheque, paid_on=today, payer_id=None, reference="", note="",
                            actor=OPERATOR)
    commit()
    db.session.expire_all()
    charge = teleconsult.charge_of(appointment)
    assert sorted((a.item_id, a.amount_cents) for a in payment.allocations) == sorted(
        [(charge.item_id, fee), (old.id, 1000)])  # the fee first, the rest to the oldest due
    assert teleconsult.unpaid_appointments(practice_id=tele.practice.id, appointment_ids=[appointment.id]) == set()


def test_a_refund_counts_under_how_the_money_went_back(family):
    practice, child = family
    today = services.practice_today(practice)
    services.add_item(practice=practice, patient=child, kind=ItemKind.fee, label="F", amount_cents=10000,
                      due_date=today, actor=OPERATOR)
    payment = services.record_payment(practice=practice, patient=child, amount_cents=10000,
                                      method=PaymentMethod.card, paid_on=today, actor=OPERATOR)
    refunds.refund_payment(practice=practice, payment=payment, amount_cents=4000, reason="Trop-perçu", token=TOKEN,
                           given_back_by=PaymentMethod.cash, actor=OPERATOR)
    commit()
    totals = {t.method: t for t in journal.payments_between(practice.id, today, today).by_method}
    assert totals[PaymentMethod.cash].refunded == 4000 and totals[PaymentMethod.card].refunded == 0
    assert totals[PaymentMethod.card].received == 10000
    cash_only = journal.payments_between(practice.id, today, today, method=PaymentMethod.cash)
    assert [line.amount_cents for line in cash_only.lines] == [-4000]


def test_a_desk_form_sent_twice_records_one_payment(family):
    practice, child = family
    today = services.practice_today(practice)
    services.add_item(practice=practice, patient=child, kind=ItemKind.fee, label="F", amount_cents=10000,
                      due_date=today, actor=OPERATOR)
    first = services.record_payment(practice=practice, patient=child, amount_cents=3000, method=PaymentMethod.cash,
                                    paid_on=today, token=TOKEN, actor=OPERATOR)
    again = services.record_payment(practice=practice, patient=child, amount_cents=3000, method=PaymentMethod.cash,
                                    paid_on=today, token=TOKEN, actor=OPERATOR)
    commit()
    assert again.id == first.id
    assert db.session.scalar(select(func.count(Payment.id)).where(Payment.patient_id == child.id)) == 1


def _excess_session(app, practice, child, account):
    """A desk cheque settles the file, then an online payment of 30 € arrives: 10 € taken, 20 € flagged."""
    services.record_payment(practice=practice, patient=child, amount_cents=50000, method=PaymentMethod.cheque,
                            paid_on=services.practice_today(practice), actor=OPERATOR)
    commit()
    r = post_event(app.test_client(), account, event_body("checkout.session.completed",
                                                          _paid(practice, child, 3000, "cs_excess")))
    assert r.get_json()["status"] == "applied" and _balance(practice, child) == 0


def test_a_dashboard_refund_of_an_excess_session_is_flagged_not_taken_from_the_items(app, online):  # noqa: F811
    practice, child, account, _items = online
    _excess_session(app, practice, child, account)
    for refund_id, cents in (("re_part", 1000), ("re_all", 3000)):
        obj = {"id": refund_id, "object": "refund", "amount": cents, "currency": "eur",
               "payment_intent": "pi_cs_excess", "status": "succeeded", "metadata": {}}
        assert post_event(app.test_client(), account, event_body("refund.created", obj)).get_json()["status"] \
            == "ignored"
    assert db.session.scalar(select(Refund.id)) is None and _balance(practice, child) == 0
    flagged = db.session.scalar(select(BillingFlag).where(BillingFlag.kind == FlagKind.refund))
    assert flagged is not None and "Stripe" in flagged.message and flagged.patient_id == child.id


def test_the_console_tab_costs_the_same_statements_whatever_the_payments_and_refunds(app, family, desk,  # noqa: F811
                                                                                      make_staff):
    from sqlalchemy import event

    from portal.accounts.models import Role

    practice, child = family
    client = desk(make_staff(practice, Role.practitioner))
    today = services.practice_today(practice)
    services.add_item(practice=practice, patient=child, kind=ItemKind.installment, label="Traitement",
                      amount_cents=1_000_000, due_date=today, actor=OPERATOR)

    def pay(n):
        for i in range(n):
            payment = services.record_payment(practice=practice, patient=child, amount_cents=1000,
                                              method=PaymentMethod.cash, paid_on=today, actor=OPERATOR)
            refunds.refund_payment(practice=practice, payment=payment, amount_cents=100, reason="Monnaie",
                                   token=f"{'t' * 20}{len(payment.refunds)}{payment.id:04d}", actor=OPERATOR)
        commit()

    def statements() -> int:
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            page = client.get(f"/console/patients/{child.id}?rubrique=paiements")
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert page.status_code == 200 and "Monnaie" in page.get_data(as_text=True)
        return len(seen)

    pay(3)
    few = statements()
    pay(12)
    assert statements() == few
