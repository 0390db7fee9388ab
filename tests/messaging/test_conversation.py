"""Messagerie both ways (seed 000): the patient space's conversation, files checked from their
content, the console's inbox and replies, telling the person once per unread streak."""
from __future__ import annotations

from io import BytesIO

from PIL import Image
from sqlalchemy import select

from portal.accounts.models import Role
from portal.core.db import commit
from portal.core.models import AuditEvent
from portal.messaging.models import Direction, Message
from portal.notify.models import PatientNotice
from tests.conftest import csrf_from
from tests.factories import outbox
from tests.messaging.conftest import PHONE, photo, text


def _send(client, body="", file=None, headers=None):
    token = csrf_from(text(client.get("/messagerie")))
    data = {"csrf_token": token, "body": body}
    if file is not None:
        data["attachment"] = (BytesIO(file[1]), file[0])
    return client.post("/messagerie", data=data, content_type="multipart/form-data", headers=headers or {})


def test_parent_sends_text_and_photo_staff_read_and_reply(client, family, make_staff, desk, db, files_dir):
    practice, child = family
    page = text(client.get("/messagerie"))
    assert "Aucun message pour l'instant." in page and 'id="messaging-thread"' in page
    assert 'hx-trigger="every 20s"' in page and 'enctype="multipart/form-data"' in page
    r = _send(client, "Voici la photo de la bague.", ("bague.jpg", photo()))
    assert r.status_code == 303
    message = db.session.scalar(select(Message))
    assert message.direction is Direction.incoming and message.patient_id == child.id
    assert message.attachment_type == "image/jpeg" and message.attachment_name == "bague.jpg"
    stored = (files_dir / message.attachment_key).read_bytes()
    assert b"SecretPhone" not in stored  # re-encoded: the EXIF is gone
    assert not Image.open(BytesIO(stored)).getexif()
    assert str(files_dir) not in message.attachment_key and "static" not in message.attachment_key
    page = text(client.get("/messagerie"))
    assert "Voici la photo de la bague." in page and "Vous" in page
    own = client.get(f"/messagerie/pieces/{message.id}")
    assert own.status_code == 200 and own.mimetype == "image/jpeg" and own.data == stored
    assert "no-store" in own.headers["Cache-Control"]

    secretary = make_staff(practice, Role.secretary, first_name="Camille")
    staff = desk(secretary)
    badge = text(staff.get("/console/messagerie/non-lus", headers={"HX-Request": "true"}))
    assert 'class="badge badge-count">1' in badge and "<html" not in badge  # the side menu's polled count
    inbox = text(staff.get("/console/messagerie"))
    assert f'id="conversation-{child.id}"' in inbox and "1 message non lu." in inbox
    opened = text(staff.get(f"/console/messagerie/patients/{child.id}"))
    assert "Voici la photo de la bague." in opened and "Léa" in opened
    db.session.expire_all()
    assert db.session.get(Message, message.id).read_by_id == secretary.id
    download = staff.get(f"/console/messagerie/pieces/{message.id}")
    assert download.status_code == 200 and download.data == stored
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "messaging.attachment_downloaded"))

    r = staff.post(f"/console/messagerie/patients/{child.id}", data={"csrf_token": csrf_from(opened),
                                                                    "body": "Merci, passez demain à 9 h."})
    assert r.status_code == 303
    reply = db.session.scalar(select(Message).where(Message.direction == Direction.outgoing))
    assert reply.author_id == secretary.id and reply.read_at is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "messaging.replied"))
    assert event.actor_id == secretary.id and event.details["message_id"] == reply.id

    home = text(client.get("/"))
    assert "Nouveau message du cabinet" in home and 'id="home-messaging"' in home and "1 message non lu" in home
    page = text(client.get("/messagerie"))
    assert "Merci, passez demain à 9 h." in page and "Camille" in page
    # the messages keep their order, oldest first
    assert page.index("Voici la photo") < page.index("Merci, passez demain")
    db.session.expire_all()
    assert db.session.get(Message, reply.id).read_at is not None
    assert "Nouveau message du cabinet" not in text(client.get("/"))  # its notice went once read


def test_a_text_file_named_jpg_is_refused_and_the_text_kept(client, family, db):
    r = _send(client, "Mon texte à garder", ("photo.jpg", b"ceci n'est pas une image"))
    assert r.status_code == 422
    body = text(r)
    assert "« photo.jpg » n'est ni une photo lisible (JPEG, PNG" in body and "ni un PDF" in body
    assert "Mon texte à garder" in body
    assert db.session.scalar(select(Message)) is None
    # the same through htmx: the conversation region comes back with the error, not a page
    r = _send(client, "Mon texte à garder", ("photo.jpg", b"GIF? non"),
              headers={"HX-Request": "true", "HX-Target": "messaging-conversation"})
    assert r.status_code == 422 and "<html" not in text(r) and "Mon texte à garder" in text(r)
    assert 'id="messaging-conversation"' in text(r)


def test_oversize_and_empty_are_refused_a_pdf_is_kept(client, family, db, files_dir):
    big = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024)
    r = _send(client, "Le devis", ("devis.pdf", big))
    assert r.status_code == 422 and "« devis.pdf » est trop lourd (10 Mo au plus)." in text(r)
    assert "Le devis" in text(r)
    r = _send(client, "   ")
    assert r.status_code == 422 and "Écrivez votre message ou joignez un fichier." in text(r)
    r = _send(client, "", ("ordonnance.pdf", b"%PDF-1.4\n%%EOF\n"))
    assert r.status_code == 303
    message = db.session.scalar(select(Message))
    assert message.attachment_type == "application/pdf" and message.body == ""
    got = client.get(f"/messagerie/pieces/{message.id}")
    assert got.mimetype == "application/pdf" and "attachment" in got.headers["Content-Disposition"]


def test_htmx_send_swaps_the_conversation_and_the_poll_returns_the_thread(client, family):
    r = _send(client, "Par htmx", headers={"HX-Request": "true", "HX-Target": "messaging-conversation"})
    assert r.status_code == 200 and "<html" not in text(r) and "Par htmx" in text(r)
    assert 'id="message-form"' in text(r) and ">Par htmx</textarea>" not in text(r)  # a fresh form
    poll = client.get("/messagerie", headers={"HX-Request": "true", "HX-Target": "messaging-thread"})
    assert poll.status_code == 200
    assert "<html" not in text(poll) and 'id="messaging-thread"' in text(poll) and "Par htmx" in text(poll)


def test_one_sms_per_unread_streak_and_never_the_text(client, family, make_staff, desk, db):
    practice, child = family
    staff = desk(make_staff(practice, Role.practitioner))
    token = csrf_from(text(staff.get(f"/console/messagerie/patients/{child.id}")))
    url = f"/console/messagerie/patients/{child.id}"
    for body in ("Premier : votre bague", "Second : rappel"):
        assert staff.post(url, data={"csrf_token": token, "body": body}).status_code == 303
    sms = outbox(PHONE, "messaging_reply")
    assert len(sms) == 1 and "Premier" not in sms[0].body and "bague" not in sms[0].body
    assert "nouveau message du cabinet vous attend" in sms[0].body and "/messagerie" in sms[0].body
    notices = list(db.session.scalars(select(PatientNotice).where(PatientNotice.patient_id == child.id)))
    assert len(notices) == 1
    client.get("/messagerie")  # read: the streak ends
    assert staff.post(url, data={"csrf_token": token, "body": "Troisième"}).status_code == 303
    assert len(outbox(PHONE, "messaging_reply")) == 2


def test_marquer_non_lu(client, family, make_staff, desk, db):
    practice, child = family
    _send(client, "Question")
    staff = desk(make_staff(practice, Role.secretary))
    page = text(staff.get(f"/console/messagerie/patients/{child.id}"))
    assert "Aucun message non lu." in text(staff.get("/console/messagerie"))
    r = staff.post(f"/console/messagerie/patients/{child.id}/non-lu", data={"csrf_token": csrf_from(page)})
    assert r.status_code == 303 and r.headers["Location"].endswith("/console/messagerie")
    assert "1 message non lu." in text(staff.get("/console/messagerie"))


def test_unread_first_in_the_inbox(app, auth, client, make_practice, make_patient, make_staff, desk, db):
    practice = make_practice("Cabinet Ordre")
    first = make_patient(practice, parent_mobile=PHONE, first_name="Alice")
    second = make_patient(practice, parent_mobile="06 98 76 54 32", first_name="Bruno")
    auth.patient_first_signin(first, PHONE)
    _send(client, "Message d'Alice")
    other = app.test_client()
    from tests.conftest import Auth
    Auth(other).patient_first_signin(second, "06 98 76 54 32")
    _send(other, "Message de Bruno")
    staff = desk(make_staff(practice, Role.secretary))
    staff.get(f"/console/messagerie/patients/{second.id}")  # Bruno's is read, Alice's is not
    inbox = text(staff.get("/console/messagerie"))
    assert inbox.index(f'id="conversation-{first.id}"') < inbox.index(f'id="conversation-{second.id}"')


def test_contact_form_lands_in_the_same_conversation(client, family, db):
    practice, child = family
    token = csrf_from(text(client.get("/mon-cabinet")))
    assert client.post("/mon-cabinet/message", data={"csrf_token": token, "subject": "Rendez-vous",
                                                     "body": "Peut-on décaler ?"}).status_code == 303
    page = text(client.get("/messagerie"))
    assert "Rendez-vous" in page and "Peut-on décaler ?" in page
    practice.options = {**(practice.options or {}), "messaging": False}
    commit()
    assert client.post("/mon-cabinet/message", data={"csrf_token": token, "subject": "Encore",
                                                     "body": "Toujours là"}).status_code == 303
    assert db.session.scalar(select(Message).where(Message.subject == "Encore")) is not None
