"""Stripe's webhook (issue 5): the signature checked on the raw body with the practice's signing
secret, each event id recorded once (the database settles concurrent copies), then dispatched to
the handler registered for its type.

The ledger plugs in with one function per event type:

    @on_event("checkout.session.completed")
    def paid(record: StripeEvent, obj: dict) -> str:
        if is_out_of_order(record):
            return IGNORED
        ...  # write the ledger in the same transaction
        return APPLIED

A handler runs inside the request's transaction: if it raises, nothing is kept (not even the
event id), the answer is a 500 and Stripe delivers the event again later.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from sqlalchemy import or_, select

from portal.billing.stripe_account import webhook_secret
from portal.billing.stripe_models import StripeAccount, StripeEvent
from portal.core.db import insert_or_ignore
from portal.core.errors import DomainError
from portal.extensions import db

TOLERANCE_SECONDS = 300  # Stripe's own default: a signature older than 5 minutes is a replay
APPLIED, IGNORED, UNHANDLED, DUPLICATE = "applied", "ignored", "unhandled", "duplicate"

Handler = Callable[[StripeEvent, dict], str]
HANDLERS: dict[str, Handler] = {}


class WebhookRefused(DomainError):
    """Not a genuine event for this endpoint: answered 400, nothing recorded."""

    status = 400


@dataclass
class Receipt:
    status: str                      # applied, ignored, unhandled or duplicate
    event: StripeEvent | None = None  # None for a duplicate


def on_event(*types: str):
    """Register the decorated function as the handler of these event types. A handler gets the
    recorded `StripeEvent` and the event's `data.object` (a dict) and returns APPLIED or IGNORED."""
    def register(handler: Handler) -> Handler:
        for kind in types:
            if kind in HANDLERS and HANDLERS[kind] is not handler:
                raise ValueError(f"{kind} already has a handler: {HANDLERS[kind].__qualname__}")
            HANDLERS[kind] = handler
        return handler

    return register


def receive(webhook_id: str, payload: bytes, signature: str) -> Receipt:
    """Check, record once and dispatch one delivery. Raises WebhookRefused for an unknown endpoint,
    a bad or stale signature, a tampered body, or an event of the other mode (test vs live)."""
    import stripe

    account = db.session.scalar(select(StripeAccount).where(StripeAccount.webhook_id == webhook_id))
    secret = webhook_secret(account) if account is not None else None
    if not secret:
        raise WebhookRefused("unknown webhook endpoint")
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret, tolerance=TOLERANCE_SECONDS)
    except (ValueError, stripe.SignatureVerificationError) as exc:
        raise WebhookRefused("signature verification failed") from exc
    if bool(event.livemode) != (account.mode == "live"):
        raise WebhookRefused("event of the other mode")
    body = json.loads(payload)
    obj = body.get("data", {}).get("object", {}) or {}
    values = {"practice_id": account.practice_id, "event_id": event.id, "type": event.type[:100],
              "livemode": bool(event.livemode), "object_id": str(obj.get("id", ""))[:255],
              "payment_intent": _payment_intent(obj)[:255],
              "stripe_created": datetime.fromtimestamp(int(event.created), timezone.utc),
              "received_at": datetime.now(timezone.utc), "status": "received", "note": "", "payload": body}
    new_id = db.session.execute(insert_or_ignore(StripeEvent, values, ["practice_id", "event_id"])
                                .returning(StripeEvent.id)).scalar()
    if new_id is None:
        return Receipt(DUPLICATE)
    record = db.session.get(StripeEvent, new_id)
    handler = HANDLERS.get(record.type)
    record.status = handler(record, obj) if handler is not None else UNHANDLED
    if record.status not in (APPLIED, IGNORED, UNHANDLED):
        raise ValueError(f"handler of {record.type} returned {record.status!r}")
    return Receipt(record.status, record)


def _payment_intent(obj: dict) -> str:
    if obj.get("object") == "payment_intent":
        return str(obj.get("id", ""))
    value = obj.get("payment_intent") or ""
    return str(value.get("id", "") if isinstance(value, dict) else value)


def last_applied(practice_id: int, *object_ids: str) -> StripeEvent | None:
    """The latest event (by Stripe's `created`) already applied to any of these objects (a
    Checkout Session, a charge, a payment intent), or None."""
    keys = [k for k in object_ids if k]
    if not keys:
        return None
    return db.session.scalar(
        select(StripeEvent).where(StripeEvent.practice_id == practice_id, StripeEvent.status == APPLIED,
                                  or_(StripeEvent.object_id.in_(keys), StripeEvent.payment_intent.in_(keys)))
        .order_by(StripeEvent.stripe_created.desc(), StripeEvent.id.desc()).limit(1))


def is_out_of_order(record: StripeEvent) -> bool:
    """True when an event created after this one was already applied to the same object or the
    same payment intent: applying this late one would undo newer news (a late
    "payment_failed" after "succeeded"). Stripe's `created` counts whole seconds, so two events of
    the same second are not ordered: they are both applied, and the handlers must be idempotent."""
    last = last_applied(record.practice_id, record.object_id, record.payment_intent)
    return last is not None and last.id != record.id and last.stripe_created > record.stripe_created
