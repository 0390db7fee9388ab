"""The patient space in a real browser at phone size (360x800), through htmx-boosted forms:
first sign-in with the SMS code, errors shown in place, a parent switching between two
children, a later sign-in on a remembered device."""
from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import PHONE as PHONE_SIZE
from tests.browser.conftest import assert_clean

pytestmark = pytest.mark.browser

MOBILE = "06 12 34 56 78"
PASSWORD = "une phrase de passe assez longue"
LEA = {"last_name": "LEFEVRE", "first_name": "Léa", "birth_date": date(2012, 5, 14)}
HUGO = {"last_name": "LEFEVRE", "first_name": "Hugo", "birth_date": date(2015, 2, 3)}


def fill_identity(page, *, phone=MOBILE, last_name, first_name, birth_date, remember=False):
    page.get_by_label("Numéro de téléphone").fill(phone)
    page.get_by_label("Nom", exact=True).fill(last_name)
    page.get_by_label("Prénom", exact=True).fill(first_name)
    page.get_by_label("Date de naissance").fill(birth_date.isoformat())  # <input type=date> takes ISO
    if remember:
        page.get_by_label("Mémoriser mes identifiants").check()


def first_signin(page, who, shot=lambda step: None, remember=False):
    """/connexion → code page → code from the outbox → choose a password → home."""
    page.goto("/connexion")
    fill_identity(page, **who, remember=remember)
    page.get_by_role("button", name="Connexion").click()
    expect(page).to_have_url(re.compile(r"/connexion/code$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Renseignez ci-dessous le code reçu par SMS")
    expect(page.locator("#main")).to_contain_text("06 •• •• •• 78")  # masked number
    shot("code")
    page.get_by_label("Code reçu par SMS").fill(factories.last_code(MOBILE))
    page.get_by_role("button", name="Valider").click()
    expect(page).to_have_url(re.compile(r"/connexion/mot-de-passe/nouveau$"))
    shot("choose-password")
    page.get_by_label("Nouveau mot de passe").fill(PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Enregistrer et accéder au dossier").click()
    give_consent(page, shot)
    expect(page).to_have_url(re.compile(r"/$"))


def give_consent(page, shot=lambda step: None):
    """The RGPD consent step between the password and the home page (issue 4)."""
    expect(page).to_have_url(re.compile(r"/consentement$"))
    shot("consent")
    page.get_by_label("J'ai lu la politique de confidentialité").check()
    page.get_by_role("button", name="Continuer").click()


def assert_fits_width(page):
    """Nothing sticks out sideways: no horizontal scrolling on a 360 px phone."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width}px wide at {page.viewport_size['width']}px"


def assert_showing(page, who):
    name = f"{who['first_name']} {who['last_name']}"
    expect(page.locator("#whose-file .whose-file-label")).to_have_text(f"Dossier de {name}")
    dossier = page.locator("section.dossier")
    expect(dossier.get_by_role("heading", name="Mon dossier")).to_be_visible()
    expect(dossier.locator("dd").nth(1)).to_have_text(who["first_name"])
    expect(dossier).to_contain_text(who["birth_date"].strftime("%d/%m/%Y"))


def test_first_signin_at_phone_size(page, shot, make_practice, make_patient):
    practice = make_practice("Cabinet du Dr Martin")
    make_patient(practice, parent_mobile=MOBILE, **LEA)
    assert page.viewport_size == PHONE_SIZE

    page.goto("/connexion")
    expect(page.get_by_role("heading", level=1)).to_have_text("Consultez votre dossier")
    assert page.locator("#birth_date").get_attribute("type") == "date"
    assert_fits_width(page)
    shot("signin")

    # A typo in the birth date: the neutral message, in place, and nothing typed is lost.
    fill_identity(page, **{**LEA, "birth_date": date(2012, 5, 15)})
    with page.expect_response(lambda r: r.url.endswith("/connexion") and r.request.method == "POST") as resp:
        page.get_by_role("button", name="Connexion").click()
    assert resp.value.status == 422
    assert resp.value.request.headers.get("hx-request") == "true"  # boosted by htmx, swapped in place
    errors = page.locator(".form-errors")
    expect(errors).to_contain_text("Nous n'avons pas pu vous identifier")
    expect(errors).to_have_attribute("role", "alert")
    expect(page).to_have_url(re.compile(r"/connexion$"))
    expect(page.get_by_label("Numéro de téléphone")).to_have_value(MOBILE)
    expect(page.get_by_label("Nom", exact=True)).to_have_value("LEFEVRE")
    expect(page.get_by_label("Prénom", exact=True)).to_have_value("Léa")
    expect(page.get_by_label("Date de naissance")).to_have_value("2012-05-15")
    assert_fits_width(page)
    shot("identify-failed")

    # Corrected: the code page; a wrong code is refused in place (422), then the right one.
    page.get_by_label("Date de naissance").fill("2012-05-14")
    page.get_by_role("button", name="Connexion").click()
    expect(page).to_have_url(re.compile(r"/connexion/code$"))
    code = factories.last_code(MOBILE)
    wrong = "000000" if code != "000000" else "111111"
    page.get_by_label("Code reçu par SMS").fill(wrong)
    with page.expect_response(lambda r: r.url.endswith("/connexion/code") and r.request.method == "POST") as resp:
        page.get_by_role("button", name="Valider").click()
    assert resp.value.status == 422
    expect(page.locator("#code-error")).to_have_text("Code incorrect. Il vous reste 4 essai(s).")
    expect(page.get_by_label("Code reçu par SMS")).to_have_attribute("aria-invalid", "true")
    expect(page).to_have_url(re.compile(r"/connexion/code$"))
    shot("wrong-code")

    page.get_by_label("Code reçu par SMS").fill(code)
    page.get_by_role("button", name="Valider").click()
    expect(page).to_have_url(re.compile(r"/connexion/mot-de-passe/nouveau$"))
    # Too short a password: refused in place, with the rule.
    page.get_by_label("Nouveau mot de passe").fill("court")
    page.get_by_label("Confirmez le mot de passe").fill("court")
    page.get_by_role("button", name="Enregistrer et accéder au dossier").click()
    expect(page.locator("#password-error")).to_be_visible()
    shot("password-refused")
    page.get_by_label("Nouveau mot de passe").fill(PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Enregistrer et accéder au dossier").click()

    # RGPD: the consent step, refused in place when the box is not ticked.
    expect(page).to_have_url(re.compile(r"/consentement$"))
    expect(page.locator("#flash")).to_contain_text("Vous êtes connecté.")
    page.get_by_role("button", name="Continuer").click()
    expect(page.locator("#accept-error")).to_have_text("Cochez la case pour continuer.")
    assert_fits_width(page)
    shot("consent-refused")
    page.get_by_label("J'ai lu la politique de confidentialité").check()
    page.get_by_role("button", name="Continuer").click()

    expect(page).to_have_url(re.compile(r"/$"))
    assert_showing(page, LEA)
    expect(page.locator("#flash")).to_contain_text("Bienvenue dans votre espace.")
    expect(page.locator("#whose-file details.switcher")).to_have_count(0)  # one child only
    expect(page.get_by_role("navigation", name="Navigation principale")).to_be_visible()
    assert_fits_width(page)
    shot("home")
    assert_clean(page)


def test_parent_switches_between_two_children(page, shot, make_practice, make_patient):
    practice = make_practice("Cabinet du Dr Martin")
    make_patient(practice, parent_mobile=MOBILE, number="1001", **LEA)
    hugo = make_patient(practice, parent_mobile=MOBILE, number="1002", **HUGO)

    first_signin(page, LEA, shot)
    assert_showing(page, LEA)

    # The header switcher: a <details> with one button per other child.
    switcher = page.locator("#whose-file details.switcher")
    expect(switcher.locator("summary")).to_have_text("Changer de patient")
    switcher.locator("summary").click()
    expect(switcher.get_by_role("button")).to_have_count(1)
    assert_fits_width(page)
    shot("switcher-open")
    page.locator(f"#switch-patient-{hugo.id}").click()
    expect(page.locator("#flash")).to_contain_text("Vous consultez maintenant le dossier de Hugo LEFEVRE.")
    assert_showing(page, HUGO)
    expect(page).to_have_url(re.compile(r"/$"))
    shot("showing-hugo")

    # And back to Léa from the Menu's "Gestion des patients".
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Menu").click()
    expect(page).to_have_url(re.compile(r"/menu$"))
    management = page.locator("#patients-management")
    expect(management.get_by_role("heading")).to_have_text("Gestion des patients")
    expect(management.locator(".current-patient")).to_contain_text("Hugo LEFEVRE")
    expect(page.locator("#whose-file")).to_contain_text("Dossier de Hugo LEFEVRE")
    assert_fits_width(page)
    shot("menu")
    management.get_by_role("button", name="Léa LEFEVRE").click()
    expect(page).to_have_url(re.compile(r"/$"))
    assert_showing(page, LEA)
    assert_clean(page)


def test_returning_parent_with_remembered_number(page, shot, make_practice, make_patient):
    """'Mémoriser mes identifiants': next time the number is filled in; password, then SMS code."""
    practice = make_practice("Cabinet du Dr Martin")
    make_patient(practice, parent_mobile=MOBILE, **LEA)
    first_signin(page, LEA, remember=True)

    page.get_by_role("link", name="Menu").click()
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.locator("#flash")).to_contain_text("Vous êtes déconnecté.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bon retour")
    expect(page.get_by_label("Numéro de téléphone")).to_have_value(MOBILE)
    shot("returning")

    page.get_by_label("Mot de passe").fill("pas le bon mot de passe")
    page.get_by_role("button", name="Connexion").click()
    expect(page.locator(".form-errors")).to_contain_text("Numéro ou mot de passe incorrect.")
    expect(page.get_by_label("Numéro de téléphone")).to_have_value(MOBILE)

    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    expect(page).to_have_url(re.compile(r"/connexion/code$"))
    page.get_by_label("Code reçu par SMS").fill(factories.last_code(MOBILE))
    page.get_by_role("button", name="Valider").click()
    expect(page).to_have_url(re.compile(r"/$"))
    assert_showing(page, LEA)
    assert_clean(page)
