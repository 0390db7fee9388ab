"""Mon cabinet (seed 000, seed 001): the card, the contact form and its inbox in the console,
and the console's Coordonnées with its preview."""
from __future__ import annotations

import html as html_lib

from sqlalchemy import select

from portal.accounts.models import Role
from portal.core.models import AuditEvent
from portal.messaging.models import Direction, Message as PracticeMessage
from tests.conftest import Auth, csrf_from
from tests.factories import outbox

PHONE = "06 12 34 56 78"


def text(response) -> str:
    return html_lib.unescape(response.get_data(as_text=True))


def _practice(make_practice, **kw):
    practice = make_practice("Cabinet Sourire", address="3 rue Aristide Bergès", postal_code="21800",
                             city="Sennecey-lès-Dijon", phone="03 80 32 01 40", email="contact@example.com", **kw)
    practice.info_zones = ["Bienvenue au cabinet", "", "Parking gratuit", "", "", "", ""]
    practice.opening_hours = "Lundi-vendredi 9h-18h30"
    from portal.core.db import commit
    commit()
    return practice


def test_mon_cabinet_shows_the_card_with_links(auth, client, make_practice, make_patient):
    practice = _practice(make_practice)
    child = make_patient(practice, parent_mobile=PHONE)
    auth.patient_first_signin(child, PHONE)
    assert "/mon-cabinet" in text(client.get("/menu"))
    page = text(client.get("/mon-cabinet"))
    assert 'href="tel:+33380320140"' in page and "03 80 32 01 40" in page
    assert 'href="mailto:contact@example.com"' in page
    assert "openstreetmap.org/search?query=3+rue+Aristide" in page
    assert "Lundi-vendredi 9h-18h30" in page and "Bienvenue au cabinet" in page and "Parking gratuit" in page
    # On a phone, the address opens the phone's maps app (no new tab for a geo: URI).
    android = text(client.get("/mon-cabinet", headers={"User-Agent": "Mozilla/5.0 (Linux; Android 15) Mobile"}))
    assert 'href="geo:0,0?q=3+rue+Aristide' in android and 'target="_blank" rel="noopener" class="cabinet-link"' not in android


def test_contact_form_reaches_the_console_and_the_practice_email(app, auth, client, make_practice, make_patient,
                                                                 make_staff, db):
    practice = _practice(make_practice)
    child = make_patient(practice, parent_mobile=PHONE)
    auth.patient_first_signin(child, PHONE)
    form = text(client.get("/mon-cabinet"))
    r = client.post("/mon-cabinet/message", data={"csrf_token": csrf_from(form), "subject": "Appareil",
                                                  "body": ""})
    assert r.status_code == 422 and "Écrivez votre message" in text(r) and 'value="Appareil"' in text(r)
    r = client.post("/mon-cabinet/message", data={"csrf_token": csrf_from(form), "subject": "Appareil",
                                                  "body": "La bague est décollée."})
    assert r.status_code == 303
    message = db.session.scalar(select(PracticeMessage))
    assert message.patient_id == child.id and message.sender_phone == "+33612345678" and message.read_at is None
    assert message.direction is Direction.incoming and message.subject == "Appareil"
    mails = outbox("contact@example.com", "practice_message")
    assert len(mails) == 1 and child.full_name in mails[0].subject and "La bague" not in mails[0].body

    staff = make_staff(practice, Role.secretary)
    desk = app.test_client()
    Auth(desk).staff(staff)
    inbox = text(desk.get("/console/messagerie"))  # the practice's one inbox (Messagerie)
    assert "Appareil" in inbox and "1 message non lu" in inbox and f'id="conversation-{child.id}"' in inbox
    opened = text(desk.get(f"/console/messagerie/patients/{child.id}"))  # opening reads it
    assert "La bague est décollée." in opened and "Appareil" in opened
    db.session.expire_all()
    assert db.session.get(PracticeMessage, message.id).read_by_id == staff.id
    assert "Aucun message non lu" in text(desk.get("/console/messagerie"))


def test_contact_form_is_rate_limited(auth, client, make_practice, make_patient):
    practice = _practice(make_practice)
    child = make_patient(practice, parent_mobile=PHONE)
    auth.patient_first_signin(child, PHONE)
    token = csrf_from(text(client.get("/mon-cabinet")))
    codes = [client.post("/mon-cabinet/message", data={"csrf_token": token, "subject": "s", "body": f"b{i}"}).status_code
             for i in range(6)]
    assert codes == [303] * 5 + [429]


def test_another_practices_staff_neither_see_nor_mark_messages(app, auth, client, make_practice, make_patient,
                                                               make_staff, db):
    practice = _practice(make_practice)
    child = make_patient(practice, parent_mobile=PHONE)
    auth.patient_first_signin(child, PHONE)
    token = csrf_from(text(client.get("/mon-cabinet")))
    client.post("/mon-cabinet/message", data={"csrf_token": token, "subject": "Secret", "body": "Très privé"})
    message = db.session.scalar(select(PracticeMessage))
    other = make_staff(make_practice("Autre cabinet"), Role.owner)
    desk = app.test_client()
    Auth(desk).staff(other)
    page = text(desk.get("/console/messagerie"))
    assert "Très privé" not in page and "Secret" not in page
    assert desk.get(f"/console/messagerie/patients/{child.id}").status_code == 404
    r = desk.post(f"/console/messagerie/patients/{child.id}/non-lu", data={"csrf_token": csrf_from(page)})
    assert r.status_code == 404
    db.session.expire_all()
    assert db.session.get(PracticeMessage, message.id).read_at is None


def test_coordinates_are_edited_previewed_and_audited(app, make_practice, make_staff, db):
    practice = _practice(make_practice)
    owner = make_staff(practice, Role.owner)
    desk = app.test_client()
    Auth(desk).staff(owner)
    page = text(desk.get("/console/cabinet/coordonnees"))
    assert 'id="cabinet-card"' in page and "03 80 32 01 40" in page
    data = {"csrf_token": csrf_from(page), "address": "10 place Darcy", "postal_code": "21000", "city": "Dijon",
            "phone": "03 80 00 00 00", "phone_secondary": "", "email": "accueil@example.com",
            "opening_hours": "Mardi 9h-12h", **{f"info_zones-{i}": f"Zone n°{i}" if i < 2 else "" for i in range(7)}}
    preview = desk.post("/console/cabinet/coordonnees/apercu", data=data, headers={"HX-Request": "true"})
    assert preview.status_code == 200 and "10 place Darcy" in text(preview) and "<html" not in text(preview)
    db.session.expire_all()
    assert db.session.get(type(practice), practice.id).address == "3 rue Aristide Bergès"  # a preview saves nothing
    bad = desk.post("/console/cabinet/coordonnees", data={**data, "phone": "12"})
    assert bad.status_code == 422 and "n'est pas un numéro de téléphone valide" in text(bad)
    assert 'value="10 place Darcy"' in text(bad)
    assert desk.post("/console/cabinet/coordonnees", data=data).status_code == 303
    db.session.expire_all()
    saved = db.session.get(type(practice), practice.id)
    assert (saved.address, saved.phone, saved.email) == ("10 place Darcy", "+33380000000", "accueil@example.com")
    assert saved.info_zones[:3] == ["Zone n°0", "Zone n°1", ""] and len(saved.info_zones) == 7
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "practice.coordinates_changed"))
    assert event.actor_id == owner.id and "address" in event.details["fields"]


def test_a_secretary_cannot_edit_coordinates(app, make_practice, make_staff):
    practice = _practice(make_practice)
    desk = app.test_client()
    Auth(desk).staff(make_staff(practice, Role.secretary))
    assert desk.get("/console/cabinet/coordonnees").status_code == 403
