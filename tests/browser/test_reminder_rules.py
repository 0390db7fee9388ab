"""Notifications (issue 4 reminders) at phone size: a parent adds "2 jours avant à 18:00" by SMS
and e-mail with "+", gets a French refusal in place for a bad delay, removes the default with the
bin — htmx swaps only the rules' region — and axe finds nothing serious."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_accessibility import violations
from tests.browser.test_patient_flows import LEA, MOBILE, assert_fits_width, first_signin

pytestmark = pytest.mark.browser


def test_add_and_remove_reminders_on_a_phone(page, shot, make_practice, make_patient):
    practice = make_practice()
    make_patient(practice, parent_mobile=MOBILE, **LEA)
    first_signin(page, LEA)
    page.goto("/menu")
    page.get_by_role("link", name="Notifications").click()
    expect(page).to_have_url(re.compile(r"/notifications$"))
    rules = page.locator("#space-reminders")
    expect(rules.locator(".reminder-row")).to_have_count(1)
    expect(rules).to_contain_text("1 jour avant à 12:00")
    shot("default")
    page.get_by_label("Jours avant").fill("15")
    page.get_by_label("À", exact=True).fill("18:00")
    page.get_by_role("button", name="Ajouter ce rappel").click()
    expect(rules).to_contain_text("Choisissez un délai de 0 à 14 jours.")
    expect(page.get_by_label("À", exact=True)).to_have_value("18:00")  # what was typed stays
    shot("refused")
    page.get_by_label("Jours avant").fill("2")
    page.get_by_label("E-mail").check()
    page.get_by_role("button", name="Ajouter ce rappel").click()
    expect(rules).to_contain_text("Rappel ajouté.")
    expect(rules.locator(".reminder-row")).to_have_count(2)
    expect(rules).to_contain_text("2 jours avant à 18:00")
    assert_fits_width(page)
    assert violations(page) == []
    shot("added")
    page.get_by_role("button", name="Supprimer le rappel : 1 jour avant à 12:00").click()
    expect(rules.locator(".reminder-row")).to_have_count(1)
    expect(rules).to_contain_text("Rappel supprimé.")
    shot("removed")
