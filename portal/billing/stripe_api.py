"""Outgoing calls to the practice's Stripe account (issue 5): Checkout Sessions and refunds.
Every creation carries an idempotency key chosen by the caller, so a retry (ours, the
network's, a double tap) never makes a second session or refund. Money is integer cents, EUR."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from portal.billing.stripe_account import client_for, configured_account
from portal.billing.stripe_models import StripeAccount
from portal.core.errors import DomainError, Invalid
from portal.core.models import Practice

CURRENCY = "eur"


class StripeUnavailable(DomainError):
    """Stripe refused or could not be reached: nothing was charged or refunded by this call."""

    status = 502


def _account(practice: Practice) -> StripeAccount:
    account = configured_account(practice.id)
    if account is None:
        raise Invalid(_("Le paiement en ligne n'est pas configuré pour ce cabinet."))
    return account


def _call(practice: Practice, action):
    import stripe

    client = client_for(_account(practice))
    try:
        return action(client)
    except stripe.StripeError as exc:
        # The message is Stripe's (English, technical): kept for the log, not shown to patients.
        raise StripeUnavailable(_("Le paiement en ligne est indisponible pour le moment : réessayez dans "
                                  "quelques minutes.")) from exc


def create_checkout_session(practice: Practice, *, amount_cents: int, description: str, customer_email: str,
                            success_url: str, cancel_url: str, metadata: dict, idempotency_key: str) -> dict:
    """Create a Stripe Checkout Session for one payment of `amount_cents` (EUR) and return it as a
    dict (`id`, `url`, `payment_intent`, …). `metadata` (strings) comes back in the webhook's
    event; `idempotency_key` must be the same for the same intended payment."""
    if not isinstance(amount_cents, int) or amount_cents <= 0:
        raise Invalid(_("Le montant doit être supérieur à zéro."), field="amount")
    if not idempotency_key:
        raise ValueError("an idempotency key is required")
    params = {
        "mode": "payment",
        "line_items": [{"quantity": 1, "price_data": {"currency": CURRENCY, "unit_amount": amount_cents,
                                                      "product_data": {"name": description[:250]}}}],
        "customer_email": customer_email,
        "success_url": success_url,
        "cancel_url": cancel_url,
        "metadata": {str(k): str(v) for k, v in metadata.items()},
        # The same metadata on the payment intent, so refunds and charges carry it too.
        "payment_intent_data": {"metadata": {str(k): str(v) for k, v in metadata.items()}},
    }
    session = _call(practice, lambda c: c.v1.checkout.sessions.create(
        params, options={"idempotency_key": idempotency_key}))
    return session.to_dict()


def retrieve_checkout_session(practice: Practice, session_id: str) -> dict:
    """One Checkout Session of the practice's account, as a dict."""
    return _call(practice, lambda c: c.v1.checkout.sessions.retrieve(session_id)).to_dict()


def list_checkout_sessions(practice: Practice, *, created_since: datetime, limit: int = 100) -> list[dict]:
    """Checkout Sessions created since `created_since`, newest first, following Stripe's pages
    (for the reconciliation job: sessions whose webhook never came)."""
    def fetch(client):
        page = client.v1.checkout.sessions.list({"created": {"gte": int(created_since.timestamp())},
                                                 "limit": limit})
        return [s.to_dict() for s in page.auto_paging_iter()]

    return _call(practice, fetch)


def create_refund(practice: Practice, *, payment_intent: str, amount_cents: int, idempotency_key: str,
                  metadata: dict | None = None) -> dict:
    """Refund `amount_cents` of a payment intent (all or part), as a dict (`id`, `status`, …)."""
    if not isinstance(amount_cents, int) or amount_cents <= 0:
        raise Invalid(_("Le montant doit être supérieur à zéro."), field="amount")
    if not idempotency_key:
        raise ValueError("an idempotency key is required")
    params = {"payment_intent": payment_intent, "amount": amount_cents,
              "metadata": {str(k): str(v) for k, v in (metadata or {}).items()}}
    return _call(practice, lambda c: c.v1.refunds.create(params, options={"idempotency_key": idempotency_key})
                 ).to_dict()
