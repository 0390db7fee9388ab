"""Mon cabinet (seed 000, seed 001): the practice's card as patients see it, what staff edit of it
("Coordonnées"), messages patients send to the practice ("Contact"), and which appointments a
person already added to their calendar."""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from portal.booking.services import EMAIL_RE, map_link, settings_for
from portal.core import audit
from portal.core.audit import Actor
from portal.core.db import insert_or_ignore, utcnow
from portal.core.errors import Invalid, NotFound
from portal.core.models import INFO_ZONES, Practice
from portal.core.phones import display_phone, normalize_phone
from portal.extensions import db
from portal.notify.services import queue_email
from portal.space.models import CalendarAddition, PracticeMessage

SUBJECT_MAX, BODY_MAX = 160, 4000


@dataclass(frozen=True)
class Phone:
    shown: str  # "03 80 32 01 40"
    dial: str   # "+33380320140", for a tel: link


@dataclass(frozen=True)
class CabinetCard:
    """Everything Mon cabinet shows, already worked out for the template."""

    name: str
    address_lines: list[str]
    map_url: str
    email: str
    phones: list[Phone]
    hours: str
    transport: str
    access: str
    zones: list[str]


def _phone(raw: str) -> Phone | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    e164 = normalize_phone(raw)
    return Phone(shown=display_phone(e164) if e164 else raw, dial=e164 or raw.replace(" ", ""))


def _access_text(settings) -> str:
    parts = [settings.floor.strip()] if settings.floor.strip() else []
    if settings.lift:
        parts.append(_("ascenseur"))
    if settings.disabled_access:
        parts.append(_("accès handicapé"))
    text = " · ".join(parts)
    notes = settings.access_notes.strip()
    return f"{text}\n{notes}".strip() if notes else text


def cabinet_card(practice: Practice, user_agent: str = "", **overrides) -> CabinetCard:
    """The Mon cabinet card of `practice`. `overrides` (the Coordonnées form's values, not yet
    saved) build the console's live preview from the same code as the patient page."""
    values = {name: getattr(practice, name) for name in
              ("address", "postal_code", "city", "phone", "phone_secondary", "email", "opening_hours")}
    values["info_zones"] = list(practice.info_zones or [])
    values.update({k: v for k, v in overrides.items() if v is not None})
    settings = settings_for(practice.id)
    town = " ".join(p for p in (values["postal_code"].strip(), values["city"].strip()) if p)
    lines = [line for line in (values["address"].strip(), town) if line]
    # The map search uses the card's address, so the preview's link follows what is typed.
    shown = SimpleNamespace(address=values["address"], postal_code=values["postal_code"], city=values["city"])
    return CabinetCard(
        name=practice.name, address_lines=lines, map_url=map_link(shown, settings, user_agent) if lines else "",
        email=values["email"].strip(),
        phones=[p for p in (_phone(values["phone"]), _phone(values["phone_secondary"])) if p],
        hours=values["opening_hours"].strip(), transport=settings.transport.strip(), access=_access_text(settings),
        zones=[z.strip() for z in values["info_zones"] if z and z.strip()])


def update_coordinates(practice: Practice, *, address: str, postal_code: str, city: str, phone: str,
                       phone_secondary: str, email: str, opening_hours: str, info_zones: list[str],
                       actor: Actor) -> None:
    """Save what patients see in Mon cabinet (console → Cabinet → Coordonnées). Phones are kept
    in E.164. Raises `Invalid` (with the field) for a phone or e-mail that is not one. Audited,
    with the names of the fields that changed."""
    values = {"address": address.strip(), "postal_code": postal_code.strip(), "city": city.strip(),
              "email": email.strip().lower(), "opening_hours": opening_hours.strip()}
    for field in ("phone", "phone_secondary"):
        raw = (phone if field == "phone" else phone_secondary).strip()
        e164 = normalize_phone(raw) if raw else ""
        if e164 is None:
            raise Invalid(_("« %(value)s » n'est pas un numéro de téléphone valide.", value=raw), field)
        values[field] = e164
    if values["email"] and (not EMAIL_RE.match(values["email"]) or len(values["email"]) > 200):
        raise Invalid(_("« %(value)s » n'est pas une adresse e-mail valide.", value=email.strip()), "email")
    zones = [(z or "").strip() for z in info_zones][:INFO_ZONES]
    values["info_zones"] = zones + [""] * (INFO_ZONES - len(zones))
    changed = sorted(k for k, v in values.items() if getattr(practice, k) != v)
    for key, value in values.items():
        setattr(practice, key, value)
    if changed:
        audit.record("practice.coordinates_changed", actor=actor, practice_id=practice.id, target=practice,
                     details={"fields": changed})


def send_message(*, practice: Practice, account, patient, subject: str, body: str, actor: Actor) -> PracticeMessage:
    """A patient's or parent's message to the practice (seed 001 "Contact"), for the file of
    `patient` (one the account may see: the caller checks). Raises `Invalid` when the subject or
    the text is empty or too long. When the practice has an e-mail address, a notice goes there
    through the outbox (once per message); it names the sender and the subject but not the text,
    which staff read in the console (e-mail is not where health details should travel)."""
    subject, body = (subject or "").strip(), (body or "").strip()
    if not subject:
        raise Invalid(_("Indiquez l'objet de votre message."), "subject")
    if not body:
        raise Invalid(_("Écrivez votre message."), "body")
    if len(subject) > SUBJECT_MAX or len(body) > BODY_MAX:
        raise Invalid(_("Votre message est trop long (%(max)d caractères au plus).", max=BODY_MAX), "body")
    message = PracticeMessage(practice_id=practice.id, account_id=account.id, sender_phone=account.phone,
                              patient_id=patient.id, subject=subject, body=body)
    db.session.add(message)
    db.session.flush()
    audit.record("patient.message_sent", actor=actor, practice_id=practice.id, target=message)
    if practice.email:
        link = f"{current_app.config['BASE_URL'].rstrip('/')}/console/cabinet/messages"
        queue_email(practice_id=practice.id, to=practice.email, key=f"practice-message:{message.id}",
                    category="practice_message",
                    subject=_("Nouveau message de %(name)s", name=patient.full_name),
                    body=_("%(name)s (%(phone)s) a envoyé un message depuis l'espace patient.\n\nObjet : "
                           "%(subject)s\n\nLisez-le dans la console : %(link)s",
                           name=patient.full_name, phone=display_phone(account.phone), subject=subject, link=link))
    return message


def inbox(practice_id: int, *, limit: int = 200) -> list[PracticeMessage]:
    """The practice's messages from patients, newest first."""
    return list(db.session.scalars(select(PracticeMessage).where(PracticeMessage.practice_id == practice_id)
                                   .order_by(PracticeMessage.created_at.desc(), PracticeMessage.id.desc())
                                   .limit(limit)))


def unread_count(practice_id: int) -> int:
    """How many messages from patients no one has marked as read yet."""
    return db.session.scalar(select(func.count(PracticeMessage.id)).where(
        PracticeMessage.practice_id == practice_id, PracticeMessage.read_at.is_(None)))


def mark_read(*, practice_id: int, message_id: int, by, actor: Actor) -> PracticeMessage:
    """Mark one message as read by `by` (a staff user). `NotFound` for another practice's id.
    Marking twice keeps the first reader."""
    message = db.session.scalar(select(PracticeMessage).where(
        PracticeMessage.id == message_id, PracticeMessage.practice_id == practice_id))
    if message is None:
        raise NotFound()
    if message.read_at is None:
        db.session.execute(update(PracticeMessage).where(PracticeMessage.id == message.id,
                                                         PracticeMessage.read_at.is_(None))
                           .values(read_at=utcnow(), read_by_id=by.id))
        db.session.refresh(message)
        audit.record("patient.message_read", actor=actor, practice_id=practice_id, target=message)
    return message


def added_to_calendar(account, appointment_ids: list[int]) -> set[int]:
    """Which of these appointments this person already added to their calendar."""
    if not appointment_ids:
        return set()
    return set(db.session.scalars(select(CalendarAddition.appointment_id).where(
        CalendarAddition.account_id == account.id, CalendarAddition.appointment_id.in_(appointment_ids))))


def remember_calendar_addition(account, appointment) -> bool:
    """Note that this person downloaded the appointment's .ics; True the first time. A double tap
    inserts once (ON CONFLICT DO NOTHING)."""
    new_id = db.session.scalar(insert_or_ignore(CalendarAddition, {
        "practice_id": appointment.practice_id, "account_id": account.id, "appointment_id": appointment.id,
        "added_at": utcnow()}, [CalendarAddition.account_id, CalendarAddition.appointment_id])
        .returning(CalendarAddition.id))
    return new_id is not None
