"""Messagerie: the conversation of a patient's file with the practice, both ways, in the
practice's one inbox (Mon cabinet's contact form lands here too). Sending, replying, read
state, telling the person a reply awaits (once per unread streak), and who may fetch a file."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import case, func, select, update

from portal.core import audit
from portal.core.audit import Actor
from portal.core.db import utcnow
from portal.core.errors import Invalid, NotFound
from portal.core.phones import display_phone
from portal.extensions import db
from portal.messaging import attachments
from portal.messaging.attachments import Upload
from portal.messaging.models import Direction, Message, MessageTemplate
from portal.notify.models import PatientNotice
from portal.notify.services import queue_email, queue_notice, queue_to_person
from portal.patients.models import Patient

SUBJECT_MAX, BODY_MAX = 160, 4000
THREAD_LIMIT = 200
NOTICE_CATEGORY = "message"


def _check_body(body: str, upload: Upload | None) -> str:
    body = (body or "").strip()
    if not body and upload is None:
        raise Invalid(_("Écrivez votre message ou joignez un fichier."), "body")
    if len(body) > BODY_MAX:
        raise Invalid(_("Votre message est trop long (%(max)d caractères au plus).", max=BODY_MAX), "body")
    return body


def _attach(row, practice_id: int, upload: Upload | None) -> None:
    if upload is None:
        return
    row.attachment_key = attachments.store(practice_id, upload)
    row.attachment_name, row.attachment_type, row.attachment_size = upload.name, upload.mime, len(upload.data)


def send_contact_message(*, practice, account, patient, subject: str, body: str, actor: Actor) -> Message:
    """Mon cabinet's contact form (seed 001 "Contact"): a message with a subject, for the file
    of `patient` (one the account may see: the caller checks). It lands in the same inbox as the
    Messagerie, and stays available when the Messagerie is switched off. Raises `Invalid` when
    the subject or the text is empty or too long. When the practice has an e-mail address, a
    notice goes there through the outbox (once per message); it names the sender and the
    subject but not the text (e-mail is not where health details should travel)."""
    subject, body = (subject or "").strip(), (body or "").strip()
    if not subject:
        raise Invalid(_("Indiquez l'objet de votre message."), "subject")
    if not body:
        raise Invalid(_("Écrivez votre message."), "body")
    if len(subject) > SUBJECT_MAX or len(body) > BODY_MAX:
        raise Invalid(_("Votre message est trop long (%(max)d caractères au plus).", max=BODY_MAX), "body")
    message = Message(practice_id=practice.id, account_id=account.id, sender_phone=account.phone,
                      patient_id=patient.id, direction=Direction.incoming, subject=subject, body=body)
    db.session.add(message)
    db.session.flush()
    audit.record("patient.message_sent", actor=actor, practice_id=practice.id, target=message)
    if practice.email:
        link = f"{current_app.config['BASE_URL'].rstrip('/')}/console/messagerie/patients/{patient.id}"
        queue_email(practice_id=practice.id, to=practice.email, key=f"practice-message:{message.id}",
                    category="practice_message",
                    subject=_("Nouveau message de %(name)s", name=patient.full_name),
                    body=_("%(name)s (%(phone)s) a envoyé un message depuis l'espace patient.\n\nObjet : "
                           "%(subject)s\n\nLisez-le dans la console : %(link)s",
                           name=patient.full_name, phone=display_phone(account.phone), subject=subject, link=link))
    return message


def send_from_patient(*, practice, account, patient, body: str, upload: Upload | None, actor: Actor) -> Message:
    """A message from the patient space's Messagerie, for the file of `patient` (the caller
    checks the account may see it), with an optional checked file. Raises `Invalid` when there
    is neither text nor file, or the text is too long. Audited."""
    body = _check_body(body, upload)
    message = Message(practice_id=practice.id, account_id=account.id, sender_phone=account.phone,
                      patient_id=patient.id, direction=Direction.incoming, body=body)
    _attach(message, practice.id, upload)
    db.session.add(message)
    db.session.flush()
    audit.record("patient.message_sent", actor=actor, practice_id=practice.id, target=message,
                 details={"attachment": message.attachment_type} if upload else None)
    return message


def _template_upload(template: MessageTemplate | None) -> Upload | None:
    if template is None or not template.has_attachment:
        return None
    try:
        data = attachments.read(template.attachment_key)
    except OSError:
        raise Invalid(_("Le fichier du message prédéfini est introuvable : joignez-le à nouveau."),
                      "attachment") from None
    return Upload(data=data, name=template.attachment_name, mime=template.attachment_type)


def reply(*, practice, patient: Patient, author, body: str, upload: Upload | None, actor: Actor,
          template: MessageTemplate | None = None) -> Message:
    """The practice's message to a patient's file, written by `author` (a staff user), with an
    optional file, or the file of the predefined message `template` when none is chosen.
    Raises `Invalid` when empty or too long. Replying reads what the patient sent. The person
    is told (a notice in their space, an SMS or else an e-mail that says only that a message
    awaits, never its text) once per unread streak: a second reply while the first is still
    unread tells no one again. Audited as access to the patient's file."""
    upload = upload or _template_upload(template)
    body = _check_body(body, upload)
    streak_start = db.session.scalar(select(func.min(Message.id)).where(
        Message.practice_id == practice.id, Message.patient_id == patient.id,
        Message.direction == Direction.outgoing, Message.read_at.is_(None)))
    message = Message(practice_id=practice.id, patient_id=patient.id, direction=Direction.outgoing,
                      author_id=author.id, body=body)
    _attach(message, practice.id, upload)
    db.session.add(message)
    db.session.flush()
    _read_incoming(practice.id, patient.id, by=author)
    audit.record("messaging.replied", actor=actor, practice_id=practice.id, target=patient,
                 details={"message_id": message.id, "attachment": bool(upload),
                          "template_id": template.id if template else None})
    if streak_start is None:
        _tell_patient(practice, patient, key=f"messaging-streak:{message.id}")
    return message


def _tell_patient(practice, patient: Patient, *, key: str) -> None:
    from portal.patients.services import patient_contact

    queue_notice(practice_id=practice.id, patient_id=patient.id, key=f"{key}:notice", category=NOTICE_CATEGORY,
                 text=_("Nouveau message du cabinet : ouvrez la Messagerie pour le lire."))
    mobile, email = patient_contact(patient)
    link = f"{current_app.config['BASE_URL'].rstrip('/')}/messagerie"
    # Only that a message awaits: its text may be health data and an SMS is not the place.
    queue_to_person(practice_id=practice.id, mobile=mobile, email=email, key=key, category="messaging_reply",
                    subject=_("Nouveau message du cabinet"),
                    body=_("%(practice)s : un nouveau message du cabinet vous attend dans votre espace patient. "
                           "%(link)s", practice=practice.name, link=link))


def _read_incoming(practice_id: int, patient_id: int, *, by) -> int:
    return db.session.execute(update(Message).where(
        Message.practice_id == practice_id, Message.patient_id == patient_id,
        Message.direction == Direction.incoming, Message.read_at.is_(None))
        .values(read_at=utcnow(), read_by_id=by.id)).rowcount


def thread(*, practice_id: int, patient_id: int) -> list[Message]:
    """The conversation of one patient's file, oldest to newest (the latest 200)."""
    rows = list(db.session.scalars(select(Message).where(
        Message.practice_id == practice_id, Message.patient_id == patient_id)
        .order_by(Message.created_at.desc(), Message.id.desc()).limit(THREAD_LIMIT)))
    return rows[::-1]


def open_thread(*, practice_id: int, patient_id: int, by, actor: Actor) -> list[Message]:
    """The conversation as staff open it: what the patient sent becomes read (audited once per
    opening that read something)."""
    if _read_incoming(practice_id, patient_id, by=by):
        audit.record("patient.message_read", actor=actor, practice_id=practice_id,
                     target=db.session.get(Patient, patient_id))
    return thread(practice_id=practice_id, patient_id=patient_id)


def mark_unread(*, practice_id: int, patient_id: int, actor: Actor) -> bool:
    """"Marquer non lu": the patient's latest message is unread again. False when the patient
    never wrote."""
    last = db.session.scalar(select(Message).where(
        Message.practice_id == practice_id, Message.patient_id == patient_id,
        Message.direction == Direction.incoming).order_by(Message.created_at.desc(), Message.id.desc()).limit(1))
    if last is None:
        return False
    last.read_at, last.read_by_id = None, None
    audit.record("messaging.marked_unread", actor=actor, practice_id=practice_id, target=last)
    return True


def read_by_patient(*, practice_id: int, patient_id: int) -> None:
    """The patient space shows the conversation: the practice's messages are read, the unread
    streak ends (the next reply tells the person again), and the "new message" notices go."""
    now = utcnow()
    db.session.execute(update(Message).where(
        Message.practice_id == practice_id, Message.patient_id == patient_id,
        Message.direction == Direction.outgoing, Message.read_at.is_(None)).values(read_at=now))
    db.session.execute(update(PatientNotice).where(
        PatientNotice.practice_id == practice_id, PatientNotice.patient_id == patient_id,
        PatientNotice.category == NOTICE_CATEGORY, PatientNotice.read_at.is_(None)).values(read_at=now))


def unread_for_patient(*, practice_id: int, patient_id: int) -> int:
    """How many of the practice's messages this file has not seen yet (the space's badge)."""
    return db.session.scalar(select(func.count(Message.id)).where(
        Message.practice_id == practice_id, Message.patient_id == patient_id,
        Message.direction == Direction.outgoing, Message.read_at.is_(None)))


def unread_count(practice_id: int) -> int:
    """How many messages from patients no one has read yet (the console's badge)."""
    return db.session.scalar(select(func.count(Message.id)).where(
        Message.practice_id == practice_id, Message.direction == Direction.incoming, Message.read_at.is_(None)))


@dataclass(frozen=True)
class Conversation:
    patient: Patient
    last_at: datetime
    unread: int
    last: Message


def conversations(practice_id: int, *, limit: int = 200) -> list[Conversation]:
    """The inbox: one line per patient file that has messages, unread ones first, then the most
    recent."""
    unread = func.sum(case(((Message.direction == Direction.incoming) & Message.read_at.is_(None), 1), else_=0))
    rows = db.session.execute(
        select(Message.patient_id, func.max(Message.created_at).label("last_at"), unread.label("unread"),
               func.max(Message.id).label("last_id"))
        .where(Message.practice_id == practice_id).group_by(Message.patient_id)
        .order_by((unread > 0).desc(), func.max(Message.created_at).desc()).limit(limit)).all()
    if not rows:
        return []
    patients = {p.id: p for p in db.session.scalars(select(Patient).where(
        Patient.practice_id == practice_id, Patient.id.in_([r.patient_id for r in rows])))}
    lasts = {m.id: m for m in db.session.scalars(select(Message).where(Message.id.in_([r.last_id for r in rows])))}
    return [Conversation(patients[r.patient_id], r.last_at, int(r.unread or 0), lasts[r.last_id]) for r in rows]


def message_for_patient(*, practice_id: int, patient_ids: list[int], message_id: int) -> Message:
    """A message of one of these files (those the account sees), or `NotFound`."""
    message = db.session.scalar(select(Message).where(
        Message.id == message_id, Message.practice_id == practice_id, Message.patient_id.in_(patient_ids)))
    if message is None:
        raise NotFound()
    return message


def message_for_staff(*, practice_id: int, message_id: int) -> Message:
    """A message of the practice, or `NotFound` (another practice's id)."""
    message = db.session.scalar(select(Message).where(Message.id == message_id, Message.practice_id == practice_id))
    if message is None:
        raise NotFound()
    return message


def attachment_for_staff(*, practice_id: int, message_id: int, actor: Actor) -> Message:
    """A message whose file staff download, or `NotFound`. A patient's file is patient data:
    the download is audited."""
    message = message_for_staff(practice_id=practice_id, message_id=message_id)
    if not message.has_attachment:
        raise NotFound()
    if message.incoming:
        audit.record("messaging.attachment_downloaded", actor=actor, practice_id=practice_id, target=message,
                     details={"patient_id": message.patient_id})
    return message
