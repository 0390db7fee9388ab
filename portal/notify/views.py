"""'Messages envoyés': every SMS and e-mail of the practice, its status and SMS cost."""
from __future__ import annotations

from flask import g, request
from flask_babel import gettext as _

from portal.accounts.forms import ConfirmForm
from portal.core.auth import staff_required
from portal.core.db import commit
from portal.core.web import done, id_arg, render
from portal.notify import bp, services
from portal.notify.models import Channel, OutboxStatus


@bp.route("/")
@staff_required()
def index():
    channel = request.args.get("canal")
    status = request.args.get("statut")
    messages = services.list_messages(
        practice_id=g.practice.id,
        channel=Channel(channel) if channel in Channel._value2member_map_ else None,
        status=OutboxStatus(status) if status in OutboxStatus._value2member_map_ else None,
        before_id=id_arg("avant"),
    )
    return render("notify/index.html", fragment="notify/_table.html", target="outbox-table",
                  messages=messages, channel=channel, status_filter=status, confirm=ConfirmForm())


@bp.route("/<int:message_id>/renvoyer", methods=["POST"])
@staff_required()
def retry(message_id: int):
    if ConfirmForm().validate_on_submit():
        services.retry_message(practice_id=g.practice.id, message_id=message_id)
        commit()
    return done(_("Le message va être renvoyé."), "notify.index")
