"""Issue 4, slice d, in a real browser at 360x800: a parent asks to change a child's e-mail
("Mes infos", an error in place first), looks for a patient in "Gestion des patients" and, after
the miss, asks the practice to link them (an error in place first), and opens "Mes données";
staff accept both requests in the console (the link by choosing the file). Each page passes
axe-core."""
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
    jules = make_patient(practice, last_name="MARTIN", first_name="Jules", birth_date=date(2013, 1, 1),
                         parent_mobile="07 55 44 33 22")
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

    # … then ask the practice, from the form the miss offers, prefilled with what was typed
    ask = page.locator("#manage-patients-ask-form")
    expect(ask.get_by_label("Prénom du patient")).to_have_value("Jules")
    ask.get_by_label("Message au cabinet (facultatif)").fill("Je suis sa mère, mon numéro est nouveau.")
    ask.get_by_role("button", name="Envoyer la demande au cabinet").click()  # "Vous êtes" left empty
    ask = page.locator("#manage-patients-ask-form")
    expect(ask.locator(".error")).to_contain_text("Indiquez qui vous êtes")
    expect(ask.get_by_label("Message au cabinet (facultatif)")).to_have_value("Je suis sa mère, mon numéro est nouveau.")
    assert violations(page) == []
    shot("gestion-demande-erreur")
    ask.get_by_label("Vous êtes").select_option("parent")
    ask.get_by_role("button", name="Envoyer la demande au cabinet").click()
    expect(page.locator("#flash")).to_contain_text("Demande envoyée au cabinet")
    expect(page.locator("#manage-patients-requests")).to_contain_text("Jules MARTIN")
    expect(page.locator("#manage-patients-requests")).to_contain_text("En attente du cabinet")
    assert violations(page) == []
    assert_fits_width(page)
    shot("gestion-demande-envoyee")

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
    request = page.locator(".change-request").filter(has_text="lea.nouvelle@example.com")
    link = page.locator(".change-request").filter(has_text="Je suis sa mère")
    expect(link.locator(f"#link-candidate-{link_id(link)}-{jules.id}")).to_contain_text("MARTIN Jules")
    assert violations(page) == []
    shot("console-demandes")
    request.get_by_role("button", name="Accepter").click()
    expect(page.locator("#flash")).to_contain_text("Demande acceptée et appliquée.")

    # The link: parent 1 already has a number, so putting it there is refused in place
    link = page.locator(".change-request").filter(has_text="Je suis sa mère")
    expect(link.get_by_label(re.compile("MARTIN Jules"))).to_be_checked()  # the only candidate
    expect(link.get_by_label("Enregistrer le numéro comme")).to_have_value("parent2")  # the first free place
    link.get_by_label("Enregistrer le numéro comme").select_option("parent1")
    link.get_by_role("button", name="Lier ce dossier au numéro").click()
    link = page.locator(".change-request").filter(has_text="Je suis sa mère")
    expect(link.locator(".form-errors")).to_contain_text("déjà un autre numéro")
    expect(link.get_by_label(re.compile("MARTIN Jules"))).to_be_checked()
    assert violations(page) == []
    shot("console-lien-erreur")
    link.get_by_label("Enregistrer le numéro comme").select_option("parent2")
    link.get_by_role("button", name="Lier ce dossier au numéro").click()
    expect(page.locator("#flash")).to_contain_text("Dossier de Jules MARTIN lié")
    expect(page.locator("#requests-empty")).to_be_visible()
    assert_clean(page)


def link_id(section) -> str:
    return section.get_attribute("id").removeprefix("change-request-")
