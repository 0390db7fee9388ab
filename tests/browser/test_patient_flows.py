"""The patient space in a real browser at phone size (360x800): first sign-in with the SMS
code, errors shown in place, a parent switching between two children."""
from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import assert_clean

pytestmark = pytest.mark.browser

PHONE = "06 12 34 56 78"
PASSWORD = "une phrase de passe assez longue"


def identify(page, *, phone=PHONE, last="LEFEVRE", first="Léa", born=date(2012, 5, 14)):
    page.get_by_label("Numéro de téléphone").fill(phone)
    page.get_by_label("Nom", exact=True).fill(last)
    page.get_by_label("Prénom", exact=True).fill(first)
    page.get_by_label("Date de naissance").fill(born.isoformat())  # <input type=date> takes ISO
    page.get_by_role("button", name="Connexion").click()


def first_signin(page, shot=None, *, first="Léa", born=date(2012, 5, 14)):
    page.goto("/connexion")
    identify(page, first=first, born=born)
    expect(page).to_have_url(re.compile(r"/connexion/code$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Renseignez ci-dessous le code reçu par SMS")
    if shot:
        shot("code")
    page.get_by_label("Code reçu par SMS").fill(factories.last_code(PHONE))
    page.get_by_role("button", name="Valider").click()
    expect(page).to_have_url(re.compile(r"/connexion/mot-de-passe/nouveau$"))
    if shot:
        shot("choose-password")
    page.get_by_label("Nouveau mot de passe").fill(PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Enregistrer et accéder au dossier").click()
    expect(page.locator("#whose-file")).to_be_visible()


def test_first_signin_at_phone_size(page, shot, make_practice, make_patient):
    practice = make_practice("Cabinet du Dr Martin")
    make_patient(practice, parent_mobile=PHONE, last_name="LEFEVRE", first_name="Léa", birth_date=date(2012, 5, 14))

    page.goto("/connexion")
    expect(page.get_by_role("heading", level=1)).to_have_text("Consultez votre dossier")
    assert page.locator("#birth_date").get_attribute("type") == "date"
    shot("signin")
    first_signin(page, shot)

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("#whose-file")).to_contain_text("Dossier de Léa LEFEVRE")
    dossier = page.locator(".dossier")
    expect(dossier.get_by_role("heading", name="Mon dossier")).to_be_visible()
    expect(dossier).to_contain_text("Léa")
    expect(page.locator("#flash")).to_contain_text("Vous êtes connecté.")
    assert_no_horizontal_scroll(page)
    shot("home")
    assert_clean(page)


def assert_no_horizontal_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width}px wide at {page.viewport_size['width']}px"
