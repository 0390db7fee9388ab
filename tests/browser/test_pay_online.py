"""Régler en ligne on a phone (360x800): the parent opens Mes paiements, lowers the amount,
submits, lands on the stub's Checkout page, comes back; once the signed "checkout.session.completed"
event has been received, the page shows the new balance."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal.billing import services, stripe_account
from portal.billing.models import ItemKind
from portal.core.audit import Actor
from portal.core.db import commit
from tests.billing_stripe.conftest import PK, SK, WHSEC, event_body, post_event, stub  # noqa: F401 (fixture)
from tests.browser.conftest import assert_clean
from tests.browser.test_accessibility import violations
from tests.browser.test_patient_flows import LEA, MOBILE, first_signin

pytestmark = pytest.mark.browser


def test_parent_pays_part_of_the_balance_online(app, page, shot, stub, monkeypatch,  # noqa: F811
                                                make_practice, make_patient):
    practice = make_practice("Cabinet du Parc")
    practice.options = {**(practice.options or {}), "payments_online": True}
    lea = make_patient(practice, parent_mobile=MOBILE, **LEA)
    op = Actor.operator()
    stripe_account.save_keys(practice, publishable_key=PK, secret_key=SK, webhook_secret=WHSEC, actor=op)
    today = services.practice_today(practice)
    services.add_item(practice=practice, patient=lea, kind=ItemKind.installment, label="Semestre 1",
                      amount_cents=39000, due_date=today - timedelta(days=20), actor=op)
    commit()
    account = stripe_account.account_for(practice.id)
    monkeypatch.setitem(app.config, "STRIPE_CHECKOUT_ORIGIN", stub.base)  # stands in for checkout.stripe.com

    first_signin(page, LEA)
    page.goto("/paiements")
    amount = page.get_by_label("Montant à régler (€)")
    expect(amount).to_have_value("390,00")
    page.get_by_label("E-mail pour le reçu").fill("parent@example.org")
    amount.fill("150")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert violations(page) == []
    shot("form")
    page.get_by_role("button", name="Régler en ligne").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Stub Checkout")
    assert page.url.startswith(stub.base + "/pay/cs_test_")
    expect(page.locator("#amount")).to_have_text("15000 eur")
    [session] = stub.sessions.values()
    paid = stub.complete(session["id"])
    r = post_event(app.test_client(), account, event_body("checkout.session.completed", paid))
    assert r.get_json()["status"] == "applied"
    page.locator("#success").click()
    expect(page.locator("#billing-returned")).to_contain_text("en cours de confirmation")
    page.reload()
    expect(page.locator("#billing-balance")).to_contain_text(re.compile(r"Solde restant dû : 240,00\s€"))
    expect(page.get_by_label("Montant à régler (€)")).to_have_value("240,00")
    assert_clean(page)
    shot("new-balance")
