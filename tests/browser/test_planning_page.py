"""The week's planning in a real browser at desktop size: seed 004's colours, the holiday band,
a post-it, no Content Security Policy report and no serious accessibility violation (axe-core)."""
from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
import time_machine
from playwright.sync_api import expect

from portal.agenda import planning, services
from portal.core.audit import Actor
from portal.core.db import commit
from portal.core.services import add_practitioner
from tests.browser.conftest import staff_signin, DESKTOP, assert_clean
from tests.browser.test_accessibility import violations

pytestmark = pytest.mark.browser
OPERATOR = Actor.operator()
MONDAY = date(2030, 11, 25)
NOW = datetime(2030, 11, 25, 7, 0, tzinfo=UTC)  # Monday 08:00 in Paris


def test_the_week_planning_looks_right(page, shot, make_practice, make_staff, make_patient):
    # The whole test runs on Monday 25 November 2030 (the clock keeps ticking from there), so
    # "today" and "later" are the same whatever day the suite runs.
    with time_machine.travel(NOW):
        page.set_viewport_size(DESKTOP)
        practice = make_practice("Cabinet du Parc")
        owner = make_staff(practice, "owner", first_name="Claire")
        doctor = add_practitioner(practice, first_name="Claire", last_name="Martin", actor=OPERATOR)
        kind = services.add_appointment_type(practitioner=doctor, name="Contrôle", code="CONT", duration_minutes=20,
                                             actor=OPERATOR)
        schedule = services.create_schedule(practitioner=doctor, name="Semaine type", actor=OPERATOR)
        for weekday in range(5):
            services.add_range(schedule, weekday=weekday, starts=time(9), ends=time(12), appointment_type=kind,
                               actor=OPERATOR)
        services.activate_schedule(schedule, starts_on=date(2030, 1, 1), ends_on=None, actor=OPERATOR)
        commit()
        names = [("LEFEVRE", "Léa"), ("MOREAU", "Emma"), ("PETIT", "Hugo")]
        patients = [make_patient(practice, last_name=last, first_name=first) for last, first in names]
        visits = []
        for (day, hour), patient in zip([(MONDAY, 9), (MONDAY, 10), (date(2030, 11, 26), 9)], patients, strict=True):
            visits.append(services.book_appointment(
                practice=practice, practitioner_id=doctor.id, appointment_type_id=kind.id, patient_id=patient.id,
                starts_at=services.local_to_utc(practice, day, time(hour)), actor=OPERATOR))
        services.block_time(practice=practice, practitioner_id=doctor.id,
                            starts_at=services.local_to_utc(practice, date(2030, 11, 26), time(10)),
                            ends_at=services.local_to_utc(practice, date(2030, 11, 26), time(11, 20)),
                            label="Réunion", actor=OPERATOR)
        services.take_days_off(practice=practice, practitioner_id=doctor.id, first=date(2030, 11, 28),
                               last=date(2030, 12, 6), label="Congrès", actor=OPERATOR)
        planning.add_event(practice=practice, practitioner_id=None, starts_on=date(2030, 11, 27),
                           ends_on=date(2030, 11, 27), starts=time(13), ends=time(14), title="Réunion d'équipe",
                           color="#bb6bd9", actor=OPERATOR)
        commit()

        staff_signin(page, owner)

        page.goto(f"/console/agenda/semaine?praticien={doctor.id}&jour={MONDAY.isoformat()}")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Planning de la semaine")
        region = page.locator("#agenda-week")
        expect(region.locator(f"#planning-appointment-{visits[0].id}")).to_have_class(
            "planning-item planning-visit planning-visit-today")
        expect(region.locator(f"#planning-appointment-{visits[2].id}")).to_have_class(
            "planning-item planning-visit planning-visit-later")
        expect(region.locator(".planning-band")).to_have_count(1)
        expect(region.locator(".planning-band")).to_contain_text("Congés du jeudi 28 novembre")
        expect(region).to_contain_text("Réunion d'équipe")
        # bronze and green are painted, not just named
        bronze = region.locator(f"#planning-appointment-{visits[0].id}").evaluate(
            "e => getComputedStyle(e).backgroundColor")
        green = region.locator(f"#planning-appointment-{visits[2].id}").evaluate(
            "e => getComputedStyle(e).backgroundColor")
        assert bronze == "rgb(245, 230, 211)" and green == "rgb(230, 244, 234)"
        shot("week")
        assert not violations(page)

        page.get_by_role("link", name="Tous, semaine").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Planning de tous les praticiens")
        expect(page.locator(f"#planning-practitioner-{doctor.id} td")).to_have_count(7)
        shot("all-week")
        assert not violations(page)
        assert_clean(page)
