"""The console's Paiements page (seed 000 "Paiements": the payments of a day; issue 5: of any
period, by method, with a CSV export and a chart of the days). Every staff role may see it (the
secretariat handles payments, as on a patient's Paiements tab). The practice's "Paiements" option
decides what patients see (seed 000); the console's accounting stays whatever it says, like the
patient's tab. A bad period comes back in place (422) as it was typed."""
from __future__ import annotations

from datetime import timedelta

from flask import g, request
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from portal.billing import bp, journal, services
from portal.billing.forms import JournalForm
from portal.billing.models import PaymentMethod
from portal.console import charts
from portal.core.auth import staff_required
from portal.core.db import commit
from portal.core.errors import Invalid
from portal.core.exports import amount_cell, csv_response, date_cell
from portal.core.labels import PAYMENT_METHOD
from portal.core.web import current_actor, form_errors_from, render

PREFIX = "/console/paiements"
PAGE, ROOT = "billing/payments.html", "payments-journal"


def _form() -> JournalForm:
    """The period asked for: today by default; a missing end is the start's day."""
    args = MultiDict(request.args)
    if "du" not in args and "au" not in args:
        today = services.practice_today(g.practice).isoformat()
        args["du"] = args["au"] = today
    elif not args.get("au"):
        args["au"] = args.get("du", "")
    return JournalForm(formdata=args)


def _period(form: JournalForm):
    """(start, end, method) when the form holds a valid period, else None with the errors on it."""
    if not form.validate():
        return None
    try:
        journal.check_period(form.start.data, form.end.data)
    except Invalid as exc:
        form_errors_from(exc, form)
        return None
    return form.start.data, form.end.data, PaymentMethod(form.method.data) if form.method.data else None


def _page(form, status=200, **ctx):
    ctx = {"journal": None, "days": None, "chart": None, "today": services.practice_today(g.practice), **ctx}
    return render(PAGE, fragment="billing/_journal.html", target=ROOT, status=status, form=form, **ctx)


@bp.route(PREFIX)
@staff_required()
def payments():
    """The payments of a day (today by default) or of a period: totals by method, the lines a
    page at a time, and for a period the chart of the days."""
    form = _form()
    period = _period(form)
    if period is None:
        return _page(form, 422)
    start, end, method = period
    result = journal.payments_between(g.practice.id, start, end, method, page=request.args.get("page", 1, type=int))
    days = None if result.one_day else result.days
    chart = charts.bar_chart([(d.day, round(d.received / 100)) for d in days]) if days else None
    return _page(form, journal=result, days=days, chart=chart, day_before=start - timedelta(days=1),
                 day_after=start + timedelta(days=1))


@bp.route(f"{PREFIX}/export.csv")
@staff_required()
def payments_csv():
    """The period's lines as a CSV file for a spreadsheet (French Excel), audited as an export."""
    form = _form()
    period = _period(form)
    if period is None:
        return _page(form, 422)
    start, end, method = period
    count = sum(t.payments + t.refunds for t in journal.totals_by_method(
        practice_id=g.practice.id, start=start, end=end, method=method))
    journal.record_export(practice_id=g.practice.id, start=start, end=end, method=method, lines=count,
                          actor=current_actor())
    commit()
    methods = {m: str(PAYMENT_METHOD[m.value]) for m in PaymentMethod}  # translated once, not per line
    header = [_("Date"), _("Type"), _("Patient"), _("Payé par"), _("Moyen de paiement"), _("Référence"),
              _("Montant (€)"), _("Dont remboursé (€)"), _("Enregistré par"), _("Note")]
    kinds = {journal.PAYMENT: _("Règlement"), journal.REFUND: _("Remboursement")}
    rows = ([date_cell(line.day), kinds[line.kind], line.patient_name, line.payer_name,
             methods[line.method], line.reference, amount_cell(line.amount_cents),
             amount_cell(line.refunded_cents) if line.refunded_cents else "", line.recorded_by, line.note]
            for line in journal.all_lines(g.practice.id, start, end, method))
    name = f"paiements-{start:%Y-%m-%d}" + ("" if start == end else f"-au-{end:%Y-%m-%d}") + ".csv"
    return csv_response(name, header, rows)
