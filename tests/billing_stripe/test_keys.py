"""The owner's Stripe keys: shapes checked with French errors in place, secrets sealed and
masked, replacement and removal audited without secrets, the page for the owner only, and the
Informations page saying the real state."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.accounts.models import Role
from portal.billing import stripe_account
from portal.billing.stripe_models import StripeAccount
from portal.core.audit import Actor
from portal.core.db import commit
from portal.core.errors import Invalid
from portal.core.models import AuditEvent
from portal.extensions import db
from tests.billing_stripe.conftest import PK, SK, WHSEC
from tests.conftest import csrf_from

URL = "/console/cabinet/paiement-en-ligne"


def save(auth, **fields):
    data = {"publishable_key": PK, "secret_key": SK, "webhook_secret": WHSEC, **fields}
    return auth.post(URL, data)


def test_owner_saves_keys_sealed_and_masked(auth, client, owner):
    auth.staff(owner)
    page = client.get(URL).get_data(as_text=True)
    assert "Non configuré" in page
    r = save(auth)
    assert r.status_code == 303
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Clés Stripe enregistrées." in page
    account = db.session.scalar(select(StripeAccount))
    assert account.mode == "test" and account.configured
    # sealed at rest: the clear secrets are nowhere in the row
    assert SK not in account.secret_key_sealed and WHSEC not in account.webhook_secret_sealed
    assert stripe_account.secret_key(account) == SK and stripe_account.webhook_secret(account) == WHSEC
    # never shown again in full, only masks
    assert SK not in page and WHSEC not in page
    assert "sk_test_…4242" in page and "whsec_…WWWW" in page
    assert f"https://sourire.test/stripe/webhook/{account.webhook_id}" in page  # BASE_URL
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "stripe.keys_saved"))
    assert event.details == {"changed": ["publishable_key", "secret_key", "webhook_secret"], "mode": "test"}
    assert "Clés Stripe enregistrées" in client.get("/console/journal").get_data(as_text=True)


@pytest.mark.parametrize("fields, field, message", [
    ({"publishable_key": "sk_test_" + "x" * 20}, "publishable_key", "Clé publiable invalide"),
    ({"secret_key": "pk_test_" + "x" * 20}, "secret_key", "Clé secrète invalide"),
    ({"secret_key": "sk_live_" + "x" * 20}, "secret_key", "mélangent le mode test et le mode réel"),
    ({"webhook_secret": "wh_" + "x" * 20}, "webhook_secret", "Secret de signature invalide"),
    ({"secret_key": ""}, "secret_key", "Saisissez la clé secrète."),
    ({"webhook_secret": ""}, "webhook_secret", "Saisissez le secret de signature du webhook."),
])
def test_bad_keys_are_refused_in_place_keeping_what_was_typed(auth, client, owner, fields, field, message):
    auth.staff(owner)
    r = save(auth, **fields)
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert message in page
    assert f'id="{field}-error"' in page
    typed = {"publishable_key": PK, "secret_key": SK, "webhook_secret": WHSEC, **fields}
    for value in typed.values():
        if value:
            assert f'value="{value}"' in page
    assert db.session.scalar(select(StripeAccount)) is None


def test_restricted_and_live_keys_are_accepted(owner):
    stripe_account.save_keys(owner.practice, publishable_key="pk_live_" + "a" * 20, secret_key="rk_live_" + "b" * 20,
                             webhook_secret=WHSEC, actor=Actor.operator())
    assert stripe_account.account_for(owner.practice.id).mode == "live"
    assert stripe_account.mask("rk_live_" + "b" * 16 + "9876") == "rk_live_…9876"


def test_replacing_keeps_empty_secrets_and_audits_only_the_changed(auth, client, owner, account):
    auth.staff(owner)
    page = client.get(URL).get_data(as_text=True)
    assert 'name="secret_key" type="password" value=""' in page  # never filled from what is saved
    new_whsec = "whsec_" + "Z" * 32
    r = save(auth, secret_key="", webhook_secret=new_whsec)
    assert r.status_code == 303
    db.session.expire_all()
    fresh = stripe_account.account_for(owner.practice.id)
    assert stripe_account.secret_key(fresh) == SK and stripe_account.webhook_secret(fresh) == new_whsec
    assert fresh.webhook_id == account.webhook_id
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "stripe.keys_saved")
                                .order_by(AuditEvent.id)).all()
    assert events[-1].details == {"changed": ["webhook_secret"], "mode": "test"}
    for event in events:
        assert "S" * 20 not in str(event.details) and "Z" * 20 not in str(event.details)
    again = save(auth, secret_key="", webhook_secret="")
    assert "Aucune clé n" in client.get(again.headers["Location"]).get_data(as_text=True)
    # a live publishable key with the saved test secret key is a mix
    with pytest.raises(Invalid):
        stripe_account.save_keys(owner.practice, publishable_key="pk_live_" + "a" * 20, secret_key="",
                                 webhook_secret="", actor=Actor.operator())


def test_removing_keys_is_audited_and_keeps_the_webhook_address(auth, client, owner, account):
    auth.staff(owner)
    page = client.get(URL).get_data(as_text=True)
    r = client.post(f"{URL}/supprimer", data={"csrf_token": csrf_from(page)})
    assert r.status_code == 303
    assert "Clés Stripe supprimées" in client.get(r.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    fresh = stripe_account.account_for(owner.practice.id)
    assert not fresh.configured and fresh.secret_key_sealed == "" and fresh.webhook_id == account.webhook_id
    assert stripe_account.configured_account(owner.practice.id) is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "stripe.keys_removed"))
    assert event.details == {"mode": "test"}


def test_unreadable_secret_asks_to_enter_it_again(app, owner, account):
    account.secret_key_sealed = "not-a-fernet-token"
    with pytest.raises(Invalid, match="ne peut plus être lue"):
        stripe_account.secret_key(account)


def test_the_page_is_for_the_owner(auth, client, owner, make_staff):
    auth.staff(make_staff(owner.practice, Role.practitioner))
    assert client.get(URL).status_code == 403
    info = client.get("/console/cabinet").get_data(as_text=True)
    assert "Non configuré" in info and URL not in info  # no link to a page they cannot open


def test_informations_reflect_the_real_state(auth, client, owner):
    auth.staff(owner)
    info = client.get("/console/cabinet").get_data(as_text=True)
    assert "Non configuré" in info and URL in info
    assert f'href="{URL}"' in client.get("/console/").get_data(as_text=True)  # the Cabinet menu
    save(auth)
    info = client.get("/console/cabinet").get_data(as_text=True)
    assert "mode test (clé sk_test_…4242)" in info
    owner.practice.options = {**(owner.practice.options or {}), "payments_online": True}
    stripe_account.remove_keys(owner.practice, actor=Actor.operator())
    commit()
    info = client.get("/console/cabinet").get_data(as_text=True)
    assert "alors que l&#39;option « paiement en ligne » est cochée" in info
