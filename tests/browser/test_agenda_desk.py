"""The desk in a real browser at 1280x800: a secretary finds a patient by e-mail (live list),
books a slot with a message for the patient, opens the appointment and moves it."""
from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import expect

from tests import factories
from tests.agenda.conftest import week  # noqa: F401  (the fixture)
from tests.browser.conftest import DESKTOP, assert_clean
from tests.browser.test_console_flows import sign_in_with_password

pytestmark = pytest.mark.browser


def test_secretary_books_by_email_then_moves_the_visit(page, shot, week, make_staff, make_patient):  # noqa: F811
    page.set_viewport_size(DESKTOP)
    lea = make_patient(week.practice, number="1001", last_name="PETIT", first_name="Léa", email="lea@example.com",
                       parent_mobile="06 12 34 56 78")
    make_patient(week.practice, number="1002", last_name="PETIT", first_name="Hugo", parent_mobile="06 12 34 56 78")
    sophie = make_staff(week.practice, "secretary", first_name="Sophie", email="sophie@example.com")
    sign_in_with_password(page, sophie)
    page.get_by_label("Code de l'application d'authentification").fill(pyotp.TOTP(sophie.totp_key).now())
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(re.compile(r"/console/?$"))

    page.goto(f"/console/agenda/?praticien={week.practitioner.id}&jour=2030-11-25")
    with page.expect_response(lambda r: "/console/agenda/patients" in r.url and "lea%40example.com" in r.url):
        page.get_by_label("Patient : n° de dossier, portable, nom ou e-mail").fill("lea@example.com")
    pick = page.locator("#agenda-patient-pick")
    expect(pick).to_contain_text("PETIT Léa")
    lea_id = lea.id  # read here: the callback runs outside the app context
    with page.expect_response(lambda r: f"patient_id={lea_id}" in r.url):
        pick.get_by_label(re.compile("PETIT Léa")).check()
    expect(pick).to_contain_text("famille")  # Hugo shares the parent's mobile
    expect(pick.get_by_label(re.compile("PETIT Léa"))).to_be_checked()
    page.locator(".desk-options summary").click()
    page.get_by_label("Message pour le patient (facultatif)").fill("Apportez votre dernière radio.")
    shot("booking-form")
    page.get_by_role("button", name="09:40 · CONT").click()
    expect(page.locator("#flash")).to_contain_text("Rendez-vous pris pour Léa PETIT le 25/11/2030 à 09:40.")
    row = page.locator("#agenda-appointments tbody tr")
    expect(row).to_have_count(1)
    shot("booked")
    assert "Apportez votre dernière radio." in factories.outbox("06 12 34 56 78", "confirmation")[0].body

    row.get_by_role("link", name="PETIT Léa").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rendez-vous de Léa PETIT")
    expect(page.locator("#appointment-when")).to_contain_text("09:40")
    shot("appointment")
    page.locator("#appointment-move-form").get_by_role("button", name="10:20").click()
    expect(page.locator("#flash")).to_contain_text("Rendez-vous déplacé au 25/11/2030 à 10:20.")
    expect(page.locator("#appointment-when")).to_contain_text("10:20")
    shot("moved")
    assert_clean(page)
