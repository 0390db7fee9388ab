"""Fixtures of the Stripe slice: an owner, keys saved for the practice, a local Stripe API stub,
and events signed as Stripe signs them (stripe.WebhookSignature.generate_signature_header)."""
from __future__ import annotations

import json
import secrets
import time

import pytest

from portal.accounts.models import Role
from portal.billing import stripe_account
from portal.core.audit import Actor
from portal.core.db import commit
from tests.billing_stripe.stripe_stub import StripeStub

PK = "pk_test_" + "P" * 24
SK = "sk_test_" + "S" * 20 + "4242"
WHSEC = "whsec_" + "W" * 32


@pytest.fixture
def owner(make_practice, make_staff):
    return make_staff(make_practice("Cabinet Stripe"), Role.owner)


@pytest.fixture
def account(owner):
    stripe_account.save_keys(owner.practice, publishable_key=PK, secret_key=SK, webhook_secret=WHSEC,
                             actor=Actor.operator())
    commit()
    return stripe_account.account_for(owner.practice.id)


@pytest.fixture
def stub(app):
    with StripeStub(api_key=SK) as running:
        before, app.config["STRIPE_API_BASE"] = app.config.get("STRIPE_API_BASE"), running.base
        yield running
        app.config["STRIPE_API_BASE"] = before


def event_body(kind: str, obj: dict, *, event_id: str | None = None, created: int | None = None,
               livemode: bool = False) -> bytes:
    return json.dumps({"id": event_id or "evt_" + secrets.token_hex(12), "object": "event", "api_version": "2025-01-01",
                       "created": created or int(time.time()), "livemode": livemode, "type": kind,
                       "data": {"object": obj}, "pending_webhooks": 1, "request": {"id": None}}).encode()


def sign(payload: bytes, secret: str = WHSEC, timestamp: int | None = None) -> str:
    import stripe

    return stripe.WebhookSignature.generate_signature_header(payload.decode(), secret,
                                                             timestamp=timestamp or int(time.time()))


def post_event(client, account, payload: bytes, signature: str | None = None):
    return client.post(f"/stripe/webhook/{account.webhook_id}", data=payload, content_type="application/json",
                       headers={"Stripe-Signature": signature if signature is not None else sign(payload)})
