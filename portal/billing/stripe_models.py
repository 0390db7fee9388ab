"""Tables of the practice's own Stripe account and of the Stripe events it receives.

Independent of the ledger's tables: the ledger's handlers read `StripeEvent` rows through
`portal.billing.webhooks`, never the other way round.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import PracticeOwned, Timestamped, UTCDateTime, utcnow
from portal.extensions import db


class StripeAccount(PracticeOwned, Timestamped, db.Model):
    """One per practice. Secrets are sealed (Fernet, keyed from SECRET_KEY) and only their last
    characters are kept in clear, for the masks shown in the console. Removing the keys keeps the
    row, so the webhook address entered in Stripe's dashboard stays the same."""

    __table_args__ = (UniqueConstraint("practice_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The random part of /stripe/webhook/<webhook_id>: not the slug, which may change and is public.
    webhook_id: Mapped[str] = mapped_column(String(40), unique=True)
    mode: Mapped[str] = mapped_column(String(4), default="")  # test or live; empty when no keys
    publishable_key: Mapped[str] = mapped_column(String(255), default="")
    secret_key_sealed: Mapped[str] = mapped_column(Text, default="")
    secret_key_hint: Mapped[str] = mapped_column(String(20), default="")  # "sk_test_…4242"
    webhook_secret_sealed: Mapped[str] = mapped_column(Text, default="")
    webhook_secret_hint: Mapped[str] = mapped_column(String(20), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def configured(self) -> bool:
        return bool(self.publishable_key and self.secret_key_sealed and self.webhook_secret_sealed)


class StripeEvent(PracticeOwned, db.Model):
    """Each Stripe event id, once per practice: the unique constraint settles concurrent
    deliveries of one event (the loser's insert does nothing and it answers "duplicate")."""

    __table_args__ = (UniqueConstraint("practice_id", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(100))
    livemode: Mapped[bool] = mapped_column(default=False)
    # The object the event is about (cs_…, ch_…, pi_…) and its payment intent when it has one,
    # so that late events can be compared with the last one applied to the same payment.
    object_id: Mapped[str] = mapped_column(String(255), default="", index=True)
    payment_intent: Mapped[str] = mapped_column(String(255), default="", index=True)
    stripe_created: Mapped[datetime] = mapped_column(UTCDateTime)  # the event's `created`
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # received (being handled), applied (a handler changed something), ignored (a handler
    # decided not to: stale, irrelevant), unhandled (no handler for this type yet)
    status: Mapped[str] = mapped_column(String(12), default="received")
    note: Mapped[str] = mapped_column(String(300), default="")
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
