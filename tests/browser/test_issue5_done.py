"""Issue 5's "done when", walked as users in one go: the owner enters test Stripe keys, switches
online payment and overdue reminders on; a parent pays part of the balance on a phone (through the
local Stripe stub); the owner sees it as "Virement (en ligne)" in the console's payments of the day,
refunds it, and watches an overdue reminder go out and stop once the file is paid."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from portal.accounts.models import Role
from portal.billing import reminders, services, stripe_account
from portal.billing.models import ItemKind
from portal.core.audit import Actor
from portal.core.db import commit
from portal.notify.services import delivery_text
from tests.billing_stripe.conftest import PK, SK, WHSEC, event_body, post_event, stub  # noqa: F401 (fixture)
from tests.browser.conftest import DESKTOP, SCREENSHOTS, assert_clean, staff_signin
from tests.browser.test_accessibility import violations
from tests.browser.test_patient_flows import LEA, MOBILE, first_signin
from tests.factories import outbox

pytestmark = pytest.mark.browser
EUROS = r"[\s\u00a0\u202f]€"


def test_issue5_done(app, page, shot, browser, live_server, stub, monkeypatch,  # noqa: F811
                     make_practice, make_patient, make_staff):
    practice = make_practice("Cabinet du Parc")
    lea = make_patient(practice, parent_mobile=MOBILE, **LEA)
    owner = make_staff(practice, Role.owner, first_name="Anne", last_name="Durand")
    today = services.practice_today(practice)
    services.add_item(practice=practice, patient=lea, kind=ItemKind.installment, label="Semestre 1",
                      amount_cents=39000, due_date=today - timedelta(days=3), actor=Actor.operator())
    commit()
    monkeypatch.setitem(app.config, "STRIPE_CHECKOUT_ORIGIN", stub.base)  # stands in for checkout.stripe.com

    desk = browser.new_context(locale="fr-FR", viewport=DESKTOP, base_url=live_server, timezone_id="Europe/Paris")
    console = desk.new_page()
    staff_signin(console, owner)

    # 1. The owner sets the practice up: test keys, online payment on, overdue reminders on.
    console.goto("/console/cabinet/paiement-en-ligne")
    console.get_by_label("Clé publiable").fill(PK)
    console.get_by_label("Clé secrète").fill(SK)
    console.get_by_label("Secret de signature du webhook").fill(WHSEC)
    console.get_by_role("button", name="Enregistrer").click()
    expect(console.get_by_text("Clés Stripe enregistrées.")).to_be_visible()
    console.goto("/console/cabinet/options")
    console.get_by_role("switch", name="Paiement en ligne").check()
    console.get_by_role("button", name="Enregistrer").click()
    expect(console.get_by_role("switch", name="Paiement en ligne")).to_be_checked()
    console.goto("/console/cabinet/relances-paiement")
    console.get_by_label("Relancer les règlements en retard").check()
    console.get_by_label("Première relance, jours après l'échéance").fill("3")
    console.get_by_label("Puis tous les (jours)").fill("7")
    console.get_by_label("Nombre de relances au plus").fill("3")
    console.get_by_label("Par SMS").check()
    console.get_by_role("button", name="Enregistrer").click()
    expect(console.get_by_text("Relances enregistrées.")).to_be_visible()
    account = stripe_account.account_for(practice.id)
    assert account.mode == "test"

    # 2. The parent pays 150 € of the 390 € due, on a phone.
    first_signin(page, LEA)
    page.goto("/paiements")
    expect(page.get_by_label("Montant à régler (€)")).to_have_value("390,00")
    page.get_by_label("Montant à régler (€)").fill("150")
    page.get_by_label("E-mail pour le reçu").fill("parent@example.org")
    page.get_by_role("button", name="Régler en ligne").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Stub Checkout")
    [session] = stub.sessions.values()
    paid = stub.complete(session["id"])
    assert post_event(app.test_client(), account, event_body("checkout.session.completed", paid)
                      ).get_json()["status"] == "applied"
    page.locator("#success").click()
    page.reload()
    expect(page.locator("#billing-balance")).to_contain_text(re.compile(r"Solde restant dû : 240,00" + EUROS))
    shot("parent-paid")

    # 3. The owner sees it in the console's payments of the day as "Virement (en ligne)".
    console.goto("/console/paiements")
    payments = console.locator("#payments-list")
    expect(payments).to_contain_text("Virement (en ligne)")
    expect(payments).to_contain_text(re.compile(r"150,00" + EUROS))
    expect(console.locator("#payments-total-online")).to_contain_text(re.compile(r"150,00" + EUROS))
    assert violations(console) == []
    console.screenshot(path=str(SCREENSHOTS / "test_issue5_done-journal.png"), full_page=True, caret="initial")

    # 4. ... and refunds it from the patient's Paiements tab, through Stripe.
    console.goto(f"/console/patients/{lea.id}?rubrique=paiements")
    console.locator("#billing-payments").get_by_role("link", name=re.compile("Rembourser")).click()
    expect(console.get_by_label("Montant à rembourser (€)")).to_have_value("150,00")
    console.get_by_label("Motif").fill("Règlement fait en double")
    console.get_by_role("button", name="Rembourser").click()
    expect(console.locator("#billing-balance")).to_contain_text(re.compile(r"Solde restant dû : 390,00" + EUROS))
    expect(console.locator("#billing-payments .refund-row").first).to_contain_text("remboursé")
    [call] = [q for q in stub.requests if q.path == "/v1/refunds"]
    assert call.params["payment_intent"] == paid["payment_intent"] and call.params["amount"] == "15000"
    console.goto("/console/paiements")
    expect(console.locator("#payments-list .row-refund")).to_contain_text(re.compile(r"150,00" + EUROS))

    # 5. The overdue reminder goes out (the daily job, here its command), with the amount due.
    result = app.test_cli_runner().invoke(args=["billing", "send-overdue-reminders"])
    assert result.exit_code == 0 and "1 overdue-payment reminder(s) queued" in result.output, result.output
    [sms] = outbox(MOBILE, reminders.CATEGORY)
    assert "Semestre 1" in delivery_text(sms) and re.search(r"390,00" + EUROS, delivery_text(sms))
    console.goto("/console/messages-envoyes")
    expect(console.locator("main")).to_contain_text("Semestre 1")

    # ... and stops once paid: a cheque at the desk settles the file; a week later nothing more goes.
    console.goto(f"/console/patients/{lea.id}?rubrique=paiements")
    console.get_by_label("Montant reçu (€)").fill("390")
    console.get_by_label("Référence (n° de chèque, de virement…)").fill("CHQ 1234")
    console.get_by_role("button", name="Enregistrer le règlement").click()
    expect(console.locator("#billing-balance")).to_contain_text(re.compile(r"Solde restant dû : 0,00" + EUROS))
    assert reminders.send_overdue_reminders(datetime.now(UTC) + timedelta(days=7)) == 0
    commit()
    assert len(outbox(MOBILE, reminders.CATEGORY)) == 1
    assert violations(console) == []
    assert_clean(page)
    desk.close()
