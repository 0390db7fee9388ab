"""A newcomer books online on a phone-sized browser, confirms with the SMS code, then cancels
from the link in the confirmation e-mail. No CSP report, no serious axe violation."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

import pytest
import time_machine
from playwright.sync_api import expect

from portal.agenda import services
from portal.booking.services import settings_for
from portal.core.audit import Actor
from portal.core.db import commit
from portal.core.services import add_practitioner
from portal.notify.services import delivery_text
from tests.browser.conftest import assert_clean
from tests.browser.test_accessibility import violations
from tests.factories import outbox

pytestmark = pytest.mark.browser
OPERATOR = Actor.operator()
NOW = datetime(2030, 11, 20, 9, 0, tzinfo=UTC)  # a Wednesday; the slots are next Monday


def _practice(make_practice):
    practice = make_practice("Cabinet du Parc", address="3 rue des Lilas", postal_code="21000", city="Dijon",
                             phone="03 80 00 00 00")
    practice.options = {"booking": True}
    doctor = add_practitioner(practice, first_name="Claire", last_name="Martin", specialty="Orthodontie",
                              actor=OPERATOR)
    kind = services.add_appointment_type(practitioner=doctor, name="Première consultation", code="RV1A",
                                         duration_minutes=30, online=True, new_patients=True,
                                         booking_message="Apportez la carte Vitale.", actor=OPERATOR)
    schedule = services.create_schedule(practitioner=doctor, name="Semaine type", actor=OPERATOR)
    for weekday in range(5):
        services.add_range(schedule, weekday=weekday, starts=time(9), ends=time(12), appointment_type=kind,
                           actor=OPERATOR)
    services.activate_schedule(schedule, starts_on=date(2030, 1, 1), ends_on=None, actor=OPERATOR)
    settings = settings_for(practice.id)
    settings.transport, settings.payment_methods = "Tram T1, arrêt Gare", "Carte bancaire\nChèque"
    commit()
    return practice


def test_a_newcomer_books_on_a_phone_then_cancels(page, shot, make_practice):
    with time_machine.travel(NOW):
        practice = _practice(make_practice)
        page.goto(f"/cabinet/{practice.slug}/rendez-vous")
        expect(page.get_by_role("heading", name="Prendre rendez-vous")).to_be_visible()
        assert violations(page) == []
        shot("practice-page")
        page.get_by_role("link", name=re.compile("Première consultation")).click()
        expect(page.locator("#booking-slots .slot").first).to_be_visible()
        shot("slots")
        # Monday's first slot: far enough ahead to be cancelled online (48 h before) afterwards.
        page.locator("#booking-slots .booking-day").nth(2).locator(".slot").first.click()
        page.get_by_role("button", name="Recevoir mon code par SMS").click()  # empty: errors in place
        expect(page.locator(".field.has-error").first).to_be_visible()
        page.get_by_label("Nom du patient", exact=True).fill("Moreau")
        page.get_by_label("Prénom du patient").fill("Inès")
        page.get_by_label("Date de naissance du patient").fill("2014-05-02")
        page.get_by_label("Votre portable").fill("06 98 76 54 32")
        page.get_by_label("Votre adresse e-mail").fill("ines.parent@example.com")
        page.get_by_label("Motif de la visite").fill("Dents qui se chevauchent")
        shot("details")
        assert violations(page) == []
        page.get_by_role("button", name="Recevoir mon code par SMS").click()
        expect(page.locator("#booking-hold")).to_contain_text("réservé jusqu'à")
        code = re.search(r"\b(\d{6})\b", delivery_text(outbox("+33698765432", "booking_code")[-1])).group(1)
        page.get_by_label("Code reçu par SMS").fill(code)
        shot("code")
        page.get_by_role("button", name="Confirmer").click()
        expect(page.get_by_role("heading", name="Rendez-vous confirmé")).to_be_visible()
        expect(page.locator("#booking-done")).to_contain_text("Inès Moreau")
        shot("confirmed")
        mail = outbox("ines.parent@example.com", "booking_confirm")[-1]
        link = re.search(r"https?://\S+(/cabinet/\S+)", mail.body).group(1)
        page.goto(link)
        page.get_by_label("Motif de l'annulation").fill("Empêchement")
        shot("cancel")
        page.get_by_role("button", name="Annuler le rendez-vous").click()
        expect(page.locator("#flash")).to_contain_text("Votre rendez-vous est annulé")
        shot("cancelled")
        assert_clean(page)


def test_a_parent_books_a_child_and_cancels_from_my_appointments(page, shot, make_practice, make_patient):
    """Signed in: book for one of the children from the booking page, see it in Mes RDV (which
    fits a 360 px phone, history included), cancel it there with a reason."""
    from tests.browser.test_patient_flows import LEA, MOBILE, assert_fits_width, first_signin

    with time_machine.travel(NOW, tick=True):
        practice = _practice(make_practice)
        lea = make_patient(practice, parent_mobile=MOBILE, **LEA)
        make_patient(practice, parent_mobile=MOBILE, last_name="LEFEVRE", first_name="Hugo",
                     birth_date=date(2015, 2, 3))
        kind = services.appointment_types(practice_id=practice.id, practitioner_id=practice.practitioners[0].id)[0]
        past = services.book_appointment(practice=practice, practitioner_id=practice.practitioners[0].id,
                                         appointment_type_id=kind.id, patient_id=lea.id, extra=True,
                                         starts_at=datetime(2030, 11, 20, 9, 30, tzinfo=UTC), actor=OPERATOR)
        commit()
    with time_machine.travel(datetime(2030, 11, 20, 11, 0, tzinfo=UTC), tick=True):
        services.mark_no_show(past, actor=OPERATOR)
        commit()
        first_signin(page, LEA)
        page.goto(f"/cabinet/{practice.slug}/rendez-vous")
        page.get_by_role("link", name=re.compile("Première consultation")).click()
        page.locator("#booking-slots .booking-day").nth(2).locator(".slot").first.click()
        page.get_by_label("Pour qui ?").select_option(label="Hugo LEFEVRE")
        shot("for-whom")
        page.get_by_role("button", name="Confirmer le rendez-vous").click()
        expect(page.locator("#booking-done")).to_contain_text("Hugo LEFEVRE")
        page.goto("/rendez-vous")
        expect(page.locator("#missed-count")).to_contain_text("Vous avez manqué 1 rendez-vous.")
        assert_fits_width(page)
        shot("my-appointments-lea")
        # Hugo's visit shows in Hugo's file: switch, then cancel it there.
        page.goto("/menu")
        page.get_by_role("button", name=re.compile("Hugo")).first.click()
        expect(page.locator("#whose-file .whose-file-label")).to_have_text("Dossier de Hugo LEFEVRE")
        page.goto("/rendez-vous")
        expect(page.locator("#appointments-upcoming")).to_contain_text("Première consultation")
        assert_fits_width(page)
        shot("my-appointments-hugo")
        page.get_by_role("link", name="Annuler").first.click()
        page.get_by_label("Motif de l'annulation").fill("Voyage scolaire")
        page.get_by_role("button", name="Annuler le rendez-vous").click()
        expect(page.locator("#flash")).to_contain_text("Le rendez-vous est annulé")
        expect(page.locator("#appointments-upcoming")).to_contain_text("Aucun rendez-vous prévu.")
        shot("cancelled")
        assert_clean(page)
