"""An owner fills the practice's online booking settings and adds a known contact, in a real
browser at desktop size (1280x800), without any Content Security Policy report."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import staff_signin, DESKTOP, assert_clean

pytestmark = pytest.mark.browser


def test_owner_fills_booking_settings_and_whitelists_a_contact(page, shot, make_practice, make_staff):
    page.set_viewport_size(DESKTOP)
    practice = make_practice("Cabinet du Dr Martin", address="8 place Leclerc", postal_code="06000", city="Nice")
    owner = make_staff(practice, "owner", first_name="Claire", last_name="Martin", email="claire@example.com")
    staff_signin(page, owner)

    page.get_by_role("navigation", name="Menu de la console").get_by_role("link", name="Réservation en ligne").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Réservation en ligne")
    expect(page.locator("#booking-map-link")).to_have_attribute("href", re.compile(r"openstreetmap\.org/search"))
    page.get_by_label("Moyens de paiement acceptés (un par ligne)").fill("Carte bancaire\nChèque")
    page.get_by_label("Étage").fill("2e étage")
    page.get_by_label("Ascenseur").check()
    page.get_by_label("Planning ouvert aux patients sur").select_option("180")
    page.get_by_label("Téléphone du secrétariat").fill("04 93 00 00 00")
    page.get_by_label("Patients connus seulement (adresses e-mail et portables enregistrés)").check()
    video = page.get_by_label("Serveur de visioconférence (téléconsultation)")
    video.fill("http://visio.example.org")
    shot("settings-filled")
    page.get_by_role("button", name="Enregistrer les réglages").click()
    expect(page.locator("#video_base_url-error")).to_contain_text("https://")
    expect(page.get_by_label("Étage")).to_have_value("2e étage")  # nothing typed is lost
    shot("settings-refused")
    page.get_by_label("Serveur de visioconférence (téléconsultation)").fill("https://visio.example.org")
    page.get_by_role("button", name="Enregistrer les réglages").click()
    expect(page.locator("#flash")).to_contain_text("Réglages de la réservation en ligne enregistrés.")
    expect(page.get_by_label("Téléphone du secrétariat")).to_have_value("04 93 00 00 00")
    shot("settings-saved")

    page.get_by_role("link", name="Gérer la liste des patients connus").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Patients connus")
    page.get_by_label("Adresse e-mail ou portable").fill("06 12 34 56 78")
    page.get_by_label("Note (facultatif)").fill("Maman de Léa")
    page.get_by_role("button", name="Ajouter", exact=True).click()
    expect(page.locator("#flash")).to_contain_text("peut réserver en ligne")
    expect(page.locator("#booking-contacts")).to_contain_text("06 12 34 56 78")
    page.get_by_label("Rechercher", exact=True).fill("zzz")
    expect(page.locator("#booking-contacts")).to_contain_text("0 contact")
    page.get_by_label("Rechercher", exact=True).fill("léa")
    expect(page.locator("#booking-contacts")).to_contain_text("Maman de Léa")
    shot("contacts")
    assert_clean(page)
