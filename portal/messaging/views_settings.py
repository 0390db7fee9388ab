"""Console → Paramètres → Messagerie: the predefined messages (seed 000), each with an optional
file. Owners and practitioners manage them; the whole team may fetch their files."""
from __future__ import annotations

from flask import g
from flask_babel import gettext as _

from portal.accounts.forms import ConfirmForm
from portal.accounts.models import Role
from portal.core.auth import staff_required
from portal.core.db import commit
from portal.core.errors import DomainError
from portal.core.web import current_actor, done, form_errors_from, refused, render
from portal.extensions import db
from portal.messaging import bp, predefined
from portal.messaging.forms import TemplateForm
from portal.messaging.views import send_message_file, upload_from


def _page(new_form=None, *, editing=None, edit_form=None, status=200):
    """The list, each predefined message in its own form (the one that failed keeps what was typed)."""
    rows = predefined.list_templates(g.practice.id)
    forms = {row.id: edit_form if row.id == editing else TemplateForm(formdata=None, prefix=f"t{row.id}", obj=row)
             for row in rows}
    return render("messaging/templates.html", status=status, templates=rows, forms=forms,
                  form=new_form or TemplateForm(formdata=None, prefix="new"), confirm=ConfirmForm())


@bp.route("/console/messagerie/modeles")
@staff_required(Role.practitioner)
def templates():
    return _page()


@bp.route("/console/messagerie/modeles", methods=["POST"])
@staff_required(Role.practitioner)
def add_template():
    form = TemplateForm(prefix="new")
    if not form.validate_on_submit():
        return _page(form, status=422)
    try:
        predefined.add_template(practice_id=g.practice.id, body=form.body.data, upload=upload_from(form),
                                actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return _page(form, status=422)
    commit()
    return done(_("Message prédéfini ajouté."), "messaging.templates")


@bp.route("/console/messagerie/modeles/<int:template_id>", methods=["POST"])
@staff_required(Role.practitioner)
def save_template(template_id: int):
    row = predefined.get_template(practice_id=g.practice.id, template_id=template_id)
    form = TemplateForm(prefix=f"t{row.id}")
    if not form.validate_on_submit():
        return _page(editing=row.id, edit_form=form, status=422)
    try:
        predefined.update_template(practice_id=g.practice.id, template_id=row.id, body=form.body.data,
                                   upload=upload_from(form), remove_attachment=form.remove_attachment.data,
                                   actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return _page(editing=row.id, edit_form=form, status=422)
    commit()
    return done(_("Message prédéfini enregistré."), "messaging.templates")


@bp.route("/console/messagerie/modeles/<int:template_id>/supprimer", methods=["POST"])
@staff_required(Role.practitioner)
def delete_template(template_id: int):
    row = predefined.get_template(practice_id=g.practice.id, template_id=template_id)
    if not ConfirmForm().validate_on_submit():
        return refused(_("Action non effectuée : rechargez la page."), "messaging.templates")
    predefined.delete_template(practice_id=g.practice.id, template_id=row.id, actor=current_actor())
    commit()
    return done(_("Message prédéfini supprimé."), "messaging.templates")


@bp.route("/console/messagerie/modeles/<int:template_id>/piece")
@staff_required()
def template_attachment(template_id: int):
    return send_message_file(predefined.get_template(practice_id=g.practice.id, template_id=template_id))
