"""The public page of a payment link (issue 5): the address an overdue-payment reminder carries.
No sign-in: the signed token in the address is the only key, and it opens one item's payment,
showing the practice's name, the patient's first name and initial, the label and the amount."""
from __future__ import annotations

import logging
import secrets

from flask import Blueprint, make_response, redirect, request, url_for

from portal.billing import paylinks
from portal.billing.forms import PayLinkForm
from portal.billing.online import offered
from portal.core.auth import public
from portal.core.errors import DomainError, NotFound
from portal.core.security import allow_checkout_form
from portal.core.web import form_errors_from, render
from portal.extensions import limiter

bp = Blueprint("paylinks", __name__)

LINK_LIMIT = "30 per 15 minutes"
RETURNED = "confirmation"
log = logging.getLogger(__name__)


def _page(link, token: str, form=None, status=200):
    can_pay = offered(link.practice)
    if form is None and can_pay:
        form = PayLinkForm(formdata=None, token=secrets.token_urlsafe(24))
    resp = make_response(render("billing/paylink.html", status=status, link=link, token=token,
                                form=form if can_pay else None, returned=request.args.get("en_ligne") == RETURNED))
    if can_pay:
        allow_checkout_form(resp)  # the answer to "Payer" is a redirect to Stripe's hosted Checkout
    return resp


def _refused(exc: DomainError):
    if isinstance(exc, NotFound):
        log.info("payment link refused: unknown or tampered token")
        return render("billing/paylink_gone.html", status=404, message=None)
    return render("billing/paylink_gone.html", status=exc.status, message=exc.message)


@bp.route("/paiements/lien/<token>")
@limiter.limit(LINK_LIMIT)
@public
def show(token: str):
    try:
        link = paylinks.open_link(token)
    except DomainError as exc:
        return _refused(exc)
    return _page(link, token)


@bp.route("/paiements/lien/<token>", methods=["POST"])
@limiter.limit(LINK_LIMIT)
@public
def pay(token: str):
    """Create the Checkout Session for this item and send the payer to Stripe (303); the e-mail
    refused in place (422) with what was typed."""
    try:
        link = paylinks.open_link(token)
    except DomainError as exc:
        return _refused(exc)
    form = PayLinkForm()
    if form.validate_on_submit():
        try:
            checkout = paylinks.start_link_checkout(
                link, email=form.email.data, token=form.token.data,
                success_url=url_for("paylinks.show", token=token, en_ligne=RETURNED, _external=True),
                cancel_url=url_for("paylinks.show", token=token, _external=True))
            return redirect(checkout["url"], code=303)
        except DomainError as exc:
            form_errors_from(exc, form)
    return _page(link, token, form, status=422)
