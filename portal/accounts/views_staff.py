"""Staff sign-in (password + authenticator), invitations, password reset, own security page."""
from __future__ import annotations

import time

from flask import redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from portal.accounts import bp
from portal.accounts import staff_admin, staff_auth
from portal.accounts.forms import (AcceptInvitationForm, ChangePasswordForm, ForgotForm, NewPasswordForm,
                                   StaffSigninForm, TotpForm)
from portal.accounts.models import StaffUser
from portal.core.auth import public, staff_required
from portal.core.db import commit
from portal.core.errors import DomainError
from portal.core.web import current_actor, done, form_errors_from, invalid, render, safe_next
from portal.extensions import db, limiter

PENDING = "staff_pending"
PENDING_TTL = 600  # seconds between the password and the second factor
SIGNIN_LIMIT = "30 per 15 minutes"


def _pend(user: StaffUser, next_url: str = "") -> None:
    session[PENDING] = {"user": user.id, "at": int(time.time()), "next": next_url}


def _pending_user() -> StaffUser | None:
    state = session.get(PENDING) or {}
    if not state or time.time() - state.get("at", 0) > PENDING_TTL:
        return None
    user = db.session.get(StaffUser, state["user"])
    return user if user is not None and user.active else None


def _enter(user: StaffUser):
    nxt = (session.get(PENDING) or {}).get("next") or url_for("console.dashboard")
    session.pop(PENDING, None)
    session.pop("csrf_token", None)
    login_user(user)
    return nxt


@bp.route("/console/connexion", methods=["GET", "POST"])
@limiter.limit(SIGNIN_LIMIT, methods=["POST"])
@public
def staff_signin():
    if current_user.is_authenticated and current_user.kind == "staff":
        return redirect(url_for("console.dashboard"))
    form = StaffSigninForm()
    if not form.validate_on_submit():
        return render("accounts/staff_signin.html", form=form, status=422 if request.method == "POST" else 200)
    try:
        user = staff_auth.check_credentials(email=form.email.data, password=form.password.data, actor=current_actor())
    except DomainError as exc:
        commit()
        form_errors_from(exc, form)
        return invalid("accounts/staff_signin.html", form=form)
    commit()
    _pend(user, safe_next(""))
    if user.totp_confirmed_at is None:
        return redirect(url_for("accounts.staff_enrol"), code=303)
    return redirect(url_for("accounts.staff_signin_code"), code=303)


@bp.route("/console/connexion/code", methods=["GET", "POST"])
@limiter.limit(SIGNIN_LIMIT, methods=["POST"])
@public
def staff_signin_code():
    user = _pending_user()
    if user is None or user.totp_confirmed_at is None:
        return redirect(url_for("accounts.staff_signin"))
    form = TotpForm()
    if not form.validate_on_submit():
        return render("accounts/staff_code.html", form=form, status=422 if request.method == "POST" else 200)
    try:
        method = staff_auth.verify_second_factor(user, form.code.data, actor=current_actor())
    except DomainError as exc:
        commit()
        form_errors_from(exc, form)
        return invalid("accounts/staff_code.html", form=form)
    commit()
    target = _enter(user)
    if method == "recovery":
        left = staff_auth.remaining_recovery_codes(user)
        from portal.core.web import not_done

        not_done(_("Vous avez utilisé un code de secours ; il vous en reste %(n)d. Pensez à en générer de nouveaux.",
                   n=left))
        return redirect(url_for("accounts.staff_security"), code=303)
    from flask import flash

    flash(_("Bonjour %(name)s, vous êtes connecté.", name=user.first_name or user.email), "success")
    return redirect(target, code=303)


@bp.route("/console/connexion/authentificateur", methods=["GET", "POST"])
@limiter.limit(SIGNIN_LIMIT, methods=["POST"])
@public
def staff_enrol():
    user = _pending_user()
    if user is None or user.totp_confirmed_at is not None:
        return redirect(url_for("accounts.staff_signin"))
    if not user.totp_secret:
        staff_auth.start_totp_enrolment(user)
        commit()
    form = TotpForm()
    uri = staff_auth.provisioning_uri(user)
    ctx = {"form": form, "qr": staff_auth.qr_svg(uri), "secret": user.totp_key, "user": user}
    if not form.validate_on_submit():
        return render("accounts/staff_enrol.html", status=422 if request.method == "POST" else 200, **ctx)
    actor = current_actor().become(user)  # the person enrolling has proved their password
    try:
        codes = staff_auth.confirm_totp_enrolment(user, form.code.data, actor=actor)
        staff_auth.finish_enrolment_signin(user, actor=actor)
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return invalid("accounts/staff_enrol.html", **ctx)
    commit()
    target = _enter(user)
    return render("accounts/staff_recovery_codes.html", codes=codes, next_url=target)


@bp.route("/console/invitation/<token>", methods=["GET", "POST"])
@limiter.limit(SIGNIN_LIMIT, methods=["POST"])
@public
def accept_invitation(token: str):
    try:
        invite = staff_admin.check_invitation(token)
    except DomainError as exc:
        return render("accounts/link_invalid.html", message=exc.message, status=404)
    form = AcceptInvitationForm()
    if not form.validate_on_submit():
        return render("accounts/accept_invitation.html", form=form, invite=invite,
                      status=422 if request.method == "POST" else 200)
    try:
        user = staff_admin.accept_invitation(token, first_name=form.first_name.data, last_name=form.last_name.data,
                                             password=form.password.data, actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return invalid("accounts/accept_invitation.html", form=form, invite=invite)
    commit()
    _pend(user)
    return redirect(url_for("accounts.staff_enrol"), code=303)


@bp.route("/console/mot-de-passe-oublie", methods=["GET", "POST"])
@limiter.limit("10 per 15 minutes", methods=["POST"])
@public
def staff_forgot():
    form = ForgotForm()
    if not form.validate_on_submit():
        return render("accounts/staff_forgot.html", form=form, status=422 if request.method == "POST" else 200)
    staff_admin.request_password_reset(form.email.data, actor=current_actor())
    commit()
    return done(_("Si un compte existe pour cette adresse, un lien pour choisir un nouveau mot de passe "
                  "vient d'y être envoyé. Il est valable une heure."), "accounts.staff_signin")


@bp.route("/console/mot-de-passe/<token>", methods=["GET", "POST"])
@limiter.limit(SIGNIN_LIMIT, methods=["POST"])
@public
def staff_reset(token: str):
    try:
        staff_admin.check_reset(token)
    except DomainError as exc:
        return render("accounts/link_invalid.html", message=exc.message, status=404)
    form = NewPasswordForm()
    if not form.validate_on_submit():
        return render("accounts/staff_reset.html", form=form, status=422 if request.method == "POST" else 200)
    try:
        staff_admin.reset_password(token, form.password.data, actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return invalid("accounts/staff_reset.html", form=form)
    commit()
    return done(_("Mot de passe modifié. Connectez-vous avec votre nouveau mot de passe et votre code."),
                "accounts.staff_signin")


def _security_page(form=None, codes_form=None, status=200):
    return render("accounts/staff_security.html", status=status, form=form or ChangePasswordForm(),
                  codes_form=codes_form or TotpForm(), remaining=staff_auth.remaining_recovery_codes(current_user))


@bp.route("/console/securite", methods=["GET"])
@staff_required()
def staff_security():
    return _security_page()


@bp.route("/console/securite/mot-de-passe", methods=["POST"])
@staff_required()
def staff_change_password():
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return _security_page(form=form, status=422)
    try:
        staff_admin.change_own_password(current_user, current=form.current.data, new=form.password.data,
                                        actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return _security_page(form=form, status=422)
    commit()
    login_user(current_user._get_current_object())  # the new session token replaces the old one in the cookie
    return done(_("Mot de passe modifié. Vos autres sessions ont été fermées."), "accounts.staff_security")


@bp.route("/console/securite/codes", methods=["POST"])
@limiter.limit("10 per 15 minutes")
@staff_required()
def staff_recovery_codes():
    """New recovery codes, after a fresh authenticator code: a session alone is not enough."""
    form = TotpForm()
    if not form.validate_on_submit():
        return _security_page(codes_form=form, status=422)
    actor = current_actor()
    try:
        staff_auth.confirm_second_factor(current_user, form.code.data, actor=actor)
    except DomainError as exc:
        commit()  # the failure counts
        form_errors_from(exc, form)
        return _security_page(codes_form=form, status=422)
    codes = staff_auth.new_recovery_codes(current_user, actor=actor)
    commit()
    return render("accounts/staff_recovery_codes.html", codes=codes, next_url=url_for("accounts.staff_security"))
