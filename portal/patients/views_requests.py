"""Console: the requests patients sent from their space ("Demandes de modification"), each
accepted (applied and audited) or rejected with an optional reason."""
from __future__ import annotations

from flask import g
from flask_babel import gettext as _

from portal.accounts.forms import ConfirmForm
from portal.core.auth import staff_required
from portal.core.db import commit
from portal.core.errors import DomainError
from portal.core.web import current_actor, done, refused, render
from portal.extensions import db
from portal.patients import bp, requests
from portal.patients.forms import RejectForm


@bp.route("/demandes")
@staff_required()
def requests_page():
    return render("patients/requests.html", pending=requests.pending_requests(g.practice.id),
                  confirm=ConfirmForm(), reject=RejectForm())


@bp.route("/demandes/<int:request_id>/accepter", methods=["POST"])
@staff_required()
def accept_request(request_id: int):
    req = requests.get_request(practice_id=g.practice.id, request_id=request_id)
    if not ConfirmForm().validate_on_submit():
        return refused(_("Action non effectuée : rechargez la page."), "patients.requests_page")
    try:
        requests.accept_request(req, actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        return refused(_("Non effectué : %(why)s", why=exc.message), "patients.requests_page")
    commit()
    return done(_("Demande acceptée et appliquée."), "patients.requests_page")


@bp.route("/demandes/<int:request_id>/refuser", methods=["POST"])
@staff_required()
def reject_request(request_id: int):
    req = requests.get_request(practice_id=g.practice.id, request_id=request_id)
    form = RejectForm()
    if not form.validate_on_submit():
        return refused(_("Action non effectuée : le motif est trop long (500 caractères au plus)."),
                       "patients.requests_page")
    try:
        requests.reject_request(req, reason=form.reason.data or "", actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        return refused(_("Non effectué : %(why)s", why=exc.message), "patients.requests_page")
    commit()
    return done(_("Demande refusée : le patient le verra dans « Mes infos »."), "patients.requests_page")
