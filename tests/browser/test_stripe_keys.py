"""The owner enters the practice's Stripe keys in Cabinet → Paiement en ligne: a mixed-up key is
refused in place with nothing typed lost, then the keys are saved and only masks are shown
(desktop, axe-core on both states, screenshots)."""
from __future__ import annotations

from playwright.sync_api import expect

from portal.accounts.models import Role
from tests.billing_stripe.conftest import PK, SK, WHSEC
from tests.browser.conftest import staff_signin
from tests.browser.test_accessibility import DESKTOP, violations


def test_owner_enters_the_stripe_keys(page, shot, make_practice, make_staff):
    owner = make_staff(make_practice("Cabinet des Tilleuls"), Role.owner)
    page.set_viewport_size(DESKTOP)
    staff_signin(page, owner)
    page.get_by_role("link", name="Informations").click()
    expect(page.locator("#state-payments")).to_contain_text("Non configuré")
    page.locator("#state-payments").get_by_role("link", name="Paiement en ligne").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Paiement en ligne")
    page.get_by_label("Clé publiable").fill(PK)
    page.get_by_label("Clé secrète").fill("sk_live_" + "S" * 24)
    page.get_by_label("Secret de signature du webhook").fill(WHSEC)
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#secret_key-error")).to_contain_text("mélangent le mode test et le mode réel")
    expect(page.get_by_label("Clé publiable")).to_have_value(PK)
    expect(page.get_by_label("Secret de signature du webhook")).to_have_value(WHSEC)
    assert violations(page) == []
    shot("erreur")
    page.get_by_label("Clé secrète").fill(SK)
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Clés Stripe enregistrées.")).to_be_visible()
    expect(page.locator("#stripe-state")).to_contain_text("sk_test_…4242")
    expect(page.locator("#stripe-webhook-url")).to_contain_text("/stripe/webhook/")
    assert SK not in page.content() and WHSEC not in page.content()
    assert violations(page) == []
    shot("enregistre")
    page.get_by_role("link", name="Informations").click()
    expect(page.locator("#state-payments")).to_contain_text("mode test")
