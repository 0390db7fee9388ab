"""The ledger's rules: items a patient's file owes (schedule installments and fees), payments
allocated to them (oldest due first, or to chosen items), and the balance due at a date, all
computed from items and allocations. Amounts are integer cents. Every change is audited.

`record_payment` is the one way money enters the ledger: the console's offline payments call
it, and the online payment (a verified Stripe event) calls it with `method=PaymentMethod.online`.
A desk payment may be corrected or deleted until it is refunded (`update_payment`,
`delete_payment`); refunds live in `portal.billing.refunds`."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.numbers import format_currency
from flask_babel import get_locale, gettext as _
from sqlalchemy import func, select, union_all
from sqlalchemy.orm import selectinload

from portal.billing.models import (OFFLINE_METHODS, Allocation, BillingItem, ItemKind, Payment, PaymentMethod, Refund,
                                   RefundPart, RefundStatus)
from portal.core import audit
from portal.core.audit import Actor
from portal.core.errors import Invalid, NotFound
from portal.core.models import AuditEvent
from portal.extensions import db
from portal.patients.models import Patient, Responsible, ResponsibleRole

LABEL_MAX, REFERENCE_MAX, NOTE_MAX = 120, 80, 2000
AMOUNT_MAX = 10_000_000  # 100 000,00 €: beyond is a typing slip, not an orthodontic fee
FINANCIAL = "financial"  # add_item's default owner: the file's financial responsible
_AMOUNT = re.compile(r"^(\d{1,9})(?:[.,](\d{1,2}))?$")


@dataclass
class ItemLine:
    """An item with what was paid on it (up to the ledger's date) and what remains."""

    item: BillingItem
    paid: int
    at: date

    @property
    def remaining(self) -> int:
        return self.item.amount_cents - self.paid

    @property
    def overdue(self) -> bool:
        return self.item.due_date < self.at and self.remaining > 0

    @property
    def due(self) -> bool:
        return self.item.due_date <= self.at


@dataclass
class Ledger:
    """A patient's file at a date: its installments and fees with paid and remaining, the
    payments, the balance due at that date and what remains in all (installments to come too)."""

    at: date
    installments: list[ItemLine] = field(default_factory=list)
    fees: list[ItemLine] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)

    @property
    def lines(self) -> list[ItemLine]:
        return self.installments + self.fees

    @property
    def balance_due(self) -> int:
        return sum(line.remaining for line in self.lines if line.due)

    @property
    def total_remaining(self) -> int:
        return sum(line.remaining for line in self.lines)

    @property
    def overdue(self) -> int:
        return sum(line.remaining for line in self.lines if line.overdue)


def money(cents: int | None) -> str:
    """Cents as the reader's currency text: 39000 → "390,00 €" in French (template filter `money`)."""
    return _money(cents or 0, str(get_locale() or "fr"))


@lru_cache(maxsize=16384)
def _money(cents: int, locale: str) -> str:
    # Babel's formatting costs ~15 µs a call and a file of 240 items shows ~1,000 amounts: the
    # text depends on the amount and the language only, so it is kept.
    return format_currency(Decimal(cents) / 100, "EUR", locale=locale)


def parse_amount(text: str | None, field_name: str = "amount") -> int:
    """A typed amount ("390", "390,5", "1 234,56 €") in cents. Raises `Invalid` on `field_name`
    when it is not a positive amount of at most two decimals."""
    raw = re.sub(r"[\s\u00a0\u202f€]", "", text or "")
    match = _AMOUNT.match(raw)
    if not raw:
        raise Invalid(_("Indiquez un montant."), field_name)
    if not match:
        raise Invalid(_("Montant invalide : écrivez par exemple 390 ou 390,50."), field_name)
    cents = int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))
    if cents <= 0:
        raise Invalid(_("Le montant doit être supérieur à zéro."), field_name)
    if cents > AMOUNT_MAX:
        raise Invalid(_("Montant trop élevé."), field_name)
    return cents


def practice_today(practice) -> date:
    """Today's date where the practice is (a due date passes at its local midnight)."""
    return datetime.now(ZoneInfo(practice.timezone)).date()


def ledger(*, practice_id: int, patient_id: int, at: date, due_only: bool = False,
           with_details: bool = False) -> Ledger:
    """The file's ledger at `at`: three statements whatever the number of items (items, paid per
    item up to `at`, payments). `due_only` leaves out the installments not yet due (the option
    "Afficher que les échéances dues"); `with_details` loads the payments' refunds and who
    recorded them, two statements more (the console's tab)."""
    items = list(db.session.scalars(
        select(BillingItem).where(BillingItem.practice_id == practice_id, BillingItem.patient_id == patient_id)
        .order_by(BillingItem.due_date, BillingItem.id)))
    paid = paid_per_item(practice_id=practice_id, patient_id=patient_id, at=at)
    result = Ledger(at=at)
    for item in items:
        line = ItemLine(item, paid.get(item.id, 0), at)
        if item.kind is ItemKind.installment:
            if not due_only or line.due:
                result.installments.append(line)
        else:
            result.fees.append(line)
    payments = (select(Payment).where(Payment.practice_id == practice_id, Payment.patient_id == patient_id)
                .order_by(Payment.paid_on.desc(), Payment.id.desc()))
    if with_details:  # the console lists each payment's refunds and who recorded them: no query per row
        payments = payments.options(selectinload(Payment.refunds).selectinload(Refund.recorded_by),
                                    selectinload(Payment.recorded_by))
    result.payments = list(db.session.scalars(payments))
    return result


def paid_subquery(*, practice_id: int, patient_id: int | None = None, item_ids: list[int] | None = None,
                  at: date | None = None):
    """A subquery (item_id, paid) of what each item has received net of refunds: allocations of
    payments made on or before `at`, less the parts of refunds made on or before `at` (a failed
    refund takes nothing back). Join it to `BillingItem` wherever "paid" or "remaining" is needed,
    so every page, reminder and link counts refunds the same way."""
    given = (select(Allocation.item_id.label("item_id"), Allocation.amount_cents.label("cents"))
             .join(Payment, Payment.id == Allocation.payment_id).where(Allocation.practice_id == practice_id))
    taken = (select(RefundPart.item_id.label("item_id"), (-RefundPart.amount_cents).label("cents"))
             .join(Refund, Refund.id == RefundPart.refund_id)
             .where(RefundPart.practice_id == practice_id, Refund.status != RefundStatus.failed))
    if patient_id is not None:
        given, taken = given.where(Payment.patient_id == patient_id), taken.where(Refund.patient_id == patient_id)
    if item_ids is not None:
        given, taken = given.where(Allocation.item_id.in_(item_ids)), taken.where(RefundPart.item_id.in_(item_ids))
    if at is not None:
        given, taken = given.where(Payment.paid_on <= at), taken.where(Refund.refunded_on <= at)
    both = union_all(given, taken).subquery()
    return select(both.c.item_id, func.sum(both.c.cents).label("paid")).group_by(both.c.item_id).subquery()


def paid_per_item(*, practice_id: int, patient_id: int | None = None, item_ids: list[int] | None = None,
                  at: date | None = None) -> dict[int, int]:
    """What each item has received net of refunds (see `paid_subquery`), in one statement. Items
    without money are absent."""
    paid = paid_subquery(practice_id=practice_id, patient_id=patient_id, item_ids=item_ids, at=at)
    return {item_id: int(cents) for item_id, cents in db.session.execute(select(paid.c.item_id, paid.c.paid))
            if cents}


def balance_due(*, practice_id: int, patient_id: int, at: date) -> int:
    """The balance due at `at` ("Solde restant dû : 390,00 € au 02/04/2026"): what the items due
    on or before `at` still lack, counting only payments made on or before `at`."""
    return ledger(practice_id=practice_id, patient_id=patient_id, at=at).balance_due


def get_item(*, practice_id: int, patient_id: int, item_id: int) -> BillingItem:
    """One item of this file in this practice. Raises `NotFound` for any other id."""
    item = db.session.scalar(select(BillingItem).where(
        BillingItem.id == item_id, BillingItem.practice_id == practice_id, BillingItem.patient_id == patient_id))
    if item is None:
        raise NotFound()
    return item


def default_responsible(patient) -> Responsible | None:
    """Who owes an item unless staff say otherwise: the financial responsible, else nobody (the
    patient themselves)."""
    return next((r for r in patient.responsibles if r.role is ResponsibleRole.financial), None)


def _responsible(patient, responsible_id: int | None, field_name: str) -> Responsible | None:
    if not responsible_id:
        return None
    found = next((r for r in patient.responsibles if r.id == responsible_id), None)
    if found is None:
        raise Invalid(_("Choisissez un responsable de ce patient."), field_name)
    return found


def _check_item(label: str, amount_cents: int, due_date: date | None) -> str:
    label = (label or "").strip()
    if not label:
        raise Invalid(_("Indiquez un libellé."), "label")
    if len(label) > LABEL_MAX:
        raise Invalid(_("Libellé trop long (%(max)d caractères au plus).", max=LABEL_MAX), "label")
    if not amount_cents or amount_cents <= 0 or amount_cents > AMOUNT_MAX:
        raise Invalid(_("Le montant doit être supérieur à zéro."), "amount")
    if due_date is None:
        raise Invalid(_("Indiquez la date d'échéance."), "due_date")
    return label


def add_item(*, practice, patient, kind: ItemKind, label: str, amount_cents: int, due_date: date | None,
             care_date: date | None = None, processed: bool = False, responsible_id: int | None | str = FINANCIAL,
             actor: Actor) -> BillingItem:
    """Add an installment or a fee to the file. Who owes it: `responsible_id` (one of the
    patient's responsibles; None: the patient), the financial responsible by default. Raises `Invalid` on a
    missing label, amount or due date. Audited."""
    label = _check_item(label, amount_cents, due_date)
    owner = (default_responsible(patient) if responsible_id == FINANCIAL
             else _responsible(patient, responsible_id, "responsible_id"))
    item = BillingItem(practice_id=practice.id, patient_id=patient.id, kind=kind, label=label,
                       amount_cents=amount_cents, due_date=due_date, care_date=care_date,
                       processed=processed and kind is ItemKind.installment,
                       responsible_id=owner.id if owner else None)
    db.session.add(item)
    db.session.flush()
    audit.record("billing.item_added", actor=actor, practice_id=practice.id, target=item,
                 details={"patient_id": patient.id, "kind": kind.value, "amount_cents": amount_cents})
    return item


def _paid_on(item: BillingItem) -> int:
    return paid_per_item(practice_id=item.practice_id, item_ids=[item.id]).get(item.id, 0)


def update_item(*, practice, patient, item: BillingItem, label: str, amount_cents: int, due_date: date | None,
                care_date: date | None, processed: bool, responsible_id: int | None, actor: Actor) -> BillingItem:
    """Change an item. Raises `Invalid` as `add_item` does, and when the new amount is below
    what was already paid on it. Audited with the amounts before and after."""
    label = _check_item(label, amount_cents, due_date)
    paid = _paid_on(item)
    if amount_cents < paid:
        raise Invalid(_("Le montant ne peut pas être inférieur à ce qui a déjà été réglé (%(paid)s).",
                        paid=money(paid)), "amount")
    owner = _responsible(patient, responsible_id, "responsible_id")
    before = item.amount_cents
    item.label, item.amount_cents, item.due_date, item.care_date = label, amount_cents, due_date, care_date
    item.processed = processed and item.kind is ItemKind.installment
    item.responsible_id = owner.id if owner else None
    audit.record("billing.item_changed", actor=actor, practice_id=practice.id, target=item,
                 details={"patient_id": patient.id, "amount_before": before, "amount_cents": amount_cents})
    return item


def delete_item(*, practice, item: BillingItem, actor: Actor) -> None:
    """Remove an item entered by mistake. Raises `Invalid` when a payment was allocated to it
    (the money would vanish from the ledger). Audited."""
    # Any allocation, even one refunded since, ties the item to a payment's history: keep it.
    if db.session.scalar(select(Allocation.id).where(Allocation.item_id == item.id).limit(1)):
        raise Invalid(_("Des règlements sont affectés à « %(label)s » : il ne peut pas être supprimé.",
                        label=item.label))
    audit.record("billing.item_deleted", actor=actor, practice_id=practice.id, target=item,
                 details={"patient_id": item.patient_id, "label": item.label, "amount_cents": item.amount_cents})
    db.session.delete(item)
    db.session.flush()


def _open_items(practice_id: int, patient_id: int, item_ids: list[int] | None,
                due_by: date | None = None) -> list[tuple[BillingItem, int]]:
    """The file's items that still lack money, oldest due first, with what each lacks (only those
    due by `due_by` when given). Locked for this transaction on PostgreSQL, so two payments at
    once cannot both settle one item."""
    query = (select(BillingItem).where(BillingItem.practice_id == practice_id, BillingItem.patient_id == patient_id)
             .order_by(BillingItem.due_date, BillingItem.id).with_for_update())
    if due_by is not None:
        query = query.where(BillingItem.due_date <= due_by)
    if item_ids is not None:
        query = query.where(BillingItem.id.in_(item_ids))
    items = list(db.session.scalars(query))
    if item_ids is not None and len(items) != len(set(item_ids)):
        raise NotFound()
    paid = paid_per_item(practice_id=practice_id, item_ids=[i.id for i in items]) if items else {}
    return [(i, i.amount_cents - paid.get(i.id, 0)) for i in items if i.amount_cents > paid.get(i.id, 0)]


def remaining_on_items(*, practice_id: int, patient_id: int, item_ids: list[int]) -> int:
    """What these items of the file still lack, together (0 when one of them is not this file's:
    a payment meant for them cannot be allocated)."""
    try:
        return sum(remaining for _item, remaining in _open_items(practice_id, patient_id, item_ids))
    except NotFound:
        return 0


def _check_payment(practice, patient, amount_cents: int, paid_on: date | None, payer_id: int | None,
                   reference: str, note: str) -> tuple[Responsible | None, str, str]:
    """The checks a payment's fields pass, recorded or changed: the payer and the cleaned texts."""
    if amount_cents is None or amount_cents <= 0:
        raise Invalid(_("Le montant doit être supérieur à zéro."), "amount")
    if paid_on is None:
        raise Invalid(_("Indiquez la date du règlement."), "paid_on")
    if paid_on > practice_today(practice):
        raise Invalid(_("La date du règlement ne peut pas être dans le futur."), "paid_on")
    reference, note = (reference or "").strip(), (note or "").strip()
    if len(reference) > REFERENCE_MAX or len(note) > NOTE_MAX:
        raise Invalid(_("Texte trop long."), "note" if len(note) > NOTE_MAX else "reference")
    return _responsible(patient, payer_id, "payer_id"), reference, note


def _allocate(practice, patient, payment: Payment, amount_cents: int, item_ids: list[int] | None,
              due_by: date | None) -> None:
    """Spread `amount_cents` of `payment` over the open items (the chosen ones, else the oldest
    due first). Raises `Invalid` on "amount" when it is above what remains due on them."""
    open_items = _open_items(practice.id, patient.id, item_ids or None, due_by)
    due = sum(remaining for _item, remaining in open_items)
    if amount_cents > due:
        if due == 0:
            raise Invalid(_("Il ne reste rien à régler sur %(what)s.",
                            what=_("les éléments choisis") if item_ids else _("ce dossier")), "amount")
        raise Invalid(_("Le montant (%(amount)s) dépasse ce qui reste dû (%(due)s).",
                        amount=money(amount_cents), due=money(due)), "amount")
    left = amount_cents
    for item, remaining in open_items:
        if left == 0:
            break
        part = min(left, remaining)
        payment.allocations.append(Allocation(practice_id=practice.id, item_id=item.id, amount_cents=part))
        left -= part


def record_payment(*, practice, patient, amount_cents: int, method: PaymentMethod, paid_on: date,
                   payer_id: int | None = None, reference: str = "", note: str = "",
                   item_ids: list[int] | None = None, due_by: date | None = None, recorded_by=None,
                   token: str | None = None, actor: Actor) -> Payment:
    """Record money received for the file and allocate it: to `item_ids` when given (in due
    order), else to the oldest due items first. Raises `Invalid` on the field concerned when the
    amount is above what remains due on those items (nothing is recorded), when the date is in
    the future, or when the payer is not one of the patient's responsibles; `NotFound` when an
    item id is not this file's. `due_by` limits the allocation (and so the amount accepted) to
    the items due by that date: an online payment passes the practice's today, so it can never
    exceed the balance due shown to the patient. Audited. Online payments (Stripe) call this
    with `method=PaymentMethod.online` and the Stripe id in `reference`. A desk form's `token`
    already recorded returns that payment: a form sent twice records one payment."""
    if token:
        # The file's row lock makes a second copy of the form wait for the first, then find it.
        db.session.execute(select(Patient.id).where(Patient.id == patient.id).with_for_update())
        already = db.session.scalar(select(Payment).where(Payment.practice_id == practice.id,
                                                          Payment.form_token == token[:64]))
        if already is not None:
            return already
    payer, reference, note = _check_payment(practice, patient, amount_cents, paid_on, payer_id, reference, note)
    payment = Payment(practice_id=practice.id, patient_id=patient.id, amount_cents=amount_cents, method=method,
                      paid_on=paid_on, payer_id=payer.id if payer else None,
                      payer_name=payer.full_name if payer else patient.full_name, reference=reference, note=note,
                      recorded_by_id=getattr(recorded_by, "id", None), form_token=(token or None) and token[:64])
    _allocate(practice, patient, payment, amount_cents, item_ids, due_by)
    db.session.add(payment)
    db.session.flush()
    audit.record("billing.payment_recorded", actor=actor, practice_id=practice.id, target=payment,
                 details={"patient_id": patient.id, "amount_cents": amount_cents, "method": method.value,
                          "items": [a.item_id for a in payment.allocations]})
    return payment


def get_payment(*, practice_id: int, patient_id: int, payment_id: int) -> Payment:
    """One payment of this file in this practice. Raises `NotFound` for any other id."""
    payment = db.session.scalar(select(Payment).where(Payment.id == payment_id, Payment.practice_id == practice_id,
                                                      Payment.patient_id == patient_id))
    if payment is None:
        raise NotFound()
    return payment


def lock_payment(payment: Payment) -> None:
    """Lock the payment's row for this transaction (PostgreSQL) and read it, its allocations and
    refunds afresh: a refund, a change or a deletion of it at the same time waits, then sees this."""
    db.session.refresh(payment, with_for_update=True)
    db.session.expire(payment, ["allocations", "refunds"])


def _payment_facts(payment: Payment) -> dict:
    return {"amount_cents": payment.amount_cents, "method": payment.method.value, "paid_on": payment.paid_on.isoformat(),
            "payer_name": payment.payer_name, "reference": payment.reference, "note": payment.note,
            "items": [[a.item_id, a.amount_cents] for a in payment.allocations]}


def check_editable(payment: Payment) -> None:
    """Raise `Invalid` when the payment may be neither changed nor deleted: an online payment
    (only refunded), or one with refunds. Locks it first (`lock_payment`)."""
    lock_payment(payment)
    # Stripe's record of an online payment can't be changed from here, and a refund's parts were
    # taken from this payment's allocations: changing either would leave the ledger unlike the money.
    if payment.method not in OFFLINE_METHODS:
        raise Invalid(_("Un règlement en ligne ne peut être ni modifié ni supprimé : il peut seulement être "
                        "remboursé."))
    if payment.refunds:
        raise Invalid(_("Ce règlement a fait l'objet d'un remboursement : il ne peut plus être modifié ni "
                        "supprimé."))


def update_payment(*, practice, patient, payment: Payment, amount_cents: int, method: PaymentMethod,
                   paid_on: date | None, payer_id: int | None, reference: str, note: str, actor: Actor) -> Payment:
    """Correct a payment recorded at the desk: date, method, payer, reference, note, amount. A new
    amount goes to the items the payment was for first (the ones ticked at the desk, a
    teleconsultation's fee), then to the oldest due. Raises `Invalid` for
    an online payment, one with refunds, a non-desk method, or as `record_payment` does. Audited
    with the payment before and after."""
    check_editable(payment)
    if method not in OFFLINE_METHODS:
        raise Invalid(_("Choix invalide."), "method")
    payer, reference, note = _check_payment(practice, patient, amount_cents, paid_on, payer_id, reference, note)
    before = _payment_facts(payment)
    if amount_cents != payment.amount_cents:
        chosen = sorted({a.item_id for a in payment.allocations})
        payment.allocations.clear()
        db.session.flush()  # the old allocations leave before what is still due is read back
        due = sum(remaining for _item, remaining in _open_items(practice.id, patient.id, None))
        if amount_cents > due:
            _allocate(practice, patient, payment, amount_cents, None, None)  # refused with the amount due
        first = min(amount_cents, remaining_on_items(practice_id=practice.id, patient_id=patient.id,
                                                     item_ids=chosen)) if chosen else 0
        if first:
            _allocate(practice, patient, payment, first, chosen, None)
            db.session.flush()
        if amount_cents > first:
            _allocate(practice, patient, payment, amount_cents - first, None, None)
    payment.amount_cents, payment.method, payment.paid_on, payment.reference, payment.note = (
        amount_cents, method, paid_on, reference, note)
    if (payer.id if payer else None) != payment.payer_id:  # else the name as it was stays
        payment.payer_id = payer.id if payer else None
        payment.payer_name = payer.full_name if payer else patient.full_name
    db.session.flush()
    audit.record("billing.payment_changed", actor=actor, practice_id=practice.id, target=payment,
                 details={"patient_id": patient.id, "before": before, "after": _payment_facts(payment)})
    return payment


def delete_payment(*, practice, payment: Payment, actor: Actor) -> None:
    """Remove a payment recorded by mistake at the desk, and its allocations: its items are due
    again. Raises `Invalid` for an online payment or one with refunds. Audited with what it was."""
    check_editable(payment)
    audit.record("billing.payment_deleted", actor=actor, practice_id=practice.id, target=payment,
                 details={"patient_id": payment.patient_id, "before": _payment_facts(payment)})
    db.session.delete(payment)
    db.session.flush()


def history(*, practice_id: int, patient_id: int, limit: int = 30) -> list[AuditEvent]:
    """The file's money history, newest first: the audit trail's billing entries about this
    patient (items, payments recorded, changed, deleted, refunds and their status)."""
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.practice_id == practice_id, AuditEvent.action.like("billing.%"),
                                 AuditEvent.details["patient_id"].as_integer() == patient_id)
        .order_by(AuditEvent.id.desc()).limit(limit)))


def offline_methods() -> tuple[PaymentMethod, ...]:
    """The methods staff may record at the desk (online payments come only from Stripe)."""
    return OFFLINE_METHODS
