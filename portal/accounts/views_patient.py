"""Patient and parent sign-in pages (mobile first). Each step keeps its state in the signed
session cookie; the truth (codes, counters, accounts) lives in the database."""
from __future__ import annotations

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from portal.accounts import bp
from portal.accounts import passkeys
from portal.accounts import patient_signin as signin
from portal.accounts.forms import CodeForm, IdentifyForm, NewPasswordForm, PasswordStepForm, ResendForm, ReturningForm
from portal.accounts.models import PatientAccount, SmsChallenge
from portal.accounts.sessions import revoke_session
from portal.core.auth import public
from portal.core.db import commit
from portal.core.errors import DomainError, TooManyAttempts
from portal.core.phones import display_phone, mask_phone
from portal.core.web import current_actor, done, form_errors_from, invalid, not_done, render
from portal.patients.privacy import needs_consent
from portal.extensions import db, limiter

STATE = "patient_signin"
SIGNIN_LIMIT = "30 per 15 minutes"


def _phone_cookie() -> str:
    return "__Host-sourire-phone" if current_app.config["COOKIE_SECURE"] else "sourire-phone"


def _state() -> dict:
    return session.get(STATE) or {}


def _challenge() -> SmsChallenge | None:
    cid = _state().get("challenge")
    return db.session.get(SmsChallenge, cid) if cid else None


def _begin(account: PatientAccount, step: str, challenge: SmsChallenge | None = None,
           patient_id: int | None = None) -> None:
    patient_id = patient_id or _state().get("patient")  # the file whose details were typed
    session[STATE] = {"account": account.id, "step": step, "challenge": challenge.id if challenge else None,
                      "patient": patient_id}


def _signed_in(account: PatientAccount):
    session.pop(STATE, None)
    session.pop("csrf_token", None)  # a token issued before sign-in is not reused after it
    login_user(account)
    # A first sign-in goes through the consent step before the home page (RGPD).
    return done(_("Vous êtes connecté."), "space.consent" if needs_consent(account) else "space.home")


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit(SIGNIN_LIMIT, methods=["POST"])
@public
def patient_signin():
    if current_user.is_authenticated and current_user.kind == "patient":
        return redirect(url_for("space.home"))
    remembered = request.cookies.get(_phone_cookie(), "")
    form = IdentifyForm()
    if request.method == "GET" and request.args.get("cabinet"):
        form.practice_code.data = request.args["cabinet"][:12]  # a link from the practice's letter
    if request.method == "GET" and remembered and not request.args.get("autre"):
        returning = ReturningForm(phone=display_phone(remembered))
        return render("accounts/patient_returning.html", form=returning)
    if not form.validate_on_submit():
        if request.method == "POST":
            return invalid("accounts/patient_signin.html", form=form)
        return render("accounts/patient_signin.html", form=form)
    actor = current_actor()
    try:
        patient = signin.identify(phone=form.phone.data, last_name=form.last_name.data,
                                  first_name=form.first_name.data, birth_date=form.birth_date.data, actor=actor,
                                  practice_code=form.practice_code.data)
        account = signin.account_for(patient, form.phone.data)
        session.pop(STATE, None)
        if account.password_hash:
            _begin(account, "password", patient_id=patient.id)
            nxt = "accounts.patient_signin_password"
        else:
            _begin(account, "code", signin.send_code(account, purpose="enrol", actor=actor), patient_id=patient.id)
            nxt = "accounts.patient_signin_code"
    except DomainError as exc:
        commit()  # keep the audit trail and counters of a failure
        form_errors_from(exc, form)
        return invalid("accounts/patient_signin.html", form=form)
    commit()
    resp = redirect(url_for(nxt), code=303)
    if form.remember.data:
        resp.set_cookie(_phone_cookie(), account.phone, max_age=365 * 86400, secure=current_app.config["COOKIE_SECURE"],
                        httponly=True, samesite="Lax", path="/")
    else:
        resp.delete_cookie(_phone_cookie(), path="/", secure=current_app.config["COOKIE_SECURE"], samesite="Lax")
    return resp


@bp.route("/connexion/retour", methods=["POST"])
@limiter.limit(SIGNIN_LIMIT)
@public
def patient_signin_returning():
    form = ReturningForm()
    if not form.validate_on_submit():
        return invalid("accounts/patient_returning.html", form=form)
    actor = current_actor()
    try:
        account = signin.returning_signin(phone=form.phone.data, password=form.password.data, actor=actor)
        challenge = signin.send_code(account, purpose="signin", actor=actor)
    except DomainError as exc:
        commit()
        form_errors_from(exc, form)
        return invalid("accounts/patient_returning.html", form=form)
    session.pop(STATE, None)
    _begin(account, "code", challenge)
    commit()
    return redirect(url_for("accounts.patient_signin_code"), code=303)


@bp.route("/connexion/mot-de-passe", methods=["GET", "POST"])
@limiter.limit(SIGNIN_LIMIT, methods=["POST"])
@public
def patient_signin_password():
    state = _state()
    account = db.session.get(PatientAccount, state.get("account") or 0)
    if account is None or state.get("step") != "password":
        return redirect(url_for("accounts.patient_signin"))
    form = PasswordStepForm()
    if not form.validate_on_submit():
        return render("accounts/patient_password.html", form=form, status=422 if request.method == "POST" else 200)
    actor = current_actor()
    try:
        signin.check_password(account, form.password.data, actor=actor)
        challenge = signin.send_code(account, purpose="signin", actor=actor)
    except DomainError as exc:
        commit()
        form_errors_from(exc, form)
        return invalid("accounts/patient_password.html", form=form)
    _begin(account, "code", challenge)
    commit()
    return redirect(url_for("accounts.patient_signin_code"), code=303)


def _code_page(form, status=200, **extra):
    challenge = _challenge()
    return render("accounts/patient_code.html", form=form, resend=ResendForm(), status=status,
                  masked=mask_phone(challenge.phone) if challenge else "", **extra)


@bp.route("/connexion/code", methods=["GET", "POST"])
@limiter.limit(SIGNIN_LIMIT, methods=["POST"])
@public
def patient_signin_code():
    challenge = _challenge()
    if challenge is None or _state().get("step") != "code":
        return redirect(url_for("accounts.patient_signin"))
    form = CodeForm()
    if not form.validate_on_submit():
        return _code_page(form, 422 if request.method == "POST" else 200)
    actor = current_actor()
    try:
        signin.verify_code(challenge, form.code.data, actor=actor)
        if challenge.purpose == "signin":
            account = signin.finish_signin(challenge, actor=actor, patient_id=_state().get("patient"))
    except DomainError as exc:
        commit()
        form_errors_from(exc, form)
        return _code_page(form, 422)
    if challenge.purpose == "enrol":
        session[STATE] = {**_state(), "step": "choose"}
        commit()
        return redirect(url_for("accounts.patient_choose_password"), code=303)
    commit()
    return _signed_in(account)


@bp.route("/connexion/code/renvoyer", methods=["POST"])
@limiter.limit("10 per hour")
@public
def patient_resend_code():
    challenge = _challenge()
    if challenge is None or _state().get("step") != "code" or not ResendForm().validate_on_submit():
        return redirect(url_for("accounts.patient_signin"))
    try:
        signin.resend_code(challenge, actor=current_actor())
    except TooManyAttempts as exc:
        commit()
        not_done(exc.message)
        return _code_page(CodeForm(formdata=None), 429)
    except DomainError as exc:
        commit()
        not_done(exc.message)
        return redirect(url_for("accounts.patient_signin"), code=303)
    commit()
    return done(_("Un nouveau code vous a été envoyé."), "accounts.patient_signin_code")


@bp.route("/connexion/mot-de-passe/nouveau", methods=["GET", "POST"])
@limiter.limit(SIGNIN_LIMIT, methods=["POST"])
@public
def patient_choose_password():
    challenge = _challenge()
    if challenge is None or _state().get("step") != "choose":
        return redirect(url_for("accounts.patient_signin"))
    form = NewPasswordForm()
    if not form.validate_on_submit():
        return render("accounts/patient_choose_password.html", form=form,
                      status=422 if request.method == "POST" else 200)
    try:
        account = signin.set_first_password(challenge, form.password.data, actor=current_actor(),
                                            patient_id=_state().get("patient"))
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return invalid("accounts/patient_choose_password.html", form=form)
    commit()
    return _signed_in(account)


@bp.route("/deconnexion", methods=["POST"])
@public
def signout():
    if current_user.is_authenticated:
        from portal.core import audit

        if current_user.auth_session is not None:
            revoke_session(current_user.auth_session, "signout")
        audit.record("patient.signout" if current_user.kind == "patient" else "staff.signout",
                     actor=current_actor())
        kind = current_user.kind
        commit()
        logout_user()
        session.clear()
        if kind == "staff":
            return done(_("Vous êtes déconnecté."), "accounts.staff_signin")
    return done(_("Vous êtes déconnecté."), "accounts.patient_signin")


@bp.route("/connexion/cle/options", methods=["POST"])
@limiter.limit(SIGNIN_LIMIT)
@public
def passkey_signin_options():
    """Options for the browser's passkey prompt (JSON)."""
    options = passkeys.authentication_options()
    commit()
    return current_app.response_class(options, mimetype="application/json")


@bp.route("/connexion/cle", methods=["POST"])
@limiter.limit(SIGNIN_LIMIT)
@public
def passkey_signin():
    """The device's answer (JSON): a session, or a neutral refusal shown in place."""
    try:
        account = passkeys.sign_in_with_passkey(passkeys.parse_credential(request.get_data()),
                                                actor=current_actor())
    except DomainError as exc:
        commit()  # the spent challenge and the journal entry stay
        return {"error": exc.message}, 422
    commit()
    session.pop(STATE, None)
    session.pop("csrf_token", None)
    login_user(account)
    flash(_("Vous êtes connecté."), "success")
    return {"redirect": url_for("space.home")}


@bp.app_context_processor
def _passkey_context():
    # The passkey buttons only where a browser can use them (not on an IP address, not on a host
    # other than BASE_URL's).
    return {"passkeys_here": lambda: passkeys.available_on(request.host)}
