"""The console's Cabinet pages: Options (module switches, minors), Praticiens (the "Actif"
switch), Informations (the portal's state), Patients connectés and Statistiques."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from flask import g
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from portal.accounts.models import Role
from portal.console import charts, services
from portal.console.forms import OPTION_KEYS
from portal.core.audit import Actor
from portal.core.auth import module_required
from portal.core.db import commit
from portal.core.errors import Invalid
from portal.core.models import AuditEvent
from portal.core.services import add_practitioner
from portal.notify.models import OutboxStatus
from portal.notify.services import queue_sms
from tests.conftest import csrf_from
from tests.notify.test_messages_page import parse

PHONE = "06 12 34 56 78"
OPERATOR = Actor.operator()


def soup(response):
    return parse(response.get_data(as_text=True))


def field(page, name):
    return next(e for e in page.find_all("input") if e.attrs.get("name") == name)


def with_class(node, tag, cls):
    return [e for e in node.find_all(tag) if cls in e.attrs.get("class", "").split()]


def body_rows(page, table_id):
    tbody = page.by_id(table_id).find_all("tbody")[0]
    return tbody.find_all("tr")


@pytest.fixture
def owner(make_practice, make_staff):
    practice = make_practice("Cabinet Cabinet")
    return make_staff(practice, Role.owner)


def save(auth, client, ticked):
    data = {key: "y" for key in ticked}
    return auth.post("/console/cabinet/options", data, get_url="/console/cabinet/options")


def test_options_page_saves_switches_and_audits_before_after(auth, client, owner, db):
    auth.staff(owner)
    page = soup(client.get("/console/cabinet/options"))
    assert "checked" in field(page, "appointments").attrs
    assert "checked" not in field(page, "appointments_checkin").attrs
    ticked = set(OPTION_KEYS) - {"messaging", "payments_minors"} | {"appointments_checkin"}
    r = save(auth, client, ticked)
    assert r.status_code == 303
    assert "Options enregistrées." in client.get(r.headers["Location"]).get_data(as_text=True)
    db.session.refresh(owner.practice)
    assert not owner.practice.module_on("messaging") and owner.practice.module_on("appointments_checkin")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "practice.options_changed"))
    assert event.details["before"]["messaging"] is True and event.details["after"]["messaging"] is False
    assert "appointments" not in event.details["after"]  # only what changed
    again = save(auth, client, ticked)
    assert "Aucune option n" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_options_are_for_the_owner(auth, client, owner, make_staff):
    auth.staff(make_staff(owner.practice, Role.practitioner))
    assert client.get("/console/cabinet/options").status_code == 403
    assert client.get("/console/cabinet/praticiens").status_code == 403
    assert client.get("/console/cabinet").status_code == 200
    assert client.get("/console/statistiques").status_code == 200


def test_unknown_option_is_refused(owner):
    with pytest.raises(Invalid):
        services.save_options(owner.practice, {"teleportation": True}, actor=OPERATOR)


def test_switching_appointments_off_hides_the_menu_and_refuses_the_route(auth, client, owner, make_patient, app):
    child = make_patient(owner.practice, parent_mobile=PHONE)
    auth.staff(owner)
    save(auth, client, set(OPTION_KEYS) - {"appointments"})
    parent = app.test_client()
    from tests.conftest import Auth

    Auth(parent).patient_first_signin(child, PHONE)
    home = soup(parent.get("/"))
    assert "Mes RDV" not in with_class(home, "nav", "bottom-nav")[0].text
    assert parent.get("/rendez-vous").status_code == 404
    save(auth, client, set(OPTION_KEYS))
    assert "Mes RDV" in with_class(soup(parent.get("/")), "nav", "bottom-nav")[0].text
    assert parent.get("/rendez-vous").status_code == 200


@pytest.mark.parametrize("birth, minors_on, allowed", [
    (date(2015, 1, 1), False, False),   # a child, minors' switch off: refused
    (date(2015, 1, 1), True, True),
    (date(1990, 1, 1), False, True),    # an adult is not concerned by the minors' switch
])
def test_minors_switch(app, owner, make_patient, birth, minors_on, allowed):
    patient = make_patient(owner.practice, birth_date=birth)
    owner.practice.options = {"documents": True, "documents_minors": minors_on}
    view = module_required("documents")(lambda: "ok")
    with app.test_request_context("/documents"):
        g.practice, g.patient = owner.practice, patient
        if allowed:
            assert view() == "ok"
        else:
            with pytest.raises(NotFound):
                view()


def test_eighteenth_birthday_counts_in_the_practice_zone(owner, make_patient):
    import time_machine

    from portal.core.auth import is_minor

    patient = make_patient(owner.practice, birth_date=date(2008, 6, 15))
    # 22:30 UTC on the 14th is already the 15th, 00:30, in Paris.
    with time_machine.travel(datetime(2026, 6, 14, 22, 30, tzinfo=timezone.utc)):
        assert not is_minor(patient, owner.practice)
    with time_machine.travel(datetime(2026, 6, 14, 21, 30, tzinfo=timezone.utc)):
        assert is_minor(patient, owner.practice)


def test_practitioner_active_switch(auth, client, owner, db):
    doc = add_practitioner(owner.practice, first_name="Paul", last_name="Bernard", actor=OPERATOR)
    commit()
    auth.staff(owner)
    page = client.get("/console/cabinet/praticiens")
    assert "Actif" in soup(page).by_id(f"practitioner-{doc.id}").text
    r = client.post(f"/console/cabinet/praticiens/{doc.id}/actif",
                    data={"csrf_token": csrf_from(page.get_data(as_text=True)), "active": "0"})
    assert r.status_code == 303
    db.session.refresh(doc)
    assert doc.shown_to_patients is False and doc.active is True  # hidden from patients, agenda kept
    assert "Inactif" in soup(client.get("/console/cabinet/praticiens")).by_id(f"practitioner-{doc.id}").text
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "practitioner.active_changed"))
    assert event.target_id == doc.id and event.details == {"active": False}


def test_inactive_practitioner_leaves_online_booking(owner, db):
    from portal.agenda import services as agenda
    from portal.booking import services as booking

    doc = add_practitioner(owner.practice, first_name="Paul", last_name="Bernard", actor=OPERATOR)
    agenda.add_appointment_type(practitioner=doc, name="Contrôle", duration_minutes=20, actor=OPERATOR, online=True)
    commit()
    assert [p.id for p, _types in booking.bookable_practitioners(owner.practice)] == [doc.id]
    services.set_practitioner_active(practice_id=owner.practice.id, practitioner_id=doc.id, active=False,
                                     actor=OPERATOR)
    assert booking.bookable_practitioners(owner.practice) == []
    # ... while their agenda goes on in the console
    assert [p.id for p in agenda.practitioners(owner.practice.id)] == [doc.id]


def test_informations_page_says_what_to_do(auth, client, owner, app):
    queue_sms(practice_id=owner.practice.id, to="+33655555555", body="x", key="cabinet-failed", category="manual")
    from portal.notify.models import OutboxMessage
    from portal.extensions import db

    db.session.scalar(select(OutboxMessage)).status = OutboxStatus.failed
    commit()
    auth.staff(owner)
    page = soup(client.get("/console/cabinet"))
    assert "SMS_URL" in page.by_id("state-sms").text  # no provider in the tests
    assert "MAIL_URL" in page.by_id("state-mail").text
    assert "Non configuré" in page.by_id("state-payments").text
    assert "Aucun worker actif" in page.by_id("state-jobs").text  # Redis, but no worker running
    failed = page.by_id("state-failed")
    assert "1 message(s)" in failed.text
    assert failed.find_all("a")[0].attrs["href"].endswith("/console/messages-envoyes/?statut=failed")


def test_informations_without_redis_says_jobs_run_in_the_web_process(app, owner):
    from portal.console.health import portal_state

    app.config["REDIS_URL"], saved = "", app.config["REDIS_URL"]
    try:
        with app.test_request_context():
            jobs = next(line for line in portal_state(owner.practice) if line.key == "jobs")
    finally:
        app.config["REDIS_URL"] = saved
    assert jobs.level == "info" and "serveur web" in jobs.state


def test_signed_in_list_sorted_by_last_signin(auth, client, owner, make_patient, make_staff, app, db):
    from tests.conftest import Auth

    first = make_patient(owner.practice, parent_mobile=PHONE, first_name="Léa")
    second = make_patient(owner.practice, parent_mobile="06 99 88 77 66", first_name="Hugo")
    make_patient(owner.practice, parent_mobile="06 11 22 33 44", first_name="Jamais")
    Auth(app.test_client()).patient_first_signin(first, PHONE)
    Auth(app.test_client()).patient_first_signin(second, "06 99 88 77 66")
    auth.staff(make_staff(owner.practice, Role.secretary))
    rows = body_rows(soup(client.get("/console/patients/connectes")), "signed-in-table")
    assert [r.find_all("td")[1].text for r in rows] == ["Durand Hugo", "Durand Léa"]
    rows = body_rows(soup(client.get("/console/patients/connectes?tri=ancien")), "signed-in-table")
    assert [r.find_all("td")[1].text for r in rows] == ["Durand Léa", "Durand Hugo"]


def test_patient_page_tabs(auth, client, owner, make_patient):
    child = make_patient(owner.practice, parent_mobile=PHONE)
    auth.staff(owner)
    page = soup(client.get(f"/console/patients/{child.id}"))
    assert [a.text for a in with_class(page, "nav", "patient-tabs")[0].find_all("a")] == ["Dossier", "Rendez-vous", "Messages",
                                                                                   "Paiements", "Accès en ligne"]
    assert page.by_id("patient-identity") and not page.by_id("patient-appointments")
    visits = soup(client.get(f"/console/patients/{child.id}?rubrique=rendez-vous"))
    assert visits.by_id("patient-appointments") and not visits.by_id("patient-identity")
    assert soup(client.get(f"/console/patients/{child.id}?rubrique=acces")).by_id("patient-online-access")
    assert soup(client.get(f"/console/patients/{child.id}?rubrique=messages")).by_id("patient-messages")
    assert soup(client.get(f"/console/patients/{child.id}?rubrique=paiements")).by_id("patient-payments")


def test_statistics_count_signins_per_local_day(auth, client, owner, make_patient, db):
    practice = owner.practice
    # 23:30 UTC on 1 March is 2 March in Paris.
    for at in (datetime(2026, 3, 1, 23, 30, tzinfo=timezone.utc), datetime(2026, 3, 2, 8, tzinfo=timezone.utc),
               datetime(2026, 3, 4, 8, tzinfo=timezone.utc), datetime(2026, 2, 1, 8, tzinfo=timezone.utc)):
        db.session.add(AuditEvent(practice_id=practice.id, at=at, actor_type="patient", action="patient.signin"))
    commit()
    stats = services.signins_per_day(practice, start=date(2026, 3, 1), end=date(2026, 3, 4))
    assert stats.days == [(date(2026, 3, 1), 0), (date(2026, 3, 2), 2), (date(2026, 3, 3), 0), (date(2026, 3, 4), 1)]
    assert stats.total == 3
    auth.staff(owner)
    page = soup(client.get("/console/statistiques?start=2026-03-01&end=2026-03-04"))
    svg = page.by_id("signins-chart").find_all("svg")[0]
    assert svg.attrs["role"] == "img" and svg.find_all("title") and svg.find_all("desc")
    assert len(with_class(svg, "rect", "chart-bar")) == 4
    assert [td.text for row in body_rows(page, "stats-table") for td in row.find_all("td")][1::2] == ["0", "2", "0", "1"]
    assert with_class(page.by_id("stats-totals"), "span", "tile-figure")


def test_statistics_default_to_the_last_30_days_and_refuse_a_bad_range(auth, client, owner):
    auth.staff(owner)
    page = soup(client.get("/console/statistiques"))
    assert len(with_class(page.by_id("signins-chart"), "rect", "chart-bar")) == 30
    r = client.get("/console/statistiques?start=2026-03-10&end=2026-03-01")
    assert r.status_code == 422
    page = soup(r)
    assert "La date de fin doit suivre la date de début." in page.text
    assert field(page, "start").attrs["value"] == "2026-03-10"  # what was typed stays
    r = client.get("/console/statistiques?start=pas-une-date&end=2026-03-01")
    assert r.status_code == 422 and field(soup(r), "start").attrs["value"] == "pas-une-date"
    assert client.get("/console/statistiques?start=2020-01-01&end=2026-03-01").status_code == 422


def test_bar_chart_scales_and_thins_labels():
    points = [(date(2026, 1, 1) + timedelta(days=i), i % 5) for i in range(90)]
    chart = charts.bar_chart(points)
    assert len(chart.bars) == 90 and len(chart.labels) <= 8
    assert chart.ticks[-1][1] == 4 and min(b.y for b in chart.bars) == chart.top
    assert all(b.x + b.width <= chart.width for b in chart.bars)
