"""The waiting list (seed 003 § 3): patients waiting for a time to free up, and the offers sent
to them when one does. The first to accept gets it; the others are told it was taken."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.agenda.availability import template_slots, unavailable_intervals
from portal.agenda.models import (Appointment, AppointmentStatus, AppointmentType, OfferStatus, WaitingEntry,
                                  WaitingOffer, WaitingStatus)
from portal.agenda.services import book_appointment, get_practitioner, get_type, when_text
from portal.patients.services import patient_contact
from portal.core import audit
from portal.core.audit import Actor
from portal.core.db import utcnow
from portal.core.errors import Conflict, Invalid, NotFound
from portal.core.models import Practice
from portal.core.tokens import new_token, token_hash
from portal.extensions import db
from portal.notify.models import SECRET_MARK
from portal.patients.models import Patient

OFFER_LIFETIME = timedelta(hours=24)


def add_to_waiting_list(*, practice, practitioner_id: int, appointment_type_id: int, patient: Patient,
                        actor: Actor, wishes: str = "") -> WaitingEntry:
    """Put a patient on a practitioner's waiting list for one type of visit. `NotFound` for ids
    of another practice; `Invalid` when they already wait for that type."""
    practitioner = get_practitioner(practice_id=practice.id, practitioner_id=practitioner_id)
    kind = get_type(practice_id=practice.id, practitioner_id=practitioner.id, type_id=appointment_type_id)
    if db.session.scalar(select(WaitingEntry.id).where(
            WaitingEntry.practice_id == practice.id, WaitingEntry.patient_id == patient.id,
            WaitingEntry.practitioner_id == practitioner.id, WaitingEntry.appointment_type_id == kind.id,
            WaitingEntry.status == WaitingStatus.waiting)):
        raise Invalid(_("%(name)s attend déjà ce type de rendez-vous.", name=patient.full_name), "patient_number")
    entry = WaitingEntry(practice_id=practice.id, patient_id=patient.id, practitioner_id=practitioner.id,
                         appointment_type_id=kind.id, wishes=wishes.strip()[:300])
    db.session.add(entry)
    db.session.flush()
    audit.record("agenda.waiting_added", actor=actor, practice_id=practice.id, target=entry,
                 details={"patient_id": patient.id, "appointment_type_id": kind.id})
    return entry


def waiting_entries(*, practice_id: int, practitioner_id: int) -> list[WaitingEntry]:
    """A practitioner's waiting patients, first come first."""
    return list(db.session.scalars(select(WaitingEntry).where(
        WaitingEntry.practice_id == practice_id, WaitingEntry.practitioner_id == practitioner_id,
        WaitingEntry.status == WaitingStatus.waiting).order_by(WaitingEntry.created_at, WaitingEntry.id)
        .options(selectinload(WaitingEntry.patient), selectinload(WaitingEntry.appointment_type))))


def get_entry(*, practice_id: int, entry_id: int) -> WaitingEntry:
    """A waiting entry of the practice, or `NotFound`."""
    found = db.session.scalar(select(WaitingEntry).where(WaitingEntry.id == entry_id,
                                                         WaitingEntry.practice_id == practice_id))
    if found is None:
        raise NotFound()
    return found


def remove_entry(entry: WaitingEntry, *, actor: Actor) -> None:
    """Take a patient off the waiting list; their open offers lapse."""
    if entry.status is not WaitingStatus.waiting:
        raise Conflict(_("Ce patient n'est plus sur la liste d'attente."))
    entry.status = WaitingStatus.removed
    for offer in db.session.scalars(select(WaitingOffer).where(WaitingOffer.entry_id == entry.id,
                                                               WaitingOffer.status == OfferStatus.offered)):
        offer.status = OfferStatus.expired
    audit.record("agenda.waiting_removed", actor=actor, practice_id=entry.practice_id, target=entry)


def _time_is_free(appointment: Appointment) -> bool:
    clash = db.session.scalar(select(Appointment.id).where(
        Appointment.practitioner_id == appointment.practitioner_id, Appointment.id != appointment.id,
        Appointment.status.in_([AppointmentStatus.booked, AppointmentStatus.no_show, AppointmentStatus.held]),
        Appointment.starts_at < appointment.ends_at, Appointment.ends_at > appointment.starts_at).limit(1))
    return clash is None


def make_offers(appointment_id: int) -> list[WaitingOffer]:
    """Offer a cancelled visit's time to the waiting patients who fit: same practitioner, a
    type no longer than the freed time and not blocked there. Each gets one offer, by SMS (or
    e-mail without a mobile) with a link, valid 24 hours or until the time starts, whichever
    comes first. Does nothing if the time was taken again, is past or blocked. Idempotent:
    an entry already offered this time is skipped, and every message has its own key."""
    from portal.notify.services import queue_to_person

    appointment = db.session.get(Appointment, appointment_id)
    now = utcnow()
    if appointment is None or appointment.status is not AppointmentStatus.cancelled or appointment.starts_at <= now:
        return []
    if not _time_is_free(appointment):
        return []
    blocks = unavailable_intervals(practitioner_id=appointment.practitioner_id, since=appointment.starts_at,
                                   until=appointment.ends_at)
    if any(b.appointment_type_id is None for b in blocks):
        return []
    blocked_types = {b.appointment_type_id for b in blocks}
    practice = db.session.get(Practice, appointment.practice_id)
    freed = appointment.ends_at - appointment.starts_at
    already = set(db.session.scalars(select(WaitingOffer.entry_id).where(
        WaitingOffer.practitioner_id == appointment.practitioner_id, WaitingOffer.starts_at == appointment.starts_at)))
    entries = db.session.scalars(select(WaitingEntry).join(AppointmentType).where(
        WaitingEntry.practice_id == practice.id, WaitingEntry.practitioner_id == appointment.practitioner_id,
        WaitingEntry.status == WaitingStatus.waiting, AppointmentType.active.is_(True),
        AppointmentType.duration_minutes <= freed.total_seconds() // 60).order_by(WaitingEntry.created_at)
        .options(selectinload(WaitingEntry.patient).selectinload(Patient.responsibles),
                 selectinload(WaitingEntry.appointment_type)))
    local = when_text(practice, appointment.starts_at)
    base = current_app.config["BASE_URL"].rstrip("/")
    made = []
    for entry in entries:
        if entry.id in already or entry.appointment_type_id in blocked_types:
            continue
        mobile, email = patient_contact(entry.patient)
        if not mobile and not email:
            continue
        token = new_token()
        offer = WaitingOffer(practice_id=practice.id, entry_id=entry.id, practitioner_id=appointment.practitioner_id,
                             appointment_type_id=entry.appointment_type_id, starts_at=appointment.starts_at,
                             token_hash=token_hash(token), expires_at=min(now + OFFER_LIFETIME, appointment.starts_at))
        db.session.add(offer)
        db.session.flush()
        text = _("%(practice)s : un rendez-vous (%(kind)s) s'est libéré le %(when)s pour %(name)s. "
                 "Le premier à accepter l'obtient : %(link)s", practice=practice.name, kind=entry.appointment_type.name,
                 when=local, name=entry.patient.first_name, link=f"{base}/rdv/offre/{SECRET_MARK}")
        queue_to_person(practice_id=practice.id, mobile=mobile, email=email, subject=_("Un rendez-vous s'est libéré"),
                        body=text, key=f"offer:{offer.id}", category="waiting_offer", secret=token)
        made.append(offer)
    return made


def offer_for_token(token: str) -> WaitingOffer:
    """The offer a link's token opens, or `NotFound`. Marks it expired when its time ran out."""
    offer = db.session.scalar(select(WaitingOffer).where(WaitingOffer.token_hash == token_hash(token or ""))
                              .options(selectinload(WaitingOffer.entry).selectinload(WaitingEntry.patient)))
    if offer is None:
        raise NotFound()
    if offer.status is OfferStatus.offered and offer.expires_at <= utcnow():
        offer.status = OfferStatus.expired
    return offer


def _check_open(offer: WaitingOffer) -> None:
    if offer.status is OfferStatus.taken:
        raise Conflict(_("Ce créneau a déjà été pris par un autre patient. Vous restez sur la liste d'attente."))
    if offer.status is OfferStatus.expired:
        raise Invalid(_("Cette proposition a expiré."))
    if offer.entry.status is not WaitingStatus.waiting:
        raise Invalid(_("Cette proposition n'est plus valable : vous n'êtes plus sur la liste d'attente."))


def _tell_taken(practice, offer: WaitingOffer) -> None:
    from portal.notify.services import queue_to_person

    mobile, email = patient_contact(offer.entry.patient)
    text = _("%(practice)s : le rendez-vous proposé a déjà été pris. Vous restez sur la liste d'attente.",
             practice=practice.name)
    queue_to_person(practice_id=practice.id, mobile=mobile, email=email, subject=_("Rendez-vous déjà pris"),
                    body=text, key=f"offer_taken:{offer.id}", category="waiting_offer")


def accept_offer(token: str, *, actor: Actor) -> Appointment:
    """The patient accepts an offer: the time is booked for them (`book_appointment`, booked by
    the patient), their entry is booked, and every other open offer of that time is marked
    taken and its patient told so through the outbox. A second click of the same link returns
    the same visit. Raises `NotFound` (unknown token), `Invalid` (expired or no longer
    waiting), `Conflict` ("déjà été pris": someone else was first; this offer becomes taken)."""
    offer = offer_for_token(token)
    if offer.status is OfferStatus.accepted:
        return db.session.get(Appointment, offer.entry.appointment_id)
    _check_open(offer)
    practice = db.session.get(Practice, offer.practice_id)
    entry, patient = offer.entry, offer.entry.patient
    local_day = offer.starts_at.astimezone(ZoneInfo(practice.timezone)).date()
    in_template = any(s.starts_at == offer.starts_at for s in template_slots(
        practice=practice, practitioner_id=offer.practitioner_id, first=local_day, last=local_day,
        appointment_type_id=offer.appointment_type_id))
    blocks = unavailable_intervals(practitioner_id=offer.practitioner_id, since=offer.starts_at,
                                   until=offer.starts_at + timedelta(minutes=1))
    if any(b.appointment_type_id in (None, offer.appointment_type_id) for b in blocks):
        raise Invalid(_("Ce créneau n'est plus disponible."))
    offer_id = offer.id
    try:
        appointment = book_appointment(
            practice=practice, practitioner_id=offer.practitioner_id, appointment_type_id=offer.appointment_type_id,
            patient_id=patient.id, starts_at=offer.starts_at, actor=actor, extra=not in_template,
            booked_by="patient", teleconsult_mobile=patient_contact(patient)[0] or "")
    except Conflict:
        # The session was rolled back; reload what the winner committed.
        offer = db.session.get(WaitingOffer, offer_id)
        if offer.status is OfferStatus.accepted:  # our own first click won
            return db.session.get(Appointment, offer.entry.appointment_id)
        offer.status, offer.answered_at = OfferStatus.taken, utcnow()
        _tell_taken(db.session.get(Practice, offer.practice_id), offer)
        raise Conflict(_("Ce créneau a déjà été pris par un autre patient. Vous restez sur la liste d'attente.")) \
            from None
    except Invalid as exc:
        raise Invalid(_("Ce créneau n'est plus disponible.")) from exc
    now = utcnow()
    offer.status, offer.answered_at = OfferStatus.accepted, now
    entry.status, entry.appointment_id = WaitingStatus.booked, appointment.id
    others = db.session.scalars(select(WaitingOffer).where(
        WaitingOffer.practitioner_id == offer.practitioner_id, WaitingOffer.starts_at == offer.starts_at,
        WaitingOffer.id != offer.id, WaitingOffer.status == OfferStatus.offered)
        .options(selectinload(WaitingOffer.entry).selectinload(WaitingEntry.patient).selectinload(Patient.responsibles)))
    for other in others:
        other.status, other.answered_at = OfferStatus.taken, now
        _tell_taken(practice, other)
    audit.record("agenda.offer_accepted", actor=actor, practice_id=practice.id, target=appointment,
                 details={"offer_id": offer.id, "entry_id": entry.id})
    from portal.booking.confirmations import send_confirmation

    send_confirmation(appointment)  # the e-mail with the .ics, as for any online booking
    return appointment

