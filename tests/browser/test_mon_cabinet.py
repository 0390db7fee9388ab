"""Issue 4 (slice a) in a real browser: Mon cabinet and its contact form, Mes RDV with "Tout
afficher" and the day's check-in QR code at 360x800; the desk scanning that code, and the
Coordonnées page with its live preview, at 1280x800. Each page passes axe-core."""
from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import time_machine
import pytest
from playwright.sync_api import expect

from portal.agenda import services as agenda
from portal.agenda.checkin import checkin_code
from portal.agenda.models import AppointmentStatus
from portal.core.audit import Actor
from portal.core.db import commit, utcnow
from portal.core.services import add_practitioner
from tests.browser.conftest import DESKTOP
from tests.browser.test_accessibility import violations
from tests.browser.test_console_flows import sign_in_with_password
from tests.browser.test_patient_flows import LEA, MOBILE, first_signin

pytestmark = pytest.mark.browser
OPERATOR = Actor.operator()


def _practice(make_practice):
    practice = make_practice("Cabinet du Parc", address="3 rue Aristide Bergès", postal_code="21800",
                             city="Sennecey-lès-Dijon", phone="03 80 32 01 40", email="contact@example.com")
    practice.opening_hours = "Lundi-vendredi : 9h-18h30\nMercredi : 8h30-16h30"
    practice.info_zones = ["Chirurgiens-dentistes spécialistes ODF",
                           "Bonjour, toute l'équipe du cabinet vous souhaite la bienvenue.", "", "", "", "", ""]
    practice.options = {"appointments_checkin": True}
    commit()
    return practice


def _visits(practice, patient):
    """One visit in a few minutes (today, whatever the hour), one next month, two in the past."""
    doc = add_practitioner(practice, first_name="Claire", last_name="Martin", actor=OPERATOR)
    kind = agenda.add_appointment_type(practitioner=doc, name="Contrôle", code="CONT", duration_minutes=20,
                                       actor=OPERATOR)
    now = utcnow().replace(microsecond=0)

    def book(delta):
        return agenda.book_appointment(practice=practice, practitioner_id=doc.id, appointment_type_id=kind.id,
                                       patient_id=patient.id, starts_at=now + delta, actor=OPERATOR, extra=True)

    made = [book(timedelta(minutes=5)), book(timedelta(days=30))]
    with time_machine.travel(now - timedelta(days=90)):  # past visits were booked back then
        made += [book(timedelta(days=-60)), book(timedelta(days=-30))]
    made[2].status = AppointmentStatus.no_show
    commit()
    return doc, made


def test_parent_reads_mon_cabinet_and_writes_to_the_practice(page, shot, make_practice, make_patient):
    practice = _practice(make_practice)
    make_patient(practice, parent_mobile=MOBILE, **LEA)
    first_signin(page, LEA)
    page.goto("/menu")
    page.get_by_role("link", name="Mon cabinet").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon cabinet")
    card = page.locator("#cabinet-card")
    expect(card.get_by_role("link", name="03 80 32 01 40")).to_have_attribute("href", "tel:+33380320140")
    expect(card.get_by_role("link", name="contact@example.com")).to_have_attribute("href", "mailto:contact@example.com")
    expect(page.locator("#cabinet-address")).to_have_attribute("href", re.compile("openstreetmap.org/search"))
    shot("mon-cabinet")
    assert violations(page) == []
    page.get_by_label("Objet").fill("Bague décollée")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.locator("#contact-body-error")).to_have_text("Écrivez votre message.")
    expect(page.get_by_label("Objet")).to_have_value("Bague décollée")  # nothing typed is lost
    shot("contact-error")
    assert violations(page) == []
    page.get_by_label("Votre message").fill("La bague du haut est décollée depuis hier.")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.locator("#flash")).to_contain_text("Message envoyé au cabinet")
    shot("contact-sent")


def test_mes_rdv_tout_afficher_and_the_check_in_qr(page, shot, make_practice, make_patient):
    practice = _practice(make_practice)
    lea = make_patient(practice, parent_mobile=MOBILE, **LEA)
    _doc, (today, later, missed, past) = _visits(practice, lea)
    first_signin(page, LEA)
    page.goto("/rendez-vous")
    expect(page.locator(f"#checkin-qr-{today.id} img")).to_be_visible()
    expect(page.locator(f"#checkin-qr-{later.id}")).to_have_count(0)  # only the day's visit
    expect(page.locator("#missed-count")).to_contain_text("Vous avez manqué 1 rendez-vous")
    expect(page.get_by_role("link", name="Me rendre au cabinet").first).to_have_attribute(
        "href", re.compile("openstreetmap"))
    expect(page.locator(f"#visit-{missed.id}")).to_have_count(0)
    shot("mes-rdv-qr")
    assert violations(page) == []
    page.get_by_role("link", name="Tout afficher").click()
    rows = page.locator("#appointments-history tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_have_id(f"visit-{missed.id}")  # chronological: the oldest first
    shot("mes-rdv-tout")
    assert violations(page) == []


def test_desk_scans_the_code_and_the_planning_shows_the_arrival(page, shot, make_practice, make_patient, make_staff):
    page.set_viewport_size(DESKTOP)
    practice = _practice(make_practice)
    lea = make_patient(practice, parent_mobile=MOBILE, **LEA)
    doc, (today, *_rest) = _visits(practice, lea)
    code, doc_id = checkin_code(today), doc.id
    sophie = make_staff(practice, "secretary", first_name="Sophie", email="sophie@example.com")
    sign_in_with_password(page, sophie)
    page.get_by_label("Code de l'application d'authentification").fill(pyotp.TOTP(sophie.totp_key).now())
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(re.compile(r"/console/?$"))
    page.get_by_role("link", name="Accueil des patients").click()
    field = page.get_by_label("Code du rendez-vous (scannez le QR code)")
    expect(field).to_be_focused()
    assert violations(page) == []
    field.type("RDV-1-0000000000000000")  # a scanner types, then Enter
    field.press("Enter")
    expect(page.locator("#checkin-code-error")).to_contain_text("Code non reconnu")
    field = page.get_by_label("Code du rendez-vous (scannez le QR code)")
    expect(field).to_have_value("")
    expect(field).to_be_focused()
    shot("checkin-refused")
    assert violations(page) == []
    field.type(code)
    field.press("Enter")
    expect(page.locator("#checkin-result")).to_contain_text("Léa LEFEVRE est arrivé(e)")
    field = page.get_by_label("Code du rendez-vous (scannez le QR code)")
    expect(field).to_have_value("")
    expect(field).to_be_focused()
    expect(page.locator("#checkin-arrivals")).to_contain_text("Léa LEFEVRE")
    shot("checkin-done")
    page.goto(f"/console/agenda/?praticien={doc_id}")
    expect(page.locator(f"#appointment-{today.id}-arrived")).to_contain_text("Arrivé(e)")
    shot("planning-arrived")


def test_owner_edits_coordinates_with_a_live_preview(page, shot, make_practice, make_staff):
    page.set_viewport_size(DESKTOP)
    practice = _practice(make_practice)
    owner = make_staff(practice, "owner", first_name="Claire", email="claire@example.com")
    sign_in_with_password(page, owner)
    page.get_by_label("Code de l'application d'authentification").fill(pyotp.TOTP(owner.totp_key).now())
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Coordonnées").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Coordonnées du cabinet")
    assert violations(page) == []
    page.get_by_label("Zone 3").fill("Parking gratuit derrière le cabinet")
    expect(page.locator("#cabinet-card")).to_contain_text("Parking gratuit derrière le cabinet")  # preview, not saved
    page.get_by_label("Téléphone", exact=True).fill("12")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#phone-error")).to_contain_text("n'est pas un numéro de téléphone valide")
    expect(page.get_by_label("Zone 3")).to_have_value("Parking gratuit derrière le cabinet")
    shot("coordinates-error")
    assert violations(page) == []
    page.get_by_label("Téléphone", exact=True).fill("03 80 32 01 41")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#flash")).to_contain_text("Coordonnées enregistrées")
    expect(page.locator("#cabinet-card")).to_contain_text("03 80 32 01 41")
    shot("coordinates-saved")
