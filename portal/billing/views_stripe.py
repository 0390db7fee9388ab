"""The console's "Paiement en ligne" page (the owner's Stripe keys) and Stripe's webhook."""
from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request, url_for
from flask_babel import gettext as _

from portal.accounts.forms import ConfirmForm
from portal.accounts.models import Role
from portal.billing import stripe_account, webhooks
from portal.billing.stripe_forms import StripeKeysForm
from portal.core.auth import public, staff_required
from portal.core.db import commit
from portal.core.errors import DomainError
from portal.core.web import current_actor, done, form_errors_from, refused, render
from portal.extensions import csrf, db

bp = Blueprint("stripe", __name__)


def _page(form, status=200):
    account = stripe_account.account_for(g.practice.id)
    # BASE_URL, as in every link given out: the address Stripe must reach, not the one the owner used
    webhook_url = (current_app.config["BASE_URL"].rstrip("/") + url_for("stripe.webhook", webhook_id=account.webhook_id)
                   if account is not None else "")
    return render("billing/stripe_settings.html", form=form, account=account, webhook_url=webhook_url,
                  confirm=ConfirmForm(), status=status)


@bp.route("/console/cabinet/paiement-en-ligne", methods=["GET", "POST"])
@staff_required(Role.owner)
def settings():
    account = stripe_account.account_for(g.practice.id)
    form = StripeKeysForm(data={"publishable_key": account.publishable_key if account else ""}
                          if request.method == "GET" else None)
    if not form.validate_on_submit():
        return _page(form, 422 if form.is_submitted() else 200)
    try:
        changed = stripe_account.save_keys(g.practice, publishable_key=form.publishable_key.data,
                                           secret_key=form.secret_key.data or "",
                                           webhook_secret=form.webhook_secret.data or "", actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return _page(form, 422)
    commit()
    return done(_("Clés Stripe enregistrées.") if changed else _("Aucune clé n'a changé."), "stripe.settings")


@bp.route("/console/cabinet/paiement-en-ligne/supprimer", methods=["POST"])
@staff_required(Role.owner)
def remove():
    if not ConfirmForm().validate_on_submit():
        return refused(_("Action non effectuée : rechargez la page."), "stripe.settings")
    removed = stripe_account.remove_keys(g.practice, actor=current_actor())
    commit()
    return done(_("Clés Stripe supprimées : le paiement en ligne est désactivé.") if removed else
                _("Aucune clé à supprimer."), "stripe.settings")


@bp.route("/stripe/webhook/<webhook_id>", methods=["POST"])
@public
@csrf.exempt  # Stripe cannot hold a CSRF token: the signature on the raw body is the proof
def webhook(webhook_id: str):
    try:
        receipt = webhooks.receive(webhook_id, request.get_data(),
                                   request.headers.get("Stripe-Signature", ""))
    except webhooks.WebhookRefused:
        db.session.rollback()
        return jsonify(error="invalid"), 400
    commit()
    return jsonify(received=True, status=receipt.status), 200
