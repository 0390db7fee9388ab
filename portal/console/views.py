"""Dashboard, team management (owner), audit journal."""
from __future__ import annotations

from flask import g, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.accounts import staff_admin
from portal.accounts.forms import ConfirmForm, InviteForm, RoleForm
from portal.accounts.models import Role
from portal.console import bp
from portal.core.auth import staff_required
from portal.core.db import commit
from portal.core.errors import DomainError
from portal.core.models import AuditEvent
from portal.core.web import current_actor, done, form_errors_from, id_arg, not_done, render
from portal.extensions import db
from portal.notify.models import OutboxMessage, OutboxStatus
from portal.patients.services import count_patients


@bp.route("/")
@staff_required()
def dashboard():
    failed = db.session.scalar(select(db.func.count(OutboxMessage.id)).where(
        OutboxMessage.practice_id == g.practice.id, OutboxMessage.status == OutboxStatus.failed))
    return render("console/dashboard.html", patients=count_patients(g.practice.id), failed_messages=failed)


def _team_page(form=None, status=200):
    return render("console/team.html", status=status, team=staff_admin.list_team(g.practice.id),
                  invites=staff_admin.pending_invitations(g.practice.id), form=form or InviteForm(),
                  role_form=RoleForm, confirm=ConfirmForm())


@bp.route("/equipe")
@staff_required(Role.owner)
def team():
    return _team_page()


@bp.route("/equipe/inviter", methods=["POST"])
@staff_required(Role.owner)
def team_invite():
    form = InviteForm()
    if not form.validate_on_submit():
        return _team_page(form, 422)
    try:
        staff_admin.invite_staff(practice_id=g.practice.id, email=form.email.data, role=Role(form.role.data),
                                 by=current_user, actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        form_errors_from(exc, form)
        return _team_page(form, 422)
    commit()
    return done(_("Invitation envoyée à %(email)s.", email=form.email.data), "console.team")


@bp.route("/equipe/<int:staff_id>/role", methods=["POST"])
@staff_required(Role.owner)
def team_role(staff_id: int):
    user = staff_admin.get_staff(practice_id=g.practice.id, staff_id=staff_id)
    form = RoleForm()
    if not form.validate_on_submit():
        not_done(_("Rôle inconnu."))
        return _team_page(status=422)
    try:
        staff_admin.change_role(user, Role(form.role.data), by=current_user, actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        not_done(exc.message)
        return _team_page(status=409)
    commit()
    return done(_("Rôle de %(name)s modifié.", name=user.full_name), "console.team")


@bp.route("/equipe/<int:staff_id>/acces", methods=["POST"])
@staff_required(Role.owner)
def team_access(staff_id: int):
    user = staff_admin.get_staff(practice_id=g.practice.id, staff_id=staff_id)
    if not ConfirmForm().validate_on_submit():
        return _team_page(status=400)
    enable = request.form.get("active") == "1"
    try:
        staff_admin.set_active(user, enable, by=current_user, actor=current_actor())
    except DomainError as exc:
        db.session.rollback()
        not_done(exc.message)
        return _team_page(status=409)
    commit()
    message = _("Compte de %(name)s réactivé.") if enable else _("Compte de %(name)s désactivé : ses sessions sont fermées.")
    return done(message % {"name": user.full_name}, "console.team")


@bp.route("/equipe/invitations/<int:invite_id>/annuler", methods=["POST"])
@staff_required(Role.owner)
def team_revoke_invite(invite_id: int):
    if not ConfirmForm().validate_on_submit():
        return _team_page(status=400)
    staff_admin.revoke_invitation(practice_id=g.practice.id, invite_id=invite_id, by=current_user,
                                  actor=current_actor())
    commit()
    return done(_("Invitation annulée."), "console.team")


@bp.route("/journal")
@staff_required(Role.owner)
def journal():
    before = id_arg("avant")
    q = select(AuditEvent).where(AuditEvent.practice_id == g.practice.id)
    if before:
        q = q.where(AuditEvent.id < before)
    events = list(db.session.scalars(q.order_by(AuditEvent.id.desc()).limit(100)))
    return render("console/journal.html", events=events)
