"""Seed 004 in a real browser: a prepaid teleconsultation left unpaid is painted red on the
week's planning with the words "non payée" (not colour alone), a paid one is not; marking it paid
from its page takes the red away. No CSP report, no serious accessibility violation."""
from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
import time_machine
from playwright.sync_api import expect

from portal.agenda import services
from portal.billing import teleconsult
from portal.core.audit import Actor
from portal.core.db import commit
from portal.core.services import add_practitioner
from tests.browser.conftest import DESKTOP, assert_clean, staff_signin
from tests.browser.test_accessibility import violations

pytestmark = pytest.mark.browser
OPERATOR = Actor.operator()
MONDAY = date(2030, 11, 25)
NOW = datetime(2030, 11, 25, 7, 0, tzinfo=UTC)  # Monday 08:00 in Paris


def test_unpaid_teleconsultation_is_red_on_the_planning_until_marked_paid(page, shot, make_practice, make_staff,
                                                                            make_patient):
    with time_machine.travel(NOW):
        page.set_viewport_size(DESKTOP)
        practice = make_practice("Cabinet du Parc")
        owner = make_staff(practice, "owner", first_name="Claire")
        doctor = add_practitioner(practice, first_name="Claire", last_name="Martin", actor=OPERATOR)
        control = services.add_appointment_type(practitioner=doctor, name="Contrôle", code="CONT",
                                                duration_minutes=20, actor=OPERATOR)
        video = services.add_appointment_type(practitioner=doctor, name="Téléconsultation", code="TC",
                                              duration_minutes=20, actor=OPERATOR, teleconsultation=True,
                                              prepayment=True, price_cents=2500)
        patients = [make_patient(practice, last_name=last, first_name=first)
                    for last, first in [("LEFEVRE", "Léa"), ("MOREAU", "Emma"), ("PETIT", "Hugo")]]

        def book(patient, kind, day, hour):
            return services.book_appointment(practice=practice, practitioner_id=doctor.id, appointment_type_id=kind.id,
                                             patient_id=patient.id, extra=True, actor=OPERATOR,
                                             starts_at=services.local_to_utc(practice, day, time(hour)),
                                             teleconsult_mobile="+33612345678" if kind is video else "")

        seen = book(patients[0], control, MONDAY, 9)
        unpaid = book(patients[1], video, MONDAY, 10)
        paid = book(patients[2], video, date(2030, 11, 26), 9)
        teleconsult.mark_paid(practice=practice, appointment=paid, method="card", actor=OPERATOR)
        commit()

        staff_signin(page, owner)
        page.goto(f"/console/agenda/semaine?praticien={doctor.id}&jour={MONDAY.isoformat()}")
        region = page.locator("#agenda-week")
        red = region.locator(f"#planning-appointment-{unpaid.id}")
        expect(red).to_contain_text("non payée")
        expect(region.locator(f"#planning-appointment-{paid.id}")).not_to_contain_text("non payée")
        expect(region.locator(f"#planning-appointment-{seen.id}")).not_to_contain_text("non payée")
        assert red.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(253, 236, 234)"  # red, not bronze
        shot("week-unpaid")
        assert not violations(page)

        page.goto(f"/console/agenda/rendez-vous/{unpaid.id}")
        expect(page.locator("#appointment-unpaid")).to_have_text("non payée")
        page.get_by_label("Moyen de paiement").select_option("cheque")
        page.get_by_role("button", name="Marquer payée").click()
        expect(page.locator("#appointment-paid")).to_have_text("payée")
        page.goto(f"/console/agenda/semaine?praticien={doctor.id}&jour={MONDAY.isoformat()}")
        expect(page.locator(f"#planning-appointment-{unpaid.id}")).not_to_contain_text("non payée")
        shot("week-paid")
        assert_clean(page)
