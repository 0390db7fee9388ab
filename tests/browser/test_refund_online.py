"""Issue 5's done-when for refunds: a parent pays part of the balance online; the practitioner
sees it on the console's Paiements tab as "Virement (en ligne)" and refunds part of it through
Stripe (the local stub); the tab shows the refund under its payment and the new balance, and the
parent's page the balance due again."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal.accounts.models import Role
from portal.billing import services, stripe_account
from portal.billing.models import ItemKind
from portal.core.audit import Actor
from portal.core.db import commit
from tests.billing_stripe.conftest import PK, SK, WHSEC, event_body, post_event, stub  # noqa: F401 (fixture)
from tests.browser.conftest import DESKTOP, SCREENSHOTS, assert_clean, staff_signin
from tests.browser.test_accessibility import violations
from tests.browser.test_patient_flows import LEA, MOBILE, first_signin

pytestmark = pytest.mark.browser


def test_parent_pays_online_and_the_practitioner_refunds_part(app, page, browser, live_server, stub,  # noqa: F811
                                                               monkeypatch, make_practice, make_patient, make_staff):
    practice = make_practice("Cabinet du Parc")
    practice.options = {**(practice.options or {}), "payments_online": True}
    lea = make_patient(practice, parent_mobile=MOBILE, **LEA)
    doctor = make_staff(practice, Role.practitioner, first_name="Anne", last_name="Durand")
    op = Actor.operator()
    stripe_account.save_keys(practice, publishable_key=PK, secret_key=SK, webhook_secret=WHSEC, actor=op)
    today = services.practice_today(practice)
    services.add_item(practice=practice, patient=lea, kind=ItemKind.installment, label="Semestre 1",
                      amount_cents=39000, due_date=today - timedelta(days=20), actor=op)
    commit()
    monkeypatch.setitem(app.config, "STRIPE_CHECKOUT_ORIGIN", stub.base)

    first_signin(page, LEA)
    page.goto("/paiements")
    page.get_by_label("E-mail pour le reçu").fill("parent@example.org")
    page.get_by_label("Montant à régler (€)").fill("150")
    page.get_by_role("button", name="Régler en ligne").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Stub Checkout")
    [session] = stub.sessions.values()
    paid = stub.complete(session["id"])
    account = stripe_account.account_for(practice.id)
    assert post_event(app.test_client(), account, event_body("checkout.session.completed", paid)
                      ).get_json()["status"] == "applied"

    desk = browser.new_context(locale="fr-FR", viewport=DESKTOP, base_url=live_server, timezone_id="Europe/Paris")
    console = desk.new_page()
    staff_signin(console, doctor)
    console.goto(f"/console/patients/{lea.id}?rubrique=paiements")
    payments = console.locator("#billing-payments")
    expect(payments).to_contain_text("Virement (en ligne)")
    expect(console.locator("#billing-balance")).to_contain_text(re.compile(r"Solde restant dû : 240,00\s€"))
    payments.get_by_role("link", name=re.compile("Rembourser")).click()
    amount = console.get_by_label("Montant à rembourser (€)")
    expect(amount).to_have_value("150,00")
    amount.fill("50")
    console.get_by_label("Motif").fill("Séance annulée")
    assert violations(console) == []
    console.get_by_role("button", name="Rembourser").click()
    expect(console.locator("#billing-balance")).to_contain_text(re.compile(r"Solde restant dû : 290,00\s€"))
    refund = console.locator("#billing-payments .refund-row").first
    expect(refund).to_contain_text("remboursé")
    expect(refund).to_contain_text("Séance annulée")
    expect(refund).to_contain_text("Anne Durand")
    [call] = [q for q in stub.requests if q.path == "/v1/refunds"]
    assert call.params["payment_intent"] == paid["payment_intent"] and call.params["amount"] == "5000"
    assert violations(console) == []
    assert_clean(page)
    console.screenshot(path=str(SCREENSHOTS / "test_refund_console_tab.png"), full_page=True, caret="initial")
    desk.close()

    page.goto("/paiements")
    expect(page.locator("#billing-balance")).to_contain_text(re.compile(r"Solde restant dû : 290,00\s€"))
