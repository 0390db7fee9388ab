"""Teleconsultation prepayment (seed 004, issue 5): a teleconsultation of a type with
`prepayment` owes the type's price from its booking, as a fee in the ledger ("Téléconsultation
du JJ/MM/AAAA") tied to the appointment by a `TeleconsultCharge`. It stays unpaid (shown red
on the planning, in the patient space and in the patient search) until paid online (Stripe
Checkout, allocated to that fee only) or marked paid by staff; paying stays optional.

"Unpaid" is read from allocations as the ledger reads it: the fee's amount minus what was
allocated to it. Every reader asks for a whole page's appointments or patients in one query."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.billing import services
from portal.billing.models import Allocation, BillingItem, ItemKind, PaymentMethod, TeleconsultCharge
from portal.billing.stripe_api import create_checkout_session
from portal.core import audit
from portal.core.audit import Actor
from portal.core.errors import Conflict, Invalid, NotFound
from portal.extensions import db

KIND = "teleconsult"  # Checkout metadata `kind`: the session pays one teleconsultation's fee


def prepaid(kind) -> bool:
    """Whether a booking of this appointment type owes its price at once."""
    return bool(kind.teleconsultation and kind.prepayment and kind.price_cents)


def _label(practice, appointment) -> tuple[str, date]:
    from portal.agenda.desk import day_of

    day = day_of(practice, appointment.starts_at)
    return _("Téléconsultation du %(date)s", date=day.strftime("%d/%m/%Y")), day


def charge_booking(*, practice, appointment, actor: Actor) -> TeleconsultCharge | None:
    """After a booking: when its type asks for prepayment, add the fee (the type's price; care
    date the visit's day, due the day of booking) to the patient's file and tie it to the
    appointment. Nothing for other types or an appointment without a patient yet (a newcomer's
    hold). Audited through `add_item`."""
    kind = appointment.appointment_type
    if appointment.patient_id is None or not prepaid(kind):
        return None
    label, day = _label(practice, appointment)
    item = services.add_item(practice=practice, patient=appointment.patient, kind=ItemKind.fee, label=label,
                             amount_cents=kind.price_cents, due_date=services.practice_today(practice),
                             care_date=day, actor=actor)
    charge = TeleconsultCharge(practice_id=practice.id, appointment_id=appointment.id, item_id=item.id)
    db.session.add(charge)
    db.session.flush()
    return charge


def charge_of(appointment) -> TeleconsultCharge | None:
    """The fee tied to this appointment, if it has one."""
    return db.session.scalar(select(TeleconsultCharge).where(
        TeleconsultCharge.practice_id == appointment.practice_id, TeleconsultCharge.appointment_id == appointment.id))


def _paid(item_id: int) -> int:
    """All money ever allocated to the fee, refunds aside: a fee that ever received some is kept."""
    return int(db.session.scalar(select(func.coalesce(func.sum(Allocation.amount_cents), 0))
                                 .where(Allocation.item_id == item_id)) or 0)


def remaining(charge: TeleconsultCharge) -> int:
    """What the fee still lacks (0 once paid; refunds make it lack again)."""
    paid = services.paid_per_item(practice_id=charge.practice_id, item_ids=[charge.item_id])
    return charge.item.amount_cents - paid.get(charge.item_id, 0)


def _unpaid_rows(practice_id: int):
    paid = services.paid_subquery(practice_id=practice_id)
    return (select(TeleconsultCharge.appointment_id)
            .join(BillingItem, BillingItem.id == TeleconsultCharge.item_id)
            .outerjoin(paid, paid.c.item_id == BillingItem.id)
            .where(TeleconsultCharge.practice_id == practice_id,
                   BillingItem.amount_cents > func.coalesce(paid.c.paid, 0)))


def unpaid_appointments(*, practice_id: int, appointment_ids) -> set[int]:
    """Which of these appointments have a fee still unpaid: one query for a whole page."""
    ids = [i for i in appointment_ids if i is not None]
    if not ids:
        return set()
    return set(db.session.scalars(_unpaid_rows(practice_id).where(TeleconsultCharge.appointment_id.in_(ids))))


def unpaid_patients(*, practice_id: int, patient_ids) -> set[int]:
    """Which of these patients have an unpaid teleconsultation (of a visit not cancelled): one
    query for a page of search results."""
    from portal.agenda.models import Appointment, AppointmentStatus

    ids = list(patient_ids)
    if not ids:
        return set()
    query = (_unpaid_rows(practice_id).join(Appointment, Appointment.id == TeleconsultCharge.appointment_id)
             .where(Appointment.patient_id.in_(ids), Appointment.status != AppointmentStatus.cancelled)
             .with_only_columns(Appointment.patient_id).distinct())
    return set(db.session.scalars(query))


def unpaid_of_patient(*, practice_id: int, patient_id: int) -> list[tuple[object, int]]:
    """A patient's teleconsultations (not cancelled) whose fee is unpaid, with what each lacks,
    oldest first: what the patient space shows in red. One query."""
    from portal.agenda.models import Appointment, AppointmentStatus

    paid = services.paid_subquery(practice_id=practice_id)
    lacking = BillingItem.amount_cents - func.coalesce(paid.c.paid, 0)
    rows = db.session.execute(
        select(Appointment, lacking).join(TeleconsultCharge, TeleconsultCharge.appointment_id == Appointment.id)
        .join(BillingItem, BillingItem.id == TeleconsultCharge.item_id)
        .outerjoin(paid, paid.c.item_id == BillingItem.id)
        .where(TeleconsultCharge.practice_id == practice_id, Appointment.patient_id == patient_id,
               Appointment.status != AppointmentStatus.cancelled, lacking > 0)
        .order_by(Appointment.starts_at)).all()
    return [(appointment, int(left)) for appointment, left in rows]


def release_on_cancel(appointment, *, actor: Actor) -> str | None:
    """A prepaid teleconsultation was cancelled: its fee goes when nothing was paid on it; when
    something was, it stays in the ledger and the cancellation notes that a refund may be due
    (refunds are staff's decision). Returns "removed", "kept" or None (no fee)."""
    charge = charge_of(appointment)
    if charge is None:
        return None
    if _paid(charge.item_id) == 0:
        from portal.core.models import Practice

        item = charge.item
        db.session.delete(charge)
        services.delete_item(practice=db.session.get(Practice, appointment.practice_id), item=item, actor=actor)
        return "removed"
    if _close(charge):  # paid, then all of it refunded: nothing is owed for a visit that won't happen
        return "removed"
    note = _("Téléconsultation annulée alors qu'elle était réglée : un remboursement peut être dû.")
    appointment.note = (f"{appointment.note}\n{note}" if appointment.note else note)[:500]
    audit.record("billing.teleconsult_cancelled_paid", actor=actor, practice_id=appointment.practice_id,
                 target=appointment, details={"item_id": charge.item_id})
    return "kept"


def _close(charge: TeleconsultCharge) -> bool:
    """A cancelled visit owes nothing more than what was kept of its fee: the fee is lowered to
    what it holds net of refunds, or goes (with its allocations and refund parts, which cancel
    out) when nothing is kept. True when it went."""
    item = charge.item
    kept = services.paid_per_item(practice_id=charge.practice_id, item_ids=[item.id]).get(item.id, 0)
    if kept <= 0:
        db.session.delete(item)  # the charge goes with it (ON DELETE CASCADE), and so in the session
        db.session.delete(charge)
        db.session.flush()
        return True
    if kept < item.amount_cents:
        item.amount_cents = kept
        db.session.flush()
    return False


def close_cancelled_fees(*, practice_id: int, item_ids: list[int]) -> None:
    """After a refund: the fees of cancelled teleconsultations among these items are closed
    (`_close`), so the refund does not make a visit that never took place owed again."""
    from portal.agenda.models import Appointment, AppointmentStatus

    if not item_ids:
        return
    for charge in db.session.scalars(select(TeleconsultCharge).join(
            Appointment, Appointment.id == TeleconsultCharge.appointment_id).where(
            TeleconsultCharge.practice_id == practice_id, TeleconsultCharge.item_id.in_(item_ids),
            Appointment.status == AppointmentStatus.cancelled)):
        _close(charge)


def transfer(old, new, *, practice) -> None:
    """A moved teleconsultation keeps its fee (paid or not): the charge follows the new
    appointment, and an unpaid fee's label and care date follow the new day."""
    charge = charge_of(old)
    if charge is None:
        return
    charge.appointment_id = new.id
    if _paid(charge.item_id) == 0:
        charge.item.label, charge.item.care_date = _label(practice, new)
    db.session.flush()


def get_charge(*, practice_id: int, appointment_id: int) -> TeleconsultCharge:
    """The fee of one appointment of this practice. Raises `NotFound` for any other id, or when
    the appointment has no fee."""
    charge = db.session.scalar(select(TeleconsultCharge).where(
        TeleconsultCharge.practice_id == practice_id, TeleconsultCharge.appointment_id == appointment_id))
    if charge is None:
        raise NotFound()
    return charge


def mark_paid(*, practice, appointment, method: str, reference: str = "", recorded_by=None,
              actor: Actor) -> None:
    """Staff received the teleconsultation's payment at the desk (cheque, card, transfer or
    cash): an offline payment of what the fee lacks, allocated to that fee only
    (`record_payment`, audited). Raises `Conflict` when it is already paid, `Invalid` on
    'method' for an unknown or online method, `NotFound` when the visit has no fee."""
    charge = get_charge(practice_id=practice.id, appointment_id=appointment.id)
    try:
        chosen = PaymentMethod(method)
    except ValueError:
        chosen = None
    if chosen not in services.offline_methods():
        raise Invalid(_("Choisissez un moyen de paiement."), "method")
    lacking = remaining(charge)
    if lacking <= 0:
        raise Conflict(_("Cette téléconsultation est déjà réglée."))
    services.record_payment(practice=practice, patient=appointment.patient, amount_cents=lacking, method=chosen,
                            paid_on=services.practice_today(practice), reference=reference,
                            item_ids=[charge.item_id], recorded_by=recorded_by, actor=actor)


def start_checkout(*, practice, appointment, email: str, token: str, success_url: str, cancel_url: str) -> dict:
    """"Payer maintenant": a Checkout Session for what the teleconsultation's fee lacks, with
    metadata `kind=teleconsult` and `items=<item id>` so the webhook allocates it to that fee
    only. The idempotency key comes from the page's token, so a double submit makes one
    session. Raises `Conflict` when already paid, `Invalid` on 'email', `NotFound` without fee."""
    from portal.billing.online import TOKEN, check_email

    charge = get_charge(practice_id=practice.id, appointment_id=appointment.id)
    lacking = remaining(charge)
    if lacking <= 0:
        raise Conflict(_("Cette téléconsultation est déjà réglée."))
    email = check_email(email)
    if not TOKEN.match(token or ""):
        raise Invalid(_("Le formulaire a expiré : rechargez la page."))
    patient = appointment.patient
    payer = services.default_responsible(patient)
    metadata = {"practice": practice.id, "patient": patient.id, "payer": payer.id if payer else "",
                "amount_cents": lacking, "kind": KIND, "items": charge.item_id}
    description = f"{charge.item.label} — {patient.full_name} — {practice.name}"
    return create_checkout_session(practice, amount_cents=lacking, description=description, customer_email=email,
                                   success_url=success_url, cancel_url=cancel_url, metadata=metadata,
                                   idempotency_key=f"teleconsult:{practice.id}:{charge.item_id}:{token}:{lacking}")
