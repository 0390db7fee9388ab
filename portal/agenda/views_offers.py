"""The public page of a waiting-list offer (seed 003 § 3): the link sent by SMS or e-mail,
where the first patient to accept gets the freed time. The token in the address is the only
key: it is random, and only its hash is stored."""
from __future__ import annotations

from flask import Blueprint, abort
from flask_babel import gettext as _

from portal.accounts.forms import ConfirmForm
from portal.agenda import desk, waiting
from portal.agenda.models import OfferStatus
from portal.core.auth import public
from portal.core.db import commit
from portal.core.errors import Conflict, DomainError, NotFound
from portal.core.models import Practice, Practitioner
from portal.core.web import current_actor, render
from portal.extensions import db, limiter

bp = Blueprint("offers", __name__, url_prefix="/rdv")

OFFER_LIMIT = "30 per 15 minutes"


def _offer_page(offer, *, status=200, message=None, booked=None):
    practice = db.session.get(Practice, offer.practice_id)
    return render("agenda/offer.html", status=status, offer=offer, practice=practice,
                  practitioner=db.session.get(Practitioner, offer.practitioner_id),
                  when=desk.local_moment(practice, offer.starts_at),
                  expires=desk.local_moment(practice, offer.expires_at), form=ConfirmForm(), message=message, booked=booked,
                  is_open=offer.status is OfferStatus.offered and offer.entry.status.value == "waiting")


@bp.route("/offre/<token>")
@limiter.limit(OFFER_LIMIT)
@public
def offer(token: str):
    try:
        found = waiting.offer_for_token(token)
    except NotFound:
        return render("agenda/offer_unknown.html", status=404)
    commit()  # an offer found expired is marked so
    status = 410 if found.status is OfferStatus.expired else 200
    return _offer_page(found, status=status)


@bp.route("/offre/<token>", methods=["POST"])
@limiter.limit(OFFER_LIMIT)
@public
def accept(token: str):
    """Accept the offer: book it, or say why not (taken, expired)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        appointment = waiting.accept_offer(token, actor=current_actor())
    except NotFound:
        return render("agenda/offer_unknown.html", status=404)
    except DomainError as exc:
        status = 409 if isinstance(exc, Conflict) else 410
        commit()  # keeps an offer found expired, or taken after a lost race, and its message
        return _offer_page(waiting.offer_for_token(token), status=status, message=exc.message)
    commit()
    return _offer_page(waiting.offer_for_token(token), booked=appointment,
                       message=_("C'est noté : le rendez-vous est à vous."))
