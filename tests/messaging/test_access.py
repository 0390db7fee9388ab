"""Who reaches a conversation and its files (other practices and other families: 404), the
Messagerie switched off (gone from the menus, routes refused), and predefined messages."""
from __future__ import annotations

from io import BytesIO

from sqlalchemy import select

from portal.accounts.models import Role
from portal.core.models import AuditEvent
from portal.messaging.models import Direction, Message, MessageTemplate
from tests.conftest import Auth, csrf_from
from tests.messaging.conftest import photo, text


def _send_photo(client):
    token = csrf_from(text(client.get("/messagerie")))
    r = client.post("/messagerie", data={"csrf_token": token, "body": "Privé",
                                         "attachment": (BytesIO(photo()), "dents.png")},
                    content_type="multipart/form-data")
    assert r.status_code == 303


def test_other_families_and_practices_get_404(app, client, family, make_practice, make_patient, make_staff, db):
    practice, child = family
    _send_photo(client)
    message = db.session.scalar(select(Message))
    # another family of the same practice
    neighbour = make_patient(practice, parent_mobile="06 55 44 33 22", first_name="Voisin")
    other_family = app.test_client()
    Auth(other_family).patient_first_signin(neighbour, "06 55 44 33 22")
    assert other_family.get(f"/messagerie/pieces/{message.id}").status_code == 404
    assert "Privé" not in text(other_family.get("/messagerie"))
    # another practice's staff
    stranger = app.test_client()
    Auth(stranger).staff(make_staff(make_practice("Autre cabinet"), Role.owner))
    assert stranger.get(f"/console/messagerie/pieces/{message.id}").status_code == 404
    assert stranger.get(f"/console/messagerie/patients/{child.id}").status_code == 404
    page = text(stranger.get("/console/messagerie"))
    assert "Privé" not in page and "Léa" not in page
    r = stranger.post(f"/console/messagerie/patients/{child.id}", data={"csrf_token": csrf_from(page), "body": "x"})
    assert r.status_code == 404
    assert db.session.scalar(select(Message).where(Message.direction == Direction.outgoing)) is None
    # signed out: the sign-in page, never the file
    assert app.test_client().get(f"/messagerie/pieces/{message.id}").status_code in (302, 303)


def test_switched_off_it_disappears_and_refuses(app, client, family, make_staff, desk, db):
    practice, child = family
    _send_photo(client)
    message = db.session.scalar(select(Message))
    for url in ("/", "/menu", "/messagerie"):
        assert 'href="/messagerie#message-form"' in text(client.get(url))
    owner = desk(make_staff(practice, Role.owner))
    assert owner.get("/console/cabinet/messages").headers["Location"].endswith("/console/messagerie")  # old address
    opened = text(owner.get(f"/console/messagerie/patients/{child.id}"))
    owner.post(f"/console/messagerie/patients/{child.id}", data={"csrf_token": csrf_from(opened), "body": "Reçu"})
    assert "Nouveau message du cabinet" in text(client.get("/"))
    options = text(owner.get("/console/cabinet/options"))
    form = {"csrf_token": csrf_from(options), "appointments": "y", "imaging": "y", "payments": "y",
            "documents": "y", "questionnaires": "y"}  # everything ticked but the Messagerie
    assert owner.post("/console/cabinet/options", data=form).status_code == 303
    for url in ("/", "/menu", "/mon-cabinet"):
        page = text(client.get(url))
        assert 'href="/messagerie' not in page and "nav-messaging" not in page, url
        assert "Nouveau message du cabinet" not in page  # its notice would point nowhere
    assert client.get("/messagerie").status_code == 404
    poll = client.get("/messagerie", headers={"HX-Request": "true", "HX-Target": "messaging-thread"})
    assert poll.status_code == 286 and "Privé" not in text(poll)  # htmx stops polling an open page
    token = csrf_from(text(client.get("/menu")))
    assert client.post("/messagerie", data={"csrf_token": token, "body": "x"}).status_code == 404
    assert client.get(f"/messagerie/pieces/{message.id}").status_code == 404
    # the console keeps its inbox (Mon cabinet's messages still arrive) but cannot reply
    opened = text(owner.get(f"/console/messagerie/patients/{child.id}"))
    assert "Privé" in opened and "La Messagerie est désactivée" in opened and 'id="reply-form"' not in opened
    r = owner.post(f"/console/messagerie/patients/{child.id}", data={"csrf_token": csrf_from(opened), "body": "x"})
    assert r.status_code == 404


def test_predefined_messages_crud_rights_and_use(app, client, family, make_staff, desk, db, files_dir):
    practice, child = family
    secretary = desk(make_staff(practice, Role.secretary))
    assert secretary.get("/console/messagerie/modeles").status_code == 403
    token = csrf_from(text(secretary.get("/console/messagerie")))
    assert secretary.post("/console/messagerie/modeles", data={"csrf_token": token, "new-body": "x"}).status_code == 403

    doctor = desk(make_staff(practice, Role.practitioner))
    page = text(doctor.get("/console/messagerie/modeles"))
    token = csrf_from(page)
    r = doctor.post("/console/messagerie/modeles", data={"csrf_token": token, "new-body": "  "})
    assert r.status_code == 422 and "Écrivez le texte du message prédéfini." in text(r)
    r = doctor.post("/console/messagerie/modeles", data={"csrf_token": token, "new-body": "Votre texte",
                                                         "new-attachment": (BytesIO(b"pas un pdf"), "notice.pdf")},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and "Votre texte" in text(r) and "n'est ni une photo lisible" in text(r)
    r = doctor.post("/console/messagerie/modeles", data={
        "csrf_token": token, "new-body": "Pensez à porter vos élastiques.",
        "new-attachment": (BytesIO(b"%PDF-1.4\nconsignes\n%%EOF"), "consignes.pdf")}, content_type="multipart/form-data")
    assert r.status_code == 303
    template = db.session.scalar(select(MessageTemplate))
    assert template.attachment_name == "consignes.pdf" and template.practice_id == practice.id
    r = doctor.post(f"/console/messagerie/modeles/{template.id}", data={"csrf_token": token,
                                                                         f"t{template.id}-body": "Élastiques : 12 h par jour."})
    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.get(MessageTemplate, template.id).body == "Élastiques : 12 h par jour."
    assert db.session.get(MessageTemplate, template.id).has_attachment

    # anyone on the team uses it: it fills the reply, and its file goes with it
    page = text(secretary.get(f"/console/messagerie/patients/{child.id}?modele={template.id}"))
    assert "Élastiques : 12 h par jour.</textarea>" in page and "consignes.pdf" in page
    r = secretary.post(f"/console/messagerie/patients/{child.id}",
                       data={"csrf_token": csrf_from(page), "body": "Élastiques : 12 h par jour.",
                             "template_id": str(template.id)})
    assert r.status_code == 303
    sent = db.session.scalar(select(Message).where(Message.direction == Direction.outgoing))
    assert sent.attachment_name == "consignes.pdf" and sent.attachment_key != template.attachment_key
    assert client.get(f"/messagerie/pieces/{sent.id}").data.startswith(b"%PDF-1.4")

    # the file comes off, then the message goes
    r = doctor.post(f"/console/messagerie/modeles/{template.id}", data={
        "csrf_token": token, f"t{template.id}-body": "Élastiques.", f"t{template.id}-remove_attachment": "y"})
    assert r.status_code == 303
    db.session.expire_all()
    assert not db.session.get(MessageTemplate, template.id).has_attachment
    assert doctor.post(f"/console/messagerie/modeles/{template.id}/supprimer",
                       data={"csrf_token": token}).status_code == 303
    assert db.session.scalar(select(MessageTemplate)) is None
    actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("messaging.template%"))))
    assert actions == {"messaging.template_added", "messaging.template_changed", "messaging.template_deleted"}


def test_another_practice_cannot_touch_predefined_messages(app, family, make_practice, make_staff, desk, db):
    practice, _child = family
    from portal.core.audit import Actor
    from portal.core.db import commit
    from portal.messaging.predefined import add_template

    row = add_template(practice_id=practice.id, body="Secret du cabinet", upload=None, actor=Actor.operator())
    commit()
    stranger = desk(make_staff(make_practice("Ailleurs"), Role.owner))
    page = text(stranger.get("/console/messagerie/modeles"))
    assert "Secret du cabinet" not in page
    token = csrf_from(page)
    assert stranger.post(f"/console/messagerie/modeles/{row.id}", data={"csrf_token": token,
                                                                         f"t{row.id}-body": "x"}).status_code == 404
    assert stranger.post(f"/console/messagerie/modeles/{row.id}/supprimer", data={"csrf_token": token}).status_code == 404
    assert stranger.get(f"/console/messagerie/modeles/{row.id}/piece").status_code == 404
    db.session.expire_all()
    assert db.session.get(MessageTemplate, row.id).body == "Secret du cabinet"


def test_patient_page_messages_tab(client, family, make_staff, desk, db):
    practice, child = family
    _send_photo(client)
    staff = desk(make_staff(practice, Role.secretary))
    page = text(staff.get(f"/console/patients/{child.id}?rubrique=messages"))
    assert "Privé" in page and 'id="reply-form"' in page and "rubrique=messages" in page
    r = staff.post(f"/console/messagerie/patients/{child.id}?next=/console/patients/{child.id}?rubrique%3Dmessages",
                   data={"csrf_token": csrf_from(page), "body": "Bien reçu"})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/console/patients/{child.id}?rubrique=messages")
    assert "Bien reçu" in text(staff.get(f"/console/patients/{child.id}?rubrique=messages"))


def test_a_file_lost_from_the_storage_answers_404(client, family, files_dir, db):
    _send_photo(client)
    message = db.session.scalar(select(Message))
    (files_dir / message.attachment_key).unlink()
    assert client.get(f"/messagerie/pieces/{message.id}").status_code == 404
