"""A practice's public booking page: choose a practitioner, a type and a free slot; book as a
signed-in person (for oneself or a family member) or as a newcomer confirming by SMS."""
from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import secrets

from flask import Response, abort, g, make_response, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.agenda import services as agenda
from portal.agenda.availability import replacements_between
from portal.billing import online, teleconsult
from portal.billing.forms import TeleconsultPayForm
from portal.booking import bp, confirmations, newcomers, services
from portal.booking.forms import AccountBookingForm, CancelForm, CodeForm, NewcomerForm, ResendForm
from portal.core.auth import public
from portal.core.db import commit, utcnow
from portal.core.errors import Conflict, DomainError, NotFound
from portal.core.security import allow_checkout_form
from portal.core.web import current_actor, date_arg, done, form_errors_from, id_arg, parse_instant, refused, render
from portal.extensions import db, limiter
from portal.patients.services import linked_patients

PENDING = "booking_request"  # the newcomer's request token, in the signed session cookie
BOOKED = "booking_done"      # the appointment just booked, for the confirmation page
BOOKING_LIMIT = "20 per 10 minutes"


def _practice(slug: str):
    try:
        practice = services.practice_by_slug(slug)
    except NotFound:
        abort(404)
    g.practice = practice
    return practice


def _signed_in(practice) -> bool:
    return bool(getattr(current_user, "is_authenticated", False) and current_user.kind == "patient"
                and current_user.practice_id == practice.id)


def _first_day() -> date | None:
    return date_arg("du")


def _page(practice, status=200):
    settings = services.settings_for(practice.id)
    newcomer = not _signed_in(practice)
    team = services.bookable_practitioners(practice)
    pid, tid = id_arg("praticien"), id_arg("type")
    practitioner = next((p for p, _types in team if p.id == pid), None)
    kinds = next((types for p, types in team if p.id == pid), [])
    kind = next((k for k in kinds if k.id == tid), None)
    slots, window, days, substitutes = [], None, [], {}
    first = _first_day()
    if practitioner and kind:
        slots, window = services.online_slots(practice=practice, practitioner=practitioner, kind=kind,
                                              first=first or date.min)
        by_day: dict[date, list] = {}
        for s in slots:
            by_day.setdefault(s.local_start.date(), []).append(s)
        start = max(first or window.first, window.first)
        days = [(start + timedelta(days=i), by_day.get(start + timedelta(days=i), [])) for i in range(7)
                if start + timedelta(days=i) <= window.last]
        covers = replacements_between(practice_id=practice.id, practitioner_id=practitioner.id, first=start,
                                      last=start + timedelta(days=6))
        substitutes = {day: r.substitute.display_name for day, _slots in days for r in covers if r.covers(day)}
        first = start
    return render("booking/page.html", fragment="booking/_slots.html", target="booking-slots", status=status,
                  practice=practice, settings=settings, map_link=services.map_link(practice, settings, request.user_agent.string),
                  team=team, photos=services.with_photo(practice.id), practitioner=practitioner, kinds=kinds, kind=kind, days=days, window=window,
                  first=first, newcomer=newcomer, substitutes=substitutes, timedelta=timedelta)


@bp.route("/cabinet/<slug>/rendez-vous")
@public
def page(slug):
    return _page(_practice(slug))


def _slot_args(practice):
    """The practitioner, type and start chosen on the page, or 404 for anything else."""
    pid, tid = id_arg("praticien"), id_arg("type")
    starts_at = parse_instant(request.args.get("debut"))
    if pid is None or tid is None or starts_at is None:
        abort(404)
    try:
        practitioner, kind = services.get_online_type(practice=practice, practitioner_id=pid, type_id=tid,
                                                      newcomer=False)
    except NotFound:
        abort(404)
    return practitioner, kind, starts_at


def _book_page(practice, practitioner, kind, starts_at, form, status=200, conflict=None, nearby=()):
    settings = services.settings_for(practice.id)
    return render("booking/book.html", status=status, practice=practice, practitioner=practitioner, kind=kind,
                  starts_at=starts_at, local=starts_at.astimezone(ZoneInfo(practice.timezone)), form=form,
                  reasons=services.visit_reasons(practice.id) if settings.reason_mode == "list" else None,
                  signed_in=_signed_in(practice), conflict=conflict, nearby=nearby)


def _account_form():
    form = AccountBookingForm()
    patients = linked_patients(current_user)
    form.patient_id.choices = [(p.id, f"{p.first_name} {p.last_name}") for p in patients]
    return form, patients


@bp.route("/cabinet/<slug>/rendez-vous/reserver", methods=["GET", "POST"])
@public
@limiter.limit(BOOKING_LIMIT, methods=["POST"])
def book(slug):
    practice = _practice(slug)
    practitioner, kind, starts_at = _slot_args(practice)
    if _signed_in(practice):
        form, patients = _account_form()
    else:
        form, patients = NewcomerForm(), []
    if request.method == "GET" or not form.validate_on_submit():
        return _book_page(practice, practitioner, kind, starts_at, form, status=422 if request.method == "POST" else 200)
    try:
        if _signed_in(practice):
            patient = next(p for p in patients if p.id == form.patient_id.data)
            appointment = services.book_for_account(
                practice=practice, account=current_user, patient=patient, practitioner_id=practitioner.id,
                type_id=kind.id, starts_at=starts_at, reason=form.reason.data or "",
                teleconsult_mobile=form.teleconsult_mobile.data or "", actor=current_actor())
            commit()
            session[BOOKED] = appointment.id
            return redirect(url_for("booking.booked", slug=slug), code=303)
        booking_request, token = newcomers.start_newcomer_booking(
            practice=practice, practitioner_id=practitioner.id, type_id=kind.id, starts_at=starts_at,
            last_name=form.last_name.data, first_name=form.first_name.data, birth_date=form.birth_date.data,
            mobile=form.mobile.data, email=form.email.data, reason=form.reason.data or "",
            teleconsult_mobile=form.teleconsult_mobile.data or "", actor=current_actor())
        commit()
    except Conflict as exc:
        # Taken a moment ago: say so, and offer the free slots around it.
        nearby = agenda.slots_near(practice=practice, practitioner_id=practitioner.id, appointment_type_id=kind.id,
                                   around=starts_at)
        window = services.online_window(practice, practitioner, kind)
        nearby = [s for s in nearby if s.starts_at >= window.earliest]
        return _book_page(practice, practitioner, kind, starts_at, form, status=409, conflict=exc.message,
                          nearby=nearby)
    except DomainError as exc:
        form_errors_from(exc, form)
        return _book_page(practice, practitioner, kind, starts_at, form, status=422)
    session[PENDING] = token
    return redirect(url_for("booking.confirm", slug=slug), code=303)


def _pending(practice):
    try:
        return newcomers.request_by_token(practice, session.get(PENDING))
    except NotFound:
        return None


def _confirm_page(practice, booking_request, form, status=200):
    appointment = agenda.get_appointment(practice_id=practice.id, appointment_id=booking_request.appointment_id)
    return render("booking/confirm.html", status=status, practice=practice, booking_request=booking_request,
                  appointment=appointment, form=form, resend=ResendForm(),
                  local=appointment.starts_at.astimezone(ZoneInfo(practice.timezone)),
                  hold_until=booking_request.expires_at.astimezone(ZoneInfo(practice.timezone)))


@bp.route("/cabinet/<slug>/rendez-vous/confirmer", methods=["GET", "POST"])
@public
@limiter.limit(BOOKING_LIMIT, methods=["POST"])
def confirm(slug):
    practice = _practice(slug)
    booking_request = _pending(practice)
    if booking_request is None:
        return refused(_("Aucune réservation en attente de confirmation : choisissez un créneau."),
                       "booking.page", slug=slug)
    form = CodeForm()
    if request.method == "GET" or not form.validate_on_submit():
        return _confirm_page(practice, booking_request, form, status=422 if request.method == "POST" else 200)
    try:
        appointment = newcomers.confirm_newcomer(practice, booking_request, form.code.data, actor=current_actor())
        commit()
    except Conflict as exc:
        db.session.rollback()  # the request is over; nothing of it to keep
        session.pop(PENDING, None)
        return refused(exc.message, "booking.page", slug=slug)
    except DomainError as exc:
        commit()
        form_errors_from(exc, form)
        return _confirm_page(practice, booking_request, form, status=422)
    session.pop(PENDING, None)
    session[BOOKED] = appointment.id
    return redirect(url_for("booking.booked", slug=slug), code=303)


@bp.route("/cabinet/<slug>/rendez-vous/confirmer/renvoyer", methods=["POST"])
@public
@limiter.limit(BOOKING_LIMIT)
def resend(slug):
    practice = _practice(slug)
    booking_request = _pending(practice)
    if booking_request is None or not ResendForm().validate_on_submit():
        return refused(_("Aucune réservation en attente de confirmation : choisissez un créneau."),
                       "booking.page", slug=slug)
    try:
        newcomers.resend_newcomer_code(practice, booking_request, actor=current_actor())
        commit()
    except DomainError as exc:
        return refused(exc.message, "booking.confirm", slug=slug)
    return done(_("Un nouveau code vous a été envoyé."), "booking.confirm", slug=slug)


def _booked_appointment(practice):
    """The appointment this browser just booked (the session says which), or None."""
    appointment_id = session.get(BOOKED)
    if not isinstance(appointment_id, int):
        return None
    try:
        return agenda.get_appointment(practice_id=practice.id, appointment_id=appointment_id)
    except NotFound:
        abort(404)


def _booked_page(practice, appointment, pay_form=None, status=200):
    charge = teleconsult.charge_of(appointment)
    left = teleconsult.remaining(charge) if charge else 0
    can_pay = left > 0 and practice.module_on("payments") and online.offered(practice)
    if can_pay and pay_form is None:
        pay_form = TeleconsultPayForm(formdata=None, email=online.receipt_email(appointment.patient),
                                      token=secrets.token_urlsafe(24))
    resp = make_response(render("booking/booked.html", status=status, practice=practice, appointment=appointment,
                                local=appointment.starts_at.astimezone(ZoneInfo(practice.timezone)),
                                room=agenda.room_url(appointment), signed_in=_signed_in(practice),
                                can_cancel=confirmations.can_cancel_online(appointment),
                                cancel_token=confirmations.cancel_token(appointment), charge=charge, left=left,
                                pay_form=pay_form if can_pay else None,
                                paid_returned=request.args.get("paiement") == "confirmation"))
    if can_pay:
        allow_checkout_form(resp)
    return resp


@bp.route("/cabinet/<slug>/rendez-vous/confirme")
@public
def booked(slug):
    practice = _practice(slug)
    appointment = _booked_appointment(practice)
    if appointment is None:
        return redirect(url_for("booking.page", slug=slug), code=303)
    return _booked_page(practice, appointment)


@bp.route("/cabinet/<slug>/rendez-vous/payer", methods=["POST"])
@public
@limiter.limit(BOOKING_LIMIT)
def pay_booked(slug):
    """"Payer maintenant" right after booking a prepaid teleconsultation (seed 004): a Checkout
    Session for its fee, then Stripe (303). Only for the visit this browser just booked."""
    practice = _practice(slug)
    appointment = _booked_appointment(practice)
    if appointment is None or not (practice.module_on("payments") and online.offered(practice)):
        return refused(_("Le paiement en ligne n'est pas proposé par ce cabinet."), "booking.page", slug=slug)
    form = TeleconsultPayForm()
    if form.validate_on_submit():
        try:
            checkout = teleconsult.start_checkout(
                practice=practice, appointment=appointment, email=form.email.data, token=form.token.data,
                success_url=url_for("booking.booked", slug=slug, paiement="confirmation", _external=True),
                cancel_url=url_for("booking.booked", slug=slug, _external=True))
            return redirect(checkout["url"], code=303)
        except NotFound:
            abort(404)
        except DomainError as exc:
            if exc.status == 409:
                return refused(exc.message, "booking.booked", slug=slug)
            form_errors_from(exc, form)
    return _booked_page(practice, appointment, form, status=422)


@bp.route("/cabinet/<slug>/rendez-vous/annuler/<token>", methods=["GET", "POST"])
@public
@limiter.limit(BOOKING_LIMIT, methods=["POST"])
def cancel_by_link(slug, token):
    practice = _practice(slug)
    try:
        appointment = confirmations.appointment_for_cancel_token(practice, token)
    except NotFound:
        abort(404)
    form = CancelForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                confirmations.cancel_online(appointment, reason=form.reason.data, actor=current_actor())
                commit()
                return done(_("Votre rendez-vous est annulé. Un e-mail de confirmation vous est envoyé."),
                            "booking.page", slug=slug)
            except DomainError as exc:
                form_errors_from(exc, form)
        status = 422
    return render("booking/cancel.html", status=status, practice=practice, appointment=appointment, form=form,
                  local=appointment.starts_at.astimezone(ZoneInfo(practice.timezone)),
                  deadline=confirmations.cancel_deadline(appointment).astimezone(ZoneInfo(practice.timezone)),
                  can_cancel=confirmations.can_cancel_online(appointment), now=utcnow())


@bp.route("/cabinet/<slug>/praticiens/<int:practitioner_id>/photo.jpg")
@public
def practitioner_photo(slug, practitioner_id: int):
    practice = _practice(slug)
    try:
        body = services.public_photo(practice, practitioner_id)
    except NotFound:
        abort(404)
    return Response(body, mimetype="image/jpeg")
