"""Stripe's webhook: signatures checked on the raw body, each event id once (concurrent copies
settled by the database), dispatch through the handler registry, and the ordering helper."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from portal.billing import webhooks
from portal.billing.stripe_models import StripeEvent
from portal.core.audit import Actor
from portal.core.db import commit
from portal.extensions import db
from tests.billing_stripe.conftest import PK, SK, WHSEC, event_body, post_event, sign

SESSION = {"id": "cs_test_1", "object": "checkout.session", "payment_intent": "pi_1", "amount_total": 3000,
           "metadata": {"patient": "12"}}


def events():
    db.session.expire_all()
    return db.session.scalars(select(StripeEvent).order_by(StripeEvent.id)).all()


def test_a_signed_event_is_recorded_once_and_unhandled_without_a_handler(client, account):
    payload = event_body("checkout.session.expired", SESSION, event_id="evt_1", created=1_900_000_000)
    r = post_event(client, account, payload)
    assert r.status_code == 200 and r.get_json() == {"received": True, "status": "unhandled"}
    [row] = events()
    assert (row.practice_id, row.event_id, row.type, row.object_id, row.payment_intent, row.status) == \
        (account.practice_id, "evt_1", "checkout.session.expired", "cs_test_1", "pi_1", "unhandled")
    assert row.stripe_created == datetime.fromtimestamp(1_900_000_000, timezone.utc)
    assert row.payload["data"]["object"]["metadata"] == {"patient": "12"}
    again = post_event(client, account, payload)  # Stripe delivers again: answered, not reprocessed
    assert again.status_code == 200 and again.get_json()["status"] == "duplicate"
    assert len(events()) == 1


@pytest.mark.parametrize("case", ["wrong secret", "stale", "tampered", "no header", "garbage header"])
def test_bad_signatures_are_refused(client, account, case):
    payload = event_body("checkout.session.completed", SESSION)
    signature = {"wrong secret": sign(payload, secret="whsec_" + "X" * 32),
                 "stale": sign(payload, timestamp=int(time.time()) - webhooks.TOLERANCE_SECONDS - 10),
                 "tampered": sign(payload), "no header": "", "garbage header": "t=1,v1=abc"}[case]
    if case == "tampered":
        payload = payload.replace(b"3000", b"300000")
    r = post_event(client, account, payload, signature)
    assert r.status_code == 400
    assert events() == []


def test_unknown_endpoint_other_mode_and_removed_keys_are_refused(client, owner, account):
    payload = event_body("checkout.session.completed", SESSION)
    assert client.post("/stripe/webhook/nope", data=payload, headers={"Stripe-Signature": sign(payload)},
                       content_type="application/json").status_code == 400
    live = event_body("checkout.session.completed", SESSION, livemode=True)
    assert post_event(client, account, live).status_code == 400  # a live event at a test account
    from portal.billing import stripe_account

    stripe_account.remove_keys(owner.practice, actor=Actor.operator())
    commit()
    assert post_event(client, account, payload).status_code == 400
    assert events() == []


def test_an_event_signed_for_one_practice_is_refused_at_another(client, account, make_practice):
    from portal.billing import stripe_account

    other = make_practice("Autre cabinet")
    stripe_account.save_keys(other, publishable_key=PK, secret_key=SK, webhook_secret="whsec_" + "O" * 32,
                             actor=Actor.operator())
    commit()
    payload = event_body("checkout.session.completed", SESSION)
    other_account = stripe_account.account_for(other.id)
    assert post_event(client, other_account, payload, sign(payload, WHSEC)).status_code == 400
    assert post_event(client, account, payload, sign(payload, WHSEC)).status_code == 200
    assert [e.practice_id for e in events()] == [account.practice_id]


def test_the_webhook_needs_no_csrf_token_and_no_session(app, account):
    assert app.config.get("WTF_CSRF_ENABLED", True)  # CSRF is on in the tests, as in production
    r = post_event(app.test_client(), account, event_body("charge.refunded", {"id": "ch_1", "object": "charge"}))
    assert r.status_code == 200


def test_the_registry_dispatches_to_a_registered_handler(client, account, monkeypatch):
    seen = []

    def refunded(record, obj):
        seen.append((record.event_id, obj["amount_refunded"]))
        record.note = "seen by the test handler"
        return webhooks.APPLIED

    monkeypatch.setattr(webhooks, "HANDLERS", {})
    assert webhooks.on_event("charge.refunded")(refunded) is refunded
    with pytest.raises(ValueError):
        webhooks.on_event("charge.refunded")(lambda record, obj: webhooks.IGNORED)
    payload = event_body("charge.refunded", {"id": "ch_1", "object": "charge", "payment_intent": "pi_1",
                                             "amount_refunded": 1000}, event_id="evt_r")
    r = post_event(client, account, payload)
    assert r.get_json()["status"] == "applied"
    assert post_event(client, account, payload).get_json()["status"] == "duplicate"
    assert seen == [("evt_r", 1000)]
    [row] = events()
    assert row.status == "applied" and row.note == "seen by the test handler"


def test_a_failing_handler_keeps_nothing_so_stripe_retries(app, account, monkeypatch):
    def broken(record, obj):
        raise RuntimeError("ledger down")

    monkeypatch.setattr(webhooks, "HANDLERS", {"checkout.session.completed": broken})
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        r = post_event(app.test_client(), account, event_body("checkout.session.completed", SESSION, event_id="evt_x"))
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = None
    assert r.status_code == 500
    assert events() == []  # the retry will be processed, not taken for a duplicate


def test_out_of_order_events_are_detected(client, account, monkeypatch):
    applied = []

    def handler(record, obj):
        if webhooks.is_out_of_order(record):
            return webhooks.IGNORED
        applied.append(record.event_id)
        return webhooks.APPLIED

    monkeypatch.setattr(webhooks, "HANDLERS", {"checkout.session.completed": handler,
                                               "checkout.session.async_payment_failed": handler,
                                               "charge.refunded": handler})
    newer = event_body("checkout.session.completed", SESSION, event_id="evt_new", created=2_000_000_100)
    older = event_body("checkout.session.async_payment_failed", SESSION, event_id="evt_old", created=2_000_000_000)
    assert post_event(client, account, newer).get_json()["status"] == "applied"
    assert post_event(client, account, older).get_json()["status"] == "ignored"
    # a charge of the same payment intent, older than the session's news: also late
    charge = {"id": "ch_9", "object": "charge", "payment_intent": "pi_1"}
    assert post_event(client, account, event_body("charge.refunded", charge, event_id="evt_c0",
                                                  created=2_000_000_050)).get_json()["status"] == "ignored"
    assert post_event(client, account, event_body("charge.refunded", charge, event_id="evt_c1",
                                                  created=2_000_000_200)).get_json()["status"] == "applied"
    assert applied == ["evt_new", "evt_c1"]
    last = webhooks.last_applied(account.practice_id, "pi_1")
    assert last.event_id == "evt_c1"
    assert webhooks.last_applied(account.practice_id, "cs_other") is None


def test_two_copies_at_the_same_time_make_one_row(app, account, monkeypatch):
    calls = []
    barrier = threading.Barrier(2)

    def slow(record, obj):
        calls.append(record.event_id)
        time.sleep(0.3)  # the second copy arrives while the first transaction is still open
        return webhooks.APPLIED

    monkeypatch.setattr(webhooks, "HANDLERS", {"checkout.session.completed": slow})
    payload = event_body("checkout.session.completed", SESSION, event_id="evt_twice")
    signature = sign(payload)
    answers = []

    def deliver():
        client = app.test_client()
        barrier.wait()
        answers.append(post_event(client, account, payload, signature).get_json()["status"])

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == ["applied", "duplicate"]
    assert calls == ["evt_twice"]
    assert db.session.scalar(select(func.count(StripeEvent.id))) == 1
