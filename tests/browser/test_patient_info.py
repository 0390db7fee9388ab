"""Issue 4, slice d, in a real browser at 360x800: a parent asks to change a child's e-mail
("Mes infos", an error in place first), looks for a patient in "Gestion des patients", and opens
"Mes données"; staff accept the request in the console. Each page passes axe-core."""
from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.browser.test_accessibility import violations
from tests.browser.test_patient_flows import LEA, MOBILE, assert_fits_width, first_signin
from tests.browser.conftest import staff_signin, DESKTOP, assert_clean

pytestmark = pytest.mark.browser


def test_mes_infos_gestion_and_my_data_at_phone_size(page, shot, make_practice, make_patient, make_staff):
    practice = make_practice("Cabinet du Parc")
    responsibles = [{"role": "parent1", "last_name": "LEFEVRE", "first_name": "Claire", "mobile": MOBILE,
                     "email": "claire@example.com", "address": "1 rue des Lilas, 69003 Lyon"}]
    lea = make_patient(practice, responsibles=responsibles, email="lea@example.com", **LEA)
    make_patient(practice, responsibles=[dict(responsibles[0])], last_name="LEFEVRE", first_name="Hugo",
                 birth_date=date(2015, 2, 3))
    first_signin(page, LEA, shot)
    expect(page.locator("#flash")).to_contain_text("Bienvenue")

    # Mes infos, from the menu
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Menu").click()
    page.get_by_role("link", name="Mes infos").click()
    expect(page).to_have_url(re.compile(r"/mes-infos$"))
    expect(page.locator("#info-email-notice")).to_contain_text("obligatoire")
    assert violations(page) == []
    assert_fits_width(page)
    shot("mes-infos")

    section = page.locator(f"#info-patient-{lea.id}")
    section.get_by_text("Modifier les informations de Léa").click()  # the form folds under the details
    section.get_by_label("E-mail").fill("lea.nouvelle@example")  # no dot after the @: refused in place
    section.get_by_label("Ville").fill("Lyon")
    section.get_by_role("button", name="Envoyer la demande").click()
    section = page.locator(f"#info-patient-{lea.id}")
    expect(section.locator(".error")).to_contain_text("adresse e-mail n'est pas valide")
    expect(section.get_by_label("Ville")).to_have_value("Lyon")  # nothing typed is lost
    expect(section.get_by_label("E-mail")).to_have_value("lea.nouvelle@example")
    assert violations(page) == []
    shot("mes-infos-error")
    section.get_by_label("E-mail").fill("lea.nouvelle@example.com")
    section.get_by_role("button", name="Envoyer la demande").click()
    expect(page.locator("#flash")).to_contain_text("Demande envoyée au cabinet")
    expect(page.locator("#info-requests")).to_contain_text("En attente du cabinet")
    expect(page.locator("#info-requests")).to_contain_text("lea.nouvelle@example.com")
    assert_fits_width(page)
    shot("mes-infos-requested")

    # Gestion des patients: a patient on another number is never revealed
    page.goto("/gestion-patients")
    expect(page.locator("#manage-patients-list")).to_contain_text("Hugo LEFEVRE")
    form = page.locator("#manage-patients-form")
    form.get_by_label("Nom du patient", exact=True).fill("MARTIN")
    form.get_by_label("Prénom du patient").fill("Jules")
    form.get_by_label("Date de naissance").fill("2013-01-01")
    form.get_by_role("button", name="Rechercher ce patient").click()
    expect(page.locator(".form-errors")).to_contain_text("Nous n'avons pas trouvé ce patient avec votre numéro")
    expect(page.locator("#manage-patients-form").get_by_label("Prénom du patient")).to_have_value("Jules")
    assert violations(page) == []
    assert_fits_width(page)
    shot("gestion-des-patients")

    # Mes données: readable, with the JSON download and the deletion request
    page.goto("/mes-donnees")
    expect(page.locator("#my-data")).to_contain_text("Léa LEFEVRE")
    expect(page.get_by_role("link", name="Télécharger (fichier JSON)")).to_be_visible()
    assert violations(page) == []
    assert_fits_width(page)
    shot("mes-donnees")
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger (fichier JSON)").click()
    assert download.value.suggested_filename == "mes-donnees-sourire.json"
    page.emulate_media(media="print")
    shot("mes-donnees-print")
    page.emulate_media(media="screen")
    assert_clean(page)

    # Staff accept it in the console
    page.context.clear_cookies()
    page.set_viewport_size(DESKTOP)

    owner = make_staff(practice, "secretary", first_name="Sophie")
    staff_signin(page, owner)
    page.goto("/console/patients/")
    page.locator("#patients-requests-link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Demandes de modification")
    request = page.locator(".change-request")
    expect(request).to_contain_text("lea.nouvelle@example.com")
    assert violations(page) == []
    shot("console-demandes")
    request.get_by_role("button", name="Accepter").click()
    expect(page.locator("#flash")).to_contain_text("Demande acceptée et appliquée.")
    expect(page.locator("#requests-empty")).to_be_visible()
    assert_clean(page)
