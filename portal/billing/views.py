"""The patient space's "Mes paiements" (seed 000): the file's installments and fees with their
details, a warning on what is overdue, and the balance due. Read-only in this slice: online
payment ("Régler en ligne") is offered by the Stripe part."""
from __future__ import annotations

from flask import g

from portal.billing import bp, services
from portal.core.auth import module_required, patient_required
from portal.core.web import render


@bp.route("/paiements")
@patient_required
@module_required("payments")
def index():
    """The file shown's ledger at the practice's today; with the option "Afficher que les
    échéances dues", installments not yet due are left out."""
    today = services.practice_today(g.practice)
    ledger = services.ledger(practice_id=g.practice.id, patient_id=g.patient.id, at=today,
                             due_only=g.practice.module_on("payments_due_only"))
    return render("billing/index.html", ledger=ledger, today=today)


@bp.app_template_filter("money")
def money_filter(cents: int | None) -> str:
    return services.money(cents)
