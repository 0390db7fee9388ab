"""axe-core (Deque, MPL-2.0, vendored in tests/browser/vendor, version 4.10.3) checks the main
pages against WCAG 2.1 A and AA. It is run through Playwright's evaluate, which the page's CSP
does not apply to, so the page keeps its real policy while being checked."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.test_patient_flows import LEA, MOBILE, first_signin

pytestmark = pytest.mark.browser
AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
DESKTOP = {"width": 1280, "height": 800}


def violations(page) -> list[str]:
    page.evaluate(AXE)
    result = page.evaluate("""() => axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})""")
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_patient_pages_are_accessible(page, make_practice, make_patient):
    practice = make_practice("Cabinet du Parc")
    make_patient(practice, parent_mobile=MOBILE, **LEA)
    make_patient(practice, parent_mobile=MOBILE, last_name="LEFEVRE", first_name="Hugo", birth_date=date(2015, 2, 3))
    problems = {}
    page.goto("/connexion")
    problems["/connexion"] = violations(page)
    page.get_by_role("button", name="Connexion").click()  # empty: the errors shown in place
    problems["/connexion (errors)"] = violations(page)
    first_signin(page, LEA)
    for path in ("/", "/menu", "/mot-de-passe", "/cles", "/mes-infos", "/gestion-patients", "/mes-donnees",
                 "/confidentialite", "/messagerie"):
        page.goto(path)
        problems[path] = violations(page)
    assert not any(problems.values()), problems


def test_console_pages_are_accessible(page, make_practice, make_staff, make_patient):
    page.set_viewport_size(DESKTOP)
    practice = make_practice("Cabinet du Parc")
    owner = make_staff(practice, "owner", first_name="Claire")
    patient = make_patient(practice, parent_mobile=MOBILE, **LEA)
    problems = {}
    page.goto("/console/connexion")
    problems["/console/connexion"] = violations(page)
    page.get_by_label("Adresse e-mail").fill(owner.email)
    page.get_by_label("Mot de passe").fill(factories.PASSWORD)
    page.get_by_role("button", name="Continuer").click()
    page.get_by_label("Code de l'application d'authentification").fill(pyotp.TOTP(owner.totp_key).now())
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord")
    for path in ("/console/", "/console/patients/?q=lef", f"/console/patients/{patient.id}",
                 "/console/messages-envoyes/", "/console/patients/demandes", "/console/equipe", "/console/journal", "/console/securite",
                 "/console/messagerie", "/console/messagerie/modeles", f"/console/messagerie/patients/{patient.id}",
                 f"/console/patients/{patient.id}?rubrique=messages"):
        page.goto(path)
        problems[path] = violations(page)
    assert not any(problems.values()), problems
