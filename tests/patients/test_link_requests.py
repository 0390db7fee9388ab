""""Gestion des patients": after a look-up that finds nothing, the person asks the practice to
link a patient to their number; staff choose the file (or reject with a reason)."""
from __future__ import annotations

import difflib
import html
import re
from datetime import date

import pytest
from sqlalchemy import select

from portal.core.models import AuditEvent
from portal.patients import links
from portal.patients.models import ChangeRequest, Patient, RequestKind, RequestState
from tests.conftest import Auth, csrf_from

PHONE = "06 12 34 56 78"
E164 = "+33612345678"


@pytest.fixture
def family(make_practice, make_patient):
    practice = make_practice()
    lea = make_patient(practice, last_name="LEFEVRE", first_name="Léa", birth_date=date(2012, 5, 3),
                       responsibles=[{"role": "parent1", "last_name": "Lefèvre", "first_name": "Claire",
                                      "mobile": PHONE}])
    # A half-sister whose file the practice holds under another parent's number only.
    zoe = make_patient(practice, last_name="MOREAU", first_name="Zoé", birth_date=date(2016, 9, 12),
                       responsibles=[{"role": "parent1", "last_name": "Moreau", "first_name": "Marc",
                                      "mobile": "07 55 44 33 22"}])
    return practice, lea, zoe


def _signed_in(app, patient, phone=PHONE):
    client = app.test_client()
    Auth(client).patient_first_signin(patient, phone)
    return client


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _ask(client, last="Moreau", first="Zoé", born="2016-09-12", relation="parent", note=""):
    token = csrf_from(client.get("/gestion-patients").get_data(as_text=True))
    return client.post("/gestion-patients/demande", data={
        "csrf_token": token, "last_name": last, "first_name": first, "birth_date": born, "relation": relation,
        "note": note})


def _console(client):
    return client.get("/console/patients/demandes")


def test_a_miss_offers_the_request_prefilled_and_the_answer_never_says_if_a_file_exists(app, family, db):
    _, lea, _ = family
    parent = _signed_in(app, lea)
    token = csrf_from(parent.get("/gestion-patients").get_data(as_text=True))
    pages = []
    for last, first in (("Moreau", "Zoé"), ("Personne", "Inconnue")):  # a real file, then nobody
        r = parent.post("/gestion-patients", data={"csrf_token": token, "last_name": last, "first_name": first,
                                                   "birth_date": "2016-09-12"})
        body = _text(r)
        assert r.status_code == 422 and 'id="manage-patients-ask-form"' in body
        assert f'value="{last}"' in body and 'value="2016-09-12"' in body  # prefilled from the look-up
        answer = body[body.index('id="manage-patients-add"'):body.index("</main>")]  # what the page says
        pages.append(re.sub(r'name="csrf_token"[^>]*>', "", answer.replace(last, "X").replace(first, "Y")))
    assert pages[0] == pages[1], "\n".join(difflib.unified_diff(pages[0].splitlines(), pages[1].splitlines()))
    answers = [_ask(parent, "Moreau", "Zoé"), _ask(parent, "Personne", "Inconnue")]
    assert [r.status_code for r in answers] == [303, 303]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    page = _text(parent.get("/gestion-patients"))
    assert "Demande envoyée au cabinet" in page and "En attente du cabinet" in page
    reqs = db.session.scalars(select(ChangeRequest).order_by(ChangeRequest.id)).all()
    assert [r.kind for r in reqs] == [RequestKind.patient_link] * 2
    assert reqs[0].changes == {"last_name": "Moreau", "first_name": "Zoé", "birth_date": "2016-09-12",
                               "relation": "parent", "note": ""}
    assert reqs[0].patient_id is None and reqs[0].requested_by == E164
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "patient.link_requested"))
    # Link requests live in Gestion des patients, not in Mes infos.
    assert f'id="my-request-{reqs[0].id}"' not in parent.get("/mes-infos").get_data(as_text=True)


def test_staff_accept_links_the_file_and_the_patient_appears_in_the_space(app, auth, client, family, make_staff,
                                                                         make_patient, db):
    practice, lea, zoe = family
    # A namesake born another day, and another practice's identical file: only the first is a candidate.
    namesake = make_patient(practice, last_name="Moreau", first_name="Zoé", birth_date=date(2014, 1, 1))
    parent = _signed_in(app, lea)
    assert _ask(parent, "moreau", "zoe", note="Je suis sa mère.").status_code == 303
    req = db.session.scalar(select(ChangeRequest))

    auth.staff(make_staff(practice, "secretary"))
    console = _text(_console(client))
    assert f'id="change-request-{req.id}"' in console and "Je suis sa mère." in console
    assert f'id="link-candidate-{req.id}-{zoe.id}"' in console
    assert f'id="link-candidate-{req.id}-{namesake.id}"' in console
    assert console.index(f"link-candidate-{req.id}-{zoe.id}") < console.index(f"link-candidate-{req.id}-{namesake.id}")
    token = csrf_from(console)
    # The generic "Accepter" does not apply to a link request: staff must choose the file.
    r = client.post(f"/console/patients/demandes/{req.id}/accepter", data={"csrf_token": token})
    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.get(ChangeRequest, req.id).state is RequestState.pending
    # Parent 1 already holds another number: refused in place, nothing linked.
    r = client.post(f"/console/patients/demandes/{req.id}/lier",
                    data={"csrf_token": token, "patient_id": zoe.id, "role": "parent1"})
    assert r.status_code == 422 and "déjà un autre numéro" in _text(r)
    assert "Zoé" not in _text(parent.get("/gestion-patients")).split("manage-patients-add")[0]
    r = client.post(f"/console/patients/demandes/{req.id}/lier",
                    data={"csrf_token": token, "patient_id": zoe.id, "role": "parent2"})
    assert r.status_code == 303
    db.session.expire_all()
    req = db.session.get(ChangeRequest, req.id)
    assert req.state is RequestState.accepted and req.patient_id == zoe.id
    file = db.session.get(Patient, zoe.id)
    parent2 = [r for r in file.responsibles if r.role.value == "parent2"][0]
    assert parent2.mobile == E164 and parent2.first_name == "Claire"  # names as the practice knows the person
    assert [r.mobile for r in file.responsibles if r.role.value == "parent1"] == ["+33755443322"]
    linked = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "patient.number_linked"))
    assert linked.target_id == zoe.id and linked.details == {"role": "parent2", "phone_suffix": "78"}

    page = _text(parent.get("/gestion-patients"))
    assert f'id="manage-patient-{zoe.id}"' in page and "Acceptée" in page
    assert f'id="manage-patient-{namesake.id}"' not in page
    # A second decision is refused.
    r = client.post(f"/console/patients/demandes/{req.id}/lier",
                    data={"csrf_token": token, "patient_id": zoe.id, "role": "parent2"})
    assert r.status_code == 303 and "déjà été traitée" in _text(client.get(r.headers["Location"]))


def test_reject_shows_the_reason_and_links_nothing(app, auth, client, family, make_staff, db):
    practice, lea, zoe = family
    parent = _signed_in(app, lea)
    _ask(parent)
    req = db.session.scalar(select(ChangeRequest))
    auth.staff(make_staff(practice, "secretary"))
    r = client.post(f"/console/patients/demandes/{req.id}/refuser",
                    data={"csrf_token": csrf_from(_console(client).get_data(as_text=True)),
                          "reason": "Merci de passer au cabinet avec le livret de famille."})
    assert r.status_code == 303
    page = _text(parent.get("/gestion-patients"))
    assert "Refusée" in page and "Merci de passer au cabinet avec le livret de famille." in page
    db.session.expire_all()
    assert E164 not in [r.mobile for r in db.session.get(Patient, zoe.id).responsibles]


def test_staff_of_another_practice_neither_see_nor_decide(app, auth, client, family, make_practice, make_staff,
                                                          make_patient, db):
    _, lea, zoe = family
    parent = _signed_in(app, lea)
    _ask(parent)
    req = db.session.scalar(select(ChangeRequest))
    other = make_practice("Autre cabinet")
    theirs = make_patient(other, last_name="MOREAU", first_name="Zoé", birth_date=date(2016, 9, 12))
    auth.staff(make_staff(other, "owner"))
    console = _text(_console(client))
    assert "Moreau" not in console and "Aucune demande" in console
    r = client.post(f"/console/patients/demandes/{req.id}/lier",
                    data={"csrf_token": csrf_from(console), "patient_id": theirs.id, "role": "parent2"})
    assert r.status_code == 404


def test_a_file_of_another_practice_cannot_be_linked(app, auth, client, family, make_practice, make_staff,
                                                     make_patient, db):
    practice, lea, _ = family
    parent = _signed_in(app, lea)
    _ask(parent)
    req = db.session.scalar(select(ChangeRequest))
    theirs = make_patient(make_practice("Autre cabinet"), last_name="MOREAU", first_name="Zoé",
                          birth_date=date(2016, 9, 12))
    auth.staff(make_staff(practice, "secretary"))
    r = client.post(f"/console/patients/demandes/{req.id}/lier",
                    data={"csrf_token": csrf_from(_console(client).get_data(as_text=True)), "patient_id": theirs.id,
                          "role": "parent2"})
    assert r.status_code == 404
    db.session.expire_all()
    assert db.session.get(ChangeRequest, req.id).state is RequestState.pending
    assert db.session.get(Patient, theirs.id).responsibles == []


def test_open_requests_are_limited_and_a_repeat_is_not_a_new_one(app, family, db):
    _, lea, _ = family
    parent = _signed_in(app, lea)
    for i in range(links.MAX_OPEN):
        assert _ask(parent, "Martin", f"Enfant{i}").status_code == 303
    assert _ask(parent, "martin", "enfant0").status_code == 303  # the same patient again: the same request
    r = _ask(parent, "Martin", "Encore", note="Une note à garder")
    body = _text(r)
    assert r.status_code == 422 and "3 demandes en attente" in body
    assert 'value="Encore"' in body and "Une note à garder" in body
    assert len(db.session.scalars(select(ChangeRequest)).all()) == links.MAX_OPEN


@pytest.mark.parametrize("changes, message", [
    ({"last_name": ""}, "obligatoire"),
    ({"birth_date": "31/02/2016"}, "date valide"),
    ({"birth_date": "2999-01-01"}, "futur"),
    ({"relation": ""}, "qui vous êtes"),
    ({"relation": "cousin"}, "qui vous êtes"),
    ({"note": "x" * 501}, "500"),
    ({"last_name": "Lefevre", "first_name": "Lea", "born": "2012-05-03"}, "déjà dans votre liste"),
])
def test_bad_input_comes_back_in_place_with_what_was_typed(app, family, db, changes, message):
    _, lea, _ = family
    parent = _signed_in(app, lea)
    typed = {"last": changes.get("last_name", "Moreau"), "first": changes.get("first_name", "Zoé"),
             "born": changes.get("birth_date", changes.get("born", "2016-09-12")),
             "relation": changes.get("relation", "parent"), "note": changes.get("note", "Ma note")}
    r = _ask(parent, **typed)
    body = _text(r)
    assert r.status_code == 422 and message in body, body[:3000]
    assert 'id="manage-patients-ask-form"' in body and (typed["note"] in body)
    if typed["first"]:
        assert f'value="{typed["first"]}"' in body
    assert db.session.scalar(select(ChangeRequest)) is None


def test_the_form_is_rate_limited_per_account(app, family, db):
    _, lea, _ = family
    parent = _signed_in(app, lea)
    codes = [_ask(parent, "Martin", f"Enfant{i % 3}").status_code for i in range(6)]
    assert codes == [303] * 5 + [429]
