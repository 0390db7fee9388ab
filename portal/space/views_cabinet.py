"""Mon cabinet in the patient space: the practice's card and the contact form (seed 001)."""
from __future__ import annotations

from flask import g, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user

from portal.core.auth import module_open, patient_required
from portal.core.db import commit
from portal.core.errors import DomainError
from portal.core.web import current_actor, done, form_errors_from, render
from portal.extensions import db, limiter
from portal.messaging import services as messaging
from portal.space import bp, services
from portal.space.forms import ContactForm

# Per account rather than per address: a family on a phone network shares its IP with thousands.
CONTACT_LIMIT = "5 per hour;20 per day"


def _sender_key() -> str:
    return f"contact:{current_user.id}" if current_user.is_authenticated else get_remote_address()


def _page(form, status=200):
    return render("space/cabinet.html", status=status, card=services.cabinet_card(g.practice, request.user_agent.string), form=form)


@bp.route("/mon-cabinet")
@patient_required
def cabinet():
    return _page(ContactForm(formdata=None))


@bp.route("/mon-cabinet/message", methods=["POST"])
@patient_required
@limiter.limit(CONTACT_LIMIT, key_func=_sender_key)
def contact():
    """Send the practice a message about the file being looked at."""
    form = ContactForm()
    if not form.validate_on_submit():
        return _page(form, 422)
    try:
        messaging.send_contact_message(practice=g.practice, account=current_user, patient=g.patient,
                                       subject=form.subject.data, body=form.body.data, actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return _page(form, 422)
    commit()
    if module_open("messaging"):
        return done(_("Message envoyé au cabinet. Sa réponse arrivera dans votre Messagerie."), "space.cabinet")
    return done(_("Message envoyé au cabinet. Il vous répondra par téléphone ou par e-mail."), "space.cabinet")
