"""Issue 4, slice d: "Mes infos" change requests (patient side and console), "Gestion des
patients", the RGPD switch seen by a signed-in session, and the consent step."""
from __future__ import annotations

import html
from datetime import date

import pytest
from sqlalchemy import select

from portal.accounts.models import PatientAccount
from portal.core.models import AuditEvent
from portal.patients.models import ChangeRequest, RequestState
from tests.conftest import Auth, csrf_from

PHONE = "06 12 34 56 78"


@pytest.fixture
def family(make_practice, make_patient):
    practice = make_practice()
    responsibles = [{"role": "parent1", "last_name": "Lefèvre", "first_name": "Claire", "mobile": PHONE,
                     "email": "claire@example.com", "address": "1 rue des Lilas"}]
    lea = make_patient(practice, last_name="LEFEVRE", first_name="Léa", birth_date=date(2012, 5, 3),
                       responsibles=responsibles, email="lea@example.com")
    hugo = make_patient(practice, last_name="LEFEVRE", first_name="Hugo", birth_date=date(2015, 2, 1),
                        responsibles=[dict(responsibles[0])])
    return practice, lea, hugo


def _signed_in(app, patient, phone=PHONE):
    client = app.test_client()
    Auth(client).patient_first_signin(patient, phone)
    return client


def _patient_form(patient, **changes):
    prefix = f"p{patient.id}-"
    data = {"last_name": patient.last_name, "first_name": patient.first_name,
            "birth_date": patient.birth_date.isoformat(), "email": patient.email, "mobile": "", "address": "",
            "postal_code": "", "city": "", **changes}
    return {prefix + k: v for k, v in data.items()}


def _post(client, url, data, page="/mes-infos"):
    token = csrf_from(client.get(page).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def test_mes_infos_shows_the_person_and_each_patient(app, family):
    _, lea, hugo = family
    client = _signed_in(app, lea)
    page = client.get("/mes-infos").get_data(as_text=True)
    assert 'id="info-person"' in page and "claire@example.com" in page and "1 rue des Lilas" in page
    assert f'id="info-patient-{lea.id}"' in page and f'id="info-patient-{hugo.id}"' in page
    assert "lea@example.com" in page and "2012-05-03" in page
    assert "obligatoire pour recevoir la confirmation des paiements" in page


def test_a_change_becomes_a_request_staff_accept(app, auth, client, family, make_staff, db):
    practice, lea, _ = family
    parent = _signed_in(app, lea)
    r = _post(parent, f"/mes-infos/patients/{lea.id}", _patient_form(lea, email="Lea.New@Example.com",
                                                                      mobile="07 55 44 33 22"))
    assert r.status_code == 303, [l for l in r.get_data(as_text=True).splitlines() if "error" in l]
    req = db.session.scalar(select(ChangeRequest))
    assert req.state is RequestState.pending and req.patient_id == lea.id
    assert req.changes == {"email": ["lea@example.com", "lea.new@example.com"], "mobile": ["", "+33755443322"]}
    db.session.refresh(lea)
    assert lea.email == "lea@example.com"  # nothing changes before staff decide
    page = parent.get("/mes-infos").get_data(as_text=True)
    assert f'id="my-request-{req.id}"' in page and "En attente du cabinet" in page

    auth.staff(make_staff(practice, "secretary"))
    console = client.get("/console/patients/demandes").get_data(as_text=True)
    assert f'id="change-request-{req.id}"' in console and "lea.new@example.com" in console
    assert "lea@example.com" in console  # the diff shows old and new
    r = client.post(f"/console/patients/demandes/{req.id}/accepter", data={"csrf_token": csrf_from(console)})
    assert r.status_code == 303
    db.session.expire_all()
    lea = db.session.get(type(lea), lea.id)
    assert lea.email == "lea.new@example.com" and lea.mobile == "+33755443322"
    assert db.session.get(ChangeRequest, req.id).state is RequestState.accepted
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"patient.change_requested", "patient.change_accepted", "patient.details_changed"} <= actions
    assert "Acceptée" in parent.get("/mes-infos").get_data(as_text=True)
    # deciding twice is refused, not applied twice
    r = client.post(f"/console/patients/demandes/{req.id}/refuser", data={"csrf_token": csrf_from(console)},
                    follow_redirects=True)
    assert "déjà été traitée" in r.get_data(as_text=True)


def test_the_persons_change_applies_to_each_of_their_responsible_rows(app, auth, client, family, make_staff, db):
    practice, lea, hugo = family
    parent = _signed_in(app, lea)
    r = _post(parent, "/mes-infos/moi", {"me-last_name": "Lefèvre", "me-first_name": "Claire",
                                         "me-email": "claire.l@example.com", "me-address": "2 rue des Roses"})
    assert r.status_code == 303
    req = db.session.scalar(select(ChangeRequest))
    assert req.patient_id is None and set(req.changes) == {"email", "address"}
    auth.staff(make_staff(practice, "secretary"))
    console = client.get("/console/patients/demandes").get_data(as_text=True)
    client.post(f"/console/patients/demandes/{req.id}/accepter", data={"csrf_token": csrf_from(console)})
    db.session.expire_all()
    for kid in (lea, hugo):
        row = db.session.get(type(kid), kid.id).responsibles[0]
        assert (row.email, row.address) == ("claire.l@example.com", "2 rue des Roses")


def test_staff_reject_with_a_reason_the_person_sees(app, auth, client, family, make_staff, db):
    practice, lea, _ = family
    parent = _signed_in(app, lea)
    _post(parent, f"/mes-infos/patients/{lea.id}", _patient_form(lea, city="Lyon"))
    req = db.session.scalar(select(ChangeRequest))
    auth.staff(make_staff(practice, "secretary"))
    console = client.get("/console/patients/demandes").get_data(as_text=True)
    r = client.post(f"/console/patients/demandes/{req.id}/refuser",
                    data={"csrf_token": csrf_from(console), "reason": "Adresse à confirmer au cabinet"})
    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.get(type(lea), lea.id).city == ""
    page = parent.get("/mes-infos").get_data(as_text=True)
    assert "Refusée" in page and "Adresse à confirmer au cabinet" in page


@pytest.mark.parametrize("changes, message", [
    ({"email": "pas-un-email"}, "adresse e-mail n'est pas valide"),
    ({"mobile": "12"}, "numéro de téléphone n'est pas valide"),
    ({"first_name": ""}, "obligatoire"),
    ({"birth_date": "2999-01-01"}, "futur"),
    ({}, "Aucune modification"),
])
def test_bad_input_is_refused_in_place_keeping_what_was_typed(app, family, db, changes, message):
    _, lea, _ = family
    parent = _signed_in(app, lea)
    typed = {"address": "12 avenue Typée", **changes}
    if not changes:
        typed = {}
    r = _post(parent, f"/mes-infos/patients/{lea.id}", _patient_form(lea, **typed))
    body = html.unescape(r.get_data(as_text=True))
    assert r.status_code == 422 and message in body
    if changes:
        assert "12 avenue Typée" in body
    assert db.session.scalar(select(ChangeRequest)) is None


def test_another_familys_patient_is_a_404(app, family, make_patient, db):
    practice, lea, _ = family
    stranger = make_patient(practice, parent_mobile="0799999999", first_name="Inconnu")
    parent = _signed_in(app, lea)
    r = _post(parent, f"/mes-infos/patients/{stranger.id}", _patient_form(stranger, city="Paris"))
    assert r.status_code == 404
    assert db.session.scalar(select(ChangeRequest)) is None


def test_staff_of_another_practice_cannot_decide(app, auth, client, family, make_practice, make_staff, db):
    _, lea, _ = family
    parent = _signed_in(app, lea)
    _post(parent, f"/mes-infos/patients/{lea.id}", _patient_form(lea, city="Lyon"))
    req = db.session.scalar(select(ChangeRequest))
    auth.staff(make_staff(make_practice("Autre cabinet"), "owner"))
    console = client.get("/console/patients/demandes").get_data(as_text=True)
    assert "Lyon" not in console and "Aucune demande" in console
    for verb in ("accepter", "refuser"):
        r = client.post(f"/console/patients/demandes/{req.id}/{verb}", data={"csrf_token": csrf_from(console)})
        assert r.status_code == 404
    db.session.expire_all()
    assert db.session.get(ChangeRequest, req.id).state is RequestState.pending


def test_gestion_des_patients_never_reveals_a_file_on_another_number(app, family, make_patient, db):
    practice, lea, hugo = family
    make_patient(practice, last_name="MARTIN", first_name="Jules", birth_date=date(2013, 1, 1),
                 parent_mobile="0799999999")
    hidden = make_patient(practice, last_name="LEFEVRE", first_name="Zoé", birth_date=date(2017, 1, 1),
                          parent_mobile=PHONE, do_not_share_online=True)
    parent = _signed_in(app, lea)
    page = parent.get("/gestion-patients").get_data(as_text=True)
    assert "Léa LEFEVRE" in page and "Hugo LEFEVRE" in page and "Zoé" not in page and "Jules" not in page
    page_token = csrf_from(page)

    def look(last, first, born):
        return parent.post("/gestion-patients", data={"csrf_token": page_token, "last_name": last,
                                                      "first_name": first, "birth_date": born})

    other_number = look("Martin", "Jules", "2013-01-01").get_data(as_text=True)
    unknown = look("Personne", "Inconnue", "2013-01-01").get_data(as_text=True)
    withdrawn = look("Lefevre", "Zoe", hidden.birth_date.isoformat()).get_data(as_text=True)
    neutral = "Nous n'avons pas trouvé ce patient avec votre numéro"
    for body in (other_number, unknown, withdrawn):
        assert neutral.replace("'", "&#39;") in body or neutral in body
    r = look("lefevre", "hugo", "2015-02-01")
    assert r.status_code == 303
    assert "déjà dans votre liste" in parent.get("/gestion-patients").get_data(as_text=True)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "patient.lookup_failed"))


def test_sharing_switch_removes_the_patient_from_a_signed_in_session_at_once(app, auth, client, family, make_staff,
                                                                            db):
    practice, lea, hugo = family
    parent = _signed_in(app, lea)
    assert "Hugo" in parent.get("/gestion-patients").get_data(as_text=True)
    auth.staff(make_staff(practice, "secretary"))
    page = client.get(f"/console/patients/{hugo.id}").get_data(as_text=True)
    client.post(f"/console/patients/{hugo.id}/partage", data={"csrf_token": csrf_from(page), "do_not_share": "1"})
    # the very next request of the already signed-in parent no longer shows Hugo anywhere
    for url in ("/", "/menu", "/mes-infos", "/gestion-patients", "/mes-donnees"):
        assert "Hugo" not in parent.get(url).get_data(as_text=True), url
    assert parent.get("/mes-donnees.json").get_json()["patients"][0]["name"] == "Léa LEFEVRE"
    assert len(parent.get("/mes-donnees.json").get_json()["patients"]) == 1
    token = csrf_from(parent.get("/menu").get_data(as_text=True))
    assert parent.post(f"/patients/{hugo.id}/afficher", data={"csrf_token": token}).status_code == 404


def test_consent_is_recorded_with_its_version_and_required_before_the_space(app, family, db):
    from portal.patients.privacy import CONSENT_VERSION

    _, lea, _ = family
    client = app.test_client()
    auth = Auth(client)
    auth.patient_identify(lea, PHONE)
    auth.post("/connexion/code", {"code": __import__("tests.factories", fromlist=["x"]).last_code(PHONE)})
    r = auth.post("/connexion/mot-de-passe/nouveau", {"password": "un mot de passe solide", "confirm":
                                                      "un mot de passe solide"})
    assert r.headers["Location"].endswith("/consentement")
    for url in ("/", "/mes-infos", "/mes-donnees"):
        assert client.get(url).headers["Location"].endswith("/consentement"), url
    r = auth.post("/consentement", {})
    assert r.status_code == 422 and "Cochez la case" in r.get_data(as_text=True)
    r = auth.post("/consentement", {"accept": "y"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/")
    account = db.session.scalar(select(PatientAccount))
    assert account.privacy_consent_version == CONSENT_VERSION and account.privacy_consent_at is not None
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "patient.consent_given"))
    assert client.get("/").status_code == 200


def test_privacy_page_is_public_and_french(client):
    page = client.get("/confidentialite").get_data(as_text=True)
    assert "Politique de confidentialité" in page and "Combien de temps" in page and "CNIL" in page
