"""The console's Paiements journal (seed 000 "Paiements": what patients paid on a given day; issue 5:
over any period too): the payments received between two dates and the refunds given back in
them (negative lines; a failed refund gave nothing back and is left out), totals by method, the
figures per day for the statistics chart, and the rows of the CSV export.

Every figure is computed by the database (GROUP BY) and the listing is read a page at a time, so
a month of a 20,000-patient practice costs the same few statements as a quiet day. Every query
is scoped to the practice. Read-only: nothing here writes, except `record_export`'s audit row."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterator

from flask_babel import gettext as _
from sqlalchemy import func, literal, literal_column, select, union_all

from portal.accounts.models import StaffUser
from portal.billing.models import Payment, PaymentMethod, Refund, RefundStatus
from portal.core import audit
from portal.core.audit import Actor
from portal.core.errors import Invalid
from portal.extensions import db
from portal.patients.models import Patient

PAGE_SIZE = 100
MAX_DAYS = 366  # a year, leap day included: longer periods are a report, not a screen
METHOD_ORDER = (PaymentMethod.cheque, PaymentMethod.card, PaymentMethod.transfer, PaymentMethod.cash,
                PaymentMethod.online)
PAYMENT, REFUND = "payment", "refund"


@dataclass
class Line:
    """One line of the journal: a payment received, or a refund (its amount negative)."""

    kind: str
    id: int
    day: date
    patient_id: int
    patient_name: str
    payer_name: str
    method: PaymentMethod
    reference: str
    amount_cents: int
    recorded_by: str
    note: str
    refunded_cents: int  # payments: what was given back of it, at any date (failed refunds count for nothing)

    @property
    def is_refund(self) -> bool:
        return self.kind == REFUND


@dataclass
class MethodTotal:
    method: PaymentMethod
    payments: int = 0   # how many payments
    received: int = 0   # cents
    refunds: int = 0
    refunded: int = 0   # cents, positive

    @property
    def net(self) -> int:
        return self.received - self.refunded


@dataclass
class Journal:
    """The period's totals by method (every method that moved money, in a fixed order) and one page
    of its lines."""

    start: date
    end: date
    method: PaymentMethod | None
    by_method: list[MethodTotal]
    lines: list[Line]
    page: int
    page_size: int = PAGE_SIZE

    @property
    def received(self) -> int:
        return sum(t.received for t in self.by_method)

    @property
    def refunded(self) -> int:
        return sum(t.refunded for t in self.by_method)

    @property
    def net(self) -> int:
        return self.received - self.refunded

    @property
    def count(self) -> int:
        return sum(t.payments + t.refunds for t in self.by_method)

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.page_size))

    @property
    def one_day(self) -> bool:
        return self.start == self.end


@dataclass
class DayFigure:
    day: date
    payments: int
    received: int
    refunded: int

    @property
    def net(self) -> int:
        return self.received - self.refunded


def check_period(start: date | None, end: date | None) -> None:
    """Raise `Invalid` (on the field concerned) when the period is missing, reversed, or longer
    than `MAX_DAYS`."""
    if start is None:
        raise Invalid(_("Saisissez une date de début valide."), "start")
    if end is None:
        raise Invalid(_("Saisissez une date de fin valide."), "end")
    if end < start:
        raise Invalid(_("La date de fin doit suivre la date de début."), "end")
    if (end - start).days + 1 > MAX_DAYS:
        raise Invalid(_("Choisissez une période de %(days)d jours au plus.", days=MAX_DAYS), "end")


def _refunded_per_payment(practice_id: int):
    """What each payment of the practice has had given back (refunds are few: one small GROUP BY)."""
    return (select(Refund.payment_id, func.sum(Refund.amount_cents).label("cents"))
            .where(Refund.practice_id == practice_id, Refund.status != RefundStatus.failed)
            .group_by(Refund.payment_id).subquery())


def _lines_query(practice_id: int, start: date, end: date, method: PaymentMethod | None):
    """Payments and refunds of the period as one UNION ALL with the same columns; not ordered."""
    refunded = _refunded_per_payment(practice_id)
    received = (select(literal(PAYMENT).label("kind"), Payment.id.label("id"), Payment.paid_on.label("day"),
                       Payment.patient_id.label("patient_id"), Payment.payer_name.label("payer_name"),
                       Payment.method.label("method"), Payment.reference.label("reference"),
                       Payment.amount_cents.label("amount"), Payment.recorded_by_id.label("recorded_by_id"),
                       Payment.note.label("note"), func.coalesce(refunded.c.cents, 0).label("refunded"))
                .outerjoin(refunded, refunded.c.payment_id == Payment.id)
                .where(Payment.practice_id == practice_id, Payment.paid_on >= start, Payment.paid_on <= end))
    given_back = (select(literal(REFUND), Refund.id, Refund.refunded_on, Refund.patient_id, Payment.payer_name,
                         Payment.method, func.coalesce(Refund.stripe_refund_id, Payment.reference),
                         -Refund.amount_cents, Refund.recorded_by_id, Refund.reason, literal_column("0"))
                  .join(Payment, Payment.id == Refund.payment_id)
                  .where(Refund.practice_id == practice_id, Refund.status != RefundStatus.failed,
                         Refund.refunded_on >= start, Refund.refunded_on <= end))
    if method is not None:
        received, given_back = received.where(Payment.method == method), given_back.where(Payment.method == method)
    return union_all(received, given_back).subquery()


def _named(rows, *, limit: int | None = None, offset: int = 0):
    """The lines in journal order (day, payments before refunds, then entry order) with the patient's
    and the recorder's names, joined after the page is cut so only its rows are looked up."""
    order = (rows.c.day, rows.c.kind, rows.c.id)
    if limit is not None:
        rows = select(rows).order_by(*order).limit(limit).offset(offset).subquery()
        order = (rows.c.day, rows.c.kind, rows.c.id)
    return (select(rows, Patient.first_name, Patient.last_name, StaffUser.first_name.label("staff_first"),
                   StaffUser.last_name.label("staff_last"), StaffUser.email)
            .join(Patient, Patient.id == rows.c.patient_id)
            .outerjoin(StaffUser, StaffUser.id == rows.c.recorded_by_id)
            .order_by(*order))


def _line(row) -> Line:
    staff = f"{row.staff_first or ''} {row.staff_last or ''}".strip() or (row.email or "")
    return Line(kind=row.kind, id=row.id, day=row.day, patient_id=row.patient_id,
                patient_name=f"{row.first_name} {row.last_name}", payer_name=row.payer_name or "",
                method=PaymentMethod(row.method), reference=row.reference or "", amount_cents=int(row.amount),
                recorded_by=staff, note=row.note or "", refunded_cents=int(row.refunded or 0))


def totals_by_method(*, practice_id: int, start: date, end: date,
                     method: PaymentMethod | None = None) -> list[MethodTotal]:
    """Per method: how many payments and how much received, how many refunds and how much given
    back, in the period. One statement (GROUP BY); methods with nothing are left out."""
    rows = _lines_query(practice_id, start, end, method)
    is_payment = rows.c.kind == PAYMENT
    grouped = db.session.execute(
        select(rows.c.method,
               func.count().filter(is_payment),
               func.coalesce(func.sum(rows.c.amount).filter(is_payment), 0),
               func.count().filter(~is_payment),
               func.coalesce(-func.sum(rows.c.amount).filter(~is_payment), 0))
        .group_by(rows.c.method))
    found = {PaymentMethod(m): MethodTotal(PaymentMethod(m), int(n), int(r), int(k), int(b))
             for m, n, r, k, b in grouped}
    return [found[m] for m in METHOD_ORDER if m in found]


def payments_between(practice_id: int, start: date, end: date, method: PaymentMethod | None = None, *,
                     page: int = 1, page_size: int = PAGE_SIZE) -> Journal:
    """The journal of `start`..`end` inclusive (optionally one method): its totals by method and
    the lines of `page` (1-based; past the last page: the last one). Raises `Invalid` on a bad
    period (`check_period`). Two statements whatever the number of lines."""
    check_period(start, end)
    by_method = totals_by_method(practice_id=practice_id, start=start, end=end, method=method)
    journal = Journal(start, end, method, by_method, [], 1, page_size)
    journal.page = min(max(page, 1), journal.pages)
    if journal.count:
        rows = _lines_query(practice_id, start, end, method)
        query = _named(rows, limit=page_size, offset=(journal.page - 1) * page_size)
        journal.lines = [_line(r) for r in db.session.execute(query)]
    return journal


def all_lines(practice_id: int, start: date, end: date, method: PaymentMethod | None = None,
              chunk: int = 1000) -> Iterator[Line]:
    """Every line of the period in journal order, read from the database `chunk` rows at a time
    (a server-side cursor on PostgreSQL), for the CSV export. Raises `Invalid` on a bad period."""
    check_period(start, end)
    query = _named(_lines_query(practice_id, start, end, method)).execution_options(yield_per=chunk)
    for row in db.session.execute(query):
        yield _line(row)


def per_day(practice_id: int, start: date, end: date, method: PaymentMethod | None = None) -> list[DayFigure]:
    """Every day of the period (quiet days too) with its number of payments, the amount received
    and the amount refunded. One statement (GROUP BY day). Raises `Invalid` on a bad period."""
    check_period(start, end)
    rows = _lines_query(practice_id, start, end, method)
    is_payment = rows.c.kind == PAYMENT
    found = {day: (int(n), int(r), int(b)) for day, n, r, b in db.session.execute(
        select(rows.c.day, func.count().filter(is_payment),
               func.coalesce(func.sum(rows.c.amount).filter(is_payment), 0),
               func.coalesce(-func.sum(rows.c.amount).filter(~is_payment), 0)).group_by(rows.c.day))}
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    return [DayFigure(d, *found.get(d, (0, 0, 0))) for d in days]


def record_export(*, practice_id: int, start: date, end: date, method: PaymentMethod | None, lines: int,
                  actor: Actor) -> None:
    """Audit a CSV export of the journal (DESIGN invariant 9: exports are audited): the period,
    the method filter and how many lines left the building."""
    audit.record("billing.payments_exported", actor=actor, practice_id=practice_id,
                 details={"start": start.isoformat(), "end": end.isoformat(),
                          "method": method.value if method else None, "lines": lines})

