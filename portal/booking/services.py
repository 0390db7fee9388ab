"""Online booking rules (seed 004): the practice's settings, who may book, which slots are
offered, newcomers confirmed by SMS while their slot is held, confirmation e-mails with an
.ics file, and cancelling online before the type's deadline."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

from email_validator import EmailNotValidError, validate_email
from flask import current_app, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update

from portal.agenda import services as agenda
from portal.agenda.availability import Slot, free_slots
from portal.agenda.ics import appointment_ics
from portal.agenda.models import Appointment, AppointmentStatus, AppointmentType
from portal.booking.models import BookingBan, BookingRequest, BookingSettings, KnownContact, VisitReason
from portal.core import audit
from portal.core.audit import Actor
from portal.core.db import insert_or_ignore, utcnow
from portal.core.errors import Conflict, Invalid, NotFound, PermissionDenied, TooManyAttempts
from portal.core.models import Practice, Practitioner
from portal.core.phones import is_mobile, normalize_phone
from portal.core.text import compact_key
from portal.core.tokens import keyed_hash, same, token_hash
from portal.extensions import db
from portal.notify.models import SECRET_MARK, Channel
from portal.notify.services import count_recent, queue_email, queue_sms
from portal.patients.models import Patient
from portal.patients.services import (create_patient, next_number, patient_contact, patient_contacts,
                                      with_number)

CODE_MAX_FAILURES = 5
SMS_WINDOW = timedelta(minutes=15)
SMS_PER_WINDOW = 3
RESEND_DELAY = timedelta(seconds=60)


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


def map_link(practice: Practice, settings: BookingSettings) -> str:
    """The practice's map: the address set by staff, else an OpenStreetMap search of its address."""
    if settings.map_url:
        return settings.map_url
    address = " ".join(p for p in (practice.address, practice.postal_code, practice.city) if p)
    return f"https://www.openstreetmap.org/search?query={quote_plus(address)}" if address else ""


# -- who may book ---------------------------------------------------------------------------

def normalise_contact(raw: str) -> str | None:
    """An e-mail address in lower case, or a phone number in E.164; None when it is neither."""
    raw = (raw or "").strip()
    if "@" in raw:
        try:
            return validate_email(raw, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            return None
    return normalize_phone(raw)


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
            if any(k.practitioner_id == p.id for k in kinds)]


def get_online_type(*, practice: Practice, practitioner_id: int, type_id: int,
                    newcomer: bool) -> tuple[Practitioner, AppointmentType]:
    """The practitioner and one of their online types, or `NotFound`."""
    practitioner = agenda.get_practitioner(practice_id=practice.id, practitioner_id=practitioner_id)
    if not practitioner.active:
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
    first = max(first, window.first)
    last = min(first + timedelta(days=days - 1), window.last)
    if last < first:
        return [], window
    slots = free_slots(practice=practice, practitioner_id=practitioner.id, first=first, last=last,
                       appointment_type_id=kind.id, now=now)
    return [s for s in slots if s.starts_at >= window.earliest], window


def _check_slot(practice, practitioner, kind, starts_at: datetime) -> None:
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


def _teleconsult_mobile(kind: AppointmentType, raw: str) -> str:
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
    _check_slot(practice, practitioner, kind, starts_at)
    appointment = agenda.book_appointment(
        practice=practice, practitioner_id=practitioner.id, appointment_type_id=kind.id, patient_id=patient.id,
        starts_at=starts_at, actor=actor, booked_by="patient", reason=clean_reason(practice.id, reason),
        teleconsult_mobile=_teleconsult_mobile(kind, teleconsult_mobile or account.phone))
    send_confirmation(appointment)
    return appointment


def _person(last_name: str, first_name: str, birth_date: date | None, mobile: str, email: str):
    if not compact_key(last_name):
        raise Invalid(_("Indiquez le nom."), "last_name")
    if not compact_key(first_name):
        raise Invalid(_("Indiquez le prénom."), "first_name")
    if birth_date is None or birth_date >= date.today() or birth_date.year < 1900:
        raise Invalid(_("Indiquez une date de naissance valide."), "birth_date")
    phone = normalize_phone(mobile)
    if phone is None or not is_mobile(phone):
        raise Invalid(_("Indiquez un numéro de portable valide : le code de confirmation y est envoyé."), "mobile")
    address = normalise_contact(email) if "@" in (email or "") else None
    if address is None:
        raise Invalid(_("Indiquez une adresse e-mail valide : la confirmation y est envoyée."), "email")
    return phone, address


def _new_code(request_id: int) -> tuple[str, str]:
    code = f"{secrets.randbelow(10**6):06d}"
    return code, keyed_hash(code, context=f"booking:{request_id}")


def _serialize_on_phone(phone: str) -> None:
    # Parallel requests for one number count its SMS budget one after the other (see
    # accounts.patient_signin._serialize_on); SQLite has a single writer already.
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import text

        db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"sms:{phone}"})


def _guard_sms_budget(phone: str) -> None:
    _serialize_on_phone(phone)
    sent = count_recent(channel=Channel.sms, recipient=phone, category="booking_code", since=utcnow() - SMS_WINDOW)
    if sent >= SMS_PER_WINDOW:
        raise TooManyAttempts(_("Trop de codes envoyés à ce numéro. Réessayez dans 15 minutes."))


def _send_code(practice: Practice, request: BookingRequest, code: str) -> None:
    body = _("%(practice)s : votre code de confirmation de rendez-vous est %(code)s. Ne le communiquez à personne.",
             practice=practice.name, code=SECRET_MARK)
    queue_sms(practice_id=practice.id, to=request.mobile, body=body, category="booking_code",
              key=f"booking_code:{request.id}:{request.send_count}", secret=code)


def start_newcomer_booking(*, practice: Practice, practitioner_id: int, type_id: int, starts_at: datetime,
                           last_name: str, first_name: str, birth_date: date | None, mobile: str, email: str,
                           reason: str, teleconsult_mobile: str, actor: Actor) -> tuple[BookingRequest, str]:
    """A newcomer asks for a slot: it is held for them (others see it taken) for the practice's
    `hold_minutes`, and a code goes to their mobile. Returns the request and the browser's token."""
    practitioner, kind = get_online_type(practice=practice, practitioner_id=practitioner_id, type_id=type_id,
                                         newcomer=True)
    phone, address = _person(last_name, first_name, birth_date, mobile, email)
    reason = clean_reason(practice.id, reason)
    tele = _teleconsult_mobile(kind, teleconsult_mobile or phone)
    check_contacts(practice.id, [phone, address])
    _check_slot(practice, practitioner, kind, starts_at)
    _guard_sms_budget(phone)
    now = utcnow()
    hold_until = now + timedelta(minutes=settings_for(practice.id).hold_minutes)
    appointment = agenda.book_appointment(
        practice=practice, practitioner_id=practitioner.id, appointment_type_id=kind.id, patient_id=None,
        starts_at=starts_at, actor=actor, booked_by="patient", reason=reason, teleconsult_mobile=tele,
        hold_until=hold_until)
    token = secrets.token_urlsafe(32)
    request = BookingRequest(practice_id=practice.id, token_hash=token_hash(token), appointment_id=appointment.id,
                             last_name=last_name.strip()[:80], first_name=first_name.strip()[:80],
                             birth_date=birth_date, mobile=phone, email=address, code_hash="",
                             expires_at=hold_until, last_sent_at=now)
    db.session.add(request)
    db.session.flush()
    code, request.code_hash = _new_code(request.id)
    _send_code(practice, request, code)
    audit.record("booking.code_sent", actor=actor, practice_id=practice.id, target=request)
    return request, token


def request_by_token(practice: Practice, token: str | None) -> BookingRequest:
    """The newcomer's pending request held by this browser, or `NotFound`."""
    found = db.session.scalar(select(BookingRequest).where(
        BookingRequest.practice_id == practice.id, BookingRequest.token_hash == token_hash(token or "")))
    if found is None:
        raise NotFound()
    return found


def _usable(request: BookingRequest) -> None:
    if request.confirmed_at or request.failed_attempts >= CODE_MAX_FAILURES:
        raise Invalid(_("Cette demande n'est plus valable. Choisissez de nouveau un créneau."), "code")


def resend_newcomer_code(practice: Practice, request: BookingRequest, *, actor: Actor) -> None:
    """'Renvoyer': a fresh code; the failure counter and the hold's end are kept."""
    _usable(request)
    wait = request.last_sent_at + RESEND_DELAY - utcnow()
    if wait.total_seconds() > 0:
        raise TooManyAttempts(_("Patientez %(s)d secondes avant de demander un nouveau code.",
                                s=int(wait.total_seconds()) + 1))
    _guard_sms_budget(request.mobile)
    request.send_count += 1
    request.last_sent_at = utcnow()
    code, request.code_hash = _new_code(request.id)
    _send_code(practice, request, code)
    audit.record("booking.code_resent", actor=actor, practice_id=practice.id, target=request)


def _newcomer_patient(practice: Practice, request: BookingRequest, actor: Actor) -> Patient:
    """The file this person already has (same names and birth date, on the mobile they just
    proved is theirs), else a new one."""
    family = db.session.scalars(with_number(select(Patient), request.mobile).where(
        Patient.practice_id == practice.id, Patient.birth_date == request.birth_date)).all()
    last, first = compact_key(request.last_name), compact_key(request.first_name)
    same_person = [p for p in family if compact_key(p.last_name) == last and compact_key(p.first_name) == first]
    if len(same_person) == 1:
        return same_person[0]
    return create_patient(practice_id=practice.id, number=next_number(practice.id), last_name=request.last_name,
                          first_name=request.first_name, birth_date=request.birth_date, mobile=request.mobile,
                          email=request.email, actor=actor)


def confirm_newcomer(practice: Practice, request: BookingRequest, code: str, *, actor: Actor) -> Appointment:
    """Check the SMS code and turn the held slot into the newcomer's appointment.

    Each try spends one attempt in a single UPDATE (parallel guesses cannot share one). The
    hold becomes a booking only if it is still held: a hold that ran out and was released to
    someone else gives `Conflict`.
    """
    _usable(request)
    spent = db.session.execute(update(BookingRequest).where(
        BookingRequest.id == request.id, BookingRequest.confirmed_at.is_(None),
        BookingRequest.failed_attempts < CODE_MAX_FAILURES).values(
        failed_attempts=BookingRequest.failed_attempts + 1)).rowcount
    db.session.refresh(request)
    if spent != 1:
        raise Invalid(_("Cette demande n'est plus valable. Choisissez de nouveau un créneau."), "code")
    typed = "".join(ch for ch in code or "" if ch.isdigit())
    if len(typed) != 6 or not same(keyed_hash(typed, context=f"booking:{request.id}"), request.code_hash):
        left = CODE_MAX_FAILURES - request.failed_attempts
        audit.record("booking.code_failed", actor=actor, practice_id=practice.id, target=request)
        if left <= 0:
            raise Invalid(_("Code incorrect. Trop d'essais : choisissez de nouveau un créneau."), "code")
        raise Invalid(_("Code incorrect. Il vous reste %(n)d essai(s).", n=left), "code")
    held = db.session.scalar(select(Appointment.status).where(Appointment.id == request.appointment_id))
    if held is not AppointmentStatus.held:
        raise Conflict(_("Le délai de confirmation est dépassé et le créneau a été libéré. "
                         "Choisissez un autre créneau."))
    patient = _newcomer_patient(practice, request, actor)
    # Only if still held: a booking that released the expired hold a moment ago wins.
    taken = db.session.execute(update(Appointment).where(
        Appointment.id == request.appointment_id, Appointment.status == AppointmentStatus.held).values(
        status=AppointmentStatus.booked, hold_expires_at=None, patient_id=patient.id)).rowcount
    if taken != 1:
        raise Conflict(_("Le délai de confirmation est dépassé et le créneau a été libéré. "
                         "Choisissez un autre créneau."))
    appointment = db.session.get(Appointment, request.appointment_id, populate_existing=True)
    request.confirmed_at = utcnow()
    request.failed_attempts -= 1
    db.session.flush()
    audit.record("agenda.booked", actor=actor, practice_id=practice.id, target=appointment,
                 details={"patient_id": patient.id, "starts_at": appointment.starts_at.isoformat(), "online": True})
    send_confirmation(appointment)
    return appointment


# -- messages ---------------------------------------------------------------------------------

def _when(practice: Practice, at: datetime) -> str:
    return at.astimezone(ZoneInfo(practice.timezone)).strftime("%d/%m/%Y %H:%M")


def cancel_token(appointment: Appointment) -> str:
    """The secret part of the cancellation link sent with the confirmation (signed, not stored)."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="cancel-appointment").dumps(appointment.id)


def appointment_for_cancel_token(practice: Practice, token: str) -> Appointment:
    """The appointment a cancellation link names, or `NotFound` for a forged or foreign one."""
    try:
        appointment_id = URLSafeSerializer(current_app.config["SECRET_KEY"], salt="cancel-appointment").loads(token)
    except BadSignature:
        raise NotFound() from None
    if not isinstance(appointment_id, int):
        raise NotFound()
    return agenda.get_appointment(practice_id=practice.id, appointment_id=appointment_id)


def send_confirmation(appointment: Appointment) -> None:
    """The confirmation e-mail with the .ics file, and its cancellation link where the type
    allows cancelling online. Sent once per appointment and start time (a moved visit is
    confirmed again)."""
    practice = db.session.get(Practice, appointment.practice_id)
    mobile, email = patient_contact(appointment.patient)
    kind = appointment.appointment_type
    room = agenda.room_url(appointment)
    lines = [_("Bonjour,"), "",
             _("Votre rendez-vous « %(type)s » au cabinet %(practice)s est confirmé pour le %(when)s.",
               type=kind.name, practice=practice.name, when=_when(practice, appointment.starts_at))]
    if kind.booking_message:
        lines += ["", kind.booking_message]
    if appointment.patient_message:
        lines += ["", appointment.patient_message]
    if room:
        lines += ["", _("Téléconsultation : ouvrez ce lien à l'heure du rendez-vous : %(url)s", url=room)]
    if kind.patient_can_cancel:
        link = url_for("booking.cancel_by_link", slug=practice.slug, token=cancel_token(appointment), _external=True)
        lines += ["", _("Pour annuler (au plus tard %(h)d h avant) : %(url)s", h=kind.cancel_deadline_hours, url=link)]
    lines += ["", practice.name, practice.phone]
    stamp = appointment.starts_at.strftime("%Y%m%dT%H%M")
    if email:
        queue_email(practice_id=practice.id, to=email, subject=_("Rendez-vous confirmé"), body="\n".join(lines),
                    key=f"booking_confirm:{appointment.id}:{stamp}", category="booking_confirm",
                    attachment=("rendez-vous.ics", "text/calendar; method=PUBLISH",
                                appointment_ics(appointment, practice, room_url=room)))
    elif mobile:
        queue_sms(practice_id=practice.id, to=mobile, key=f"booking_confirm:{appointment.id}:{stamp}:sms",
                  category="booking_confirm",
                  body=_("%(practice)s : rendez-vous confirmé le %(when)s.", practice=practice.name,
                         when=_when(practice, appointment.starts_at)))


# -- cancelling online ------------------------------------------------------------------------

def cancel_deadline(appointment: Appointment) -> datetime:
    """The last instant a patient may cancel this visit online."""
    return appointment.starts_at - timedelta(hours=appointment.appointment_type.cancel_deadline_hours)


def can_cancel_online(appointment: Appointment, now: datetime | None = None) -> bool:
    """Whether the type lets patients cancel and its deadline has not passed."""
    return (appointment.status is AppointmentStatus.booked and appointment.appointment_type.patient_can_cancel
            and (now or utcnow()) < cancel_deadline(appointment))


def cancel_online(appointment: Appointment, *, reason: str, actor: Actor) -> None:
    """A patient cancels, with a reason, before the deadline; they get an e-mail (with the .ics
    that removes it from their calendar) and the time is free at once."""
    if appointment.status is not AppointmentStatus.booked:
        raise Conflict(_("Ce rendez-vous n'est plus prévu."))
    kind = appointment.appointment_type
    if not kind.patient_can_cancel:
        raise PermissionDenied(_("Ce rendez-vous ne peut pas être annulé en ligne : appelez le cabinet."))
    if utcnow() >= cancel_deadline(appointment):
        raise Invalid(_("Il est trop tard pour annuler en ligne (au plus tard %(h)d h avant) : appelez le cabinet.",
                        h=kind.cancel_deadline_hours), "reason")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_("Indiquez le motif de l'annulation."), "reason")
    agenda.cancel_appointment(appointment, actor=actor, reason=reason)
    appointment.cancel_reason, appointment.cancelled_by = reason[:200], "patient"
    practice = db.session.get(Practice, appointment.practice_id)
    _mobile, email = patient_contact(appointment.patient)
    if email:
        queue_email(practice_id=practice.id, to=email, subject=_("Rendez-vous annulé"),
                    body=_("Votre rendez-vous du %(when)s au cabinet %(practice)s est annulé, comme demandé.",
                           when=_when(practice, appointment.starts_at), practice=practice.name),
                    key=f"booking_cancelled:{appointment.id}", category="cancellation",
                    attachment=("rendez-vous.ics", "text/calendar; method=CANCEL",
                                appointment_ics(appointment, practice, cancelled=True)))


# -- the rolling window -----------------------------------------------------------------------

def extend_windows(today: date | None = None) -> int:
    """The nightly job (seed 004's rolling planning): open online booking up to today + the
    practice's window for every active practitioner. Returns how many moved. Slots are
    computed on demand from the templates, so this writes one date per practitioner, never
    slot rows; running it twice a night changes nothing."""
    moved = 0
    rows = db.session.execute(select(Practitioner, Practice.timezone, BookingSettings.rolling_window_days)
                              .join(Practice, Practice.id == Practitioner.practice_id)
                              .outerjoin(BookingSettings, BookingSettings.practice_id == Practice.id)
                              .where(Practitioner.active.is_(True), Practice.active.is_(True))).all()
    for practitioner, zone, window in rows:
        local_today = today or utcnow().astimezone(ZoneInfo(zone)).date()
        until = local_today + timedelta(days=window or 90)
        if practitioner.booking_open_until != until:
            practitioner.booking_open_until = until
            moved += 1
    return moved

