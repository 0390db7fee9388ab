"""Issue 4's "done when", walked in one go on an Android-sized phone: a parent signs in, sees the
next visit of each child, adds one to the calendar, opens the practice's address in the phone's
maps, sets a 2-days-at-18:00 reminder and finds it in the outbox at the right time; staff tick
"Ne pas partager en ligne" and the child disappears from the parent's space; staff switch
Messagerie off and it disappears. Every page opened passes axe-core."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from portal.agenda import services as agenda
from portal.core.audit import Actor
from portal.core.db import commit, utcnow
from portal.core.services import add_practitioner
from portal.extensions import db
from portal.notify.models import ReminderSweep
from portal.notify.reminders import send_due_reminders
from tests.browser.conftest import DESKTOP, SCREENSHOTS, PageProblems, assert_clean, staff_signin
from tests.browser.test_accessibility import violations
from tests.browser.test_patient_flows import HUGO, LEA, MOBILE, PHONE_SIZE, first_signin
from tests.factories import outbox

pytestmark = pytest.mark.browser
OPERATOR = Actor.operator()
PARIS = ZoneInfo("Europe/Paris")
ANDROID = "Mozilla/5.0 (Linux; Android 15; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36"


def _local(day, hour, minute=0) -> datetime:
    return datetime.combine(day, time(hour, minute), PARIS)


@pytest.fixture
def phone(browser, live_server):
    """An Android phone's browser (its user agent picks the maps link), French, 360x800."""
    context = browser.new_context(locale="fr-FR", viewport=PHONE_SIZE, base_url=live_server,
                                  timezone_id="Europe/Paris", user_agent=ANDROID, accept_downloads=True)
    context.set_default_timeout(8000)
    page = context.new_page()
    page.problems = PageProblems()
    page.on("console", page.problems.on_console)
    page.on("pageerror", page.problems.on_error)
    yield page
    assert_clean(page)
    context.close()


def test_a_parent_on_a_phone_and_the_practice_in_the_console(phone, page, make_practice, make_patient, make_staff):
    practice = make_practice("Cabinet du Parc", address="3 rue Aristide Bergès", postal_code="21800",
                             city="Sennecey-lès-Dijon", phone="03 80 32 01 40")
    doc = add_practitioner(practice, first_name="Claire", last_name="Martin", actor=OPERATOR)
    kind = agenda.add_appointment_type(practitioner=doc, name="Contrôle", code="CONT", duration_minutes=20,
                                       actor=OPERATOR)
    lea = make_patient(practice, parent_mobile=MOBILE, **LEA)
    hugo = make_patient(practice, parent_mobile=MOBILE, **HUGO)
    today = utcnow().astimezone(PARIS).date()
    lea_at, hugo_at = _local(today + timedelta(days=4), 10), _local(today + timedelta(days=6), 14, 40)
    lea_visit, _hugo_visit = (
        agenda.book_appointment(practice=practice, practitioner_id=doc.id, appointment_type_id=kind.id,
                                patient_id=who.id, starts_at=at, actor=OPERATOR, extra=True)
        for who, at in ((lea, lea_at), (hugo, hugo_at)))
    commit()

    # Home: Léa's next visit, and Hugo's below it.
    first_signin(phone, LEA)
    expect(phone.locator("#next-visit")).to_contain_text("10:00")
    expect(phone.locator(f"#family-visit-{hugo.id}")).to_contain_text("14:40")
    assert violations(phone) == []
    shot_phone(phone, "home-family")

    # Mes RDV: the .ics the first time, "déjà ajouté" the second; the maps link is the phone's.
    phone.get_by_role("link", name="Mes RDV").first.click()
    expect(phone).to_have_url(re.compile(r"/rendez-vous$"))
    with phone.expect_download() as download:
        phone.locator(f"#visit-{lea_visit.id}-calendar").click()
    ics = open(download.value.path(), encoding="utf-8").read()
    assert "BEGIN:VCALENDAR" in ics and "BEGIN:VEVENT" in ics and "Contrôle" in ics
    assert f"DTSTART;TZID=Europe/Paris:{lea_at:%Y%m%dT%H%M%S}" in ics
    phone.locator(f"#visit-{lea_visit.id}-calendar").click()
    expect(phone.locator("#main")).to_contain_text("Ce rendez-vous a déjà été ajouté à votre agenda")
    phone.goto("/rendez-vous")
    expect(phone.get_by_role("link", name="Me rendre au cabinet").first).to_have_attribute(
        "href", re.compile(r"^geo:0,0\?q=3\+rue\+Aristide"))
    assert violations(phone) == []
    shot_phone(phone, "mes-rdv")

    # Notifications: 2 days before at 18:00, by SMS.
    phone.goto("/menu")
    phone.get_by_role("link", name="Notifications").click()
    phone.get_by_label("Jours avant").fill("2")
    phone.get_by_label("À", exact=True).fill("18:00")
    phone.get_by_role("button", name="Ajouter ce rappel").click()
    expect(phone.locator("#space-reminders")).to_contain_text("2 jours avant à 18:00")
    assert violations(phone) == []

    # The sweep: nothing at 17:59 two days before, the SMS at 18:05 (within its 10 minutes).
    due = _local(lea_at.date() - timedelta(days=2), 18)
    db.session.merge(ReminderSweep(id=1, swept_until=due - timedelta(minutes=10)))
    commit()
    send_due_reminders(now=due - timedelta(minutes=1))
    commit()
    assert [m for m in outbox("+33612345678") if m.category == "reminder"] == []
    send_due_reminders(now=due + timedelta(minutes=5))
    commit()
    sent = [m for m in outbox("+33612345678") if m.category == "reminder"]
    assert len(sent) == 1 and "10:00" in sent[0].body and "Léa" in sent[0].body

    # Staff tick "Ne pas partager en ligne" on Hugo's file...
    page.set_viewport_size(DESKTOP)
    staff_signin(page, make_staff(practice, "owner"))
    page.goto(f"/console/patients/{hugo.id}")
    page.get_by_role("button", name="Ne pas partager les données en ligne").click()
    expect(page.locator("#main")).to_contain_text("partag")
    assert violations(page) == []
    # ... and Hugo is gone from the parent's space at once.
    phone.goto("/")
    expect(phone.locator(f"#family-visit-{hugo.id}")).to_have_count(0)
    expect(phone.locator(f"#switch-patient-{hugo.id}")).to_have_count(0)
    shot_phone(phone, "hugo-gone")

    # Staff switch Messagerie off: it leaves the parent's home, navigation and menu.
    nav = phone.get_by_role("navigation", name="Navigation principale")
    expect(nav.get_by_role("link", name=re.compile("Messagerie"))).to_be_visible()
    page.goto("/console/cabinet/options")
    page.locator("#option-messaging").get_by_role("switch", name="Messagerie").uncheck()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#flash")).to_contain_text("Options enregistrées.")
    phone.goto("/")
    expect(nav.get_by_role("link", name=re.compile("Messagerie"))).to_have_count(0)
    expect(phone.locator("#home-messaging")).to_have_count(0)
    phone.goto("/menu")
    expect(phone.locator("#main")).not_to_contain_text("Messagerie")
    assert phone.request.get("/messagerie").status == 404


def shot_phone(page, step):
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"issue4-done-{step}.png"), full_page=True, caret="initial")
