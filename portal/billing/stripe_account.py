"""The practice's own Stripe account (issue 5): the keys the owner enters in the console,
checked for their shape, sealed at rest, shown back only as masks, and the Stripe client built
from them. Replacing or removing keys is audited, without any secret in the details."""
from __future__ import annotations

import re

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from portal.core import audit
from portal.core.audit import Actor
from portal.core.db import utcnow
from portal.core.errors import Invalid
from portal.core.models import Practice
from portal.core.tokens import new_token, seal, unseal
from portal.billing.stripe_models import StripeAccount
from portal.extensions import db

DEFAULT_API_BASE = "https://api.stripe.com"
PUBLISHABLE = re.compile(r"^pk_(?P<mode>test|live)_[A-Za-z0-9]{10,250}$")
SECRET = re.compile(r"^(?:sk|rk)_(?P<mode>test|live)_[A-Za-z0-9]{10,250}$")  # rk_: a restricted key
WEBHOOK_SECRET = re.compile(r"^whsec_[A-Za-z0-9+/=]{10,250}$")


def account_for(practice_id: int) -> StripeAccount | None:
    """The practice's Stripe account row, configured or not (None before any key was saved)."""
    return db.session.scalar(select(StripeAccount).where(StripeAccount.practice_id == practice_id))


def configured_account(practice_id: int) -> StripeAccount | None:
    """The practice's Stripe account when all three keys are there, else None."""
    account = account_for(practice_id)
    return account if account is not None and account.configured else None


def mask(value: str) -> str:
    """"sk_test_…4242": enough to recognise a key, never enough to use it."""
    prefix = re.match(r"^((?:pk|sk|rk)_(?:test|live)_|whsec_)", value)
    return f"{prefix.group(1) if prefix else ''}…{value[-4:]}"


def secret_key(account: StripeAccount) -> str:
    """The secret key in clear, for a call to Stripe. Invalid when it cannot be read back
    (SECRET_KEY changed since it was saved): the owner must enter it again."""
    value = unseal(account.secret_key_sealed) if account.secret_key_sealed else None
    if not value:
        raise Invalid(_("La clé secrète Stripe ne peut plus être lue : saisissez-la de nouveau dans "
                        "Cabinet → Paiement en ligne."))
    return value


def webhook_secret(account: StripeAccount) -> str | None:
    """The webhook signing secret in clear, or None when missing or unreadable."""
    return unseal(account.webhook_secret_sealed) if account.webhook_secret_sealed else None


def _checked(publishable: str, secret: str | None, signing: str | None, kept_mode: str) -> str:
    """The mode (test or live) of the keys, or Invalid on the first field that is wrong."""
    found = PUBLISHABLE.match(publishable)
    if not found:
        raise Invalid(_("Clé publiable invalide : elle commence par pk_test_ ou pk_live_ (copiez-la depuis "
                        "Développeurs → Clés API de votre tableau de bord Stripe)."), field="publishable_key")
    mode = found["mode"]
    if secret is not None:
        found = SECRET.match(secret)
        if not found:
            raise Invalid(_("Clé secrète invalide : elle commence par sk_test_, sk_live_ (ou rk_ pour une clé "
                            "restreinte)."), field="secret_key")
        secret_mode = found["mode"]
    else:
        secret_mode = kept_mode
    if secret_mode != mode:
        raise Invalid(_("Les clés mélangent le mode test et le mode réel : la clé publiable et la clé secrète "
                        "doivent être toutes deux « test » ou toutes deux « live »."), field="secret_key")
    if signing is not None and not WEBHOOK_SECRET.match(signing):
        raise Invalid(_("Secret de signature invalide : il commence par whsec_ (Développeurs → Webhooks → "
                        "votre point de terminaison → Secret de signature)."), field="webhook_secret")
    return mode


def save_keys(practice: Practice, *, publishable_key: str, secret_key: str, webhook_secret: str,
              actor: Actor) -> list[str]:
    """Save the owner's keys. A secret left empty keeps the one already saved (it is never shown
    again); the first time, all three are required. Returns the names of the keys that changed."""
    publishable_key, secret_key, webhook_secret = (v.strip() for v in (publishable_key, secret_key, webhook_secret))
    account = account_for(practice.id)
    has_secret = bool(account and account.secret_key_sealed)
    has_signing = bool(account and account.webhook_secret_sealed)
    if not secret_key and not has_secret:
        raise Invalid(_("Saisissez la clé secrète."), field="secret_key")
    if not webhook_secret and not has_signing:
        raise Invalid(_("Saisissez le secret de signature du webhook."), field="webhook_secret")
    mode = _checked(publishable_key, secret_key or None, webhook_secret or None, account.mode if account else "")
    if account is None:
        account = StripeAccount(practice_id=practice.id, webhook_id=new_token(18))
        db.session.add(account)
    changed = []
    if publishable_key != account.publishable_key:
        changed.append("publishable_key")
        account.publishable_key = publishable_key
    if secret_key and unseal(account.secret_key_sealed or "") != secret_key:
        changed.append("secret_key")
        account.secret_key_sealed, account.secret_key_hint = seal(secret_key), mask(secret_key)
    if webhook_secret and unseal(account.webhook_secret_sealed or "") != webhook_secret:
        changed.append("webhook_secret")
        account.webhook_secret_sealed, account.webhook_secret_hint = seal(webhook_secret), mask(webhook_secret)
    if changed:
        account.mode, account.updated_at = mode, utcnow()
        db.session.flush()
        # Only which keys changed and the mode: a secret, even masked, has no place in the journal.
        audit.record("stripe.keys_saved", actor=actor, practice_id=practice.id, target=account,
                     details={"changed": changed, "mode": mode})
    return changed


def remove_keys(practice: Practice, *, actor: Actor) -> bool:
    """Forget the three keys (online payment stops). The row and its webhook address stay, so
    keys entered later work with the endpoint already declared in Stripe. False when none."""
    account = account_for(practice.id)
    if account is None or not (account.publishable_key or account.secret_key_sealed or account.webhook_secret_sealed):
        return False
    mode = account.mode
    account.publishable_key = account.secret_key_sealed = account.webhook_secret_sealed = ""
    account.secret_key_hint = account.webhook_secret_hint = account.mode = ""
    account.updated_at = utcnow()
    audit.record("stripe.keys_removed", actor=actor, practice_id=practice.id, target=account,
                 details={"mode": mode})
    return True


def client_for(account: StripeAccount):
    """A Stripe client speaking with the practice's secret key, to STRIPE_API_BASE (Stripe's own
    address unless the tests point it at their local stub)."""
    import stripe

    base = current_app.config.get("STRIPE_API_BASE") or DEFAULT_API_BASE
    # Retries reuse the same idempotency key, so a retried creation never makes a second session.
    return stripe.StripeClient(secret_key(account), base_addresses={"api": base}, max_network_retries=2)
