"""Console: the requests patients sent from their space ("Demandes de modification"), each
accepted (applied and audited) or rejected with an optional reason. A link request ("Gestion des
patients") is accepted by choosing the file among candidates and where the number goes."""
from __future__ import annotations

from flask import g, request
from flask_babel import gettext as _

from portal.accounts.forms import ConfirmForm
from portal.core.auth import staff_required
from portal.core.db import commit
from portal.core.errors import DomainError, NotFound
from portal.core.web import current_actor, done, id_arg, invalid, refused, render
from portal.extensions import db
from portal.patients import bp, links, requests
from portal.patients.forms import LinkAcceptForm, RejectForm
from portal.patients.models import RequestKind, RequestState


def _page_context(link_forms=None, link_errors=None):
    """Every pending request, and for each link request its candidate files (`?demande=ID&q=…`
    searches again for one of them) and its form."""
    pending = requests.pending_requests(g.practice.id)
    searched, query = id_arg("demande"), (request.args.get("q") or "").strip()[:100]
    link_forms = link_forms or {}
    found, forms = {}, {}
    for req in pending:
        if req.kind is RequestKind.patient_link:
            found[req.id] = links.candidates(req, query=query if req.id == searched else "")
            only = found[req.id][0] if len(found[req.id]) == 1 else None
            forms[req.id] = link_forms.get(req.id) or LinkAcceptForm(
                formdata=None, role=links.suggested_role(req, only), patient_id=only.id if only else None)
    return dict(pending=pending, confirm=ConfirmForm(), reject=RejectForm(), candidates=found, link_forms=forms,
                link_errors=link_errors or {}, searched=searched, query=query)


@bp.route("/demandes")
@staff_required()
def requests_page():
    return render("patients/requests.html", **_page_context())


@bp.route("/demandes/<int:request_id>/lier", methods=["POST"])
@staff_required()
def accept_link(request_id: int):
    """Link the chosen file to the number that asked; a refusal comes back in place (422)."""
    req = requests.get_request(practice_id=g.practice.id, request_id=request_id)
    form = LinkAcceptForm()
    if not form.validate_on_submit():
        return refused(_("Action non effectuée : rechargez la page."), "patients.requests_page")
    try:
        patient = links.accept_link(req, patient_id=form.patient_id.data, role=form.role.data,
                                    actor=current_actor())
    except NotFound:
        raise  # another practice's file: a 404, as anywhere else
    except DomainError as exc:
        db.session.rollback()
        if req.state is not RequestState.pending:  # no longer on the page: say it at the top
            return refused(_("Non effectué : %(why)s", why=exc.message), "patients.requests_page")
        return invalid("patients/requests.html", **_page_context({req.id: form}, {req.id: exc.message}))
    commit()
    return done(_("Dossier de %(name)s lié : la personne le voit maintenant dans son espace.",
                  name=patient.full_name), "patients.requests_page")


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
    if req.kind is RequestKind.patient_link:
        return done(_("Demande refusée : la personne le verra dans « Gestion des patients »."),
                    "patients.requests_page")
    return done(_("Demande refusée : le patient le verra dans « Mes infos »."), "patients.requests_page")
