"""The staff half of the agenda, end to end in a real browser at 1280x800: the owner sets up an
appointment type and a weekly schedule, sees the slots on the day page, books a patient, blocks
the afternoon, takes the next day off, books two more patients, cancels the morning in bulk
(preview, then confirm, with SMS) and finds the cancellation messages in "Messages envoyés"."""
from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine
from playwright.sync_api import expect

from portal.core.audit import Actor
from portal.core.db import commit
from portal.core.services import add_practitioner
from tests import factories
from tests.browser.conftest import staff_signin, DESKTOP, assert_clean

pytestmark = pytest.mark.browser
OPERATOR = Actor.operator()
MONDAY, TUESDAY = "2030-11-25", "2030-11-26"
NOW = datetime(2030, 11, 20, 9, 0, tzinfo=UTC)  # Wednesday 20 November 2030, 10:00 in Paris
MORNING = [f"{h:02d}:{m:02d}" for h in (9, 10, 11) for m in (0, 20, 40)]
AFTERNOON = [f"{h:02d}:{m:02d}" for h in (14, 15, 16) for m in (0, 20, 40)]
MESSAGE = "Le docteur est souffrant, nous vous rappelons pour fixer une autre date."


def assert_unique_ids(page) -> None:
    """Each id once in the page: a `<label for>` names the first element with its id, so a
    duplicate leaves the other field unlabelled (and clicking its label focuses the wrong one)."""
    ids = page.eval_on_selector_all("[id]", "els => els.map(e => e.id)")
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"ids used more than once on {page.url}: {duplicates}"


def book(page, patient, hour: str) -> None:
    """On the day page: find `patient` by file number in the live search, pick them, book `hour`."""
    number, patient_id = patient.number, patient.id  # read here: the callbacks run outside the app context
    with page.expect_response(lambda r: "/console/agenda/patients" in r.url and f"={number}" in r.url):
        page.get_by_label("Patient : n° de dossier, portable, nom ou e-mail").fill(number)
    pick = page.locator("#agenda-patient-pick")
    expect(pick).to_contain_text(f"{patient.last_name} {patient.first_name}")
    with page.expect_response(lambda r: f"patient_id={patient_id}" in r.url):
        pick.get_by_label(re.compile(f"{patient.last_name} {patient.first_name}")).check()
    expect(pick.get_by_label(re.compile(f"{patient.last_name} {patient.first_name}"))).to_be_checked()
    page.locator("#agenda-slots").get_by_role("button", name=f"{hour} · CONT").click()
    expect(page.locator("#flash")).to_contain_text(
        f"Rendez-vous pris pour {patient.first_name} {patient.last_name} le 25/11/2030 à {hour}.")


def test_owner_sets_up_books_blocks_and_cancels_a_morning(page, shot, make_practice, make_staff, make_patient):
    with time_machine.travel(NOW, tick=True):
        page.set_viewport_size(DESKTOP)
        practice = make_practice("Cabinet du Parc")
        owner = make_staff(practice, "owner", first_name="Claire")
        doctor = add_practitioner(practice, first_name="Claire", last_name="Martin", actor=OPERATOR)
        commit()
        doctor_id = doctor.id
        lea, hugo, emma = [
            make_patient(practice, number=number, last_name=last, first_name=first, mobile=mobile, email=email)
            for number, last, first, mobile, email in [
                ("2001", "LEFEVRE", "Léa", "06 11 22 33 01", "lea@example.com"),
                ("2002", "MOREAU", "Hugo", "06 11 22 33 02", "hugo@example.com"),
                ("2003", "PETIT", "Emma", "06 11 22 33 03", "emma@example.com")]]

        # 1. The owner signs in with the authenticator code and sets the agenda up.
        staff_signin(page, owner)

        page.goto("/console/agenda/reglages")
        expect(page.get_by_role("heading", level=1)).to_have_text("Réglages de l'agenda")
        assert_unique_ids(page)
        form = page.locator("#agenda-type-form")
        form.get_by_label("Nom", exact=True).fill("Contrôle")
        form.get_by_label("Code court", exact=True).fill("CONT")
        form.get_by_label("Durée (minutes)", exact=True).fill("20")
        form.get_by_role("button", name="Ajouter le type").click()
        expect(page.locator("#flash")).to_contain_text("Type de rendez-vous « Contrôle » ajouté.")
        cells = page.locator("#agenda-types tbody tr td")
        expect(cells.nth(1)).to_have_text("Contrôle")
        expect(cells.nth(2)).to_have_text("CONT")
        expect(cells.nth(3)).to_have_text("20 min")

        form = page.locator("#agenda-schedule-form")
        form.get_by_label("Nom de l'emploi du temps", exact=True).fill("Semaine type")
        form.get_by_role("button", name="Créer").click()
        expect(page.locator("#flash")).to_contain_text("Emploi du temps « Semaine type » créé.")
        assert_unique_ids(page)  # now with the range, copy and activation forms

        for count, (starts, ends) in enumerate([("09:00", "12:00"), ("14:00", "17:00")], start=1):
            form = page.locator("#agenda-range-form")
            form.get_by_label("Emploi du temps", exact=True).select_option(label="Semaine type")
            form.get_by_label("Jour", exact=True).select_option(label="Lundi")
            form.get_by_label("De", exact=True).fill(starts)
            form.get_by_label("À", exact=True).fill(ends)
            form.get_by_label("Type de rendez-vous", exact=True).select_option(label="Contrôle (20 min)")
            form.get_by_role("button", name="Ajouter la plage").click()
            expect(page.locator("#flash")).to_contain_text("Plage ajoutée : les créneaux apparaissent dans l'agenda.")
            # the same message both times: wait for the new page, not the previous one
            expect(page.locator("#agenda-schedules .range-list li")).to_have_count(count)
        # Tuesday gets the same ranges with "copier un jour", so that its day off shows.
        form = page.locator("#agenda-copy-day-form")
        form.get_by_label("Emploi du temps", exact=True).select_option(label="Semaine type")
        form.get_by_label("Copier les plages du", exact=True).select_option(label="Lundi")
        form.get_by_role("group", name="Sur les jours").get_by_label("Mardi", exact=True).check()
        form.get_by_role("button", name="Copier").click()
        expect(page.locator("#flash")).to_contain_text("2 plage(s) copiée(s).")
        expect(page.locator("#agenda-schedules .range-list li")).to_contain_text([
            "Lundi 09:00–12:00 · Contrôle", "Lundi 14:00–17:00 · Contrôle",
            "Mardi 09:00–12:00 · Contrôle", "Mardi 14:00–17:00 · Contrôle"])

        form = page.locator("#agenda-activation-form")
        form.get_by_label("Emploi du temps", exact=True).select_option(label="Semaine type")
        form.get_by_label("À partir du", exact=True).fill("2030-11-18")
        form.get_by_role("button", name="Activer").click()
        expect(page.locator("#flash")).to_contain_text("Période d'activation enregistrée.")
        expect(page.locator("#agenda-activations")).to_contain_text("Semaine type : du 18/11/2030 sans fin")
        shot("settings")

        # 2. Monday's day page offers the slots of both ranges.
        page.goto(f"/console/agenda/?praticien={doctor_id}&jour={MONDAY}")
        expect(page.locator("#agenda-date")).to_have_text("lundi 25 novembre 2030")
        slots = page.locator("#agenda-slots .slot-list button")
        expect(slots).to_have_count(len(MORNING) + len(AFTERNOON))
        expect(slots).to_contain_text([f"{h} · CONT" for h in MORNING + AFTERNOON])
        expect(page.locator("#agenda-appointments")).to_contain_text("Aucun rendez-vous ce jour-là.")
        shot("day-slots")

        # 3. A patient, found by file number, is booked at 09:00.
        book(page, lea, "09:00")
        rows = page.locator("#agenda-appointments tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("09:00")
        expect(rows.first).to_contain_text("LEFEVRE Léa")
        expect(page.locator("#agenda-slots").get_by_role("button", name="09:00 · CONT")).to_have_count(0)
        shot("booked-0900")

        # 4. The afternoon is blocked: its slots disappear.
        form = page.locator("#agenda-block-form")
        form.get_by_label("De", exact=True).fill("14:00")
        form.get_by_label("À", exact=True).fill("17:00")
        form.get_by_label("Types concernés", exact=True).select_option(label="Tous les types")
        form.get_by_label("Motif (facultatif)", exact=True).fill("Formation")
        form.get_by_role("button", name="Bloquer").click()
        expect(page.locator("#flash")).to_contain_text("Créneaux bloqués de 14:00 à 17:00.")
        expect(slots).to_have_count(len(MORNING) - 1)
        expect(slots).to_contain_text([f"{h} · CONT" for h in MORNING[1:]])
        expect(page.locator("#agenda-unavailable li")).to_contain_text(["Bloqué 25 nov. 14:00 → 25 nov. 17:00 · Formation"])
        shot("afternoon-blocked")

        # 5. Tuesday, which offers the same slots, is taken off with the days-off form.
        page.get_by_role("link", name="Lendemain →").click()
        expect(page.locator("#agenda-date")).to_have_text("mardi 26 novembre 2030")
        expect(slots).to_have_count(len(MORNING) + len(AFTERNOON))
        form = page.locator("#agenda-days-off-form")
        form.get_by_label("Du", exact=True).fill(TUESDAY)
        form.get_by_label("Au", exact=True).fill(TUESDAY)
        form.get_by_label("Motif (facultatif)", exact=True).fill("Congrès")
        form.get_by_role("button", name="Enregistrer les congés").click()
        expect(page.locator("#flash")).to_contain_text("Congés enregistrés.")
        expect(page.locator("#agenda-date")).to_have_text("mardi 26 novembre 2030")
        expect(slots).to_have_count(0)
        expect(page.locator("#agenda-slots")).to_contain_text("Aucun créneau libre ce jour-là.")
        expect(page.locator("#agenda-unavailable li")).to_contain_text(["Congé 26 nov. 00:00 → 27 nov. 00:00 · Congrès"])
        shot("tuesday-off")

        # 6. Two more patients in the morning, then the whole morning cancelled in bulk.
        page.get_by_role("link", name="← Veille").click()
        expect(page.locator("#agenda-date")).to_have_text("lundi 25 novembre 2030")
        book(page, hugo, "10:00")
        book(page, emma, "11:20")
        expect(rows).to_have_count(3)
        expect(rows).to_contain_text(["09:00", "10:00", "11:20"])
        shot("morning-booked")

        page.get_by_role("link", name="Annuler des rendez-vous").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Annuler des rendez-vous")
        form = page.locator("#bulk-cancel-form")
        form.get_by_label("Praticien", exact=True).select_option(label="Dr Claire Martin")
        form.get_by_label("Du", exact=True).fill(MONDAY)
        form.get_by_label("Au", exact=True).fill(MONDAY)
        form.get_by_label("Types concernés", exact=True).select_option(label="Tous les types")
        form.get_by_label("De (facultatif)", exact=True).fill("09:00")
        form.get_by_label("À (facultatif)", exact=True).fill("12:00")
        form.get_by_label("Message aux patients", exact=True).fill(MESSAGE)
        form.get_by_label("Prévenir aussi par SMS", exact=True).check()
        form.get_by_role("button", name="Voir qui est concerné").click()
        preview = page.locator("#bulk-cancel-preview")
        expect(preview).to_contain_text("3 rendez-vous, 3 patients ; 3 e-mails et 3 SMS (")
        segments = int(re.search(r"\((\d+) segments facturés\)", preview.inner_text()).group(1))
        assert segments >= 3
        expect(preview.locator("li")).to_have_text([
            "lun. 25/11 09:00 · LEFEVRE Léa", "lun. 25/11 10:00 · MOREAU Hugo", "lun. 25/11 11:20 · PETIT Emma"])
        # the choices are still there for the confirmation
        expect(form.get_by_label("Message aux patients", exact=True)).to_have_value(MESSAGE)
        expect(form.get_by_label("Prévenir aussi par SMS", exact=True)).to_be_checked()
        shot("bulk-preview")

        preview.get_by_role("button", name="Confirmer l'annulation").click()
        expect(page.locator("#flash")).to_contain_text(
            "3 rendez-vous annulés ; les patients sont prévenus (voir Messages envoyés).")
        expect(page.locator("#agenda-date")).to_have_text("lundi 25 novembre 2030")
        expect(rows).to_have_count(3)
        for row in rows.all():
            expect(row).to_have_class("muted")
            expect(row).to_contain_text("Annulé")
        expect(slots).to_contain_text([f"{h} · CONT" for h in MORNING])  # the morning is free again
        shot("morning-cancelled")

        # 7. "Messages envoyés" lists the cancellations, by e-mail and by SMS.
        page.get_by_role("navigation").get_by_role("link", name="Messages envoyés").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Messages envoyés")
        cancelled = page.locator("#outbox-table tbody tr").filter(has_text="est annulé")
        expect(cancelled).to_have_count(6)
        expect(cancelled.filter(has_text="Rendez-vous annulé")).to_have_count(3)  # the e-mails' subject
        sms = cancelled.filter(has=page.locator("td.segments-cell", has_text="segment"))
        expect(sms).to_have_count(3)
        for hour, mobile in [("09:00", "06 11 22 33 01"), ("10:00", "06 11 22 33 02"), ("11:20", "06 11 22 33 03")]:
            expect(sms.filter(has_text=re.compile(rf"du 25/11/2030\D*{hour} est annulé"))).to_contain_text(mobile)
        expect(cancelled.first).to_contain_text(MESSAGE)
        outbox = [m for m in factories.outbox(category="cancellation") if m.channel.value == "sms"]
        assert sum(m.segments for m in outbox) == segments
        shot("messages")
        assert_clean(page)
