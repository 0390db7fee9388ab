"""The waiting list (seed 003 § 3): adding and removing, offers when time frees up, the public
accept page, and one booking only when two patients accept at once."""
from __future__ import annotations

import re
import threading
import urllib.error
import urllib.request
from datetime import timedelta

import time_machine
from sqlalchemy import func, select
from werkzeug.serving import make_server

from portal.agenda import bulk, services, waiting
from portal.agenda.models import (Appointment, AppointmentStatus, OfferStatus, WaitingEntry, WaitingOffer,
                                  WaitingStatus)
from portal.core.db import commit
from portal.notify.services import delivery_text
from tests import factories
from tests.agenda.conftest import OPERATOR
from tests.agenda.test_booking import slots_on
from tests.conftest import csrf_from


def wait(week, patient, kind=None):
    entry = waiting.add_to_waiting_list(practice=week.practice, practitioner_id=week.practitioner.id,
                                        appointment_type_id=(kind or week.type).id, patient=patient, actor=OPERATOR)
    commit()
    return entry


def book(week, slot, patient=None):
    visit = services.book_appointment(practice=week.practice, practitioner_id=week.practitioner.id,
                                      appointment_type_id=week.type.id, patient_id=(patient or week.patient).id,
                                      starts_at=slot.starts_at, actor=OPERATOR)
    commit()
    return visit


def offer_job(visit):
    """The offer job the cancellation enqueued, run here before any delivery job (a delivered
    message no longer holds its link)."""
    from portal.agenda.jobs import offer_freed_time
    from portal.core.jobs import queue

    assert any(j.func_name.endswith("offer_freed_time") and j.args == (visit.id,) for j in queue().jobs)
    return offer_freed_time(visit.id)


def link_of(recipient):
    (message,) = factories.outbox(recipient, "waiting_offer")
    return re.search(r"https://\S+/rdv/offre/(\S+)", delivery_text(message)).group(1)


def test_add_list_and_remove_from_the_waiting_list_page(auth, client, week, make_staff, db):
    auth.staff(make_staff(week.practice, "secretary"))
    page = client.get(f"/console/agenda/attente?praticien={week.practitioner.id}").get_data(as_text=True)
    assert 'id="waiting-add-form"' in page and "Personne n" in page
    data = {"csrf_token": csrf_from(page), "practitioner_id": week.practitioner.id, "appointment_type_id": week.type.id}
    r = client.post("/console/agenda/attente", data={**data, "patient_number": "", "wishes": "mardis"})
    assert r.status_code == 422 and 'value="mardis"' in r.get_data(as_text=True)
    r = client.post("/console/agenda/attente", data={**data, "patient_number": "zoé@nowhere", "wishes": "mardis"})
    assert r.status_code == 422 and "Aucun patient ne correspond" in r.get_data(as_text=True)
    r = client.post("/console/agenda/attente", data={**data, "patient_number": "777", "wishes": "mardis"},
                    follow_redirects=True)
    listing = r.get_data(as_text=True)
    (entry,) = db.session.scalars(select(WaitingEntry)).all()
    assert f'id="waiting-entry-{entry.id}"' in listing and "mardis" in listing
    r = client.post("/console/agenda/attente", data={**data, "patient_number": "777"})
    assert r.status_code == 422 and "attend déjà" in r.get_data(as_text=True)
    client.post(f"/console/agenda/attente/{entry.id}/retirer", data={"csrf_token": csrf_from(listing)})
    db.session.expire_all()
    assert db.session.get(WaitingEntry, entry.id).status is WaitingStatus.removed


def test_a_cancellation_offers_the_time_to_those_who_fit(week, make_patient, run_jobs, db):
    long_type = services.add_appointment_type(practitioner=week.practitioner, name="Bilan", duration_minutes=60,
                                              actor=OPERATOR)
    by_sms = make_patient(week.practice, number="601", first_name="Sms", parent_mobile="0601010101")
    by_mail = make_patient(week.practice, number="602", first_name="Mail", email="mail@example.com")
    too_long = make_patient(week.practice, number="603", first_name="Long", parent_mobile="0603030303")
    for p in (by_sms, by_mail):
        wait(week, p)
    wait(week, too_long, long_type)
    visit = book(week, slots_on(week)[2])
    services.cancel_appointment(visit, actor=OPERATOR)
    commit()
    offer_job(visit)
    offers = db.session.scalars(select(WaitingOffer).order_by(WaitingOffer.id)).all()
    assert [o.entry.patient_id for o in offers] == [by_sms.id, by_mail.id]
    assert all(o.starts_at == visit.starts_at and o.expires_at <= visit.starts_at for o in offers)
    assert len(factories.outbox("0601010101", "waiting_offer")) == 1
    assert len(factories.outbox("mail@example.com", "waiting_offer")) == 1
    assert factories.outbox("0603030303", "waiting_offer") == []
    token = link_of("0601010101")
    assert offers[0].token_hash != token and token not in factories.outbox("0601010101")[0].body  # only a hash kept
    # the job again (a retry): nothing new
    waiting.make_offers(visit.id)
    commit()
    assert db.session.scalar(select(func.count()).select_from(WaitingOffer)) == 2


def test_no_offer_when_the_time_is_taken_again_or_blocked(week, make_patient, run_jobs, db):
    wait(week, make_patient(week.practice, number="611", parent_mobile="0611111111"))
    slots = slots_on(week)
    first = book(week, slots[0])
    services.cancel_appointment(first, actor=OPERATOR)
    book(week, slots[0], make_patient(week.practice, number="612"))  # staff filled it before the job ran
    second = book(week, slots[1])
    services.cancel_appointment(second, actor=OPERATOR)
    services.block_time(practice=week.practice, practitioner_id=week.practitioner.id, starts_at=second.starts_at,
                        ends_at=second.ends_at, actor=OPERATOR)
    commit()
    run_jobs()
    assert db.session.scalar(select(func.count()).select_from(WaitingOffer)) == 0


def test_bulk_cancel_offers_freed_time_unless_blocked(week, make_patient, run_jobs, db):
    wait(week, make_patient(week.practice, number="621", parent_mobile="0621212121"))
    visits = [book(week, s) for s in slots_on(week)[:2]]
    bulk.bulk_cancel(practice=week.practice, appointments=visits, message="Docteur absent", send_sms=False,
                         block=False, actor=OPERATOR)
    commit()
    run_jobs()
    assert db.session.scalar(select(func.count()).select_from(WaitingOffer)) == 2


def test_the_first_to_accept_gets_it_and_the_others_are_told(client, week, make_patient, run_jobs, db):
    ana = make_patient(week.practice, number="631", first_name="Ana", parent_mobile="0631313131")
    ben = make_patient(week.practice, number="632", first_name="Ben", email="ben@example.com")
    entries = [wait(week, ana), wait(week, ben)]
    visit = book(week, slots_on(week)[4])
    services.cancel_appointment(visit, actor=OPERATOR)
    commit()
    offer_job(visit)
    ana_token, ben_token = link_of("0631313131"), link_of("ben@example.com")
    assert client.get("/rdv/offre/nope").status_code == 404
    page = client.get(f"/rdv/offre/{ana_token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "10:20" in html and 'id="offer-accept-form"' in html
    r = client.post(f"/rdv/offre/{ana_token}", data={"csrf_token": csrf_from(html)})
    assert r.status_code == 200 and 'id="offer-booked"' in r.get_data(as_text=True)
    again = client.post(f"/rdv/offre/{ana_token}", data={"csrf_token": csrf_from(html)})  # a double click
    assert again.status_code == 200 and 'id="offer-booked"' in again.get_data(as_text=True)
    late = client.post(f"/rdv/offre/{ben_token}", data={"csrf_token": csrf_from(html)})
    assert late.status_code == 409 and "Ce créneau a déjà été pris" in late.get_data(as_text=True)
    db.session.expire_all()
    (mine,) = db.session.scalars(select(Appointment).where(Appointment.status == AppointmentStatus.booked)).all()
    assert (mine.patient_id, mine.starts_at, mine.booked_by) == (ana.id, visit.starts_at, "patient")
    assert [db.session.get(WaitingEntry, e.id).status for e in entries] == [WaitingStatus.booked, WaitingStatus.waiting]
    assert {o.status for o in db.session.scalars(select(WaitingOffer))} == {OfferStatus.accepted, OfferStatus.taken}
    run_jobs()
    told = [m for m in factories.outbox("ben@example.com") if m.key.startswith("offer_taken:")]
    assert len(told) == 1 and "déjà été pris" in told[0].body


def test_an_expired_offer_says_so(client, week, make_patient, run_jobs, db):
    wait(week, make_patient(week.practice, number="641", parent_mobile="0641414141"))
    visit = book(week, slots_on(week)[5])
    services.cancel_appointment(visit, actor=OPERATOR)
    commit()
    offer_job(visit)
    token = link_of("0641414141")
    with time_machine.travel(visit.starts_at + timedelta(minutes=1)):
        r = client.get(f"/rdv/offre/{token}")
        assert r.status_code == 410 and "plus valable" in r.get_data(as_text=True)
        r = client.post(f"/rdv/offre/{token}", data={"csrf_token": csrf_from(r.get_data(as_text=True))})
        assert r.status_code == 410 and "expiré" in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Appointment).where(
        Appointment.status == AppointmentStatus.booked)) == 0


def test_two_patients_accepting_at_once_make_one_booking(app, week, make_patient, run_jobs, db):
    """Each acceptor with their own HTTP client, at the same instant, on a threaded server."""
    people = [make_patient(week.practice, number=f"65{i}", first_name=f"Rapide{i}", parent_mobile=f"065000000{i}")
              for i in range(2)]
    for p in people:
        wait(week, p)
    visit = book(week, slots_on(week)[6])
    services.cancel_appointment(visit, actor=OPERATOR)
    commit()
    offer_job(visit)
    tokens = [link_of(f"065000000{i}") for i in range(2)]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}/rdv/offre/"
    prepared = []
    for token in tokens:  # each its own session cookie and CSRF token
        with urllib.request.urlopen(base + token, timeout=30) as page:
            cookie = page.headers["Set-Cookie"].split(";")[0]
            prepared.append((token, cookie, csrf_from(page.read().decode())))
    barrier, results = threading.Barrier(2), [None, None]

    def accept(i):
        token, cookie, csrf = prepared[i]
        request = urllib.request.Request(base + token, data=f"csrf_token={csrf}".encode(), method="POST",
                                         headers={"Cookie": cookie,
                                                  "Content-Type": "application/x-www-form-urlencoded"})
        barrier.wait()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                results[i] = response.status
        except urllib.error.HTTPError as exc:
            results[i] = exc.code

    try:
        threads = [threading.Thread(target=accept, args=(i,)) for i in range(2)]
        [t.start() for t in threads]
        [t.join() for t in threads]
    finally:
        server.shutdown()
    assert sorted(results) == [200, 409], results
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Appointment).where(
        Appointment.status == AppointmentStatus.booked)) == 1
    assert sorted(o.status.value for o in db.session.scalars(select(WaitingOffer))) == ["accepted", "taken"]


def test_offers_to_many_waiting_patients_keep_few_queries(week, make_patient, db):
    from sqlalchemy import event

    from portal.extensions import db as _db

    for i in range(12):
        wait(week, make_patient(week.practice, number=f"66{i:02d}", parent_mobile=f"06600000{i:02d}"))
    visit = book(week, slots_on(week)[7])
    services.cancel_appointment(visit, actor=OPERATOR)
    commit()
    counted = []
    listener = lambda *args: counted.append(1)  # noqa: E731
    event.listen(_db.engine, "before_cursor_execute", listener)
    try:
        made = waiting.make_offers(visit.id)
    finally:
        event.remove(_db.engine, "before_cursor_execute", listener)
    assert len(made) == 12 and len(counted) < 12 * 4 + 15, len(counted)
