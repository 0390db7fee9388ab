"""The practice console in a real browser at desktop size (1280x800): sign-in with an
authenticator code, first-time enrolment by QR code with recovery codes, and a walk through
the pages (live search swapped by htmx) without any Content Security Policy report."""
from __future__ import annotations

import re
import time
from datetime import date

import pyotp
import pytest
from playwright.sync_api import expect

from portal.core.db import commit
from portal.notify.services import queue_sms
from tests import factories
from tests.browser.conftest import DESKTOP, assert_clean

pytestmark = pytest.mark.browser


# Where the QR code's modules are drawn on screen versus the box the <svg> occupies: an <svg>
# without viewBox resized by CSS is cut, not scaled, and a QR code without its corners does not scan.
QR_GEOMETRY = """svg => {
  const b = svg.getBBox(), m = svg.getScreenCTM(), r = svg.getBoundingClientRect();
  return [{left: m.a * b.x + m.e, top: m.d * b.y + m.f,
           right: m.a * (b.x + b.width) + m.e, bottom: m.d * (b.y + b.height) + m.f},
          {left: r.left, top: r.top, right: r.right, bottom: r.bottom}];
}"""


def not_a_valid_code(secret: str) -> str:
    totp = pyotp.TOTP(secret)
    now = totp.timecode(time.time())
    valid = {totp.generate_otp(step) for step in (now - 1, now, now + 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)


def sign_in_with_password(page, user):
    page.goto("/console/connexion")
    expect(page.get_by_role("heading", level=1)).to_have_text("Console du cabinet")
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(factories.PASSWORD)
    page.get_by_role("button", name="Continuer").click()


def test_staff_signin_with_authenticator_code(page, shot, make_practice, make_staff, make_patient):
    page.set_viewport_size(DESKTOP)
    practice = make_practice("Cabinet du Dr Martin")
    claire = make_staff(practice, "owner", first_name="Claire", last_name="Martin", email="claire@example.com")
    make_patient(practice, parent_mobile="06 12 34 56 78", number="1001", last_name="LEFEVRE", first_name="Léa",
                 birth_date=date(2012, 5, 14))
    make_patient(practice, number="1002", last_name="MOREAU", first_name="Emma", mobile="07 50 00 00 01")
    queue_sms(practice_id=practice.id, to="+33612345678", key="browser-test-1", category="auth_code",
              body="Cabinet du Dr Martin : votre code Sourire est 123456. Il expire dans 5 minutes.")
    commit()

    sign_in_with_password(page, claire)
    expect(page).to_have_url(re.compile(r"/console/connexion/code$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Code d'authentification")
    shot("code")

    # A wrong code is refused in place (422), the page stays put.
    page.get_by_label("Code de l'application d'authentification").fill(not_a_valid_code(claire.totp_key))
    with page.expect_response(lambda r: r.url.endswith("/console/connexion/code")
                              and r.request.method == "POST") as resp:
        page.get_by_role("button", name="Se connecter").click()
    assert resp.value.status == 422
    expect(page.locator("#code-error")).to_have_text("Code incorrect ou déjà utilisé.")

    page.get_by_label("Code de l'application d'authentification").fill(pyotp.TOTP(claire.totp_key).now())
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(re.compile(r"/console/?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord")
    expect(page.locator("#flash")).to_contain_text("Bonjour Claire, vous êtes connecté.")
    expect(page.locator("#tile-patients .tile-figure")).to_have_text("2")
    menu = page.get_by_role("navigation", name="Menu de la console")
    expect(menu).to_contain_text("Claire Martin")
    shot("dashboard")

    # Patients: the live search swaps only the results (htmx), by name then by mobile number.
    menu.get_by_role("link", name="Patients", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Patients")
    with page.expect_response(lambda r: "q=lef" in r.url and r.request.headers.get("hx-target") == "patients-results"):
        page.get_by_label("Rechercher un patient").press_sequentially("lef", delay=30)
    results = page.locator("#patients-results")
    expect(results).to_contain_text("1 patient trouvé")
    expect(results.locator("tbody tr")).to_have_count(1)
    expect(results).to_contain_text("LEFEVRE Léa")
    expect(page).to_have_url(re.compile(r"q=lef"))
    shot("patients-search")
    page.get_by_label("Rechercher un patient").fill("07 50 00 00 01")  # the patient's own mobile
    expect(results.locator("tbody tr")).to_have_count(1)
    expect(results).to_contain_text("MOREAU Emma")
    page.get_by_label("Rechercher un patient").fill("06 12 34 56 78")  # a parent's mobile
    expect(results).to_contain_text("LEFEVRE Léa")
    expect(results.locator("tbody tr")).to_have_count(1)
    results.get_by_role("link", name="LEFEVRE Léa").click()
    expect(page.locator("#patient-title")).to_contain_text("LEFEVRE Léa")
    expect(page.locator("#patient-sharing")).to_contain_text("Ne pas partager les données en ligne")
    shot("patient")

    menu.get_by_role("link", name="Messages envoyés").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Messages envoyés")
    expect(page.locator("#outbox-table tbody tr")).to_have_count(1)
    expect(page.locator("#outbox-table")).to_contain_text("1 segment")
    shot("messages")

    menu.get_by_role("link", name="Équipe").click()
    expect(page.locator("#team-table")).to_contain_text("claire@example.com")
    shot("team")
    menu.get_by_role("link", name="Journal").click()
    expect(page.locator("#audit-table")).to_contain_text("Connexion")
    shot("journal")
    assert_clean(page)


def test_staff_enrols_authenticator_then_uses_a_recovery_code(page, shot, make_practice, make_staff):
    page.set_viewport_size(DESKTOP)
    practice = make_practice("Cabinet du Dr Martin")
    julie = make_staff(practice, "secretary", enrolled=False, first_name="Julie", last_name="Petit",
                       email="julie@example.com")

    sign_in_with_password(page, julie)
    expect(page).to_have_url(re.compile(r"/console/connexion/authentificateur$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Configurez votre application d'authentification")
    qr = page.locator("#totp-qr svg")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box["width"] >= 150 and box["height"] >= 150, box  # big enough to scan from a screen
    drawn, shown = qr.evaluate(QR_GEOMETRY)
    assert drawn["right"] <= shown["right"] + 1 and drawn["bottom"] <= shown["bottom"] + 1, \
        f"the QR code is clipped: drawn {drawn}, shown {shown}"
    page.get_by_text("Impossible de scanner ? Saisissez cette clé").click()
    secret = page.locator("#totp-secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), secret
    shot("enrol")

    # A wrong first code: refused in place, the same secret stays on the page.
    page.get_by_label("Code de l'application d'authentification").fill(not_a_valid_code(secret))
    page.get_by_role("button", name="Activer").click()
    expect(page.locator("#code-error")).to_contain_text("Code incorrect.")
    assert page.locator("#totp-secret").text_content().strip() == secret

    page.get_by_label("Code de l'application d'authentification").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Activer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vos codes de secours")
    codes = page.locator("#recovery-codes code")
    expect(codes).to_have_count(10)
    recovery = codes.first.inner_text()
    assert re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", recovery), recovery
    shot("recovery-codes")
    page.get_by_role("link", name="J'ai noté mes codes, continuer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord")
    # A secretary sees neither the team nor the journal.
    menu = page.get_by_role("navigation", name="Menu de la console")
    expect(menu.get_by_role("link", name="Équipe")).to_have_count(0)
    expect(menu.get_by_role("link", name="Journal")).to_have_count(0)

    # Without her phone: a recovery code gets her in, once, and she is told how many are left.
    menu.get_by_role("button", name="Se déconnecter").click()
    expect(page.locator("#flash")).to_contain_text("Vous êtes déconnecté.")
    sign_in_with_password(page, julie)
    expect(page).to_have_url(re.compile(r"/console/connexion/code$"))
    page.get_by_label("Code de l'application d'authentification").fill(recovery)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sécurité du compte")
    expect(page.locator("#flash")).to_contain_text("il vous en reste 9")
    expect(page.locator("#security-recovery")).to_contain_text("Il vous reste 9 codes de secours.")
    shot("security")
    assert_clean(page)
