"""Mes paiements on a phone (360x800): the parent opens Paiements from the bottom navigation,
sees the balance due and the overdue fee in red, opens an item's "+" for its details; the page
passes axe-core. Staff then record a cheque in the console's Paiements tab and the parent sees
the new balance."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal.billing import services
from portal.billing.models import ItemKind, PaymentMethod
from portal.core.audit import Actor
from portal.core.db import commit
from tests.browser.conftest import DESKTOP, SCREENSHOTS, assert_clean, staff_signin
from tests.browser.test_accessibility import violations
from tests.browser.test_patient_flows import LEA, MOBILE, first_signin

pytestmark = pytest.mark.browser


def test_parent_sees_balance_details_and_a_payment_recorded_at_the_desk(page, browser, live_server, shot,
                                                                       make_practice, make_patient, make_staff):
    practice = make_practice("Cabinet du Parc")
    lea = make_patient(practice, parent_mobile=MOBILE, **LEA)
    secretary = make_staff(practice, "secretary", first_name="Julie", last_name="Petit")
    today, op = services.practice_today(practice), Actor.operator()
    for n, offset in enumerate((-200, -20, 160), start=1):
        services.add_item(practice=practice, patient=lea, kind=ItemKind.installment, label=f"Semestre {n}",
                          amount_cents=39000, due_date=today + timedelta(days=offset), actor=op)
    services.add_item(practice=practice, patient=lea, kind=ItemKind.fee, label="Radiographie panoramique",
                      amount_cents=4500, care_date=today - timedelta(days=30), due_date=today - timedelta(days=15),
                      actor=op)
    services.record_payment(practice=practice, patient=lea, amount_cents=39000,
                            method=PaymentMethod.cheque, paid_on=today - timedelta(days=190), actor=op)
    commit()

    first_signin(page, LEA)
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Paiements").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes paiements")
    balance = page.locator("#billing-balance")
    expect(balance).to_contain_text(re.compile(rf"Solde restant dû : 435,00\s€ au {today:%d/%m/%Y}"))
    expect(page.locator("#billing-overdue")).to_contain_text("en retard")
    fee = page.locator("#billing-fees details").first
    expect(fee.locator("summary")).to_contain_text("En retard")
    fee.locator("summary").click()
    expect(fee).to_contain_text("Déjà réglé")
    expect(fee).to_contain_text(f"{today - timedelta(days=15):%d/%m/%Y}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone
    assert violations(page) == []
    assert_clean(page)
    shot("balance-and-details")

    desk = browser.new_context(locale="fr-FR", viewport=DESKTOP, base_url=live_server, timezone_id="Europe/Paris")
    console = desk.new_page()
    staff_signin(console, secretary)
    console.goto(f"/console/patients/{lea.id}?rubrique=paiements")
    console.get_by_label("Montant reçu (€)").fill("435")
    console.get_by_label("Référence (n° de chèque, de virement…)").fill("Chèque 0421557")
    console.get_by_role("button", name="Enregistrer le règlement").click()
    expect(console.locator("#billing-balance")).to_contain_text(re.compile(r"Solde restant dû : 0,00\s€"))
    expect(console.locator("#billing-payments")).to_contain_text("Chèque 0421557")
    assert violations(console) == []
    console.screenshot(path=str(SCREENSHOTS / "test_payments_console_tab.png"), full_page=True, caret="initial")
    desk.close()

    page.reload()
    expect(page.locator("#billing-balance")).to_contain_text(re.compile(r"Solde restant dû : 0,00\s€"))
    expect(page.locator("#billing-overdue")).to_have_count(0)
    shot("paid")
