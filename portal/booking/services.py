"""Online booking rules (seed 004): the practice's settings, who may book, which slots are
offered, newcomers confirmed by SMS while their slot is held, confirmation e-mails with an
.ics file, and cancelling online before the type's deadline."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select

from portal.agenda import services as agenda
from portal.agenda.availability import Slot, free_slots
from portal.agenda.models import Appointment, AppointmentType
from portal.booking.models import BookingBan, BookingSettings, KnownContact, VisitReason
from portal.core.audit import Actor
from portal.core.db import insert_or_ignore, utcnow
from portal.core.errors import Invalid, NotFound, PermissionDenied
from portal.core.models import Practice, Practitioner
from portal.core.phones import is_mobile, normalize_phone
from portal.extensions import db
from portal.patients.models import Patient
from portal.patients.services import patient_contacts

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def settings_for(practice_id: int) -> BookingSettings:
    """The practice's booking settings, created with their defaults on first use."""
    found = db.session.scalar(select(BookingSettings).where(BookingSettings.practice_id == practice_id))
    if found is None:
        db.session.execute(insert_or_ignore(BookingSettings, {"practice_id": practice_id, "created_at": utcnow()},
                                            [BookingSettings.practice_id]))
        found = db.session.scalar(select(BookingSettings).where(BookingSettings.practice_id == practice_id))
    return found


def practice_by_slug(slug: str) -> Practice:
    """An active practice whose online booking is switched on, or `NotFound`."""
    practice = db.session.scalar(select(Practice).where(Practice.slug == slug, Practice.active.is_(True)))
    if practice is None or not practice.module_on("booking"):
        raise NotFound()
    return practice


def map_link(practice: Practice, settings: BookingSettings, user_agent: str = "") -> str:
    """The practice's map: the address set by staff, else a search of its address. Given the
    phone's user agent, the link opens the phone's own maps app (Apple Maps on iOS, the chosen
    app through a `geo:` URI on Android); elsewhere an OpenStreetMap search."""
    if settings.map_url:
        return settings.map_url
    address = " ".join(p for p in (practice.address, practice.postal_code, practice.city) if p)
    if not address:
        return ""
    if IOS_RE.search(user_agent):
        return f"https://maps.apple.com/?q={quote_plus(address)}"
    if "Android" in user_agent:
        return f"geo:0,0?q={quote_plus(address)}"
    return f"https://www.openstreetmap.org/search?query={quote_plus(address)}"


IOS_RE = re.compile(r"iPhone|iPad|iPod")


# -- who may book ---------------------------------------------------------------------------

def normalize_contact(raw: str, *, field_name: str = "value") -> str:
    """An e-mail address (lower-cased) or a mobile number (E.164), as the whitelist and bans
    store them. Raises `Invalid` for anything else (a landline is refused: codes go by SMS)."""
    value = (raw or "").strip()
    if not value:
        raise Invalid(_("Saisissez une adresse e-mail ou un numéro de portable."), field_name)
    if "@" in value:
        if not EMAIL_RE.match(value) or len(value) > 200:
            raise Invalid(_("« %(value)s » n'est pas une adresse e-mail valide.", value=value), field_name)
        return value.lower()
    phone = normalize_phone(value)
    if phone is None or not is_mobile(phone):
        raise Invalid(_("« %(value)s » n'est ni une adresse e-mail ni un numéro de portable.", value=value),
                      field_name)
    return phone


def check_contacts(practice_id: int, contacts: list[str], patient_id: int | None = None) -> None:
    """Refuse (`PermissionDenied`) a person whose contacts are banned, or, in "known patients
    only" mode, none of whose contacts is on the practice's list."""
    values = sorted({c.lower() for c in contacts if c})
    banned = db.session.scalar(select(BookingBan.id).where(
        BookingBan.practice_id == practice_id,
        BookingBan.value.in_(values) | ((BookingBan.patient_id == patient_id) if patient_id else False)))
    if banned:
        raise PermissionDenied(_("La prise de rendez-vous en ligne n'est pas possible pour vous. "
                                 "Appelez le secrétariat du cabinet."))
    if settings_for(practice_id).mode == "known" and not db.session.scalar(select(KnownContact.id).where(
            KnownContact.practice_id == practice_id, KnownContact.value.in_(values))):
        raise PermissionDenied(_("Ce cabinet réserve la prise de rendez-vous en ligne aux patients dont il "
                                 "connaît l'adresse e-mail ou le portable. Appelez le secrétariat."))


# -- what is offered ------------------------------------------------------------------------

def online_types(*, practice_id: int, practitioner_id: int, newcomer: bool) -> list[AppointmentType]:
    """A practitioner's types that patients may book online (newcomers: only those open to them)."""
    return [t for t in agenda.appointment_types(practice_id=practice_id, practitioner_id=practitioner_id)
            if t.online and (t.new_patients or not newcomer)]


def bookable_practitioners(practice: Practice) -> list[tuple[Practitioner, list[AppointmentType]]]:
    """The practitioners shown on the booking page, each with their online types. Two queries."""
    team = agenda.practitioners(practice.id)
    kinds = db.session.scalars(select(AppointmentType).where(
        AppointmentType.practice_id == practice.id, AppointmentType.active.is_(True),
        AppointmentType.online.is_(True)).order_by(AppointmentType.position, AppointmentType.name)).all()
    return [(p, [k for k in kinds if k.practitioner_id == p.id]) for p in team
            if p.shown_to_patients and any(k.practitioner_id == p.id for k in kinds)]


def with_photo(practice_id: int) -> set[int]:
    """Ids of the practice's practitioners who have a photo (without loading the photos)."""
    return set(db.session.scalars(select(Practitioner.id).where(Practitioner.practice_id == practice_id,
                                                                Practitioner.photo.is_not(None))))


def public_photo(practice: Practice, practitioner_id: int) -> bytes:
    """The photo of a practitioner shown on the booking page, or `NotFound`."""
    practitioner = agenda.get_practitioner(practice_id=practice.id, practitioner_id=practitioner_id)
    if not (practitioner.active and practitioner.shown_to_patients) or not practitioner.photo:
        raise NotFound()
    return practitioner.photo


def get_online_type(*, practice: Practice, practitioner_id: int, type_id: int,
                    newcomer: bool) -> tuple[Practitioner, AppointmentType]:
    """The practitioner and one of their online types, or `NotFound`."""
    practitioner = agenda.get_practitioner(practice_id=practice.id, practitioner_id=practitioner_id)
    if not (practitioner.active and practitioner.shown_to_patients):
        raise NotFound()
    kind = next((t for t in online_types(practice_id=practice.id, practitioner_id=practitioner.id, newcomer=False)
                 if t.id == type_id), None)
    if kind is None:
        raise NotFound()
    if newcomer and not kind.new_patients:
        raise PermissionDenied(_("Ce type de rendez-vous est réservé aux patients déjà suivis par le cabinet : "
                                 "connectez-vous à votre espace patient pour le réserver."))
    return practitioner, kind


@dataclass(frozen=True)
class Window:
    first: date       # first local day with bookable slots
    last: date        # last one
    earliest: datetime  # no slot before this instant (the type's minimum notice)


def online_window(practice: Practice, practitioner: Practitioner, kind: AppointmentType,
                  now: datetime | None = None) -> Window:
    """The days patients may book: from the minimum notice to the nearest of the type's "how
    far ahead", the practice's rolling window and the date the nightly job opened it to."""
    now = now or utcnow()
    zone = ZoneInfo(practice.timezone)
    today = now.astimezone(zone).date()
    earliest = now + timedelta(hours=kind.min_notice_hours)
    window = settings_for(practice.id).rolling_window_days
    last = today + timedelta(days=min(kind.max_days_ahead, window))
    if practitioner.booking_open_until is not None:
        last = min(last, practitioner.booking_open_until)
    return Window(max(today, earliest.astimezone(zone).date()), last, earliest)


def online_slots(*, practice: Practice, practitioner: Practitioner, kind: AppointmentType, first: date,
                 days: int = 7, now: datetime | None = None) -> tuple[list[Slot], Window]:
    """Free slots of one type patients may book, from `first` over `days` days, within the window."""
    window = online_window(practice, practitioner, kind, now)
    first = min(max(first, window.first), window.last)
    last = min(first + timedelta(days=days - 1), window.last)
    if last < first:
        return [], window
    slots = free_slots(practice=practice, practitioner_id=practitioner.id, first=first, last=last,
                       appointment_type_id=kind.id, now=now)
    return [s for s in slots if s.starts_at >= window.earliest], window


def check_slot(practice, practitioner, kind, starts_at: datetime) -> None:
    """`Invalid` for a start before the type's minimum notice or beyond the open window."""
    window = online_window(practice, practitioner, kind)
    local_day = starts_at.astimezone(ZoneInfo(practice.timezone)).date()
    if starts_at < window.earliest:
        raise Invalid(_("Ce créneau est trop proche : ce rendez-vous se réserve au moins %(h)d h à l'avance.",
                        h=kind.min_notice_hours), "starts_at")
    if local_day > window.last:
        raise Invalid(_("Ce créneau n'est pas encore ouvert à la réservation en ligne."), "starts_at")


def visit_reasons(practice_id: int) -> list[VisitReason]:
    """The reasons patients choose from, in the practice's order."""
    return list(db.session.scalars(select(VisitReason).where(
        VisitReason.practice_id == practice_id, VisitReason.active.is_(True))
        .order_by(VisitReason.position, VisitReason.id)))


def clean_reason(practice_id: int, raw: str) -> str:
    """The visit reason as typed (free mode) or one of the list's (list mode), else `Invalid`."""
    raw = (raw or "").strip()
    if settings_for(practice_id).reason_mode != "list":
        return raw[:200]
    labels = [r.label for r in visit_reasons(practice_id)]
    if not labels:
        return ""  # seed 004: an empty list means patients give no reason
    if raw not in labels:
        raise Invalid(_("Choisissez un motif dans la liste."), "reason")
    return raw


def teleconsult_mobile_for(kind: AppointmentType, raw: str) -> str:
    """The mobile a teleconsultation needs (E.164), '' for other types; `Invalid` if unusable."""
    if not kind.teleconsultation:
        return ""
    phone = normalize_phone(raw)
    if phone is None or not is_mobile(phone):
        raise Invalid(_("Indiquez un numéro de portable pour la téléconsultation."), "teleconsult_mobile")
    return phone


# -- booking --------------------------------------------------------------------------------

def book_for_account(*, practice: Practice, account, patient: Patient, practitioner_id: int, type_id: int,
                     starts_at: datetime, reason: str, teleconsult_mobile: str, actor: Actor) -> Appointment:
    """A signed-in person books for themselves or a family member (`patient`, one of the
    patients linked to their number). `Conflict` when the slot was just taken."""
    practitioner, kind = get_online_type(practice=practice, practitioner_id=practitioner_id, type_id=type_id,
                                         newcomer=False)
    check_contacts(practice.id, [account.phone, *patient_contacts(patient)], patient_id=patient.id)
    check_slot(practice, practitioner, kind, starts_at)
    appointment = agenda.book_appointment(
        practice=practice, practitioner_id=practitioner.id, appointment_type_id=kind.id, patient_id=patient.id,
        starts_at=starts_at, actor=actor, booked_by="patient", reason=clean_reason(practice.id, reason),
        teleconsult_mobile=teleconsult_mobile_for(kind, teleconsult_mobile or account.phone))
    from portal.booking.confirmations import send_confirmation

    send_confirmation(appointment)
    return appointment


# -- the rolling window -----------------------------------------------------------------------

def extend_windows(today: date | None = None, *, practice_id: int | None = None) -> int:
    """The nightly job (seed 004's rolling planning): open online booking up to today + the
    practice's window for every active practitioner. Returns how many moved. Slots are
    computed on demand from the templates, so this writes one date per practitioner, never
    slot rows; running it twice a night changes nothing. `practice_id` limits it to one practice
    (when its window setting changes)."""
    moved = 0
    rows = db.session.execute(select(Practitioner, Practice.timezone, BookingSettings.rolling_window_days)
                              .join(Practice, Practice.id == Practitioner.practice_id)
                              .outerjoin(BookingSettings, BookingSettings.practice_id == Practice.id)
                              .where(Practitioner.active.is_(True), Practice.active.is_(True),
                                     (Practice.id == practice_id) if practice_id else True)).all()
    for practitioner, zone, window in rows:
        local_today = today or utcnow().astimezone(ZoneInfo(zone)).date()
        until = local_today + timedelta(days=window or 90)
        if practitioner.booking_open_until != until:
            practitioner.booking_open_until = until
            moved += 1
    return moved

