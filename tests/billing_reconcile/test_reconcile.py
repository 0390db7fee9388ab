"""The daily reconciliation: a paid Checkout Session whose webhook never came is recorded through
the webhook's own handler (once, whatever comes after), unpaid sessions are left alone, and what
cannot be fixed is flagged without touching the ledger."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.billing import services
from portal.billing.jobs import reconcile_stripe
from portal.billing.models import FlagKind, PaymentMethod
from portal.billing.reconcile import reconcile_all, reconcile_practice
from portal.billing.stripe_api import create_checkout_session
from portal.billing.stripe_models import StripeEvent
from portal.core.db import commit, utcnow
from portal.extensions import db
from portal.notify.models import OutboxMessage
from tests.billing_reconcile.conftest import OPERATOR, all_flags, online_practice, payments, start
from tests.billing_stripe.conftest import event_body, post_event


def _receipts() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.key.like("receipt:%"))))


def _run(shop, days=3):
    summary = reconcile_practice(shop.practice, utcnow(), days)
    commit()
    return summary


def test_a_paid_session_whose_webhook_never_came_is_recorded_once(app, shop, stub):
    session = start(shop, "450")
    paid = stub.complete(session["id"])  # the patient paid; Stripe's webhook is lost
    assert payments(shop.child) == []

    summary = _run(shop)
    assert (summary.sessions, summary.found, summary.fixed, summary.flagged) == (1, 1, 1, 0)
    [payment] = payments(shop.child)
    assert (payment.amount_cents, payment.method, payment.reference) == (45000, PaymentMethod.online, session["id"])
    first, second = shop.items
    assert sorted((a.item_id, a.amount_cents) for a in payment.allocations) == [(first.id, 39000), (second.id, 6000)]
    [mail] = _receipts()
    assert mail.key == f"receipt:{payment.id}" and mail.recipient == "paul.martin@example.org"
    assert "Virement (en ligne)" in mail.body and "450,00" in mail.body
    event = db.session.scalar(select(StripeEvent).where(StripeEvent.event_id == f"reconcile:{session['id']}"))
    assert event.status == "applied" and event.object_id == session["id"]
    assert event.payment_intent == paid["payment_intent"]

    # The webhook arriving afterwards is "already recorded"; the job again adds nothing.
    r = post_event(app.test_client(), shop.account, event_body("checkout.session.completed", paid))
    assert r.get_json()["status"] == "ignored"
    again = _run(shop)
    assert (again.found, again.fixed, again.flagged) == (0, 0, 0)
    assert [p.amount_cents for p in payments(shop.child)] == [45000] and len(_receipts()) == 1
    assert services.balance_due(practice_id=shop.practice.id, patient_id=shop.child.id,
                                at=services.practice_today(shop.practice)) == 6000


def test_a_session_the_webhook_recorded_is_left_alone(app, shop, stub):
    session = start(shop, "100")
    paid = stub.complete(session["id"])
    assert post_event(app.test_client(), shop.account,
                      event_body("checkout.session.completed", paid)).get_json()["status"] == "applied"
    summary = _run(shop)
    assert (summary.sessions, summary.found, summary.fixed, summary.flagged) == (1, 0, 0, 0)
    assert [p.amount_cents for p in payments(shop.child)] == [10000] and all_flags(shop.practice) == []


def test_unpaid_or_expired_sessions_are_left_alone(shop, stub):
    start(shop, "100")  # open, not paid
    expired = start(shop, "200")
    stub.sessions[expired["id"]].update(status="expired")
    summary = _run(shop)
    assert (summary.sessions, summary.found, summary.fixed, summary.flagged) == (2, 0, 0, 0)
    assert payments(shop.child) == [] and all_flags(shop.practice) == [] and _receipts() == []


def test_only_sessions_of_the_last_days_are_looked_at(shop, stub):
    session = start(shop, "100")
    stub.sessions[session["id"]]["created"] -= 5 * 24 * 3600
    stub.complete(session["id"])
    assert _run(shop, days=3).sessions == 0 and payments(shop.child) == []
    assert _run(shop, days=7).fixed == 1 and len(payments(shop.child)) == 1
    assert stub.requests[-1].params["created"]["gte"].isdigit()


def test_a_paid_session_of_an_unknown_file_is_flagged_not_recorded(shop, stub, make_practice, make_patient):
    stranger = make_patient(make_practice("Ailleurs"), last_name="Autre", first_name="Zoé")
    unknown = create_checkout_session(shop.practice, amount_cents=5000, description="x", customer_email="a@b.fr",
                                      success_url="https://s.test/ok", cancel_url="https://s.test/ko",
                                      metadata={"practice": shop.practice.id, "patient": stranger.id},
                                      idempotency_key="k-unknown")
    foreign = create_checkout_session(shop.practice, amount_cents=7000, description="x", customer_email="a@b.fr",
                                      success_url="https://s.test/ok", cancel_url="https://s.test/ko",
                                      metadata={"practice": stranger.practice_id, "patient": stranger.id},
                                      idempotency_key="k-foreign")
    elsewhere = create_checkout_session(shop.practice, amount_cents=9900, description="Boutique",
                                        customer_email="a@b.fr", success_url="https://s.test/ok",
                                        cancel_url="https://s.test/ko", metadata={},
                                        idempotency_key="k-shop")  # the account's other business: not ours
    for session in (unknown, foreign, elsewhere):
        stub.complete(session["id"])
    summary = _run(shop)
    assert (summary.sessions, summary.found, summary.fixed, summary.flagged) == (3, 2, 0, 2)
    flags = all_flags(shop.practice)
    assert sorted((f.kind, f.session_id, f.amount_cents) for f in flags) == sorted(
        [(FlagKind.unmatched, unknown["id"], 5000), (FlagKind.unmatched, foreign["id"], 7000)])
    assert all(f.patient_id is None and f.resolved_at is None for f in flags)
    assert "aucun dossier" in next(f.message for f in flags if f.session_id == unknown["id"])
    assert payments(shop.child) == [] and payments(stranger) == [] and _receipts() == []
    again = _run(shop)
    assert (again.found, again.fixed, again.flagged) == (2, 0, 0) and len(all_flags(shop.practice)) == 2


def test_an_amount_that_differs_or_a_payment_whose_session_is_not_paid_is_flagged(shop, stub):
    paid = start(shop, "100")
    stub.complete(paid["id"])
    unpaid = start(shop, "50")
    today = services.practice_today(shop.practice)
    # Rows as a faulty import or a hand edit could leave them: the job must say so, not repair them.
    for session, cents in ((paid, 9000), (unpaid, 5000)):
        services.record_payment(practice=shop.practice, patient=shop.child, amount_cents=cents,
                                method=PaymentMethod.online, paid_on=today, reference=session["id"], actor=OPERATOR)
    commit()
    summary = _run(shop)
    assert (summary.found, summary.fixed, summary.flagged) == (0, 0, 2)
    by_kind = {f.kind: f for f in all_flags(shop.practice)}
    mismatch, not_paid = by_kind[FlagKind.amount_mismatch], by_kind[FlagKind.not_paid]
    assert mismatch.session_id == paid["id"] and mismatch.amount_cents == 10000
    assert "100,00" in mismatch.message and "90,00" in mismatch.message
    assert not_paid.session_id == unpaid["id"] and not_paid.payment_id is not None
    assert not_paid.patient_id == shop.child.id and "open, unpaid" in not_paid.message
    assert sorted(p.amount_cents for p in payments(shop.child)) == [5000, 9000]  # the ledger untouched
    assert _run(shop).flagged == 0


def test_an_excess_is_flagged_by_the_job_as_by_the_webhook(shop, stub):
    session = start(shop, "30")
    stub.complete(session["id"])
    services.record_payment(practice=shop.practice, patient=shop.child, amount_cents=50000,
                            method=PaymentMethod.cheque, paid_on=services.practice_today(shop.practice),
                            actor=OPERATOR)  # paid at the desk meanwhile: 10 € remain due
    commit()
    summary = _run(shop)
    assert (summary.found, summary.fixed, summary.flagged) == (1, 1, 1)
    [flag] = all_flags(shop.practice)
    assert (flag.kind, flag.session_id, flag.amount_cents, flag.patient_id) == (
        FlagKind.excess, session["id"], 2000, shop.child.id)
    assert "rembourser" in flag.message
    assert sorted(p.amount_cents for p in payments(shop.child)) == [1000, 50000]
    assert _run(shop).flagged == 0  # no mismatch flag on top: the excess explains the difference


def test_stripe_down_changes_nothing_and_other_practices_are_still_reconciled(app, shop, stub, make_practice,
                                                                              make_patient):
    other = online_practice("Cabinet Second", make_practice, make_patient)
    for s in (shop, other):
        stub.complete(start(s, "100")["id"])
    stub.fail_next(500, "Stripe is down")  # the first practice's listing (by id)
    summaries = reconcile_all(utcnow(), after_each=commit)
    commit()
    assert [s.practice for s in summaries] == [shop.practice.slug, other.practice.slug]
    assert summaries[0].skipped and summaries[0].fixed == 0
    assert payments(shop.child) == [] and all_flags(shop.practice) == []
    assert summaries[1].fixed == 1 and len(payments(other.child)) == 1
    assert len(_receipts()) == 1


def test_practices_without_keys_are_not_asked(app, shop, stub, make_practice):
    make_practice("Sans Stripe")
    stub.complete(start(shop, "100")["id"])
    assert [s["practice"] for s in reconcile_stripe()] == [shop.practice.slug]  # the job, as the worker runs it
    assert len(payments(shop.child)) == 1
    assert [q.path for q in stub.requests if q.method == "GET"] == ["/v1/checkout/sessions"]
    assert db.session.scalar(select(StripeEvent.status)) == "applied"


def test_days_are_bounded(shop):
    import pytest

    from portal.core.errors import Invalid

    for days in (0, 31):
        with pytest.raises(Invalid):
            reconcile_practice(shop.practice, utcnow() - timedelta(seconds=1), days)
