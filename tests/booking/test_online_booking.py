"""The public booking page: newcomers confirmed by SMS with the slot held meanwhile, signed-in
families, known-patients mode, bans, reasons, the window, the .ics and cancelling online."""
from __future__ import annotations

import html as html_lib
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import func, select

from portal.agenda import services as agenda
from portal.agenda.models import Appointment, AppointmentStatus
from portal.booking import services
from portal.booking.models import BookingBan, KnownContact, VisitReason
from portal.core.db import commit
from portal.notify.models import OutboxMessage
from portal.notify.services import delivery_text
from portal.patients.models import Patient
from tests.agenda.conftest import OPERATOR
from tests.agenda.test_booking import MONDAY, slots_on
from tests.conftest import csrf_from
from tests.factories import outbox

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2030, 11, 20, 10, tzinfo=PARIS)  # the Wednesday before MONDAY
MOBILE = "06 98 76 54 32"
E164 = "+33698765432"


@pytest.fixture
def online(week):
    """The `week` practice with online booking on, its type open to newcomers."""
    week.practice.options = {"booking": True}
    week.type.online = True
    week.type.new_patients = True
    week.type.min_notice_hours = 24
    week.type.max_days_ahead = 60
    commit()
    return week


def text(response) -> str:
    """The page as a person reads it (Jinja escapes apostrophes)."""
    return html_lib.unescape(response.get_data(as_text=True))


def slot_id(slot) -> str:
    return f'id="slot-{slot.starts_at:%Y%m%dT%H%M}"'


def page_url(w, **args):
    query = "&".join(f"{k}={v}" for k, v in {"praticien": w.practitioner.id, "type": w.type.id, **args}.items())
    return f"/cabinet/{w.practice.slug}/rendez-vous?{query}"


def book_url(w, slot):
    from urllib.parse import quote

    return (f"/cabinet/{w.practice.slug}/rendez-vous/reserver?praticien={w.practitioner.id}&type={w.type.id}"
            f"&debut={quote(slot.starts_at.isoformat())}")


NEWCOMER = {"last_name": "Moreau", "first_name": "Inès", "birth_date": "2014-05-02", "mobile": MOBILE,
            "email": "ines.parent@example.com", "reason": "Première consultation"}


def ask(client, w, slot, **overrides):
    html = text(client.get(book_url(w, slot)))
    return client.post(book_url(w, slot), data={"csrf_token": csrf_from(html), **NEWCOMER, **overrides})


def code_for(phone=E164):
    messages = outbox(phone, "booking_code")
    assert messages, "no booking code sent"
    return re.search(r"\b(\d{6})\b", delivery_text(messages[-1])).group(1)


def confirm(client, w, code):
    html = text(client.get(f"/cabinet/{w.practice.slug}/rendez-vous/confirmer"))
    return client.post(f"/cabinet/{w.practice.slug}/rendez-vous/confirmer",
                       data={"csrf_token": csrf_from(html), "code": code})


def test_the_page_shows_the_practice_and_only_online_types(client, online):
    services.settings_for(online.practice.id).transport = "Tram T1, arrêt Gare"
    agenda.add_appointment_type(practitioner=online.practitioner, name="Urgence interne", duration_minutes=10,
                                actor=OPERATOR)  # not online
    commit()
    with time_machine.travel(NOW):
        html = text(client.get(f"/cabinet/{online.practice.slug}/rendez-vous"))
        assert online.practice.name in html and "Tram T1" in html and "Contrôle" in html
        assert "Urgence interne" not in html
        html = text(client.get(page_url(online)))
    assert 'id="booking-slots"' in html and ">09:00<" in html


def test_the_page_is_404_when_online_booking_is_off(client, week):
    assert client.get(f"/cabinet/{week.practice.slug}/rendez-vous").status_code == 404
    assert client.get("/cabinet/nulle-part/rendez-vous").status_code == 404


def test_a_newcomer_holds_the_slot_then_confirms_by_sms(client, app, online, db, run_jobs):
    slot = slots_on(online)[0]
    with time_machine.travel(NOW):
        r = ask(client, online, slot)
        assert r.status_code == 303 and r.headers["Location"].endswith("/confirmer")
        held = db.session.scalar(select(Appointment))
        assert held.status is AppointmentStatus.held and held.patient_id is None
        # Held: nobody else is offered it meanwhile.
        other = app.test_client()
        assert slot_id(slot) not in text(other.get(page_url(online, du=MONDAY.isoformat())))
        assert slot_id(slots_on(online)[1]) in text(other.get(page_url(online, du=MONDAY.isoformat())))
        page = text(client.get(f"/cabinet/{online.practice.slug}/rendez-vous/confirmer"))
        assert "réservé jusqu'à" in page
        r = confirm(client, online, code_for())
        assert r.status_code == 303 and r.headers["Location"].endswith("/confirme")
        done = text(client.get(r.headers["Location"]))
    assert "Rendez-vous confirmé" in done and "Inès" in done
    db.session.expire_all()
    appointment = db.session.scalar(select(Appointment))
    assert appointment.status is AppointmentStatus.booked and appointment.reason == "Première consultation"
    patient = db.session.get(Patient, appointment.patient_id)
    assert (patient.last_name, patient.mobile, patient.email) == ("Moreau", E164, "ines.parent@example.com")
    mail = outbox("ines.parent@example.com", "booking_confirm")[0]
    assert mail.attachment_name == "rendez-vous.ics"
    ics = mail.attachment.decode()
    assert "DTSTART;TZID=Europe/Paris:20301125T090000" in ics and "BEGIN:VTIMEZONE" in ics
    assert "/rendez-vous/annuler/" in mail.body


def test_a_wrong_code_counts_down_and_the_typed_details_are_kept(client, online, db):
    slot = slots_on(online)[0]
    with time_machine.travel(NOW):
        ask(client, online, slot)
        r = confirm(client, online, "000000" if code_for() != "000000" else "111111")
    assert r.status_code == 422 and "Il vous reste 4 essai(s)" in text(r)
    assert db.session.scalar(select(Appointment)).status is AppointmentStatus.held


def test_bad_details_are_refused_in_place(client, online, db):
    slot = slots_on(online)[0]
    with time_machine.travel(NOW):
        r = ask(client, online, slot, mobile="01 23 45 67 89", email="pas-une-adresse")
    html = text(r)
    assert r.status_code == 422 and "numéro de portable valide" in html
    assert 'value="Moreau"' in html and 'value="pas-une-adresse"' in html  # nothing typed is lost
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 0


def test_a_hold_that_ran_out_is_released_to_the_next_person(client, app, online, db, make_patient):
    slot = slots_on(online)[0]
    with time_machine.travel(NOW):
        ask(client, online, slot)
        code = code_for()
    with time_machine.travel(NOW + timedelta(minutes=11)):  # hold_minutes is 10
        # Free again for others, and the next booking takes it.
        assert slot_id(slot) in text(app.test_client().get(page_url(online, du=MONDAY.isoformat())))
        agenda.book_appointment(practice=online.practice, practitioner_id=online.practitioner.id,
                                appointment_type_id=online.type.id, patient_id=online.patient.id,
                                starts_at=slot.starts_at, actor=OPERATOR)
        commit()
        r = confirm(client, online, code)
        assert r.status_code == 303
        assert "le créneau a été libéré" in text(client.get(r.headers["Location"]))
    statuses = sorted(a.status.value for a in db.session.scalars(select(Appointment)))
    assert statuses == ["booked", "cancelled"]


def test_a_late_code_still_confirms_when_nobody_took_the_slot(client, online, db):
    slot = slots_on(online)[0]
    with time_machine.travel(NOW):
        ask(client, online, slot)
        code = code_for()
    with time_machine.travel(NOW + timedelta(minutes=30)):
        assert confirm(client, online, code).status_code == 303
    assert db.session.scalar(select(Appointment)).status is AppointmentStatus.booked


def test_a_known_patient_is_recognised_not_duplicated(client, online, db, make_patient):
    known = make_patient(online.practice, last_name="Moreau", first_name="Inès", birth_date=date(2014, 5, 2),
                         parent_mobile=MOBILE)
    slot = slots_on(online)[0]
    with time_machine.travel(NOW):
        ask(client, online, slot, last_name="MOREAU", first_name="ines")
        confirm(client, online, code_for())
    assert db.session.scalar(select(Appointment)).patient_id == known.id


def test_known_patients_only_mode_and_bans(client, online, db):
    settings = services.settings_for(online.practice.id)
    settings.mode = "known"
    commit()
    slot = slots_on(online)[0]
    with time_machine.travel(NOW):
        r = ask(client, online, slot)
        assert r.status_code == 422 and "réserve la prise de rendez-vous" in text(r)
        db.session.add(KnownContact(practice_id=online.practice.id, value="ines.parent@example.com"))
        commit()
        assert ask(client, online, slot).status_code == 303
        db.session.add(BookingBan(practice_id=online.practice.id, value="+33611111111", reason="faux rendez-vous"))
        commit()
        r = ask(client, online, slots_on(online)[1], mobile="06 11 11 11 11")
    assert r.status_code == 422 and "pas possible pour vous" in text(r)


def test_reasons_from_the_practice_list(client, online, db):
    services.settings_for(online.practice.id).reason_mode = "list"
    db.session.add(VisitReason(practice_id=online.practice.id, label="Bilan orthodontique", position=0))
    commit()
    slot = slots_on(online)[0]
    with time_machine.travel(NOW):
        html = text(client.get(book_url(online, slot)))
        assert '<option value="Bilan orthodontique"' in html
        r = ask(client, online, slot, reason="n'importe quoi")
        assert r.status_code == 422 and "Choisissez un motif dans la liste" in text(r)
        assert ask(client, online, slot, reason="Bilan orthodontique").status_code == 303


def test_types_closed_to_newcomers_ask_them_to_sign_in(client, online):
    online.type.new_patients = False
    commit()
    with time_machine.travel(NOW):
        html = text(client.get(f"/cabinet/{online.practice.slug}/rendez-vous"))
        assert "Connectez-vous" in html
        r = ask(client, online, slots_on(online)[0])
    assert r.status_code == 422 and "réservé aux patients déjà suivis" in text(r)


def test_a_signed_in_parent_books_for_a_child(auth, client, online, make_patient, db):
    older = make_patient(online.practice, parent_mobile=MOBILE, first_name="Léa", birth_date=date(2012, 1, 1))
    younger = make_patient(online.practice, parent_mobile=MOBILE, first_name="Tom", birth_date=date(2016, 1, 1))
    slot = slots_on(online)[1]
    with time_machine.travel(NOW):
        auth.patient_first_signin(older, MOBILE)
        html = text(client.get(book_url(online, slot)))
        assert "Tom" in html and "Léa" in html and "last_name" not in html
        r = client.post(book_url(online, slot), data={"csrf_token": csrf_from(html), "patient_id": younger.id,
                                                      "reason": "Contrôle"})
        assert r.status_code == 303
        # Someone else's child is not a choice.
        stranger = make_patient(online.practice, parent_mobile="0611223344")
        r = client.post(book_url(online, slots_on(online)[2]),
                        data={"csrf_token": csrf_from(html), "patient_id": stranger.id})
    assert r.status_code == 422
    assert [a.patient_id for a in db.session.scalars(select(Appointment))] == [younger.id]


def test_minimum_notice_and_the_window(client, online, db):
    slot = slots_on(online)[0]
    with time_machine.travel(slot.starts_at - timedelta(hours=5)):
        r = ask(client, online, slot)
        assert r.status_code == 422 and "au moins 24 h à l'avance" in text(r)
    online.practitioner.booking_open_until = MONDAY - timedelta(days=1)
    commit()
    with time_machine.travel(NOW):
        r = ask(client, online, slot)
        assert r.status_code == 422 and "pas encore ouvert" in text(r)
        assert slot_id(slot) not in text(client.get(page_url(online, du=MONDAY.isoformat())))


def test_the_nightly_job_moves_the_window(online, make_practice, db):
    services.settings_for(online.practice.id).rolling_window_days = 180
    commit()
    assert services.extend_windows(date(2030, 1, 1)) >= 1
    commit()
    db.session.refresh(online.practitioner)
    assert online.practitioner.booking_open_until == date(2030, 1, 1) + timedelta(days=180)
    assert services.extend_windows(date(2030, 1, 1)) == 0  # twice in one night changes nothing


def _booked(client, w, slot):
    with time_machine.travel(NOW):
        ask(client, w, slot)
        confirm(client, w, code_for())
    mail = outbox("ines.parent@example.com", "booking_confirm")[-1]
    return re.search(r"https?://\S+/rendez-vous/annuler/\S+", mail.body).group(0).split("localhost")[-1]


def test_cancelling_by_the_e_mail_link_before_the_deadline(client, online, db):
    link = _booked(client, online, slots_on(online)[0])
    link = link[link.index("/cabinet/"):]
    with time_machine.travel(NOW + timedelta(hours=1)):
        html = text(client.get(link))
        r = client.post(link, data={"csrf_token": csrf_from(html), "reason": ""})
        assert r.status_code == 422 and "Indiquez le motif" in text(r)
        r = client.post(link, data={"csrf_token": csrf_from(html), "reason": "Empêchement"})
        assert r.status_code == 303
    appointment = db.session.scalar(select(Appointment))
    db.session.refresh(appointment)
    assert (appointment.status, appointment.cancel_reason, appointment.cancelled_by) == (
        AppointmentStatus.cancelled, "Empêchement", "patient")
    cancelled = outbox("ines.parent@example.com", "cancellation")[0]
    assert b"METHOD:CANCEL" in cancelled.attachment
    assert client.get(link[:-3] + "abc").status_code == 404  # a forged link


def test_too_late_to_cancel_online(client, online, db):
    slot = slots_on(online)[0]
    link = _booked(client, online, slot)
    link = link[link.index("/cabinet/"):]
    with time_machine.travel(slot.starts_at - timedelta(hours=47)):  # the deadline is 48 h
        html = text(client.get(link))
        assert "Appelez le cabinet" in html and 'id="cancel-form"' not in html
        r = client.post(link, data={"csrf_token": csrf_from(html), "reason": "Empêchement"})
    assert r.status_code == 422 and "Il était possible d'annuler en ligne jusqu'au" in text(r)
    assert db.session.scalar(select(Appointment)).status is AppointmentStatus.booked


@pytest.mark.parametrize("day", [date(2027, 3, 29), date(2027, 11, 2)])  # after each change of clocks
def test_ics_files_carry_the_wall_clock_time_across_daylight_saving(app, online, day):
    from portal.agenda.ics import appointment_ics

    slot = slots_on(online, day)[0]
    with time_machine.travel(datetime.combine(day - timedelta(days=7), time(10), PARIS)):
        appointment = agenda.book_appointment(practice=online.practice, practitioner_id=online.practitioner.id,
                                              appointment_type_id=online.type.id, patient_id=online.patient.id,
                                              starts_at=slot.starts_at, actor=OPERATOR)
        commit()
    with app.test_request_context():
        ics = appointment_ics(appointment, online.practice).decode()
    assert f"DTSTART;TZID=Europe/Paris:{day:%Y%m%d}T090000" in ics
    assert "TZOFFSETTO:+0200" in ics and "TZOFFSETTO:+0100" in ics


def test_the_code_sms_goes_through_the_outbox_once(client, online, db):
    with time_machine.travel(NOW):
        ask(client, online, slots_on(online)[0])
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.category == "booking_code")) == 1


def test_a_cancellation_link_works_only_under_its_own_practice(client, online, make_practice, db):
    link = _booked(client, online, slots_on(online)[0])
    token = link.rsplit("/", 1)[1]
    other = make_practice()
    other.options = {"booking": True}
    commit()
    assert client.get(f"/cabinet/{other.slug}/rendez-vous/annuler/{token}").status_code == 404


def test_fifty_newcomers_asking_for_one_slot_at_once(app, client, online, db, monkeypatch):
    """Invariant 4 through the public page: 50 newcomers submit the same slot in parallel on a
    threaded HTTP server; one holds it, 49 hear it was just taken and see what is still free."""
    from portal.extensions import limiter
    from tests.races import post_at_once

    # Fifty people, one test address: the per-address limit (tested below) would stop them first.
    monkeypatch.setattr(limiter, "enabled", False)
    slot = slots_on(online)[2]
    with time_machine.travel(NOW):
        html = text(client.get(book_url(online, slot)))
    token, cookie = csrf_from(html), client.get_cookie("__Host-sourire").value
    bodies = [{"csrf_token": token, **NEWCOMER, "mobile": f"06 12 00 {i // 10}{i % 10} 00",
               "email": f"parent{i}@example.com"} for i in range(50)]
    with time_machine.travel(NOW, tick=True):
        results = post_at_once(app, book_url(online, slot), bodies, cookie)
    statuses = sorted(code for code, _ in results)
    assert statuses == [303] + [409] * 49, statuses
    refused = [body for code, body in results if code == 409]
    assert all("Ce créneau vient d'être pris" in b and "Créneaux libres les plus proches" in b for b in refused)
    held = db.session.scalars(select(Appointment).where(Appointment.status != AppointmentStatus.cancelled)).all()
    assert len(held) == 1 and held[0].status is AppointmentStatus.held


def test_the_public_form_is_rate_limited(client, online):
    slot = slots_on(online)[0]
    with time_machine.travel(NOW):
        html = text(client.get(book_url(online, slot)))
        codes = [client.post(book_url(online, slot), data={"csrf_token": csrf_from(html), "last_name": ""}).status_code
                 for _ in range(21)]
    assert codes[:20] == [422] * 20 and codes[20] == 429


def test_the_practitioners_photo_and_diplomas_on_the_page(client, online, db):
    import io

    from PIL import Image

    from portal.core.images import identity_photo

    raw = io.BytesIO()
    Image.new("RGB", (800, 600), "teal").save(raw, "PNG")
    online.practitioner.photo = identity_photo(raw.getvalue())
    online.practitioner.diplomas = "DU d'orthodontie, Paris"
    commit()
    html = text(client.get(f"/cabinet/{online.practice.slug}/rendez-vous"))
    assert "DU d'orthodontie, Paris" in html and f"/praticiens/{online.practitioner.id}/photo.jpg" in html
    r = client.get(f"/cabinet/{online.practice.slug}/praticiens/{online.practitioner.id}/photo.jpg")
    assert r.status_code == 200 and r.mimetype == "image/jpeg" and r.data[:2] == b"\xff\xd8"
    online.practitioner.photo = None
    commit()
    assert client.get(f"/cabinet/{online.practice.slug}/praticiens/{online.practitioner.id}/photo.jpg").status_code == 404


def test_the_page_says_who_replaces_the_practitioner(client, online, db):
    from portal.agenda import setup

    substitute = setup.add_substitute(online.practice, title="Dr", first_name="Marc", last_name="Durand",
                                      actor=OPERATOR)
    setup.save_replacement(replacement=None, name="Congrès", practitioner=online.practitioner, substitute=substitute,
                           schedule=online.schedule, starts_on=MONDAY, ends_on=MONDAY, weekdays=0b1111111,
                           skipped_dates=[], actor=OPERATOR)
    commit()
    with time_machine.travel(NOW):
        html = text(client.get(page_url(online, du=MONDAY.isoformat())))
    assert html.count("Dr Marc Durand remplace Dr Claire Martin") == 1


def test_a_held_slot_shows_on_the_staff_planning(auth, client, app, online, make_staff, db):
    slot = slots_on(online)[0]
    with time_machine.travel(NOW):
        ask(client, online, slot)
        staff = app.test_client()
        from tests.conftest import Auth

        Auth(staff).staff(make_staff(online.practice, "secretary"))
        pid = online.practitioner.id
        for url in (f"/console/agenda/?praticien={pid}&jour={MONDAY.isoformat()}",
                    f"/console/agenda/semaine?praticien={pid}&jour={MONDAY.isoformat()}",
                    f"/console/agenda/tous?jour={MONDAY.isoformat()}",
                    f"/console/agenda/tous/semaine?jour={MONDAY.isoformat()}"):
            r = staff.get(url)
            assert r.status_code == 200, url
            assert "Nouveau patient (en attente)" in text(r), url
        held = db.session.scalar(select(Appointment))
        assert staff.get(f"/console/agenda/rendez-vous/{held.id}").status_code in (200, 404)


def test_a_file_barred_by_the_practice_cannot_book_as_a_newcomer(client, online, db, make_patient):
    known = make_patient(online.practice, last_name="Moreau", first_name="Inès", birth_date=date(2014, 5, 2),
                         parent_mobile=MOBILE)
    db.session.add(BookingBan(practice_id=online.practice.id, value=f"patient:{known.id}", patient_id=known.id))
    commit()
    slot = slots_on(online)[0]
    with time_machine.travel(NOW):
        ask(client, online, slot)
        r = confirm(client, online, code_for())
    assert r.status_code == 422 and "pas possible pour vous" in text(r)
    db.session.expire_all()
    assert db.session.scalar(select(Appointment)).status is AppointmentStatus.cancelled  # the hold is released
