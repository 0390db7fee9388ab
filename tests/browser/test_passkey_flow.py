"""Passkeys in a real browser: Chromium's virtual authenticator (a platform authenticator that
verifies the user) stands in for the phone's fingerprint reader. WebAuthn refuses IP addresses
as relying parties, so this test talks to the server as http://localhost (still 127.0.0.1)."""
from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE as PHONE_SIZE
from tests.browser.conftest import SCREENSHOTS, PageProblems
from tests.browser.test_patient_flows import LEA, MOBILE, PASSWORD, first_signin

pytestmark = pytest.mark.browser


@pytest.fixture
def localhost(app, live_server):
    url = live_server.replace("127.0.0.1", "localhost")
    saved = app.config["BASE_URL"]
    app.config["BASE_URL"] = url  # the relying party is BASE_URL's host
    yield url
    app.config["BASE_URL"] = saved


def test_add_a_passkey_then_sign_in_with_it_alone(browser, localhost, make_practice, make_patient):
    practice = make_practice("Cabinet du Lac")
    make_patient(practice, parent_mobile=MOBILE, **LEA)
    make_patient(practice, parent_mobile=MOBILE, last_name="LEFEVRE", first_name="Hugo", birth_date=date(2015, 2, 3))
    context = browser.new_context(locale="fr-FR", viewport=PHONE_SIZE, base_url=localhost, timezone_id="Europe/Paris")
    context.set_default_timeout(8000)
    page = context.new_page()
    problems = PageProblems()
    page.on("console", problems.on_console)
    page.on("pageerror", problems.on_error)
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})
    SCREENSHOTS.mkdir(exist_ok=True)

    first_signin(page, LEA)
    page.goto("/menu")
    page.get_by_role("link", name="Clés d'accès (passkeys)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Clés d'accès")
    page.get_by_role("button", name="Ajouter une clé d'accès sur cet appareil").click()
    expect(page.locator("[data-passkey-error]")).to_have_text("Mot de passe incorrect.")  # said in place
    page.get_by_label("Votre mot de passe, pour confirmer").fill(PASSWORD)
    page.get_by_role("button", name="Ajouter une clé d'accès sur cet appareil").click()
    expect(page.locator("#flash")).to_contain_text("Clé d'accès ajoutée")
    expect(page.locator("#passkeys .passkey-row")).to_have_count(1)
    page.screenshot(path=str(SCREENSHOTS / "passkey-01-added.png"), full_page=True, caret="initial")

    page.goto("/menu")
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(re.compile(r"/connexion$"))
    page.goto("/connexion?autre=1")
    page.get_by_role("button", name="Se connecter avec une clé d'accès").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("#whose-file")).to_contain_text("Léa")
    page.screenshot(path=str(SCREENSHOTS / "passkey-02-signed-in.png"), full_page=True, caret="initial")
    context.close()
    assert not problems.csp_violations and not problems.errors, problems.csp_violations + problems.errors
