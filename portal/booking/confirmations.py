"""What an online booking sends and how it is undone: the confirmation e-mail with its .ics,
the signed cancellation link, and cancelling online before the type's deadline."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from portal.agenda import services as agenda
from portal.agenda.ics import appointment_ics
from portal.agenda.models import Appointment, AppointmentStatus
from portal.core.audit import Actor
from portal.core.db import utcnow
from portal.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from portal.core.models import Practice
from portal.extensions import db
from portal.notify.services import queue_email, queue_sms
from portal.patients.services import patient_contact


def _when(practice: Practice, at: datetime) -> str:
    return agenda.when_text(practice, at)


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
