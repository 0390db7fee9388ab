"""Refunds (issue 5): money given back of one payment, from the console. An online payment is
refunded through Stripe (the refund's status follows Stripe's webhook); any other is given back
by hand and recorded as done. A refund's parts take money back from the items the payment had
settled, latest due first, so those items are due again from the refund's date (the ledger's
`paid_per_item` nets them; a failed refund counts for nothing).

Imported at app start (portal/__init__.py) so its webhook handlers are registered."""
from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import select

from portal.billing import flags, services, teleconsult
from portal.billing.models import (OFFLINE_METHODS, BillingItem, FlagKind, Payment, PaymentMethod, Refund, RefundPart,
                                   RefundStatus)
from portal.billing.stripe_api import create_refund, retrieve_checkout_session
from portal.billing.stripe_models import StripeEvent
from portal.billing.webhooks import APPLIED, IGNORED, last_applied, on_event
from portal.core import audit
from portal.core.audit import Actor
from portal.core.errors import Invalid
from portal.core.labels import PAYMENT_METHOD
from portal.core.models import Practice
from portal.extensions import db

REASON_MAX = 500
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
# Stripe's refund statuses as the ledger counts them: requires_action is still under way, and a
# canceled refund gave nothing back, as a failed one.
STRIPE_STATUS = {"pending": RefundStatus.pending, "requires_action": RefundStatus.pending,
                 "succeeded": RefundStatus.succeeded, "failed": RefundStatus.failed,
                 "canceled": RefundStatus.failed}
DASHBOARD_REASON = "Remboursement fait depuis le tableau de bord Stripe"  # stored, like a typed reason


def _parts(payment: Payment, amount_cents: int) -> list[tuple[int, int]]:
    """(item id, cents) taken back from the items `payment` settled and not yet given back,
    latest due date first (the most recent installment is the one left unpaid)."""
    left_on: dict[int, int] = {}
    for allocation in payment.allocations:
        left_on[allocation.item_id] = left_on.get(allocation.item_id, 0) + allocation.amount_cents
    for refund in payment.refunds:
        if refund.status is not RefundStatus.failed:
            for part in refund.parts:
                left_on[part.item_id] = left_on.get(part.item_id, 0) - part.amount_cents
    items = db.session.scalars(select(BillingItem).where(BillingItem.practice_id == payment.practice_id,
                                                         BillingItem.id.in_(list(left_on)))).all()
    parts, left = [], amount_cents
    for item in sorted(items, key=lambda i: (i.due_date, i.id), reverse=True):
        take = min(left, left_on[item.id])
        if take > 0:
            parts.append((item.id, take))
            left -= take
    return parts


def _payment_intent(practice, payment: Payment) -> str:
    """The payment intent behind an online payment (its reference is the Checkout Session id):
    from the session's recorded event, else asked of Stripe."""
    known = db.session.scalar(select(StripeEvent.payment_intent).where(
        StripeEvent.practice_id == practice.id, StripeEvent.object_id == payment.reference,
        StripeEvent.payment_intent != "").limit(1))
    if known:
        return known
    session = retrieve_checkout_session(practice, payment.reference)
    intent = session.get("payment_intent") or ""
    intent = intent.get("id", "") if isinstance(intent, dict) else intent
    if not intent:
        raise Invalid(_("Stripe ne connaît pas de paiement pour ce règlement : remboursez-le depuis le tableau "
                        "de bord Stripe."))
    return intent


def refund_payment(*, practice, payment: Payment, amount_cents: int | None, reason: str, token: str,
                   given_back_by: PaymentMethod | None = None, recorded_by=None, actor: Actor) -> Refund:
    """Give back `amount_cents` of `payment` (at most what it still holds), for `reason`.
    An online payment is refunded through Stripe (idempotency key from the form's `token`, so a
    form sent twice refunds once) and takes Stripe's status; any other is recorded as given back
    by hand, `given_back_by` (cheque, transfer, cash, card; the payment's method by default) noted
    in the reason. A `token` already used returns that form's refund. Raises `Invalid` on the
    field concerned (nothing recorded), `StripeUnavailable` when Stripe can't be reached
    (nothing recorded). Audited."""
    if not TOKEN.match(token or ""):
        raise Invalid(_("Le formulaire a expiré : rechargez la page."))
    # The payment's row lock makes a second refund of it (another form, another desk) wait for
    # this one and then see it: two refunds at once can't give back more than was paid.
    services.lock_payment(payment)
    already = db.session.scalar(select(Refund).where(Refund.practice_id == practice.id, Refund.form_token == token))
    if already is not None:
        return already
    reason = (reason or "").strip()
    net = payment.net_cents
    if not amount_cents or amount_cents <= 0:
        raise Invalid(_("Le montant doit être supérieur à zéro."), "amount")
    if amount_cents > net:
        raise Invalid(_("Le montant (%(amount)s) dépasse ce qui reste de ce règlement (%(net)s).",
                        amount=services.money(amount_cents), net=services.money(net)), "amount")
    if not reason:
        raise Invalid(_("Indiquez le motif du remboursement."), "reason")
    if len(reason) > REASON_MAX:
        raise Invalid(_("Texte trop long."), "reason")
    online = payment.method is PaymentMethod.online
    way = PaymentMethod.online if online else (given_back_by or payment.method)
    if not online:
        if way not in OFFLINE_METHODS:
            raise Invalid(_("Choix invalide."), "given_back_by")
        reason = f"{PAYMENT_METHOD[way.value]} — {reason}"
    refund = Refund(practice_id=practice.id, patient_id=payment.patient_id, payment=payment,
                    amount_cents=amount_cents, refunded_on=services.practice_today(practice), method=way,
                    status=RefundStatus.pending if online else RefundStatus.succeeded, reason=reason,
                    recorded_by_id=getattr(recorded_by, "id", None), form_token=token,
                    parts=[RefundPart(practice_id=practice.id, item_id=item_id, amount_cents=cents)
                           for item_id, cents in _parts(payment, amount_cents)])
    db.session.add(refund)
    db.session.flush()
    if online:
        # Asked of Stripe inside the transaction: if Stripe fails, the raise rolls the row back;
        # if our commit fails after Stripe's yes, the same form gets the same refund back
        # (idempotency key), and its webhook records it anyway (`refund_changed`).
        answer = create_refund(practice, payment_intent=_payment_intent(practice, payment), amount_cents=amount_cents,
                               idempotency_key=f"refund:{practice.id}:{payment.id}:{token}:{amount_cents}",
                               metadata={"practice": practice.id, "patient": payment.patient_id,
                                         "payment": payment.id, "refund": refund.id})
        refund.stripe_refund_id = str(answer.get("id", ""))[:80] or None
        refund.status = STRIPE_STATUS.get(answer.get("status"), RefundStatus.pending)
        db.session.flush()
    _audit("billing.payment_refunded", refund, actor)
    teleconsult.close_cancelled_fees(practice_id=practice.id, item_ids=[p.item_id for p in refund.parts])
    return refund


def _audit(action: str, refund: Refund, actor: Actor) -> None:
    audit.record(action, actor=actor, practice_id=refund.practice_id, target=refund,
                 details={"patient_id": refund.patient_id, "payment_id": refund.payment_id,
                          "amount_cents": refund.amount_cents, "status": refund.status.value,
                          "stripe_refund_id": refund.stripe_refund_id or "", "reason": refund.reason})


def _late(record: StripeEvent) -> bool:
    # webhooks.is_out_of_order compares by payment intent too, which would make one refund's
    # news look stale next to another refund of the same payment: refunds are ordered per refund.
    last = last_applied(record.practice_id, record.object_id)
    return last is not None and last.id != record.id and last.stripe_created > record.stripe_created


# Moves a refund's status may make: a settled refund doesn't go back to pending, and a failed one
# stays failed (Stripe may fail a refund it had said succeeded, never the other way).
_MOVES = {RefundStatus.pending: {RefundStatus.succeeded, RefundStatus.failed},
          RefundStatus.succeeded: {RefundStatus.failed}, RefundStatus.failed: set()}


@on_event("refund.created", "refund.updated", "refund.failed")
def refund_changed(record: StripeEvent, obj: dict) -> str:
    """Stripe's news of a refund: the status of ours follows it (failed: the items are due
    again); a refund made in Stripe's dashboard of a payment we know is recorded, so the ledger
    matches Stripe. Late events, other practices' refunds and unknown payments are ignored."""
    if obj.get("object") != "refund" or not obj.get("id"):
        return IGNORED
    meta = obj.get("metadata") or {}
    if meta.get("practice") and str(meta.get("practice")) != str(record.practice_id):
        record.note = "refund of another practice"
        return IGNORED
    if _late(record):
        record.note = "out of order: newer news of this refund already applied"
        return IGNORED
    status = STRIPE_STATUS.get(obj.get("status"), RefundStatus.pending)
    refund = _known(record, obj)
    if refund is None:
        payment = _payment_of(record, str(obj.get("payment_intent") or ""))
        if payment is None:
            record.note = "refund of a payment unknown to the ledger"
            return IGNORED
        # Our own refund's event may come while the console's request that asked for it still
        # holds the payment's lock: once we have the lock, that refund is there to be found.
        refund = _known(record, obj)
        if refund is None:
            return _from_dashboard(record, obj, status, payment)
    if status not in _MOVES[refund.status]:
        return IGNORED
    refund.status = status
    db.session.flush()
    _audit("billing.refund_status_changed", refund, Actor.system("stripe"))
    return APPLIED


def _known(record: StripeEvent, obj: dict) -> Refund | None:
    return db.session.scalar(select(Refund).where(Refund.practice_id == record.practice_id,
                                                  Refund.stripe_refund_id == str(obj["id"])))


def _payment_of(record: StripeEvent, intent: str) -> Payment | None:
    """The online payment of this payment intent (through its Checkout Session's event), locked."""
    session_id = db.session.scalar(select(StripeEvent.object_id).where(
        StripeEvent.practice_id == record.practice_id, StripeEvent.payment_intent == intent,
        StripeEvent.object_id.like("cs_%")).limit(1)) if intent else None
    payment = db.session.scalar(select(Payment).where(
        Payment.practice_id == record.practice_id, Payment.method == PaymentMethod.online,
        Payment.reference == session_id)) if session_id else None
    if payment is not None:
        services.lock_payment(payment)
    return payment


def _from_dashboard(record: StripeEvent, obj: dict, status: RefundStatus, payment: Payment) -> str:
    """A refund Stripe knows and we don't (made in Stripe's dashboard) of an online payment we
    know: recorded, so the ledger matches Stripe, when it fits what that payment still holds."""
    amount = int(obj.get("amount") or 0)
    if status is RefundStatus.failed:
        record.note = "failed refund unknown to the ledger"
        return IGNORED
    excess = flags.has_flag(practice_id=record.practice_id, kind=FlagKind.excess, session_id=payment.reference)
    if excess or not 0 < amount <= payment.net_cents:
        # Stripe gave back money the ledger can't place by itself: what was received above the
        # balance (never allocated), or more than the payment holds. Taking it from the items
        # would make the file owe what it paid: staff decide, the ledger stays as it is.
        record.note = _("Remboursement de %(amount)s fait dans Stripe pour le règlement en ligne du %(date)s "
                        "(%(net)s) : à vérifier, le registre n'a pas été modifié.",
                        amount=services.money(amount), date=payment.paid_on.strftime("%d/%m/%Y"),
                        net=services.money(payment.net_cents))[:300]
        flags.raise_flag(practice_id=record.practice_id, kind=FlagKind.refund, session_id=payment.reference,
                         message=record.note, patient_id=payment.patient_id, payment_id=payment.id,
                         amount_cents=amount)
        return IGNORED
    practice = db.session.get(Practice, record.practice_id)
    refund = Refund(practice_id=practice.id, patient_id=payment.patient_id, payment=payment, amount_cents=amount,
                    refunded_on=services.practice_today(practice), status=status, reason=DASHBOARD_REASON,
                    method=PaymentMethod.online,
                    stripe_refund_id=str(obj["id"])[:80],
                    parts=[RefundPart(practice_id=practice.id, item_id=item_id, amount_cents=cents)
                           for item_id, cents in _parts(payment, amount)])
    db.session.add(refund)
    db.session.flush()
    record.note = "refund made in Stripe's dashboard: recorded"
    _audit("billing.payment_refunded", refund, Actor.system("stripe"))
    return APPLIED
