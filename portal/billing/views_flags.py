"""The console's "À vérifier" list (issue 5): online payments the ledger could not settle by
itself (an excess, a paid session of no known file, an amount that differs, a payment whose
session is not paid), for every staff role (the secretariat handles payments, seed 000)."""
from __future__ import annotations

from flask import g
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts.forms import ConfirmForm
from portal.billing import bp, flags
from portal.core.auth import staff_required
from portal.core.db import commit
from portal.core.web import current_actor, done, refused, render


@bp.route("/console/paiements/a-verifier")
@staff_required()
def to_check():
    return render("billing/to_check.html", flags=flags.open_flags(g.practice.id), confirm=ConfirmForm())


@bp.route("/console/paiements/a-verifier/<int:flag_id>/traite", methods=["POST"])
@staff_required()
def resolve_flag(flag_id: int):
    if not ConfirmForm().validate_on_submit():
        return refused(_("Action non effectuée : rechargez la page."), "billing.to_check")
    changed = flags.resolve_flag(practice_id=g.practice.id, flag_id=flag_id, staff=current_user,
                                 actor=current_actor())
    commit()
    return done(_("Marqué comme traité.") if changed else _("Déjà traité."), "billing.to_check")


@bp.app_context_processor
def _console_context():
    def console_payment_flags() -> int:
        if not getattr(current_user, "is_authenticated", False) or current_user.kind != "staff":
            return 0
        return flags.open_count(current_user.practice_id)

    return {"console_payment_flags": console_payment_flags}
