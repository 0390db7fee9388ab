"""The console's Cabinet pages in a real browser at 1280x800: Options saved and the patient
menu following, Praticiens, Informations, Patients connectés, Statistiques with its SVG chart;
axe-core on each page, no CSP report."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from portal.core.audit import Actor
from portal.core.db import commit, utcnow
from portal.core.models import AuditEvent
from portal.core.services import add_practitioner
from portal.extensions import db
from tests.browser.conftest import staff_signin, DESKTOP, assert_clean
from tests.browser.test_accessibility import violations

pytestmark = pytest.mark.browser


def test_owner_walks_the_cabinet_pages(page, shot, make_practice, make_staff, make_patient):
    page.set_viewport_size(DESKTOP)
    practice = make_practice("Cabinet du Parc")
    owner = make_staff(practice, "owner", first_name="Claire", last_name="Martin")
    add_practitioner(practice, first_name="Paul", last_name="Bernard", actor=Actor.operator())
    patient = make_patient(practice, parent_mobile="06 12 34 56 78", last_name="LEFEVRE", first_name="Léa",
                           birth_date=date(2012, 5, 14))
    from portal.accounts.patient_signin import account_for

    account = account_for(patient, "+33612345678")
    account.last_signin_at = utcnow()
    for days_ago, n in ((1, 3), (2, 1), (5, 4), (12, 2), (20, 6)):
        for _ in range(n):
            db.session.add(AuditEvent(practice_id=practice.id, at=utcnow() - timedelta(days=days_ago),
                                      actor_type="patient", action="patient.signin"))
    commit()

    staff_signin(page, owner)

    problems = {}
    page.get_by_role("link", name="Options").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Options")
    problems["options"] = violations(page)
    page.get_by_role("switch", name="Messagerie").uncheck()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Options enregistrées.")).to_be_visible()
    expect(page.get_by_role("switch", name="Messagerie")).not_to_be_checked()
    shot("options")

    page.get_by_role("link", name="Praticiens").click()
    page.get_by_role("button", name="Rendre inactif : Dr Paul Bernard").click()
    expect(page.get_by_text("n'apparaît plus dans l'espace patient")).to_be_visible()
    problems["praticiens"] = violations(page)
    shot("praticiens")

    page.get_by_role("link", name="Informations").click()
    expect(page.locator("#state-sms")).to_contain_text("SMS_URL")
    problems["informations"] = violations(page)
    shot("informations")

    page.get_by_role("link", name="Patients connectés").click()
    expect(page.locator("#signed-in-table")).to_contain_text("LEFEVRE Léa")
    problems["connectes"] = violations(page)
    shot("patients-connectes")

    page.get_by_role("link", name="Statistiques").click()
    expect(page.locator("#signins-chart rect.chart-bar")).to_have_count(30)
    problems["statistiques"] = violations(page)
    shot("statistiques")
    page.get_by_label("Du", exact=True).fill("2026-03-10")
    page.get_by_label("Au", exact=True).fill("2026-03-01")
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_text("La date de fin doit suivre la date de début.")).to_be_visible()
    problems["statistiques (erreur)"] = violations(page)
    shot("statistiques-erreur")

    page.goto(f"/console/patients/{patient.id}?rubrique=rendez-vous")
    problems["dossier rendez-vous"] = violations(page)
    shot("dossier-onglets")
    assert not any(problems.values()), problems
    assert_clean(page)
