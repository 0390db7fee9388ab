"""The console's Paiements journal (seed 000 "Paiements": what patients paid on a given day; issue 5:
over any period too): the payments received between two dates and the refunds given back in
them (negative lines; a failed refund gave nothing back and is left out), totals by method, the
figures per day for the statistics chart, and the rows of the CSV export.

Every figure is computed by the database (GROUP BY) and the listing is read a page at a time, so
a month of a 20,000-patient practice costs the same few statements as a quiet day. Every query
is scoped to the practice. Read-only: nothing here writes, except `record_export`'s audit row."""
from __future__ import annotations

from dataclasses import dataclass, field
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
# In SQL a line's kind is a number: sorting a month on a text column costs a collation-aware
# comparison per pair (most of a deep page's time on PostgreSQL); 0 sorts payments first.
_KIND = {PAYMENT: 0, REFUND: 1}
_KIND_NAME = {0: PAYMENT, 1: REFUND}


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
    days: list[DayFigure] = field(default_factory=list)  # every day of the period, quiet ones too

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


# A refund counts under how its money went back (cash for a card payment refunded at the desk);
# refunds older than that column count under their payment's method.
_REFUND_METHOD = func.coalesce(Refund.method, Payment.method)


def _in_period(practice_id: int, start: date, end: date, method: PaymentMethod | None) -> tuple[list, list]:
    """The WHERE of each half: payments received in the period, refunds given back in it (a failed
    one gave nothing back), both of the practice, of one method when asked."""
    received = [Payment.practice_id == practice_id, Payment.paid_on >= start, Payment.paid_on <= end]
    given_back = [Refund.practice_id == practice_id, Refund.status != RefundStatus.failed,
                  Refund.refunded_on >= start, Refund.refunded_on <= end]
    if method is not None:
        received.append(Payment.method == method)
        given_back.append(_REFUND_METHOD == method)
    return received, given_back


def _order_keys(practice_id: int, start: date, end: date, method: PaymentMethod | None):
    """The period's lines as narrow rows (kind, id, day): what cutting a page needs, so sorting a
    month of a large practice stays in memory and cheap."""
    received, given_back = _in_period(practice_id, start, end, method)
    return union_all(
        select(literal(_KIND[PAYMENT]).label("kind"), Payment.id.label("id"), Payment.paid_on.label("day"))
        .where(*received),
        select(literal(_KIND[REFUND]), Refund.id, Refund.refunded_on)
        .join(Payment, Payment.id == Refund.payment_id).where(*given_back)).subquery()


def _lines_query(practice_id: int, start: date, end: date, method: PaymentMethod | None, keys=None):
    """Payments and refunds of the period as one UNION ALL with every column a line shows; not
    ordered. `keys`: a CTE of (kind, id) the lines are restricted to (one page)."""
    received, given_back = _in_period(practice_id, start, end, method)
    if keys is not None:
        received.append(Payment.id.in_(select(keys.c.id).where(keys.c.kind == _KIND[PAYMENT])))
        given_back.append(Refund.id.in_(select(keys.c.id).where(keys.c.kind == _KIND[REFUND])))
    refunded = _refunded_per_payment(practice_id)
    return union_all(
        select(literal(_KIND[PAYMENT]).label("kind"), Payment.id.label("id"), Payment.paid_on.label("day"),
               Payment.patient_id.label("patient_id"), Payment.payer_name.label("payer_name"),
               Payment.method.label("method"), Payment.reference.label("reference"),
               Payment.amount_cents.label("amount"), Payment.recorded_by_id.label("recorded_by_id"),
               Payment.note.label("note"), func.coalesce(refunded.c.cents, 0).label("refunded"))
        .outerjoin(refunded, refunded.c.payment_id == Payment.id).where(*received),
        select(literal(_KIND[REFUND]), Refund.id, Refund.refunded_on, Refund.patient_id, Payment.payer_name,
               _REFUND_METHOD, func.coalesce(Refund.stripe_refund_id, Payment.reference), -Refund.amount_cents,
               Refund.recorded_by_id, Refund.reason, literal_column("0"))
        .join(Payment, Payment.id == Refund.payment_id).where(*given_back)).subquery()


def _named(rows):
    """The lines in journal order (day, payments before refunds, then entry order) with the patient's
    and the recorder's names."""
    return (select(rows, Patient.first_name, Patient.last_name, StaffUser.first_name.label("staff_first"),
                   StaffUser.last_name.label("staff_last"), StaffUser.email)
            .join(Patient, Patient.id == rows.c.patient_id)
            .outerjoin(StaffUser, StaffUser.id == rows.c.recorded_by_id)
            .order_by(rows.c.day, rows.c.kind, rows.c.id))


def _line(row) -> Line:
    # Unpacked by position: a CSV of a month builds tens of thousands of lines, and a Row's
    # attributes by name cost several times more than a tuple's items.
    (kind, id_, day, patient_id, payer_name, method, reference, amount, _recorder, note, refunded,
     first_name, last_name, staff_first, staff_last, email) = row
    staff = f"{staff_first or ''} {staff_last or ''}".strip() or (email or "")
    return Line(_KIND_NAME[kind], id_, day, patient_id, f"{first_name} {last_name}", payer_name or "",
                PaymentMethod(method), reference or "", int(amount), staff, note or "", int(refunded or 0))


def _grouped(practice_id: int, start: date, end: date, method: PaymentMethod | None) -> list[tuple]:
    """(day, method, payments, received, refunds, refunded) per day and method of the period, from
    which both the totals and the days are summed: two GROUP BYs (payments on their day index,
    then the few refunds), at most days × 5 groups each. Grouping each table apart, rather than
    their UNION, halves the time on SQLite, which materialises a UNION before grouping it."""
    received, given_back = _in_period(practice_id, start, end, method)
    paid = db.session.execute(
        select(Payment.paid_on, Payment.method, func.count(), func.sum(Payment.amount_cents))
        .where(*received).group_by(Payment.paid_on, Payment.method))
    groups = [(day, PaymentMethod(m), int(n), int(cents), 0, 0) for day, m, n, cents in paid]
    back = db.session.execute(
        select(Refund.refunded_on, _REFUND_METHOD, func.count(), func.sum(Refund.amount_cents))
        .join(Payment, Payment.id == Refund.payment_id).where(*given_back)
        .group_by(Refund.refunded_on, _REFUND_METHOD))
    return groups + [(day, PaymentMethod(m), 0, 0, int(n), int(cents)) for day, m, n, cents in back]


def _by_method(groups: list[tuple]) -> list[MethodTotal]:
    found: dict[PaymentMethod, MethodTotal] = {}
    for _day, m, n, r, k, b in groups:
        t = found.setdefault(m, MethodTotal(m))
        t.payments, t.received, t.refunds, t.refunded = t.payments + n, t.received + r, t.refunds + k, t.refunded + b
    return [found[m] for m in METHOD_ORDER if m in found]


def _by_day(groups: list[tuple], start: date, end: date) -> list[DayFigure]:
    days = {start + timedelta(days=i): DayFigure(start + timedelta(days=i), 0, 0, 0)
            for i in range((end - start).days + 1)}
    for day, _m, n, r, _k, b in groups:
        figure = days[day]
        figure.payments, figure.received, figure.refunded = figure.payments + n, figure.received + r, figure.refunded + b
    return list(days.values())


def totals_by_method(*, practice_id: int, start: date, end: date,
                     method: PaymentMethod | None = None) -> list[MethodTotal]:
    """Per method: how many payments and how much received, how many refunds and how much given
    back, in the period. Two statements (GROUP BY); methods with nothing are left out."""
    return _by_method(_grouped(practice_id, start, end, method))


def payments_between(practice_id: int, start: date, end: date, method: PaymentMethod | None = None, *,
                     page: int = 1, page_size: int = PAGE_SIZE) -> Journal:
    """The journal of `start`..`end` inclusive (optionally one method): its totals by method and
    the lines of `page` (1-based; past the last page: the last one), and its figures per day.
    Raises `Invalid` on a bad period (`check_period`). Three statements whatever the number of lines."""
    check_period(start, end)
    groups = _grouped(practice_id, start, end, method)
    journal = Journal(start, end, method, _by_method(groups), [], 1, page_size, _by_day(groups, start, end))
    journal.page = min(max(page, 1), journal.pages)
    if journal.count:
        # The page is cut on narrow rows (kind, id, day), then only its lines are read in full:
        # sorting every wide line of a month to keep a hundred of them spilled to disk.
        narrow = _order_keys(practice_id, start, end, method)
        keys = (select(narrow.c.kind, narrow.c.id).order_by(narrow.c.day, narrow.c.kind, narrow.c.id)
                .limit(page_size).offset((journal.page - 1) * page_size).cte("page_keys"))
        journal.lines = [_line(r) for r in db.session.execute(
            _named(_lines_query(practice_id, start, end, method, keys=keys)))]
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
    and the amount refunded. Two statements (GROUP BY). Raises `Invalid` on a bad period."""
    check_period(start, end)
    return _by_day(_grouped(practice_id, start, end, method), start, end)


def record_export(*, practice_id: int, start: date, end: date, method: PaymentMethod | None, lines: int,
                  actor: Actor) -> None:
    """Audit a CSV export of the journal (DESIGN invariant 9: exports are audited): the period,
    the method filter and how many lines left the building."""
    audit.record("billing.payments_exported", actor=actor, practice_id=practice_id,
                 details={"start": start.isoformat(), "end": end.isoformat(),
                          "method": method.value if method else None, "lines": lines})

