"""Outgoing calls to Stripe, against the local stub: a Checkout Session with the amount in
cents, EUR, the metadata and an idempotency key; retrieval, listing and refunds; errors."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from portal.billing import stripe_api
from portal.core.errors import Invalid

ARGS = {"amount_cents": 12345, "description": "Règlement du solde", "customer_email": "parent@example.com",
        "success_url": "https://sourire.test/paiements?ok=1", "cancel_url": "https://sourire.test/paiements",
        "metadata": {"patient": 12, "practice": 3}}


def test_checkout_session_is_created_with_the_practice_key_and_an_idempotency_key(owner, account, stub):
    session = stripe_api.create_checkout_session(owner.practice, idempotency_key="pay-12-abc", **ARGS)
    assert session["id"].startswith("cs_test_") and session["url"].startswith(stub.base)
    [request] = stub.requests
    assert request.method == "POST" and request.path == "/v1/checkout/sessions" and request.authorized
    assert request.idempotency_key == "pay-12-abc"
    params = request.params
    price = params["line_items"][0]["price_data"]
    assert (price["unit_amount"], price["currency"], params["line_items"][0]["quantity"]) == ("12345", "eur", "1")
    assert price["product_data"]["name"] == "Règlement du solde"
    assert params["metadata"] == {"patient": "12", "practice": "3"}
    assert params["payment_intent_data"]["metadata"] == {"patient": "12", "practice": "3"}
    assert (params["mode"], params["customer_email"]) == ("payment", "parent@example.com")
    assert params["success_url"] == ARGS["success_url"]
    # the same key again (a double tap, a retry) gets the same session, not a second one
    again = stripe_api.create_checkout_session(owner.practice, idempotency_key="pay-12-abc", **ARGS)
    assert again["id"] == session["id"] and len(stub.sessions) == 1


def test_retrieve_list_and_refund(owner, account, stub):
    session = stripe_api.create_checkout_session(owner.practice, idempotency_key="k1", **ARGS)
    paid = stub.complete(session["id"])
    fetched = stripe_api.retrieve_checkout_session(owner.practice, session["id"])
    assert fetched["payment_status"] == "paid" and fetched["payment_intent"] == paid["payment_intent"]
    listed = stripe_api.list_checkout_sessions(owner.practice,
                                               created_since=datetime.now(timezone.utc) - timedelta(days=1))
    assert [s["id"] for s in listed] == [session["id"]]
    assert stub.requests[-1].params["created"]["gte"].isdigit()
    refund = stripe_api.create_refund(owner.practice, payment_intent=paid["payment_intent"], amount_cents=2000,
                                      idempotency_key="refund-1", metadata={"payment": 7})
    assert refund["status"] == "succeeded" and refund["amount"] == 2000
    assert stub.requests[-1].idempotency_key == "refund-1"
    assert stub.requests[-1].params == {"payment_intent": paid["payment_intent"], "amount": "2000",
                                        "metadata": {"payment": "7"}}


def test_refused_inputs_and_stripe_errors(owner, account, stub):
    with pytest.raises(Invalid):
        stripe_api.create_checkout_session(owner.practice, idempotency_key="k", **{**ARGS, "amount_cents": 0})
    with pytest.raises(ValueError):
        stripe_api.create_checkout_session(owner.practice, idempotency_key="", **ARGS)
    stub.fail_next(400, "Something is off")
    with pytest.raises(stripe_api.StripeUnavailable, match="indisponible"):
        stripe_api.create_checkout_session(owner.practice, idempotency_key="k2", **ARGS)
    with pytest.raises(stripe_api.StripeUnavailable):
        stripe_api.retrieve_checkout_session(owner.practice, "cs_test_missing")
    assert stub.sessions == {}


def test_not_configured_or_wrong_key(owner, stub, account):
    from portal.billing import stripe_account
    from portal.core.audit import Actor

    stub.api_key = "sk_test_another_key_entirely"
    with pytest.raises(stripe_api.StripeUnavailable):
        stripe_api.create_checkout_session(owner.practice, idempotency_key="k3", **ARGS)
    assert stub.requests[-1].authorized is False
    stripe_account.remove_keys(owner.practice, actor=Actor.operator())
    with pytest.raises(Invalid, match="pas configuré"):
        stripe_api.create_checkout_session(owner.practice, idempotency_key="k4", **ARGS)
