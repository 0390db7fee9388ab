"""Console Invitations in a real browser at 1280x800: an owner edits the SMS template (an unknown
merge field refused in place), previews it for a patient, previews the mass send (recipients,
skipped, SMS segments) and confirms it; axe-core on each page, no CSP report."""
from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, assert_clean, staff_signin
from tests.browser.test_accessibility import violations
from tests.factories import outbox

pytestmark = pytest.mark.browser


def test_owner_edits_previews_and_sends_invitations(page, shot, make_practice, make_staff, make_patient, run_jobs):
    page.set_viewport_size(DESKTOP)
    practice = make_practice("Cabinet du Parc", address="4 place Darcy", postal_code="21000", city="Dijon")
    owner = make_staff(practice, "owner", first_name="Claire", last_name="Martin")
    make_patient(practice, number="501", parent_mobile="06 12 34 56 78", last_name="LEFEVRE", first_name="Léa",
                 birth_date=date(2012, 5, 14))
    make_patient(practice, number="502", parent_mobile="06 98 76 54 32", last_name="GARÇON", first_name="François",
                 birth_date=date(2013, 1, 9))
    make_patient(practice, number="503", last_name="SANS", first_name="Numéro", birth_date=date(2014, 2, 2))

    staff_signin(page, owner)
    problems = {}
    page.get_by_role("link", name="Invitations").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invitations")
    problems["index"] = violations(page)
    page.get_by_role("link", name="SMS d'invitation", exact=True).click()

    body = page.get_by_label("Texte")
    body.fill("@CABINET : le dossier de @PPREN est en ligne sur @URL (cabinet @CODE). @SECRET")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Champ de fusion inconnu : @SECRET.")).to_be_visible()
    expect(body).to_have_value("@CABINET : le dossier de @PPREN est en ligne sur @URL (cabinet @CODE). @SECRET")
    problems["error"] = violations(page)
    body.fill("@CABINET : le dossier de @PPREN est en ligne sur @URL (cabinet @CODE).")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Modèle « SMS d'invitation » enregistré.")).to_be_visible()

    page.get_by_label("Pour le patient (n° de dossier ou nom)").fill("501")
    page.get_by_role("button", name="Voir l'aperçu").click()
    expect(page.locator("#invitation-preview")).to_contain_text("le dossier de Léa est en ligne")
    expect(page.locator("#invitation-sms-cost")).to_contain_text("1 segment SMS (GSM-7)")
    problems["edit"] = violations(page)
    shot("template")

    page.get_by_role("link", name="Envoyer à tous les patients non connectés…").click()
    expect(page.locator("#invitation-recipient-count")).to_have_text("2 destinataires")
    expect(page.locator("#invitation-sms-total")).to_contain_text("3 segments facturés")  # 1 GSM-7 + 2 UCS-2 (Ç)
    expect(page.locator("#invitation-skipped")).to_contain_text("1 (pas de portable)")
    problems["mass"] = violations(page)
    shot("mass-preview")

    page.get_by_role("button", name="Confirmer l'envoi").click()
    expect(page.get_by_text("2 invitations envoyées")).to_be_visible()
    run_jobs()
    page.reload()
    expect(page.locator("#invitation-batch-queued")).to_have_text("2 / 2")
    problems["batch"] = violations(page)
    shot("sent")
    assert sorted(m.recipient for m in outbox(category="invitation")) == ["+33612345678", "+33698765432"]
    assert problems == {k: [] for k in problems}
    assert_clean(page)
